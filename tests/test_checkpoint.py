"""Checkpoints: a run stopped and resumed equals an uninterrupted one, bit for bit."""

import os
import random
import signal
import struct
import subprocess
import sys

import pytest
from helpers import run_purenn
from tiny_mnist import write_tiny_mnist

import purenn
from purenn.checkpoint import load_checkpoint, save_checkpoint
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
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL, text=True, env=env, cwd=tmp_path)
    try:
        for line in child.stdout:
            if line.startswith("epoch"):
                break
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130, stderr
    path = tmp_path / "ck" / "checkpoint.safetensors"
    assert stderr.startswith("interrupted in epoch ")
    assert stderr.endswith(f"checkpoint written to {path};\ncontinue with 'python -m purenn "
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
