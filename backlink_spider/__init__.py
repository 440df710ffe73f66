"""backlink_spider: a Scrapy project that finds the pages of other sites linking to a target."""

__version__ = "0.1.0"
