"""Item pipelines of backlink_spider: storage of backlinks, pages and crawls."""
