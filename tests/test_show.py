"""``show --dataset spiral`` (the points, in the terminal or as a scatter plot) and the
captions of image grids."""

from pictures import decode_png, svg_all, svg_root, svg_texts

from purenn import cli
from purenn.viz import charts, terminal


def test_show_spiral_in_the_terminal_draws_every_class():
    lines = []
    assert cli.main(["show", "--dataset", "spiral"], out=lines.append) == 0
    assert lines[0] == "spiral, 3 classes, test split: 300 points"
    drawn = "".join(lines[1:])
    assert set(drawn) == {" ", "0", "1", "2"}


def test_show_spiral_as_png_and_svg(tmp_path):
    out = []
    assert cli.main(["show", "--dataset", "spiral", "--out", str(tmp_path / "s.svg")],
                    out=out.append) == 0
    root = svg_root(tmp_path / "s.svg")
    # each point a disc with a black edge, plus the three legend markers
    assert len(svg_all(root, "circle")) == 2 * 300 + 3
    assert {"class 0", "class 1", "class 2", "x1", "x2"} <= set(svg_texts(root))
    assert cli.main(["show", "--dataset", "spiral", "--out", str(tmp_path / "s.png")],
                    out=out.append) == 0
    assert decode_png((tmp_path / "s.png").read_bytes())[:2] == (432, 428)


def test_show_spiral_refuses_indices_and_other_suffixes(tmp_path, capsys):
    assert cli.main(["show", "--dataset", "spiral", "3"]) == 1
    assert capsys.readouterr().err == "error: INDEX picks images; a 2-D data set is shown whole\n"
    assert cli.main(["show", "--dataset", "spiral", "--out", str(tmp_path / "s.jpg")]) == 1
    assert "must be a .png or .svg file" in capsys.readouterr().err
    assert not (tmp_path / "s.jpg").exists()


def test_scatter_lines_use_the_majority_class_per_cell():
    lines = terminal.scatter_lines([[0, 0], [0, 0], [0, 0.01], [1, 1]], [2, 2, 1, 0],
                                   width=4, height=2)
    assert lines == ["   0", "2"]


def test_grid_captions_may_have_two_lines():
    canvas = charts.grid_canvas([[0.0] * 4, [1.0] * 4], ["#7\nt1 p2", "#9\nt3 p4"], (2, 2))
    single = charts.grid_canvas([[0.0] * 4, [1.0] * 4], ["a", "b"], (2, 2))
    assert canvas.height == single.height + 11   # one more line of 9 + 2 pixels
    ink = [canvas.get(x, y) for y in range(canvas.height) for x in range(canvas.width)]
    assert (0, 0, 0) in ink
