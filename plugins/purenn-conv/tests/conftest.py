"""Every test of purenn-conv runs with each kernel set of purenn this Python has: the
C-level sets take the im2col path of ``purenn_conv.kernels``, ``loops`` (PyPy's) the
indexed loops of ``purenn_conv.loops``."""

import pytest

from purenn import linalg


@pytest.fixture(autouse=True, params=sorted(linalg.KERNELS))
def kernel(request):
    saved = linalg.KERNEL
    linalg.use_kernel(request.param)
    yield request.param
    linalg.use_kernel(saved)
