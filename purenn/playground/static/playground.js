// purenn playground: this page only draws. Every number comes from the purenn server.
"use strict";

const COLORS = [[245, 147, 34], [8, 119, 189], [46, 158, 91]];   // orange, blue, green
const CLASS_NAMES = ["orange", "blue", "green"];
const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
  };
  // a static site (purenn playground --export) answers in a Web Worker, not a server
  const response = await (window.purennTransport || window).fetch(path, options);
  const data = await response.json();
  if (!response.ok) {
    const error = new Error(data.error || response.statusText);
    error.status = response.status;
    throw error;
  }
  return data;
}

// A canvas drawn at the screen's pixel density, with CSS pixels as its units.
function context2d(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth, height = canvas.clientHeight;
  if (!width) return null;   // hidden: drawn when shown
  if (canvas.width !== Math.round(width * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return {ctx, width, height};
}

// a value from -1 to 1 as a colour: orange -1, white 0, blue +1 (as the neuron tiles)
function valueColor(v) {
  const c = v < 0 ? COLORS[0] : COLORS[1], a = Math.min(1, Math.abs(v)) || 0;
  return c.map((ch) => Math.round(255 + (ch - 255) * a));
}

// a regression set (plane, gauss): one output fitted to a number, no classes
const isRegression = (setup) => Boolean(setup) && setup.task === "regression";
const pointColor = (setup, label) => isRegression(setup) ? valueColor(label) : COLORS[label];
const ADD_TARGETS = [-1, 1];   // the targets a click adds on a regression set

const rgb = (c, alpha) => alpha === undefined ? `rgb(${c[0]},${c[1]},${c[2]})`
  : `rgba(${c[0]},${c[1]},${c[2]},${alpha})`;
const fmt = (v, digits = 3) => (v === null || v === undefined) ? "–" : v.toFixed(digits);

// ---------------------------------------------------------------------------------------
// The 2-D panel
// ---------------------------------------------------------------------------------------
const plane = {
  info: null, setup: null, regions: null, regionsVersion: 0, number: 0,
  records: null, running: false, polling: false, custom: null,
  dataset: "circles", hidden: [], resetTimer: null, grid: 50, network: null,
  features: ["x1", "x2"], points: [], addClass: 0,
  // the page's settings are the truth: every change and every reset counts here, and a
  // reset's answer is taken only if nothing changed since it was sent (else a newer one
  // follows, and an older answer would put back the settings of before)
  wanted: 0,
};

function emptyRecords() {
  return {epoch: [], train_loss: [], test_loss: [], train_acc: [], test_acc: []};
}

function readConfig() {
  const config = {
    dataset: plane.dataset, noise: Number($("noise").value), seed: Number($("seed").value),
    batch_size: Number($("batch").value), ratio: Number($("ratio").value),
    features: [...plane.features], points: plane.points.map((p) => [...p]),
  };
  if (plane.custom !== null) return {...config, spec: plane.custom};
  return {...config, hidden: plane.hidden.map((l) => ({...l})), optimizer: $("optimizer").value,
          lr: Number($("lr").value), weight_decay: Number($("weight-decay").value)};
}

async function reset(keepRunning = true) {
  clearTimeout(plane.resetTimer);
  const wanted = ++plane.wanted;
  const wasRunning = plane.running && keepRunning;
  $("plane-error").textContent = "";
  $("spec-error").textContent = "";
  let answer;
  for (;;) {
    try {
      answer = await api("/api/plane/reset", readConfig());
      break;
    } catch (error) {
      if (wanted !== plane.wanted) return;
      if (error.status === 409) { await sleep(200); continue; }   // busy with another reset
      (plane.custom !== null ? $("spec-error") : $("plane-error")).textContent = error.message;
      return;
    }
  }
  if (wanted !== plane.wanted) return;   // changed meanwhile: the newer reset counts
  plane.setup = answer.setup;
  saveHash();
  plane.number = answer.setup.number;
  plane.records = emptyRecords();
  plane.regions = null;
  plane.network = null;
  plane.regionsVersion = 0;
  showSetup();
  applyState(answer.state);
  if (wasRunning) await play();
}

function scheduleReset() {
  plane.wanted++;
  clearTimeout(plane.resetTimer);
  plane.resetTimer = setTimeout(() => reset(), 250);
}

function showSetup() {
  const setup = plane.setup;
  $("spec").value = setup.spec;
  $("apply-spec").disabled = true;
  const classes = setup.classes, regression = isRegression(setup);
  $("output-units").textContent = regression ? "1 value (-1 orange to +1 blue), mean squared error"
    : `${classes} classes (${CLASS_NAMES.slice(0, classes).join(", ")}), softmax`;
  $("test-acc").parentElement.hidden = regression;   // a regression set has no accuracy
  $("regions").setAttribute("aria-label", regression ? "the network's prediction over the plane" : "decision regions");
  if (setup.editor) {
    plane.hidden = setup.editor.hidden.map((l) => ({...l}));
    $("optimizer").value = setup.editor.optimizer;
    $("lr").value = setup.editor.lr;
    $("weight-decay").value = String(setup.editor.weight_decay);
    if (!$("weight-decay").value) addOption($("weight-decay"), setup.editor.weight_decay);
  }
  plane.features = [...setup.features];
  plane.points = setup.config.points.map((p) => [...p]);
  showAddClasses();
  $("input-units").textContent = `${setup.features.length} (${setup.features.map(featureLabel).join(", ")})`;
  buildNetwork();
  const editable = setup.editor !== null;
  $("editor").hidden = !editable;
  $("custom-note").hidden = editable;
  drawEditor();
  $("legend").innerHTML = "";
  if (regression) {
    for (const v of [-1, -0.5, 0, 0.5, 1]) {
      const item = document.createElement("span");
      item.innerHTML = `<span class="dot"></span>${v > 0 ? "+" : ""}${v}`;
      item.firstChild.style.background = rgb(valueColor(v));
      item.firstChild.style.border = "1px solid #b0bec5";
      $("legend").appendChild(item);
    }
    const note = document.createElement("span");
    note.textContent = "prediction and target";
    $("legend").appendChild(note);
  }
  for (let k = 0; k < (classes || 0); k++) {
    const item = document.createElement("span");
    item.innerHTML = `<span class="dot"></span>class ${k}`;
    item.firstChild.style.background = rgb(COLORS[k]);
    $("legend").appendChild(item);
  }
}

function addOption(select, value) {
  const option = document.createElement("option");
  option.textContent = String(value);
  select.appendChild(option);
  select.value = String(value);
}

function applyState(state) {
  if (state.number !== plane.number) return;
  // records continue ours only when they start where ours end (answers may cross)
  if (state.since === plane.records.epoch.length) {
    for (const key of Object.keys(plane.records)) {
      plane.records[key].push(...(state.records[key] || []));   // regression: no accuracy
    }
  }
  const picture = state.regions || state.values;   // class probabilities or predictions
  if (picture) {
    plane.regions = picture;
    plane.grid = state.grid;
    plane.network = state.network || null;
    plane.regionsVersion = state.regions_version;
    drawNetwork();
  }
  plane.running = state.running;
  $("play").classList.toggle("running", state.running);
  $("play-icon").setAttribute("d", state.running ? "M6 5h4v14H6zM14 5h4v14h-4z" : "M8 5v14l11-7z");
  $("play").setAttribute("aria-label", state.running ? "pause" : "start");
  $("epoch").textContent = state.epoch.toLocaleString("en-US");
  $("updates").textContent = state.updates.toLocaleString("en-US");
  $("command").textContent = state.command;
  showDownload(state.epoch);
  $("plane-warning").textContent = state.warning ? `warning: ${state.warning}` : "";
  if (state.error) $("plane-error").textContent = state.error;
  const r = plane.records, last = r.epoch.length - 1;
  $("test-loss").textContent = fmt(r.test_loss[last]);
  $("train-loss").textContent = fmt(r.train_loss[last]);
  const acc = r.test_acc[last];
  $("test-acc").textContent = acc === null || acc === undefined ? "–" : `${(100 * acc).toFixed(1)} %`;
  drawLossCurve();
  drawRegions();
}

// the model file is the network after the last whole epoch, what the command repeats
function showDownload(epoch) {
  const link = $("download-model");
  if (epoch > 0) {
    link.href = "/api/plane/model.safetensors";
    link.removeAttribute("aria-disabled");
    link.textContent = `Download model (epoch ${epoch.toLocaleString("en-US")})`;
  } else {
    link.removeAttribute("href");
    link.setAttribute("aria-disabled", "true");
    link.textContent = "Download model (after an epoch)";
  }
}

async function poll() {
  if (plane.polling) return;
  plane.polling = true;
  try {
    for (;;) {
      const number = plane.number;
      const state = await api(`/api/plane/state?since=${plane.records.epoch.length}` +
                              `&regions=${plane.regionsVersion}`);
      if (number !== plane.number) continue;
      applyState(state);
      if (!state.running) break;
      await sleep(50);    // then ask again: at most ten new pictures a second come
    }
  } catch (error) {
    $("plane-error").textContent = error.message;
  } finally {
    plane.polling = false;
  }
}

async function play() {
  try {
    applyState(await api("/api/plane/run", {}));
    poll();
  } catch (error) {
    $("plane-error").textContent = error.message;
  }
}

async function pause() {
  try {
    applyState(await api("/api/plane/pause", {}));
    await refresh();
  } catch (error) {
    $("plane-error").textContent = error.message;
  }
}

async function step() {
  try {
    await api("/api/plane/step", {updates: 1});
    await refresh();
  } catch (error) {
    $("plane-error").textContent = error.message;
  }
}

// the records and regions the page does not have yet
async function refresh() {
  applyState(await api(`/api/plane/state?since=${plane.records.epoch.length}` +
                       `&regions=${plane.regionsVersion}`));
}

function drawEditor() {
  const box = $("hidden-layers");
  box.innerHTML = "";
  plane.hidden.forEach((layer, i) => {
    const row = document.createElement("div");
    row.className = "layer";
    row.innerHTML = `<span class="layer-name">hidden ${i + 1}</span>
      <input type="number" min="1" max="${plane.info.max_units}" step="1" aria-label="units of hidden layer ${i + 1}">
      <select aria-label="activation of hidden layer ${i + 1}"></select>
      <span class="neurons"></span>
      <button class="plain remove" title="remove this layer">&times;</button>`;
    const [units, activation] = [row.querySelector("input"), row.querySelector("select")];
    units.value = layer.units;
    for (const name of plane.info.activations) addOption(activation, name);
    activation.value = layer.activation;
    const neurons = row.querySelector(".neurons");
    for (let n = 0; n < Math.min(layer.units, 32); n++) {
      const dot = document.createElement("span");
      dot.className = "neuron";
      neurons.appendChild(dot);
    }
    units.addEventListener("change", () => {
      const value = Math.round(Number(units.value));
      if (!(value >= 1 && value <= plane.info.max_units)) { units.value = layer.units; return; }
      layer.units = value;
      editorChanged();
    });
    activation.addEventListener("change", () => { layer.activation = activation.value; editorChanged(); });
    row.querySelector(".remove").addEventListener("click", () => {
      plane.hidden.splice(i, 1);
      editorChanged();
    });
    box.appendChild(row);
  });
  $("add-layer").disabled = plane.hidden.length >= plane.info.max_layers;
}

function editorChanged() {
  plane.custom = null;
  drawEditor();
  scheduleReset();
}

// -- the whole state in the URL (after #: never sent to the server) -----------------------
const MAX_HASH = 2000;

function stateToHash() {
  const config = readConfig();
  const fields = {
    dataset: config.dataset, noise: config.noise, seed: config.seed, ratio: config.ratio,
    features: config.features.join(","), batch: config.batch_size,
  };
  if (config.points.length) fields.points = config.points.map((p) => p.join(":")).join(";");
  if (plane.custom === null) {
    Object.assign(fields, {
      hidden: config.hidden.map((l) => `${l.units}${l.activation}`).join("-"),
      optimizer: config.optimizer, lr: config.lr, wd: config.weight_decay,
    });
  }
  if ($("discretize").checked) fields.discretize = 1;
  if ($("show-test").checked) fields.test = 1;
  return "#" + new URLSearchParams(fields).toString();
}

function saveHash() {
  history.replaceState(null, "", stateToHash());
}

// The settings a link asks for, each checked as the server would; a field that is not
// understood keeps its default and is named in the message.
function readHash(defaults) {
  const info = plane.info, wrong = [];
  const text = location.hash.slice(1);
  const settings = {};
  if (!text) return {settings, wrong};
  if (text.length > MAX_HASH) return {settings, wrong: [`the link's settings (${text.length} characters)`]};
  let fields;
  try { fields = new URLSearchParams(text); } catch (error) { return {settings, wrong: ["the link's settings"]}; }
  const known = ["dataset", "noise", "seed", "ratio", "features", "batch", "hidden", "optimizer",
                 "lr", "wd", "discretize", "test", "points"];
  for (const key of fields.keys()) if (!known.includes(key)) wrong.push(String(key).slice(0, 30));
  const number = (key, low, high, whole) => {
    if (!fields.has(key)) return undefined;
    const raw = fields.get(key), value = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(value) || value < low || value > high ||
        (whole && !Number.isInteger(value))) { wrong.push(`${key}=${raw.slice(0, 30)}`); return undefined; }
    return value;
  };
  const choice = (key, options) => {
    if (!fields.has(key)) return undefined;
    const raw = fields.get(key);
    if (!options.includes(raw)) { wrong.push(`${key}=${raw.slice(0, 30)}`); return undefined; }
    return raw;
  };
  settings.dataset = choice("dataset", info.datasets);
  settings.noise = number("noise", 0, 0.5, false);
  settings.seed = number("seed", 0, 2147483647, true);
  settings.ratio = number("ratio", info.ratio_range[0], info.ratio_range[1], true);
  if (settings.ratio !== undefined && settings.ratio % 10) { wrong.push(`ratio=${settings.ratio}`); settings.ratio = undefined; }
  settings.batch = number("batch", 1, 300, true);
  settings.optimizer = choice("optimizer", info.optimizers);
  settings.lr = number("lr", 0.00001, 10, false);
  settings.wd = number("wd", 0, 1, false);
  settings.discretize = number("discretize", 0, 1, true);
  settings.test = number("test", 0, 1, true);
  if (fields.has("features")) {
    const names = fields.get("features").split(",");
    if (names.length && names.length <= info.features.length && new Set(names).size === names.length &&
        names.every((n) => info.features.includes(n))) {
      settings.features = info.features.filter((n) => names.includes(n));
    } else wrong.push(`features=${fields.get("features").slice(0, 30)}`);
  }
  if (fields.has("points")) {
    const raw = fields.get("points");
    const name = settings.dataset || info.defaults.dataset;
    const classes = info.classes[name], regression = info.regression.includes(name);
    const points = raw.split(";").map((part) => {
      const [x, y, k] = part.split(":").map(Number);
      const ok = part.split(":").length === 3 && [x, y].every((v) => Number.isFinite(v) && Math.abs(v) <= 10) &&
        (regression ? Number.isFinite(k) && Math.abs(k) <= 1 : Number.isInteger(k) && k >= 0 && k < classes);
      return ok ? [x, y, k] : null;
    });
    if (points.length <= MAX_POINTS && points.every((p) => p !== null)) settings.points = points;
    else wrong.push(`points=${raw.slice(0, 30)}`);
  }
  if (fields.has("hidden")) {
    const raw = fields.get("hidden");
    const parts = raw === "" ? [] : raw.split("-");
    const layers = parts.map((part) => {
      const match = /^([0-9]{1,3})([a-z]{1,10})$/.exec(part);
      if (!match) return null;
      const units = Number(match[1]);
      if (units < 1 || units > info.max_units || !info.activations.includes(match[2])) return null;
      return {units, activation: match[2]};
    });
    if (parts.length <= info.max_layers && layers.every((l) => l !== null)) settings.hidden = layers;
    else wrong.push(`hidden=${raw.slice(0, 30)}`);
  }
  return {settings, wrong};
}

function applyHash(defaults) {
  const {settings, wrong} = readHash(defaults);
  if (settings.dataset) chooseDataset(settings.dataset);
  if (settings.noise !== undefined) setNoise(settings.noise);
  if (settings.seed !== undefined) $("seed").value = settings.seed;
  if (settings.ratio !== undefined) setRatio(settings.ratio);
  if (settings.batch !== undefined) $("batch").value = settings.batch;
  if (settings.optimizer) $("optimizer").value = settings.optimizer;
  if (settings.lr !== undefined) $("lr").value = settings.lr;
  if (settings.wd !== undefined) {
    $("weight-decay").value = String(settings.wd);
    if (!$("weight-decay").value) addOption($("weight-decay"), settings.wd);
  }
  if (settings.features) plane.features = settings.features;
  if (settings.hidden) plane.hidden = settings.hidden;
  if (settings.points) plane.points = settings.points;
  $("discretize").checked = settings.discretize === 1;
  $("show-test").checked = settings.test === 1;
  const note = $("url-note");
  note.hidden = wrong.length === 0;
  note.textContent = wrong.length ? `The link asked for settings this page does not know or allow ` +
    `(${wrong.slice(0, 5).join("; ")}${wrong.length > 5 ? "; ..." : ""}): the defaults are used for those.` : "";
}

async function copyLink() {
  saveHash();
  const link = location.href;
  try {
    await navigator.clipboard.writeText(link);
    $("link-status").textContent = "copied";
  } catch (error) {   // no clipboard (an insecure page, a browser that asks): show it
    $("link-status").textContent = link;
  }
  $("copy-link").dataset.link = link;
}

// -- the network view: each unit's output over the plane, and the weights as links --------
const FEATURE_LABELS = {x1: "x\u2081", x2: "x\u2082", "x1^2": "x\u2081\u00b2", "x2^2": "x\u2082\u00b2",
                        x1x2: "x\u2081x\u2082", sin_x1: "sin x\u2081", sin_x2: "sin x\u2082"};
const featureLabel = (name) => FEATURE_LABELS[name] || name;
// the SVG namespace, taken from the page's own svg element (a name, never fetched)
const svgElement = (name) => document.createElementNS($("net-links").namespaceURI, name);

function toggleFeature(name) {
  const on = plane.features.includes(name);
  if (on && plane.features.length === 1) return;   // at least one input
  plane.features = on ? plane.features.filter((f) => f !== name)
    : plane.info.features.filter((f) => f === name || plane.features.includes(f));
  if (plane.custom !== null) plane.custom = null;   // the editor writes the new input
  buildNetwork();
  scheduleReset();
}

// the places of the tiles: one column per layer, inputs first (all features), output last
function networkLayout() {
  const setup = plane.setup, view = $("net-view");
  const hidden = setup.drawn ? setup.editor.hidden.map((l) => l.units) : [];
  const columns = [plane.info.features.length, ...hidden, setup.classes || 1];
  const width = Math.max(200, view.clientWidth);
  const most = Math.max(...columns);
  const tile = Math.max(14, Math.min(30, Math.floor((width - 30) / (2 * columns.length)),
                                     most > 8 ? 22 : 30));
  const gap = tile > 20 ? 8 : 5, top = 4, label = 52;
  const step = columns.length > 1 ? (width - label - tile - 4) / (columns.length - 1) : 0;
  const place = (c, k) => {
    const offset = (most - columns[c]) * (tile + gap) / 2;
    return [label + c * step, top + offset + k * (tile + gap)];
  };
  return {columns, tile, gap, width, height: top * 2 + most * (tile + gap), place};
}

function buildNetwork() {
  const setup = plane.setup, view = $("net-view");
  if (!setup || !view.clientWidth) return;
  for (const old of view.querySelectorAll(".unit, .feature, .out-unit, .net-note")) old.remove();
  const layout = networkLayout();
  plane.layout = layout;
  view.style.height = `${layout.height}px`;
  const links = $("net-links");
  links.setAttribute("width", layout.width);
  links.setAttribute("height", layout.height);
  links.innerHTML = "";   // made again by drawNetwork, at the new places
  const {tile} = layout;
  plane.info.features.forEach((name, k) => {
    const [x, y] = layout.place(0, k);
    const button = document.createElement("button");
    const on = plane.features.includes(name);
    button.className = "feature" + (on ? " on" : "");
    button.dataset.name = name;
    button.setAttribute("aria-pressed", String(on));
    button.title = on ? `${name}: used; click to leave it out` : `${name}: click to use it`;
    button.style.left = "0px";
    button.style.width = `${x + tile}px`;
    button.style.top = `${y}px`;
    button.innerHTML = `<span>${featureLabel(name)}</span><canvas class="tile"></canvas>`;
    const canvas = button.querySelector("canvas");
    canvas.style.width = canvas.style.height = `${tile}px`;
    button.addEventListener("click", () => toggleFeature(name));
    button.addEventListener("mouseenter", () => hover(on ? `input ${name}: its value over the plane` : `${name} is not used`));
    view.appendChild(button);
  });
  if (!setup.drawn) {
    const note = document.createElement("div");
    note.className = "net-note hint";
    note.textContent = setup.editor === null ? "The view draws the editor's networks (dense layers and activations)."
      : `The view draws layers of at most ${setup.max_drawn_units} units.`;
    note.style.left = `${layout.place(1, 0)[0] - 20}px`;
    note.style.top = "20px";
    view.appendChild(note);
    return;
  }
  setup.editor.hidden.forEach((layer, l) => {
    for (let k = 0; k < layer.units; k++) {
      const [x, y] = layout.place(l + 1, k);
      const canvas = document.createElement("canvas");
      canvas.className = "unit tile";
      canvas.dataset.layer = l + 1;
      canvas.dataset.unit = k;
      canvas.style.left = `${x}px`;
      canvas.style.top = `${y}px`;
      canvas.style.width = canvas.style.height = `${tile}px`;
      canvas.addEventListener("mouseenter", () => {
        const b = plane.network ? plane.network.biases[l][k] : null;
        hover(`hidden ${l + 1}, unit ${k + 1} (${layer.activation}): bias ${b === null ? "–" : b.toFixed(4)}`);
      });
      view.appendChild(canvas);
    }
  });
  const regression = isRegression(setup);
  for (let k = 0; k < (setup.classes || 1); k++) {
    const [x, y] = layout.place(layout.columns.length - 1, k);
    const dot = document.createElement("div");
    dot.className = "out-unit";
    dot.style.left = `${x}px`;
    dot.style.top = `${y}px`;
    dot.style.width = dot.style.height = `${tile}px`;
    dot.style.background = regression ? "linear-gradient(90deg, rgb(245,147,34), #fff, rgb(8,119,189))"
      : rgb(COLORS[k]);
    dot.title = regression ? "output: the predicted value" : `class ${k}`;
    dot.addEventListener("mouseenter", () => {
      const b = plane.network ? plane.network.biases[plane.network.biases.length - 1][k] : null;
      const what = regression ? "the predicted value" : `class ${k} (${CLASS_NAMES[k]}) score`;
      hover(`output: ${what}, bias ${b === null ? "–" : b.toFixed(4)}`);
    });
    view.appendChild(dot);
  }
}

function hover(text) { $("net-hover").textContent = text; }

function tileImage(canvas, values, size) {
  const ratio = window.devicePixelRatio || 1;
  const px = Math.round(canvas.clientWidth * ratio) || size;
  if (canvas.width !== px) { canvas.width = px; canvas.height = px; }
  const small = document.createElement("canvas");
  small.width = small.height = size;
  const sctx = small.getContext("2d");
  const image = sctx.createImageData(size, size);
  for (let i = 0; i < size * size; i++) {
    const v = values[i] / 100, c = v < 0 ? COLORS[0] : COLORS[1], a = Math.abs(v);
    for (let ch = 0; ch < 3; ch++) image.data[i * 4 + ch] = 255 + (c[ch] - 255) * a;
    image.data[i * 4 + 3] = 255;
  }
  sctx.putImageData(image, 0, 0);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
}

function drawNetwork() {
  const setup = plane.setup, net = plane.network, layout = plane.layout;
  if (!setup || !layout || !net || !setup.drawn) return;
  const view = $("net-view");
  setup.features.forEach((name, i) => {
    const canvas = view.querySelector(`.feature[data-name="${name}"] canvas`);
    if (canvas) tileImage(canvas, net.tiles[0][i], net.tile);
  });
  for (const canvas of view.querySelectorAll(".unit")) {
    const values = net.tiles[Number(canvas.dataset.layer)][Number(canvas.dataset.unit)];
    if (values) tileImage(canvas, values, net.tile);
  }
  // the links: from each used input or unit to each unit of the next layer; made once
  // per network, then only their weights change
  const links = $("net-links");
  const count = net.weights.reduce((n, W) => n + W.length * W[0].length, 0);
  if (links.childElementCount !== count) makeLinks(net);
  let n = 0;
  for (const W of net.weights) {
    for (const row of W) {
      for (const w of row) {
        const path = links.children[n++];
        path.setAttribute("stroke", rgb(w < 0 ? COLORS[0] : COLORS[1]));
        path.setAttribute("stroke-width", Math.max(0.5, Math.min(6, Math.abs(w) * 3)).toFixed(2));
        path.setAttribute("stroke-opacity", Math.min(1, 0.25 + Math.abs(w)).toFixed(2));
        path.dataset.weight = w;
        path.firstChild.textContent = `${path.dataset.name}: ${w.toFixed(4)}`;
      }
    }
  }
}

function makeLinks(net) {
  const setup = plane.setup, links = $("net-links");
  const {tile, place} = plane.layout;
  links.innerHTML = "";
  const names = (l, i) => l === 0 ? `input ${setup.features[i]}`
    : l === net.weights.length ? (isRegression(setup) ? "the output" : `class ${i}`)
      : `hidden ${l} unit ${i + 1}`;
  net.weights.forEach((W, l) => {
    W.forEach((row, i) => {
      const from = l === 0 ? plane.info.features.indexOf(setup.features[i]) : i;
      const [x0, y0] = place(l, from);
      row.forEach((w, j) => {
        const [x1, y1] = place(l + 1, j);
        const path = svgElement("path");
        const ax = x0 + tile, ay = y0 + tile / 2, bx = x1, by = y1 + tile / 2, mx = (ax + bx) / 2;
        path.setAttribute("d", `M${ax},${ay} C${mx},${ay} ${mx},${by} ${bx},${by}`);
        path.setAttribute("class", "link");
        path.dataset.name = `weight from ${names(l, i)} to ${names(l + 1, j)}`;
        path.appendChild(svgElement("title"));
        path.addEventListener("mouseenter", () => hover(path.firstChild.textContent));
        links.appendChild(path);
      });
    });
  });
}

// -- pictures ---------------------------------------------------------------------------
function drawLossCurve() {
  if (!plane.records) return;   // before the first run's answer
  const drawing = context2d($("loss-curve"));
  if (!drawing) return;
  const {ctx, width, height} = drawing;
  ctx.clearRect(0, 0, width, height);
  const r = plane.records;
  const values = r.train_loss.concat(r.test_loss).filter((v) => v !== null);
  const top = Math.max(0.1, ...values) * 1.08;
  const last = Math.max(1, r.epoch[r.epoch.length - 1] || 0);
  const left = 38, bottom = height - 18, right = width - 6;
  ctx.strokeStyle = "#dde3e6";
  ctx.fillStyle = "#6b7b83";
  ctx.font = "12px Helvetica, Arial, sans-serif";
  ctx.lineWidth = 1;
  for (const v of [0, top / 2, top]) {
    const y = bottom - (v / top) * (bottom - 6);
    ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(right, y); ctx.stroke();
    ctx.fillText(v.toFixed(2), 2, y + 4);
  }
  ctx.fillText("epoch 0", left, height - 3);
  const label = `epoch ${last.toLocaleString("en-US")}`;
  ctx.fillText(label, right - ctx.measureText(label).width, height - 3);
  const line = (series, color, widthPx) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = widthPx;
    ctx.beginPath();
    let started = false;
    for (let i = 0; i < series.length; i++) {
      if (series[i] === null) continue;
      const x = left + (r.epoch[i] / last) * (right - left);
      const y = bottom - (series[i] / top) * (bottom - 6);
      if (started) ctx.lineTo(x, y); else ctx.moveTo(x, y);
      started = true;
    }
    ctx.stroke();
  };
  line(r.train_loss, "#9aa7ad", 2);
  line(r.test_loss, "#263238", 2);
}

