"""The trainer: schedules, determinism, history, and failure on a diverging loss."""

import math
import random
from array import array

import pytest

import purenn
from purenn import linalg
from purenn.data import Dataset
from purenn.data.spiral import make_spiral
from purenn.errors import TrainingError
from purenn.sparse import SparseRows
from purenn.spec import make_optimizer
from purenn.train import Trainer, evaluate, evaluate_loss, sparse_batches

TINY = "input 2\ndense 8 init=he\nrelu\ndense 3\nloss softmax_cross_entropy\n" \
       "optimizer sgd lr=0.5\n"


def _setup(seed=0, points=40):
    rng = random.Random(seed)
    train, test = make_spiral(points, rng=rng), make_spiral(points // 2, rng=rng)
    return purenn.build(TINY, rng=rng), train, test, rng


def test_epochs_record_loss_and_accuracies():
    net, train, test, rng = _setup()
    lines = []
    history = Trainer(net, train, test, epochs=3, batch_size=50, rng=rng,
                      log=lines.append).fit()
    assert history.epoch == [1, 2, 3]
    assert len(history.iteration_loss) == 3 * 3  # 120 samples: batches of 50, 50, 20
    assert all(0.0 <= a <= 1.0 for a in history.train_acc + history.test_acc)
    assert history.train_loss[-1] < history.train_loss[0]
    assert history.train_acc[-1] == evaluate(net, train)
    assert len(lines) == 3 and lines[0].startswith("epoch   1/3  loss ")
    assert "train acc" in lines[0] and "test acc" in lines[0]


def test_same_seed_gives_identical_training():
    runs = []
    for _ in range(2):
        net, train, test, rng = _setup(seed=5)
        history = Trainer(net, train, test, epochs=2, batch_size=16, rng=rng, log=None).fit()
        runs.append((net.params, history.iteration_loss, history.test_acc))
    assert runs[0] == runs[1]


def test_the_books_schedule_draws_with_replacement_and_evaluates_every_epoch():
    net, train, test, rng = _setup(points=100)  # 300 samples, batch 100: 3 updates/epoch
    drawn = []
    batch = train.batch
    train.batch = lambda indices: (isinstance(indices, list) and drawn.append(indices)) \
        or batch(indices)  # the trainer's draws are lists; evaluation passes ranges
    history = Trainer(net, train, test, batch_size=100, iterations=7, rng=rng,
                      log=None).fit()
    assert len(history.iteration_loss) == 7
    assert history.epoch == [1, 2, 3]  # after updates 0, 3 and 6, as the book's loop
    assert all(len(indices) == 100 for indices in drawn)
    assert any(len(set(indices)) < 100 for indices in drawn)  # repeats happen


def test_eval_every_records_selected_epochs_and_the_last():
    net, train, test, rng = _setup()
    history = Trainer(net, train, test, epochs=5, batch_size=120, eval_every=2, rng=rng,
                      log=None).fit()
    assert history.epoch == [2, 4, 5]


@pytest.mark.parametrize("schedule", [{"epochs": 6, "batch_size": 50},
                                      {"iterations": 13, "batch_size": 50}])
def test_a_records_loss_is_its_own_epochs_whatever_eval_every(schedule):
    # issue 21 item 10: --log-every 100 and 50 printed different losses at epoch 100
    records = {}
    for every in (1, 2, 3):
        net, train, test, rng = _setup()
        h = Trainer(net, train, test, eval_every=every, rng=rng, log=None, **schedule).fit()
        records[every] = dict(zip(h.epoch, h.train_loss))
        losses = h.iteration_loss
    for every in (2, 3):
        assert all(records[every][e] == records[1][e] for e in records[every])
    if "epochs" in schedule:    # 120 samples in batches of 50: updates 3e-3 to 3e-1
        bounds = {e: (3 * (e - 1), 3 * e) for e in range(1, 7)}
    else:  # the book's: evaluations after updates 0, 2, 4, ... (0-based)
        bounds = {1: (0, 1)} | {e: (2 * e - 3, 2 * e - 1) for e in range(2, 8)}
    for epoch, loss in records[1].items():
        mine = losses[slice(*bounds[epoch])]
        assert loss == pytest.approx(sum(mine) / len(mine), rel=1e-15)


def test_numerical_gradient_training_follows_backprop():
    # random points: the spiral's first points sit at (0, 0), where zero biases put every
    # ReLU exactly on its kink and central differences see a slope of 1/2
    results = []
    for method in ("backprop", "numerical"):
        rng = random.Random(2)
        train = Dataset(array("d", (rng.uniform(-1, 1) for _ in range(60))),
                        bytes(rng.randrange(3) for _ in range(30)), (2,), 3)
        net = purenn.build(TINY, rng=rng)
        Trainer(net, train, None, epochs=1, batch_size=10, rng=rng, gradient=method,
                log=None).fit()
        results.append(net.params)
    for key in results[0]:
        flat = [v for row in results[0][key] for v in (row if isinstance(row, list) else [row])]
        other = [v for row in results[1][key] for v in (row if isinstance(row, list) else [row])]
        assert flat == pytest.approx(other, abs=1e-8)


def test_a_diverging_loss_stops_with_a_clear_error():
    net, train, test, rng = _setup()
    net.set_optimizer(make_optimizer("sgd", {"lr": 1e308}))
    with pytest.raises(TrainingError, match=r"the loss became (nan|inf) at update \d+; the "
                       r"learning rate \(lr=1e\+308\) is probably too large"):
        Trainer(net, train, test, epochs=3, batch_size=10, rng=rng, log=None).fit()


def test_bad_arguments_are_refused():
    net, train, test, rng = _setup()
    with pytest.raises(ValueError, match="gradient must be 'backprop' or 'numerical'"):
        Trainer(net, train, test, gradient="magic")
    with pytest.raises(ValueError, match="batch size must be at least 1, got 0"):
        Trainer(net, train, test, batch_size=0)


def test_a_batch_past_the_number_limit_is_refused_before_training(monkeypatch):
    # the book's schedule draws batch_size samples however small the training set is
    data = make_spiral(4, 3)
    net = purenn.build("spiral_net")  # 2 + 100 + 100 + 3 = 205 numbers per sample
    with pytest.raises(TrainingError, match=r"^batch size 4,294,967,297: one batch would "
                                            r"hold 880,468,295,885 numbers \(205 per sample "
                                            r"in the input and the layers' outputs\), over "
                                            r"the limit of 268,435,456 \(PURENN_MAX_PARAMETERS"
                                            r" sets another\)$"):
        Trainer(net, data, iterations=3, batch_size=2 ** 32 + 1)
    # by epochs a batch is at most the training set
    Trainer(net, data, epochs=1, batch_size=2 ** 32 + 1, log=None).fit()
    monkeypatch.setenv("PURENN_MAX_PARAMETERS", "2050")
    Trainer(net, data, iterations=1, batch_size=10)
    with pytest.raises(TrainingError, match=r"^batch size 11: one batch would hold 2,255"):
        Trainer(net, data, iterations=1, batch_size=11)


def test_one_update_goes_through_the_compute_gradients_seam():
    net, train, test, rng = _setup()
    seen = []

    class Recording(Trainer):
        def compute_gradients(self, x, t):
            loss, grads = super().compute_gradients(x, t)
            seen.append((len(x), loss))
            return loss, grads

    history = Recording(net, train, test, epochs=1, batch_size=50, rng=rng, log=None).fit()
    assert [n for n, _ in seen] == [50, 50, 20]
    assert [loss for _, loss in seen] == history.iteration_loss


def test_the_two_schedules_say_where_training_stands():
    net, train, test, rng = _setup()
    epochs = Trainer(net, train, test, epochs=3, batch_size=50, rng=rng, log=None)
    assert (epochs.schedule.name, epochs.total_epochs, epochs.total_updates) == \
        ("epochs", 3, 9)
    assert epochs.progress() == ("epoch 1/3", 0, 3)
    book = Trainer(net, train, test, iterations=7, batch_size=50, rng=rng, log=None)
    assert (book.schedule.name, book.total_epochs, book.total_updates) == \
        ("iterations", 4, 7)
    assert book.progress() == ("epoch 1/4", 0, 2)   # 100 samples: 2 updates an "epoch"
    book.fit()
    assert book.updates == 7 and book.history.epoch == [1, 2, 3, 4]
    # the last block holds the one update left of the 7, not 2
    assert book.progress() == ("epoch 4/4", 1, 1)
    short = Trainer(net, train, test, iterations=20, batch_size=1, rng=rng, log=None)
    seen = []
    short.on_update = lambda trainer, loss: seen.append(trainer.progress()[1:])
    short.fit()
    assert seen[-1] == (20, 20) and all(done <= total for done, total in seen)


# -- issue 12 items 4 and 10: quiet from Python, no "test acc nan", divergence ----------------
def test_from_python_nothing_is_printed_unless_asked(capsys):
    net, train, test, rng = _setup()
    Trainer(net, train, test, epochs=2, batch_size=50, rng=rng).fit()
    assert capsys.readouterr().out == ""
    net, train, test, rng = _setup()
    Trainer(net, train, test, epochs=2, batch_size=50, rng=rng, verbose=True).fit()
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines] == ["1/2", "2/2"]


