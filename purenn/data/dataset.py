"""A labelled data set kept compact, handed out as float rows one batch at a time.

A classification set has integer labels in [0, num_classes); a regression set
(``num_classes`` None, ``task`` "regression") has one float target per sample in
``labels`` (an ``array('d')``), handed out as rows [target] for a one-output network.

Features are stored as ``bytes`` of 0-255 values with a 256-entry lookup table (MNIST:
47 MB for 60,000 images, where lists of floats would take gigabytes) or as an
``array('d')``. Only a batch is ever turned into lists of floats.
"""

import math
from array import array

from .. import linalg
from ..functions import one_hot as to_one_hot
from ..sparse import SparseRows

# samples whose nonzero columns are found together and kept in two arrays (x(sparse=True)):
# two objects a block rather than one a sample (on PyPy, after an epoch of MNIST, the
# process's peak memory grew by 7 MB this way against 14 MB with an array a sample)
KEPT_BLOCK = 1024


class Dataset:
    """``len(ds)`` samples of ``sample_shape`` with integer labels in [0, num_classes).

    ``batch(indices)`` returns (x, t): x an (len(indices), features) list of float rows,
    t a list of class indices, or of one-hot rows when ``one_hot`` is set; for a
    regression set (``num_classes`` None) a list of rows [target].
    """

    def __init__(self, features, labels, sample_shape, num_classes, *, table=None,
                 one_hot=False, name="data"):
        self.features = features
        self.labels = labels
        self.sample_shape = tuple(sample_shape)
        self.features_per_sample = math.prod(self.sample_shape)
        self.num_classes = num_classes
        self.table = table
        self.one_hot = one_hot
        self.name = name
        self.forget()           # nothing found and kept yet (x(sparse=True))

    @property
    def task(self):
        """"classification" (integer labels) or "regression" (float targets)."""
        return "regression" if self.num_classes is None else "classification"

    def __len__(self):
        return len(self.labels)

    def __repr__(self):
        shape = "x".join(map(str, self.sample_shape))
        return f"<Dataset {self.name!r}: {len(self)} samples of {shape}>"

    def row(self, i):
        d = self.features_per_sample
        chunk = self.features[i * d:(i + 1) * d]
        if self.table is not None:
            return linalg.lookup(self.table, chunk)
        return chunk.tolist() if isinstance(chunk, array) else list(map(float, chunk))

    def x(self, indices, into=None, sparse=False):
        """The samples at ``indices`` as float rows: new ones, or ``into``'s rows refilled
        when it is a list of exactly that many rows of ``features_per_sample`` floats and
        the kernel set fills rows faster than it makes them (``linalg.refills()``).

        ``sparse=True``: as ``SparseRows`` instead (``purenn.sparse``), each row kept by
        its nonzero entries. A sample's nonzero columns are found the first time it or
        one of its ``KEPT_BLOCK`` neighbours is drawn, and kept for every later batch
        (2 bytes a column where a sample has at most 65,536 numbers); ``forget()`` after
        changing ``features`` or ``table`` in place.
        """
        if sparse:
            return self._sparse_rows(indices)
        d = self.features_per_sample
        if into is None or not linalg.refills() or not linalg.is_rows(into, len(indices), d):
            return [self.row(i) for i in indices]
        if self.table is not None:
            for row, i in zip(into, indices):
                linalg.lookup_into(self.table, self.features, i * d, row)
        else:
            for row, i in zip(into, indices):
                sample = self.features[i * d:(i + 1) * d]
                for j in range(d):      # entry by entry, keeping the row's own storage
                    row[j] = float(sample[j])
        return into

    def _sparse_rows(self, indices):
        d = self.features_per_sample
        features, table = self.features, self.table
        kept = self._kept("_columns")
        if kept is None:
            kept = self._columns = [None] * -(-len(self) // KEPT_BLOCK)
        columns, values = [], []
        for i in indices:
            block, j = divmod(i, KEPT_BLOCK)
            if kept[block] is None:
                kept[block] = self._nonzero_block(block)
            flat, starts = kept[block]
            found = flat[starts[j]:starts[j + 1]]
            columns.append(found)
            start = i * d
            if table is None:
                values.append([float(features[start + c]) for c in found])
            else:
                values.append([table[features[start + c]] for c in found])
        return SparseRows(columns, values, d, checked=True)

    def _kept(self, name):
        """What was found and kept under ``name`` (None if nothing yet), forgotten when
        ``features`` or ``table`` has been replaced since (by an assignment; a change
        made inside them is not seen: ``forget()`` after one)."""
        found = getattr(self, "_found_in", None)
        if found is None or found[0] is not self.features or found[1] is not self.table:
            self._found_in = (self.features, self.table)
            self._columns = self._share = None
        return getattr(self, name)

    def forget(self):
        """Forget the nonzero columns and share found so far (``x(sparse=True)``,
        ``nonzero_share``): for a data set whose features or table were changed in
        place."""
        self._found_in = self._columns = self._share = None

    def _nonzero_block(self, block):
        """(flat, starts): the nonzero columns of the samples of ``block`` one after
        another in one array, sample j's from starts[j] to starts[j + 1]."""
        flat = array("H" if self.features_per_sample <= 0x10000 else "q")
        starts = array("q", [0])
        codes = self._nonzero_codes()
        for i in range(block * KEPT_BLOCK, min(len(self), (block + 1) * KEPT_BLOCK)):
            self._nonzero_columns(i, codes, flat)
            starts.append(len(flat))
        return flat, starts

    def _nonzero_codes(self):
        """Which byte codes stand for a nonzero number (a NaN is not zero) through the
        table, or None without one (the numbers are read as they are)."""
        return None if self.table is None else [v != 0.0 for v in self.table]

    def _nonzero_columns(self, i, codes, into):
        """Append the columns where sample i is nonzero to ``into``, in order."""
        d = self.features_per_sample
        features, start = self.features, i * d
        if codes is None:
            for j in range(d):
                if features[start + j] != 0:
                    into.append(j)
        else:
            for j in range(d):
                if codes[features[start + j]]:
                    into.append(j)
        return into

    def nonzero_share(self, samples=100):
        """The share of nonzero numbers in the first ``samples`` samples (0.0 to 1.0; 0.0
        when there are none): whether ``x(sparse=True)`` pays (``linalg.sparse_pays``)."""
        if samples == 100 and self._kept("_share") is not None:
            return self._share
        count = min(samples, len(self))
        if count == 0 or self.features_per_sample == 0:
            return 0.0
        codes = self._nonzero_codes()
        nonzero = sum(len(self._nonzero_columns(i, codes, [])) for i in range(count))
        share = nonzero / (count * self.features_per_sample)
        if samples == 100:
            self._share = share
        return share

    def t(self, indices):
        labels = [self.labels[i] for i in indices]
        if self.num_classes is None:
            return [[target] for target in labels]
        return to_one_hot(labels, self.num_classes) if self.one_hot else labels

    def batch(self, indices, into=None, sparse=False):
        """(x, t) of the samples at ``indices``. ``into``, a batch's x that nobody needs
        any more (a trainer's last one), may be refilled and returned as x (see ``x``);
        otherwise x is new rows, or ``SparseRows`` with ``sparse=True``."""
        return self.x(indices, into, sparse), self.t(indices)

    def head(self, n):
        """The first n samples as a data set of their own (shares nothing mutable)."""
        d = self.features_per_sample
        return Dataset(self.features[:n * d], self.labels[:n], self.sample_shape,
                       self.num_classes, table=self.table, one_hot=self.one_hot,
                       name=self.name)

    def take(self, indices):
        """The samples at ``indices`` (in that order) as a data set of their own."""
        d = self.features_per_sample
        if isinstance(self.features, array):
            picked = array(self.features.typecode)
            for i in indices:
                picked.extend(self.features[i * d:(i + 1) * d])
        else:
            picked = b"".join(bytes(self.features[i * d:(i + 1) * d]) for i in indices)
        chosen = [self.labels[i] for i in indices]
        if isinstance(self.labels, (bytes, bytearray)):
            chosen = bytes(chosen)
        elif isinstance(self.labels, array):
            chosen = array(self.labels.typecode, chosen)
        return Dataset(picked, chosen, self.sample_shape, self.num_classes,
                       table=self.table, one_hot=self.one_hot, name=self.name)

    def batches(self, size, sparse=False):
        """Consecutive batches of at most ``size`` samples, in order (for evaluation); x
        as ``SparseRows`` with ``sparse=True``."""
        for start in range(0, len(self), size):
            indices = range(start, min(start + size, len(self)))
            yield self.batch(indices, sparse=True) if sparse else self.batch(indices)
