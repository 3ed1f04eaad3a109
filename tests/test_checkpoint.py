"""Checkpoints: a run stopped and resumed equals an uninterrupted one, bit for bit."""

import os
import random
import struct
import sys

import pytest
from helpers import interrupt_at_first_epoch, peak_memory, run_purenn
from tiny_mnist import write_tiny_mnist

import purenn
from purenn.checkpoint import load_checkpoint, save_checkpoint, signed
from purenn.data import spiral
from purenn.formats import safetensors
from purenn.train import Trainer, TrainingInterrupted

SPEC = """input 2
dense 16 init=he
batchnorm
relu
dense 3
loss softmax_cross_entropy
optimizer adam lr=0.01
"""


def make_trainer(**kw):
    rng = random.Random(5)
    train, test = spiral.make_spiral(40, rng=rng), spiral.make_spiral(20, rng=rng)
    net = purenn.build(SPEC, rng=rng)
    return Trainer(net, train, test, rng=rng, log=None, **kw)


def without_seconds(history):
    d = history.as_dict()
    d.pop("seconds")
    return d


@pytest.mark.parametrize("schedule", [{"epochs": 3, "batch_size": 32, "eval_every": 2},
                                      {"iterations": 17, "batch_size": 25}])
@pytest.mark.parametrize("stop_at", [1, 4, 7])
def test_stop_and_resume_equals_uninterrupted(tmp_path, schedule, stop_at):
    straight = make_trainer(**schedule)
    straight.fit()

    stopped = make_trainer(**schedule)

    def stop(trainer, loss):
        if trainer.updates == stop_at:
            trainer.stop_requested = True
    stopped.on_update = stop
    with pytest.raises(TrainingInterrupted):
        stopped.fit()
    path = tmp_path / "ck.safetensors"
    save_checkpoint(path, stopped, {"seed": 5})

    resumed = make_trainer(**schedule)
    checkpoint = load_checkpoint(path)
    assert checkpoint.run == {"seed": 5}
    checkpoint.restore(resumed)
    resumed.fit()
    assert resumed.net.params == straight.net.params
    bn = dict(resumed.net.layers)["batchnorm1"].buffers
    assert bn == dict(straight.net.layers)["batchnorm1"].buffers
    assert resumed.optimizer.state_dict() == straight.optimizer.state_dict()
    assert without_seconds(resumed.history) == without_seconds(straight.history)
    assert resumed.rng.getstate() == straight.rng.getstate()


def test_stop_during_evaluation_resumes_the_evaluation(tmp_path):
    straight = make_trainer(epochs=2, batch_size=40)
    straight.fit()
    stopped = make_trainer(epochs=2, batch_size=40, eval_batch_size=10)
    calls = []
    real_measure = stopped.measure

    def measure():
        calls.append(1)
        stopped.stop_requested = len(calls) == 2
        return real_measure()
    stopped.measure = measure
    with pytest.raises(TrainingInterrupted):
        stopped.fit()
    assert stopped.position == len(stopped.train_set) and stopped.epoch == 1
    save_checkpoint(tmp_path / "ck.safetensors", stopped)
    resumed = make_trainer(epochs=2, batch_size=40)
    load_checkpoint(tmp_path / "ck.safetensors").restore(resumed)
    resumed.fit()
    assert resumed.net.params == straight.net.params
    assert without_seconds(resumed.history) == without_seconds(straight.history)


