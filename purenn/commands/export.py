"""``purenn export MODEL -o WEIGHTS.npz``: a purenn model file's tensors for NumPy."""

import argparse

from ..errors import PurennError
from .args import PATH

EXAMPLES = """\
examples:
  python3 -m purenn export model.safetensors -o weights.npz
  python3 -m purenn export model.safetensors -o weights.npz --dtype float32 --compress

then, in NumPy:  w = numpy.load("weights.npz"); w["dense1.W"].shape
"""


def add_parser(sub, common):
    p = sub.add_parser(
        "export", parents=[common], help="write a model file's weights as NumPy .npz",
        description="Write every parameter and buffer of a purenn model file as one array\n"
                    "of a NumPy .npz archive, named as in the model (dense1.W, dense1.b, ...),\n"
                    "in C order, little-endian. numpy.load reads it; nothing is pickled.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", type=PATH, metavar="MODEL", help="a purenn model file (.safetensors)")
    p.add_argument("-o", "--output", type=PATH, required=True, metavar="WEIGHTS",
                   help="the .npz file to write")
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                   help="the arrays' dtype (default: float64, exact)")
    p.add_argument("--compress", action="store_true",
                   help="deflate the members, as numpy.savez_compressed")


def run(args, out):
    from ..fileio import check_writable
    from ..formats import npy
    from ..weights import network_arrays, shape_text
    from .modeldata import open_model

    if not args.output.lower().endswith((".npz", ".npy")) and \
            args.output.lower().endswith((".safetensors", ".png", ".svg", ".net")):
        raise PurennError(f"-o {args.output!r}: export writes a NumPy .npz archive; name it "
                          f"{args.output.rsplit('.', 1)[0] + '.npz'!r}")
    check_writable(args.output, "--output")
    net = open_model(args.model)
    arrays = network_arrays(net, args.dtype)
    npy.write_npz(args.output, arrays, compress=args.compress)
    for name, array in arrays.items():
        out(f"{name:<24} {shape_text(array.shape):<16} {array.dtype}")
    out(f"wrote {args.output}: {len(arrays)} arrays")
    return 0
