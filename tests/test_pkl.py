"""purenn.formats.pkl: pickles of NumPy arrays read opcode by opcode, never unpickled.

The files are assembled in the tests (tests/pkl_files.py) as NumPy writes them under
protocols 0 to 5; tests/crosscheck/test_crosscheck_pkl.py reads what NumPy itself writes.
"""

import itertools
import os
import struct
import subprocess
import sys

import pytest
from helpers import REPO, run_purenn
from pkl_files import Writer, dumps, dumps_one

import purenn
from purenn.errors import ModelFileError, PurennError
from purenn.formats import arrays as array_files
from purenn.formats import npy, pkl, safetensors
from purenn.formats.tensor import Tensor

ARRAYS = {
    "W1": Tensor((2, 3), [0.5, -1.0, 2.25, 3.0, 0.001000000047497451305389404296875, -7.5],
                 "float32"),
    "b1": Tensor((3,), [1, -2, 3], "int64"),
    "u": Tensor((2, 2), [0, 1, 255, 7], "uint8"),
    "e": Tensor((0, 2), [], "float64"),
    "z": Tensor((), [2.5], "float64"),
    "flags": Tensor((2,), [True, False], "bool"),
    "h": Tensor((2, 2, 2), [0.5 * i for i in range(8)], "float16"),
    "escapes": Tensor((3,), [92, 10, 13], "uint16"),  # '\\', '\n', '\r' in protocol 0
    "i": Tensor((2,), [-3, 40000], "int32"),
}


def read(blob, source="w.pkl", **options):
    return pkl.parse_pickle(blob, source, **options)


def refused(blob, source="w.pkl", **options):
    with pytest.raises(ModelFileError) as info:
        read(blob, source, **options)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{source}: ")
    return message


# -- what NumPy writes is read exactly ---------------------------------------------------
@pytest.mark.parametrize("protocol, order, fortran, core", itertools.product(
    range(6), "<>", (False, True), ("numpy._core", "numpy.core")))
def test_every_protocol_byte_order_and_memory_order_reads_the_same_arrays(
        protocol, order, fortran, core):
    blob = dumps(ARRAYS, protocol, order=order, fortran=fortran, core=core)
    assert read(blob) == ARRAYS
    assert list(read(blob)) == list(ARRAYS)  # the dict's order


@pytest.mark.parametrize("protocol", range(6))
def test_one_array_alone_is_named_after_the_file(protocol, tmp_path):
    path = tmp_path / "weights.pkl"
    path.write_bytes(dumps_one(ARRAYS["W1"], protocol, fortran=True))
    assert pkl.read_pickle(path) == {"weights": ARRAYS["W1"]}


def test_an_array_the_memo_names_twice_is_decoded_once():
    blob = bytearray(dumps({"W1": ARRAYS["W1"]}, 2))
    # W1's array is the last value before SETITEMS: remember it, then store it as 'W2'
    at = blob.rindex(b"u.")
    blob[at:at] = b"q\xf0" + b"X\x02\x00\x00\x00W2" + b"h\xf0"
    arrays = read(bytes(blob))
    assert list(arrays) == ["W1", "W2"] and arrays["W1"] is arrays["W2"]


def test_the_book_shapes_and_the_fortran_order_of_its_weights():
    """sample_weight.pkl stores W1 with is_fortran True: values come back in C order."""
    W = Tensor((3, 2), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "float32")
    blob = dumps({"b2": Tensor((2,), [0.5, 0.25], "float32"), "W1": W}, 3, fortran=True)
    assert read(blob)["W1"].nested() == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]


def _scalar_pickle(protocol):
    w = Writer(protocol)
    w.out += b"\x80" + bytes([protocol])
    w.out += b"}(" + b"X\x01\x00\x00\x00s"
    w.global_("numpy._core.multiarray", "scalar")
    w.tuple(lambda: w.dtype("float64", "<"), lambda: w.bytes_(struct.pack("<d", 2.5)))
    w.out += b"Ru."
    return bytes(w.out)