function regionImage(regions, grid, classes, discrete) {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = grid;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(grid, grid);
  for (let cell = 0; cell < grid * grid; cell++) {
    let mixed = [0, 0, 0], best = 0, total = 0;
    for (let k = 0; k < classes; k++) {
      const p = regions[cell * classes + k] / 255;
      total += p;
      best = Math.max(best, p);
      for (let c = 0; c < 3; c++) mixed[c] += p * COLORS[k][c];
    }
    mixed = mixed.map((v) => v / (total || 1));
    if (discrete) {   // the class the network would answer, at one strength
      let top = 0;
      for (let k = 1; k < classes; k++) if (regions[cell * classes + k] > regions[cell * classes + top]) top = k;
      mixed = COLORS[top];
    }
    const confidence = Math.max(0, (best - 1 / classes) / (1 - 1 / classes));
    const strength = discrete ? 0.55 : 0.1 + 0.62 * confidence;
    for (let c = 0; c < 3; c++) image.data[cell * 4 + c] = 255 + (mixed[c] - 255) * strength;
    image.data[cell * 4 + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}

// a regression network's prediction over the plane: -100..100 per cell, as a colour map
function valueImage(values, grid, discrete) {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = grid;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(grid, grid);
  for (let cell = 0; cell < grid * grid; cell++) {
    let v = values[cell] / 100;
    if (discrete) v = Math.round(v * 4) / 4;   // in steps of 0.25
    const color = valueColor(v);
    for (let c = 0; c < 3; c++) image.data[cell * 4 + c] = color[c];
    image.data[cell * 4 + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}

function drawRegions() {
  const setup = plane.setup;
  if (!setup) return;
  const drawing = context2d($("regions"));
  if (!drawing) return;
  const {ctx, width, height} = drawing;
  ctx.clearRect(0, 0, width, height);
  if (plane.regions) {
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    const discrete = $("discretize").checked;
    ctx.drawImage(isRegression(setup) ? valueImage(plane.regions, plane.grid, discrete)
      : regionImage(plane.regions, plane.grid, setup.classes, discrete), 0, 0, width, height);
  }
  const [x0, x1, y0, y1] = setup.extent;
  const px = (x) => ((x - x0) / (x1 - x0)) * width;
  const py = (y) => ((y1 - y) / (y1 - y0)) * height;
  // axes through 0 and a few ticks, faint
  ctx.strokeStyle = "rgba(38,50,56,0.18)";
  ctx.lineWidth = 1;
  ctx.beginPath(); ctx.moveTo(px(0), 0); ctx.lineTo(px(0), height);
  ctx.moveTo(0, py(0)); ctx.lineTo(width, py(0)); ctx.stroke();
  ctx.fillStyle = "rgba(38,50,56,0.55)";
  ctx.font = "12px Helvetica, Arial, sans-serif";
  for (const t of [-1, 1]) {
    ctx.fillText(String(t), px(t) - 4, height - 4);
    ctx.fillText(String(t), 4, py(t) + 4);
  }
  const dots = (points, test) => {
    for (const [x, y, label] of points) {
      ctx.beginPath();
      ctx.arc(px(x), py(y), 4, 0, 2 * Math.PI);
      ctx.fillStyle = rgb(pointColor(setup, label));
      ctx.fill();
      ctx.lineWidth = test ? 1.6 : 1;
      // a regression point's white (target 0) needs a dark ring on a white plane
      ctx.strokeStyle = test ? "#111" : isRegression(setup) ? "#546e7a" : "#fff";
      ctx.stroke();
    }
  };
  dots(setup.train, false);
  // the points added by clicking: the last ones of the training set, ringed
  const added = setup.config.points.length;
  for (const [x, y] of setup.train.slice(setup.train.length - added)) {
    ctx.beginPath();
    ctx.arc(px(x), py(y), 7, 0, 2 * Math.PI);
    ctx.lineWidth = 2;
    ctx.strokeStyle = "#263238";
    ctx.stroke();
  }
  if ($("show-test").checked) dots(setup.test, true);
}

function drawPreview(canvas, points, regression) {
  const drawing = context2d(canvas);
  if (!drawing) return;
  const {ctx, width, height} = drawing;
  ctx.fillStyle = "#fafafa";
  ctx.fillRect(0, 0, width, height);
  const half = Math.max(...points.map(([x, y]) => Math.max(Math.abs(x), Math.abs(y)))) * 1.1;
  for (const [x, y, label] of points) {
    ctx.fillStyle = rgb(regression ? valueColor(label) : COLORS[label]);
    ctx.beginPath();
    ctx.arc((x / half + 1) * width / 2, (1 - y / half) * height / 2, 1.8, 0, 2 * Math.PI);
    ctx.fill();
  }
}

function chooseDataset(name) {
  if (name !== plane.dataset) plane.points = [];   // points of another data set's classes
  plane.dataset = name;
  for (const button of document.querySelectorAll(".dataset")) {
    button.classList.toggle("active", button.dataset.name === name);
  }
  setNoise(plane.info.noise[name]);
}

const MAX_POINTS = 100;

// a click on the plane adds a point of the chosen class to the training set: a new run
function addPoint(event) {
  const setup = plane.setup;
  if (!setup) return;
  if (plane.points.length >= MAX_POINTS) {
    $("plane-error").textContent = `at most ${MAX_POINTS} added points`;
    return;
  }
  const box = $("regions").getBoundingClientRect();
  const [x0, x1, y0, y1] = setup.extent;
  const round = (v) => Math.round(v * 100) / 100;
  const x = round(x0 + (event.clientX - box.left) / box.width * (x1 - x0));
  const y = round(y1 - (event.clientY - box.top) / box.height * (y1 - y0));
  plane.points.push([x, y, isRegression(setup) ? ADD_TARGETS[Math.min(plane.addClass, 1)]
    : Math.min(plane.addClass, setup.classes - 1)]);
  $("clear-points").disabled = false;
  scheduleReset();
}

function showAddClasses() {
  const box = $("add-classes"), regression = isRegression(plane.setup);
  const classes = regression ? ADD_TARGETS.length : plane.setup ? plane.setup.classes : 2;
  if (plane.addClass >= classes) plane.addClass = 0;
  box.innerHTML = "";
  for (let k = 0; k < classes; k++) {
    const button = document.createElement("button");
    button.className = "plain add-class";
    button.dataset.class = k;
    button.setAttribute("aria-pressed", String(k === plane.addClass));
    const target = ADD_TARGETS[k];
    button.innerHTML = `<span class="dot"></span>` + (regression ? `target ${target > 0 ? "+" : ""}${target}` : `class ${k}`);
    button.firstChild.style.background = rgb(regression ? valueColor(target) : COLORS[k]);
    button.addEventListener("click", () => { plane.addClass = k; showAddClasses(); });
    box.appendChild(button);
  }
  $("clear-points").disabled = plane.points.length === 0;
}

function setRatio(value) {
  $("ratio").value = value;
  $("ratio-value").textContent = `${value} %`;
}

function setNoise(value) {
  $("noise").value = value;
  $("noise-value").textContent = Number(value).toFixed(2);
}

async function startPlane() {
  plane.info = await api("/api/info");
  const info = plane.info;
  for (const name of info.optimizers) addOption($("optimizer"), name);
  const defaults = info.defaults;
  $("optimizer").value = defaults.optimizer;
  $("lr").value = defaults.lr;
  $("weight-decay").value = String(defaults.weight_decay);
  $("batch").value = defaults.batch_size;
  $("seed").value = defaults.seed;
  plane.hidden = defaults.hidden.map((l) => ({...l}));
  for (const name of info.datasets) {
    const button = document.createElement("button");
    button.className = "dataset";
    button.dataset.name = name;
    button.innerHTML = `<canvas width="72" height="72"></canvas><span>${name}</span>`;
    button.addEventListener("click", () => { chooseDataset(name); scheduleReset(); });
    $("datasets").appendChild(button);
    drawPreview(button.querySelector("canvas"), info.previews[name], info.regression.includes(name));
  }
  chooseDataset(defaults.dataset);
  setRatio(defaults.ratio);
  plane.features = [...defaults.features];
  applyHash(defaults);
  $("copy-link").addEventListener("click", copyLink);
  window.addEventListener("hashchange", () => {
    if (location.hash === stateToHash()) return;   // our own
    applyHash(defaults);
    plane.custom = null;
    scheduleReset();
  });
  $("noise").addEventListener("input", () => setNoise($("noise").value));
  $("noise").addEventListener("change", scheduleReset);
  for (const id of ["seed", "batch"]) $(id).addEventListener("change", scheduleReset);
  for (const id of ["optimizer", "lr", "weight-decay"]) {
    $(id).addEventListener("change", () => { plane.custom = null; scheduleReset(); });
  }
  $("new-seed").addEventListener("click", () => {
    $("seed").value = Math.floor(Math.random() * 100000);
    scheduleReset();
  });
  $("add-layer").addEventListener("click", () => {
    const last = plane.hidden[plane.hidden.length - 1];
    plane.hidden.push(last ? {...last} : {units: 4, activation: "tanh"});
    editorChanged();
  });
  $("spec").addEventListener("input", () => { $("apply-spec").disabled = false; });
  $("apply-spec").addEventListener("click", () => { plane.custom = $("spec").value; reset(); });
  $("back-to-editor").addEventListener("click", () => {
    plane.custom = null;
    plane.hidden = defaults.hidden.map((l) => ({...l}));
    reset();
  });
  $("play").addEventListener("click", () => (plane.running ? pause() : play()));
  $("step").addEventListener("click", step);
  $("reset").addEventListener("click", () => reset(false));
  $("show-test").addEventListener("change", () => { drawRegions(); saveHash(); });
  $("discretize").addEventListener("change", () => { drawRegions(); saveHash(); });
  $("regions").addEventListener("click", addPoint);
  $("clear-points").addEventListener("click", () => { plane.points = []; scheduleReset(); });
  $("ratio").addEventListener("input", () => setRatio($("ratio").value));
  $("ratio").addEventListener("change", scheduleReset);
  window.addEventListener("resize", () => { buildNetwork(); drawNetwork(); });
  await reset(false);
}

// ---------------------------------------------------------------------------------------
// The digits panel
// ---------------------------------------------------------------------------------------
const digits = {drawing: false, dirty: false, inFlight: false, lastSent: 0, hasInk: false,
                timer: null, statusTimer: null, lastState: ""};

function setupPad() {
  const pad = $("pad");
  const ctx = pad.getContext("2d", {willReadFrequently: true});
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.strokeStyle = "#ffffff";
  ctx.lineWidth = 26;
  const at = (event) => {
    const box = pad.getBoundingClientRect();
    return [(event.clientX - box.left) * pad.width / box.width,
            (event.clientY - box.top) * pad.height / box.height];
  };
  pad.addEventListener("pointerdown", (event) => {
    pad.setPointerCapture(event.pointerId);
    digits.drawing = true;
    const [x, y] = at(event);
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + 0.01, y);
    ctx.stroke();
    digits.hasInk = true;
    scheduleRead();
  });
  pad.addEventListener("pointermove", (event) => {
    if (!digits.drawing) return;
    const [x, y] = at(event);
    ctx.lineTo(x, y);
    ctx.stroke();
    scheduleRead();
  });
  const end = () => { if (digits.drawing) { digits.drawing = false; scheduleRead(true); } };
  pad.addEventListener("pointerup", end);
  pad.addEventListener("pointercancel", end);
  $("clear").addEventListener("click", () => {
    ctx.clearRect(0, 0, pad.width, pad.height);
    digits.hasInk = false;
    showAnswer({image: null, probabilities: null});
  });
}

// read while drawing, at most about ten times a second, one request at a time
function scheduleRead(now) {
  digits.dirty = true;
  clearTimeout(digits.timer);
  const wait = now ? 0 : Math.max(0, 100 - (performance.now() - digits.lastSent));
  digits.timer = setTimeout(readDrawing, wait);
}

function base64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
  }
  return btoa(text);
}

async function readDrawing() {
  if (digits.inFlight) { digits.timer = setTimeout(readDrawing, 30); return; }
  if (!digits.dirty || !digits.hasInk) return;
  digits.dirty = false;
  digits.inFlight = true;
  digits.lastSent = performance.now();
  const pad = $("pad");
  const rgba = pad.getContext("2d").getImageData(0, 0, pad.width, pad.height).data;
  const ink = new Uint8Array(pad.width * pad.height);
  for (let i = 0; i < ink.length; i++) ink[i] = rgba[i * 4 + 3];
  try {
    const answer = await api("/api/digits/read",
                             {width: pad.width, height: pad.height, pixels: base64(ink)});
    if (digits.hasInk) showAnswer(answer);
    showModel(answer.state);
  } catch (error) {
    $("model-status").textContent = error.message;
  } finally {
    digits.inFlight = false;
  }
}

function showAnswer(answer) {
  digits.answer = answer;
  const drawing = context2d($("seen"));
  if (!drawing) return;
  const {ctx, width, height} = drawing;
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, width, height);
  if (answer.image) {
    const small = document.createElement("canvas");
    small.width = small.height = 28;
    const sctx = small.getContext("2d");
    const image = sctx.createImageData(28, 28);
    answer.image.forEach((v, i) => {
      image.data.set([v, v, v, 255], i * 4);
    });
    sctx.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(small, 0, 0, width, height);
  }
  showUnits(answer.units || []);
  const probs = answer.probabilities;
  const best = probs ? probs.indexOf(Math.max(...probs)) : -1;
  $("digit").textContent = best >= 0 ? String(best) : "?";
  $("confidence").textContent = best >= 0 ? `${(100 * probs[best]).toFixed(1)} % sure` : "";
  for (let d = 0; d < 10; d++) {
    const p = probs ? probs[d] : 0;
    $(`bar-${d}`).style.width = `${(100 * p).toFixed(1)}%`;
    $(`bar-${d}`).parentElement.classList.toggle("top", d === best);
    $(`value-${d}`).textContent = probs ? `${(100 * p).toFixed(1)} %` : "";
  }
}

