"""Discovering backlinks from Common Crawl data, for the crawler to verify live.

``graph`` reads a web-graph release for the hosts or domains that link to a target,
``wat`` reads WAT files for the links themselves, ``spark_job`` runs that reading on
Spark for a whole monthly crawl; ``candidates`` is the file format they write and the
``seeds`` argument reads, ``rows`` turns links into ``backlinks`` rows, ``sources``
opens local files and HTTP(S) URLs as streams.
"""