def test_without_a_test_set_no_test_accuracy_is_printed():
    net, train, _, rng = _setup()
    lines = []
    history = Trainer(net, train, None, epochs=1, batch_size=50, rng=rng,
                      log=lines.append).fit()
    assert "test acc" not in lines[0] and "train acc" in lines[0]
    assert math.isnan(history.test_acc[0])  # as before


def _exploding(lr, **kw):
    net, train, test, rng = _setup()
    net.set_optimizer(make_optimizer("sgd", {"lr": lr}))
    return Trainer(net, train, test, epochs=20, batch_size=10, rng=rng, **kw)


def test_an_exploding_loss_is_warned_about_once():
    warned = []
    history = _exploding(1000.0, warn=warned.append).fit()
    assert len(warned) == 1
    assert warned[0].startswith("the loss exploded to ")
    assert "training diverges, the learning rate (lr=1000.0) is probably too large" in warned[0]
    assert max(history.iteration_loss) > 10 * history.iteration_loss[0]


def test_the_warning_is_a_runtime_warning_from_python():
    with pytest.warns(RuntimeWarning, match="the loss exploded"):
        _exploding(1000.0).fit()


def test_stop_on_divergence_stops_at_the_update_that_exploded():
    trainer = _exploding(1000.0, stop_on_divergence=True)
    with pytest.raises(TrainingError, match=r"the loss exploded to \S+ at update (\d+)") as info:
        trainer.fit()
    update = int(info.value.args[0].split("at update ")[1].split()[0])
    assert trainer.updates == update - 1          # that update was not applied


