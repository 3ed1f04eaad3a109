"""The 2-D panel: a network learning to separate points in the plane, step by step.

A ``PlaneSession`` holds one run: the data (``purenn.data.planar``), the network its spec
builds, and a Trainer running ``purenn train``'s epoch schedule in a thread of its own. It
draws everything from one ``random.Random(seed)`` in the order ``purenn train`` does
(training set, test set, weights, then each epoch's shuffle), so a run here and
``purenn train --dataset D --noise X --seed S --batch-size B --spec playground.net``
produce the same numbers.

A regression set (plane, gauss: a number in [−1, 1] to fit at each point) gets a
one-output network with ``loss mean_squared_error``; its picture is the network's
prediction over the plane (``values``: −100..100 for −1..1) instead of class
probabilities, and its records hold the training and test loss, no accuracy.

All work on the network happens in the training thread: after every update it stops at a
safe point (``_safe_point``) where it refreshes the picture of the decision regions now and
then, and waits while the session is paused. The HTTP threads only read snapshots.

Every run has a work budget, checked before anything is computed: a network may cost at
most ``MAX_ROW_NUMBERS`` numbers per input row (parameters, buffers and every layer's
output), which bounds the time of each pass over the data, the region grid and the
test set; and at most ``MAX_HELD`` layer outputs are held at once (a training batch times
the widest layer; the grid and the data sets are evaluated in chunks of that size).

The model file is the network after the last whole epoch, kept at each epoch's end, so
that the command the page shows (``--epochs E``) makes the same file bit for bit even
when the run is paused in the middle of an epoch.
"""

import math
import random
import threading
import time

from ..data import planar
from ..registry import kind_of
from . import engine

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
GRID = 50                 # decision regions when paused: GRID x GRID points
RUNNING_GRID = 25         # ... and while training, four times fewer (see benchmarks/playground.py)
TILE_GRID = 25            # each unit's output over the plane: at most TILE_GRID x TILE_GRID
MAX_DRAWN_UNITS = 16      # the network view draws layers of at most this many units
REGIONS_EVERY = 0.1       # seconds between pictures of the regions while training, or
REGIONS_SHARE = 0.25      # ... longer, so that they take at most this share of the time
MAX_HIDDEN_LAYERS = 6
MAX_UNITS = 64
MAX_SPEC_CHARS = 20000
MAX_STEP = 100000
# the work budget of a run (measured on a shared 2-core machine: the editor's largest
# network, 6 x 64 tanh with 21,187 parameters, costs about 22,000 numbers per row and sets
# up in about 6 s; a network at the limit in about 10 s)
MAX_ROW_NUMBERS = 32768   # parameters, buffers and layer outputs per input row
MAX_HELD = 1 << 20        # layer outputs held at once: rows x the widest layer
MAX_STEP_WORK = 2 * 10 ** 7   # numbers one step request may go through: updates x rows
                              # x numbers per row (about 20 s here, at worst)
DEFAULTS = {"dataset": "circles", "noise": None, "seed": 0, "batch_size": 10,
            "ratio": 50, "features": list(planar.POINT), "points": [],
            "hidden": [{"units": 8, "activation": "tanh"}, {"units": 8, "activation": "tanh"}],
            "optimizer": "sgd", "lr": 0.1, "weight_decay": 0.0, "spec": None}


class BadRequest(ValueError):
    """A request the session cannot follow; the message says which field and why."""


