"""A pixel canvas: RGB bytes in memory, drawn on with lines, boxes, discs, text and gray
images, then saved as PNG (``purenn.viz.png``).

Coordinates are pixels, x to the right and y down, (0, 0) the top-left corner; colors
are (r, g, b) tuples of 0-255. Drawing outside the canvas is clipped.
"""

from . import font
from .png import write_png


class Canvas:
    """``width`` x ``height`` RGB pixels, filled with ``background``."""

    def __init__(self, width, height, background=(255, 255, 255)):
        self.width, self.height = width, height
        self.pixels = bytearray(bytes(background) * (width * height))

    def set(self, x, y, color):
        if 0 <= x < self.width and 0 <= y < self.height:
            i = 3 * (y * self.width + x)
            self.pixels[i:i + 3] = bytes(color)

    def get(self, x, y):
        i = 3 * (y * self.width + x)
        return tuple(self.pixels[i:i + 3])

    def fill_rect(self, x, y, w, h, color):
        x0, y0 = max(0, int(x)), max(0, int(y))
        x1, y1 = min(self.width, int(x + w)), min(self.height, int(y + h))
        if x1 <= x0:
            return
        run = bytes(color) * (x1 - x0)
        for row in range(y0, y1):
            i = 3 * (row * self.width + x0)
            self.pixels[i:i + len(run)] = run

    def rect(self, x, y, w, h, color):
        """The outline of a box."""
        self.fill_rect(x, y, w, 1, color)
        self.fill_rect(x, y + h - 1, w, 1, color)
        self.fill_rect(x, y, 1, h, color)
        self.fill_rect(x + w - 1, y, 1, h, color)

    def line(self, x0, y0, x1, y1, color, width=1, dash=None):
        """A straight line (Bresenham), ``width`` pixels thick; ``dash`` = (on, off)."""
        self.polyline([(x0, y0), (x1, y1)], color, width, dash)

    def polyline(self, points, color, width=1, dash=None):
        """Connected straight lines through ``points``; a dash pattern runs on across the
        corners instead of starting again at each one."""
        step, half = 0, (width - 1) // 2
        period = sum(dash) if dash else 0
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            x0, y0, x1, y1 = round(x0), round(y0), round(x1), round(y1)
            dx, dy = abs(x1 - x0), -abs(y1 - y0)
            sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
            err = dx + dy
            while True:
                if dash is None or step % period < dash[0]:
                    if width == 1:
                        self.set(x0, y0, color)
                    else:
                        self.fill_rect(x0 - half, y0 - half, width, width, color)
                if x0 == x1 and y0 == y1:
                    break
                step += 1
                e2 = 2 * err
                if e2 >= dy:
                    err += dy
                    x0 += sx
                if e2 <= dx:
                    err += dx
                    y0 += sy

    def disc(self, cx, cy, radius, color, edge=None):
        """A filled circle, with a one-pixel ``edge`` color if given."""
        r2 = radius * radius
        for y in range(int(cy - radius) - 1, int(cy + radius) + 2):
            for x in range(int(cx - radius) - 1, int(cx + radius) + 2):
                d2 = (x - cx) ** 2 + (y - cy) ** 2
                if d2 <= r2:
                    inner = d2 <= (radius - 1) ** 2
                    self.set(x, y, color if inner or edge is None else edge)

    def marker(self, cx, cy, kind, radius, color):
        """A matplotlib-like marker centred on (cx, cy): disc, square, triangle, diamond
        or cross, about 2·radius wide."""
        r = max(1, round(radius))
        cx, cy = round(cx), round(cy)
        if kind == "disc":
            self.disc(cx, cy, radius, color)
        elif kind == "square":
            self.fill_rect(cx - r, cy - r, 2 * r + 1, 2 * r + 1, color)
        elif kind == "cross":
            self.line(cx - r, cy - r, cx + r, cy + r, color, 2)
            self.line(cx - r, cy + r, cx + r, cy - r, color, 2)
        else:
            for dy in range(-r - 1, r + 2):
                if kind == "diamond":
                    half = r + 1 - abs(dy)
                else:  # triangle, point up
                    half = (dy + r + 1) // 2 if -r - 1 <= dy <= r else -1
                if half >= 0:
                    self.fill_rect(cx - half, cy + dy, 2 * half + 1, 1, color)

    def text(self, x, y, text, color=(0, 0, 0), scale=1, anchor="start", rotate=0,
             middle=False):
        """``text`` in the bitmap font, its top-left corner at (x, y) (with ``middle``, y is
        the middle of its capitals); ``anchor`` "middle" or "end" centres it on x or ends it
        at x. ``rotate=90`` writes upwards from (x, y) (the text's start at the bottom)."""
        width = font.text_width(text, scale)
        shift = width // 2 if anchor == "middle" else width if anchor == "end" else 0
        top = (font.ASCENT * scale) // 2 if middle else 0
        for n, char in enumerate(text):
            for row, bits in enumerate(font.glyph(char)):
                for col, ink in enumerate(bits):
                    if not ink:
                        continue
                    along = (n * font.ADVANCE + col) * scale - shift
                    across = row * scale - top
                    if rotate == 90:
                        self.fill_rect(x + across, y - along - scale + 1, scale, scale, color)
                    else:
                        self.fill_rect(x + along, y + across, scale, scale, color)

    def image(self, x, y, w, h, pixels, width, height):
        """RGB ``pixels`` (``width`` x ``height``, rows top to bottom) stretched over the
        box (x, y, w, h), nearest neighbour."""
        for row in range(h):
            source = min(height - 1, row * height // h) * width
            yy = y + row
            if not 0 <= yy < self.height:
                continue
            for col in range(w):
                xx = x + col
                if 0 <= xx < self.width:
                    i = 3 * (source + min(width - 1, col * width // w))
                    j = 3 * (yy * self.width + xx)
                    self.pixels[j:j + 3] = pixels[i:i + 3]

    def gray_image(self, x, y, values, width, height, scale=1):
        """Blit a gray image (``values`` in [0, 1], rows top to bottom), each pixel drawn
        as a ``scale`` x ``scale`` square."""
        for row in range(height):
            for col in range(width):
                v = round(255 * min(1.0, max(0.0, values[row * width + col])))
                self.fill_rect(x + col * scale, y + row * scale, scale, scale, (v, v, v))

    def save_png(self, path):
        write_png(path, self.width, self.height, bytes(self.pixels), channels=3)
