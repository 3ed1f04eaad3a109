"""The errors purenn raises on bad input.

Every message says what was wrong and where it came from (file, line, field) and shows
the offending value with ``!r``, so the CLI can print it on one line without a traceback.
"""


class PurennError(Exception):
    """Base class of every error purenn raises for bad input or a failed run."""


class SpecError(PurennError):
    """A network spec is wrong: unknown name, bad argument, impossible shape."""


class DataError(PurennError):
    """A data file is missing, malformed or does not match its partner."""


class ModelFileError(PurennError):
    """A model or weights file cannot be read or written."""


class PluginError(PurennError):
    """A plugin cannot be found, imported or registered."""


class TrainingError(PurennError):
    """Training cannot go on, for example because the loss stopped being finite."""
