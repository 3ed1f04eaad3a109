"""``purenn import WEIGHTS --spec SPEC -o MODEL``: NumPy arrays into a purenn model file.

(The module is not called ``import``, a Python keyword; ``purenn.cli`` maps the command
name to it.)
"""

import argparse
import os

from .args import PATH, Append, Text

EXAMPLES = """\
examples:
  python3 -m purenn import book:ch03 --spec three_layer_sigmoid -o ch03.safetensors
  python3 -m purenn import sample_weight.pkl --spec three_layer_sigmoid -o ch03.safetensors
  python3 -m purenn import weights.npz --spec my.net -o model.safetensors \\
      --map W1=dense1.W,b1=dense1.b,W2=dense2.W,b2=dense2.b
"""


def add_parser(sub, common):
    p = sub.add_parser(
        "import", parents=[common],
        help="turn NumPy .npz/.npy/.pkl weights into a model file",
        description="Read the arrays of a NumPy .npz or .npy file, or a pickle of NumPy\n"
                    "arrays (the book's .pkl files: read, never unpickled), without NumPy,\n"
                    "put them into the network a spec builds, and save it as a purenn model\n"
                    "file (safetensors). Arrays are paired with parameters by --map, then by\n"
                    "order where the shapes agree: each parameter, in network order, takes\n"
                    "the first unused array of its shape (arrays named as the book names\n"
                    "them, W1 b1 W2 ..., in the order of their numbers). The mapping chosen\n"
                    "is printed; a shape that disagrees is an error naming both sides.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("weights", type=PATH, metavar="WEIGHTS",
                   help="a .npz, .npy or .pkl file, or the name of shipped weights "
                        "(book:ch03)")
    p.add_argument("--spec", type=Text(), required=True,
                   help="a spec file or the name of a shipped spec that builds the network")
    p.add_argument("-o", "--output", type=PATH, required=True, metavar="MODEL",
                   help="the model file to write (.safetensors)")
    p.add_argument("--map", type=Text(), action=Append, max_items=1000, default=[],
                   metavar="ARRAY=PARAM,...",
                   help="pair arrays with parameters by name, e.g. W1=dense1.W,b1=dense1.b "
                        "(may be repeated; the rest are paired by order)")


def run(args, out):
    from .. import model
    from ..fileio import check_writable
    from ..formats import arrays as array_files
    from ..pretrained import resolve
    from ..spec import build
    from ..weights import book_order, load_into, parse_map, shape_text, target_shapes
    from .modeldata import check_model_path

    check_model_path("-o", args.output)
    check_writable(args.output, "--output")
    explicit = [pair for text in args.map for pair in parse_map(text)]
    net = build(args.spec)
    named = {array for array, _ in explicit}
    shapes = set(target_shapes(net).values())

    def keep(name, shape, dtype):  # an array no parameter can take is never decoded
        return name in named or shape in shapes

    arrays = book_order(array_files.read_arrays(resolve(args.weights), keep=keep))
    source = os.path.basename(resolve(args.weights))
    mapping = load_into(net, arrays, explicit, source)
    width = max(len(f"{name} {shape_text(arrays[name].shape)}") for name, _, _ in mapping)
    for name, target, how in mapping:
        array = arrays[name]
        left = f"{name} {shape_text(array.shape)}"
        out(f"{left:<{width}} -> {target:<16} {array.dtype}, {how}")
    model.save(net, args.output, training={"imported_from": source})
    out(f"wrote {args.output}: {len(mapping)} tensors, spec {net.source}")
    return 0