def test_a_changed_byte_of_metadata_or_weights_is_refused(tmp_path):
    """120 checkpoints, each with one byte of its metadata or its numbers changed: every
    one is refused with one line (without the digest most of them resumed silently)."""
    trainer = make_trainer(epochs=1, batch_size=16)
    trainer.fit()
    good = tmp_path / "good.safetensors"
    save_checkpoint(good, trainer)
    blob = good.read_bytes()
    start = 8 + struct.unpack("<Q", blob[:8])[0]
    header = blob[8:start].rstrip(b" ")
    metadata = range(8 + header.index(b'"__metadata__"'), 8 + len(header))
    rng = random.Random(22)
    positions = rng.sample(metadata, 60) + rng.sample(range(start, len(blob)), 60)
    bad = tmp_path / "bad.safetensors"
    for i in positions:
        bad.write_bytes(blob[:i] + bytes([blob[i] ^ (1 << rng.randrange(8))]) + blob[i + 1:])
        with pytest.raises(purenn.ModelFileError) as err:
            load_checkpoint(bad)
        assert str(err.value).startswith(f"{bad}: ") and "\n" not in str(err.value), i
    assert load_checkpoint(good).trainer["updates"] == trainer.updates
    tensors, metadata = safetensors.read_tensors(good)
    del metadata["digest"]
    safetensors.write_tensors(bad, tensors, metadata)
    with pytest.raises(purenn.ModelFileError, match="no 'digest' in __metadata__"):
        load_checkpoint(bad)


def test_a_changed_number_is_named_as_a_changed_checkpoint(tmp_path):
    trainer = make_trainer(epochs=1, batch_size=16)
    trainer.fit()
    path = tmp_path / "ck.safetensors"
    save_checkpoint(path, trainer)
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 1  # the last bit of the last number: a different float, still finite
    path.write_bytes(bytes(blob))
    with pytest.raises(purenn.ModelFileError) as err:
        load_checkpoint(path)
    assert str(err.value) == (f"{path}: the checkpoint changed after it was written (its "
                              f"content does not match its digest): it cannot be resumed")


def test_checkpoint_of_another_run_is_refused(tmp_path):
    trainer = make_trainer(epochs=1, batch_size=32)
    trainer.fit()
    save_checkpoint(tmp_path / "ck.safetensors", trainer)
    other = make_trainer(epochs=1, batch_size=16)
    with pytest.raises(purenn.ModelFileError) as err:
        load_checkpoint(tmp_path / "ck.safetensors").restore(other)
    assert str(err.value) == (f"{tmp_path / 'ck.safetensors'}: cannot continue from this "
                              f"checkpoint: the state was saved with batch_size 32, this "
                              f"trainer has 16")


def tensor_bits(path):
    tensors, _ = safetensors.read_tensors(path)
    return {name: struct.pack(f"<{len(t.values)}d", *t.values) for name, t in tensors.items()}


def trainer_state(path):
    state = load_checkpoint(path).trainer
    state["history"].pop("seconds")
    return state


def test_cli_resume_matches_an_uninterrupted_run_bit_for_bit(tmp_path):
    data = write_tiny_mnist(tmp_path / "mnist")
    common = ["--data", data, "--batch-size", "50", "--seed", "3", "--lr", "0.2"]
    straight = run_purenn("train", *common, "--epochs", "2", "--out",
                          str(tmp_path / "a.safetensors"), "--checkpoint-dir",
                          str(tmp_path / "ck_a"))
    assert straight.returncode == 0, straight.stderr
    first = run_purenn("train", *common, "--epochs", "1", "--checkpoint-dir",
                       str(tmp_path / "ck_b"))
    assert first.returncode == 0, first.stderr
    second = run_purenn("train", "--resume", str(tmp_path / "ck_b"), "--epochs", "2",
                        "--out", str(tmp_path / "b.safetensors"))
    assert second.returncode == 0, second.stderr
    assert "resumed from" in second.stdout
    assert "epoch   2/2" in second.stdout and "epoch   1/" not in second.stdout
    assert tensor_bits(tmp_path / "a.safetensors") == tensor_bits(tmp_path / "b.safetensors")
    a = trainer_state(tmp_path / "ck_a" / "checkpoint.safetensors")
    b = trainer_state(tmp_path / "ck_b" / "checkpoint.safetensors")
    assert a == b
    assert a["history"]["epoch"] == [1, 2]
    assert len(a["history"]["iteration_loss"]) == 6


