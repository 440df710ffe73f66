"""Project commands of backlink_spider (``scrapy <command>`` inside the project)."""
