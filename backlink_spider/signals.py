"""Signals of backlink_spider, sent through ``crawler.signals`` like Scrapy's own."""

# Pages whose records reached the database: ``request_ids`` (list of ints), the
# durable scheduler's ids of the requests that fetched them. Sent by the storage
# pipeline after each committed batch.
pages_stored = object()

# A request that ended without a page to store (fetch failed, ignored, not HTML):
# ``request`` (scrapy.Request). Sent by the spider's errback.
request_finished = object()
