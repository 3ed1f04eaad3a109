"""The commands of ``python -m purenn``, one module each (see ``purenn.cli``)."""
