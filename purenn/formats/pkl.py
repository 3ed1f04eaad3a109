"""NumPy arrays in a Python pickle (the book's ``sample_weight.pkl``, ``params.pkl``,
``deep_convnet_params.pkl``), read without NumPy and without unpickling.

A pickle is a program for a small stack machine: each opcode pushes a value, or pops
some and pushes what they build, and ``pickle.load`` runs it, calling whatever function
the file names. purenn never does: this module walks the opcodes itself, builds only
plain values (str, bytes, int, bool, None, tuple, one dict), and understands exactly the
few calls through which NumPy pickles a dict of arrays, *without calling anything*:

    numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b'b')   an empty array,
        then BUILD with (1, shape, dtype, is_fortran, data bytes)   (protocols 0-4)
    numpy.dtype('f8', False, True)                                  a dtype,
        then BUILD with (3, '<', None, None, None, -1, -1, 0)       its byte order
    numpy.core.numeric._frombuffer(data, dtype, shape, 'C' or 'F')  (protocol 5)
    numpy.core.multiarray.scalar(dtype, data bytes)                 a NumPy scalar
    _codecs.encode('...', 'latin1')                                 bytes (protocols 0-2)
    __builtin__.bytes()                                             no bytes (protocols 0-2)

(``numpy._core`` for NumPy 2.) Any other global (``os.system``, ``builtins.eval``, a
class of the book's code), any other opcode, and any argument of another shape is
refused with one line naming the file and the byte offset of the opcode. Data must be
numbers of a dtype of ``tensor.DTYPES``, in either byte order and in C or Fortran order;
object, string, complex and structured arrays are refused.

The opcodes read are those NumPy's arrays pickle to under protocols 0 to 5 (Python 3):
PROTO FRAME STOP MARK EMPTY_DICT DICT SETITEM SETITEMS EMPTY_TUPLE TUPLE TUPLE1-3 NONE
NEWTRUE NEWFALSE INT BININT BININT1 BININT2 LONG1 UNICODE BINUNICODE SHORT_BINUNICODE
BINUNICODE8 SHORT_BINBYTES BINBYTES BINBYTES8 BYTEARRAY8 GLOBAL STACK_GLOBAL PUT BINPUT
LONG_BINPUT MEMOIZE GET BINGET LONG_BINGET REDUCE BUILD. Python 2's strings (STRING,
BINSTRING) are refused.

Memory follows what the file holds: every declared length is checked against the bytes
that remain before anything is taken, data bytes are views of the file (never copies)
and each is used by one array at most,
the stack, the memo, the values pushed in all, MARK nesting and tuple nesting are
capped, so that what is built before the arrays are decoded takes some tens of MB at
most whatever the file (5 MB of one-item tuples took 644 MB before the cap on values);
each array is decoded once (however often the memo refers to it) after the whole file
has been read.
The result is ``{name: Tensor}`` in the dict's order; a pickle of one array alone gives
``{stem of the file name: Tensor}``.
"""

import os
import re
import struct

from ..errors import ModelFileError
from ..fileio import read_bytes
from . import npy
from .schema import short
from .tensor import DTYPES, Tensor, capped_prod

MAX_BYTES = npy.MAX_BYTES
MAX_STACK = 100_000  # values on the stack; the book's deepest file needs 30
MAX_VALUES = 300_000  # values pushed in all (about 28 an array), each at most ~100 bytes
MAX_MEMO = 100_000  # memo entries; the book's largest file has 127
MAX_MARKS = 16  # MARKs open at once; NumPy's pickles need 3
MAX_DEPTH = 4  # tuples inside tuples; NumPy's need 2
MAX_LINE = 256  # a text opcode's line (INT, PUT, GET, GLOBAL), data lines excepted
MAX_PROTOCOL = 5
SHARED_DATA = 8  # bytes of data two arrays may share (NumPy's scalars of one byte do)
SUFFIX = ".pkl"

RECONSTRUCT, NDARRAY, DTYPE, FROMBUFFER, SCALAR, ENCODE, EMPTY_BYTES = (
    "_reconstruct", "ndarray", "dtype", "_frombuffer", "scalar", "encode", "bytes")
GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): RECONSTRUCT,
    ("numpy", "ndarray"): NDARRAY,
    ("numpy", "dtype"): DTYPE,
    ("numpy.core.numeric", "_frombuffer"): FROMBUFFER,
    ("numpy._core.numeric", "_frombuffer"): FROMBUFFER,
    ("numpy.core.multiarray", "scalar"): SCALAR,
    ("numpy._core.multiarray", "scalar"): SCALAR,
    ("_codecs", "encode"): ENCODE,
    ("__builtin__", "bytes"): EMPTY_BYTES,
}
# pickle's opcodes by byte, to name the ones refused
OPCODE_NAMES = {ord(code): name for code, name in {
    "(": "MARK", ".": "STOP", "0": "POP", "1": "POP_MARK", "2": "DUP", "F": "FLOAT",
    "I": "INT", "J": "BININT", "K": "BININT1", "L": "LONG", "M": "BININT2", "N": "NONE",
    "P": "PERSID", "Q": "BINPERSID", "R": "REDUCE", "S": "STRING", "T": "BINSTRING",
    "U": "SHORT_BINSTRING", "V": "UNICODE", "X": "BINUNICODE", "a": "APPEND",
    "b": "BUILD", "c": "GLOBAL", "d": "DICT", "}": "EMPTY_DICT", "e": "APPENDS",
    "g": "GET", "h": "BINGET", "i": "INST", "j": "LONG_BINGET", "l": "LIST",
    "]": "EMPTY_LIST", "o": "OBJ", "p": "PUT", "q": "BINPUT", "r": "LONG_BINPUT",
    "s": "SETITEM", "t": "TUPLE", ")": "EMPTY_TUPLE", "u": "SETITEMS", "G": "BINFLOAT",
    "\x80": "PROTO", "\x81": "NEWOBJ", "\x82": "EXT1", "\x83": "EXT2", "\x84": "EXT4",
    "\x85": "TUPLE1", "\x86": "TUPLE2", "\x87": "TUPLE3", "\x88": "NEWTRUE",
    "\x89": "NEWFALSE", "\x8a": "LONG1", "\x8b": "LONG4", "B": "BINBYTES",
    "C": "SHORT_BINBYTES", "\x8c": "SHORT_BINUNICODE", "\x8d": "BINUNICODE8",
    "\x8e": "BINBYTES8", "\x8f": "EMPTY_SET", "\x90": "ADDITEMS", "\x91": "FROZENSET",
    "\x92": "NEWOBJ_EX", "\x93": "STACK_GLOBAL", "\x94": "MEMOIZE", "\x95": "FRAME",
    "\x96": "BYTEARRAY8", "\x97": "NEXT_BUFFER", "\x98": "READONLY_BUFFER",
}.items()}
DESCR_RE = re.compile(r"([A-Za-z])([0-9]{1,4})")
INT_RE = re.compile(rb"-?[0-9]{1,19}")
BYTES = (bytes, memoryview)


class Tup(tuple):
    """A tuple that knows, by its class, how many tuples deep it is: ``TUPS[depth]``
    (no per-tuple attribute, so a tuple costs what a plain one does)."""

    __slots__ = ()
    depth = 0


TUPS = [None] + [type(f"Tup{depth}", (Tup,), {"__slots__": (), "depth": depth})
                 for depth in range(1, MAX_DEPTH + 1)]


class Mark:
    """What MARK leaves: the stack position where the items of TUPLE, DICT... start."""

    __slots__ = ()


class Global:
    """A global the file names and this reader knows (a key of GLOBALS); never called."""

    __slots__ = ("kind", "text")

    def __init__(self, kind, module, name):
        self.kind, self.text = kind, f"{module}.{name}"

    def __repr__(self):
        return self.text


class Dtype:
    """numpy.dtype(descr, False, True): a dtype name of DTYPES; ``order`` comes with BUILD."""

    __slots__ = ("name", "descr", "order")

    def __init__(self, name, descr):
        self.name, self.descr, self.order = name, descr, None

    def __repr__(self):
        return f"dtype({self.descr!r})"


