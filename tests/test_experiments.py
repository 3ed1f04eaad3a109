"""compare and search end to end on tiny data: settings as spec edits, tables, figures
decoded, --jobs 2 equal to --jobs 1 bit for bit, Ctrl-C keeping finished runs, a
validation split that never touches the test data, and a best spec that rebuilds."""

import os
import random
import signal
import sys

import pytest
from pictures import svg_all, svg_root, svg_texts
from tiny_mnist import write_tiny_mnist

from purenn import build, capabilities, cli, plot, spec
from purenn.commands import experiment_args
from purenn.data import sets
from purenn.errors import PurennError
from purenn.experiments import figures, runner, settings

TINY = """\
input 784
dense 10   # one layer: fast
loss softmax_cross_entropy
optimizer sgd lr=0.1
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    write_tiny_mnist(folder / "data", train_count=60, test_count=20)
    (folder / "tiny.net").write_text(TINY)
    return folder


def test_set_edits_the_spec_text():
    text = spec.write(build("ch6_dropout"))
    edited = settings.edit_spec(text, "dropout.ratio", "0")
    assert edited.count("dropout 0.2") == 0 and edited.count("ratio=0") == 6
    edited = settings.edit_spec(TINY, "dense.init", "he")
    assert "dense 10 init=he" in edited
    assert settings.apply_settings(TINY, [("optimizer.lr", "0.5"), ("optimizer", "adam")]
                                   ).endswith("optimizer adam lr=0.5\n")
    assert "loss softmax_cross_entropy weight_decay=0.1" in settings.edit_spec(
        TINY, "loss.weight_decay", "0.1")
    assert build(settings.edit_spec(TINY, "dense1.units", "10")).output_shape == (10,)


def test_set_errors_name_what_is_wrong():
    with pytest.raises(PurennError, match=r"the spec <spec> has no 'dropout' line \(it has: "
                                          r"dense, loss, optimizer\)"):
        settings.edit_spec(TINY, "dropout.ratio", "0.2")
    with pytest.raises(PurennError, match=r"--set 'lr': write KEY=VALUE"):
        settings.parse_assignment("lr")
    with pytest.raises(PurennError, match=r"an empty value between commas"):
        settings.parse_assignment("lr=0.1,,0.2")
    assert settings.parse_assignment("lr=0.1,0.01") == ("optimizer.lr", ["0.1", "0.01"])


def test_ranges_draw_in_their_bounds():
    import random

    r = settings.parse_range("lr=1e-6:1e-2:log")
    assert (r.key, r.low, r.high, r.log) == ("optimizer.lr", 1e-6, 1e-2, True)
    draws = [r.draw(random.Random(s)) for s in range(200)]
    assert all(1e-6 <= v <= 1e-2 for v in draws)
    assert sum(v < 1e-4 for v in draws) > 60        # log-uniform: half below the middle
    units = settings.parse_range("dense1.units=20:200")
    assert units.integer and isinstance(units.draw(random.Random(0)), int)
    for bad in ("lr=1:0", "lr=0:1:log", "lr=a:b", "lr=1e-3:1:lin", "lr"):
        with pytest.raises(PurennError, match=r"--range"):
            settings.parse_range(bad)


def test_compare_end_to_end(tiny, tmp_path):
    lines = []
    code = cli.main(["compare", "--data", str(tiny / "data"), "--spec", str(tiny / "tiny.net"),
                     "--set", "optimizer=sgd,adam", "--set", "lr=0.1,0.01", "--epochs", "2",
                     "--plot", str(tmp_path / "c.svg")], out=lines.append)
    assert code == 0
    assert "4 runs: 2 epochs of batch 100, seed 0" in lines
    start = next(i for i, line in enumerate(lines) if line.startswith("run "))
    assert lines[start].split() == ["run", "end", "loss", "train", "acc", "test", "acc",
                                    "time"]
    rows = lines[start + 1:start + 5]
    assert [r.split("  ")[0] for r in rows] == [
        "sgd, lr=0.1", "sgd, lr=0.01", "adam, lr=0.1", "adam, lr=0.01"]
    root = svg_root(tmp_path / "c.svg")
    texts = svg_texts(root)
    assert {"sgd, lr=0.1", "adam, lr=0.01", "train", "test",
            "accuracy", "iterations"} <= set(texts)
    # per run: a loss curve, a train and a test accuracy curve; plus two legend samples
    assert len(svg_all(root, "polyline")) == 4 * 3


def test_compare_needs_two_runs_and_good_settings(tiny, capsys):
    assert cli.main(["compare", "--data", str(tiny / "data"), "--spec",
                     str(tiny / "tiny.net")]) == 1
    assert "compare needs two runs or more" in capsys.readouterr().err
    assert cli.main(["compare", "--data", str(tiny / "data"), "--spec", str(tiny / "tiny.net"),
                     "--set", "optimizer=sgd,adamm"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: run 'adamm': <spec>:4: unknown optimizer 'adamm'")
    assert err.count("\n") == 1
    assert cli.main(["compare", "--set", "lr=1,2", "--plot", "x.jpg"]) == 1
    assert "must be a .png or .svg file" in capsys.readouterr().err


def small_runs(tiny):
    text = (tiny / "tiny.net").read_text()
    return [runner.Run(f"lr={lr}", settings.edit_spec(text, "optimizer.lr", lr))
            for lr in ("0.1", "0.05", "0.01")]


def without_time(results):
    return [(r.label, {k: v for k, v in r.history.items() if k != "seconds"}, r.spec)
            for r in results]


def test_jobs_2_equals_jobs_1_bit_for_bit(tiny):
    train, test, _ = sets.load("mnist", random.Random(0), folder=str(tiny / "data"))
    schedule = runner.Schedule(epochs=2, batch_size=20)
    one = runner.run_all(small_runs(tiny), train, test, schedule, jobs=1)
    two = runner.run_all(small_runs(tiny), train, test, schedule, jobs=2)
    assert without_time(one) == without_time(two)
    assert len({repr(r.history["iteration_loss"]) for r in one}) == 3


@pytest.mark.skipif(sys.platform == "emscripten",
                    reason="Pyodide has no signals to stand in for Ctrl-C")
def test_ctrl_c_keeps_the_finished_runs(tiny):
    train, test, _ = sets.load("mnist", random.Random(0), folder=str(tiny / "data"))
    schedule = runner.Schedule(epochs=1, batch_size=20)

    def interrupt(i, result):
        os.kill(os.getpid(), signal.SIGINT)   # as Ctrl-C after the first run

    with pytest.raises(runner.Interrupted) as stop:
        runner.run_all(small_runs(tiny), train, test, schedule, on_result=interrupt)
    assert [r.label for r in stop.value.results] == ["lr=0.1"]

    def interrupt_jobs(i, result):
        raise KeyboardInterrupt

    with pytest.raises(runner.Interrupted) as stop:
        runner.run_all(small_runs(tiny), train, test, schedule, jobs=2,
                       on_result=interrupt_jobs)
    assert len(stop.value.results) == 1


def test_the_validation_split_comes_from_the_training_set_only(tiny):
    train, test, _ = sets.load("mnist", random.Random(0), folder=str(tiny / "data"))
    part, validation, picked = sets.validation_split(train, 0.2, seed=3)
    assert (len(part), len(validation)) == (48, 12)
    rows = {tuple(train.row(i)) for i in range(len(train))}
    test_rows = {tuple(test.row(i)) for i in range(len(test))}
    held = [tuple(validation.row(i)) for i in range(len(validation))]
    kept = [tuple(part.row(i)) for i in range(len(part))]
    assert set(held) <= rows and set(kept) <= rows and not set(held) & set(kept)
    assert not set(held) & test_rows
    assert [validation.labels[i] for i in range(12)] == [train.labels[i] for i in picked]


def test_search_end_to_end_never_reads_the_test_set(tiny, tmp_path, monkeypatch):
    real_load = sets.load

    def poisoned(*args, **kwargs):
        train, test, description = real_load(*args, **kwargs)
        test.row = test.batch = None   # any use of the test set fails
        return train, test, description

    monkeypatch.setattr(sets, "load", poisoned)
    lines = []
    code = cli.main(["search", "--data", str(tiny / "data"), "--spec", str(tiny / "tiny.net"),
                     "--range", "lr=1e-3:1:log", "--range", "dense1.std=0.001:0.1",
                     "--trials", "4", "--epochs", "2", "--batch-size", "16", "--top", "3",
                     "--plot", str(tmp_path / "s.svg"), "--out-spec",
                     str(tmp_path / "best.net")], out=lines.append)
    assert code == 0, lines
    head = " ".join(lines[:3])
    assert head.startswith("data: MNIST from ") and "48 training and 12 validation" \
        in head and "the test set is not used" in head
    table = lines[lines.index("trials by validation accuracy:") + 2:][:4]
    accuracies = [float(row.split()[1]) for row in table]
    assert accuracies == sorted(accuracies, reverse=True)
    best_trial = table[0].split()[4].rstrip(":")
    best = (tmp_path / "best.net").read_text()
    net = build(str(tmp_path / "best.net"))
    lr = float(best.split("optimizer sgd lr=")[1])
    assert net.optimizer.config["lr"] == lr and 1e-3 <= lr <= 1
    assert f"validation accuracy {accuracies[0]:.4f}" in best
    assert next(line for line in lines if line.startswith(f"[{best_trial}/4]"))
    root = svg_root(tmp_path / "s.svg")
    assert [t for t in svg_texts(root) if t.startswith("Best-")][:3] == [
        f"Best-{n}  {a:.3f}" for n, a in zip((1, 2, 3), accuracies)]
    assert len(svg_all(root, "polyline")) == 3 * 2


def test_an_interrupted_compare_tables_and_draws_the_finished_runs(tiny, tmp_path,
                                                                   monkeypatch):
    real = runner.run_all

    def stop_after_first(runs, *args, **kwargs):
        done = real(runs[:1], *args, **kwargs)
        raise runner.Interrupted(done)

    monkeypatch.setattr(runner, "run_all", stop_after_first)
    lines = []
    code = cli.main(["compare", "--data", str(tiny / "data"), "--spec", str(tiny / "tiny.net"),
                     "--set", "lr=0.1,0.01", "--epochs", "1", "--plot",
                     str(tmp_path / "c.svg")], out=lines.append)
    assert code == 130
    assert "interrupted: 1 of 2 runs finished" in lines
    start = next(i for i, line in enumerate(lines) if line.startswith("run "))
    assert lines[start + 1].startswith("lr=0.1 ") and not lines[start + 2].startswith("lr")
    assert lines[-1].startswith("curves written to")
    assert len(svg_all(svg_root(tmp_path / "c.svg"), "polyline")) == 3


def test_search_option_errors(tiny, capsys):
    base = ["search", "--data", str(tiny / "data"), "--spec", str(tiny / "tiny.net")]
    assert cli.main(base) == 1
    assert "search needs at least one --range" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        cli.main(base + ["--range", "lr=0.1:1", "--validation", "1.5"])
    assert exit_info.value.code == 2
    assert "argument --validation: expected a finite number > 0 and ≤ 0.99, got '1.5'" in (
        " ".join(capsys.readouterr().err.split()))
    assert cli.main(base + ["--range", "dropout.ratio=0:0.5", "--trials", "1"]) == 1
    assert "has no 'dropout' line" in capsys.readouterr().err
    assert cli.main(base + ["--range", "lr=0.1:1", "--epochs", "2", "--iterations", "5"]) == 1
    assert "give --epochs or --iterations, not both" in capsys.readouterr().err
    assert cli.main(base + ["--range", "lr=0.1:1", "--trials", "3", "--only-trial", "4"]) == 1
    assert capsys.readouterr().err == ("error: --only-trial 4 is past the --trials 3 of the "
                                       "search\n")


@pytest.mark.skipif(not capabilities.can_fork(), reason="--jobs needs processes")
def test_runs_in_workers_report_their_updates(tiny):
    train, test, _ = sets.load("mnist", random.Random(0), folder=str(tiny / "data"))
    seen = []

    class Watch:
        def on_run_progress(self, i, done, total):
            seen.append((i, done, total))

    runner.run_all(small_runs(tiny), train, test, runner.Schedule(epochs=1, batch_size=20),
                   jobs=2, progress=Watch())
    assert {i for i, _, _ in seen} == {0, 1, 2}
    assert all(total == 3 and 1 <= done <= 3 for _, done, total in seen)


def test_a_run_ending_between_evaluations_is_measured_at_its_end(tiny):
    train, test, _ = sets.load("mnist", random.Random(0), folder=str(tiny / "data"))
    # 60 samples, batch 20: an evaluation after updates 1 and 4; the run ends after 5
    schedule = runner.Schedule(iterations=5, batch_size=20)
    result = runner.train_one(small_runs(tiny)[0], train, test, schedule)
    h = result.history
    assert h["epoch"] == [1, 2, 3] and len(h["iteration_loss"]) == 5
    assert h["train_loss"][-1] == h["iteration_loss"][-1]


@pytest.mark.skipif(not capabilities.can_fork(), reason="--jobs needs processes")
def test_a_failing_worker_run_is_one_error_naming_the_run(tiny):
    train, test, _ = sets.load("mnist", random.Random(0), folder=str(tiny / "data"))
    runs = small_runs(tiny)
    runs[1].spec = runs[1].spec.replace("dense 10", "dense 10 init=nope")
    with pytest.raises(PurennError, match=r"run 'lr=0.05' failed: SpecError: <spec>:2: "):
        runner.run_all(runs, train, test, runner.Schedule(epochs=2, batch_size=20), jobs=2)


def drawn_lines(monkeypatch):
    """(panel title, label, ys) of every line the figures draw."""
    drawn = []
    real = plot.Panel.line

    def line(self, x, y=None, **options):
        drawn.append((self.title, options.get("label"), list(y if y is not None else x)))
        return real(self, x, y, **options)

    monkeypatch.setattr(plot.Panel, "line", line)
    return drawn


@pytest.mark.parametrize("smooth", [True, False])
def test_the_tables_end_loss_is_the_figures_last_point(tiny, monkeypatch, smooth):
    # issue 21 item 7: "final loss" was the mean since the last evaluation (SGD 1.9395
    # while its plotted loss ended at 1.35)
    train, test, _ = sets.load("mnist", random.Random(0), folder=str(tiny / "data"))
    results = runner.run_all(small_runs(tiny)[:2], train, test,
                             runner.Schedule(iterations=40, batch_size=10, eval_size=7))
    drawn = drawn_lines(monkeypatch)
    figures.compare(results, smooth=smooth)
    lines = experiment_args.table(results, smooth=smooth, eval_size=7)
    assert lines[0].split()[:3] == ["run", "end", "loss"]
    for result, row in zip(results, lines[1:3]):
        curve = next(ys for title, label, ys in drawn if label == result.label)
        assert row.split()[1] == f"{curve[-1]:.4f}"
        assert curve[-1] != result.final_loss       # what the table showed before
        if not smooth:
            assert curve[-1] == result.history["iteration_loss"][-1]
    notes = " ".join(" ".join(lines[3:]).split())
    assert ("end loss: the last point of the figure's loss curve, the batch loss before "
            + ("each update" if smooth else "the last update")) in notes
    assert ("smoothed as the book's smooth_curve" in notes) == smooth
    assert "on the first 7 samples of each set" in notes


def test_tables_and_result_lines_fit_80_columns(tiny, tmp_path, monkeypatch):
    text = (tiny / "tiny.net").read_text()
    long_spec = tmp_path / ("a_spec_with_a_name_long_enough_to_overflow_the_run_column"
                            ".net")
    long_spec.write_text(text)
    lines = []
    code = cli.main(["compare", "--data", str(tiny / "data"), "--spec", str(long_spec),
                     "--spec", str(tiny / "tiny.net"), "--set", "optimizer.lr=0.1,0.01",
                     "--epochs", "1"], out=lines.append)
    assert code == 0
    assert max(len(line) for line in lines) <= 80, [ln for ln in lines if len(ln) > 80]
    start = next(i for i, line in enumerate(lines) if line.startswith("run "))
    label = "a_spec_with_a_name_long_enough_to_overflow_the_run_column: lr=0.1"
    assert lines[start + 1] == label
    assert lines[start + 2].split()[0] == lines[start + 2].strip().split()[0]  # numbers
    lines = []
    monkeypatch.chdir(tmp_path)     # a path of its own may be longer than a line
    assert cli.main(["search", "--data", str(tiny / "data"), "--spec", str(long_spec),
                     "--range", "lr=1e-3:1:log", "--range", "dense1.std=0.001:0.1",
                     "--trials", "2", "--epochs", "1", "--out-spec",
                     "a_best_spec_with_a_long_name_too.net"],
                    out=lines.append) == 0
    assert max(len(line) for line in lines) <= 80, [ln for ln in lines if len(ln) > 80]
    assert "val acc, train acc: after the trial's last update, on 12 validation and 48 " \
           "training samples" in " ".join(" ".join(lines).split())


def test_the_books_loss_after_the_update_is_recorded_when_asked(tiny, tmp_path):
    # issue 21 item 8: optimizer_compare_mnist.py records network.loss(x_batch, t_batch)
    # after optimizer.update; purenn recorded the loss that made the gradient
    train, test, _ = sets.load("mnist", random.Random(0), folder=str(tiny / "data"))
    run = small_runs(tiny)[0]
    before = runner.train_one(run, train, test, runner.Schedule(iterations=6, batch_size=10))
    after = runner.train_one(run, train, test, runner.Schedule(
        iterations=6, batch_size=10, loss_after_update=True))
    # the same training (the extra forward pass draws nothing from the generators)...
    assert after.history["train_acc"] == before.history["train_acc"]
    assert after.history["iteration_loss"] != before.history["iteration_loss"]
    # ... and each update's loss is its batch's, in inference mode, once it has stepped
    seen = []
    for when in (False, True):
        rng = random.Random(0)
        trainer = runner.make_trainer(
            build(run.spec, rng=rng), train, test,
            runner.Schedule(iterations=6, batch_size=10, loss_after_update=when), rng,
            on_update=lambda t, loss, when=when: seen.append((when, loss,
                                                               t.net.loss(*t.last))))
        batch = trainer.batch

        def remember(indices, trainer=trainer, batch=batch):
            trainer.last = batch(indices)
            return trainer.last

        trainer.batch = remember
        trainer.fit()
    assert [loss for when, loss, now in seen if not when] == before.history["iteration_loss"]
    assert all(loss == now for when, loss, now in seen if when)
    assert all(loss != now for when, loss, now in seen if not when)
    # the figure says which loss it draws, and so does the table
    for option, which in (("before-update", "before"), ("after-update", "after")):
        lines = []
        assert cli.main(["compare", "--data", str(tiny / "data"), "--spec",
                         str(tiny / "tiny.net"), "--set", "lr=0.1,0.01", "--iterations", "6",
                         "--batch-size", "10", "--loss", option, "--plot",
                         str(tmp_path / "c.svg")], out=lines.append) == 0
        assert f"batch loss {which} the update" in svg_texts(svg_root(tmp_path / "c.svg"))
        assert f"the batch loss {which} each update" in " ".join(" ".join(lines).split())
    with pytest.raises(SystemExit) as stop:
        cli.main(["compare", "--set", "lr=1,2", "--loss", "after"])
    assert stop.value.code == 2     # argparse's one line: invalid choice: 'after'


def test_a_run_that_diverges_is_marked_and_the_others_go_on(tiny, tmp_path):
    # issue 21 item 9: a NaN run aborted the whole comparison (the book's figure 6-18
    # is built on such runs)
    lines = []
    code = cli.main(["compare", "--data", str(tiny / "data"), "--spec", str(tiny / "tiny.net"),
                     "--set", "optimizer.lr=1e300,0.1", "--iterations", "12",
                     "--batch-size", "10", "--jobs", "2", "--plot", str(tmp_path / "c.svg")],
                    out=lines.append)
    assert code == 0, lines
    start = next(i for i, line in enumerate(lines) if line.startswith("run "))
    diverged, healthy = lines[start + 1].split(), lines[start + 2].split()
    assert diverged[:2] == ["lr=1e300", "nan"]
    assert healthy[0] == "lr=0.1" and float(healthy[1]) < 5
    note = " ".join(" ".join(lines[start + 3:]).split())
    assert "lr=1e300: diverged at update 2 (its loss exploded or was not a " \
           "number) and went on" in note
    assert any("lr=1e300 (diverged at update 2):" in line for line in lines[:start])
    texts = svg_texts(svg_root(tmp_path / "c.svg"))
    assert "lr=1e300 (diverged at 2)" in texts


def test_search_trials_draw_their_own_weights_from_printed_seeds(tiny, monkeypatch):
    # issue 21 item 11: every trial started from the same weights (seed 0's)
    started = []
    real = runner.build

    def watch(spec_text, rng):
        net = real(spec_text, rng)
        started.append(net.params["dense1.W"][0][:3])
        return net

    monkeypatch.setattr(runner, "build", watch)
    base = ["search", "--data", str(tiny / "data"), "--spec", str(tiny / "tiny.net"),
            "--range", "lr=1e-3:1:log", "--trials", "3", "--epochs", "1", "--seed", "7"]

    def search(*extra, runs=3):
        started.clear()
        lines = []
        assert cli.main(base + list(extra), out=lines.append) == 0
        return lines, started[runs:]   # check_runs builds each once from seed 0 first

    lines, weights = search()
    assert len({repr(w) for w in weights}) == 3
    assert "trial n's weights and batches from seed 7000 + n" in lines
    finished = [line for line in lines if line.startswith("[")]
    assert [line.split(" (seed ")[1].split(")")[0] for line in finished] == [
        "7001", "7002", "7003"]
    alone, again = search("--only-trial", "2", runs=1)
    assert again == weights[1:2]
    second = next(line for line in finished if line.startswith("[2/3] trial 2:"))
    alone = [line for line in alone if line.startswith("[")]
    assert [line.rsplit(" (", 1)[0] for line in alone] == [
        "[1/1] " + second.split(" ", 1)[1].rsplit(" (", 1)[0]]   # all but the time
    same, weights = search("--same-seed")
    assert len({repr(w) for w in weights}) == 1
    assert "every trial's weights and batches from seed 7 (--same-seed)" in same
    assert settings.trial_seed(3, 12, 5000) == 30012


def test_the_books_batch_norm_runs_with_a_diverging_plain_network(tiny):
    # the command, at tiny sizes: the plain network with std 1 diverges
    lines = []
    code = cli.main(["compare", "--data", str(tiny / "data"), "--spec", "ch6_batchnorm",
                     "--spec", "ch6_plain", "--set", "dense.init=normal", "--set",
                     "dense.std=1,0.01", "--train-size", "20", "--iterations", "4",
                     "--batch-size", "10", "--eval-size", "10"], out=lines.append)
    assert code == 0, lines
    start = next(i for i, line in enumerate(lines) if line.startswith("run "))
    assert [line.split("  ")[0] for line in lines[start + 1:start + 5]] == [
        "ch6_batchnorm: std=1", "ch6_batchnorm: std=0.01", "ch6_plain: std=1",
        "ch6_plain: std=0.01"]
    assert lines[start + 3].split()[2] == "nan"
    assert max(len(line) for line in lines) <= 80
    text = " ".join(" ".join(lines).split())
    assert "ch6_plain: std=1: diverged at update 2" in text
    assert "ch6_batchnorm: std=1: diverged" not in text


def panel_frames(root):
    """(left, top, right, bottom) of every panel's frame in an SVG figure."""
    return [(float(r.get("x")), float(r.get("y")), float(r.get("x")) + float(r.get("width"))
             - 1, float(r.get("y")) + float(r.get("height")) - 1)
            for r in svg_all(root, "rect") if r.get("stroke") == "#000000"]


