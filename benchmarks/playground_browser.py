"""The playground's pace in a real browser: updates and region pictures per second of the
default 2-D run (circles, 2-8-8-3 tanh, batch 10), as the page shows them, for the static
site (purenn in Pyodide in the page's Web Worker) and for the server on CPython and PyPy,
side by side in one run.

    python3 benchmarks/playground_browser.py --pyodide node_modules/pyodide \\
        [--python python3.11] [--pypy pypy3] [--seconds 20]

Each contender's page is opened in headless Debian chromium (Playwright), the default run
is started and left for ``--seconds``; the figures are the updates done and the pictures
drawn (the page's ``regions_version``) in that time. Needs playwright (pip) and
/usr/bin/chromium; the machine's load (printed) slows them all alike.
"""

import argparse
import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]


class StaticFiles(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".mjs": "text/javascript", ".js": "text/javascript",
                      ".wasm": "application/wasm"}

    def log_message(self, *args):
        pass


def measure(browser, url, seconds):
    page = browser.new_page(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    page.goto(url)
    page.wait_for_function("document.getElementById('test-loss').textContent !== '–'",
                           timeout=300_000)
    page.wait_for_timeout(500)
    start = page.evaluate("[plane.regionsVersion, Number(document.getElementById('updates')"
                          ".textContent.replace(/,/g, ''))]")
    page.click("#play")
    began = time.monotonic()
    page.wait_for_timeout(seconds * 1000)
    end = page.evaluate("[plane.regionsVersion, Number(document.getElementById('updates')"
                        ".textContent.replace(/,/g, ''))]")
    elapsed = time.monotonic() - began
    page.click("#play")
    page.close()
    return (end[1] - start[1]) / elapsed, (end[0] - start[0]) / elapsed


def server(python):
    proc = subprocess.Popen([python, "-m", "purenn", "playground", "--no-browser"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    match = re.search(r"http://127\.0\.0\.1:\d+/", proc.stdout.readline())
    return proc, match.group(0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pyodide", required=True, help="a folder holding Pyodide")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--pypy", default=shutil.which("pypy3"))
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; "
          f"{args.seconds:g} s of the default run (circles, 2-8-8-3 tanh, batch 10) each")
    results = []
    with tempfile.TemporaryDirectory() as site, sync_playwright() as p:
        subprocess.run([args.python, "-m", "purenn", "playground", "--export", site,
                        "--pyodide", args.pyodide], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(StaticFiles, directory=site))
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        try:
            results.append(("static site (Pyodide in the page)",
                            *measure(browser, f"http://127.0.0.1:{httpd.server_port}/",
                                     args.seconds)))
            for name, python in (("server, " + os.path.basename(args.python), args.python),
                                 ("server, PyPy", args.pypy)):
                if not python:
                    continue
                proc, url = server(python)
                try:
                    results.append((name, *measure(browser, url, args.seconds)))
                finally:
                    proc.terminate()
                    proc.wait()
        finally:
            browser.close()
            httpd.shutdown()
    print(f"{'contender':36} {'updates/s':>10} {'pictures/s':>11}")
    for name, updates, pictures in results:
        print(f"{name:36} {updates:10.1f} {pictures:11.2f}")


if __name__ == "__main__":
    main()
