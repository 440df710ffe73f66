"""Settings of backlink_spider: every default in one place, each with a one-line comment.

Project settings are prefixed ``BACKLINKS_``; Scrapy's own are set here where a broad,
polite crawler needs other values than Scrapy's defaults. The README's settings table
is checked against this file by the test suite.
"""

BOT_NAME = "backlink_spider"
SPIDER_MODULES = ["backlink_spider.spiders"]
NEWSPIDER_MODULE = "backlink_spider.spiders"
COMMANDS_MODULE = "backlink_spider.commands"

# --- backlink_spider ------------------------------------------------------------
# SQLAlchemy URL of the database; the environment variable of the same name wins.
BACKLINKS_DATABASE_URL = "sqlite:///backlinks.sqlite3"
# Upgrade an older database schema at start instead of refusing to write into it.
BACKLINKS_AUTO_MIGRATE = False
# Fetch private, loopback, link-local and other non-public addresses (tests, intranets).
BACKLINKS_ALLOW_PRIVATE_NETWORKS = False
# Total pages fetched in one crawl (robots.txt not counted); the max_pages argument wins.
BACKLINKS_MAX_PAGES = 10000
# Link hops from a seed; 0 fetches only the seeds; the max_depth argument wins.
BACKLINKS_MAX_DEPTH = 3
# Pages fetched per registered domain; the pages_per_domain argument wins.
BACKLINKS_PAGES_PER_DOMAIN = 20
# URLs a domain may have per page template (its path with numbers blanked, no query):
# bounds calendars, faceted search and other endless variants of one page.
BACKLINKS_VARIANTS_PER_TEMPLATE = 10
# Keywords of the target (list or comma-separated) for exact/partial anchor classes.
BACKLINKS_KEYWORDS: list[str] = []
# Seconds the database may stay unreachable mid-crawl (rows wait in memory) before the
# crawl stops and saves what it could not store to a file (scrapy restore).
BACKLINKS_DB_OUTAGE_TIMEOUT = 300.0
# Where files of rows that could not be stored are written.
BACKLINKS_UNSAVED_DIR = "."
# Recompute the authority of every domain in the database when a crawl ends.
BACKLINKS_AUTHORITY_AT_CLOSE = True
# Rows written to the database in one transaction.
BACKLINKS_BATCH_SIZE = 500
# Seconds between flushes of a batch that is not full yet.
BACKLINKS_FLUSH_INTERVAL = 2.0

# --- Scrapy: identity and politeness ----------------------------------------------
# Name the crawler and where to read about it, as trusted crawlers do.
USER_AGENT = "backlink_spider/0.1 (+https://github.com/backlink-spider/backlink_spider)"
# Obey robots.txt.
ROBOTSTXT_OBEY = True
# Seconds a host's robots.txt rules are kept before they are fetched again (RFC 9309: 24 h).
BACKLINKS_ROBOTS_MAX_AGE = 86400.0
# Adapt the delay to each server's latency, never below DOWNLOAD_DELAY.
AUTOTHROTTLE_ENABLED = True
# First delay (seconds) AutoThrottle uses for a new domain.
AUTOTHROTTLE_START_DELAY = 1.0
# Requests AutoThrottle aims to have in flight per server.
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
# Minimum seconds between two requests to one domain.
DOWNLOAD_DELAY = 0.5
# Requests in flight in all.
CONCURRENT_REQUESTS = 32
# Requests in flight per domain.
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Seconds before a download is abandoned (Scrapy's default is 180).
DOWNLOAD_TIMEOUT = 20
# Largest body read, after decompression (Scrapy's default is 1 GiB).
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
# Body size that logs a warning.
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
# A broad crawler keeps no sessions (and Scrapy's cookie middleware would try to
# download the public-suffix list).
COOKIES_ENABLED = False
# One retry of a failed download is enough when the frontier is wide.
RETRY_TIMES = 1
# Redirect hops followed before giving up.
REDIRECT_MAX_TIMES = 10

# --- Scrapy: frontier -------------------------------------------------------------
# Breadth first: FIFO queues in memory; priorities put new domains ahead (frontier.py).
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
# Breadth first on disk too, when JOBDIR is set.
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
# Plain priority queue: the downloader-aware one scans every domain slot at each pop.
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.ScrapyPriorityQueue"
# Resolve names through the resolver that refuses non-public addresses.
TWISTED_DNS_RESOLVER = "backlink_spider.resolver.PublicAddressResolver"

DOWNLOADER_MIDDLEWARES = {
    # Before robots.txt, so a refused host is never contacted, not even for robots.txt.
    "backlink_spider.guard.PrivateNetworkGuard": 60,
    # robots.txt as RFC 9309 says (robots.py), in the place of Scrapy's middleware.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "backlink_spider.robots.RobotsPolicy": 100,
    # After robots.txt, so disallowed pages do not spend the budget.
    "backlink_spider.budget.PageBudget": 110,
    # Sees responses after decompression (590) and redirects (600).
    "backlink_spider.htmlonly.HtmlOnly": 580,
}

# With JOBDIR set, a frontier that survives kill -9 (scheduler.py); and passwords in
# URLs masked in every log line (redaction.py).
ADDONS = {"backlink_spider.scheduler.ResumableCrawl": 100, "backlink_spider.redaction.Redaction": 0}

ITEM_PIPELINES = {
    "pipelines.storage.DatabasePipeline": 300,
}

# No telnet console: whoever reaches its port could run code in the crawler.
TELNETCONSOLE_ENABLED = False
# No remote-control HTTP server, for the same reason.
REMOTE_CONTROL_ENABLED = False

# Feeds written with -O keep non-ASCII anchors readable.
FEED_EXPORT_ENCODING = "utf-8"
# One line per page fetched would be DEBUG; INFO shows progress and problems.
LOG_LEVEL = "INFO"