def test_a_healthy_run_is_not_called_divergent():
    warned = []
    _exploding(0.5, warn=warned.append).fit()
    assert warned == []


class FakeClock:
    """Seconds that pass only when the network computes: ``cost`` per sample of each
    forward pass, ``warm_up`` times that for the first ``cold`` passes (a JIT)."""

    def __init__(self, net, cost=1e-3, cold=20, warm_up=10.0):
        self.now, self.passes = 0.0, 0
        forward = net.forward

        def timed(x, train=False):
            self.passes += 1
            self.now += cost * len(x) * (warm_up if self.passes <= cold else 1.0)
            return forward(x, train)

        net.forward = timed

    def __call__(self):
        return self.now


@pytest.mark.parametrize("schedule", [{"epochs": 4}, {"iterations": 7}])
def test_the_numerical_estimate_is_for_the_whole_run_after_warming_up(schedule):
    # issue 21 item 12: on PyPy the estimate was measured cold (45:52:10 for a run of
    # about 5.5 hours) and left the evaluations out
    net, train, test, rng = _setup()
    clock = FakeClock(net)
    trainer = Trainer(net, train, test, batch_size=40, rng=rng, gradient="numerical",
                      log=None, **schedule)
    state = (rng.getstate(), [list(row) for row in net.params["dense1.W"]])
    cost = purenn.train.numerical_cost(trainer, clock, budget=20.0)
    assert (rng.getstate(), net.params["dense1.W"]) == state     # nothing changed
    assert cost.losses_per_update == 2 * net.param_count + 1
    assert cost.loss_seconds == pytest.approx(40e-3)   # warm, 40 samples (cold: 0.4 s)
    begin = clock.now
    trainer.fit()
    assert cost.total == pytest.approx(clock.now - begin, rel=0.25)


