// Runs Python inside Pyodide (CPython compiled to WebAssembly) under node, with wheels
// installed from a folder and no network: the test tools (pytest, micropip, ...) are
// unpacked into site-packages; purenn's own wheels are installed by micropip from
// Pyodide's file system ("emfs:" paths), as a notebook's `await micropip.install(...)`
// does, when a micropip wheel is in the folder, else unpacked too.
//
//   node run.mjs --pyodide DIR --wheels DIR [--mount HOST=GUEST ...] [--cwd GUEST]
//                [--env NAME=VALUE ...] -- -m pytest ARGS...   (or: -- -c CODE)
//
// DIR of --pyodide is npm's `pyodide` package; every .whl in --wheels is installed. The
// exit code is Python's.
import { pathToFileURL } from "node:url";
import { readdirSync } from "node:fs";
import path from "node:path";

function parse(argv) {
  const opts = { mounts: [], env: {}, cwd: "/", rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") { opts.rest = argv.slice(i + 1); break; }
    const value = argv[++i];
    if (value === undefined) throw new Error(`run.mjs: ${a} needs a value`);
    if (a === "--pyodide") opts.pyodide = path.resolve(value);
    else if (a === "--wheels") opts.wheels = path.resolve(value);
    else if (a === "--cwd") opts.cwd = value;
    else if (a === "--mount") {
      const [host, guest] = value.split("=");
      opts.mounts.push([path.resolve(host), guest]);
    } else if (a === "--env") {
      const k = value.indexOf("=");
      opts.env[value.slice(0, k)] = value.slice(k + 1);
    } else throw new Error(`run.mjs: unknown option ${a}`);
  }
  if (!opts.pyodide || !opts.wheels || opts.rest.length < 2)
    throw new Error("usage: run.mjs --pyodide DIR --wheels DIR [...] -- (-m MODULE | -c CODE) ARGS");
  return opts;
}

const opts = parse(process.argv.slice(2));
const { loadPyodide } = await import(pathToFileURL(path.join(opts.pyodide, "pyodide.mjs")).href);
const py = await loadPyodide({ indexURL: opts.pyodide + "/", env: { HOME: "/home/pyodide", ...opts.env } });
const mount = (host, guest) => {
  py.FS.mkdirTree(guest);
  py.FS.mount(py.FS.filesystems.NODEFS, { root: host }, guest);
};
mount(opts.wheels, "/wheels");
for (const [host, guest] of opts.mounts) mount(host, guest);
const wheels = readdirSync(opts.wheels).filter((f) => f.endsWith(".whl")).sort();
py.globals.set("WHEELS", py.toPy(wheels));
py.globals.set("ARGV", py.toPy(opts.rest));
py.globals.set("CWD", opts.cwd);
const code = await py.runPythonAsync(`
import os, runpy, sys, sysconfig, zipfile
site = sysconfig.get_paths()["purelib"]
ours = [name for name in WHEELS if name.startswith("purenn")]
for name in WHEELS:
    if name not in ours or not any(w.startswith("micropip") for w in WHEELS):
        with zipfile.ZipFile("/wheels/" + name) as wheel:
            wheel.extractall(site)
import importlib
importlib.invalidate_caches()
if any(w.startswith("micropip") for w in WHEELS):
    import micropip
    for name in ours:
        await micropip.install("emfs:/wheels/" + name, deps=False)
os.chdir(CWD)
mode, target, *args = ARGV
sys.argv = [target, *args]
try:
    if mode == "-m":
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        exec(compile(target, "<-c>", "exec"), {"__name__": "__main__"})
    status = 0
except SystemExit as stop:
    status = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
sys.stdout.flush(); sys.stderr.flush()
status
`);
process.exit(code);
