"""Training on several cores: the first dense layer split by its units across processes.

``python3 -m purenn train --workers N`` trains with ``ParallelTrainer``. The first layer of
an MNIST network does most of a step's work (its forward product, weight gradient and
update), and its output units are independent of one another:

    h[:, j] = x·W[:, j] + b[j]          dW[:, j] = xᵀ·dh[:, j]          db[j] = Σ_n dh[n, j]

So worker k owns the columns j0..j1 of W and b (and the optimizer's state for them) for
the whole run. Each update: every worker builds the batch from its own copy of the data
set (only the sample indices travel), computes its slice of h and writes it to shared
memory; the main process (itself worker 0) joins the slices, runs the rest of the network,
the loss and the backward pass down to dh, and writes each worker's columns of dh back;
every worker then computes and applies its own slice of the update. Splitting the batch
instead would make each process hold all of W and sum the gradients. What it gains (and
why two processes on busy cores are slower than one) is measured by
``benchmarks/bench_mnist.py``; the figures are in docs/speed.md.

Bit-identical to one process: every number a worker computes depends only on its own
columns, and the kernels choose their path from the data alone (see
``purenn.kernels.cpython``), so each entry of h, dW and the update is the same float
whatever the split. The optimizer must update each number on its own (all of purenn's
do); weight decay in the loss is not supported, since its ½·λ·ΣW² would need all of W
in one place.

The main process sees the first layer's weights (and its optimizer state) as of the last
sync: before every evaluation, when a stop is requested, and when training ends.
Processes are started with ``fork`` (the workers inherit the network and the data, nothing
is pickled); messages are a byte and an ``array`` of indices; floats travel through
``multiprocessing.shared_memory``.
"""

import contextlib
import multiprocessing
import signal
from array import array
from itertools import chain

from . import capabilities, optimizers
from .errors import PurennError
from .layers import Dense
from .train import Trainer, sparse_input_pays

ELEMENTWISE_OPTIMIZERS = tuple(
    getattr(optimizers, name) for name in
    ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam", "AdamW")
    if hasattr(optimizers, name))