def test_a_regression_run_whose_loss_passes_1_resumes(tmp_path):
    """A regression run records losses where the accuracies go (history.metric "loss"):
    its checkpoint is read back whatever their size (it was refused past 1.0)."""
    spec = tmp_path / "big.net"
    spec.write_text("input 2\ndense 1 init=normal std=30\nloss mean_squared_error\n"
                    "optimizer sgd lr=0.00001\n")
    first = run_purenn("train", "--dataset", "gauss", "--spec", str(spec), "--epochs", "1",
                       "--checkpoint-dir", str(tmp_path / "ck"))
    assert first.returncode == 0, first.stderr
    assert trainer_state(tmp_path / "ck" / "checkpoint.safetensors")["history"][
        "metric"] == "loss"
    assert trainer_state(tmp_path / "ck" / "checkpoint.safetensors")["history"][
        "train_acc"][0] > 100
    again = run_purenn("train", "--resume", str(tmp_path / "ck"), "--epochs", "2")
    assert again.returncode == 0, again.stderr
    assert "epoch   2/2" in again.stdout and "train loss" in again.stdout
    # a checkpoint from before History said what it holds resumes too
    edit_history(tmp_path / "ck" / "checkpoint.safetensors",
                 lambda h: (h.pop("metric"), h.pop("loss_at")))
    older = run_purenn("train", "--resume", str(tmp_path / "ck"), "--epochs", "3")
    assert older.returncode == 0, older.stderr
    assert "epoch   3/3" in older.stdout


def edit_history(path, edit):
    """Change a checkpoint's trainer.history with ``edit(history)`` and sign it again."""
    import json

    tensors, metadata = safetensors.read_tensors(path)
    state = json.loads(metadata["trainer"])
    edit(state["history"])
    metadata["trainer"] = json.dumps(state)
    write_signed(path, tensors, metadata)


@pytest.mark.parametrize("edit, message", [
    (lambda h: h.update(metric="loss", train_acc=[493.0]),
     "the state's history holds loss values, this trainer's data measures accuracy"),
    (lambda h: (h.pop("metric"), h.update(train_acc=[1.5])),
     "the state's history.train_acc holds 1.5, not an accuracy from 0 to 1"),
])
def test_a_classification_checkpoint_with_losses_for_accuracies_is_refused(tmp_path, edit,
                                                                          message):
    first = run_purenn("train", "--dataset", "xor", "--epochs", "1", "--quiet",
                       "--checkpoint-dir", str(tmp_path / "ck"))
    assert first.returncode == 0, first.stderr
    path = tmp_path / "ck" / "checkpoint.safetensors"
    edit_history(path, edit)
    again = run_purenn("train", "--resume", str(tmp_path / "ck"), "--epochs", "2")
    assert again.returncode == 1
    assert again.stderr == (f"error: {path}: cannot continue from this checkpoint: "
                            f"{message}\n")


def test_cli_resume_refuses_other_settings(tmp_path):
    data = write_tiny_mnist(tmp_path / "mnist")
    first = run_purenn("train", "--data", data, "--epochs", "1", "--quiet",
                       "--checkpoint-dir", str(tmp_path / "ck"))
    assert first.returncode == 0, first.stderr
    again = run_purenn("train", "--resume", str(tmp_path / "ck"), "--batch-size", "7")
    assert again.returncode == 1
    assert again.stderr == (f"error: --batch-size 7 differs from the checkpoint's 100 "
                            f"({tmp_path / 'ck' / 'checkpoint.safetensors'}); a resumed run "
                            f"keeps the settings it was started with\n")
    missing = run_purenn("train", "--resume", str(tmp_path / "nothing"))
    assert missing.returncode == 1
    assert missing.stderr == f"error: {tmp_path / 'nothing'}: no such checkpoint\n"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child needs POSIX")