def test_compare_draws_each_accuracy_at_the_epoch_it_was_measured(tiny, tmp_path):
    """60 samples in batches of 25: an epoch of the book's schedule is 2 updates, the
    accuracies are measured after updates 1, 3, 5 and (the end) 6: epochs 0.5, 1.5, 2.5
    and 3 on an axis from 0, not 1, 2, 3, 4."""
    lines = []
    assert cli.main(["compare", "--data", str(tiny / "data"), "--spec", str(tiny / "tiny.net"),
                     "--set", "lr=0.1,0.01", "--iterations", "6", "--batch-size", "25",
                     "--plot", str(tmp_path / "c.svg")], out=lines.append) == 0
    root = svg_root(tmp_path / "c.svg")
    left, top, right, bottom = panel_frames(root)[1]
    curves = [[tuple(map(float, p.split(","))) for p in line.get("points").split()]
              for line in svg_all(root, "polyline")]
    accuracy = [c for c in curves if c[0][0] > left - 1]
    assert len(accuracy) == 4      # train and test of two runs
    for curve in accuracy:
        epochs = [(x - left) / (right - left) * 3 for x, _ in curve]
        assert epochs == pytest.approx([0.5, 1.5, 2.5, 3.0], abs=0.01)
    assert "epochs" in svg_texts(root)