@pytest.mark.parametrize("protocol", [2, 3, 4])
def test_numpy_scalars_are_read_as_0d_arrays(protocol):
    assert read(_scalar_pickle(protocol)) == {"s": Tensor((), [2.5], "float64")}


# -- hostile files: one line naming the file and the byte -----------------------------------
def test_a_global_that_would_run_code_is_refused_before_anything_runs(tmp_path):
    flag = tmp_path / "ran"
    command = f"touch {flag}".encode()
    for blob in (
        b"cos\nsystem\n(X" + struct.pack("<I", len(command)) + command + b"tR.",
        b"\x80\x04\x8c\x05posix\x8c\x06system\x93\x8c\x04echo\x85R.",
        b"\x80\x02}q\x00X\x01\x00\x00\x00Wcbuiltins\neval\nX\x01\x00\x00\x001\x85Rs.",
    ):
        message = refused(blob)
        assert "is refused: purenn never unpickles" in message
    assert refused(b"cos\nsystem\n(X\x00\x00\x00\x00tR.") == (
        "w.pkl: byte 0: global 'os.system' is refused: purenn never unpickles; it reads "
        "only NumPy arrays (ndarray, dtype)")
    assert not flag.exists()


@pytest.mark.parametrize("blob, expected", [
    # opcodes NumPy's arrays never need
    (b"\x80\x02]q\x00.", "byte 2: opcode EMPTY_LIST is refused: only the opcodes of a dict "
                         "of NumPy arrays are read, nothing is ever unpickled"),
    (b"(ios\nsystem\n.", "byte 1: opcode INST is refused"),
    (b"\x80\x02N\x81.", "byte 3: opcode NEWOBJ is refused"),
    (b"\x80\x02\x82\x01.", "byte 2: opcode EXT1 is refused"),
    (b"\x80\x05\x97.", "byte 2: opcode NEXT_BUFFER is refused"),
    (b"\x80\x02Q.", "byte 2: opcode BINPERSID is refused"),
    (b"\x80\x02U\x02W1.", "byte 2: opcode SHORT_BINSTRING (a Python 2 string) is not read"),
    (b"\x80\x02\xff.", "byte 2: b'\\xff' is not a pickle opcode"),
    (b"", "byte 0: not a pickle of NumPy arrays (it starts with b''; such a pickle starts "
          "with PROTO b'\\x80', or EMPTY_DICT, MARK or GLOBAL)"),
    (b"N.", "byte 0: not a pickle of NumPy arrays (it starts with b'N.'"),
    (b"\x80\x06}.", "byte 0: pickle protocol 6 is not known (0 to 5)"),
    # what is built must be a dict of arrays
    (b"\x80\x02K\x01K\x02\x86.", "byte 7: the pickle holds a tuple of 2, not a dict of "
                                 "NumPy arrays"),
    (b"\x80\x02}X\x01\x00\x00\x00WK\x03s.", "byte 11: key 'W' holds 3, not a NumPy array"),
    (b"\x80\x02}K\x01K\x03s.", "byte 7: a dict key is 1; array names must be strings"),
    (b"\x80\x02K\x01K\x01K\x03s.", "byte 8: SETITEM on 1, not a dict"),
    (b"\x80\x02K\x01K\x03s.", "byte 6: SETITEM has no dict to set items in"),
    (b"\x80\x02}N.", "byte 4: values are left on the stack at STOP"),
    (b"\x80\x02.", "byte 2: STOP needs a value and the stack has none"),
    (b"\x80\x02}.\x00", "byte 3: 1 bytes follow the STOP opcode"),
    (b"\x80\x02}", "byte 3: truncated: the pickle ends before its STOP opcode"),
    (b"\x80\x02}(u\x80", "byte 5: truncated: PROTO declares 1 bytes, 0 remain"),
    (b"\x80\x02t.", "byte 2: TUPLE without a MARK"),
    (b"\x80\x02(\x85.", "byte 3: TUPLE1 needs a value and the stack has none above the MARK"),
    (b"\x80\x02(X\x01\x00\x00\x00ad.", "byte 9: DICT of an odd number of items (1)"),
    # huge declared lengths are compared with what remains before anything is taken
    (b"\x80\x03X\xff\xff\xff\xff.", "byte 2: truncated: BINUNICODE declares 4294967295 "
                                    "bytes, 1 remain"),
    (b"\x80\x04\x8e" + b"\xff" * 8 + b".", "byte 2: truncated: BINBYTES8 declares "
                                           "18446744073709551615 bytes, 1 remain"),
    (b"\x80\x04\x95" + struct.pack("<Q", 2 ** 63) + b"}.",
     "byte 2: truncated: FRAME declares 9223372036854775808 bytes, 2 remain"),
    (b"\x80\x05\x96" + struct.pack("<Q", 2 ** 40), "byte 2: truncated: BYTEARRAY8 declares "
                                                    "1099511627776 bytes, 0 remain"),
    (b"\x80\x02I" + b"9" * 300 + b"\n.", "byte 2: INT: no end of line within 256 bytes"),
    (b"\x80\x02I1_0\n.", "byte 2: INT b'1_0' is not a whole number of at most 19 digits"),
    (b"\x80\x02\x8a\x09" + bytes(9) + b".", "byte 2: LONG1 of 9 bytes: no array size needs "
                                            "more than 8"),
    (b"\x80\x03X\x02\x00\x00\x00\xff\xfe.", "byte 2: BINUNICODE is not valid utf-8 at its "
                                            "byte 0"),
    # the memo
    (b"\x80\x02h\x05.", "byte 2: BINGET 5: no such memo entry"),
    (b"\x80\x02(q\x00.", "byte 3: BINPUT with no value to remember"),
    (b"\x80\x02g1x\n.", "byte 2: GET index b'1x' is not a whole number"),
])
def test_hostile_pickles_are_refused_with_one_line(blob, expected):
    assert refused(blob).startswith("w.pkl: " + expected)