def test_the_numerical_gradient_eta_is_for_the_whole_run():
    from io import StringIO

    from purenn.commands.train import gradient_progress

    net, train, test, rng = _setup()     # 120 training and 60 test samples
    trainer = Trainer(net, train, test, epochs=2, batch_size=120, rng=rng,
                      gradient="numerical", log=None)
    now = [0.0]
    stream = StringIO()
    show = gradient_progress(stream, clock=lambda: now[0], columns=200)
    numbers = net.param_count
    show(trainer, 0, numbers)
    now[0] = 10.0
    show(trainer, 10, numbers)           # one second a number, two losses of 120 samples
    text = stream.getvalue().rsplit("\r", 1)[1]
    # this update's numbers left, the next update's, and two evaluations of 180 samples
    left = (numbers - 10) + numbers + 2 * 180 / 120 * 2.0
    m, s = divmod(round(left), 60)
    assert text.startswith(f"update 1/2: gradient 10/{numbers} numbers (")
    assert f"ETA of the run {m}:{s:02d}" in text


def test_history_metric_and_loss_at_round_trip_and_are_checked():
    from purenn.train import History
    h = History(epoch=[1], train_loss=[0.5], train_acc=[0.1], test_acc=[0.2], seconds=[1.0],
                iteration_loss=[0.5], update=[3], updates_per_epoch=3, metric="loss",
                loss_at="after-update")
    assert History.from_dict(h.as_dict()) == h
    old = h.as_dict()
    del old["metric"], old["loss_at"]          # a checkpoint from before the fields
    assert (History.from_dict(old).metric, History.from_dict(old).loss_at) == \
        ("accuracy", "before-update")
    for key, bad in [("metric", "acc"), ("loss_at", None), ("metric", ["loss"])]:
        with pytest.raises(ValueError, match=f"history {key} must be one of"):
            History.from_dict({**h.as_dict(), key: bad})


def test_a_resumed_trainer_knows_what_its_history_holds(tmp_path):
    """A state saved before History said what it holds: the trainer that loads it sets
    metric and loss_at from its own data and settings."""
    from purenn.data import planar
    rng = random.Random(0)
    data = planar.make("gauss", rng)
    spec = "input 2\ndense 1\nloss mean_squared_error\noptimizer sgd lr=0.1\n"
    first = Trainer(purenn.build(spec, rng=random.Random(1)), data, data, epochs=2, batch_size=10,
                    rng=random.Random(2), log=None, loss_after_update=True)
    first.fit()
    state = first.state_dict()
    del state["history"]["metric"], state["history"]["loss_at"]
    second = Trainer(purenn.build(spec, rng=random.Random(1)), data, data, epochs=3, batch_size=10,
                     rng=random.Random(2), log=None, loss_after_update=True)
    second.load_state_dict(state)
    assert (second.history.metric, second.history.loss_at) == ("loss", "after-update")


def _mnist_like(count=50, seed=3):
    """A data set in MNIST's form: bytes, about a fifth nonzero, read through /255."""
    rng = random.Random(seed)
    pixels = bytes(rng.randrange(1, 256) if rng.random() < 0.2 else 0
                   for _ in range(count * 784))
    labels = bytes(rng.randrange(10) for _ in range(count))
    return Dataset(pixels, labels, (784,), 10, table=[v / 255.0 for v in range(256)])


MLP = "input 784\ndense 50\nrelu\ndense 10\nloss softmax_cross_entropy\noptimizer {}\n"


