"""purenn: neural networks in pure Python, from the standard library alone.

    import purenn
    net = purenn.build("two_layer")          # the book's 784-50-10 ReLU network
    train, test = purenn.data.mnist.load()   # the bundled MNIST subset
    history = purenn.Trainer(net, train, test, epochs=5).fit()
    purenn.save(net, "model.safetensors"); net = purenn.load("model.safetensors")
"""

__version__ = "0.1.0"

from .errors import DataError, ModelFileError, PluginError, PurennError, SpecError, TrainingError
from .gradcheck import gradient_descent, numerical_gradient
from .model import load, save
from .network import Network, build, shipped_specs
from .train import History, Trainer

__all__ = [
    "__version__", "build", "Network", "shipped_specs", "Trainer", "History",
    "numerical_gradient", "gradient_descent", "PurennError", "SpecError", "DataError",
    "ModelFileError", "PluginError", "TrainingError", "save", "load",
]
