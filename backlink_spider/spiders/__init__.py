"""Spiders of backlink_spider."""
