"""The digits panel: read a digit drawn with the mouse.

The page sends the drawing as gray pixels; ``purenn.data.preprocess.mnist_style`` makes it
an MNIST-style 28x28 sample (20x20 box, centre of mass in the middle) and the network gives
ten probabilities. The network comes from a model file (``--model``), by default the one
shipped with purenn (``purenn.pretrained.DIGITS_READER``: 784-100-10 ReLU trained on full
MNIST, 97.80 % on its test set); or, to watch one learn (``learn``, the page's button), it
is trained here, in a thread, on the MNIST subset bundled with purenn; while it trains,
drawings are read by a copy of its weights taken after each few updates, so the answers
improve as it learns.

For a network of one hidden layer (dense, activation, dense) a reading also says which
hidden units pushed the answer most: unit j adds h_j · W2[j, d] to the score of the digit
d read (h_j its output for this drawing), and its picture is its weights from the 784
pixels, W1[:, j], as 28x28.
"""

import math
import random
import threading
import time

from ..data import mnist
from ..data.preprocess import mnist_style
from . import engine

# Measured here (bundled subset, test accuracy after epochs 1-3): lr 0.005 gave 89.1, 91.3,
# 91.5 % (seed 0) and 89.6, 90.6, 92.1 % (seed 1); Adam's usual lr 0.001 gave 87.1, 88.3,
# 89.6 % and 85.8, 89.2, 89.6 %; 0.002 and 0.003 fell between. The book's two_layer (SGD,
# lr 0.1) has 87.8 % after five epochs.
SPEC = """\
# the playground's digit reader: 784 -> 100 ReLU -> 10, He initial weights, Adam
input 784
dense 100 init=he
relu
dense 10 init=he
loss softmax_cross_entropy
optimizer adam lr=0.005
"""
EPOCHS = 3
BATCH_SIZE = 100
MAX_SIDE = 1000
TOP_UNITS = 6             # the hidden units shown for a reading
COPY_EVERY = 0.5          # seconds between copies of the training weights


class BadDrawing(ValueError):
    """A drawing the panel cannot read; the message says why."""


