"""The book's experiments: several trainings compared (``runner``, with the settings as
edits of spec text in ``settings``), a look inside a network (``inside``), and their
figures (``figures``). The commands compare, search, activations, filters and paths are
thin layers over these."""
