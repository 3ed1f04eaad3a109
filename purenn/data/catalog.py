"""The MNIST-shaped data sets purenn can fetch: where each is published, and the checksum
its authors publish for each of its four files.

All three use the four file names of MNIST (``mnist.FILES``), the IDX format, 28x28
unsigned-byte images and labels 0-9. The MD5 sums are those of the ``.gz`` files as
published (MNIST: as listed by torchvision; Fashion-MNIST: its README; KMNIST: as listed
by torchvision).

A mirror may hold the same files compressed again (another gzip level or header): their
``.gz`` MD5 then differs although every byte of the data is the same. For MNIST the
SHA-256 of each decompressed file is known (``content_sha256``: computed from copies
whose ``.gz`` had the published MD5, and the same as listed by the CVDF mirror), and such a
copy is accepted by its content. Fashion-MNIST's and KMNIST's authors publish only the
``.gz`` MD5, so for them only the published ``.gz`` files are accepted.
"""

import difflib
from dataclasses import dataclass

from ..errors import DataError


@dataclass(frozen=True)
class Source:
    """One data set: its command-line name, title, mirrors (base URLs, tried in order),
    the published MD5 of each file, and whom to credit."""

    name: str
    title: str
    mirrors: tuple
    md5: dict
    credit: str
    license: str
    homepage: str
    content_sha256: dict = None


SOURCES = {
    "mnist": Source(
        name="mnist",
        title="MNIST",
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ),
        md5={
            "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
            "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
            "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
        },
        content_sha256={
            "train-images-idx3-ubyte.gz":
                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "train-labels-idx1-ubyte.gz":
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "t10k-images-idx3-ubyte.gz":
                "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "t10k-labels-idx1-ubyte.gz":
                "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        },
        credit="Yann LeCun, Corinna Cortes, Christopher J.C. Burges",
        license="CC BY-SA 3.0",
        homepage="http://yann.lecun.com/exdb/mnist/",
    ),
    "fashion-mnist": Source(
        name="fashion-mnist",
        title="Fashion-MNIST",
        mirrors=(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/"
            "data/fashion/",
        ),
        md5={
            "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
        },
        credit="Han Xiao, Kashif Rasul, Roland Vollgraf (Zalando Research)",
        license="MIT",
        homepage="https://github.com/zalandoresearch/fashion-mnist",
    ),
    "kmnist": Source(
        name="kmnist",
        title="Kuzushiji-MNIST",
        mirrors=(
            "https://codh.rois.ac.jp/kmnist/dataset/kmnist/",
            "http://codh.rois.ac.jp/kmnist/dataset/kmnist/",
        ),
        md5={
            "train-images-idx3-ubyte.gz": "bdb82020997e1d708af4cf47b453dcf7",
            "train-labels-idx1-ubyte.gz": "e144d726b3acfaa3e44228e80efcd344",
            "t10k-images-idx3-ubyte.gz": "5c965bf0a639b31b8f53240b1b52f4d7",
            "t10k-labels-idx1-ubyte.gz": "7320c461ea6c1c855c0b718fb2a4b134",
        },
        credit="Tarin Clanuwat et al., ROIS-DS Center for Open Data in the Humanities",
        license="CC BY-SA 4.0",
        homepage="https://github.com/rois-codh/kmnist",
    ),
}


def get(name):
    """The ``Source`` called ``name``; DataError naming the known ones otherwise."""
    try:
        return SOURCES[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), SOURCES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise DataError(f"unknown data set {name!r}{hint} (known: "
                        f"{', '.join(SOURCES)})") from None
