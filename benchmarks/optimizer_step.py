"""Time one optimizer step against one backprop gradient on the book's 784-50-10 network.

    PYTHONPATH=. python3 benchmarks/optimizer_step.py [--repeat 20]

Prints milliseconds per call (the best of --repeat runs) for the gradient of a batch of
100 bundled MNIST images and for each optimizer's step over all 39,760 parameters.
"""

import argparse
import platform
import time

from purenn import build, registry
from purenn.data import mnist
from purenn.spec import make_optimizer


def best_ms(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    train, _ = mnist.load()
    x, t = train.batch(list(range(100)))
    net = build("two_layer")
    grads = net.gradient(x, t)
    print(f"python {platform.python_version()}")
    print(f"{'gradient (backprop)':<22} {best_ms(lambda: net.gradient(x, t), args.repeat):8.2f} ms")
    for name in registry.names("purenn.optimizers"):
        net.set_optimizer(make_optimizer(name, {"lr": 1e-6}))
        ms = best_ms(lambda: net.optimizer.step(grads), args.repeat)
        print(f"{'step ' + name:<22} {ms:8.2f} ms")


if __name__ == "__main__":
    main()