// each unit's weights from the 784 pixels as a 28x28 picture (-100..100: orange..blue)
function showUnits(units) {
  const box = $("units");
  while (box.children.length > units.length) box.lastChild.remove();
  while (box.children.length < units.length) {
    box.insertAdjacentHTML("beforeend",
      `<figure class="unit-card"><canvas width="28" height="28"></canvas><figcaption></figcaption></figure>`);
  }
  units.forEach((unit, n) => {
    const card = box.children[n];
    const canvas = card.querySelector("canvas");
    const ctx = canvas.getContext("2d");
    const image = ctx.createImageData(28, 28);
    unit.weights.forEach((w, i) => {
      const v = w / 100, c = v < 0 ? COLORS[0] : COLORS[1], a = Math.abs(v);
      image.data.set([255 + (c[0] - 255) * a, 255 + (c[1] - 255) * a, 255 + (c[2] - 255) * a, 255], i * 4);
    });
    ctx.putImageData(image, 0, 0);
    card.querySelector("figcaption").textContent = `unit ${unit.unit + 1}: ${unit.push >= 0 ? "+" : ""}${unit.push.toFixed(2)}`;
    card.title = `hidden unit ${unit.unit + 1} added ${unit.push.toFixed(3)} to the score of ${unit.digit}; ` +
      `its largest weight is ${unit.scale.toFixed(3)}`;
  });
}

