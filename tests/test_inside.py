"""Looking inside: activation histograms (counts sum to the activations), conv filters
before and after training, optimizer paths over the contours of x²/20 + y²."""

import random

import pytest
from pictures import decode_png, svg_all, svg_root, svg_texts
from test_plugins import PLUGINS, install_by_hand

from purenn import build, cli, registry
from purenn.experiments import figures, inside
from purenn.optimizers import SGD


def test_activation_histograms_count_every_activation():
    net = build("ch6_activations")
    rng = random.Random(0)
    x = [[rng.gauss(0, 1) for _ in range(100)] for _ in range(40)]
    outputs = inside.layer_outputs(net, x)
    assert [(name, kind) for name, kind, _ in outputs] == [
        (f"sigmoid{n}", "sigmoid") for n in range(1, 6)]
    fig, counts = figures.activations([("std=1", [(f"{n}-layer", v) for n, (_, _, v) in
                                                  enumerate(outputs, 1)])])
    assert [sum(c) for c in counts[0]] == [40 * 100] * 5
    assert all(len(c) == 30 for c in counts[0])
    # std=1: the sigmoid saturates, most outputs in the first and last bins (figure 6-10)
    assert counts[0][0][0] + counts[0][0][-1] > 0.4 * 4000
    root = svg_root(fig.svg())
    assert [t for t in svg_texts(root) if t.endswith("-layer")] == [
        f"{n}-layer" for n in range(1, 6)]


def test_activations_command_draws_a_row_per_setting(tmp_path):
    lines = []
    code = cli.main(["activations", "ch6_activations", "--batch", "30", "--set",
                     "dense.std=1,0.01", "--out", str(tmp_path / "a.svg")], out=lines.append)
    assert code == 0
    assert lines[0] == "dense.std=1: ch6_activations, 30 inputs drawn from N(0, 1)"
    assert lines[1].split() == ["layer", "kind", "mean", "std", "|v|<=.01", "v>=.99"]
    assert lines[-1] == f"histograms written to {tmp_path / 'a.svg'}"
    root = svg_root(tmp_path / "a.svg")
    texts = svg_texts(root)
    assert texts.count("1-layer") == 2 and "std=1" in texts and "std=0.01" in texts
    code = cli.main(["activations", "ch6_activations", "--batch", "30", "--set", "sigmoid=relu",
                     "--range", "0:1", "--out", str(tmp_path / "r.png")], out=lines.append)
    assert code == 0 and "outside the range, not drawn" in lines[-1]
    assert decode_png((tmp_path / "r.png").read_bytes())[0] == 5 * 180


def test_relu_activations_are_drawn_over_the_books_range(tmp_path):
    """Figure 6-14: the book draws ReLU outputs over (0, 1) (its ylim(0, 7000) cutting
    the bar of the zeros), not over the values' range (0 to 7 with He's weights)."""
    lines = []
    assert cli.main(["activations", "ch6_activations", "--batch", "200", "--set",
                     "sigmoid=relu", "--set", "dense.init=xavier,he", "--out",
                     str(tmp_path / "r.svg")], out=lines.append) == 0
    assert "outside the range, not drawn" in lines[-1]
    root = svg_root(tmp_path / "r.svg")
    texts = svg_texts(root)
    ticks = [float(t) for t in texts if t.replace(".", "").isdigit()]
    assert max(t for t in ticks if t < 100) == 1      # the x ticks: 0, 0.5, 1
    assert {"xavier", "he"} <= set(texts)
    assert "activations: 200 inputs drawn from N(0, 1); every row: sigmoid=relu" in texts
    notes = [t for t in texts if t.startswith("1st bar")]
    assert len(notes) == 10 and all(">1: " in t for t in notes)
    # the bars drawn never rise above the frame, the cut one reaches it
    frames = [r for r in svg_all(root, "rect") if r.get("stroke") == "#000000"]
    tops = {round(float(f.get("y"))) for f in frames}
    bars = [r for r in svg_all(root, "rect") if r.get("fill") == "#1f77b4"]
    assert all(round(float(b.get("y"))) >= min(tops) for b in bars)
    assert sum(round(float(b.get("y"))) in tops for b in bars) >= 10
    assert figures.book_range({"relu"}) == (0.0, 1.0)
    assert figures.book_range({"tanh"}) == (-1.0, 1.0)
    assert figures.book_range({"relu", "tanh"}) is None
    assert figures.book_range({"gelu"}) is None


