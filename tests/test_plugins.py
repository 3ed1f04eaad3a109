"""Plugins from outside: real distributions installed into a temporary folder on sys.path,
found through their entry points; a broken plugin, clashes, and the listing."""

import configparser
import os
import re
import shutil
import textwrap

import pytest
from helpers import REPO, run_purenn

from purenn import build, registry
from purenn.errors import PluginError, SpecError

PLUGINS = os.path.join(REPO, "plugins")


def install_by_hand(project, target):
    """Install a plugin project as pip lays it out, without pip (offline, no setuptools):
    its packages, and NAME-VERSION.dist-info with METADATA and entry_points.txt made from
    its setup.cfg. importlib.metadata finds it like any installed distribution."""
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(project, "setup.cfg"), encoding="utf-8")
    name = cfg["metadata"]["name"]
    packages = cfg["options"]["packages"].split()
    with open(os.path.join(project, packages[0], "__init__.py"), encoding="utf-8") as f:
        version = re.search(r'__version__ = "([^"]+)"', f.read()).group(1)
    for package in packages:
        shutil.copytree(os.path.join(project, package), os.path.join(target, package))
    write_dist_info(target, name, version, {
        group: cfg["options.entry_points"][group].strip().splitlines()
        for group in cfg["options.entry_points"] if group.startswith("purenn.")})


def write_dist_info(target, name, version, entry_points):
    info = os.path.join(target, f"{name.replace('-', '_')}-{version}.dist-info")
    os.makedirs(info)
    with open(os.path.join(info, "METADATA"), "w", encoding="utf-8") as f:
        f.write(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    with open(os.path.join(info, "entry_points.txt"), "w", encoding="utf-8") as f:
        for group, lines in entry_points.items():
            f.write(f"[{group}]\n" + "\n".join(lines) + "\n\n")


def make_plugin(target, name, module, source, entry_points, version="1.0"):
    """A tiny generated distribution: one module and its entry points."""
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(target, f"{module}.py"), "w", encoding="utf-8") as f:
        f.write(textwrap.dedent(source))
    write_dist_info(target, name, version, entry_points)
    return target


@pytest.fixture
def on_path(monkeypatch):
    """Put folders on sys.path (first given first) with a fresh registry; undone after."""
    def add(*folders):
        for folder in reversed(folders):
            monkeypatch.syspath_prepend(str(folder))
        registry.clear_cache()
    yield add
    monkeypatch.undo()
    registry.clear_cache()


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """purenn-conv and purenn-extras installed by hand into one folder."""
    target = tmp_path_factory.mktemp("site")
    for project in ("purenn-conv", "purenn-extras"):
        install_by_hand(os.path.join(PLUGINS, project), str(target))
    return target


SWISH = """\
from purenn.layers import Layer

class Swish(Layer):
    def forward(self, x, train=False):
        return x

    def backward(self, dout):
        return dout
"""


def test_real_distributions_are_found_with_their_origin(installed, on_path):
    on_path(installed)
    entry = registry.find("purenn.layers", "conv2d")
    assert (entry.value, entry.distribution, entry.version) == (
        "purenn_conv.conv:Conv2D", "purenn-conv", "0.1.0")
    for group, name in [("purenn.layers", "gelu"), ("purenn.losses", "huber"),
                        ("purenn.optimizers", "lion"), ("purenn.initializers",
                                                        "lecun_uniform")]:
        assert registry.find(group, name).distribution == "purenn-extras"


def test_plugins_load_lazily(installed, on_path):
    on_path(installed)
    registry.discover("purenn.layers")
    assert "purenn_extras.activations" not in registry._loaded
    net = build("input 4\ndense 3\ngelu\nloss huber\noptimizer lion\n")
    assert type(net.layers[1][1]).__module__ == "purenn_extras.activations"


def test_the_books_convnet_builds_and_runs_from_the_plugin(installed, on_path):
    on_path(installed)
    net = build("simple_convnet")
    assert net.output_shape == (10,)
    assert len(net.predict([[0.5] * 784])[0]) == 10


def test_the_listing_shows_real_plugins(installed):
    result = run_purenn("plugins", env={"PYTHONPATH": f"{installed}{os.pathsep}{REPO}"})
    assert result.returncode == 0, result.stderr
    rows = listing_rows(result.stdout)
    assert rows[0] == ["name", "target", "distribution", "version", "status"]
    assert ["purenn.layers", "dense", "purenn.layers:Dense", "purenn", purenn_version(),
            "ok"] in rows
    for row in (["purenn.layers", "conv2d", "purenn_conv.conv:Conv2D", "purenn-conv"],
                ["purenn.layers", "flatten", "purenn_conv.conv:Flatten", "purenn-conv"],
                ["purenn.losses", "huber", "purenn_extras.losses:Huber", "purenn-extras"],
                ["purenn.optimizers", "lion", "purenn_extras.optimizers:Lion",
                 "purenn-extras"]):
        assert row + ["0.1.0", "ok"] in rows
    assert "problems:" not in result.stdout


