"""``make bench``: how fast backlink_spider is, as ratios against the baselines a user
would compare it with, each measured in the same run on the same machine.

``python -m bench`` runs every benchmark (``--smoke`` for a small size, ``--only NAME``
for one, ``--json PATH`` to write the results); one module per benchmark, and
``bench.web`` generates and serves the synthetic web the crawls run on.
"""
