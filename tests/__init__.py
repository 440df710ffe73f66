"""Tests of backlink_spider; tests/ mirrors the package."""
