"""A fuzzing campaign against what purenn builds and resumes from: specs, model files and
checkpoints. Only PurennError may escape, no case may hang, none may blow up memory.

The readers' own campaign (tests/fuzz/readers.py) covers the formats; this one goes past
them, through everything that trusts a file's contents:

- ``spec``: spec text -> ``purenn.build`` -> one training update on a tiny batch and a
  prediction (extreme hyperparameters must end in a PurennError or finite numbers);
- ``model``: a model file -> ``purenn.load`` -> a prediction;
- ``checkpoint``: a checkpoint -> ``load_checkpoint`` -> ``Checkpoint.build`` -> a Trainer
  on data of the checkpoint's size -> ``restore`` -> training on to the next record.

Inputs: structure-aware generation (spec lines from every built-in layer, loss and
optimizer with arguments drawn from edge values: 0, -0.0, 5e-324, 1e-320, 1e308, the
largest float, huge and negative integers, NaN and inf words, wrong types), and
mutation of valid seeds at three levels: the JSON of the trainer state and run settings
(a value replaced by an edge value or another type, a key dropped or added, lists cut,
grown or nested), the tensors (a value made NaN, inf or negative, a shape or dtype
changed, a tensor dropped, renamed or added) and the bytes (flips, insertions,
deletions, truncation). Case ``i`` of reader ``r`` under ``--seed s`` is made by
``random.Random(f"{r}:{s}:{i}")`` alone, so ``--reader r --start i --cases 1`` replays it.

Per case: a time limit (``--case-seconds``, a timer signal) and the growth of the peak
resident memory (VmHWM, reset between cases) against 4x the input's bytes + 50 MB; the
spec limit is set to 10^5 numbers (PURENN_MAX_PARAMETERS) so that a spec the limit allows
is still cheap to build here. Linux only (/proc).

    PYTHONPATH=. python tests/fuzz/specs_checkpoints.py --cases 1000000
    PYTHONPATH=. python tests/fuzz/specs_checkpoints.py --reader spec --start 4711 --cases 1

The readers take turns, ``--batch`` cases each. After every batch it prints the reader's
figures so far as a JSON line, and all of them at the end:
cases, refused (PurennError), accepted, crashes, hangs, blow-ups, the slowest case, the
largest memory growth, and the first findings (index and error).
"""

import argparse
import functools
import json
import math
import os
import random
import signal
import struct
import sys
import tempfile
import time
import traceback

os.environ.setdefault("PURENN_MAX_PARAMETERS", str(10 ** 5))

import purenn  # noqa: E402
from purenn import registry  # noqa: E402
from purenn.checkpoint import load_checkpoint, save_checkpoint, signed  # noqa: E402
from purenn.data.dataset import Dataset  # noqa: E402
from purenn.errors import PurennError  # noqa: E402
from purenn.formats import safetensors  # noqa: E402
from purenn.formats.tensor import Tensor  # noqa: E402
from purenn.train import Trainer  # noqa: E402

# harness.py beside this file, also when the tests load this file by its path
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import MB  # noqa: E402

INTS = [0, 1, 2, 3, 7, 10, 100, 1000, 65536, 10 ** 6, 10 ** 7, 2 ** 31, 2 ** 32 + 1,
        2 ** 53 + 1, 2 ** 63, 2 ** 64, -1, -2 ** 31, 10 ** 30]
FLOATS = [0.0, -0.0, 5e-324, 1e-320, 1e-300, 1e-8, 0.5, 0.9999999999999999, 1.0, 2.0,
          1e20, 1e154, 1e300, 1e308, 1.7976931348623157e308, -1.0, -1e308]
WORDS = ["nan", "inf", "-inf", "1e999", "true", "false", "he", "xavier", "normal", "x",
         "9" * 400, "1x1", "0x0", "-", "=", "#"]
OPTIMIZER_ARGS = ["lr", "momentum", "eps", "decay_rate", "beta1", "beta2", "weight_decay"]
LAYER_ARGS = {"dense": ["units", "init", "std"], "dropout": ["ratio", "inverted"],
              "batchnorm": ["momentum", "eps"]}


# -- generation -------------------------------------------------------------------------
def some_value(rng):
    pick = rng.random()
    if pick < 0.35:
        return str(rng.choice(INTS))
    if pick < 0.75:
        return repr(rng.choice(FLOATS))
    return rng.choice(WORDS)


