"""MNIST-style preprocessing of drawn digits: 20x20 box, centre of mass in the middle."""

import pytest

from purenn.data import mnist
from purenn.data.preprocess import mnist_style


def picture(width, height, inside, ink=255, background=0):
    return bytes(ink if inside(x, y) else background for y in range(height) for x in range(width))


def rows_and_cols(image):
    rows = [y for y in range(28) if any(image[y * 28:(y + 1) * 28])]
    cols = [x for x in range(28) if any(image[y * 28 + x] for y in range(28))]
    return rows, cols


def centre_of_mass(image):
    mass = sum(image)
    cx = sum((i % 28) * v for i, v in enumerate(image)) / mass
    cy = sum((i // 28) * v for i, v in enumerate(image)) / mass
    return cx, cy


def _at(image, x, y):
    return image[y * 28 + x] if 0 <= x < 28 and 0 <= y < 28 else 0


def test_a_blank_picture_gives_a_black_image():
    assert mnist_style(bytes(50 * 40), 50, 40) == bytes(784)


def test_a_tall_stroke_fills_20_rows_and_keeps_its_aspect():
    image = mnist_style(picture(200, 200, lambda x, y: 90 <= x < 110 and 20 <= y < 180),
                        200, 200)
    rows, cols = rows_and_cols(image)
    assert rows == list(range(4, 24))                       # 160 px high -> 20
    assert len(cols) == 3                                   # 20 px wide -> 2.5 -> 3
    cx, cy = centre_of_mass(image)
    assert abs(cx - 13.5) <= 0.5 and abs(cy - 13.5) <= 0.5


def test_a_wide_shape_fills_20_columns():
    image = mnist_style(picture(120, 60, lambda x, y: 10 <= x < 110 and 25 <= y < 35),
                        120, 60)
    rows, cols = rows_and_cols(image)
    assert cols == list(range(4, 24)) and len(rows) == 2


def test_a_small_drawing_is_scaled_up():
    image = mnist_style(picture(10, 10, lambda x, y: 4 <= x < 7 and 4 <= y < 7), 10, 10)
    assert rows_and_cols(image) == (list(range(4, 24)), list(range(4, 24)))
    assert set(image[4 * 28 + 4:4 * 28 + 24]) == {255}


def test_the_centre_of_mass_not_the_box_is_centred():
    # an L: its mass lies left of and below the middle of its box
    def shape(x, y):
        return (0 <= x < 4 and 0 <= y < 40) or (0 <= x < 40 and 36 <= y < 40)
    image = mnist_style(picture(40, 40, shape), 40, 40, ink="light")
    cx, cy = centre_of_mass(image)
    assert abs(cx - 13.5) <= 0.5 and abs(cy - 13.5) <= 0.5
    rows, cols = rows_and_cols(image)
    assert rows[0] < 4 < cols[0]            # moved up and right from the centred box


def test_dark_ink_on_paper_is_inverted():
    def inside(x, y):
        return 30 <= x < 50 and 10 <= y < 70
    light = mnist_style(picture(80, 80, inside), 80, 80)
    dark = picture(80, 80, inside, ink=0, background=255)
    assert mnist_style(dark, 80, 80) == light
    assert mnist_style(dark, 80, 80, ink="dark") == light
    assert mnist_style(dark, 80, 80, ink="light") != light


def test_numbers_are_clipped_to_bytes():
    values = [300 if 2 <= x < 8 else -5 for y in range(10) for x in range(10)]
    image = mnist_style(values, 10, 10)
    assert max(image) == 255 and min(image) == 0


@pytest.mark.parametrize("pixels, width, height, message", [
    (bytes(10), 3, 3, "3x3 picture needs 9 pixel values, got 10"),
    (bytes(0), 0, 5, "needs 0 pixel values"),
])
def test_bad_sizes_are_refused(pixels, width, height, message):
    with pytest.raises(ValueError, match=message):
        mnist_style(pixels, width, height)


def test_bad_ink_is_refused():
    with pytest.raises(ValueError, match="ink must be"):
        mnist_style(bytes(4), 2, 2, ink="red")


def test_mnist_digits_are_almost_fixed_points():
    """MNIST's own digits went through this: a digit whose box is 20 pixels comes back as
    itself, moved by at most a pixel (the centring rounds to whole pixels)."""
    _, test = mnist.load(normalize=False)
    checked = 0
    for i in range(100):
        original = bytes(int(v) for v in test.row(i))
        rows, cols = rows_and_cols(original)
        if max(len(rows), len(cols)) != 20:
            continue
        again = mnist_style(original, 28, 28, ink="light", threshold=0)
        shifts = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)
                  if all(again[y * 28 + x] == _at(original, x - dx, y - dy)
                         for y in range(28) for x in range(28))]
        assert shifts, i
        checked += 1
    assert checked >= 50