def test_ctrl_c_writes_a_checkpoint_and_exits_130(tmp_path):
    import purenn as package

    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(package.__file__)))
    env.pop("NO_COLOR", None)
    data = write_tiny_mnist(tmp_path / "mnist", train_count=200, test_count=20)
    command = [sys.executable, "-m", "purenn", "train", "--data", data, "--epochs", "500",
               "--batch-size", "20", "--log-every", "1", "--checkpoint-dir",
               str(tmp_path / "ck")]
    code, stderr = interrupt_at_first_epoch(command, env, cwd=tmp_path)
    assert code == 130, stderr
    path = tmp_path / "ck" / "checkpoint.safetensors"
    assert stderr.startswith("interrupted in epoch ")
    assert stderr.endswith(f"checkpoint written to {path};\ncontinue with 'python3 -m purenn "
                           f"train --resume {tmp_path / 'ck'}'\n")
    state = load_checkpoint(path).trainer
    assert state["updates"] >= 10
    resumed = run_purenn("train", "--resume", str(tmp_path / "ck"), "--epochs",
                         str(state["epoch"] + 1), "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.startswith("test accuracy ")


# -- issue 12 item 6: Ctrl-C within a numerical update --------------------------------------
@pytest.mark.parametrize("schedule", [{"iterations": 4, "batch_size": 8},
                                      {"epochs": 1, "batch_size": 10}])
def test_a_stop_within_a_numerical_update_abandons_it_and_resumes_bit_for_bit(tmp_path,
                                                                              schedule):
    small = dict(schedule, gradient="numerical")
    straight = make_trainer(**small)
    progress = []
    straight.on_gradient = lambda trainer, done, total: progress.append((done, total))
    straight.fit()
    assert progress[-1] == (straight.net.param_count, straight.net.param_count)

    stopped = make_trainer(**small)
    entries = []

    def stop_in_third_update(trainer, done, total):   # Ctrl-C after its first number ...
        if trainer.updates == 2:
            trainer.stop_requested = True
    stopped.on_gradient, stopped.gradient_interval = stop_in_third_update, 0.0
    original = stopped.net.numerical_gradient

    def counting(x, t, h=1e-4, each=None):
        def tick():
            entries.append(1)
            each()
        return original(x, t, h, tick)
    stopped.net.numerical_gradient = counting
    with pytest.raises(TrainingInterrupted):
        stopped.fit()
    assert stopped.updates == 2
    # ... is seen at its second number: update 3 is abandoned
    assert len(entries) == 2 * stopped.net.param_count + 2
    save_checkpoint(tmp_path / "ck.safetensors", stopped)
    resumed = make_trainer(**small)
    load_checkpoint(tmp_path / "ck.safetensors").restore(resumed)
    resumed.fit()
    assert resumed.net.params == straight.net.params
    assert without_seconds(resumed.history) == without_seconds(straight.history)


# -- a checkpoint is untrusted input ----------------------------------------------------
def write_signed(path, tensors, metadata):
    """A checkpoint edited by hand and given a digest that matches: its fields are what
    the reader checks next (a file can always be re-signed)."""
    safetensors.write_tensors(path, tensors, signed(tensors, metadata))


def hostile_copy(tmp_path, edit, name="bad.safetensors"):
    """A checkpoint of a short run with its trainer state changed by ``edit(state)``."""
    import json

    trainer = make_trainer(epochs=2, batch_size=16)
    trainer.fit()
    good = tmp_path / "good.safetensors"
    save_checkpoint(good, trainer)
    tensors, metadata = safetensors.read_tensors(good)
    state = json.loads(metadata["trainer"])
    edit(state)
    metadata["trainer"] = json.dumps(state)
    path = tmp_path / name
    write_signed(path, tensors, metadata)
    return path


def set_field(path, value):
    def edit(state):
        *parents, last = path.split(".")
        target = state
        for key in parents:
            target = target[key]
        if value is DELETE:
            del target[last]
        else:
            target[last] = value(target[last]) if callable(value) else value
    return edit


DELETE = object()
HOSTILE_STATES = [
    ("schedule", "weekly", "field 'trainer.schedule': expected one of 'epochs', "
                           "'iterations', got 'weekly'"),
    ("batch_size", 0, "field 'trainer.batch_size': expected an integer in [1, "),
    ("batch_size", "16", "field 'trainer.batch_size': expected an integer"),
    ("epoch", -1, "field 'trainer.epoch': expected an integer in [0, "),
    ("epoch", 1e308, "field 'trainer.epoch': expected an integer"),
    ("position", 10**30, "field 'trainer.position': expected an integer in [0, "),
    ("position", 5, "field 'trainer.position': expected 0 between epochs"),
    ("order", [0, 0], "field 'trainer.order': expected a permutation of 0..119"),
    ("order", "all", "field 'trainer.order': expected null or a list"),
    ("pending", [float("nan")], "field 'trainer.pending[0]': expected a finite number"),
    ("pending", lambda p: [1.0] * 99, "field 'trainer.pending': expected at most 16 losses"),
    ("updates", 7, "field 'trainer.history.iteration_loss': expected 7 losses"),
    ("rng", [3, [0] * 10, None], "field 'trainer.rng[1]': expected a list of length in "
                                 "[625, 625]"),
    ("rng", lambda r: [r[0], r[1][:-1] + [10**6], r[2]], "field 'trainer.rng[1][624]': "
                                                           "expected the Mersenne"),
    ("rng", lambda r: [r[0], [2**33] + r[1][1:], r[2]], "field 'trainer.rng[1][0]'"),
    ("rng", DELETE, "field 'trainer.rng': expected a list of 3"),
    ("history.epoch", [1, 1], "field 'trainer.history.epoch': expected increasing"),
    ("history.epoch", [1, 5], "field 'trainer.history.epoch': expected records up to "
                              "epoch 2"),
    ("history.train_acc", [0.5, 1.5], "field 'trainer.history.train_acc[1]': expected an "
                                      "accuracy in [0.0, 1.0] (history.metric 'accuracy'), "
                                      "got 1.5"),
    ("history.test_acc", [-0.5, 0.5], "field 'trainer.history.test_acc[0]': expected a "
                                      "finite number ≥ 0.0 or NaN, got -0.5"),
    ("history.metric", "acc", "field 'trainer.history.metric': expected one of "
                              "'accuracy', 'loss', got 'acc'"),
    ("history.loss_at", 3, "field 'trainer.history.loss_at': expected one of "),
    ("history.test_acc", [0.5], "field 'trainer.history.test_acc': expected 2 values"),
    ("history.train_loss", [1.0, float("inf")], "field 'trainer.history.train_loss[1]'"),
    ("history.update", [3], "field 'trainer.history.update': expected 2 values"),
    ("history.update", [8, 8], "field 'trainer.history.update': expected increasing"),
    ("history.update", [8, 17], "field 'trainer.history.update': expected records up to "
                                "update 16"),
    ("history.update", [0, 8], "field 'trainer.history.update[0]': expected an integer "
                               "in [1, "),
    ("history.updates_per_epoch", 0, "field 'trainer.history.updates_per_epoch': "
                                     "expected null or an integer in [1, "),
    ("history", {}, "field 'trainer.history.epoch': expected a list, got "
                    "nothing (the key is missing)"),
    ("version", 2, "field 'trainer.version': expected an integer in [1, 1], got 2"),
    ("eval_pending", 1, "field 'trainer.eval_pending': expected true or false, got 1"),
    ("surprise", 1, "field 'trainer.surprise': expected no such key"),
]


@pytest.mark.parametrize("field, value, message", HOSTILE_STATES,
                         ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(HOSTILE_STATES)])