def listing_rows(stdout):
    """The rows of ``purenn plugins`` as [group, name, target, distribution, version,
    status] (the header alone as it is), the target's wrapped pieces joined again."""
    lines = stdout.split("\n\nproblems:")[0].splitlines()
    rows, group = [lines[0].split()], None
    for line in lines[1:]:
        if not line.startswith(" "):
            group = line.rstrip(":")
        elif line.startswith("    "):
            rows[-1][2] += line.strip()
        else:
            rows.append([group, *line.split()])
    return rows


def listed_problems(stdout):
    """The problems under the listing, each wrapped one joined into one line again."""
    problems = []
    for line in stdout.split("\n\nproblems:\n")[1].splitlines():
        assert len(line) <= 80, line
        if line.startswith("    "):
            problems[-1] += " " + line.strip()
        else:
            problems.append(line.strip())
    return problems


def purenn_version():
    import purenn
    return purenn.__version__


def test_a_broken_plugin_is_reported_and_breaks_nothing_else(tmp_path, installed, on_path):
    broken = make_plugin(tmp_path / "broken", "purenn-broken", "purenn_broken",
                         "import numpy_that_is_not_there\n",
                         {"purenn.layers": ["broken = purenn_broken:Broken"]})
    on_path(broken, installed)
    message = ("layer 'broken' from distribution 'purenn-broken' (purenn_broken:Broken) "
               "failed to import: ModuleNotFoundError: No module named "
               "'numpy_that_is_not_there'")
    with pytest.raises(PluginError) as info:
        registry.load_entry("purenn.layers", "broken")
    assert str(info.value) == message
    with pytest.raises(SpecError) as info:
        build("input 4\ndense 3\nbroken\nloss softmax_cross_entropy\n")
    assert str(info.value) == f"<spec>:3: {message}"
    build("input 4\ndense 3\ngelu\nloss softmax_cross_entropy\n")  # the others still work

    result = run_purenn("plugins", "layers", env={
        "PYTHONPATH": os.pathsep.join([str(broken), str(installed), REPO])})
    assert result.returncode == 0, result.stderr
    rows = listing_rows(result.stdout)
    assert ["purenn.layers", "broken", "purenn_broken:Broken", "purenn-broken", "1.0",
            "broken"] in rows
    assert ["purenn.layers", "gelu", "purenn_extras.activations:GELU", "purenn-extras",
            "0.1.0", "ok"] in rows
    assert listed_problems(result.stdout) == [message]


def test_two_distributions_claiming_one_name_is_an_error_naming_both(tmp_path, on_path):
    first = make_plugin(tmp_path / "a", "swish-a", "swish_a", SWISH,
                        {"purenn.layers": ["swish = swish_a:Swish"]})
    second = make_plugin(tmp_path / "b", "swish-b", "swish_b", SWISH,
                         {"purenn.layers": ["swish = swish_b:Swish"]}, version="2.0")
    on_path(first, second)
    message = ("layer 'swish' is claimed by two distributions: 'swish-a' (swish_a:Swish) "
               "and 'swish-b' (swish_b:Swish); uninstall one of them")
    with pytest.raises(SpecError) as info:
        build("input 4\n\nswish\nloss softmax_cross_entropy\n")
    assert str(info.value) == f"<spec>:3: {message}"

    result = run_purenn("plugins", "layers", env={
        "PYTHONPATH": os.pathsep.join([str(first), str(second), REPO])})
    rows = listing_rows(result.stdout)
    assert ["purenn.layers", "swish", "swish_a:Swish", "swish-a", "1.0", "clash"] in rows
    assert ["purenn.layers", "swish", "swish_b:Swish", "swish-b", "2.0", "clash"] in rows
    assert listed_problems(result.stdout) == [message]


def test_a_plugin_cannot_replace_a_built_in(tmp_path, on_path):
    evil = make_plugin(tmp_path / "evil", "evil-relu", "evil_relu", SWISH,
                       {"purenn.layers": ["relu = evil_relu:Swish"]})
    on_path(evil)
    net = build("input 4\nrelu\nloss softmax_cross_entropy\n")
    assert type(net.layers[0][1]).__module__ == "purenn.layers"
    [ignored] = registry.ignored("purenn.layers")
    assert registry.status(ignored) == (
        "layer 'relu' of distribution 'evil-relu' (evil_relu:Swish) is ignored: it is the "
        "name of a built-in (purenn.layers:ReLU); a plugin cannot replace a built-in")


