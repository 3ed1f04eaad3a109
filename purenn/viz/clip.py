"""Cutting shapes at a box, as matplotlib clips what it draws at the axes: a line that
leaves a panel's limits ends where it crosses the frame (it is not pressed flat onto it).

A box is (x0, y0, x1, y1) with x0 <= x1 and y0 <= y1, in any one coordinate system.
"""


def segment(x0, y0, x1, y1, box):
    """The part of the segment (x0, y0)-(x1, y1) inside ``box`` as (x0, y0, x1, y1), or
    None when none of it is (Liang-Barsky: the segment is p + t·d, 0 <= t <= 1, and each
    of the four sides cuts the interval of t that stays inside). An end inside the box
    comes back unchanged, to the last bit."""
    bx0, by0, bx1, by1 = box
    dx, dy = x1 - x0, y1 - y0
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, x0 - bx0), (dx, bx1 - x0), (-dy, y0 - by0), (dy, by1 - y0)):
        if p == 0:
            if q < 0:
                return None      # parallel to this side and outside it
            continue
        t = q / p
        if p < 0:
            if t > t1:
                return None
            t0 = max(t0, t)
        else:
            if t < t0:
                return None
            t1 = min(t1, t)
    start = (x0, y0) if t0 == 0 else (x0 + t0 * dx, y0 + t0 * dy)
    end = (x1, y1) if t1 == 1 else (x0 + t1 * dx, y0 + t1 * dy)
    return start + end


def polyline(points, box):
    """The pieces of a polyline inside ``box``: a list of point lists, each of two points
    or more (or the one point of a one-point line inside the box); a piece ends where
    the line leaves the box and a new one starts where it comes back."""
    if len(points) == 1:
        return [list(points)] if inside(*points[0], box) else []
    pieces, current = [], []
    for (a, b), (c, d) in zip(points, points[1:]):
        cut = segment(a, b, c, d, box)
        if cut is None:
            if len(current) > 1:
                pieces.append(current)
            current = []
            continue
        start, end = cut[:2], cut[2:]
        if not current or current[-1] != start:
            if len(current) > 1:
                pieces.append(current)
            current = [start]
        current.append(end)
        if end != (c, d):        # left the box here
            pieces.append(current)
            current = []
    if len(current) > 1:
        pieces.append(current)
    return pieces


def inside(x, y, box):
    """Whether (x, y) lies in ``box`` (its sides included)."""
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def rect(x, y, w, h, box):
    """The part of the rectangle (x, y, w, h) inside ``box`` as (x, y, w, h), or None
    when nothing of it (or only an edge) is."""
    x0, y0 = max(x, box[0]), max(y, box[1])
    x1, y1 = min(x + w, box[2]), min(y + h, box[3])
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1 - x0, y1 - y0