def test_every_field_of_the_trainer_state_is_checked(tmp_path, field, value, message):
    path = hostile_copy(tmp_path, set_field(field, value))
    with pytest.raises(purenn.ModelFileError) as err:
        load_checkpoint(path)
    assert str(err.value).startswith(f"{path}: {message}")
    assert "\n" not in str(err.value)


def test_a_trainer_state_nested_too_deep_or_with_huge_numbers_is_refused(tmp_path):
    deep = hostile_copy(tmp_path, set_field("optimizer.t", [[[[[[]]]]]] * 1), "a.st")
    tensors, metadata = safetensors.read_tensors(deep)
    metadata["trainer"] = "[" * 10000 + "]" * 10000
    write_signed(deep, tensors, metadata)
    with pytest.raises(purenn.ModelFileError, match="nested deeper than 64 levels"):
        load_checkpoint(deep)
    metadata["trainer"] = '{"epoch": ' + "9" * 5000 + "}"
    write_signed(deep, tensors, metadata)
    with pytest.raises(purenn.ModelFileError, match="longer than 40 digits"):
        load_checkpoint(deep)
    metadata["run"] = '{"epochs": "many"}'
    metadata["trainer"] = "{}"
    write_signed(deep, tensors, metadata)
    with pytest.raises(purenn.ModelFileError, match="field 'run.epochs': expected null or "
                                                    "an integer in"):
        load_checkpoint(deep)


