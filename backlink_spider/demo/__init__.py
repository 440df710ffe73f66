"""The offline demo: a small bundled web on loopback and a real crawl of it (``make demo``)."""