def split_units(units, workers):
    """[(j0, j1), ...]: ``workers`` nearly equal column ranges covering 0..units."""
    bounds = [units * k // workers for k in range(workers + 1)]
    return list(zip(bounds, bounds[1:]))


class _Part:
    """The columns j0..j1 of the first dense layer, with their own optimizer."""

    def __init__(self, net, j0, j1):
        name, layer = net.layers[0]
        self.j0, self.j1, self.width = j0, j1, j1 - j0
        self.layer = Dense(self.width)
        self.layer.input_grad = False
        self.layer.params = {"W": [row[j0:j1] for row in layer.params["W"]],
                             "b": layer.params["b"][j0:j1]}
        opt = net.optimizer
        self.optimizer = type(opt)(self.layer.params, **opt.config)
        self.keys = {"W": f"{name}.W", "b": f"{name}.b"}
        for state in getattr(self.optimizer, "state_names", ()):
            value = getattr(opt, state)
            if isinstance(value, dict):
                mine = getattr(self.optimizer, state)
                mine["W"] = [row[j0:j1] for row in value[self.keys["W"]]]
                mine["b"] = list(value[self.keys["b"]][j0:j1])
            else:
                setattr(self.optimizer, state, value)

    def tensors(self):
        """(where, key, value) of every number the part owns: parameters and state."""
        out = [("params", "W", self.layer.params["W"]), ("params", "b", self.layer.params["b"])]
        for state in getattr(self.optimizer, "state_names", ()):
            value = getattr(self.optimizer, state)
            if isinstance(value, dict):
                out += [(state, "W", value["W"]), (state, "b", value["b"])]
        return out

    def flat(self):
        return array("d", chain.from_iterable(
            chain.from_iterable(v) if key == "W" else v for _, key, v in self.tensors()))

    def size(self, n_in):
        return sum(n_in * self.width if key == "W" else self.width
                   for _, key, _ in self.tensors())

    def forward(self, x):
        return self.layer.forward(x, True)

    def backward(self, dh):
        self.layer.backward(dh)
        self.optimizer.step(self.layer.grads)


def _worker(conn, part, dataset, h_view, d_view, s_view):
    """The loop of a worker process: F(orward), B(ackward and update), S(ync), Q(uit)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # the main process decides on a stop
    w = part.width
    sparse = getattr(part.layer, "takes_sparse", False) is True and sparse_input_pays(dataset)
    try:
        while True:
            message = conn.recv_bytes()
            op = message[:1]
            try:
                if op == b"F":
                    indices = array("q")
                    indices.frombytes(message[1:])
                    h = part.forward(dataset.x(indices, sparse=True) if sparse
                                     else dataset.x(indices))
                    h_view[:len(indices) * w] = array("d", chain.from_iterable(h))
                    conn.send_bytes(b"ok")
                elif op == b"B":
                    n = int(message[1:])
                    flat = d_view[:n * w].tolist()
                    part.backward([flat[i * w:(i + 1) * w] for i in range(n)])
                elif op == b"S":
                    flat = part.flat()
                    s_view[:len(flat)] = flat
                    conn.send_bytes(b"ok")
                else:
                    break
            except Exception as exc:  # report, then wait to be told to quit
                conn.send_bytes(f"error in worker: {type(exc).__name__}: {exc}".encode())
    except (EOFError, OSError):
        pass
    finally:
        conn.close()


class ParallelTrainer(Trainer):
    """A Trainer whose first dense layer runs split across ``workers`` processes.

    Same arguments as ``Trainer`` plus ``workers``; same results, bit for bit. Needs
    backprop, a ``dense`` first layer, an elementwise optimizer (every built-in one), no
    ``weight_decay`` in the loss, and the ``fork`` start method (Linux, macOS).
    """

    def __init__(self, net, train_set, test_set=None, *, workers=2, **kwargs):
        super().__init__(net, train_set, test_set, **kwargs)
        problem = self._unsupported(workers)
        if problem:
            raise PurennError(f"--workers {workers}: {problem}")
        self.workers = min(workers, net.layers[0][1].units)
        self._procs = []
        self._dh = None   # ∂L/∂h of the last batch, until its update

    def _unsupported(self, workers):
        net = self.net
        if workers < 1:
            return "needs a number of workers ≥ 1"
        if not capabilities.can_fork():
            return ("needs processes started with 'fork', which this platform does not have "
                    "(Windows and Pyodide have none): leave --workers out")
        if self.gradient != "backprop":
            return "needs gradients by backprop"
        if not net.layers or type(net.layers[0][1]) is not Dense:
            return "needs a network whose first layer is 'dense'"
        if net.weight_decay:
            return f"needs a loss without weight_decay (got {net.weight_decay!r})"
        if not isinstance(net.optimizer, ELEMENTWISE_OPTIMIZERS):
            return (f"needs one of the built-in optimizers, got "
                    f"{type(self.optimizer).__name__}")
        return None

    # -- start, sync, stop ----------------------------------------------------------------
    def _start(self):
        # imported here: it needs a platform with POSIX shared memory, which Pyodide lacks
        from multiprocessing import shared_memory

        net = self.net
        self._name, self._layer = net.layers[0]
        n_in, units = len(self._layer.params["W"]), self._layer.units
        self._n_in = n_in
        self._parts = [_Part(net, j0, j1) for j0, j1 in split_units(units, self.workers)]
        self._full_params = net.optimizer.params
        net.optimizer.params = {k: v for k, v in self._full_params.items()
                                if not k.startswith(self._name + ".")}
        ctx = multiprocessing.get_context("fork")
        self._shm, self._views, self._conns, self._procs = [], [], [], []
        self._waiting = [0] * (len(self._parts) - 1)
        rows = self.batch_size
        for part in self._parts[1:]:
            w = part.width
            shm = shared_memory.SharedMemory(
                create=True, size=8 * (2 * rows * w + part.size(n_in)))
            view = shm.buf.cast("d")
            views = (view[:rows * w], view[rows * w:2 * rows * w], view[2 * rows * w:])
            here, there = ctx.Pipe()
            proc = ctx.Process(target=_worker, args=(there, part, self.train_set) + views,
                               daemon=True)
            proc.start()
            there.close()
            self._shm.append((shm, view))
            self._views.append(views)
            self._conns.append(here)
            self._procs.append(proc)

    def _gone(self, k):
        proc = self._procs[k]
        proc.join(timeout=1)
        return PurennError(f"worker {k + 2} of {self.workers} (process {proc.pid}) stopped "
                           f"unexpectedly, exit code {proc.exitcode}")

    def _send(self, k, message):
        try:
            self._conns[k].send_bytes(message)
        except OSError:
            raise self._gone(k) from None

    def _ask(self, k, message):
        """Send a message that worker k answers (F or S)."""
        self._send(k, message)
        self._waiting[k] += 1

    def _receive(self, k):
        """Worker k's answer; a worker's error or death is a PurennError here."""
        try:
            reply = self._conns[k].recv_bytes()
        except (EOFError, OSError):
            raise self._gone(k) from None
        self._waiting[k] -= 1
        if reply != b"ok":
            raise PurennError(reply.decode(errors="replace"))

    def _sync(self):
        """Copy every part's columns (weights and optimizer state) into the network."""
        for k in range(len(self._conns)):
            while self._waiting[k]:          # an answer left over from an interrupted step
                self._receive(k)
            self._ask(k, b"S")
        flats = [self._parts[0].flat().tolist()]
        for k, (part, views) in enumerate(zip(self._parts[1:], self._views)):
            self._receive(k)
            flats.append(views[2][:part.size(self._n_in)].tolist())
        opt = self.net.optimizer
        for part, flat in zip(self._parts, flats):
            offset, w, j0, j1 = 0, part.width, part.j0, part.j1
            for where, key, _ in part.tensors():
                target = (self._layer.params[key] if where == "params"
                          else getattr(opt, where)[part.keys[key]])
                for row in (target if key == "W" else [target]):
                    row[j0:j1] = flat[offset:offset + w]
                    offset += w

    def _stop(self):
        for conn in self._conns:
            try:
                conn.send_bytes(b"Q")
            except OSError:
                pass
        for proc in self._procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
                proc.join()
        for conn in self._conns:
            conn.close()
        for views in self._views:
            for v in views:
                v.release()
        for shm, view in self._shm:
            view.release()
            shm.close()
            shm.unlink()
        self._shm, self._views, self._conns, self._procs = [], [], [], []
        self.net.optimizer.params = self._full_params

    # -- the Trainer's points of contact --------------------------------------------------
    def fit(self):
        self._start()
        try:
            result = super().fit()
        except BaseException:
            with contextlib.suppress(Exception):
                self._sync()     # the weights as of the last update, for a checkpoint
            raise
        else:
            self._sync()
            return result
        finally:
            self._stop()

    def measure(self):
        self._sync()
        return super().measure()

    def check_stop(self):
        if self.stop_requested:
            self._sync()
        super().check_stop()

    def loss_after(self, x, t):
        """The other parts' columns of the first layer are in the workers: they are copied
        in first, so that the loss is that of the weights just updated."""
        self._sync()
        return super().loss_after(x, t)

    def batch(self, indices):
        """(x, t) of the samples at ``indices``, after asking every worker to compute its
        slice of the first layer's output for them (they work while this process does);
        x as ``SparseRows`` where ``sparse_batches`` says so, as every worker's."""
        message = b"F" + array("q", indices).tobytes()
        for k in range(len(self._conns)):
            self._ask(k, message)
        return self.train_set.batch(indices, sparse=True) if self._sparse_batches() else \
            self.train_set.batch(indices)

    def compute_gradients(self, x, t):
        """``Trainer.compute_gradients`` with the first layer split: the workers' slices
        of h joined, then the rest of the network forward and back down to dh. The grads
        returned are those of the other layers; the first layer's columns are updated by
        their parts in ``update``."""
        net = self.net
        n = len(x)
        h = self._parts[0].forward(x)
        for k, (part, views) in enumerate(zip(self._parts[1:], self._views)):
            self._receive(k)
            w = part.width
            flat = views[0][:n * w].tolist()
            for i, row in enumerate(h):
                row.extend(flat[i * w:(i + 1) * w])
        loss = net.loss_of(net.forward(h, True, start=1), t)
        self._dh = net.backward_to(1)
        return loss, net.grads(start=1)

    def update(self, grads):
        """Each worker sent its columns of dh, after which it (and this process, for part
        0) updates its part; then the other layers' update."""
        dh, n = self._dh, len(self._dh)
        for k, (part, views) in enumerate(zip(self._parts[1:], self._views)):
            views[1][:n * part.width] = array("d", chain.from_iterable(
                row[part.j0:part.j1] for row in dh))
            self._send(k, b"B%d" % n)
        part = self._parts[0]
        part.backward([row[:part.j1] for row in dh])
        super().update(grads)