def numpy_array(dtype_args, dtype_state, array_state_items, protocol=2, end=b"tbs."):
    """A pickle of {'W': array} with the dtype's and the array's arguments given as
    opcode bytes, to try every argument NumPy would never write (no dtype BUILD when
    ``dtype_state`` is None)."""
    build = b"" if dtype_state is None else dtype_state + b"b"
    return (b"\x80" + bytes([protocol]) + b"}X\x01\x00\x00\x00W"
            + b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85C\x01b\x87R"
            + b"(" + array_state_items(b"cnumpy\ndtype\n" + dtype_args + b"R" + build) + end)


DTYPE_ARGS = b"X\x02\x00\x00\x00f8\x89\x88\x87"
DTYPE_STATE = b"(K\x03X\x01\x00\x00\x00<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t"


def state(shape=b"K\x02\x85", fortran=b"\x89", data=b"C\x10" + bytes(16)):
    return lambda dtype: b"K\x01" + shape + dtype + fortran + data


@pytest.mark.parametrize("blob, expected", [
    (numpy_array(DTYPE_ARGS, DTYPE_STATE, state()), None),
    (numpy_array(b"X\x02\x00\x00\x00O8\x89\x88\x87", DTYPE_STATE, state()),
     "dtype 'O8' holds Python objects, which only unpickling could read"),
    (numpy_array(b"X\x03\x00\x00\x00c16\x89\x88\x87", DTYPE_STATE, state()),
     "dtype 'c16' (complex numbers) is not supported"),
    (numpy_array(b"X\x02\x00\x00\x00f9\x89\x88\x87", DTYPE_STATE, state()),
     "dtype 'f9' is not supported (supported: float16, "),
    (numpy_array(b"X\x02\x00\x00\x00f8\x88\x88\x87", DTYPE_STATE, state()),
     "numpy.dtype('f8', True, True) is not (descr, False, True) as NumPy writes it"),
    (numpy_array(DTYPE_ARGS, DTYPE_STATE.replace(b"<", b"?"), state()),
     "dtype state (3, '?', None, None, None, -1, -1, 0) is not (3, byte order, "),
    (numpy_array(DTYPE_ARGS, None, state()), "dtype('f8') has no byte order (it was never "),
    (numpy_array(DTYPE_ARGS, DTYPE_STATE, state(shape=b"K\x03\x85")),
     "array of shape (3,) of 'f8' needs 24 bytes of data, the file gives 16"),
    (numpy_array(DTYPE_ARGS, DTYPE_STATE, state(shape=b"J\xff\xff\xff\xff\x85")),
     "array shape (-1,) has a negative size"),
    (numpy_array(DTYPE_ARGS, DTYPE_STATE, state(
        shape=b"\x8a\x08" + struct.pack("<q", 2 ** 40) + b"\x8a\x08"
        + struct.pack("<q", 2 ** 40) + b"\x86")),
     "array of shape (1099511627776, 1099511627776) of 'f8' declares more than the limit "
     "of 536870912 bytes of data"),
    (numpy_array(DTYPE_ARGS, DTYPE_STATE, state(data=b"K\x07")),
     "array data is 7, not bytes"),
    (numpy_array(DTYPE_ARGS, DTYPE_STATE, state(fortran=b"K\x02")),
     "array state (1, (2,), dtype('f8'), 2, 16 bytes) is not (1, shape, dtype, "),
    (numpy_array(DTYPE_ARGS, DTYPE_STATE, lambda dtype: b"K\x01K\x02\x85" + dtype + b"\x89"),
     "array state (1, (2,), dtype('f8'), False) is not (1, shape, dtype, is_fortran, "),
    (numpy_array(DTYPE_ARGS, DTYPE_STATE, state(), end=b"tq\x09bh\x09bs."),
     "ndarray(2,) is built twice"),
    (b"\x80\x02cnumpy\ndtype\n" + DTYPE_ARGS + b"R" + DTYPE_STATE + b"q\x01bh\x01b.",
     "dtype('f8') is built twice"),
])
def test_numpy_arguments_of_another_shape_are_refused(blob, expected):
    if expected is None:
        assert read(blob) == {"W": Tensor((2,), [0.0, 0.0], "float64")}
    else:
        assert expected in refused(blob)


