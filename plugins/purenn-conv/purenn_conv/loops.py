"""The PyPy kernels of purenn-conv: plain indexed loops over preallocated rows, which
PyPy's JIT compiles to machine code (where the C-level ``itemgetter``, ``zip(*rows)`` and
slice arithmetic of ``kernels`` are slow). The layers use them when purenn's kernel set
is ``loops`` (``purenn.linalg.KERNEL``).

Every entry is the sum of the same terms in the same order as the ``kernels`` path with
the ``loops`` matmul of purenn, so the two paths agree bit for bit:

- conv forward: y[f, p] = b[f] + Σ_i col[p][i]·Wm[f][i] over the nonzero inputs, i in
  (c, ky, kx) order, summed from 0.0;
- conv dWm[f, i] = Σ_(n,p) dout[n][f, p]·col_n[p][i] over the nonzero dout, (n, p) in order;
- conv dx: dcolᵀ[i, p] = Σ_f Wm[f][i]·dout[f, p] over the nonzero weights, then added
  into the padded grid offset by offset (i), each offset's windows in order (p);
- pooling: rows (c, oy), then window offsets (ky, kx), then ox, as ``pool_windows``.

A window p = (oy, ox) starts at cell ``starts[p]`` = (oy·s)·Wp + ox·s of the padded grid
and its input i = (c, ky, kx) is at ``starts[p] + offsets[i]``, offsets[i] = (c·Hp + ky)·Wp
+ kx.
"""

from purenn import linalg
from purenn.kernels.pypy import add_terms


def window_offsets(grid):
    """(starts, offsets) of the windows and of the inputs within a window (see above)."""
    s, k, wp, hp = grid.stride, grid.window, grid.wp, grid.hp
    starts = [oy * s * wp + ox * s for oy in range(grid.out_h) for ox in range(grid.out_w)]
    offsets = [(c * hp + ky) * wp + kx
               for c in range(grid.channels) for ky in range(k) for kx in range(k)]
    return starts, offsets


def conv_forward(xp, WmT, b, starts, offsets):
    """One sample's convolution, (F·P,) channel-major: xp the padded sample, WmT (K, F).
    Window p's outputs are Σ_i xp[window p, i]·WmT[i] over its nonzero inputs, added as
    rows four at a time into one row of F (``add_terms``), then put in place."""
    F, P, K = len(b), len(starts), len(offsets)
    y = [0.0] * (F * P)
    coeffs, rows = [0.0] * K, [None] * K
    for p in range(P):
        start = starts[p]
        count = 0
        for i in range(K):
            v = xp[start + offsets[i]]
            if v != 0.0:
                coeffs[count] = v
                rows[count] = WmT[i]
                count += 1
        if count:
            acc = add_terms([0.0] * F, coeffs, rows, count)
            j = p
            for f in range(F):
                y[j] = acc[f]
                j += P
    for f in range(F):
        bf = b[f]
        for j in range(f * P, (f + 1) * P):
            y[j] = bf + y[j]
    return y


def conv_dW(xps, dout, F, starts, offsets):
    """(dWm, db): dWm (F, K) the Σ over samples n and windows p of
    dout[n][f·P + p]·xp_n[window p, i]; db[f] the exact sum (``linalg.fsum_or_sum``) of
    filter f's dout, taken over its nonzero values only (gathered in the same pass: ReLU
    and max pooling make most of a conv layer's dout zero). Each sample's windows are
    read once into rows of K, which every filter then adds four at a time into its row
    of dWm (``add_terms``), in the order (n, p) either way."""
    P, K = len(starts), len(offsets)
    dWm = [[0.0] * K for _ in range(F)]
    nonzero = [[] for _ in range(F)]
    windows = [[0.0] * K for _ in range(P)]
    coeffs, rows = [0.0] * P, [None] * P
    for n in range(len(dout)):
        drow, xp = dout[n], xps[n]
        for p in range(P):
            window, start = windows[p], starts[p]
            for i in range(K):
                window[i] = xp[start + offsets[i]]
        for f in range(F):
            kept = nonzero[f]
            base = f * P
            count = 0
            for p in range(P):
                d = drow[base + p]
                if d != 0.0:
                    coeffs[count] = d
                    rows[count] = windows[p]
                    count += 1
                    kept.append(d)
            add_terms(dWm[f], coeffs, rows, count)
    db = []
    for f in range(F):
        kept = nonzero[f]
        if not kept:             # all zeros: their sum's sign of zero is fsum's
            kept = [drow[j] for drow in dout for j in range(f * P, (f + 1) * P)]
        db.append(linalg.fsum_or_sum(kept))
    return dWm, db