@pytest.mark.parametrize("name, problem", [
    ("Swish", "layer name 'Swish' cannot be written in a spec: use lower-case letters, "
              "digits and '_', starting with a letter"),
    ("loss", "'loss' is a word of the spec language, not a layer name"),
])
def test_names_a_spec_cannot_use_are_ignored(tmp_path, on_path, name, problem):
    plugin = make_plugin(tmp_path / "odd", "odd-names", "odd_names", SWISH,
                         {"purenn.layers": [f"{name} = odd_names:Swish"]})
    on_path(plugin)
    assert name not in registry.discover("purenn.layers")
    [ignored] = registry.ignored("purenn.layers")
    assert registry.status(ignored) == problem


def test_a_plugin_that_is_not_a_layer_is_refused_on_use(tmp_path, on_path):
    plugin = make_plugin(tmp_path / "fn", "not-a-layer", "not_a_layer",
                         "def swish(x):\n    return x\n",
                         {"purenn.layers": ["swish = not_a_layer:swish"]})
    on_path(plugin)
    with pytest.raises(SpecError) as info:
        build("input 4\nswish\nloss softmax_cross_entropy\n")
    assert str(info.value) == (
        "<spec>:2: layer 'swish' from distribution 'not-a-layer' (not_a_layer:swish) is not "
        "a layer: it has no 'build', 'forward', 'backward' method")


def test_the_listing_of_built_ins_alone():
    result = run_purenn("plugins", "optimizers")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["name", "target", "distribution", "version", "status"]
    assert lines[1] == "purenn.optimizers:"
    builtins = list(registry.BUILTINS["purenn.optimizers"])
    rows = listing_rows(result.stdout)[1:len(builtins) + 1]
    assert [row[1] for row in rows] == builtins
    assert rows[0] == ["purenn.optimizers", "sgd", "purenn.optimizers:SGD", "purenn",
                       purenn_version(), "ok"]


def test_the_listing_refuses_an_unknown_group():
    result = run_purenn("plugins", "activations")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == ("error: unknown plugin group 'activations' (groups: layers, "
                             "losses, optimizers, initializers)\n")


# -- a plugin that misbehaves is one line naming it and its distribution -------------------
@pytest.mark.parametrize("statement, detail", [
    ("import sys\nsys.exit(3)", "SystemExit: 3"),
    ("raise KeyboardInterrupt", "KeyboardInterrupt"),
    ("class Odd(BaseException):\n    pass\nraise Odd('at import')", "Odd: at import"),
    ("raise RuntimeError('no GPU')", "RuntimeError: no GPU"),
])
def test_a_plugin_ending_the_process_at_import_is_only_broken(tmp_path, installed, on_path,
                                                              statement, detail):
    rude = make_plugin(tmp_path / "rude", "purenn-rude", "purenn_rude", statement + "\n",
                       {"purenn.layers": ["rude = purenn_rude:Rude"],
                        "purenn.losses": ["rude_loss = purenn_rude:Loss"]})
    on_path(rude, installed)
    message = (f"layer 'rude' from distribution 'purenn-rude' (purenn_rude:Rude) failed to "
               f"import: {detail}")
    with pytest.raises(SpecError) as info:
        build("input 4\nrude\nloss softmax_cross_entropy\n")
    assert str(info.value) == f"<spec>:2: {message}"
    build("input 4\ndense 3\ngelu\nloss softmax_cross_entropy\n")  # the others still work

    result = run_purenn("plugins", env={
        "PYTHONPATH": os.pathsep.join([str(rude), str(installed), REPO])})
    assert result.returncode == 0, result.stderr
    rows = listing_rows(result.stdout)
    assert ["purenn.layers", "rude", "purenn_rude:Rude", "purenn-rude", "1.0",
            "broken"] in rows
    assert ["purenn.losses", "rude_loss", "purenn_rude:Loss", "purenn-rude", "1.0",
            "broken"] in rows
    assert ["purenn.optimizers", "lion", "purenn_extras.optimizers:Lion", "purenn-extras",
            "0.1.0", "ok"] in rows  # a group listed after the broken ones
    assert message in listed_problems(result.stdout)