def test_reconstruct_and_frombuffer_take_only_numpys_own_arguments():
    head = b"\x80\x02}X\x01\x00\x00\x00Wcnumpy.core.multiarray\n_reconstruct\n"
    assert "_reconstruct(numpy.ndarray, (0,), b'x') is not (numpy.ndarray, (0,), b'b')" in \
        refused(head + b"cnumpy\nndarray\nK\x00\x85C\x01x\x87Rs.")
    assert "numpy.ndarray is only read as the first argument of _reconstruct" in \
        refused(b"\x80\x02cnumpy\nndarray\nK\x00\x85R.")
    assert "REDUCE calls 1; only NumPy's array globals are known" in \
        refused(b"\x80\x02K\x01K\x00\x85R.")
    assert "_frombuffer(b'', 1, (), 'C') is not (bytes, dtype, shape, 'C' or 'F')" in \
        refused(b"\x80\x05cnumpy.core.numeric\n_frombuffer\n(C\x00K\x01)X\x01\x00\x00\x00CtR.")
    assert "_codecs.encode: character '\u0100' is not latin1" in refused(
        b"\x80\x02c_codecs\nencode\nX\x02\x00\x00\x00\xc4\x80X\x06\x00\x00\x00latin1\x86R.")
    assert "bytes(1,) is not bytes() as pickle writes no bytes" in refused(
        b"\x80\x02c__builtin__\nbytes\nK\x01\x85R.")


def test_a_duplicate_key_is_refused():
    duplicate = dumps({"W": ARRAYS["W1"]}, 3)
    key_and_value_at = duplicate.index(b"X\x01\x00\x00\x00W")
    setitems = duplicate.rindex(b"u.")
    twice = duplicate[:setitems] + duplicate[key_and_value_at:setitems] + b"u."
    assert "key 'W' appears twice" in refused(twice)