def test_activations_errors(capsys):
    assert cli.main(["activations", "ch6_activations", "--range", "1:0"]) == 1
    assert capsys.readouterr().err == ("error: --range '1:0': write LO:HI with LO < HI, such "
                                       "as 0:1\n")
    assert cli.main(["activations", "spiral_linear"]) == 1
    assert "has no activation function layers; try --all-layers" in capsys.readouterr().err


def test_optimizer_paths_follow_the_books_updates():
    path = inside.optimizer_path(lambda params: SGD(params, lr=0.95))
    assert len(path) == 31 and path[0] == (-7.0, 2.0)
    x, y = path[-1]
    assert x == pytest.approx(-7 * 0.905 ** 30, rel=1e-12)
    assert y == pytest.approx(2 * 0.9 ** 30, rel=1e-12)   # (−0.9)^30, an even power


def test_paths_command_draws_four_panels_over_contours(tmp_path):
    lines = []
    assert cli.main(["paths", "--out", str(tmp_path / "p.svg")], out=lines.append) == 0
    assert [line.split()[0] for line in lines[:4]] == ["SGD", "Momentum", "AdaGrad", "Adam"]
    root = svg_root(tmp_path / "p.svg")
    assert {"SGD lr=0.95", "Momentum lr=0.1", "AdaGrad lr=1.5", "Adam lr=0.3"} <= set(
        svg_texts(root))
    paths = [p for p in svg_all(root, "polyline") if p.get("stroke") == "#d62728"]
    assert len(paths) == 4 and all(len(p.get("points").split()) == 31 for p in paths)
    assert len(svg_all(root, "line")) > 4 * 200   # contour segments


def test_paths_errors(capsys):
    assert cli.main(["paths", "--optimizer", "sgdd lr=0.1"]) == 1
    assert "unknown" in capsys.readouterr().err
    assert cli.main(["paths", "--start", "1"]) == 1
    assert capsys.readouterr().err == "error: --start '1': write X,Y, such as -7,2\n"


@pytest.fixture(scope="module")
def conv_site(tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    install_by_hand(f"{PLUGINS}/purenn-conv", str(target))
    return target


CONV = """\
input 1x6x6
conv2d 3 kernel=3
relu
flatten
dense 2
loss softmax_cross_entropy
"""


def test_filters_before_and_after_training(conv_site, tmp_path, monkeypatch):
    import purenn

    monkeypatch.syspath_prepend(str(conv_site))
    registry.clear_cache()
    try:
        net = build(CONV, rng=random.Random(5))
        initial = [[list(r) for r in f[0]] for f in net.params["conv2d1.W"]]
        for f in net.params["conv2d1.W"]:
            for row in f[0]:
                row[:] = [v + 1.0 for v in row]   # as if trained
        purenn.save(net, tmp_path / "m.safetensors", training={"seed": 5})
        lines = []
        assert cli.main(["filters", str(tmp_path / "m.safetensors"), "--out",
                         str(tmp_path / "f.svg")], out=lines.append) == 0
        assert lines == [f"conv2d1: 3 filters of 3x3; before training (seed 5) and after "
                         f"drawn to {tmp_path / 'f.svg'}"]
        root = svg_root(tmp_path / "f.svg")
        assert len(svg_all(root, "image")) == 6
        assert {"before training", "after training"} <= set(svg_texts(root))
        before = inside.first_conv(build(CONV, rng=random.Random(5)))[1]
        assert [list(f[0]) for f in before] == initial
        assert cli.main(["filters", "two_layer", "--out", str(tmp_path / "x.png")]) == 1
    finally:
        registry.clear_cache()
