"""Fuzzing purenn's file readers: seeds, mutators and the campaign (see readers.py)."""