// The model's state, from a poll or a switch: answers can arrive out of order (a poll
// sent before "Back to the trained reader" may answer after it), so an answer to an older
// request than one already shown is dropped (null), never drawn over a newer one.
let modelAsked = 0, modelShown = 0;
async function modelState(path, body) {
  const asked = ++modelAsked;
  const state = await api(path, body);
  if (asked < modelShown) return null;
  modelShown = asked;
  return state;
}

async function toggleLearn() {
  const on = $("learn").getAttribute("aria-pressed") !== "true";
  try {
    const state = await modelState("/api/digits/learn", {learn: on});
    if (state) showModel(state);
    if (on) watchModel();
    if (digits.hasInk) scheduleRead(true);
  } catch (error) {
    $("model-status").textContent = error.message;
  }
}

function showModel(state) {
  $("learn").setAttribute("aria-pressed", String(Boolean(state.learning)));
  $("learn").textContent = state.learning ? "Back to the trained reader" : "Watch one learn";
  $("model-source").textContent = `Model: ${state.source}`;
  $("model-progress").style.width = `${(100 * state.fraction).toFixed(1)}%`;
  let text = "";
  if (state.state === "training") text = `training: epoch ${state.epoch} of ${state.epochs}`;
  else if (state.state === "loading") text = "loading the data...";
  else if (state.state === "ready") text = "ready";
  else if (state.state === "error") text = `training failed: ${state.message}`;
  if (state.test_acc !== null && state.test_acc !== undefined) {
    text += ` · test accuracy ${(100 * state.test_acc).toFixed(1)} %`;
  }
  $("model-status").textContent = text;
  // a better model arrived: read the drawing again with it
  const key = `${state.state}/${state.epoch}/${state.test_acc}`;
  if (key !== digits.lastState && digits.hasInk) scheduleRead(true);
  digits.lastState = key;
  return state.state === "ready" || state.state === "error";
}

