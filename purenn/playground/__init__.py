"""``purenn playground``: a page in the browser where networks train and digits get read.

The standard library serves it (``server``); purenn does every computation in Python
(``planar`` for the 2-D panel, ``digits`` for the drawing panel, both through the small
``engine`` module); the page in ``static/`` only draws what the server sends.
"""
