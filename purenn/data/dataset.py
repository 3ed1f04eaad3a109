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

    def x(self, indices, into=None):
        """The samples at ``indices`` as float rows: new ones, or ``into``'s rows refilled
        when it is a list of exactly that many rows of ``features_per_sample`` floats and
        the kernel set fills rows faster than it makes them (``linalg.refills()``)."""
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

    def t(self, indices):
        labels = [self.labels[i] for i in indices]
        if self.num_classes is None:
            return [[target] for target in labels]
        return to_one_hot(labels, self.num_classes) if self.one_hot else labels

    def batch(self, indices, into=None):
        """(x, t) of the samples at ``indices``. ``into``, a batch's x that nobody needs
        any more (a trainer's last one), may be refilled and returned as x (see ``x``);
        otherwise x is new rows."""
        return self.x(indices, into), self.t(indices)

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

    def batches(self, size):
        """Consecutive batches of at most ``size`` samples, in order (for evaluation)."""
        for start in range(0, len(self), size):
            yield self.batch(range(start, min(start + size, len(self))))
