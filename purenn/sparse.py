"""A batch kept by its nonzero entries: ``SparseRows``.

An MNIST image is about a fifth nonzero. A dense layer's x·W and xᵀ·dout sum only over
the nonzero x[n][i] (a zero term adds nothing), so a batch that arrives as its nonzero
entries spares the layer the search for them; a data set can find each sample's nonzero
columns once and keep them (``purenn.data.dataset.Dataset.x(sparse=True)``).

Each row is stored as what CSR (compressed sparse row) format stores of it: its nonzero
columns in increasing order and the values found there. A NaN is not zero: it is kept;
a zero of either sign is not stored (``check`` refuses one: the kernels add every
stored value, and 0·inf would be NaN where the dense row's zero adds nothing), and
reads back as 0.0.
"""

from array import array

__all__ = ["SparseRows"]


class SparseRows:
    """N rows of ``width`` numbers, row n nonzero only at ``columns[n]`` (increasing),
    where it holds ``values[n]`` (entry p at column columns[n][p]).

    It reads as the rows it stands for: ``len``, indexing and iteration give dense rows
    (new lists), ``dense()`` all of them.

    >>> x = SparseRows.from_rows([[0.0, 0.5, 0.0], [1.0, 0.0, 0.25]])
    >>> x
    SparseRows(2 rows of 3, 3 nonzero)
    >>> x.columns, x.values
    ([[1], [0, 2]], [[0.5], [1.0, 0.25]])
    >>> x.dense()
    [[0.0, 0.5, 0.0], [1.0, 0.0, 0.25]]
    """

    __slots__ = ("columns", "values", "width", "checked")

    def __init__(self, columns, values, width, checked=False):
        """``columns[n]``, a sequence of ints (a list, an ``array``), and ``values[n]``, a
        list of floats of the same length, for each row n. They are taken as they are;
        ``check()`` tells whether they are right, and a network checks them once before
        it uses them. ``checked=True`` (what purenn's data sets and kernels say of what
        they make) spares that check."""
        self.columns = columns
        self.values = values
        self.width = width
        self.checked = checked

    @classmethod
    def from_rows(cls, rows, width=None):
        """The nonzero entries of dense rows (lists of floats of one length); ``width``
        for no rows (else the rows' length)."""
        rows = list(rows)
        if rows or width is None:
            width = len(rows[0]) if rows else 0
        columns = [[i for i in range(len(row)) if row[i] != 0.0] for row in rows]
        values = [[row[i] for i in cols] for row, cols in zip(rows, columns)]
        return cls(columns, values, width, checked=True)

    def check(self):
        """ValueError naming the first row whose columns are not increasing in
        [0, width), or whose values are not as many or hold a zero: what the kernels
        rely on. Sets ``checked`` when all is well.

        >>> SparseRows([[2, 1]], [[1.0, 1.0]], 3).check()
        Traceback (most recent call last):
        ...
        ValueError: SparseRows row 0: columns must increase within [0, 3), got [2, 1]
        """
        if isinstance(self.width, bool) or not isinstance(self.width, int) or self.width < 0:
            raise ValueError(f"SparseRows width must be a whole number ≥ 0, got "
                             f"{self.width!r}")
        for name, rows in (("columns", self.columns), ("values", self.values)):
            if not isinstance(rows, (list, tuple)):
                raise ValueError(f"SparseRows {name} must be a list of rows, got "
                                 f"{type(rows).__name__}")
        if len(self.columns) != len(self.values):
            raise ValueError(f"SparseRows has {len(self.columns)} rows of columns but "
                             f"{len(self.values)} of values")
        for n, (cols, vals) in enumerate(zip(self.columns, self.values)):
            for name, row in (("columns", cols), ("values", vals)):
                if not isinstance(row, (list, tuple, array)):
                    raise ValueError(f"SparseRows row {n}: its {name} must be a list, got "
                                     f"{type(row).__name__}")
            if len(cols) != len(vals):
                raise ValueError(f"SparseRows row {n}: {len(cols)} columns but "
                                 f"{len(vals)} values")
            last = -1
            for i in cols:
                if not isinstance(i, int) or isinstance(i, bool) or not last < i < self.width:
                    raise ValueError(f"SparseRows row {n}: columns must increase within "
                                     f"[0, {self.width}), got {list(cols)!r}")
                last = i
            for i, value in zip(cols, vals):
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ValueError(f"SparseRows row {n}: the value at column {i} is "
                                     f"{value!r}, not a number")
                if value == 0:
                    raise ValueError(f"SparseRows row {n}: the value at column {i} is "
                                     f"{value!r}; only nonzero entries are stored")
        self.checked = True

    def __len__(self):
        return len(self.columns)

    def transpose(self):
        """xᵀ as ``SparseRows`` (width N): row i holds the n where x[n][i] is nonzero, in
        increasing order, and those values.

        >>> SparseRows([[0], [0, 1]], [[1.0], [2.0, 3.0]], 2).transpose().values
        [[1.0, 2.0], [3.0]]
        """
        columns = [[] for _ in range(self.width)]
        values = [[] for _ in range(self.width)]
        for n in range(len(self.columns)):
            for i, value in zip(self.columns[n], self.values[n]):
                columns[i].append(n)
                values[i].append(value)
        return SparseRows(columns, values, len(self.columns), checked=self.checked)

    def __getitem__(self, n):
        if isinstance(n, slice):
            return [self[i] for i in range(*n.indices(len(self)))]
        row = [0.0] * self.width
        for i, value in zip(self.columns[n], self.values[n]):
            row[i] = value
        return row

    def __iter__(self):
        for n in range(len(self.columns)):
            yield self[n]

    def dense(self):
        """The rows as lists of ``width`` floats, zeros filled in."""
        return list(self)

    def nonzero_count(self):
        """How many entries are stored (nonzero) in all."""
        return sum(len(cols) for cols in self.columns)

    def __repr__(self):
        return (f"SparseRows({len(self)} rows of {self.width}, "
                f"{self.nonzero_count()} nonzero)")
