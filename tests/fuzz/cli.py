"""A fuzzing campaign against the command line: argument lists generated from purenn's
own parsers, run through ``purenn.cli.main`` in this process. The promise checked per
case: exit 0, 1 or 2; a refusal is one message (``error: ...`` or argparse's usage
line, wrapped, and the --help hint), never a traceback or an ``internal error``; no
hang; the peak resident memory grows by at most 50 MB (the inputs are a few kB).

Inputs: a command (every one ``purenn --help`` lists), its cheap base command line
(spiral data, one epoch: a value the parser accepts runs little work), and one to four
options or positionals drawn from the parser's actions. Each value is drawn for the
action's declared type (``purenn.commands.args``): the range's ends and one past them,
0, -1, huge, 10^400, nan, inf, floats for whole numbers, empty, unicode, control
characters, 5,000 characters, comma lists of thousands; for text, also paths to a FIFO,
a folder, a missing file, /dev/zero and small valid files made here; for choices, a
valid or a near-miss word; for repeatable options, up to 10,000 repetitions. Valid whole
numbers are kept small, so that an accepted command line asks for little work (a
billion epochs, asked for, is a long run, not a finding). ``fetch`` (the network) and
``playground`` (a server) are only parsed.

Case ``i`` under ``--seed s`` is made by ``random.Random(f"cli:{s}:{i}")`` alone, so
``--start i --cases 1 --show`` replays it and prints its command line.

    PYTHONPATH=. python tests/fuzz/cli.py --cases 1000000
    PYTHONPATH=. python tests/fuzz/cli.py --start 4711 --cases 1 --show

Prints the figures so far as a JSON line every ``--report`` cases and at the end:
cases, refused, accepted, crashes, hangs, blow-ups, cases per second, the slowest case,
the largest memory growth and the first findings (index, kind, command line, stderr).
Linux only (/proc). Exit 1 when there is a finding.
"""

import argparse
import contextlib
import io
import json
import os
import random
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402

from purenn import cli  # noqa: E402
from purenn.commands import args as declared  # noqa: E402

BASES = {
    "train": ["train", "--dataset", "spiral", "--epochs", "1", "--quiet", "--spec",
              "spiral_linear"],
    "evaluate": ["evaluate", "{model}", "--dataset", "spiral"],
    "predict": ["predict", "{model}", "0", "--dataset", "spiral"],
    "show": ["show", "--dataset", "spiral", "--out", "s.png"],
    "gradcheck": ["gradcheck", "spiral_linear", "--batch", "1"],
    "specs": ["specs"],
    "plugins": ["plugins"],
    "fetch": ["fetch", "mnist"],
    "import": ["import", "{npz}", "--spec", "spiral_linear", "-o", "o.safetensors"],
    "export": ["export", "{model}", "-o", "o.npz"],
    "compare": ["compare", "--dataset", "spiral", "--set", "lr=0.1,0.2", "--epochs", "1",
                "--spec", "spiral_linear"],
    "search": ["search", "--dataset", "spiral", "--range", "lr=0.1:1", "--trials", "1",
               "--epochs", "1", "--spec", "spiral_linear"],
    "activations": ["activations", "ch6_activations", "--batch", "2"],
    "filters": ["filters", "{model}", "--out", "f.png"],
    "paths": ["paths", "--steps", "2"],
    "playground": ["playground"],
}
PARSE_ONLY = {"fetch", "playground"}
# valid choices that ask for long work by design (MNIST's 10,000 images, a numerical
# gradient): drawn only where they stay cheap
LONG = {"--gradient": {"numerical"}, "--dataset": {"mnist", "fashion-mnist", "kmnist"}}
LONG_IN = {"train", "compare", "search"}
SMALL = 3  # valid whole numbers drawn from low .. low + SMALL (little work)
WORDS = ["0", "-1", "1", "2", "-0", "1.5", "1e3", "1e400", "-1e400", "nan", "-nan", "inf",
         "-inf", "", " ", "99999999999999999999", "1" + "0" * 400, "0x10", "1_000", "١",
         "ü∂😀", "a\nb", "\x00", "\x1b[2J", "\r", "x" * 5000, "1," * 5000, "--", "-",
         "=", ":", "lr=1e400", "lr=nan", "dense1.units=0", "sgd lr=-1", "a=1:2:log",
         "0:1e308", "-1e308:1e308", "1:0", "W1=dense1.W", "all", "book:ch03"]


