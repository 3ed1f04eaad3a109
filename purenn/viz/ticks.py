"""Axis arithmetic: round tick values, their labels, and long series thinned to what a
plot's pixels can show."""

import math


def nice_ticks(lo, hi, count=5, integer=False):
    """About ``count`` round tick values (1, 2 or 5 times a power of ten) in [lo, hi];
    with ``integer``, whole numbers only (epochs: 1, 2, 3, never 2.5)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if integer:
        step = max(1, round(step))
    first = math.ceil(lo / step - 1e-9)
    ticks, k = [], first
    while k * step <= hi + step * 1e-9:
        ticks.append(int(k * step) if integer else round(k * step, 12))
        k += 1
    return ticks


def tick_label(value):
    """'3', '0.25', '1e-05'."""
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.4g}"


def envelope(values, columns):
    """(index, value) points that draw like all of ``values`` on ``columns`` pixels: every
    point when they fit, else the first, max and min of each column's share, in order."""
    n = len(values)
    columns = max(1, columns)
    if n <= 2 * columns:
        return list(enumerate(values))
    points = []
    for c in range(columns):
        lo, hi = c * n // columns, (c + 1) * n // columns
        chunk = values[lo:hi]
        if not chunk:
            continue
        top, bottom = max(chunk), min(chunk)
        i_top, i_bottom = lo + chunk.index(top), lo + chunk.index(bottom)
        points.extend(sorted({(i_top, top), (i_bottom, bottom)}))
    return points
