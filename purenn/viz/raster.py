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
        x0, y0, x1, y1 = round(x0), round(y0), round(x1), round(y1)
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err, step, half = dx + dy, 0, (width - 1) // 2
        while True:
            if dash is None or step % sum(dash) < dash[0]:
                if width == 1:
                    self.set(x0, y0, color)
                else:
                    self.fill_rect(x0 - half, y0 - half, width, width, color)
            if x0 == x1 and y0 == y1:
                return
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

    def text(self, x, y, text, color=(0, 0, 0), scale=1, anchor="start"):
        """``text`` in the 5x7 font, its top-left corner at (x, y); ``anchor`` "middle"
        or "end" centres it on x or ends it at x."""
        width = font.text_width(text, scale)
        if anchor == "middle":
            x -= width // 2
        elif anchor == "end":
            x -= width
        for n, char in enumerate(text):
            for row, bits in enumerate(font.glyph(char)):
                for col, ink in enumerate(bits):
                    if ink:
                        self.fill_rect(x + (n * font.ADVANCE + col) * scale,
                                       y + row * scale, scale, scale, color)

    def gray_image(self, x, y, values, width, height, scale=1):
        """Blit a gray image (``values`` in [0, 1], rows top to bottom), each pixel drawn
        as a ``scale`` x ``scale`` square."""
        for row in range(height):
            for col in range(width):
                v = round(255 * min(1.0, max(0.0, values[row * width + col])))
                self.fill_rect(x + col * scale, y + row * scale, scale, scale, (v, v, v))

    def save_png(self, path):
        write_png(path, self.width, self.height, bytes(self.pixels), channels=3)