class Array:
    """An array being built: empty after _reconstruct, filled by BUILD (or _frombuffer)."""

    __slots__ = ("shape", "dtype", "fortran", "data", "tensor")

    def __init__(self):
        self.shape = self.dtype = self.fortran = self.data = None
        self.tensor = None

    def __repr__(self):
        return "ndarray" if self.shape is None else f"ndarray{tuple(self.shape)}"


class Reader:
    """The stack machine over one file's bytes; ``run()`` returns its value at STOP."""

    def __init__(self, data, source, max_bytes):
        self.raw = bytes(data)  # no copy when given bytes
        self.data = memoryview(self.raw)
        self.source, self.max_bytes = source, max_bytes
        self.pos = self.at = 0
        self.stack, self.marks, self.memo = [], [], {}
        self.pushed = 0
        # text _codecs.encode may still turn into bytes, and the data objects arrays
        # were filled with: each byte of data fills one array at most
        self.unclaimed = len(self.raw)
        self.filled = {}

    # -- errors and bytes --------------------------------------------------------------
    def fail(self, what):
        raise ModelFileError(f"{self.source}: byte {self.at}: {what}")

    def take(self, n, what):
        if n > len(self.data) - self.pos:
            self.fail(f"truncated: {what} declares {n} bytes, {len(self.data) - self.pos} "
                      f"remain")
        piece = self.data[self.pos:self.pos + n]
        self.pos += n
        return piece

    def unpack(self, fmt, what):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt), what))[0]

    def line(self, what, limit=MAX_LINE):
        """The bytes up to the next newline (at most ``limit`` of them unless None)."""
        stop = len(self.raw) if limit is None else min(len(self.raw), self.pos + limit + 1)
        end = self.raw.find(b"\n", self.pos, stop)
        if end < 0:
            if stop < len(self.raw):
                self.fail(f"{what}: no end of line within {limit} bytes")
            self.fail(f"truncated: {what} has no end of line")
        text = self.raw[self.pos:end]
        self.pos = end + 1
        return text

    def claim(self, size, what):
        """Count ``size`` bytes as encoded; the same text encoded again and again (from
        the memo) would make more bytes than the file holds."""
        self.unclaimed -= size
        if self.unclaimed < 0:
            self.fail(f"{what} uses data bytes already used: more data than the file "
                      f"holds")

    # -- the stack ---------------------------------------------------------------------
    def push(self, value):
        if len(self.stack) >= MAX_STACK:
            self.fail(f"more than {MAX_STACK} values on the stack")
        self.pushed += 1
        if self.pushed > MAX_VALUES:
            self.fail(f"more than {MAX_VALUES} values in all: this is not a dict of NumPy "
                      f"arrays as NumPy pickles it")
        self.stack.append(value)

    def pop(self, what):
        if not self.stack or isinstance(self.stack[-1], Mark):
            self.fail(f"{what} needs a value and the stack has none"
                      + (" above the MARK" if self.stack else ""))
        return self.stack.pop()

    def pop_mark(self, what):
        if not self.marks:
            self.fail(f"{what} without a MARK")
        start = self.marks.pop()
        items = self.stack[start + 1:]
        del self.stack[start:]
        return items

    def tuple_of(self, items):
        inner = [item.depth for item in items if isinstance(item, Tup)]
        depth = 1 + max(inner, default=0)
        if depth > MAX_DEPTH:
            self.fail(f"tuples nested more than {MAX_DEPTH} deep")
        return TUPS[depth](items)

    # -- the loop ----------------------------------------------------------------------
    def run(self):
        handlers = HANDLERS
        while True:
            self.at = self.pos
            if self.pos >= len(self.data):
                self.fail("truncated: the pickle ends before its STOP opcode")
            code = self.data[self.pos]
            self.pos += 1
            handler = handlers.get(code)
            if handler is None:
                self.refuse_opcode(code)
            if handler(self) is STOP_SIGNAL:
                return self.finish()

    def refuse_opcode(self, code):
        name = OPCODE_NAMES.get(code)
        if name is None:
            self.fail(f"{bytes([code])!r} is not a pickle opcode")
        if name in ("STRING", "BINSTRING", "SHORT_BINSTRING"):
            self.fail(f"opcode {name} (a Python 2 string) is not read; save the arrays "
                      f"again with Python 3")
        self.fail(f"opcode {name} is refused: only the opcodes of a dict of NumPy arrays "
                  f"are read, nothing is ever unpickled")

    def finish(self):
        if len(self.data) != self.pos:
            self.fail(f"{len(self.data) - self.pos} bytes follow the STOP opcode")
        value = self.pop("STOP")
        if self.stack or self.marks:
            self.fail("values are left on the stack at STOP")
        if isinstance(value, Array):
            return value
        if not isinstance(value, dict):
            self.fail(f"the pickle holds {what_is(value)}, not a dict of NumPy arrays")
        for name, array in value.items():
            if array.shape is None:
                self.fail(f"array {show(name)} was never given its data (no BUILD)")
        return value

    # -- values ------------------------------------------------------------------------
    def op_proto(self):
        protocol = self.unpack("<B", "PROTO")
        if protocol > MAX_PROTOCOL:
            self.fail(f"pickle protocol {protocol} is not known (0 to {MAX_PROTOCOL})")

    def op_frame(self):
        size = self.unpack("<Q", "FRAME")
        if size > len(self.data) - self.pos:
            self.fail(f"truncated: FRAME declares {size} bytes, "
                      f"{len(self.data) - self.pos} remain")

    def op_mark(self):
        if len(self.marks) >= MAX_MARKS:
            self.fail(f"more than {MAX_MARKS} MARKs open at once")
        self.marks.append(len(self.stack))
        self.push(Mark())

    def op_none(self):
        self.push(None)

    def op_true(self):
        self.push(True)

    def op_false(self):
        self.push(False)

    def op_int(self):
        text = self.line("INT")
        if text in (b"00", b"01"):
            self.push(text == b"01")
        elif INT_RE.fullmatch(text):
            self.push(int(text))
        else:
            self.fail(f"INT {short(text)} is not a whole number of at most 19 digits")

    def op_binint(self):
        self.push(self.unpack("<i", "BININT"))

    def op_binint1(self):
        self.push(self.unpack("<B", "BININT1"))

    def op_binint2(self):
        self.push(self.unpack("<H", "BININT2"))

    def op_long1(self):
        size = self.unpack("<B", "LONG1")
        if size > 8:
            self.fail(f"LONG1 of {size} bytes: no array size needs more than 8")
        self.push(int.from_bytes(self.take(size, "LONG1"), "little", signed=True))

    def text(self, raw, what, encoding="utf-8"):
        try:
            return bytes(raw).decode(encoding, "surrogatepass" if encoding == "utf-8"
                                     else "strict")
        except UnicodeDecodeError as exc:
            self.fail(f"{what} is not valid {encoding} at its byte {exc.start}")

    def op_unicode(self):
        self.push(self.text(self.line("UNICODE", limit=None), "UNICODE", "raw_unicode_escape"))

    def op_binunicode(self):
        self.push(self.text(self.take(self.unpack("<I", "BINUNICODE"), "BINUNICODE"),
                            "BINUNICODE"))

    def op_short_binunicode(self):
        self.push(self.text(self.take(self.unpack("<B", "SHORT_BINUNICODE"),
                                      "SHORT_BINUNICODE"), "SHORT_BINUNICODE"))

    def op_binunicode8(self):
        self.push(self.text(self.take(self.unpack("<Q", "BINUNICODE8"), "BINUNICODE8"),
                            "BINUNICODE8"))

    def op_short_binbytes(self):
        self.push(self.take(self.unpack("<B", "SHORT_BINBYTES"), "SHORT_BINBYTES"))

    def op_binbytes(self):
        self.push(self.take(self.unpack("<I", "BINBYTES"), "BINBYTES"))

    def op_binbytes8(self):
        self.push(self.take(self.unpack("<Q", "BINBYTES8"), "BINBYTES8"))

    def op_bytearray8(self):
        self.push(self.take(self.unpack("<Q", "BYTEARRAY8"), "BYTEARRAY8"))

    # -- containers --------------------------------------------------------------------
    def op_empty_tuple(self):
        self.push(self.tuple_of(()))

    def op_tuple(self):
        self.push(self.tuple_of(self.pop_mark("TUPLE")))

    def op_tuple1(self):
        self.push(self.tuple_of([self.pop("TUPLE1")]))

    def op_tuple2(self):
        b, a = self.pop("TUPLE2"), self.pop("TUPLE2")
        self.push(self.tuple_of([a, b]))

    def op_tuple3(self):
        c, b, a = self.pop("TUPLE3"), self.pop("TUPLE3"), self.pop("TUPLE3")
        self.push(self.tuple_of([a, b, c]))

    def op_empty_dict(self):
        self.push({})

    def op_dict(self):
        items = self.pop_mark("DICT")
        if len(items) % 2:
            self.fail(f"DICT of an odd number of items ({len(items)})")
        table = {}
        self.set_items(table, items)
        self.push(table)

    def op_setitem(self):
        value, key = self.pop("SETITEM"), self.pop("SETITEM")
        self.set_items(self.target("SETITEM"), [key, value])

    def op_setitems(self):
        items = self.pop_mark("SETITEMS")
        if len(items) % 2:
            self.fail(f"SETITEMS of an odd number of items ({len(items)})")
        self.set_items(self.target("SETITEMS"), items)

    def target(self, what):
        if not self.stack:
            self.fail(f"{what} has no dict to set items in")
        if not isinstance(self.stack[-1], dict):
            self.fail(f"{what} on {what_is(self.stack[-1])}, not a dict")
        return self.stack[-1]

    def set_items(self, table, items):
        for i in range(0, len(items), 2):
            key, value = items[i], items[i + 1]
            if not isinstance(key, str):
                self.fail(f"a dict key is {what_is(key)}; array names must be strings")
            if not isinstance(value, Array):
                self.fail(f"key {show(key)} holds {what_is(value)}, not a NumPy array")
            if key in table:
                self.fail(f"key {show(key)} appears twice")
            table[key] = value

    # -- the memo ----------------------------------------------------------------------
    def remember(self, index, what):
        if not self.stack or isinstance(self.stack[-1], Mark):
            self.fail(f"{what} with no value to remember")
        if index not in self.memo and len(self.memo) >= MAX_MEMO:
            self.fail(f"more than {MAX_MEMO} memo entries")
        self.memo[index] = self.stack[-1]

    def recall(self, index, what):
        if index not in self.memo:
            self.fail(f"{what} {index}: no such memo entry")
        self.push(self.memo[index])

    def line_index(self, what):
        text = self.line(what)
        if not text.isdigit() or len(text) > 10:
            self.fail(f"{what} index {short(text)} is not a whole number")
        return int(text)

    def op_put(self):
        self.remember(self.line_index("PUT"), "PUT")

    def op_binput(self):
        self.remember(self.unpack("<B", "BINPUT"), "BINPUT")

    def op_long_binput(self):
        self.remember(self.unpack("<I", "LONG_BINPUT"), "LONG_BINPUT")

    def op_memoize(self):
        self.remember(len(self.memo), "MEMOIZE")

    def op_get(self):
        self.recall(self.line_index("GET"), "GET")

    def op_binget(self):
        self.recall(self.unpack("<B", "BINGET"), "BINGET")

    def op_long_binget(self):
        self.recall(self.unpack("<I", "LONG_BINGET"), "LONG_BINGET")

    # -- globals, calls, state ---------------------------------------------------------
    def op_global(self):
        module = self.text(self.line("GLOBAL"), "GLOBAL", "ascii")
        name = self.text(self.line("GLOBAL"), "GLOBAL", "ascii")
        self.push(self.known_global(module, name))

    def op_stack_global(self):
        name, module = self.pop("STACK_GLOBAL"), self.pop("STACK_GLOBAL")
        if not isinstance(module, str) or not isinstance(name, str):
            self.fail(f"STACK_GLOBAL of {what_is(module)} and {what_is(name)}, not two "
                      f"strings")
        self.push(self.known_global(module, name))

    def known_global(self, module, name):
        kind = GLOBALS.get((module, name))
        if kind is None:
            self.fail(f"global {short(f'{module}.{name}', 80)} is refused: purenn never "
                      f"unpickles; it reads only NumPy arrays (ndarray, dtype)")
        return Global(kind, module, name)

    def op_reduce(self):
        args, func = self.pop("REDUCE"), self.pop("REDUCE")
        if not isinstance(func, Global):
            self.fail(f"REDUCE calls {what_is(func)}; only NumPy's array globals are known")
        if not isinstance(args, tuple):
            self.fail(f"REDUCE of {func} with {what_is(args)} as arguments, not a tuple")
        self.push(CALLS[func.kind](self, args))

    def call_reconstruct(self, args):
        if not (len(args) == 3 and isinstance(args[0], Global) and args[0].kind == NDARRAY
                and is_int_tuple(args[1]) and list(args[1]) == [0]
                and isinstance(args[2], BYTES) and args[2] == b"b"):
            self.fail(f"_reconstruct{show(args)} is not (numpy.ndarray, (0,), b'b') as "
                      f"NumPy writes it")
        return Array()

    def call_ndarray(self, args):
        self.fail("numpy.ndarray is only read as the first argument of _reconstruct")

    def call_dtype(self, args):
        if not (len(args) == 3 and isinstance(args[0], str) and is_flag(args[1], False)
                and is_flag(args[2], True)):
            self.fail(f"numpy.dtype{show(args)} is not (descr, False, True) as NumPy "
                      f"writes it")
        return Dtype(self.dtype_name(args[0]), args[0])

    def dtype_name(self, descr):
        match = DESCR_RE.fullmatch(descr)
        kind = match.group(1) if match else None
        if kind == "O":
            self.fail(f"dtype {descr!r} holds Python objects, which only unpickling could "
                      f"read; purenn never unpickles")
        if kind in npy.REFUSED_KINDS:
            self.fail(f"dtype {descr!r} ({npy.REFUSED_KINDS[kind]}) is not supported; use "
                      f"floats, integers or bools")
        name = npy.BY_DESCR.get((kind, int(match.group(2)))) if match else None
        if name is None:
            self.fail(f"dtype {show(descr)} is not supported (supported: "
                      f"{', '.join(DTYPES)})")
        return name

    def call_encode(self, args):
        if not (len(args) == 2 and isinstance(args[0], str) and args[1] == "latin1"):
            self.fail(f"_codecs.encode{show(args)} is not (text, 'latin1') as pickle "
                      f"writes bytes")
        self.claim(len(args[0]), "_codecs.encode")
        try:
            return args[0].encode("latin-1")
        except UnicodeEncodeError as exc:
            self.fail(f"_codecs.encode: character {exc.object[exc.start]!r} is not latin1")

    def call_bytes(self, args):
        if args != ():
            self.fail(f"bytes{show(args)} is not bytes() as pickle writes no bytes")
        return b""

    def call_frombuffer(self, args):
        if not (len(args) == 4 and isinstance(args[0], BYTES) and isinstance(args[1], Dtype)
                and is_int_tuple(args[2]) and args[3] in ("C", "F")):
            self.fail(f"_frombuffer{show(args)} is not (bytes, dtype, shape, 'C' or 'F') "
                      f"as NumPy writes it")
        array = Array()
        self.fill(array, args[2], args[1], args[3] == "F", args[0])
        return array

    def call_scalar(self, args):
        if not (len(args) == 2 and isinstance(args[0], Dtype) and isinstance(args[1], BYTES)):
            self.fail(f"scalar{show(args)} is not (dtype, bytes) as NumPy writes it")
        array = Array()
        self.fill(array, (), args[0], False, args[1])
        return array

    def op_build(self):
        state, thing = self.pop("BUILD"), self.pop("BUILD")
        if isinstance(thing, Dtype):
            self.build_dtype(thing, state)
        elif isinstance(thing, Array):
            self.build_array(thing, state)
        else:
            self.fail(f"BUILD of {what_is(thing)}; only arrays and dtypes are built")
        self.push(thing)

    def build_dtype(self, dtype, state):
        if dtype.order is not None:
            self.fail(f"{dtype} is built twice")
        if not (isinstance(state, tuple) and len(state) == 8 and state[0] == 3
                and state[1] in ("<", ">", "|", "=") and state[2:5] == (None,) * 3
                and state[5:] == (-1, -1, 0) and is_int_tuple(state[:1] + state[5:])):
            self.fail(f"dtype state {show(state)} is not (3, byte order, None, None, None, "
                      f"-1, -1, 0) as NumPy writes it")
        dtype.order = npy.NATIVE if state[1] in "|=" else state[1]

    def build_array(self, array, state):
        if array.shape is not None:
            self.fail(f"{array} is built twice")
        if not (isinstance(state, tuple) and len(state) == 5 and is_flag(state[0], 1)
                and is_int_tuple(state[1]) and isinstance(state[2], Dtype)
                and isinstance(state[3], (bool, int)) and state[3] in (0, 1)):
            self.fail(f"array state {show(state)} is not (1, shape, dtype, is_fortran, "
                      f"data) as NumPy writes it")
        if not isinstance(state[4], BYTES):
            self.fail(f"array data is {what_is(state[4])}, not bytes")
        self.fill(array, state[1], state[2], bool(state[3]), state[4])

    def fill(self, array, shape, dtype, fortran, data):
        if dtype.order is None:
            self.fail(f"{dtype} has no byte order (it was never built)")
        if any(size < 0 for size in shape):
            self.fail(f"array shape {show(tuple(shape))} has a negative size")
        size = capped_prod(shape, self.max_bytes) * DTYPES[dtype.name][1]
        if size > self.max_bytes:
            self.fail(f"array of shape {show(tuple(shape))} of {dtype.descr!r} declares "
                      f"more than the limit of {self.max_bytes} bytes of data")
        if size != len(data):
            self.fail(f"array of shape {show(tuple(shape))} of {dtype.descr!r} needs "
                      f"{size} bytes of data, the file gives {len(data)}")
        # each take() or encode() makes a new object; pickle may share one of a few
        # bytes between arrays (Python keeps one object per single byte)
        if len(data) > SHARED_DATA and id(data) in self.filled:
            self.fail(f"array of shape {show(tuple(shape))} uses data bytes already used: "
                      f"more data than the file holds")
        self.filled[id(data)] = data  # kept alive here, so that no other takes its id
        array.shape, array.dtype, array.fortran, array.data = (
            tuple(shape), dtype, fortran, data)


