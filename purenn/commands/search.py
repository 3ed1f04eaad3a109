"""``purenn search``: random search of hyperparameters on a validation split."""

import argparse
import textwrap

from ..errors import PurennError
from . import experiment_args as common_args
from .args import COUNT, PATH, Append, Real, Text, Whole, check_budget

EXAMPLES = """\
examples:
  python3 -m purenn search --spec ch6_overfit --range lr=1e-6:1e-2:log \\
      --range weight_decay=1e-8:1e-4:log --train-size 500 --iterations 200 \\
      --trials 100 --data DIR --plot search.png --out-spec best.net
                                          the book's chapter 6 search
  python3 -m purenn search --range lr=0.01:1 --range dense1.units=20:200
  python3 -m purenn train --spec best.net  then train the winner

The validation samples are carved from the training set (--validation, after
a shuffle by --seed); the test set is never read. Trial n draws its own
weights and batches from seed --seed * 1000 + n, as the book's trials each
build a new network (--same-seed: every trial from --seed, so trials differ
only in their settings); --only-trial N trains trial N alone again.
"""


def add_parser(sub, common):
    p = sub.add_parser(
        "search", parents=[common],
        help="random search of hyperparameters on a validation split",
        description=textwrap.fill(
            "Train --trials networks, each with settings drawn at random from the "
            "--range given (log-uniform where asked), on a training set with a "
            "validation split carved from it. Prints the trials sorted by "
            "validation accuracy and the best settings as a spec; draws the best "
            "trials' curves. Ctrl-C stops and keeps the finished trials.", 79),
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--spec", type=Text(), metavar="SPEC",
                   help="the spec the settings are drawn for (default: two_layer, "
                        "spiral_net for spiral, planar_net for circles, moons, xor)")
    p.add_argument("--range", type=Text(), action=Append, max_items=20, default=[],
                   metavar="KEY=LOW:HIGH[:log]",
                   help="a setting drawn for each trial, uniformly or log-uniformly "
                        "(lr=1e-6:1e-2:log, weight_decay=1e-8:1e-4:log, dense1.units=20:200; "
                        "keys as for compare --set); repeat for several")
    p.add_argument("--trials", type=Whole(1, 10_000), default=20,
                   help="how many settings to try (default: 20; the book: 100)")
    p.add_argument("--validation", type=Real(0.0, 0.99, above=True), default=0.2,
                   metavar="FRACTION",
                   help="the part of the training set held out for validation (default: "
                        "0.2, as the book)")
    common_args.add_data_options(p)
    common_args.add_schedule_options(p, epochs_default=10)
    p.add_argument("--same-seed", action="store_true",
                   help="start every trial from --seed, the same weights and batches "
                        "(default: trial n from seed --seed * 1000 + n, its own)")
    p.add_argument("--only-trial", type=COUNT, metavar="N",
                   help="train trial N alone (its settings and seed as in the whole "
                        "search), to look at it again")
    p.add_argument("--top", type=Whole(1, 100), default=20, metavar="K",
                   help="draw the best K trials (default: 20)")
    p.add_argument("--plot", type=PATH, metavar="FILE",
                   help="draw the best trials' validation and train accuracy to a .png or "
                        ".svg file, one panel each (the book's figure)")
    p.add_argument("--out-spec", type=PATH, metavar="FILE",
                   help="write the best settings as a spec file to train with")


def short(value_text):
    """A drawn value for people: 3 significant digits."""
    try:
        value = float(value_text)
    except ValueError:
        return value_text
    return value_text if value == int(value) and "." not in value_text else f"{value:.3g}"


def best_spec(result, trials, spec_source):
    """The winning trial's spec text, headed by what it won. The searched spec's own
    opening comment is left out: it describes the spec's settings before the search
    (``SGD lr 0.01``) and would sit, stale, above the tuned ones."""
    from ..experiments.settings import label

    lines = result.spec.splitlines(keepends=True)
    while lines and lines[0].lstrip().startswith("#"):
        lines.pop(0)
    seed = "" if result.seed is None else f", trained from seed {result.seed}"
    return (f"# best of {trials} trials of 'purenn search' on {spec_source}: validation "
            f"accuracy {result.test_acc:.4f}\n# {label(result.settings)}{seed}\n"
            f"# (the network of {spec_source}; the settings above replace its own)\n"
            + "".join(lines))


