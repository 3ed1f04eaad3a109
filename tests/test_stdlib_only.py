"""purenn imports nothing outside the standard library, neither as a library nor as a CLI."""

import json
import os
import subprocess
import sys

import purenn
from purenn.data import idx

CHECK = r"""
import json, os, sys, sysconfig
argv = json.loads(sys.argv[1])
before = set(sys.modules)  # .pth files of the environment may import things at startup
import purenn, purenn.cli
code = purenn.cli.main(argv, out=lambda line: None)
top = {name.split(".")[0] for name in set(sys.modules) - before}

def standard(name):
    if hasattr(sys, "stdlib_module_names"):  # 3.10+
        return name in sys.stdlib_module_names
    # 3.9: built in, or a file in the standard library's folder and not in a site folder
    path = getattr(sys.modules[name], "__file__", None)
    stdlib = os.path.join(sysconfig.get_path("stdlib"), "")
    return path is None or (path.startswith(stdlib) and "-packages" not in path)

foreign = sorted(n for n in top if not standard(n) and n != "purenn")
print(json.dumps({"code": code, "foreign": foreign}))
"""


def _tiny_mnist(folder):
    for prefix, count in (("train", 30), ("t10k", 10)):
        idx.write_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"), (count, 28, 28),
                      bytes((i * 7) % 256 for i in range(count * 784)))
        idx.write_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"), (count,),
                      bytes(i % 10 for i in range(count)))


def test_library_and_cli_use_only_the_standard_library(tmp_path):
    _tiny_mnist(str(tmp_path))
    argv = ["train", "--data", str(tmp_path), "--epochs", "1", "--batch-size", "10"]
    parent = os.path.dirname(os.path.dirname(os.path.abspath(purenn.__file__)))
    # -S: no site-packages at all, so anything non-standard would fail to import
    for flags in (["-S"], []):
        done = subprocess.run([sys.executable, *flags, "-c", CHECK, json.dumps(argv)],
                              capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONPATH": parent})
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout.strip().splitlines()[-1])
        assert result == {"code": 0, "foreign": []}
