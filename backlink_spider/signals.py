"""Signals of backlink_spider, sent through ``crawler.signals`` like Scrapy's own."""

# Pages whose records reached the database: ``request_ids`` (list of ints), the
# durable scheduler's ids of the requests that fetched them. Sent by the storage
# pipeline after each committed batch.
pages_stored = object()

# A request that ended without a page to store (fetch failed, ignored, not HTML):
# ``request`` (scrapy.Request). Sent by the spider's errback.
request_finished = object()

# A crawl resumed from JOBDIR (scheduler.DurableScheduler): ``urls``, a callable giving
# every URL scheduled before (an iterator, read once), and ``fetched``, how many of their
# requests ended. The spider's frontier and the page budget carry on from them.
frontier_restored = object()