STOP_SIGNAL = object()


def _stop(reader):
    return STOP_SIGNAL


CALLS = {RECONSTRUCT: Reader.call_reconstruct, NDARRAY: Reader.call_ndarray,
         DTYPE: Reader.call_dtype, FROMBUFFER: Reader.call_frombuffer,
         SCALAR: Reader.call_scalar, ENCODE: Reader.call_encode,
         EMPTY_BYTES: Reader.call_bytes}
HANDLERS = {ord(code): handler for code, handler in {
    "\x80": Reader.op_proto, "\x95": Reader.op_frame, ".": _stop, "(": Reader.op_mark,
    "N": Reader.op_none, "\x88": Reader.op_true, "\x89": Reader.op_false,
    "I": Reader.op_int, "J": Reader.op_binint, "K": Reader.op_binint1,
    "M": Reader.op_binint2, "\x8a": Reader.op_long1, "V": Reader.op_unicode,
    "X": Reader.op_binunicode, "\x8c": Reader.op_short_binunicode,
    "\x8d": Reader.op_binunicode8, "C": Reader.op_short_binbytes, "B": Reader.op_binbytes,
    "\x8e": Reader.op_binbytes8, "\x96": Reader.op_bytearray8,
    ")": Reader.op_empty_tuple, "t": Reader.op_tuple, "\x85": Reader.op_tuple1,
    "\x86": Reader.op_tuple2, "\x87": Reader.op_tuple3, "}": Reader.op_empty_dict,
    "d": Reader.op_dict, "s": Reader.op_setitem, "u": Reader.op_setitems,
    "p": Reader.op_put, "q": Reader.op_binput, "r": Reader.op_long_binput,
    "\x94": Reader.op_memoize, "g": Reader.op_get, "h": Reader.op_binget,
    "j": Reader.op_long_binget, "c": Reader.op_global, "\x93": Reader.op_stack_global,
    "R": Reader.op_reduce, "b": Reader.op_build,
}.items()}


