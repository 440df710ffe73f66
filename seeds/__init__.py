"""Seed lists: where a crawl starts, one URL a line, ``#`` comments, grouped by kind.

Shipped as package data so a deployed egg (scrapyd) finds them too.
"""
