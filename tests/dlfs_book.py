"""The book's pretrained networks (../shared/reference/dlfs, see its README) and what the
book's own NumPy code gets from them on the 10,000 MNIST test images: the constants the
tests assert, so that the normal suite needs no NumPy.

The counts were found with an independent NumPy computation of the book's code (x/255 as
float32, affine x·W + b, im2col convolution, 2x2 max pooling, channel-major flattening,
the book's dropout scaling x·(1 − 0.5) at inference, argmax); tests/crosscheck/
test_crosscheck_dlfs.py recomputes every one of them with NumPy.

float32 or float64 changes no answer. The chapter 3 weights are float32 and the book runs
that network entirely in float32; purenn reads each float32 as the float64 it equals and
computes in float64. The largest difference in a final score is 6.7e-6, the smallest gap
between the top two scores of an image 2.8e-3: the same 10,000 answers. The convnets'
weights are float64; the book's float32 inputs (x/255 rounded to float32) against
purenn's float64 ones move a score by at most 2.5e-7 (ch. 7) and 1.5e-7 (ch. 8), while the
smallest top-two gaps are 5.9e-4 (ch. 7, image 3437) and 4.0e-5 (ch. 8, image 5997).

Dropout does matter for chapter 8. The book scales by (1 − 0.5) at inference, and the
first dropout sits before an affine layer with a bias, so x·0.5·W + b ranks the classes
differently from x·W + b on 6 images: with inverted (PyTorch-style) dropout the count
would be 9796, not the book's 9797. The shipped spec says ``dropout 0.5 inverted=false``.
"""

import os
from dataclasses import dataclass, field

from helpers import SHARED

DLFS_DIR = os.path.join(SHARED, "reference", "dlfs")


@dataclass(frozen=True)
class BookNetwork:
    weights: str             # file in DLFS_DIR
    spec: str                # shipped spec that builds the same network
    correct: int             # of the 10,000 test images, by the book's NumPy code
    fast: range              # test images checked in the normal suite
    fast_wrong: dict = field(default_factory=dict)  # image index -> the book's answer

    @property
    def path(self):
        return os.path.join(DLFS_DIR, self.weights)

    @property
    def fast_correct(self):
        return len(self.fast) - len(self.fast_wrong)


BOOK = {
    "ch03": BookNetwork("ch03_sample_weight.npz", "three_layer_sigmoid", 9352,
                        range(0, 10_000)),
    "ch07": BookNetwork("ch07_simple_convnet.npz", "simple_convnet", 9600,
                        range(0, 100), {8: 6, 92: 4}),
    "ch08": BookNetwork("ch08_deep_convnet.npz", "deep_convnet", 9797,
                        range(70, 90), {78: 8}),
}