def is_int_tuple(value):
    return isinstance(value, tuple) and all(type(item) is int for item in value)


def is_flag(value, expected):
    """``value`` is ``expected`` as NumPy writes it: a bool, or the int 0 or 1."""
    return type(value) in (bool, int) and value == expected


def show(value, limit=120):
    """A value of the machine as text of at most ``limit`` characters: bytes as their
    length (``b'b'`` when short), tuples item by item (only as many as fit)."""
    if isinstance(value, BYTES):
        text = repr(bytes(value)) if len(value) <= 8 else f"{len(value)} bytes"
    elif isinstance(value, tuple):
        parts, size = [], 2
        for item in value:
            part = show(item, limit)
            parts.append(part)
            size += len(part) + 2
            if size > limit:
                break
        text = "(" + ", ".join(parts) + ("," if len(value) == 1 else "") + ")"
    elif isinstance(value, (Global, Dtype, Array)):
        text = repr(value)
    elif isinstance(value, str):
        text = repr(value[:limit])
    else:
        text = short(value, limit)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def what_is(value):
    """A short description of a value of the machine, for messages."""
    if isinstance(value, (Global, Dtype, Array)):
        return repr(value)
    if isinstance(value, BYTES):
        return f"{len(value)} bytes"
    if isinstance(value, Mark):
        return "a MARK"
    if isinstance(value, dict):
        return "a dict"
    if isinstance(value, tuple):
        return f"a tuple of {len(value)}"
    return show(value, 40)