async function watchModel() {
  for (;;) {
    try {
      const state = await modelState("/api/digits/state");
      if (state && showModel(state)) return;
    } catch (error) {
      $("model-status").textContent = error.message;
    }
    await sleep(700);
  }
}

function startDigits() {
  const bars = $("bars");
  for (let d = 0; d < 10; d++) {
    bars.insertAdjacentHTML("beforeend",
      `<span>${d}</span><div class="bar"><div id="bar-${d}"></div></div>` +
      `<span class="value" id="value-${d}"></span>`);
  }
  setupPad();
  $("learn").addEventListener("click", toggleLearn);
  showAnswer({image: null, probabilities: null});
  watchModel();
}

function showTab(name) {
  for (const tab of ["plane", "digits"]) {
    $(`panel-${tab}`).hidden = tab !== name;
    $(`tab-${tab}`).classList.toggle("active", tab === name);
    $(`tab-${tab}`).setAttribute("aria-selected", String(tab === name));
  }
  if (name === "plane") { drawLossCurve(); drawRegions(); }
  else showAnswer(digits.answer || {image: null, probabilities: null});
}

window.addEventListener("DOMContentLoaded", () => {
  $("tab-plane").addEventListener("click", () => showTab("plane"));
  $("tab-digits").addEventListener("click", () => showTab("digits"));
  startDigits();
  startPlane().catch((error) => { $("plane-error").textContent = error.message; });
});