FAULTY = """\
from purenn.layers import Layer
from purenn.losses import Loss
from purenn.optimizers import SGD


class Faulty(Layer):
    def __init__(self, fail: str = "", width: int = 0):
        super().__init__()
        self.fail, self.width = fail, width
        self.config = {"fail": fail, "width": width}
        if fail == "init":
            raise TypeError("bad init")

    def build(self, input_shape, rng):
        if self.fail == "build":
            raise RuntimeError("cannot build")
        if self.fail == "shape":
            return (0,)
        if self.fail == "value":
            raise ValueError("needs a 3-d input")
        return (self.width,) if self.width else input_shape

    def forward(self, x, train=False):
        if self.fail == "forward":
            raise RuntimeError("out of cheese")
        if self.fail == "ragged":
            return [row[:-1] for row in x]
        return [list(row) for row in x]

    def backward(self, dout):
        if self.fail == "backward":
            raise ZeroDivisionError("division by zero")
        if self.fail == "rows":
            return dout[:1]
        return dout


class Step(SGD):
    def step(self, grads):
        raise KeyError("dense1.W")
"""

FAULTY_EPS = {"purenn.layers": ["faulty = purenn_faulty:Faulty"],
              "purenn.optimizers": ["faulty_sgd = purenn_faulty:Step"]}
ORIGIN = "(plugin 'faulty' of distribution 'purenn-faulty' 1.0)"


@pytest.fixture
def faulty(tmp_path, on_path):
    folder = make_plugin(tmp_path / "faulty", "purenn-faulty", "purenn_faulty", FAULTY,
                         FAULTY_EPS)
    on_path(folder)
    return folder


def faulty_net(fail, width=0, optimizer="sgd"):
    return build(f"input 4\ndense 3\nfaulty fail={fail} width={width}\ndense 2\n"
                 f"loss softmax_cross_entropy\noptimizer {optimizer}\n")


@pytest.mark.parametrize("fail, message", [
    ("init", "<spec>:3: layer 'faulty' from distribution 'purenn-faulty' "
             "(purenn_faulty:Faulty) failed: TypeError: bad init"),
    ("build", f"<spec>:3: layer 'faulty1' {ORIGIN} failed in build: RuntimeError: cannot "
              f"build"),
    # the plugin contract: a ValueError from build refuses the input at the spec's line
    ("value", "<spec>:3: needs a 3-d input"),
    ("shape", f"<spec>:3: layer 'faulty1' {ORIGIN}: build returned (0,), not a shape of "
              f"positive sizes"),
])
def test_a_plugin_failing_to_build_is_one_line_at_its_spec_line(faulty, fail, message):
    with pytest.raises(SpecError) as info:
        faulty_net(fail)
    assert str(info.value) == message


@pytest.mark.parametrize("fail, width, message", [
    ("forward", 0, f"layer 'faulty1' {ORIGIN} failed in forward: RuntimeError: out of "
                   f"cheese"),
    ("backward", 0, f"layer 'faulty1' {ORIGIN} failed in backward: ZeroDivisionError: "
                    f"division by zero"),
    ("ragged", 0, f"layer 'faulty1' {ORIGIN}: forward returned 2 rows of [2] numbers, "
                  f"expected 2 rows of 3"),
    ("none", 5, f"layer 'faulty1' {ORIGIN}: forward returned 2 rows of [3] numbers, "
                f"expected 2 rows of 5"),  # build declared 5, forward gives 3
    ("rows", 0, f"layer 'faulty1' {ORIGIN}: backward returned 1 rows of [3] numbers, "
                f"expected 2 rows of 3"),
])
def test_a_plugin_failing_in_a_pass_or_with_a_wrong_shape_is_named(faulty, fail, width,
                                                                   message):
    from purenn.errors import PluginError

    net = faulty_net(fail, width)
    with pytest.raises(PluginError) as info:
        net.gradient([[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8]], [0, 1])
    assert str(info.value) == message


def test_a_plugin_optimizer_failing_in_step_is_named(faulty):
    from purenn.errors import PluginError

    net = faulty_net("none", optimizer="faulty_sgd")
    grads = net.gradient([[0.1, 0.2, 0.3, 0.4]], [0])
    with pytest.raises(PluginError) as info:
        net.update(grads)
    assert str(info.value) == ("optimizer 'faulty_sgd' from distribution 'purenn-faulty' "
                               "(purenn_faulty:Step) failed in step: KeyError: 'dense1.W'")


@pytest.mark.parametrize("fail", ["forward", "ragged"])
def test_the_cli_reports_a_failing_plugin_in_one_line(tmp_path, faulty, fail):
    spec_file = tmp_path / "net.net"
    spec_file.write_text(f"input 2\ndense 8\nfaulty fail={fail}\ndense 3\n"
                         f"loss softmax_cross_entropy\n", encoding="utf-8")
    result = run_purenn("train", "--dataset", "spiral", "--spec", str(spec_file),
                        "--epochs", "1", env={"PYTHONPATH": f"{faulty}{os.pathsep}{REPO}"})
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: layer 'faulty1' {ORIGIN}")
    assert result.stderr.count("\n") == 1 and "internal error" not in result.stderr