def gen_spec(rng):
    """A spec text with every part drawn from the built-ins and every value from the
    edge values; mostly well-formed, so that building and training are reached."""
    layers = registry.names("purenn.layers")
    width = rng.choice([1, 2, 3, 5, 8])
    lines = [f"input {rng.choice([str(width), '1x2x2', str(rng.choice(INTS)), 'x'])}"]
    for _ in range(rng.randrange(0, 5)):
        kind = rng.choice(layers)
        words = [kind]
        if kind == "dense":
            words.append(str(rng.choice([1, 2, 3, 4, 10, rng.choice(INTS)])))
        for arg in LAYER_ARGS.get(kind, []):
            if rng.random() < 0.4:
                words.append(f"{arg}={some_value(rng)}")
        if rng.random() < 0.05:
            words.append(f"name={rng.choice(['a', 'dense1', '1x', 'x' * 300])}")
        lines.append(" ".join(words))
    lines.append(f"dense {rng.choice([2, 3])}")
    loss = rng.choice(registry.names("purenn.losses"))
    extra = ""
    if loss == "multiclass_svm" and rng.random() < 0.7:
        extra = f" margin={some_value(rng)}"
    if rng.random() < 0.3:
        extra += f" weight_decay={some_value(rng)}"
    lines.append(f"loss {loss}{extra}")
    if rng.random() < 0.9:
        words = ["optimizer", rng.choice(registry.names("purenn.optimizers"))]
        for arg in rng.sample(OPTIMIZER_ARGS, rng.randrange(0, 3)):
            words.append(f"{arg}={some_value(rng)}")
        lines.append(" ".join(words))
    return "\n".join(lines) + "\n"


def mutate_lines(rng, text):
    lines = text.splitlines()
    for _ in range(rng.randrange(1, 4)):
        op = rng.randrange(5)
        i = rng.randrange(len(lines)) if lines else 0
        if op == 0 and lines:
            del lines[i]
        elif op == 1 and lines:
            lines.insert(rng.randrange(len(lines) + 1), lines[i])
        elif op == 2 and lines:
            words = lines[i].split() or ["x"]
            j = rng.randrange(len(words))
            key, eq, _ = words[j].partition("=")
            words[j] = f"{key}={some_value(rng)}" if eq else some_value(rng)
            lines[i] = " ".join(words)
        elif op == 3 and len(lines) > 1:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        else:
            lines.insert(rng.randrange(len(lines) + 1), " ".join(
                some_value(rng) for _ in range(rng.randrange(1, 4))))
    return "\n".join(lines) + "\n"


def mutate_bytes(rng, data):
    data = bytearray(data)
    for _ in range(rng.randrange(1, 6)):
        op = rng.randrange(5)
        i = rng.randrange(len(data) + 1)
        if op == 0 and data:
            data[min(i, len(data) - 1)] ^= 1 << rng.randrange(8)
        elif op == 1:
            data[i:i] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
        elif op == 2:
            del data[i:i + rng.randrange(1, 64)]
        elif op == 3 and data:
            data[min(i, len(data) - 1)] = rng.choice([0, 1, 0x7F, 0x80, 0xFF, ord("{")])
        else:
            del data[i:]
    return bytes(data)


