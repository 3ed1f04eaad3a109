"""The kernel sets: every loop that costs time, one module per way of running it.

- ``reference``: what each kernel computes, in the plainest loops, with the formulas and
  shapes. Read this one; the others are tested against it.
- ``cpython``: the loops run in C (``map``, ``compress``, ``sum``, ``math.sumprod``).
- ``pypy``: plain indexed loops over preallocated rows, for PyPy's JIT.

Every set defines the same names (``NAMES``), ``REFILLS``: whether callers should
hand it rows to refill rather than have it make new ones, and ``SPARSE_MAX_SHARE``:
below what share of nonzero inputs a trainer should hand a dense first layer its
batches as ``purenn.sparse.SparseRows``. ``purenn.linalg`` picks one
set at import (the fastest for the interpreter) and is what layers, losses and
optimizers call.
"""

NAMES = (
    "dot", "dots", "axpy_rows", "matmul", "matmul_tn", "matmul_nt", "matmul_nonzero",
    "matmul_sparse", "matmul_tn_sparse", "transpose", "rowwise", "add_row", "sub_row",
    "mul_row", "div_row", "hadamard", "scaled", "col_sums", "axpy_", "lookup", "lookup_into",
    "fsum_or_sum",
)
