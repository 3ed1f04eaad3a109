"""How smooth the playground's 2-D panel is: region pictures and updates per second.

    PYTHONPATH=. python3 benchmarks/playground.py [--seconds 10] [--dataset spiral]
    PYTHONPATH=. pypy3 benchmarks/playground.py

The default network (two hidden layers of 8 tanh units; 2-8-8-3 on the spiral) is trained
through the playground's own server, as the page does it: POST /api/plane/run, then
GET /api/plane/state?regions=V every --poll seconds after each answer (the page's: 0.05)
for --seconds. Printed:

- the time of one picture (regions, each unit's tile, the weights) at the full grid
  (50x50, drawn on pause) and the running grid (25x25, drawn while training);
- pictures/s: new pictures the polling page received per second of training;
- updates/s: updates (batches) done per second meanwhile;
- the same run with the full grid while training (the old way), and the ratio.
"""

import argparse
import json
import platform
import time
import urllib.request

from purenn import registry
from purenn.playground import plane
from purenn.playground.digits import DigitReader
from purenn.playground.server import Playground, close_server, serve


class _NoDigits(DigitReader):
    """The digit reader is not measured: no background training."""

    def __init__(self):
        pass

    def close(self):
        pass


def best_seconds(fn, repeat=5):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def call(server, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(server.url.rstrip("/") + path, data=data,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())


def polled_run(server, settings, seconds, poll):
    """(pictures/s, updates/s) the page sees, polling while training."""
    version = call(server, "/api/plane/reset", settings)["state"]["regions_version"]
    pictures = 0
    call(server, "/api/plane/run", {})
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        state = call(server, f"/api/plane/state?regions={version}")
        if "regions" in state:
            pictures += 1
            version = state["regions_version"]
        time.sleep(poll)
    elapsed = time.perf_counter() - start
    updates = call(server, "/api/plane/pause", {})["updates"]
    return pictures / elapsed, updates / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--dataset", default="spiral")
    parser.add_argument("--poll", type=float, default=0.05)
    args = parser.parse_args()
    settings = {"dataset": args.dataset}
    session = plane.PlaneSession(settings, registry.names("purenn.optimizers"))
    shape = "-".join(str(n) for n in [2] + [layer["units"] for layer in
                                             session.config["hidden"]] +
                     [session.train_set.num_classes])
    print(f"{platform.python_implementation()} {platform.python_version()}, "
          f"{args.dataset}, network {shape} tanh, batch {session.config['batch_size']}")
    full = best_seconds(lambda: session._picture(plane.GRID))
    running = best_seconds(lambda: session._picture(plane.RUNNING_GRID))
    print(f"one picture, {plane.GRID}x{plane.GRID} grid (on pause):   {1000 * full:7.1f} ms")
    print(f"one picture, {plane.RUNNING_GRID}x{plane.RUNNING_GRID} grid (while training): "
          f"{1000 * running:7.1f} ms  ({full / running:.1f}x faster)")
    session.close()
    server = serve(Playground(_NoDigits()))
    try:
        pictures, updates = polled_run(server, settings, args.seconds, args.poll)
        print(f"training, as the page sees it: {pictures:5.1f} pictures/s, "
              f"{updates:7.1f} updates/s")
        saved = plane.RUNNING_GRID
        plane.RUNNING_GRID = plane.GRID
        try:
            old_pictures, old_updates = polled_run(server, settings, args.seconds, args.poll)
        finally:
            plane.RUNNING_GRID = saved
        print(f"... with the full grid while training: {old_pictures:5.1f} pictures/s, "
              f"{old_updates:7.1f} updates/s")
        print(f"ratio: {pictures / old_pictures:.2f}x the pictures, "
              f"{updates / old_updates:.2f}x the updates")
    finally:
        close_server(server)


if __name__ == "__main__":
    main()