def test_search_draws_each_trial_at_the_epochs_it_was_measured(tiny, tmp_path):
    assert cli.main(["search", "--data", str(tiny / "data"), "--spec", str(tiny / "tiny.net"),
                     "--range", "lr=0.01:0.1", "--trials", "2", "--iterations", "6",
                     "--batch-size", "24", "--plot", str(tmp_path / "s.svg")],
                    out=lambda line: None) == 0
    root = svg_root(tmp_path / "s.svg")
    frames = panel_frames(root)
    curves = [[tuple(map(float, p.split(","))) for p in line.get("points").split()]
              for line in svg_all(root, "polyline")]
    assert len(curves) == 4 and len(frames) == 2
    for curve in curves:
        left, _, right, _ = next(f for f in frames if f[0] - 1 <= curve[0][0] <= f[2])
        epochs = [(x - left) / (right - left) * 3 for x, _ in curve]
        # 48 training samples in batches of 24: measured after updates 1, 3, 5 and 6
        assert epochs == pytest.approx([0.5, 1.5, 2.5, 3.0], abs=0.01)


def fake_result(label, losses, accuracies=(0.1, 0.5)):
    from purenn.train import History

    n = len(accuracies)
    h = History(epoch=list(range(1, n + 1)), train_loss=[1.0] * n, train_acc=list(accuracies),
                test_acc=list(accuracies), seconds=[1.0] * n, iteration_loss=list(losses),
                update=[len(losses) * (k + 1) // n for k in range(n)], updates_per_epoch=10)
    return runner.Result(label, h.as_dict(), 1.0)


def y_ticks(root, frame):
    """The numbers written left of a panel's frame (its y-axis tick labels)."""
    left = frame[0]
    return [float(t.text) for t in svg_all(root, "text") if t.text and t.get("text-anchor")
            == "end" and float(t.get("x")) < left and t.text.replace(".", "").isdigit()]


def test_compare_loss_panel_shows_where_the_runs_end_not_the_first_spike():
    """A run whose first losses spike to 12 and that ends at 0.3, beside two ending at
    0.1 and 0.05: the axis goes to 1 (2.5 times the highest end, rounded), not to 12.6
    where every ending is pressed into the bottom tenth; --ylim sets it."""
    from purenn.experiments import figures

    results = [fake_result("sgd", [12.0] * 3 + [2.0 - i / 40 for i in range(68)]),
               fake_result("adagrad", [2.3 - i / 30 for i in range(66)] + [0.1] * 5),
               fake_result("adam", [2.3 - i / 30 for i in range(67)] + [0.05] * 4)]
    assert figures.loss_top([[12.0, 2.0, 0.3], [2.3, 0.1], [2.3, 0.05]]) == 1.0
    root = svg_root(figures.compare(results, smooth=False).svg())
    assert max(y_ticks(root, panel_frames(root)[0])) == 1.0
    root = svg_root(figures.compare(results, smooth=False, ylim=(0.0, 3.0)).svg())
    assert max(y_ticks(root, panel_frames(root)[0])) == 3.0
    # short runs that all stay high keep the whole range
    assert figures.loss_top([[2.3, 2.3], [2.3, 2.0]]) == pytest.approx(2.3 * 1.05)


@pytest.mark.parametrize("value", ["1", "1:0", "0:nan", "a:b", "0:inf", "2:2"])
def test_compare_ylim_is_checked_before_any_work(tiny, capsys, value, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["compare", "--data", str(tiny / "data"), "--spec", str(tiny / "tiny.net"),
                  "--set", "lr=0.1,0.01", "--plot", str(tmp_path / "c.png"), "--ylim", value])
    err = " ".join(capsys.readouterr().err.split())  # usage errors wrap at 79 columns
    assert exit_info.value.code == 2
    assert f"argument --ylim: expected LO:HI, two finite numbers with LO < HI such as " \
           f"0:1, got {value!r}" in err
    assert not (tmp_path / "c.png").exists()


def test_compare_ylim_sets_the_loss_panel(tiny, tmp_path):
    assert cli.main(["compare", "--data", str(tiny / "data"), "--spec", str(tiny / "tiny.net"),
                     "--set", "lr=0.1,0.01", "--iterations", "4", "--batch-size", "20",
                     "--plot", str(tmp_path / "c.svg"), "--ylim", "0:5"],
                    out=lambda line: None) == 0
    root = svg_root(tmp_path / "c.svg")
    assert max(y_ticks(root, panel_frames(root)[0])) == 5.0


def test_runs_are_labelled_by_what_sets_them_apart():
    labels, shared = settings.short_labels(settings.sweep([
        ("dense.init", ["normal"]), ("dense.std", ["1", "0.01"])]))
    assert (labels, shared) == (["std=1", "std=0.01"], "dense.init=normal")
    labels, shared = settings.short_labels(settings.sweep([
        ("optimizer", ["sgd", "adam"]), ("optimizer.lr", ["0.1"])]))
    assert (labels, shared) == (["sgd", "adam"], "lr=0.1")
    labels, _ = settings.short_labels(settings.sweep([
        ("dense1.units", ["10", "20"]), ("dense2.units", ["5", "6"])]))
    assert labels[0] == "dense1.units=10, dense2.units=5"   # 'units' alone reads alike


def test_compare_legend_names_the_specs_and_the_title_the_shared_settings(tiny, tmp_path):
    """The book's batch-norm panel: two specs, the same settings: the legend says
    'tiny' and 'other', the title what every run has."""
    (tmp_path / "other.net").write_text(TINY.replace("lr=0.1", "lr=0.2"))
    lines = []
    assert cli.main(["compare", "--data", str(tiny / "data"), "--spec", str(tiny / "tiny.net"),
                     "--spec", str(tmp_path / "other.net"), "--set", "dense.init=normal",
                     "--set", "dense.std=0.01", "--iterations", "3", "--batch-size", "20",
                     "--plot", str(tmp_path / "c.svg")], out=lines.append) == 0
    texts = svg_texts(svg_root(tmp_path / "c.svg"))
    assert {"tiny", "other", "every run: dense.init=normal, dense.std=0.01"} <= set(texts)


def test_train_plot_draws_each_accuracy_at_the_epoch_it_was_measured(tiny, tmp_path):
    """train --iterations 6 on 60 samples in batches of 25 (2 updates an epoch) measures
    after updates 1, 3 and 5: epochs 0.5, 1.5, 2.5 on an axis from 0."""
    assert cli.main(["train", "--data", str(tiny / "data"), "--spec", str(tiny / "tiny.net"),
                     "--iterations", "6", "--batch-size", "25", "--plot",
                     str(tmp_path / "t.svg")], out=lambda line: None) == 0
    root = svg_root(tmp_path / "t.svg")
    left, _, right, _ = panel_frames(root)[1]
    curves = [[tuple(map(float, p.split(","))) for p in line.get("points").split()]
              for line in svg_all(root, "polyline")]
    accuracy = [c for c in curves if c[0][0] > left - 1]
    assert len(accuracy) == 2
    for curve in accuracy:
        assert [(x - left) / (right - left) * 2.5 for x, _ in curve] == pytest.approx(
            [0.5, 1.5, 2.5], abs=0.01)
