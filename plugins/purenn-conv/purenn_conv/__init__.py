"""purenn-conv: convolution and pooling layers for purenn, in pure Python.

Registered under the entry-point group ``purenn.layers`` (see setup.cfg):

    conv2d 30 kernel=5 stride=1 pad=0     Conv2D: 30 filters of 5x5
    maxpool2d 2 stride=2                  MaxPool2D: max over 2x2 windows
    avgpool2d 2                           AvgPool2D: mean over 2x2 windows
    flatten                               Flatten: (C, H, W) -> (C*H*W,), channel-major
"""

__version__ = "0.1.0"

from .conv import Conv2D, Flatten
from .pool import AvgPool2D, MaxPool2D

__all__ = ["Conv2D", "Flatten", "MaxPool2D", "AvgPool2D", "__version__"]
