"""Contour lines of a function sampled on a grid (marching squares)."""


def marching_squares(xs, ys, grid, level):
    """Segments ((x1, y1), (x2, y2)) of the contour line f = ``level`` through a grid of
    values ``grid[j][i]`` = f(xs[i], ys[j]), each cell's crossings joined by linear
    interpolation (the saddle case split by the cell's mean)."""
    segments = []
    for j in range(len(ys) - 1):
        row0, row1 = grid[j], grid[j + 1]
        for i in range(len(xs) - 1):
            corners = ((xs[i], ys[j], row0[i]), (xs[i + 1], ys[j], row0[i + 1]),
                       (xs[i + 1], ys[j + 1], row1[i + 1]), (xs[i], ys[j + 1], row1[i]))
            above = [c[2] > level for c in corners]
            if all(above) or not any(above):
                continue
            crossings = []
            for k in range(4):
                (xa, ya, va), (xb, yb, vb) = corners[k], corners[(k + 1) % 4]
                if (va > level) != (vb > level):
                    t = (level - va) / (vb - va)
                    crossings.append((xa + (xb - xa) * t, ya + (yb - ya) * t))
            if len(crossings) == 2:
                segments.append((crossings[0], crossings[1]))
            elif len(crossings) == 4:
                mean = sum(c[2] for c in corners) / 4
                if (mean > level) == above[0]:
                    segments += [(crossings[0], crossings[1]), (crossings[2], crossings[3])]
                else:
                    segments += [(crossings[3], crossings[0]), (crossings[1], crossings[2])]
    return segments
