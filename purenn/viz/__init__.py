"""Pictures with the standard library: PNG and SVG files, digits in the terminal,
training curves, decision regions and progress bars."""