@pytest.mark.parametrize("protocol", range(6))
def test_data_of_small_bytes_fits_its_file_in_every_protocol(protocol):
    """Protocols 0-2 hold data as text, one byte a character below 0x80."""
    arrays = {"zeros": Tensor((1000,), [0] * 1000, "uint8"),
              "w": Tensor((50,), [0.0] * 50, "float64")}
    assert read(dumps(arrays, protocol)) == arrays


@pytest.mark.parametrize("protocol", [1, 2, 3, 4])
def test_data_bytes_used_by_two_arrays_are_refused(protocol):
    """A memo entry holding an array's state could fill any number of arrays, each
    decoding the same megabytes again."""
    blob = bytearray(dumps({"W": Tensor((1000,), [0.5] * 1000)}, protocol))
    state_end = blob.rindex(b"bu.")
    blob[state_end:state_end] = b"q\xf0"  # remember the state tuple
    again = (b"X\x02\x00\x00\x00W2cnumpy.core.multiarray\n_reconstruct\n"
             b"cnumpy\nndarray\nK\x00\x85C\x01b\x87Rh\xf0b")
    at = blob.rindex(b"u.")
    blob[at:at] = again
    assert "uses data bytes already used: more data than the file holds" in \
        refused(bytes(blob))


def test_a_byte_of_data_pickle_shares_between_two_arrays_is_read():
    """Python keeps one bytes object per single byte, so pickle writes a bool scalar's
    b'\\x01' once and fetches it from the memo for the next one."""
    def array(data):
        return (b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85C\x01b\x87R"
                b"(K\x01)cnumpy\ndtype\nX\x02\x00\x00\x00b1\x89\x88\x87R(K\x03X\x01\x00\x00\x00|"
                b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89" + data + b"tb")

    blob = (b"\x80\x03}(X\x01\x00\x00\x00a" + array(b"C\x01\x01q\x10")
            + b"X\x01\x00\x00\x00b" + array(b"h\x10") + b"u.")
    assert read(blob) == {"a": Tensor((), [True], "bool"), "b": Tensor((), [True], "bool")}


def test_the_same_text_encoded_again_and_again_is_refused():
    text = b"X\x00\x01\x00\x00" + b"a" * 256
    blob = (b"\x80\x02(c_codecs\nencode\nq\x01" + text + b"q\x02X\x06\x00\x00\x00latin1q\x03"
            + b"\x86R" + b"h\x01h\x02h\x03\x86R" * 3 + b"t.")
    assert "_codecs.encode uses data bytes already used" in refused(blob)


@pytest.mark.parametrize("protocol", range(6))
def test_two_empty_arrays_are_two_arrays(protocol):
    arrays = {"a": Tensor((0,), []), "b": Tensor((0, 3), [])}
    assert read(dumps(arrays, protocol)) == arrays


def test_every_cut_of_a_valid_file_is_refused_with_one_line():
    for protocol in range(6):
        blob = dumps({"W1": ARRAYS["W1"], "b1": ARRAYS["b1"]}, protocol)
        for cut in range(len(blob)):
            refused(blob[:cut])


# -- caps: the stack, the memo, MARKs and tuples ----------------------------------------------
def test_the_stack_memo_marks_and_tuple_nesting_are_capped():
    assert refused(b"\x80\x02" + b"N" * (pkl.MAX_STACK + 1) + b".") == (
        f"w.pkl: byte {2 + pkl.MAX_STACK}: more than {pkl.MAX_STACK} values on the stack")
    assert refused(b"\x80\x04N" + b"\x94" * (pkl.MAX_MEMO + 1) + b".") == (
        f"w.pkl: byte {3 + pkl.MAX_MEMO}: more than {pkl.MAX_MEMO} memo entries")
    # the same memo entry written again and again is one entry
    assert "values are left" in refused(b"\x80\x02}N" + b"q\x07" * 200_000 + b".")
    assert refused(b"\x80\x02" + b"(" * (pkl.MAX_MARKS + 1) + b".") == (
        f"w.pkl: byte {2 + pkl.MAX_MARKS}: more than {pkl.MAX_MARKS} MARKs open at once")
    assert refused(b"\x80\x02N" + b"\x85" * 100_000 + b".") == (
        f"w.pkl: byte {3 + pkl.MAX_DEPTH}: tuples nested more than {pkl.MAX_DEPTH} deep")
    # values made and dropped into tuples leave the stack, but count: 5 MB of one-item
    # tuples in tuples of 50,000 once took 644 MB
    spam = b"\x80\x02" + (b"(" + b"N\x85" * 50_000 + b"t") * 50 + b"."
    assert refused(spam) == (f"w.pkl: byte {2 + pkl.MAX_VALUES}: more than "
                             f"{pkl.MAX_VALUES} values in all: this is not a dict of NumPy "
                             f"arrays as NumPy pickles it")
    # a tuple nested 4 deep referred to 100,000 times costs references, not copies
    nested = b"\x80\x02N\x85\x85\x85\x85q\x00" + b"h\x00" * 90_000 + b"."
    assert "values are left" in refused(nested)


def test_files_over_the_limit_are_refused_before_reading(tmp_path):
    path = tmp_path / "big.pkl"
    path.write_bytes(dumps({"W": Tensor((300,), [0.0] * 300)}, 3))
    with pytest.raises(ModelFileError, match=r"big\.pkl: the file holds \d+ bytes, over "):
        pkl.read_pickle(path, max_bytes=10 - (1 << 20))
    assert "declares more than the limit of 1000 bytes" in refused(
        dumps({"W": Tensor((300,), [0.0] * 300)}, 3), max_bytes=1000)


# -- files, the import command, and no NumPy ------------------------------------------------
def test_read_arrays_tells_a_pickle_from_npz_and_npy_by_its_first_bytes(tmp_path):
    tensor = Tensor((2,), [1.0, 2.0])
    (tmp_path / "w.bin").write_bytes(dumps({"W": tensor}, 0))
    (tmp_path / "w.npz").write_bytes(npy.encode_npz({"W": tensor}))
    (tmp_path / "v.npy").write_bytes(npy.encode_npy(tensor))
    for name, expected in (("w.bin", {"W": tensor}), ("w.npz", {"W": tensor}),
                           ("v.npy", {"v": tensor})):
        assert array_files.read_arrays(tmp_path / name) == expected
    (tmp_path / "archive.pkl").write_bytes(npy.encode_npz({"W": tensor}))
    assert array_files.read_arrays(tmp_path / "archive.pkl") == {"W": tensor}
    (tmp_path / "junk.pkl").write_bytes(b"junk")
    with pytest.raises(PurennError, match=r"junk\.pkl: byte 0: not a pickle of NumPy "
                                          r"arrays \(it starts with b'junk'"):
        array_files.read_arrays(tmp_path / "junk.pkl")


SPEC = "input 3\ndense 4\nsigmoid\ndense 2\nloss softmax_cross_entropy\n"


def book_arrays():
    """Arrays named as the book names them, in the order of sample_weight.pkl (b2 first),
    with two biases of one shape, which only their numbers tell apart."""
    return {"b2": Tensor((2,), [0.5, -0.5], "float32"),
            "W1": Tensor((3, 4), [i / 8 for i in range(12)], "float32"),
            "b1": Tensor((4,), [1.0, 2.0, 3.0, 4.0], "float32"),
            "W2": Tensor((4, 2), [-i / 4 for i in range(8)], "float32")}


@pytest.mark.parametrize("protocol", range(6))
def test_import_of_a_pickle_writes_the_model_an_npz_import_writes(tmp_path, protocol):
    spec = tmp_path / "net.net"
    spec.write_text(SPEC)
    (tmp_path / "w.pkl").write_bytes(dumps(book_arrays(), protocol, fortran=True))
    (tmp_path / "w.npz").write_bytes(npy.encode_npz(book_arrays()))
    lines = {}
    for name in ("w.pkl", "w.npz"):
        result = run_purenn("import", str(tmp_path / name), "--spec", str(spec), "-o",
                            str(tmp_path / f"{name}.safetensors"), timeout=120)
        assert result.returncode == 0, result.stderr
        lines[name] = result.stdout.splitlines()
    assert lines["w.pkl"][:4] == [
        "W1 (3, 4) -> dense1.W         float32, by order",
        "b1 (4,)   -> dense1.b         float32, by order",
        "W2 (4, 2) -> dense2.W         float32, by order",
        "b2 (2,)   -> dense2.b         float32, by order"] == lines["w.npz"][:4]
    pkl_model, _ = safetensors.read_tensors(str(tmp_path / "w.pkl.safetensors"))
    npz_model, _ = safetensors.read_tensors(str(tmp_path / "w.npz.safetensors"))
    assert pkl_model == npz_model
    assert pkl_model["dense1.W"].values == [i / 8 for i in range(12)]


def test_book_names_pair_biases_of_one_shape_by_their_numbers(tmp_path):
    spec = tmp_path / "net.net"
    spec.write_text("input 2\ndense 2\nrelu\ndense 2\nloss softmax_cross_entropy\n")
    arrays = {"b2": Tensor((2,), [5.0, 6.0]), "W1": Tensor((2, 2), [1.0, 2.0, 3.0, 4.0]),
              "b1": Tensor((2,), [7.0, 8.0]), "W2": Tensor((2, 2), [0.0, 1.0, 1.0, 0.0])}
    (tmp_path / "w.pkl").write_bytes(dumps(arrays, 4))
    result = run_purenn("import", str(tmp_path / "w.pkl"), "--spec", str(spec), "-o",
                        str(tmp_path / "m.safetensors"), timeout=120)
    assert result.returncode == 0, result.stderr
    model, _ = safetensors.read_tensors(str(tmp_path / "m.safetensors"))
    assert model["dense1.b"].values == [7.0, 8.0] and model["dense2.b"].values == [5.0, 6.0]


def test_import_of_a_hostile_pickle_is_one_line_and_writes_nothing(tmp_path):
    (tmp_path / "evil.pkl").write_bytes(b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x02id\x85R.")
    result = run_purenn("import", str(tmp_path / "evil.pkl"), "--spec", "two_layer", "-o",
                        str(tmp_path / "m.safetensors"), timeout=120)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'evil.pkl'}: byte 14: global 'os.system' is refused: purenn "
        f"never unpickles; it reads only NumPy arrays (ndarray, dtype)"]
    assert not (tmp_path / "m.safetensors").exists()


