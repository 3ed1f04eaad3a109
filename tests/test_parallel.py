"""--workers N: the first dense layer split across processes gives the one-process result,
bit for bit (weights, losses, accuracies and optimizer state)."""

import random

import pytest

import purenn
from purenn import capabilities, linalg
from purenn.cli import main
from purenn.data import mnist
from purenn.data.spiral import make_spiral
from purenn.errors import PurennError
from purenn.parallel import ParallelTrainer, split_units
from purenn.train import Trainer, TrainingInterrupted

pytestmark = pytest.mark.skipif(not capabilities.can_fork(),
                                reason="--workers needs processes started with fork")

THREE_LAYER_ADAM = """\
input 2
dense 7
relu
dense 5
relu
dense 3
loss softmax_cross_entropy
optimizer adam lr=0.01
"""


@pytest.fixture(scope="module")
def small_mnist():
    train, test = mnist.load()
    return train.head(300), test.head(100)


def train(spec, train_set, test_set, workers, *, on_update=None, **kwargs):
    rng = random.Random(4)
    net = purenn.build(spec, rng=rng)
    settings = dict(epochs=2, batch_size=50, rng=rng, log=None, on_update=on_update, **kwargs)
    if workers == 1:
        trainer = Trainer(net, train_set, test_set, **settings)
    else:
        trainer = ParallelTrainer(net, train_set, test_set, workers=workers, **settings)
    try:
        trainer.fit()
    except TrainingInterrupted:
        pass
    return net, trainer


def assert_same(one, many):
    (net1, tr1), (net2, tr2) = one, many
    assert set(net1.params) == set(net2.params)
    for key in net1.params:
        assert net1.params[key] == net2.params[key], key
    assert tr1.history.as_dict() | {"seconds": None} == tr2.history.as_dict() | {"seconds": None}
    assert tr1.optimizer.state_dict() == tr2.optimizer.state_dict()
    assert tr1.updates == tr2.updates


@pytest.mark.parametrize("workers", [2, 3])
def test_mnist_sgd_bit_identical(small_mnist, workers):
    one = train("two_layer", *small_mnist, 1)
    assert_same(one, train("two_layer", *small_mnist, workers))
    assert one[1].history.train_acc[-1] > 0.1


@pytest.mark.parametrize("kernel", ["reference", "loops"])
def test_sparse_batches_through_the_split_layer_bit_identical(small_mnist, kernel,
                                                              monkeypatch):
    """Where batches go as SparseRows (the main process's and every worker's), the
    result is one process's, bit for bit."""
    monkeypatch.setattr(linalg, "KERNEL", kernel)
    monkeypatch.setattr(linalg, "_kernels", linalg.KERNELS[kernel])
    one = train("two_layer", *small_mnist, 1)
    many = train("two_layer", *small_mnist, 2)
    assert one[1]._sparse is many[1]._sparse is True
    assert_same(one, many)


def test_adam_three_layers_on_the_book_schedule_bit_identical():
    rng = random.Random(0)
    data = make_spiral(30, rng=rng)
    one = train(THREE_LAYER_ADAM, data, data, 1, iterations=12)
    many = train(THREE_LAYER_ADAM, data, data, 3, iterations=12)
    assert_same(one, many)
    assert one[0].optimizer.t == 12


@pytest.mark.parametrize("workers", [2, 3])
def test_the_loss_after_each_update_is_that_of_the_whole_updated_layer(small_mnist,
                                                                       workers):
    """loss_after_update (the book's loss, taken again after the step): the other parts'
    columns are copied in first, so every recorded loss is the one-process one."""
    one = train("two_layer", *small_mnist, 1, loss_after_update=True)
    assert_same(one, train("two_layer", *small_mnist, workers, loss_after_update=True))


def test_a_stop_request_syncs_the_weights_first(small_mnist):
    def stop_after_three(trainer, loss):
        if trainer.updates == 3:
            trainer.stop_requested = True
    one = train("two_layer", *small_mnist, 1, on_update=stop_after_three)
    many = train("two_layer", *small_mnist, 2, on_update=stop_after_three)
    assert many[1].updates == 3
    assert_same(one, many)
    # the optimizer holds all the parameters again once training has stopped
    assert set(many[0].optimizer.params) == set(many[0].params)


def test_the_loss_is_checked_once_per_update_before_any_part_updates(small_mnist):
    checked = []

    class Counting(ParallelTrainer):
        def check_loss(self, loss):
            checked.append(self.updates)
            super().check_loss(loss)

    net = purenn.build("two_layer", rng=random.Random(4))
    trainer = Counting(net, *small_mnist, workers=2, epochs=1, batch_size=100,
                       rng=random.Random(4), log=None)
    trainer.fit()
    assert checked == list(range(trainer.updates)) and trainer.updates == 3


def test_more_workers_than_units_uses_one_per_unit():
    data = make_spiral(10, rng=random.Random(0))
    net = purenn.build("input 2\ndense 2\nrelu\ndense 3\nloss softmax_cross_entropy",
                       rng=random.Random(0))
    trainer = ParallelTrainer(net, data, None, workers=5, epochs=1, log=None)
    assert trainer.workers == 2
    assert split_units(50, 2) == [(0, 25), (25, 50)]
    assert split_units(5, 3) == [(0, 1), (1, 3), (3, 5)]


@pytest.mark.parametrize("spec,kwargs,message", [
    ("spiral_net", {}, "weight_decay"),
    ("two_layer", {"gradient": "numerical"}, "backprop"),
    ("input 2\nrelu\ndense 3\nloss softmax_cross_entropy", {}, "first layer"),
])
def test_what_it_cannot_split_is_refused_clearly(spec, kwargs, message):
    data = make_spiral(10, rng=random.Random(0))
    net = purenn.build(spec, rng=random.Random(0))
    with pytest.raises(PurennError, match=message):
        ParallelTrainer(net, data, None, workers=2, log=None, **kwargs)


def test_cli_workers_gives_the_same_model(tmp_path, capsys):
    paths = []
    for workers in (1, 2):
        path = tmp_path / f"w{workers}.safetensors"
        code = main(["train", "--train-size", "200", "--epochs", "1", "--quiet",
                     "--workers", str(workers), "--out", str(path)])
        assert code == 0
        paths.append(path)
    a, b = (purenn.load(str(p)) for p in paths)
    for key in a.params:
        assert a.params[key] == b.params[key], key
    assert "test accuracy" in capsys.readouterr().out


def test_cli_refuses_zero_workers():
    with pytest.raises(SystemExit) as exc:
        main(["train", "--workers", "0"])
    assert exc.value.code == 2


def test_a_worker_that_dies_is_reported_in_one_line(small_mnist):
    import os
    import signal

    def kill_worker(trainer, loss):
        if trainer.updates == 2:
            os.kill(trainer._procs[0].pid, signal.SIGKILL)
            trainer._procs[0].join()
    with pytest.raises(PurennError, match="worker 2 of 2 .* stopped unexpectedly, exit code -9"):
        train("two_layer", *small_mnist, 2, on_update=kill_worker)


def test_batchnorm_and_dropout_after_the_split_layer(small_mnist):
    train_set, test_set = small_mnist[0].head(100), small_mnist[1].head(50)
    one = train("mnist_adam_bn", train_set, test_set, 1)
    assert_same(one, train("mnist_adam_bn", train_set, test_set, 2))