def run(args, out):
    from ..data import sets
    from ..experiments import figures, runner, settings
    from ..fileio import atomic_write, check_writable
    from ..spec import read as read_spec

    common_args.check_picture(args.plot)
    if args.out_spec:
        check_writable(args.out_spec, "--out-spec")
    if not args.range:
        raise PurennError("search needs at least one --range KEY=LOW:HIGH[:log], such as "
                          "--range lr=1e-6:1e-2:log")
    if not 0 < args.validation < 1:
        raise PurennError(f"--validation must be a fraction between 0 and 1, got "
                          f"{args.validation!r}")
    if args.only_trial is not None and args.only_trial > args.trials:
        raise PurennError(f"--only-trial {args.only_trial} is past the --trials "
                          f"{args.trials} of the search")
    ranges = [settings.parse_range(text) for text in args.range]
    check_budget("trials", args.trials, f"--trials {args.trials}")
    spec_ref = args.spec or common_args.default_spec(args.dataset)
    text, source = read_spec(spec_ref)
    schedule = common_args.schedule(args, 10)
    full_train, _, description = common_args.load(args)  # the test set is never used
    train_set, validation, _ = sets.validation_split(full_train, args.validation, args.seed)
    import random

    draws = settings.draw_trials(ranges, args.trials, random.Random(args.seed))
    runs = []
    for n, combo in enumerate(draws, 1):
        shown = ", ".join(f"{settings.label([(k, short(v))])}" for k, v in combo)
        seed = None if args.same_seed else settings.trial_seed(args.seed, n, args.trials)
        runs.append(runner.Run(f"trial {n}: {shown}",
                               settings.apply_settings(text, combo, source), combo, seed))
    if args.only_trial is not None:
        runs = runs[args.only_trial - 1:args.only_trial]
    runner.check_runs(runs, train_set)
    for line in textwrap.wrap(
            f"data: {description}: {len(train_set)} training and {len(validation)} "
            f"validation samples carved from the first {len(full_train)} training samples "
            f"(the test set is not used)", common_args.COLUMNS):
        out(line)
    for line in textwrap.wrap(
            f"{len(runs)} trial{'s' if len(runs) > 1 else ''} of {source}: "
            f"{common_args.schedule_line(schedule, args.jobs)}", common_args.COLUMNS):
        out(line)
    base = settings.trial_seed(args.seed, 0, args.trials)
    out(f"every trial's weights and batches from seed {args.seed} (--same-seed)"
        if args.same_seed else
        f"trial n's weights and batches from seed {f'{base} + n' if base else 'n'}")

    def describe(result):
        seed = "" if result.seed is None else f" (seed {result.seed})"
        return (f"{result.label}{seed}", f"val acc {result.test_acc:.4f}  train acc "
                f"{result.train_acc:.4f}  ({result.seconds:.1f} s)")

    results, code = common_args.train_all(runs, train_set, validation, schedule, args.jobs,
                                          out, describe, noun="trials")
    if not results:
        return code
    ranked = sorted(results, key=lambda r: -r.test_acc)
    out("trials by validation accuracy:")
    out(f"{'rank':>4}  {'val acc':>7}  {'train acc':>9}  trial (settings)")
    for n, r in enumerate(ranked, 1):
        row = f"{n:>4}  {r.test_acc:>7.4f}  {r.train_acc:>9.4f}  "
        for line in textwrap.wrap(r.label, common_args.COLUMNS, initial_indent=row,
                                  subsequent_indent=" " * (len(row) + 2)):
            out(line)
    size = args.eval_size
    measured = [len(d) if size is None else min(size, len(d)) for d in (validation, train_set)]
    for line in textwrap.wrap(
            f"val acc, train acc: after the trial's last update, on {measured[0]:,} "
            f"validation and {measured[1]:,} training samples", common_args.COLUMNS,
            subsequent_indent="  "):
        out(line)
    spec_text = best_spec(ranked[0], len(results), source)
    out("best settings as a spec (its own comment lines left out here):")
    lines = spec_text.splitlines()
    for line in lines[:2]:      # best_spec's heading
        for part in textwrap.wrap(line, common_args.COLUMNS - 2, subsequent_indent="# "):
            out("  " + part)
    for line in lines[2:]:
        if not line.lstrip().startswith("#"):
            out("  " + line)
    if args.out_spec:
        with atomic_write(args.out_spec) as f:
            f.write(spec_text.encode("utf-8"))
        out(f"best spec written to {args.out_spec}; train it with")
        out(f"  python3 -m purenn train --spec {args.out_spec}")
    if args.plot:
        figures.best_curves(ranked, args.top).save(args.plot)
        out(f"best {min(args.top, len(ranked))} curves written to {args.plot}")
    return code