@pytest.mark.parametrize("kernel", sorted(linalg.KERNELS))
@pytest.mark.parametrize("optimizer", ["sgd lr=0.1", "adam lr=0.001"])
def test_refilled_batches_and_gradients_train_to_the_floats_of_fresh_lists(kernel,
                                                                          optimizer):
    """The trainer refills one batch's rows, and hands each update's gradients back to
    the layers, whose next backward pass refills them: the losses and weights are
    those of new lists every step, on every kernel set."""
    data = _mnist_like()
    saved = linalg.KERNEL
    linalg.use_kernel(kernel)
    try:
        runs = []
        for way in ("sparse", "refilled", "new"):
            net = purenn.build(MLP.format(optimizer), rng=random.Random(1))
            trainer = Trainer(net, data, None, batch_size=20, rng=random.Random(2), log=None)
            if way != "sparse":
                trainer._sparse = False                     # dense rows, refilled
            if way == "new":
                net.optimizer.keeps_grads = True            # no gradient handed back
                trainer.batch = data.batch                  # new rows every batch
            rng, kept = random.Random(5), []
            for _ in range(4):
                x, _ = trainer.batch([rng.randrange(len(data)) for _ in range(20)])
                kept.append((x, net.layers[0][1].grads.get("W")))
                trainer.step([rng.randrange(len(data)) for _ in range(20)])
            assert isinstance(x, SparseRows) is (way == "sparse" and kernel in SPARSE_SETS)
            rows = {id(x) for x, _ in kept}
            dWs = {id(dW) for _, dW in kept[1:]}
            assert len(rows) == (1 if way == "refilled" and linalg.refills() else 4)
            assert len(dWs) == (1 if way != "new" and linalg.refills() else 3)
            runs.append((trainer.history.iteration_loss, net.params))
        assert runs[0] == runs[1] == runs[2]
    finally:
        linalg.use_kernel(saved)


SPARSE_SETS = ("reference", "loops")    # the sets a trainer hands MNIST's batches sparse


def test_the_trainer_hands_sparse_batches_where_they_pay_only(kernel):
    """An MNIST-like set through a dense first layer goes as SparseRows on the sets that
    keep sparse entries (each sample's columns found once); a dense set on loops, a
    first layer that takes no SparseRows, or a data set that makes its own rows gets
    dense rows, as does every C-level set."""
    data = _mnist_like()
    trainer = Trainer(purenn.build(MLP.format("sgd"), rng=random.Random(1)), data, None,
                      batch_size=4, log=None)
    x, t = trainer.batch([3, 1, 4, 1])
    assert (x.dense() if isinstance(x, SparseRows) else x, t) == data.batch([3, 1, 4, 1])
    assert isinstance(x, SparseRows) is (kernel in SPARSE_SETS)
    assert sparse_batches(trainer.net, data) is (kernel in SPARSE_SETS)
    rng = random.Random(4)
    dense = Dataset(bytes(rng.randrange(1, 256) for _ in range(20 * 784)), bytes(20),
                    (784,), 10, table=data.table)
    trainer = Trainer(purenn.build(MLP.format("sgd"), rng=random.Random(1)), dense, None,
                      batch_size=4, log=None)
    assert isinstance(trainer.batch([0, 1])[0], SparseRows) is (kernel == "reference")
    dropout_first = "input 784\ndropout ratio=0.5\ndense 10\nloss softmax_cross_entropy\n"
    trainer = Trainer(purenn.build(dropout_first, rng=random.Random(1)), data, None,
                      batch_size=4, log=None)
    assert not isinstance(trainer.batch([0, 1])[0], SparseRows)

    class Brighter(Dataset):
        def row(self, i):
            return [v + 1000.0 for v in super().row(i)]

    brighter = Brighter(data.features, data.labels, (784,), 10, table=data.table)
    trainer = Trainer(purenn.build(MLP.format("sgd"), rng=random.Random(1)), brighter, None,
                      batch_size=4, log=None)
    x, _ = trainer.batch([0, 1])
    assert not isinstance(x, SparseRows) and x[0][0] >= 1000.0


def test_evaluation_takes_sparse_batches_where_training_does(kernel, monkeypatch):
    """The same accuracy and loss from SparseRows as from dense rows, and any object
    with batches(size) is evaluated as before."""
    data = _mnist_like()
    net = purenn.build(MLP.format("sgd"), rng=random.Random(1))
    sparse = evaluate(net, data, batch_size=16), evaluate_loss(net, data, batch_size=16)
    seen = []
    original = Dataset.batches

    def batches(self, size, sparse=False):
        seen.append(sparse)
        return original(self, size)

    monkeypatch.setattr(Dataset, "batches", batches)
    assert (evaluate(net, data, batch_size=16), evaluate_loss(net, data, batch_size=16)) \
        == sparse
    assert seen == [kernel in SPARSE_SETS] * 2
    monkeypatch.setattr(Dataset, "batches", original)
    data.batches = lambda size: original(data, size)    # replaced: never asked sparse
    assert evaluate(net, data, batch_size=16) == sparse[0]

    class Batches:
        num_classes = 10

        def __len__(self):
            return len(data)

        def batches(self, size):
            return original(data, size)

    assert evaluate(net, Batches(), batch_size=16) == sparse[0]


