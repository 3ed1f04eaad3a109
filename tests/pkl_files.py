"""Pickles of NumPy arrays assembled opcode by opcode, as NumPy and Python 3 write them,
so that the tests of purenn.formats.pkl need neither NumPy nor the pickle module.

``dumps(arrays, protocol)`` writes a dict of Tensors the way ``pickle.dumps`` writes a
dict of NumPy arrays: protocol 0 (text opcodes, bytes as ``_codecs.encode(text,
'latin1')``), 1 (binary opcodes, MARK ... TUPLE), 2 (PROTO, TUPLE1-3, NEWTRUE), 3
(BINBYTES), 4 (FRAME, SHORT_BINUNICODE, STACK_GLOBAL, MEMOIZE) and 5 (``_frombuffer``
over BYTEARRAY8). The dtype of the first array is memoized and fetched back with
BINGET/GET for the next ones of the same dtype, as pickle does.
"""

import struct

from purenn.formats import npy
from purenn.formats.tensor import DTYPES


class Writer:
    def __init__(self, protocol, core="numpy._core"):
        self.protocol, self.core = protocol, core
        self.out = bytearray()
        self.memo = 0
        self.dtypes = {}  # (dtype, byte order) -> memo index

    # values
    def text(self, text):
        raw = text.encode("utf-8", "surrogatepass")
        if self.protocol == 0:
            for char, escape in (("\\", "\\u005c"), ("\0", "\\u0000"), ("\n", "\\u000a"),
                                 ("\r", "\\u000d"), ("\x1a", "\\u001a")):
                text = text.replace(char, escape)
            self.out += b"V" + text.encode("raw-unicode-escape") + b"\n"
        elif self.protocol >= 4 and len(raw) < 256:
            self.out += b"\x8c" + bytes([len(raw)]) + raw
        else:
            self.out += b"X" + struct.pack("<I", len(raw)) + raw

    def int(self, n):
        if self.protocol == 0:
            self.out += b"I%d\n" % n
        elif 0 <= n < 256:
            self.out += b"K" + bytes([n])
        elif 0 <= n < 65536:
            self.out += b"M" + struct.pack("<H", n)
        elif -2 ** 31 <= n < 2 ** 31:
            self.out += b"J" + struct.pack("<i", n)
        else:
            raw = n.to_bytes(8, "little", signed=True)
            self.out += b"\x8a" + bytes([len(raw)]) + raw

    def bool(self, flag):
        if self.protocol >= 2:
            self.out += b"\x88" if flag else b"\x89"
        else:
            self.out += b"I01\n" if flag else b"I00\n"

    def none(self):
        self.out += b"N"

    def tuple(self, *emitters):
        if self.protocol >= 2 and len(emitters) <= 3:
            for emit in emitters:
                emit()
            self.out += [b")", b"\x85", b"\x86", b"\x87"][len(emitters)]
        else:
            self.out += b"("
            for emit in emitters:
                emit()
            self.out += b"t"

    def put(self):
        index = self.memo
        self.memo += 1
        if self.protocol >= 4:
            self.out += b"\x94"
        elif self.protocol >= 1:
            self.out += b"q" + bytes([index]) if index < 256 else \
                b"r" + struct.pack("<I", index)
        else:
            self.out += b"p%d\n" % index
        return index

    def get(self, index):
        if self.protocol == 0:
            self.out += b"g%d\n" % index
        else:
            self.out += b"h" + bytes([index]) if index < 256 else \
                b"j" + struct.pack("<I", index)

    def global_(self, module, name):
        if self.protocol >= 4:
            self.text(module)
            self.text(name)
            self.out += b"\x93"
        else:
            self.out += b"c" + module.encode() + b"\n" + name.encode() + b"\n"

    def bytes_(self, data):
        if self.protocol >= 3:
            if len(data) < 256:
                self.out += b"C" + bytes([len(data)]) + data
            else:
                self.out += b"B" + struct.pack("<I", len(data)) + data
        elif not data:
            self.global_("__builtin__", "bytes")
            self.out += b")R"
        else:
            self.global_("_codecs", "encode")
            self.tuple(lambda: self.text(data.decode("latin-1")), lambda: self.text("latin1"))
            self.out += b"R"

    # NumPy's objects
    def dtype(self, name, order):
        key = (name, order)
        if key in self.dtypes:
            self.get(self.dtypes[key])
            return
        kind, size, _ = DTYPES[name]
        self.global_("numpy", "dtype")
        self.tuple(lambda: self.text(f"{kind}{size}"), lambda: self.bool(False),
                   lambda: self.bool(True))
        self.out += b"R"
        self.tuple(lambda: self.int(3), lambda: self.text("|" if size == 1 else order),
                   self.none, self.none, self.none, lambda: self.int(-1),
                   lambda: self.int(-1), lambda: self.int(0))
        self.out += b"b"
        self.dtypes[key] = self.put()

    def array(self, tensor, order="<", fortran=False):
        values = list(tensor.values)
        if fortran and len(tensor.shape) > 1:
            values = npy.to_fortran(values, tensor.shape)
        code = DTYPES[tensor.dtype][2]
        data = struct.pack(f"{order}{len(values)}{code}", *values)

        def shape():
            self.tuple(*[lambda size=size: self.int(size) for size in tensor.shape])

        if self.protocol >= 5:
            self.global_(f"{self.core}.numeric", "_frombuffer")
            self.out += b"("
            self.out += b"\x96" + struct.pack("<Q", len(data)) + data
            self.dtype(tensor.dtype, order)
            shape()
            self.text("F" if fortran else "C")
            self.out += b"tR"
            return
        self.global_(f"{self.core}.multiarray", "_reconstruct")
        self.tuple(lambda: self.global_("numpy", "ndarray"),
                   lambda: self.tuple(lambda: self.int(0)), lambda: self.bytes_(b"b"))
        self.out += b"R"
        self.tuple(lambda: self.int(1), shape, lambda: self.dtype(tensor.dtype, order),
                   lambda: self.bool(fortran), lambda: self.bytes_(data))
        self.out += b"b"


def dumps(arrays, protocol=3, *, order="<", fortran=False, core="numpy._core"):
    """The bytes of a pickle of ``arrays`` (name -> Tensor) as NumPy writes it."""
    w = Writer(protocol, core)
    if protocol >= 2:
        w.out += b"\x80" + bytes([protocol])
    if protocol == 0:
        w.out += b"(d"
        w.put()
        for name, tensor in arrays.items():
            w.text(name)
            w.array(tensor, order, fortran)
            w.out += b"s"
    else:
        w.out += b"}"
        w.put()
        w.out += b"("
        for name, tensor in arrays.items():
            w.text(name)
            w.array(tensor, order, fortran)
        w.out += b"u"
    w.out += b"."
    body = bytes(w.out)
    if protocol >= 4:  # one frame around everything after PROTO
        body = body[:2] + b"\x95" + struct.pack("<Q", len(body) - 2) + body[2:]
    return body


def dumps_one(tensor, protocol=3, **options):
    """A pickle of one array alone (no dict)."""
    w = Writer(protocol, options.get("core", "numpy._core"))
    if protocol >= 2:
        w.out += b"\x80" + bytes([protocol])
    w.array(tensor, options.get("order", "<"), options.get("fortran", False))
    return bytes(w.out) + b"."