@pytest.mark.parametrize("tensor, value, message", [
    ("optimizer/m/dense1.W", float("nan"),
     "tensor 'optimizer/m/dense1.W': value nan at flat index 0 must be finite"),
    ("optimizer/v/dense1.W", -1.0, "cannot continue from this checkpoint: Adam state "
                                   "v['dense1.W'] holds -1.0; it must be ≥ 0"),
    ("dense1.W", float("inf"), "tensor 'dense1.W': value inf at flat index 0 must be finite"),
    ("batchnorm1.running_var", -0.5,
     "tensor 'batchnorm1.running_var': value -0.5 at flat index 0 must be finite and ≥ 0.0"),
])
def test_tensors_of_a_checkpoint_are_checked_on_restore(tmp_path, tensor, value, message):
    trainer = make_trainer(epochs=1, batch_size=16)
    trainer.fit()
    path = tmp_path / "ck.safetensors"
    save_checkpoint(path, trainer)
    tensors, metadata = safetensors.read_tensors(path)
    shape, values, dtype = tensors[tensor]
    tensors[tensor] = safetensors.Tensor(shape, [value] + values[1:], dtype)
    write_signed(path, tensors, metadata)
    with pytest.raises(purenn.ModelFileError) as err:
        checkpoint = load_checkpoint(path)
        checkpoint.restore(make_trainer(epochs=2, batch_size=16))
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)


def test_a_tiny_checkpoint_whose_spec_asks_for_millions_is_refused_cheaply(tmp_path):
    path = hostile_copy(tmp_path, lambda state: None)
    tensors, metadata = safetensors.read_tensors(path)
    metadata["spec"] = "input 2\ndense 10000000\nloss softmax_cross_entropy\n"
    write_signed(path, tensors, metadata)
    checkpoint = load_checkpoint(path)
    with peak_memory() as peak:
        with pytest.raises(purenn.ModelFileError) as err:
            checkpoint.build(random.Random(0))
    assert not peak or peak[0] < 5_000_000
    assert str(err.value) == (
        f"{path}: the spec in __metadata__ does not build: <spec>:2: 'dense 10000000': it "
        f"would hold 30,000,000 numbers (parameters and buffers), over the limit of 65,536; "
        f"the file's tensors hold only 163 numbers")


# -- the normal path of the issue: Ctrl-C in epoch 2 before anything is recorded --------
def test_ctrl_c_before_the_first_record_then_resume_with_fewer_epochs(tmp_path, monkeypatch,
                                                                       capsys):
    from purenn import cli, train

    data = write_tiny_mnist(tmp_path / "mnist", train_count=200, test_count=20)
    after_update = train.Trainer.after_update

    def stop_in_epoch_2(self, loss):
        if self.epoch == 1 and self.position >= 100:
            self.stop_requested = True
        after_update(self, loss)

    monkeypatch.setattr(train.Trainer, "after_update", stop_in_epoch_2)
    ck = str(tmp_path / "ck")
    # --epochs 40 prints (and records) every 2nd epoch: nothing is recorded in epoch 1
    assert cli.main(["train", "--data", data, "--epochs", "40", "--train-size", "200",
                     "--checkpoint-dir", ck, "--quiet"]) == 130
    monkeypatch.setattr(train.Trainer, "after_update", after_update)
    state = load_checkpoint(ck).trainer
    assert state["epoch"] == 1 and state["history"]["epoch"] == [] and state["order"]
    capsys.readouterr()
    assert cli.main(["train", "--resume", ck, "--epochs", "1"]) == 1
    err = capsys.readouterr().err
    assert err == (f"error: --epochs 1: the checkpoint {ck}/checkpoint.safetensors is "
                   f"inside epoch 2 (1 done); give --epochs 2 or more to go on\n")
    assert cli.main(["train", "--resume", ck, "--epochs", "2", "--quiet"]) == 0
    assert capsys.readouterr().out.startswith("test accuracy ")