class DigitReader:
    """The network that reads drawings, and how far its training has got."""

    def __init__(self, model_path=None, *, seed=0, epochs=EPOCHS, train_size=None,
                 learn=False):
        self.lock = threading.Lock()
        self.epochs = epochs
        self.train_size = train_size
        self.seed = seed
        self.thread = None
        self.trainer = None
        self.stop_requested = False
        self.status = {"state": "starting", "source": "", "epoch": 0, "epochs": epochs,
                       "epochs_done": 0, "fraction": 0.0, "test_acc": None, "message": ""}
        self.learning = learn
        self.generation = 0        # counts the runs started, so that an old one stays quiet
        self.model = None
        self.model_path = model_path
        if not learn:
            self._load_model()
            self.reader = self.model
            self.status = dict(self.model_status)
        else:
            self.reader = None

    def _load_model(self):
        """The model file's network (default: the one shipped with purenn)."""
        from ..pretrained import DIGITS_READER
        path = DIGITS_READER if self.model_path is None else self.model_path
        net = engine.load(path)
        check_digit_network(net, path)
        acc = (getattr(net, "training", None) or {}).get("test_acc")
        source = (f"model file {self.model_path}" if self.model_path is not None else
                  "784-100-10 ReLU network shipped with purenn, trained on full MNIST "
                  "(10 epochs, Adam)")
        self.model = net
        self.model_status = dict(
            self.status, state="ready", source=source, fraction=1.0,
            test_acc=acc if isinstance(acc, float) else None, epochs=0)

    def learn(self, on):
        """Watch a network learn (on: train one from scratch in the background and read
        with it) or go back to the model file's network (off)."""
        if on and not self.learning:
            from ..capabilities import IN_PYODIDE
            if IN_PYODIDE:
                raise BadDrawing("watching a network learn trains it in a thread of its "
                                 "own, which a static page cannot start: run 'python3 -m "
                                 "purenn playground --learn'")
            with self.lock:
                self.generation += 1
                self.thread, self.trainer, self.stop_requested = None, None, False
                self.learning = True
                self.reader = None
                self.status.update(state="starting", source="", epoch=0, epochs=self.epochs,
                                   epochs_done=0, fraction=0.0, test_acc=None, message="")
            self.start()
        elif not on and self.learning:
            if self.model is None:
                self._load_model()
            self.close()
            with self.lock:
                self.generation += 1
                self.learning = False
                self.reader = self.model
                self.status = dict(self.model_status)
        return self.state()

    def start(self):
        """Train the bundled-subset network in the background, when watching one learn."""
        if self.learning and self.thread is None:
            self.thread = threading.Thread(target=self._train, args=(self.generation,),
                                           name="purenn-digits", daemon=True)
            self.thread.start()

    def close(self):
        self.stop_requested = True
        if self.trainer is not None:
            self.trainer.stop_requested = True

    def state(self):
        with self.lock:
            return dict(self.status, learning=self.learning)

    def read(self, pixels, width, height):
        """{"image": the 784 bytes the network sees, "probabilities": ten numbers} for a
        drawing of width x height gray values (light ink on black)."""
        for name, value in (("width", width), ("height", height)):
            if isinstance(value, bool) or not isinstance(value, int) \
                    or not 1 <= value <= MAX_SIDE:
                raise BadDrawing(f"{name} must be a whole number from 1 to {MAX_SIDE}, "
                                 f"got {value!r}")
        if len(pixels) != width * height:
            raise BadDrawing(f"a {width}x{height} drawing has {width * height} pixels, "
                             f"got {len(pixels)}")
        image = mnist_style(pixels, width, height, ink="light")
        answer = {"image": list(image), "probabilities": None, "units": None}
        if not any(image):
            return answer
        sample = [list(map(mnist.SCALE.__getitem__, image))]
        with self.lock:
            if self.reader is None:
                return answer
            if one_hidden_layer(self.reader):
                probs, (hidden,) = engine.unit_outputs(self.reader, sample)
                probs = probs[0]
                answer["units"] = pushes(self.reader, hidden[0], probs)
            else:
                probs = engine.probabilities(self.reader, sample)[0]
        answer["probabilities"] = [p if math.isfinite(p) else 0.0 for p in probs]
        return answer

    # -- training in the background -------------------------------------------------------
    def _set(self, generation, **changes):
        """Update the status, unless a newer run (or going back to the model) came since."""
        with self.lock:
            if generation == self.generation:
                self.status.update(changes)

    def _train(self, generation):
        stopped, failed = engine.interrupted_types()
        mine = lambda: generation == self.generation   # noqa: E731 (under the lock)
        try:
            self._set(generation, state="loading", source="loading the bundled MNIST subset")
            train_set, test_set = mnist.load()
            if self.train_size is not None:
                train_set = train_set.head(self.train_size)
            rng = random.Random(self.seed)
            net = engine.build(SPEC, rng)
            reader = engine.build(SPEC, random.Random(self.seed))
            engine.copy_weights(net, reader)
            with self.lock:
                if mine():
                    self.reader = reader
            source = (f"784-100-10 ReLU network with Adam, training on the bundled MNIST "
                      f"subset ({len(train_set):,} images)")
            self._set(generation, state="training", source=source)
            copied, finished = [time.monotonic()], [False]
            total = self.epochs * -(-len(train_set) // BATCH_SIZE)

            def on_update(trainer, loss):
                self._set(generation, fraction=trainer.updates / total, epoch=trainer.epoch + 1)
                if trainer.position >= len(train_set):
                    # an epoch's end: the test accuracy alone (the training set's would
                    # cost five times as much), then the reader gets these weights
                    accuracy = engine.accuracy(net, test_set, trainer)
                    with self.lock:
                        engine.copy_weights(net, reader)
                        if mine():
                            self.status.update(test_acc=accuracy, epoch=trainer.epoch + 1,
                                               epochs_done=trainer.epoch + 1)
                    copied[0] = time.monotonic()
                    if trainer.epoch + 1 == self.epochs:
                        # done: stop before the Trainer's closing pass over the training set
                        finished[0] = True
                        trainer.stop_requested = True
                elif time.monotonic() - copied[0] >= COPY_EVERY:
                    with self.lock:
                        engine.copy_weights(net, reader)
                    copied[0] = time.monotonic()

            self.trainer = engine.trainer(net, train_set, None, batch_size=BATCH_SIZE,
                                          rng=rng, on_update=on_update, on_record=None,
                                          epochs=self.epochs, eval_every=self.epochs + 1)
            with self.lock:
                if self.stop_requested or not mine():
                    return
            try:
                self.trainer.fit()
            except stopped:
                if not finished[0]:
                    raise
            self._set(generation, state="ready", fraction=1.0,
                      source=f"784-100-10 ReLU network with Adam, trained on the bundled "
                             f"MNIST subset ({len(train_set):,} images, {self.epochs} epochs)")
        except stopped:
            self._set(generation, state="stopped")
        except failed as exc:
            self._set(generation, state="error", message=str(exc))
        except Exception as exc:  # a bug: the page shows it, the server goes on
            self._set(generation, state="error",
                      message=f"internal error: {type(exc).__name__}: {exc}")


def one_hidden_layer(net):
    """True for dense, activation, dense: the networks whose units a reading shows."""
    kinds = [getattr(layer, "kind", "") for _, layer in net.layers]
    return (len(kinds) == 3 and kinds[0] == kinds[2] == "dense"
            and kinds[1] in engine.ACTIVATION_KINDS)


def pushes(net, hidden, probs):
    """The TOP_UNITS hidden units with the largest h_j · W2[j, d] for the digit d read:
    [{"unit": j, "push": h_j · W2[j, d], "weights": W1[:, j] as 784 whole numbers
    -100..100, scaled by the largest |W1[i, j]|, "scale": that largest value}]."""
    digit = max(range(len(probs)), key=probs.__getitem__)
    W1, W2 = net.layers[0][1].params["W"], net.layers[2][1].params["W"]
    push = [h * W2[j][digit] for j, h in enumerate(hidden)]
    top = sorted(range(len(push)), key=lambda j: -push[j])[:TOP_UNITS]
    units = []
    for j in top:
        column = [row[j] for row in W1]
        scale = max(map(abs, column)) or 1.0
        units.append({"unit": j, "push": push[j], "digit": digit, "scale": scale,
                      "weights": [int(w / scale * 100 + 100.5) - 100 for w in column]})
    return units


def check_digit_network(net, source):
    """The network must take 784 numbers (28x28) and give 10 scores."""
    features, outputs = math.prod(net.input_shape), math.prod(net.output_shape)
    if features != 784 or outputs != 10:
        from ..errors import PurennError
        raise PurennError(f"{source}: the digits panel needs a network from 784 inputs "
                          f"(28x28 images) to 10 classes; this one maps {features} to "
                          f"{outputs}")