def _number(config, key, low, high, kind=float):
    value = config[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadRequest(f"{key} must be a number, got {value!r}")
    # the range first: int() of nan or inf raises, and of 1e300 makes a 300-digit number
    if not (math.isfinite(value) and low <= value <= high):
        raise BadRequest(f"{key} must be between {low} and {high}, got {value!r}")
    if kind is int and value != int(value):
        raise BadRequest(f"{key} must be a whole number, got {value!r}")
    return kind(value)


def check_config(raw, optimizers):
    """The settings of a run from the page's JSON, defaults filled in; BadRequest naming
    the field on a bad value."""
    if not isinstance(raw, dict):
        raise BadRequest(f"the settings must be a JSON object, got {raw!r}")
    unknown = sorted(set(raw) - set(DEFAULTS))
    if unknown:
        raise BadRequest(f"unknown setting {unknown[0]!r} (known: {', '.join(DEFAULTS)})")
    config = {**DEFAULTS, **{k: v for k, v in raw.items() if v is not None}}
    if config["dataset"] not in planar.NAMES:
        raise BadRequest(f"dataset must be one of {', '.join(planar.NAMES)}, got "
                         f"{config['dataset']!r}")
    if config["noise"] is None:
        config["noise"] = planar.DEFAULT_NOISE[config["dataset"]]
    config["noise"] = _number(config, "noise", 0.0, 1.0)
    config["seed"] = _number(config, "seed", 0, 2 ** 31 - 1, int)
    config["ratio"] = _number(config, "ratio", *planar.RATIO_RANGE, int)
    features = config["features"]
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise BadRequest(f"features must be a list of names, got {features!r}")
    try:
        config["features"] = list(planar.check_features(features[:len(planar.FEATURES) + 1]))
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    points = config["points"]
    if not isinstance(points, list):
        raise BadRequest(f"points must be a list of [x, y, class], got {points!r}")
    try:
        config["points"] = [list(p) for p in planar.check_added(
            points[:planar.MAX_ADDED + 1], planar.CLASSES[config["dataset"]])]
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    config["batch_size"] = _number(config, "batch_size", 1, 1000, int)
    config["lr"] = _number(config, "lr", 1e-6, 10.0)
    config["weight_decay"] = _number(config, "weight_decay", 0.0, 1.0)
    if config["optimizer"] not in optimizers:
        raise BadRequest(f"optimizer must be one of {', '.join(optimizers)}, got "
                         f"{config['optimizer']!r}")
    hidden = config["hidden"]
    if not isinstance(hidden, list) or len(hidden) > MAX_HIDDEN_LAYERS:
        raise BadRequest(f"hidden must be a list of at most {MAX_HIDDEN_LAYERS} layers, "
                         f"got {hidden!r}")
    checked = []
    for i, layer in enumerate(hidden, 1):
        if not isinstance(layer, dict) or set(layer) != {"units", "activation"}:
            raise BadRequest(f"hidden layer {i} must be {{\"units\": N, \"activation\": A}}, "
                             f"got {layer!r}")
        units = _number(layer, "units", 1, MAX_UNITS, int)
        if layer["activation"] not in ACTIVATIONS:
            raise BadRequest(f"hidden layer {i}: activation must be one of "
                             f"{', '.join(ACTIVATIONS)}, got {layer['activation']!r}")
        checked.append({"units": units, "activation": layer["activation"]})
    config["hidden"] = checked
    spec = config["spec"]
    if spec is not None and (not isinstance(spec, str) or len(spec) > MAX_SPEC_CHARS):
        raise BadRequest(f"spec must be text of at most {MAX_SPEC_CHARS} characters")
    return config


def command_line(config, epochs):
    """The ``purenn train`` command that repeats this run for ``epochs`` epochs."""
    extra = ""
    if config["ratio"] != 50:
        extra += f" --ratio {config['ratio']}"
    if config["features"] != list(planar.POINT):
        extra += f" --features {','.join(config['features'])}"
    for x, y, label in config["points"]:
        extra += f" --add-point={x!r},{y!r},{label}"   # "=": x may be negative
    return (f"python3 -m purenn train --spec playground.net --dataset {config['dataset']} "
            f"--noise {config['noise']!r}{extra} --seed {config['seed']} "
            f"--batch-size {config['batch_size']} --epochs {max(epochs, 1)}")


def spec_text(config, classes):
    """The spec of the network the editor describes, with how to repeat the run; for a
    regression set (``classes`` None) one output and loss mean_squared_error."""
    lines = [f"# purenn playground: {config['dataset']}, noise {config['noise']!r}, "
             f"seed {config['seed']}, batch size {config['batch_size']}",
             "# the same run on the command line (this file saved as playground.net):",
             "#   " + command_line(config, 100),
             f"input {len(config['features'])}"]
    for layer in config["hidden"]:
        init = "he" if layer["activation"] == "relu" else "xavier"
        lines.append(f"dense {layer['units']} init={init}")
        if layer["activation"] != "linear":
            lines.append(layer["activation"])
    lines.append(f"dense {classes or 1} init=xavier")
    decay = config["weight_decay"]
    loss = "softmax_cross_entropy" if classes else "mean_squared_error"
    lines.append(f"loss {loss}" + (f" weight_decay={decay!r}" if decay else ""))
    lines.append(f"optimizer {config['optimizer']} lr={config['lr']!r}")
    return "\n".join(lines) + "\n"


def editor_fields(net):
    """The editor's hidden layers, optimizer, lr and weight decay for a network, or None
    when the network is more than dense layers and activations the editor can show."""
    hidden, layers = [], [layer for _, layer in net.layers]
    kinds = [kind_of(layer, "purenn.layers") for layer in layers]
    i = 0
    while i < len(layers) - 1:
        if kinds[i] != "dense":
            return None
        activation = "linear"
        if i + 1 < len(layers) - 1 and kinds[i + 1] in ACTIVATIONS:
            activation = kinds[i + 1]
        hidden.append({"units": layers[i].units, "activation": activation})
        i += 1 if activation == "linear" else 2
    if i != len(layers) - 1 or kinds[-1] != "dense" or len(hidden) > MAX_HIDDEN_LAYERS:
        return None
    return {"hidden": hidden, "optimizer": net.optimizer.kind,
            "lr": net.optimizer.config.get("lr"), "weight_decay": net.weight_decay}


def previews(points=120):
    """A few points of each data set (seed 0, default noise) for the page's thumbnails."""
    shown = {}
    for name in planar.NAMES:
        data = planar.make(name, random.Random(0))
        every = max(1, len(data) // points) | 1  # odd: xor alternates quadrants
        indices = range(0, len(data), every)
        shown[name] = [[round(a, 3), round(b, 3), _label(data.labels[i])]
                       for i, (a, b) in zip(indices, data.x(indices))]
    return shown


def _label(value):
    """A class as it is, a regression target rounded for the page."""
    return value if isinstance(value, int) else round(value, 4)


def _finite(value):
    return value if math.isfinite(value) else None


def build_network(spec, rng, config, classes):
    """(the run's network, the numbers one input row costs it, the rows one pass may take
    at once); BadRequest when the spec is wrong or the network is past the work budget."""
    try:
        net = engine.build(spec, rng, max_params=MAX_ROW_NUMBERS,
                           limit_note="the playground's limit (its work budget)")
    except engine.interrupted_types()[1] as exc:
        raise BadRequest(str(exc)) from None
    features = config["features"]
    if tuple(net.input_shape) != (len(features),):
        raise BadRequest(f"the spec's input must be {len(features)} (the features "
                         f"{', '.join(features)}), got {'x'.join(map(str, net.input_shape))}")
    if classes is None:
        if math.prod(net.output_shape) != 1 or not getattr(net.loss_layer, "regression",
                                                            False):
            raise BadRequest(f"{config['dataset']} is a regression set: the spec's last "
                             f"layer must have 1 unit and its loss be mean_squared_error, "
                             f"got {math.prod(net.output_shape)} units and loss "
                             f"{kind_of(net.loss_layer, 'purenn.losses')}")
    elif math.prod(net.output_shape) != classes:
        raise BadRequest(f"the spec's last layer must have {classes} units, one per "
                         f"class of {config['dataset']}, got {math.prod(net.output_shape)}")
    per_row, widest = engine.numbers_per_row(net)
    if per_row > MAX_ROW_NUMBERS:
        raise BadRequest(f"the network costs {per_row:,} numbers per input row (parameters "
                         f"and layer outputs); the playground's work budget is "
                         f"{MAX_ROW_NUMBERS:,}: use fewer or narrower layers")
    batch = config["batch_size"]
    if batch * widest > MAX_HELD:
        raise BadRequest(f"batch_size {batch} x the widest layer's {widest:,} outputs is "
                         f"{batch * widest:,} numbers at once; the playground holds at most "
                         f"{MAX_HELD:,}: a smaller batch or narrower layers")
    return net, per_row, max(1, MAX_HELD // widest)


class PlaneSession:
    """One run of the 2-D panel. ``run``/``pause``/``step``/``close`` steer it, ``state``
    reads it; all are safe to call from any thread."""

    def __init__(self, config, optimizers, number=1):
        self.config = config = check_config(config, optimizers)
        self.number = number
        rng = random.Random(config["seed"])
        # the points, for drawing, and the network's input columns computed from them
        self.train_points, self.test_points = planar.generate(
            config["dataset"], rng, config["noise"], config["ratio"],
            added=config["points"])
        self.train_set, self.test_set = (planar.with_features(data, config["features"])
                                         for data in (self.train_points, self.test_points))
        classes = self.train_set.num_classes
        self.custom = config["spec"] is not None
        self.spec = config["spec"] if self.custom else spec_text(config, classes)
        self.net, self.per_row, self.chunk = build_network(self.spec, rng, config, classes)
        self.editor = editor_fields(self.net)
        self.trainer = engine.trainer(self.net, self.train_set, self.test_set,
                                      batch_size=config["batch_size"], rng=rng,
                                      on_update=self._on_update, on_record=self._on_record,
                                      eval_batch_size=self.chunk, warn=self._on_warning)
        self.extent = self._extent()
        self.grids = {size: planar.featurize(self._cells(size), config["features"])
                      for size in (GRID, RUNNING_GRID)}
        self.drawn = self.editor is not None and all(
            layer["units"] <= MAX_DRAWN_UNITS for layer in self.editor["hidden"])
        self.cond = threading.Condition()
        self.budget = 0            # updates left before pausing; None: run until paused
        self.paused = True
        self.closed = False
        self.finished = False
        self.error = None
        self.warning = None
        self.thread = None
        self.updates = 0
        self.regression = classes is None
        train_acc, test_acc = (None, None) if self.regression else self.trainer.measure()
        self.records = {"epoch": [0],
                        "train_loss": [_finite(engine.mean_loss(self.net, self.train_set,
                                                                self.chunk))],
                        "test_loss": [_finite(engine.mean_loss(self.net, self.test_set,
                                                               self.chunk))],
                        "train_acc": [train_acc], "test_acc": [test_acc]}
        if self.regression:    # no accuracy: the losses say how well it fits
            del self.records["train_acc"], self.records["test_acc"]
        self.picture, self.regions_version, self.regions_updates = self._picture(GRID), 1, 0
        self.last_picture, self.picture_seconds = time.monotonic(), 0.0
        # the network after the last whole epoch: what the model file holds
        self.saved = engine.build(self.spec, random.Random(0))
        self.saved_epoch, self.saved_updates = 0, 0
        self.saved_lock = threading.Lock()

    # -- steering (any thread) ------------------------------------------------------------
    def run(self):
        with self.cond:
            self._allow(None)

    def pause(self):
        with self.cond:
            if self.budget != 0:
                self.budget = 0
            self.cond.wait_for(lambda: self.paused or self.finished, timeout=10)

    def step(self, updates=1, timeout=60.0):
        """Do ``updates`` more updates, then pause; returns when they are done."""
        self.check_step(updates)
        with self.cond:
            target = self.updates + updates
            self._allow(updates)
            self.cond.wait_for(lambda: self.finished or (self.paused and self.budget == 0
                                                         and self.updates >= target),
                               timeout=timeout)

    def check_step(self, updates):
        """BadRequest unless ``updates`` is a whole number of updates one request may do."""
        if isinstance(updates, bool) or not isinstance(updates, int) \
                or not 1 <= updates <= MAX_STEP:
            raise BadRequest(f"updates must be a whole number from 1 to {MAX_STEP}, "
                             f"got {updates!r}")
        # an update's rows, and its share of an epoch's measures (training set once,
        # test set twice: accuracy and loss; a regression set's are losses, the same work)
        rows = min(self.config["batch_size"], len(self.train_set)) + \
            (len(self.train_set) + 2 * len(self.test_set)) // self.trainer.batches_per_epoch
        if updates * rows * self.per_row > MAX_STEP_WORK:
            most = max(1, MAX_STEP_WORK // (rows * self.per_row))
            raise BadRequest(f"updates {updates:,} is more work than one request may do "
                             f"with this network and batch: at most {most:,} (press run "
                             f"to train on until paused)")

    def close(self):
        with self.cond:
            self.closed = True
            self.trainer.stop_requested = True
            self.cond.notify_all()

    def _allow(self, budget):
        if self.finished or self.closed:
            return
        self.budget = budget
        self.paused = False
        if self.thread is None:
            self.thread = threading.Thread(target=self._train, name="purenn-plane",
                                           daemon=True)
            self.thread.start()
        self.cond.notify_all()

    # -- reading (any thread) -------------------------------------------------------------
    def setup(self):
        """What does not change during the run: settings, spec, points, view."""
        def points(data):
            x = data.x(range(len(data)))
            return [[round(a, 4), round(b, 4), _label(data.labels[i])]
                    for i, (a, b) in enumerate(x)]
        return {"number": self.number, "config": self.config, "spec": self.spec,
                "custom": self.custom, "editor": self.editor,
                "classes": self.train_set.num_classes, "extent": self.extent, "grid": GRID,
                "task": self.train_set.task,
                "features": self.config["features"], "drawn": self.drawn,
                "max_drawn_units": MAX_DRAWN_UNITS,
                "batches_per_epoch": self.trainer.batches_per_epoch,
                "train": points(self.train_points), "test": points(self.test_points),
                "summary": self.net.summary()}

    def state(self, since=0, regions_seen=0):
        """Progress since record ``since``; the regions if newer than ``regions_seen``."""
        with self.cond:
            records = {k: v[since:] for k, v in self.records.items()}
            epoch = self.records["epoch"][-1]
            state = {"number": self.number, "updates": self.updates,
                     "epoch": epoch, "since": since, "records": records,
                     "running": self.budget != 0 and not self.finished,
                     "error": self.error, "warning": self.warning,
                     "command": command_line(self.config, epoch),
                     "regions_version": self.regions_version}
            if self.regions_version > regions_seen:
                state.update(self.picture)
        return state

    def model_file(self):
        """(epoch, bytes of the model file of the network after that epoch, the last
        whole one); epoch 0 and no bytes before the first epoch has ended."""
        with self.saved_lock:
            epoch, updates = self.saved_epoch, self.saved_updates
            if epoch == 0:
                return 0, None
            config = self.config
            training = {"dataset": config["dataset"], "noise": config["noise"],
                        "seed": config["seed"], "batch_size": config["batch_size"],
                        "updates": updates, "epochs": epoch, "source": "purenn playground",
                        "command": command_line(config, epoch)}
            return epoch, engine.model_bytes(self.saved, training)

    # -- the training thread --------------------------------------------------------------
    def _train(self):
        try:
            self._fit()
        finally:
            with self.cond:
                self.finished = self.paused = True
                self.budget = 0
                self.cond.notify_all()

    def _fit(self):
        """Train until the schedule ends, training fails (``error`` says why) or a stop is
        requested; True for a stop (training can go on with another ``_fit``)."""
        stopped, failed = engine.interrupted_types()
        try:
            self.trainer.fit()
        except stopped:
            return True
        except failed as exc:
            with self.cond:
                self.error = str(exc)
        except ArithmeticError as exc:     # overflow in the loss or an update
            with self.cond:
                self.error = (f"the numbers grew too large at update {self.updates + 1} "
                              f"({type(exc).__name__}: {exc}); the learning rate "
                              f"(lr={self.net.optimizer.config.get('lr')!r}) is probably too "
                              f"large")
        except Exception as exc:  # a bug: the page shows it, the server goes on
            with self.cond:
                self.error = f"internal error: {type(exc).__name__}: {exc}"
        return False

    def _on_update(self, trainer, loss):
        with self.cond:
            self.updates = trainer.updates
            if self.budget:
                self.budget -= 1
        if trainer.position < len(self.train_set):
            self._safe_point()
        # else the epoch's record follows and _on_record stops there

    def _on_record(self, trainer):
        history = trainer.history
        test_loss = engine.mean_loss(self.net, self.test_set)
        with self.cond:
            r = self.records
            r["epoch"].append(history.epoch[-1])
            r["train_loss"].append(_finite(history.train_loss[-1]))
            r["test_loss"].append(_finite(test_loss))
            if not self.regression:
                r["train_acc"].append(history.train_acc[-1])
                r["test_acc"].append(history.test_acc[-1])
        with self.saved_lock:
            engine.copy_weights(self.net, self.saved)
            self.saved_epoch, self.saved_updates = history.epoch[-1], trainer.updates
        # the Trainer keeps every update's loss; a run left going for an hour would pile up
        # millions, and the page plots epochs (the first stays: divergence is judged by it)
        del history.iteration_loss[1:]
        self._safe_point()

    def _on_warning(self, message):
        with self.cond:
            self.warning = message

    def _safe_point(self):
        with self.cond:
            pausing = self.budget == 0 or self.closed
        self._picture_if_due(pausing)
        while True:
            with self.cond:
                # a pause that came during a coarse picture still ends on a full one: the
                # check and the wait under one lock
                stopping = self.budget == 0 and not self.closed
                if not (stopping and self._picture_stale()):
                    while self.budget == 0 and not self.closed:
                        self.paused = True
                        self.cond.notify_all()
                        self.cond.wait()
                    self.paused = False
                    if self.closed:
                        self.trainer.stop_requested = True
                    return
            self._draw(GRID)

    def _picture_stale(self):
        return self.regions_updates != self.updates or self.picture["grid"] != GRID

    def _picture_if_due(self, pausing):
        """A new picture when pausing (the full GRID, unless it is current) or, while
        training, a coarse one (RUNNING_GRID) when due: every REGIONS_EVERY seconds at
        least, and at most REGIONS_SHARE of the time."""
        if pausing:
            if self._picture_stale():
                self._draw(GRID)
            return
        due = time.monotonic() - self.last_picture >= max(
            REGIONS_EVERY, self.picture_seconds * (1 - REGIONS_SHARE) / REGIONS_SHARE)
        if due and self.regions_updates != self.updates:
            started = time.monotonic()
            self._draw(RUNNING_GRID)
            self.last_picture = time.monotonic()
            self.picture_seconds = self.last_picture - started

    def _draw(self, grid):
        picture = self._picture(grid)
        with self.cond:
            self.picture, self.regions_updates = picture, self.updates
            self.regions_version += 1

    # -- pictures -------------------------------------------------------------------------
    def _extent(self):
        values = [abs(v) for data in (self.train_points, self.test_points)
                  for row in data.x(range(len(data))) for v in row]
        half = max(values) * 1.1 if values else 1.0
        return [-half, half, -half, half]

    def _cells(self, grid):
        x0, x1, y0, y1 = self.extent
        step_x, step_y = (x1 - x0) / grid, (y1 - y0) / grid
        return [[x0 + (i + 0.5) * step_x, y1 - (j + 0.5) * step_y]
                for j in range(grid) for i in range(grid)]

    def _picture(self, grid):
        """The regions over a grid x grid picture of the plane: each cell's class
        probabilities as 0-255, row by row from the top (for a regression set ``values``
        instead: each cell's prediction clipped to [−1, 1] as −100..100); with ``network`` (when the
        network is drawn) each input's and hidden unit's value over the plane, the
        weights and the biases."""
        rows = self.grids[grid]
        if not self.drawn:
            probs = engine.probabilities(self.net, rows, self.chunk)
            return {"grid": grid, **self._regions(probs)}
        probs, outputs = engine.unit_outputs(self.net, rows, self.chunk)
        every = max(1, -(-grid // TILE_GRID))
        kept = [j * grid + i for j in range(0, grid, every) for i in range(0, grid, every)]
        tiles = [[_tile(column) for column in zip(*[layer[k] for k in kept])]
                 for layer in [rows] + outputs]
        dense = [layer for _, layer in self.net.layers if getattr(layer, "kind", "") == "dense"]
        network = {"tile": len(range(0, grid, every)), "tiles": tiles,
                   "weights": [[[round(w, 4) for w in row] for row in layer.params["W"]]
                               for layer in dense],
                   "biases": [[round(b, 4) for b in layer.params["b"]] for layer in dense]}
        return {"grid": grid, **self._regions(probs), "network": network}

    def _regions(self, probs):
        if self.regression:
            return {"values": _tile(row[0] for row in probs)}
        return {"regions": _bytes(probs)}


def _bytes(probs):
    # nan fails both comparisons: 0
    return [int(p * 255 + 0.5) if 0.0 <= p <= 1.0 else (255 if p > 1.0 else 0)
            for row in probs for p in row]


def _tile(values):
    """A unit's values clipped to [-1, 1], as whole numbers -100..100 (nan: 0)."""
    return [int(v * 100 + 100.5) - 100 if -1.0 <= v <= 1.0 else (100 if v > 1.0 else
            -100 if v < -1.0 else 0) for v in values]