def conv_dx(drow, Wm, grid, starts, offsets):
    """dx of one sample (C·H·W,): dcolᵀ row by row, added back into the padded grid."""
    F, P = len(Wm), len(starts)
    dgrid = [0.0] * grid.size
    for i in range(len(offsets)):
        acc = [0.0] * P
        for f in range(F):
            w = Wm[f][i]
            if w != 0.0:
                base = f * P
                for p in range(P):
                    acc[p] += w * drow[base + p]
        offset = offsets[i]
        for p in range(P):
            dgrid[starts[p] + offset] += acc[p]
    return grid.cropped(dgrid)


def pool_offsets(grid):
    """(rows, offsets, step): the first cell of each pooling row (c, oy) of the padded
    grid, the kh·kw window offsets in (ky, kx) order, and the step between windows."""
    plane = grid.hp * grid.wp
    rows = [c * plane + oy * grid.stride * grid.wp
            for c in range(grid.channels) for oy in range(grid.out_h)]
    k = grid.window
    return rows, [ky * grid.wp + kx for ky in range(k) for kx in range(k)], grid.stride


def maxpool_forward(xp, rows, offsets, step, out_w):
    """(y, winner): each window's max (as ``max``: the first of equal values) and the
    index of its offset (-1 where the max is NaN, which no input equals)."""
    y = [0.0] * (len(rows) * out_w)
    winner = [0] * len(y)
    K = len(offsets)
    r = 0
    for row in rows:
        for ox in range(out_w):
            start = row + ox * step
            top = xp[start + offsets[0]]
            best = 0
            for k in range(1, K):
                v = xp[start + offsets[k]]
                if v > top:
                    top, best = v, k
            y[r] = top
            winner[r] = best if top == top else -1
            r += 1
    return y, winner


def maxpool_backward(drow, winner, rows, offsets, step, out_w, size):
    """dgrid: each window's dout added to its winning input (where windows overlap, in
    the order of ``kernels``: offset by offset, then ox)."""
    dgrid = [0.0] * size
    r0 = 0
    if step * step >= len(offsets):     # windows do not overlap: one pass, any order
        for row in rows:
            for ox in range(out_w):
                k = winner[r0 + ox]
                d = drow[r0 + ox]
                if k >= 0 and d != 0.0:
                    dgrid[row + offsets[k] + ox * step] += d
            r0 += out_w
        return dgrid
    for row in rows:
        for k in range(len(offsets)):
            offset = row + offsets[k]
            for ox in range(out_w):
                if winner[r0 + ox] == k:
                    dgrid[offset + ox * step] += drow[r0 + ox]
        r0 += out_w
    return dgrid


def avgpool_forward(xp, rows, offsets, step, out_w, scale):
    """Each window's inputs summed in (ky, kx) order, times scale (1/size²)."""
    y = [0.0] * (len(rows) * out_w)
    K = len(offsets)
    r = 0
    for row in rows:
        for ox in range(out_w):
            start = row + ox * step
            total = xp[start + offsets[0]]
            for k in range(1, K):
                total += xp[start + offsets[k]]
            y[r] = scale * total
            r += 1
    return y


def avgpool_backward(drow, rows, offsets, step, out_w, size, scale):
    """dgrid: scale·dout added to every input of its window."""
    dgrid = [0.0] * size
    r0 = 0
    for row in rows:
        share = [scale * drow[r0 + ox] for ox in range(out_w)]
        for k in range(len(offsets)):
            offset = row + offsets[k]
            for ox in range(out_w):
                dgrid[offset + ox * step] += share[ox]
        r0 += out_w
    return dgrid