def test_a_state_inside_an_epoch_needs_its_pending_losses(tmp_path):
    # found by the campaign: position 12 of 12 and no pending loss made the next record
    # divide by zero
    def edit(state):
        state.update(order=list(range(120)), position=30, pending=[])

    path = hostile_copy(tmp_path, edit)
    with pytest.raises(purenn.ModelFileError) as err:
        load_checkpoint(path)
    assert str(err.value) == (f"{path}: field 'trainer.pending': expected at least 2 losses, "
                              f"one per update since the last record (position 30, "
                              f"batch_size 16, eval_pending False), got []")


def test_a_resumed_book_schedule_with_fewer_iterations_ends_with_an_accuracy(
        tmp_path, monkeypatch, capsys):
    # issue 21 item 18: a numerical-gradient run of 2,000 updates evaluates (and records)
    # rarely; stopped early and resumed with --iterations 3 it trained, then said "nothing
    # left to train" and printed no accuracy
    from purenn import cli, train

    after_update = train.Trainer.after_update

    def stop_after_two(self, loss):
        if self.updates == 2:
            self.stop_requested = True
        after_update(self, loss)

    monkeypatch.setattr(train.Trainer, "after_update", stop_after_two)
    ck = str(tmp_path / "ck")
    assert cli.main(["train", "--dataset", "spiral", "--spec", "spiral_linear",
                     "--gradient", "numerical", "--iterations", "2000", "--batch-size", "10",
                     "--checkpoint-dir", ck, "--quiet"]) == 130
    monkeypatch.setattr(train.Trainer, "after_update", after_update)
    state = load_checkpoint(ck).trainer
    assert state["updates"] == 2 and state["history"]["epoch"] == []
    capsys.readouterr()
    lines = []
    assert cli.main(["train", "--resume", ck, "--iterations", "3"], out=lines.append) == 0
    assert lines[-2].startswith("epoch   1/1  loss ")
    assert lines[-1].startswith("test accuracy ") and "after 3 updates" in lines[-1]
    assert not any("nothing left" in line for line in lines)


@pytest.mark.parametrize("schedule", [{"epochs": 3, "batch_size": 32},
                                      {"iterations": 17, "batch_size": 25}])
def test_a_checkpoint_saved_before_updates_were_recorded_gets_them_back(tmp_path, schedule):
    """A checkpoint without history.update (written before it was recorded, then signed
    again): the schedule says where each record was measured, so a resumed run's figure
    still places its points right."""
    import json

    straight = make_trainer(**schedule)
    straight.fit()
    stopped = make_trainer(**schedule)

    def stop(trainer, loss):
        if trainer.updates == 9:
            trainer.stop_requested = True
    stopped.on_update = stop
    with pytest.raises(TrainingInterrupted):
        stopped.fit()
    path = tmp_path / "old.safetensors"
    save_checkpoint(path, stopped)
    tensors, metadata = safetensors.read_tensors(path)
    state = json.loads(metadata["trainer"])
    del state["history"]["update"], state["history"]["updates_per_epoch"]
    metadata["trainer"] = json.dumps(state)
    write_signed(path, tensors, metadata)
    resumed = make_trainer(**schedule)
    load_checkpoint(path).restore(resumed)
    resumed.fit()
    assert resumed.history.update == straight.history.update
    assert resumed.history.updates_per_epoch == straight.history.updates_per_epoch == 4
    assert straight.history.update == ([4, 8, 12] if "epochs" in schedule
                                       else [1, 5, 9, 13, 17])