def tensor_of(array):
    """The Tensor of a built Array, decoded once however often the file refers to it."""
    if array.tensor is None:
        values = npy._items(array.data, array.dtype.name, array.dtype.order)
        if array.fortran and len(array.shape) > 1:
            values = npy.from_fortran(values, array.shape)
        array.tensor = Tensor(array.shape, values, array.dtype.name)
    return array.tensor


def parse_pickle(data, source="<bytes>", *, name="array", max_bytes=MAX_BYTES):
    """Tensors by name from the bytes of a pickle of NumPy arrays (a dict of them, or one
    array, named ``name``); ``source`` names the file in errors."""
    if len(data) > max_bytes + (1 << 20):
        raise ModelFileError(f"{source}: {len(data)} bytes is over the limit of "
                             f"{max_bytes + (1 << 20)}")
    if not is_pickle(data[:1]):
        raise ModelFileError(f"{source}: byte 0: not a pickle of NumPy arrays (it starts "
                             f"with {bytes(data[:8])!r}; such a pickle starts with PROTO "
                             f"b'\\x80', or EMPTY_DICT, MARK or GLOBAL)")
    value = Reader(data, source, max_bytes).run()
    if isinstance(value, Array):
        return {name: tensor_of(value)}
    return {key: tensor_of(array) for key, array in value.items()}


def is_pickle(head):
    """Whether a file's first bytes start a pickle as NumPy's arrays are pickled: PROTO
    (protocols 2-5), or EMPTY_DICT, MARK or GLOBAL (protocols 0 and 1)."""
    return head[:1] in (b"\x80", b"}", b"(", b"c")


def read_pickle(path, *, max_bytes=MAX_BYTES):
    """Tensors by name from the pickle file at ``path`` (see ``parse_pickle``)."""
    path = os.fspath(path)
    stem = os.path.basename(path)
    stem = stem[:-len(SUFFIX)] if stem.endswith(SUFFIX) else stem
    data = read_bytes(path, ModelFileError, max_bytes=max_bytes + (1 << 20))
    return parse_pickle(data, path, name=stem, max_bytes=max_bytes)