def edge_json(rng, depth=0):
    pick = rng.random()
    if pick < 0.3:
        return rng.choice(INTS)
    if pick < 0.55:
        return rng.choice(FLOATS + [math.nan, math.inf])
    if pick < 0.65:
        return rng.choice([None, True, False, "", "epochs", "iterations", "x" * 1000])
    if pick < 0.8 and depth < 3:
        return [edge_json(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    if pick < 0.9 and depth < 3:
        return {rng.choice(["tensor", "a", "epoch"]): edge_json(rng, depth + 1)}
    return [[[[[[[]]]]]]] if rng.random() < 0.5 else "[" * 50


def paths_of(value, prefix=()):
    """Every (path, value) inside nested dicts and lists (lists sampled, not walked)."""
    yield prefix, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths_of(item, prefix + (key,))
    elif isinstance(value, list) and value:
        for i in {0, len(value) - 1, len(value) // 2}:
            yield from paths_of(value[i], prefix + (i,))


def mutate_json(rng, value):
    """One structural change of a JSON value: a value replaced, a key dropped or added, a
    list cut, grown or nested; returns the new value."""
    paths = list(paths_of(value))
    path, target = rng.choice(paths)
    op = rng.randrange(6)
    if not path or op == 0:
        replacement = edge_json(rng)
    elif op == 1 and isinstance(target, list):
        replacement = target[:rng.randrange(len(target) + 1)]
    elif op == 2 and isinstance(target, list):
        replacement = target + target[:rng.randrange(1, 4)] if target else [edge_json(rng)]
    elif op == 3 and isinstance(target, (int, float)) and not isinstance(target, bool):
        replacement = rng.choice([target + 1, target - 1, -target, target * 2 ** 40,
                                  float(target), str(target)])
    elif op == 4:
        replacement = [target]
    else:
        replacement = None
    if not path:
        return replacement
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    if replacement is None and isinstance(parent, dict) and rng.random() < 0.5:
        del parent[path[-1]]
    elif isinstance(parent, dict) and rng.random() < 0.1:
        parent[rng.choice(["extra", "version", "net_rng"])] = edge_json(rng)
    else:
        parent[path[-1]] = replacement
    return value


def mutate_tensors(rng, tensors):
    name = rng.choice(list(tensors))
    shape, values, dtype = tensors[name]
    op = rng.randrange(7)
    if op == 0 and values:
        values = list(values)
        values[rng.randrange(len(values))] = rng.choice(
            [math.nan, math.inf, -math.inf, -1.0, -1e-300, 1e308, -0.0])
        tensors[name] = Tensor(shape, values, dtype)
    elif op == 1:
        del tensors[name]
    elif op == 2:
        tensors[rng.choice(["x", name + "x", "optimizer/v/" + name])] = tensors.pop(name)
    elif op == 3 and shape:
        tensors[name] = Tensor(tuple(reversed(shape)) if len(shape) > 1 else (shape[0] + 1,),
                               list(values) + [0.0] * (len(shape) == 1), dtype)
    elif op == 4:
        new = rng.choice(["float32", "int8", "bool", "uint64", "float16"])
        tensors[name] = Tensor(shape, [abs(int(v)) % 2 if math.isfinite(v) else 0
                                       for v in values] if new in ("bool", "int8", "uint64")
                               else values, new)
    elif op == 5:
        tensors[name] = Tensor((), [rng.choice(FLOATS)], "float64")
    else:
        tensors["extra"] = Tensor((2,), [0.0, 1.0], "float64")


def mutate_file(rng, blob):
    """A model file or checkpoint changed in its metadata JSON, its tensors or its bytes."""
    pick = rng.random()
    if pick < 0.15:
        return mutate_bytes(rng, blob)
    try:
        tensors, metadata = safetensors.decode(blob, "seed")
    except PurennError:  # bytes a previous round broke: go on at the byte level
        return mutate_bytes(rng, blob)
    tensors = dict(tensors)
    if pick < 0.35:
        mutate_tensors(rng, tensors)
    elif pick < 0.5 and "spec" in metadata:
        metadata["spec"] = mutate_lines(rng, metadata["spec"]) if rng.random() < 0.7 \
            else gen_spec(rng)
    else:
        keys = [k for k in ("trainer", "run", "training") if k in metadata]
        key = rng.choice(keys) if keys and rng.random() < 0.9 else rng.choice(
            list(metadata))
        try:
            value = json.loads(metadata[key])
        except ValueError:
            value = metadata[key]
        for _ in range(rng.randrange(1, 3)):
            value = mutate_json(rng, value)
        metadata[key] = json.dumps(value)
    try:
        if "digest" in metadata and rng.random() < 0.9:
            # re-signed, as a hand could: the fields behind the digest are tried too
            metadata = signed(tensors, metadata)
        return safetensors.encode(tensors, metadata)
    except (PurennError, TypeError, ValueError, OverflowError, struct.error):
        return mutate_bytes(rng, blob)  # a change the writer cannot encode (NaN as int8)


# -- valid seeds ---------------------------------------------------------------------------
SEED_SPECS = [
    "input 2\ndense 4 init=he\nrelu\ndense 3\nloss softmax_cross_entropy\noptimizer sgd lr=0.1\n",
    "input 2\ndense 4\nbatchnorm\nsigmoid\ndense 3\nloss softmax_cross_entropy\n"
    "optimizer adam\n",
    "input 2\ndense 3\ntanh\ndropout 0.5\ndense 3\nloss mean_squared_error\n"
    "optimizer nesterov\n",
    "input 2\ndense 3\nrelu\ndense 3\nloss multiclass_svm weight_decay=0.01\n"
    "optimizer rmsprop\n",
    "input 2\ndense 5\nbatchnorm\nrelu\ndense 3\nloss softmax_cross_entropy\n"
    "optimizer adagrad\n",
    "input 2\ndense 3\nsoftmax\ndense 3\nloss softmax_cross_entropy\noptimizer adamw\n",
    "input 2\ndense 3\nrelu\ndense 3\nloss softmax_cross_entropy\noptimizer momentum\n",
]


def tiny_data(n, features, classes=3, seed=0):
    rng = random.Random(seed)
    return Dataset([rng.uniform(-1, 1) for _ in range(n * features)],
                   [rng.randrange(classes) for _ in range(n)], (features,), classes)


@functools.lru_cache(maxsize=1)
def seed_files():
    """(model files, checkpoints) as bytes: each seed spec trained a little, its
    checkpoints taken mid-epoch, between epochs and in the book's schedule."""
    models, checkpoints = [], []
    folder = tempfile.mkdtemp(prefix="purenn-fuzz-seeds-")
    data = tiny_data(12, 2)
    for i, text in enumerate(SEED_SPECS):
        for schedule in ({"epochs": 2}, {"iterations": 5}):
            rng = random.Random(i)
            net = purenn.build(text, rng=rng)
            stops = [3, 7]
            for stop in stops:
                trainer = Trainer(net, data, data, batch_size=5, rng=rng, log=None,
                                  **schedule)
                trainer.on_update = lambda t, loss, stop=stop: setattr(
                    t, "stop_requested", t.updates >= stop)
                try:
                    trainer.fit()
                except KeyboardInterrupt:
                    pass
                # the epochs' wall-clock times: fixed, so that a case is its index alone
                trainer.history.seconds = [1.0] * len(trainer.history.seconds)
                path = os.path.join(folder, "c.safetensors")
                save_checkpoint(path, trainer, {"dataset": "spiral", "seed": i,
                                                "batch_size": 5, **schedule})
                with open(path, "rb") as f:
                    checkpoints.append(f.read())
        path = os.path.join(folder, "m.safetensors")
        purenn.save(net, path, training={"dataset": "spiral", "seed": i, "epochs": 2})
        with open(path, "rb") as f:
            models.append(f.read())
    for name in os.listdir(folder):
        os.unlink(os.path.join(folder, name))
    os.rmdir(folder)
    return models, checkpoints


# -- the readers -------------------------------------------------------------------------
def run_spec(data, folder):
    net = purenn.build(data.decode("utf-8", "replace"))
    features = math.prod(net.input_shape)
    classes = math.prod(net.output_shape)
    rng = random.Random(1)
    x = [[rng.uniform(-1, 1) for _ in range(features)] for _ in range(3)]
    t = [rng.randrange(classes) for _ in range(3)]
    loss, grads = net.loss_and_gradient(x, t)
    if math.isfinite(loss):
        net.optimizer.step(grads)
    net.predict(x)
    return 0


def run_model(data, folder):
    path = os.path.join(folder, "m.safetensors")
    with open(path, "wb") as f:
        f.write(data)
    net = purenn.load(path)
    features = math.prod(net.input_shape)
    # finite weights may still be too large for an input (1e308 everywhere): the output
    # is then NaN, which `predict` refuses in one line (tests/test_cli_files.py)
    net.probabilities([[0.5] * features])
    return 0


def run_checkpoint(data, folder):
    path = os.path.join(folder, "c.safetensors")
    with open(path, "wb") as f:
        f.write(data)
    checkpoint = load_checkpoint(path)
    rng = random.Random(checkpoint.run.get("seed") or 0)
    net = checkpoint.build(rng)
    state = checkpoint.trainer
    features = math.prod(net.input_shape)
    if state["train_size"] * features > 10 ** 5 or math.prod(net.output_shape) > 100:
        return 0  # a real run's size: restoring it needs data of that size
    train = tiny_data(state["train_size"], features, math.prod(net.output_shape))
    schedule = ({"iterations": min(state["updates"] + 3, 10 ** 4)}
                if state["schedule"] == "iterations" else {"epochs": state["epoch"] + 1})
    trainer = Trainer(net, train, train, batch_size=state["batch_size"], rng=rng, log=None,
                      **schedule)
    checkpoint.restore(trainer)
    if trainer.total_updates - trainer.updates > 200:
        return 0
    trainer.fit()
    return 0


READERS = {"spec": run_spec, "model": run_model, "checkpoint": run_checkpoint}


def make_case(reader, seed, index, seeds):
    rng = random.Random(f"{reader}:{seed}:{index}")
    if reader == "spec":
        text = rng.choice(SEED_SPECS) if rng.random() < 0.3 else gen_spec(rng)
        if rng.random() < 0.6:
            text = mutate_lines(rng, text)
        data = text.encode("utf-8")
        return mutate_bytes(rng, data) if rng.random() < 0.1 else data
    models, checkpoints = seeds
    blob = rng.choice(models if reader == "model" else checkpoints)
    for _ in range(1 if rng.random() < 0.7 else rng.randrange(2, 4)):
        blob = mutate_file(rng, blob)
    return blob


# -- running -------------------------------------------------------------------------------
def where_it_failed(exc):
    """'ValueError: ... at file.py:123': the exception and the line that raised it."""
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    return (f"{type(exc).__name__}: {str(exc)[:200]} at "
            f"{os.path.basename(frame.filename)}:{frame.lineno}")


def run(reader, seed, start, count, case_seconds, report, log=print):
    seeds = seed_files() if reader != "spec" else None
    folder = tempfile.mkdtemp(prefix="purenn-fuzz-")
    figures = {"reader": reader, "seed": seed, "start": start, "cases": 0, "refused": 0,
               "accepted": 0, "crashes": 0, "hangs": 0, "blowups": 0,
               "slowest_case_s": 0.0, "max_growth_mb": 0.0, "seconds": 0.0,
               "findings": []}
    previous = signal.signal(signal.SIGALRM, harness.raise_case_timeout)
    began = time.perf_counter()
    try:
        for index in range(start, start + count):
            data = make_case(reader, seed, index, seeds)
            harness.reset_peak()
            base = harness.status("VmRSS")
            t0 = time.perf_counter()
            outcome, message, _ = harness.run_case(READERS[reader], (data, folder),
                                                   case_seconds, signal.ITIMER_REAL,
                                                   where_it_failed)
            elapsed = time.perf_counter() - t0
            growth = max(0, harness.status("VmHWM") - base)
            if outcome == "refused" and not harness.is_one_line(message):
                outcome, message = "crash", f"not one line: {message[:300]!r}"
            if outcome in ("accepted", "refused") and harness.grew_too_much(growth, len(data)):
                outcome, message = "blowup", ""
            figures["cases"] += 1
            figures[{"accepted": "accepted", "refused": "refused", "crash": "crashes",
                     "hang": "hangs", "blowup": "blowups"}[outcome]] += 1
            if outcome not in ("accepted", "refused") and len(figures["findings"]) < 20:
                figures["findings"].append({"index": index, "kind": outcome,
                                            "error": message,
                                            "growth_mb": round(growth / MB, 1)})
            figures["slowest_case_s"] = round(max(figures["slowest_case_s"], elapsed), 4)
            figures["max_growth_mb"] = round(max(figures["max_growth_mb"], growth / MB), 1)
            if figures["cases"] % report == 0:
                figures["seconds"] = round(time.perf_counter() - began, 1)
                log(json.dumps(figures))
    finally:
        signal.signal(signal.SIGALRM, previous)
        for name in os.listdir(folder):
            os.unlink(os.path.join(folder, name))
        os.rmdir(folder)
    figures["seconds"] = round(time.perf_counter() - began, 1)
    return figures


def main(argv=None):
    import warnings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reader", action="append", choices=sorted(READERS),
                        help="a reader to fuzz (repeatable; default: all, one after another)")
    parser.add_argument("--cases", type=int, default=10_000, help="cases per reader")
    parser.add_argument("--start", type=int, default=0, help="index of the first case")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--case-seconds", type=float, default=10.0)
    parser.add_argument("--batch", type=int, default=5_000,
                        help="cases of one reader before the next takes its turn")
    parser.add_argument("--report", type=int, default=10 ** 9,
                        help="print a reader's figures every N cases within a batch")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    readers = args.reader or list(READERS)
    totals = {reader: None for reader in readers}
    for start in range(args.start, args.start + args.cases, args.batch):
        count = min(args.batch, args.start + args.cases - start)
        for reader in readers:  # the readers take turns, a batch at a time
            part = run(reader, args.seed, start, count, args.case_seconds, args.report,
                       log=lambda line: None)
            totals[reader] = part if totals[reader] is None else merge(totals[reader], part)
            print(json.dumps(totals[reader]), flush=True)
    results = list(totals.values())
    print("final:", flush=True)
    for figures in results:
        print(json.dumps(figures), flush=True)
    return 1 if any(f["crashes"] or f["hangs"] or f["blowups"] for f in results) else 0


def merge(total, part):
    for key in ("cases", "refused", "accepted", "crashes", "hangs", "blowups", "seconds"):
        total[key] = round(total[key] + part[key], 1)
    for key in ("slowest_case_s", "max_growth_mb"):
        total[key] = max(total[key], part[key])
    total["findings"] = (total["findings"] + part["findings"])[:20]
    return total


if __name__ == "__main__":
    sys.exit(main())
