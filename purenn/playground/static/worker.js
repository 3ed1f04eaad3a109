// purenn playground as a static site: this Web Worker runs purenn in Pyodide and answers
// the page's requests with purenn.playground.browser, as the server would. Between two
// requests it trains the 2-D run for a slice of time (Pyodide has no threads).

let worker = null, queue = [], running = false;
// set before anything is awaited, so that no early request of the page is lost
self.onmessage = (event) => { queue.push(event.data); pump(); };
const say = (kind, message) => postMessage({kind, message});
const site = await (await fetch("site.json")).json();

async function start() {
  say("progress", "loading Python (Pyodide) in this page…");
  const base = new URL(site.pyodide, self.location.href).href;
  const {loadPyodide} = await import(base + "pyodide.mjs");
  const py = await loadPyodide({indexURL: base});
  say("progress", "installing purenn…");
  const wheel = new Uint8Array(await (await fetch(site.wheel)).arrayBuffer());
  py.FS.writeFile("/tmp/" + site.wheel, wheel);
  let model = null;
  if (site.model) {
    model = "/tmp/digits.safetensors";
    py.FS.writeFile(model, new Uint8Array(await (await fetch(site.model)).arrayBuffer()));
  }
  py.globals.set("WHEEL", "/tmp/" + site.wheel);
  py.globals.set("MODEL", model ?? undefined);   // undefined: Python's None
  py.globals.set("MODEL_NAME", site.model ?? undefined);
  py.runPython(`
import sysconfig, zipfile
zipfile.ZipFile(WHEEL).extractall(sysconfig.get_paths()["purelib"])
from purenn.playground.browser import Worker
worker = Worker(MODEL, MODEL_NAME)
`);
  return py.globals.get("worker");
}

const ready = start().then((w) => { worker = w; say("ready", ""); pump(); },
                           (error) => say("failed", `purenn could not start: ${error}`));

function answer(m) {
  const reply = worker.answer(m.method, m.path, m.argument).toJs();
  const [status, type, headers, body] = reply;
  postMessage({id: m.id, status, type, headers: JSON.parse(headers), body},
              [body.buffer]);
}

async function pump() {
  if (!worker || running) return;
  running = true;
  try {
    for (;;) {
      while (queue.length) answer(queue.shift());
      if (!worker.tick()) break;
      await new Promise((resolve) => setTimeout(resolve, 0));   // let requests in
    }
  } finally {
    running = false;
  }
  if (queue.length) pump();
}
void ready;