CHECK = r"""
import sys
before = set(sys.modules)
import purenn.cli
code = purenn.cli.main(sys.argv[1:], out=lambda line: None)
loaded = set(sys.modules) - before
print(code, sorted(n for n in loaded if n.split(".")[0] in ("pickle", "_pickle",
      "pickletools", "numpy")))
"""


def test_import_reads_a_pickle_without_numpy_and_without_the_pickle_module(tmp_path):
    spec = tmp_path / "net.net"
    spec.write_text(SPEC)
    (tmp_path / "w.pkl").write_bytes(dumps(book_arrays(), 2))
    parent = os.path.dirname(os.path.dirname(os.path.abspath(purenn.__file__)))
    # -S: no site-packages, so no NumPy where purenn is not installed beside it; either
    # way the check is that nothing imports NumPy or the pickle module
    done = subprocess.run(
        [sys.executable, "-S", "-c", CHECK, "import", str(tmp_path / "w.pkl"), "--spec",
         str(spec), "-o", str(tmp_path / "m.safetensors")],
        capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": parent})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["0", "[]"], done.stdout


def test_the_reader_never_imports_pickle():
    for name in ("pkl.py", "arrays.py"):
        with open(os.path.join(REPO, "purenn", "formats", name), encoding="utf-8") as f:
            source = f.read()
        assert "import pickle" not in source and "pickletools" not in source