def actions_of(command):
    parser = cli.make_parser(command)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return [a for a in sub.choices[command]._actions
            if not isinstance(a, argparse._HelpAction) and a.dest != "debug"]


ACTIONS = {command: actions_of(command) for command in BASES}


def whole_value(kind, rng):
    low, high = kind.low, kind.high
    pick = rng.random()
    if pick < 0.4:
        return str(rng.randint(low, min(high, low + SMALL)))
    return rng.choice([str(low - 1), str(high + 1), str(-high), str(high * 10 ** 6),
                       f"{low}.5", f"{high}e3", str(low) + " ", " " + str(low),
                       rng.choice(WORDS)])


def real_value(kind, rng):
    pick = rng.random()
    if pick < 0.4:
        return repr(rng.uniform(kind.low, min(kind.high, kind.low + 1.0)) or 1e-3)
    return rng.choice([repr(kind.low), repr(kind.high), repr(kind.high * 1.0001),
                       repr(-kind.high), "5e-324", "1e-320", "1.7976931348623157e308",
                       rng.choice(WORDS)])


def text_value(rng, files):
    pick = rng.random()
    if pick < 0.35:
        return rng.choice(files)
    if pick < 0.45:
        return rng.choice(files) + rng.choice(["", "/", "/x", ".png", ".svg", "\n"])
    return rng.choice(WORDS)


def value_for(action, rng, files, command):
    if action.choices is not None and rng.random() < 0.7:
        long = set().union(*(LONG.get(o, set()) for o in action.option_strings)) \
            if command in LONG_IN else set()
        choices = [c for c in action.choices if c not in long]
        return str(rng.choice(choices)) if choices else rng.choice(WORDS)
    kind = action.type
    if isinstance(kind, declared.WordOr):
        kind = kind.inner if rng.random() < 0.9 else None
        if kind is None:
            return "all"
    if isinstance(kind, declared.Whole):
        return whole_value(kind, rng)
    if isinstance(kind, declared.Real):
        return real_value(kind, rng)
    return text_value(rng, files)


def make_case(seed, index, files):
    """The argument list of case ``index``."""
    rng = random.Random(f"cli:{seed}:{index}")
    command = rng.choice(sorted(BASES))
    argv = [w.format(**files_by_name(files)) for w in BASES[command]]
    for _ in range(rng.randint(1, 4)):
        action = rng.choice(ACTIONS[command])
        if action.nargs == 0:  # a flag
            argv.append(rng.choice(action.option_strings))
            continue
        many = isinstance(action, declared._Counted) and rng.random() < 0.1
        count = rng.choice([action.max_items, action.max_items + 1, 10_000]) if many else 1
        value = value_for(action, rng, files, command)
        if not action.option_strings:  # a positional: put in place, or add
            argv = argv[:1] + [value] * count + argv[1:]
        elif count > 1:
            argv += [action.option_strings[-1], value] * count
        else:
            option = rng.choice(action.option_strings)
            argv += [f"{option}={value}"] if rng.random() < 0.2 else [option, value]
    return command, argv


def files_by_name(files):
    return {"model": files[0], "npz": files[1]}


def prepare(folder):
    """Small files the cases name: a model, an .npz, a spec, a FIFO, a folder..."""
    import purenn
    from purenn.formats import npy

    net = purenn.build("spiral_linear")
    purenn.save(net, os.path.join(folder, "m.safetensors"))
    npy.write_npz(os.path.join(folder, "w.npz"),
                  {name: t for name, t in __import__("purenn.weights", fromlist=["x"])
                   .network_arrays(net).items()})
    with open(os.path.join(folder, "s.net"), "w") as f:
        f.write("input 2\ndense 3\nloss softmax_cross_entropy\n")
    with open(os.path.join(folder, "bad.net"), "w") as f:
        f.write("input 2\ndense 99999999999\nloss x\n")
    os.mkdir(os.path.join(folder, "dir"))
    files = ["m.safetensors", "w.npz", "s.net", "bad.net", "dir", "missing.safetensors",
             "dir/missing.png", "out.png", "out.svg", "o.safetensors"]
    if hasattr(os, "mkfifo"):
        os.mkfifo(os.path.join(folder, "fifo"))
        files.append("fifo")
    if os.path.exists("/dev/zero"):
        files.append("/dev/zero")
    return files


