"""The commands of ``python3 -m purenn``, one module each (see ``purenn.cli``)."""
