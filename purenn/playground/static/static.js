// purenn playground as a static site (purenn playground --export): the page's requests go
// to a Web Worker running purenn in Pyodide (worker.js) instead of a server. Loaded before
// playground.js, whose api() uses window.purennTransport when it is set.
"use strict";

(function () {
  const worker = new Worker("worker.js", {type: "module"});
  const waiting = new Map();
  let next = 0;
  const status = {ready: false, error: null};
  worker.onmessage = (event) => {
    const m = event.data;
    if (m.kind === "ready") {
      status.ready = true;
      announce("");
      const footer = document.querySelector("footer");
      if (footer) footer.textContent = "Computed in Python by purenn, running in this page " +
        "(Pyodide, Python in WebAssembly, in a Web Worker); no server.";
      return;
    }
    if (m.kind === "failed") { status.error = m.message; announce(m.message); return; }
    if (m.kind === "progress") { announce(m.message); return; }
    const done = waiting.get(m.id);
    if (!done) return;
    waiting.delete(m.id);
    done(m);
  };

  function announce(message) {
    let bar = document.getElementById("static-status");
    if (!bar && document.body) {
      bar = document.createElement("div");
      bar.id = "static-status";
      bar.className = "static-status";
      document.body.prepend(bar);
    }
    if (bar) {
      bar.textContent = message;
      bar.hidden = !message;
    }
  }

  // (status, content type, headers, body bytes) of a request, as a server would answer
  function request(method, path, argument) {
    return new Promise((resolve) => {
      const id = ++next;
      waiting.set(id, resolve);
      worker.postMessage({id, method, path, argument});
    });
  }

  window.purennTransport = {
    status,
    async fetch(path, options = {}) {
      const url = new URL(path, location.href);
      const method = options.method || "GET";
      const argument = method === "POST" ? (options.body || "{}")
        : JSON.stringify(Object.fromEntries(url.searchParams));
      const m = await request(method, url.pathname.replace(/^.*?(\/api\/)/, "/api/"),
                              argument);
      return new Response(m.body, {status: m.status,
                                   headers: {"Content-Type": m.type, ...m.headers}});
    },
  };

  // the page's download links name API paths: fetch them from the worker instead
  document.addEventListener("click", async (event) => {
    const link = event.target.closest && event.target.closest('a[href*="/api/"]');
    if (!link) return;
    event.preventDefault();
    const response = await window.purennTransport.fetch(link.getAttribute("href"));
    if (!response.ok) { announce((await response.json()).error); return; }
    const url = URL.createObjectURL(await response.blob());
    const a = document.createElement("a");
    a.href = url;
    a.download = link.getAttribute("download") || "download";
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  });
  announce("loading Python (Pyodide) and purenn in this page…");
})();