def run_case(argv, parse_only, seconds):
    """(outcome, code, stderr, seconds, growth in bytes)."""
    err = io.StringIO()
    harness.reset_peak()
    base = harness.status("VmRSS")
    started = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    code = None
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                if parse_only:
                    cli.make_parser(argv[0]).parse_args(argv)
                    code = 0
                else:
                    code = cli.main(argv, out=lambda line: None)
            except SystemExit as exc:
                code = exc.code
        outcome = "accepted" if code == 0 else "refused"
    except harness.CaseTimeout:
        outcome = "hang"
    except MemoryError:
        outcome = "blowup"
    except Exception as exc:  # noqa: BLE001 - escaping main() is a crash
        outcome, code = "crash", None
        err.write(harness.exception_line(exc))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    elapsed = time.perf_counter() - started
    growth = max(harness.status("VmHWM") - base, 0)
    text = err.getvalue()
    if outcome == "refused" and not promise_kept(code, text):
        outcome = "crash"
    if outcome in ("accepted", "refused") and harness.grew_too_much(growth, 0):
        outcome = "blowup"
    return outcome, code, text, elapsed, growth


def promise_kept(code, err):
    """Exit 1 or 2 with one message: 'error: ...' (or argparse's 'purenn CMD: error:'),
    wrapped on at most 4 lines with the --help hint, no traceback, no internal error;
    'warning:' lines (a diverging run's) may come before it."""
    lines = err.splitlines()
    while lines and lines[0].startswith("warning: "):      # warnings before the error,
        lines.pop(0)                                       # each wrapped, indented
        while lines and lines[0].startswith("  "):
            lines.pop(0)
    return (code in (1, 2) and bool(lines) and len(lines) <= 4
            and (lines[0].startswith("error: ") or ": error: " in lines[0])
            and "Traceback" not in err and "internal error" not in err
            and all(len(line) <= 600 for line in lines))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--case-seconds", type=float, default=20.0)
    parser.add_argument("--report", type=int, default=1000)
    parser.add_argument("--show", action="store_true", help="print each case's command")
    args = parser.parse_args(argv)
    import warnings

    warnings.simplefilter("ignore")
    os.environ["PURENN_MAX_PARAMETERS"] = str(10 ** 6)  # a spec allowed is cheap here
    signal.signal(signal.SIGALRM, harness.raise_case_timeout)
    figures = {"reader": "cli", "seed": args.seed, "cases": 0, "refused": 0,
               "accepted": 0, "crashes": 0, "hangs": 0, "blowups": 0, "seconds": 0.0,
               "cases_per_s": 0.0, "slowest_case_s": 0.0, "max_growth_mb": 0.0,
               "findings": []}
    names = {"crash": "crashes", "hang": "hangs", "blowup": "blowups",
             "accepted": "accepted", "refused": "refused"}
    home = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="purenn-cli-fuzz-") as folder:
        os.chdir(folder)
        try:
            files = prepare(folder)
            began = time.perf_counter()
            for index in range(args.start, args.start + args.cases):
                command, case = make_case(args.seed, index, files)
                if args.show:
                    print(json.dumps(case)[:2000], flush=True)
                outcome, code, err, elapsed, growth = run_case(
                    case, command in PARSE_ONLY, args.case_seconds)
                figures["cases"] += 1
                figures[names[outcome]] += 1
                figures["slowest_case_s"] = max(figures["slowest_case_s"], round(elapsed, 3))
                figures["max_growth_mb"] = max(figures["max_growth_mb"],
                                               round(growth / harness.MB, 1))
                if outcome in ("crash", "hang", "blowup") and len(figures["findings"]) < 20:
                    figures["findings"].append({
                        "index": index, "kind": outcome, "exit": code,
                        "argv": json.dumps(case)[:300], "stderr": err[:300]})
                if args.show:
                    print(f"  -> {outcome}, exit {code}: {err.strip()[:300]}", flush=True)
                if figures["cases"] % args.report == 0:
                    report(figures, began)
            report(figures, began)
        finally:
            os.chdir(home)
    return 1 if figures["crashes"] or figures["hangs"] or figures["blowups"] else 0


def report(figures, began):
    figures["seconds"] = round(time.perf_counter() - began, 1)
    figures["cases_per_s"] = round(figures["cases"] / max(figures["seconds"], 1e-9), 1)
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    sys.exit(main())