@pytest.fixture(params=sorted(linalg.KERNELS))
def kernel(request, monkeypatch):
    monkeypatch.setattr(linalg, "KERNEL", request.param)
    monkeypatch.setattr(linalg, "_kernels", linalg.KERNELS[request.param])
    return request.param


@pytest.fixture(params=["reference", "loops"])        # the sets that refill
def refilling(request, monkeypatch):
    monkeypatch.setattr(linalg, "KERNEL", request.param)
    monkeypatch.setattr(linalg, "_kernels", linalg.KERNELS[request.param])
    return request.param


def test_an_optimizer_that_keeps_gradients_gets_new_ones_every_step(refilling):
    """A subclass of SGD that remembers the gradients and does not say keeps_grads is
    True (it is not inherited): nothing handed back, so what it kept of one step is as
    it was after the next."""
    from purenn.optimizers import SGD

    class Remembering(SGD):
        def step(self, grads):
            self.last = grads
            super().step(grads)

    data = _mnist_like()
    net = purenn.build(MLP.format("sgd lr=0.1"), rng=random.Random(1))
    net.optimizer = Remembering(net.params, lr=0.1)
    trainer = Trainer(net, data, None, batch_size=20, rng=random.Random(2), log=None)
    trainer.step(list(range(20)))
    first = net.optimizer.last
    copy = {key: [row[:] for row in value] if isinstance(value[0], list) else value[:]
            for key, value in first.items()}
    trainer.step(list(range(20, 40)))
    assert net.optimizer.last["dense1.W"] is not first["dense1.W"]
    assert first == copy


def test_the_trainers_batch_refills_its_rows_with_the_samples_asked_for(refilling):
    data = _mnist_like()
    trainer = Trainer(purenn.build(MLP.format("sgd"), rng=random.Random(1)), data, None,
                      batch_size=4, log=None)
    trainer._sparse = False                 # dense rows (sparse ones: the test above)
    x, t = trainer.batch([3, 1, 4, 1])
    rows = x[:]
    assert (x, t) == data.batch([3, 1, 4, 1])
    again, t = trainer.batch([5, 9, 2, 6])
    assert again is x and all(a is b for a, b in zip(again, rows))
    assert (again, t) == data.batch([5, 9, 2, 6])
    last, _ = trainer.batch([7, 8])         # a smaller last batch: new rows
    assert last is not x and last == data.batch([7, 8])[0]


def test_a_data_set_that_makes_its_own_rows_is_never_refilled(refilling):
    """A subclass's row() (augmentation) and a batch() replaced on the instance are
    called for every batch, as without refilling."""
    class Brighter(Dataset):
        def row(self, i):
            return [v + 1000.0 for v in super().row(i)]

    plain = _mnist_like()
    data = Brighter(plain.features, plain.labels, (784,), 10, table=plain.table)
    trainer = Trainer(purenn.build(MLP.format("sgd"), rng=random.Random(1)), data, None,
                      batch_size=2, log=None)
    trainer.batch([0, 1])
    x, _ = trainer.batch([2, 3])
    assert x == data.batch([2, 3])[0] and x[0][0] >= 1000.0
    plain.batch = lambda indices: Dataset.batch(plain, indices)    # one argument only
    trainer = Trainer(purenn.build(MLP.format("sgd"), rng=random.Random(1)), plain, None,
                      batch_size=2, log=None)
    trainer.step([0, 1])
    trainer.step([2, 3])


def test_a_gradient_taken_by_hand_after_training_is_new_lists(refilling):
    """The trainer lends the last update's gradients to its own next backward pass only:
    after fit, net.gradient makes new lists and leaves the layers' last ones alone."""
    data = _mnist_like()
    net = purenn.build(MLP.format("sgd lr=0.1"), rng=random.Random(1))
    Trainer(net, data, None, batch_size=10, epochs=1, rng=random.Random(2), log=None).fit()
    last = net.layers[0][1].grads["W"]
    kept = [row[:] for row in last]
    x, t = data.batch(range(10))
    grads = net.gradient(x, t)
    assert grads["dense1.W"] is not last and last == kept
    assert all(layer.spare_grads == {} for _, layer in net.layers)
