"""purenn: neural networks in pure Python, from the standard library alone.

    import purenn
    net = purenn.build("two_layer")          # the book's 784-50-10 ReLU network
    train, test = purenn.data.mnist.load()   # the bundled MNIST subset
    history = purenn.Trainer(net, train, test, epochs=5).fit()
    purenn.save(net, "model.safetensors"); net = purenn.load("model.safetensors")
"""

import importlib

__version__ = "0.1.0"

# name -> module that defines it; imported on first use (PEP 562), so that
# `python3 -m purenn --help` does not pay for modules it never touches
_EXPORTS = {
    "PurennError": "errors", "SpecError": "errors", "DataError": "errors",
    "ModelFileError": "errors", "PluginError": "errors", "TrainingError": "errors",
    "numerical_gradient": "gradcheck", "gradient_descent": "gradcheck",
    "load": "model", "save": "model",
    "Network": "network", "build": "spec", "shipped_specs": "spec",
    "History": "train", "Trainer": "train",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    if name in ("data", "formats", "viz", "commands", "spec", "plot", "experiments"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'purenn' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
