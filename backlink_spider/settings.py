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
# Through the operator's proxy, look each host name up here first and refuse it if an address
# it has is not public (off: a proxy that refuses private addresses itself; the tests and the
# benchmark, whose names exist only behind their own proxy).
BACKLINKS_CHECK_PROXIED_NAMES = True
# Total pages fetched in one crawl (robots.txt not counted); the max_pages argument wins.
BACKLINKS_MAX_PAGES = 10000
# Link hops from a seed; 0 fetches only the seeds (and asks their redirect links where they
# lead); the max_depth argument wins.
BACKLINKS_MAX_DEPTH = 3
# Pages fetched per registered domain; the pages_per_domain argument wins.
BACKLINKS_PAGES_PER_DOMAIN = 20
# URLs with a query a domain may have per path, whatever the query (the URL without one
# besides): bounds calendars, faceted search, sort orders and other endless variants of one page.
BACKLINKS_VARIANTS_PER_PATH = 10
# Fingerprints each of the frontier's counters (URLs seen, variants of a page, pages of a
# registered domain) and the duplicate filter hold in memory, 12 bytes each, before they move
# them to a temporary SQLite file (TMPDIR, deleted when the crawl ends): bounds what a crawl
# remembers in memory however long it runs. 0: all in memory.
BACKLINKS_SEEN_MEMORY = 262144
# Requests held in the frontier per page the budget still allows (lowest priority dropped beyond).
BACKLINKS_PENDING_PER_PAGE = 2.0
# Requests held in the frontier at most, whatever the budget (in memory, a link's URL and 10
# bytes more: about 100 bytes).
BACKLINKS_MAX_PENDING = 200000
# Keywords of the target (comma-separated or a JSON list) for exact/partial anchor classes.
BACKLINKS_KEYWORDS: list[str] = []
# Seconds the database may stay unreachable mid-crawl (rows wait in memory) before the
# crawl stops and saves what it could not store to a file (scrapy restore).
BACKLINKS_DB_OUTAGE_TIMEOUT = 300.0
# Seconds one database call of a crawl (a batch, the crawl's end, the ranking of domains) or of
# scrapy restore (a batch, the check of its crawl) may wait for the server before it counts as failed (the database
# unavailable): a server that stops answering without going away would otherwise hang it for ever.
BACKLINKS_DB_WRITE_TIMEOUT = 60.0
# Where files of rows that could not be stored are written.
BACKLINKS_UNSAVED_DIR = "."
# Recompute the authority of every domain in the database when a crawl ends.
BACKLINKS_AUTHORITY_AT_CLOSE = True
# Rows written to the database in one transaction.
BACKLINKS_BATCH_SIZE = 2000
# Seconds between flushes of a batch that is not full yet (a tick is skipped while the
# database still has two batches to write).
BACKLINKS_FLUSH_INTERVAL = 2.0

# --- Scrapy: identity and politeness ----------------------------------------------
# Name the crawler and where to read about it, as trusted crawlers do.
USER_AGENT = "backlink_spider/0.1 (+https://github.com/backlink-spider/backlink_spider)"
# Obey robots.txt.
ROBOTSTXT_OBEY = True
# The product token robots.txt groups are matched against (RFC 9309), not the whole User-Agent.
ROBOTSTXT_USER_AGENT = "backlink_spider"
# Longest robots.txt Crawl-delay obeyed, in seconds (a longer one is obeyed as this); 0 ignores them.
BACKLINKS_MAX_CRAWL_DELAY = 30.0
# Seconds a host's robots.txt rules are kept before they are fetched again (RFC 9309: 24 h).
BACKLINKS_ROBOTS_MAX_AGE = 86400.0
# Hosts whose robots.txt rules are kept in memory; the oldest are fetched again when needed.
BACKLINKS_ROBOTS_CACHE = 10000
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
# Requests in flight per registered domain (all its hosts together).
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Bytes of fetched pages being parsed or stored before the engine stops downloading (Scrapy's
# default is 5,000,000): 15-20 pages of 55 KB keep both cores busy, and what a crawl holds while
# its database catches up stays small. Pages waiting for the browser have their own room (below).
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 1_000_000
# Scrapy's downloader, with a slot (delay, concurrency) per registered domain instead of per
# host, robots.txt's Crawl-delay as a floor of its delay, and idle slots forgotten sooner when
# nothing politeness needs is lost (downloader.py).
DOWNLOADER = "backlink_spider.downloader.Downloader"
# Seconds past its delay after which an idle host's downloader slot is dropped, when its delay
# is no longer than a new slot's (a slot AutoThrottle slowed down goes by Scrapy's 60).
BACKLINKS_SLOT_IDLE_TIME = 15.0
# Seconds before a download is abandoned (Scrapy's default is 180).
DOWNLOAD_TIMEOUT = 20
# Seconds a host name may take to resolve (Scrapy's default: 60); beyond, the fetch fails as a
# lookup that timed out (retried; through a proxy too: the guard could not check its address),
# and the host is looked up again for its next page.
DNS_TIMEOUT = 10
# Largest body read, after decompression (Scrapy's default is 1 GiB).
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
# Body size that logs a warning.
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
# A broad crawler keeps no sessions (and Scrapy's cookie middleware would try to
# download the public-suffix list).
COOKIES_ENABLED = False
# No Referer header: robots do not send one (Googlebot does not; site owners read a robot's
# Referer as referrer spam, and it would tell every site where the crawl found it). It also spares
# each pending request its page's header (queues.py).
REFERER_ENABLED = False
# One retry of a failed download is enough when the frontier is wide.
RETRY_TIMES = 1
# A download that failed for good is a routine event of the web (a 503, a timeout): the spider
# and robots.txt log it in one line of their own at INFO, so Scrapy's ERROR line is only DEBUG.
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"
# Redirect hops followed before giving up.
REDIRECT_MAX_TIMES = 10

# --- Scrapy: frontier -------------------------------------------------------------
# Breadth first: FIFO queues in memory; priorities put new domains ahead (frontier.py). With
# this queue, pending links are held as bytes (queues.py); with another, as tuples.
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
# Breadth first on disk too, when JOBDIR is set.
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
# Plain priority queue (the downloader-aware one scans every domain slot at each pop),
# bounded by the page budget (queues.py).
SCHEDULER_PRIORITY_QUEUE = "backlink_spider.queues.BoundedPriorityQueue"
# Scrapy's duplicate filter, in 12 bytes a request instead of ~80 (seen.py).
DUPEFILTER_CLASS = "backlink_spider.seen.CompactDupeFilter"
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

SPIDER_MIDDLEWARES = {
    # A probe's hops keep the depth of the link asked about (hopdepth.py), as redirects do.
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "backlink_spider.hopdepth.HopDepthMiddleware": 900,
}

# Add-ons: passwords in URLs masked in every log line (redaction.py); with JOBDIR set, a
# frontier that survives kill -9 (scheduler.py); with BACKLINKS_DISTRIBUTED, the Redis
# scheduler (distributed.py, after the former so it wins); the browser's download
# handler when rendering can happen (browser.py).
ADDONS = {
    "backlink_spider.redaction.Redaction": 0,
    "backlink_spider.norefer.NoReferer": 0,
    "backlink_spider.scheduler.ResumableCrawl": 100,
    "backlink_spider.distributed.DistributedMode": 200,
    "backlink_spider.browser.BrowserRendering": 300,
}

# --- JavaScript-built pages (rendering.py decides, browser.py renders) ---------------
# Which pages the browser renders: auto (those that look built by script), always or never.
BACKLINKS_RENDER_MODE = "auto"
# The Chromium to drive: the first of these found (Debian's packages). The headless shell, built
# for automation, renders for about a third less than the full browser; when none is there the
# crawl runs without rendering.
BACKLINKS_RENDER_BROWSER = ["/usr/bin/chromium-headless-shell", "/usr/bin/chromium"]
# More Chromium flags (those that keep it quiet and safe, and --no-sandbox as root, are always passed).
BACKLINKS_RENDER_BROWSER_ARGS: list[str] = []
# Pages rendered at once (in one browser context). 12 render about 5 % more where the cores have
# room, for about a quarter more of the browser's memory (docs/performance-log.md).
BACKLINKS_RENDER_MAX_PAGES = 8
# Bytes of fetched pages waiting for the browser (or being rendered) that do not count toward
# SCRAPER_SLOT_MAX_ACTIVE_SIZE, so that plain pages keep being fetched while renders wait.
BACKLINKS_RENDER_WAITING_SIZE = 5_000_000
# Pages (tabs) kept open besides, each on the host it rendered last: the next page of that host
# renders in it without a new renderer process.
BACKLINKS_RENDER_IDLE_PAGES = 4
# Seconds for a rendered page's document to load.
BACKLINKS_RENDER_NAVIGATION_TIMEOUT = 15.0
# Longest wait after load for the page's requests, timers and DOM to fall quiet (links added late).
BACKLINKS_RENDER_SETTLE_TIMEOUT = 5.0
# Seconds without requests or DOM changes, counted from load at the earliest, that end that wait.
BACKLINKS_RENDER_QUIET = 0.2
# Timers a page sets to fire within this many seconds of load are waited for (links a timer adds).
BACKLINKS_RENDER_TIMERS = 1.0
# Seconds a whole render may take; beyond, the page is kept as fetched.
BACKLINKS_RENDER_TIMEOUT = 30.0
# How much of a page the browser draws: full (laid out and painted, as on a screen), layout (laid
# out, not painted: scripts measure and observe the page as on a screen; a sixth less a render) or
# measured (laid out only where a script measures it, until a script observes elements appear or
# resize, then as in layout; a third less, but a script waiting for a CSS animation or transition
# of what is not laid out waits in vain).
BACKLINKS_RENDER_DRAWING = "measured"
# Kinds of browser requests refused, to save time and bandwidth (images: never even asked for).
BACKLINKS_RENDER_BLOCKED_RESOURCES = ["image", "media", "font", "stylesheet", "eventsource", "ping"]
# Restart the browser after this many rendered pages (0: never).
BACKLINKS_RENDER_RESTART_PAGES = 500
# Restart the browser when its processes use more than this many MiB (0: never).
BACKLINKS_RENDER_RESTART_MEMORY = 1024
# auto: renders of a host that find no new link before its pages are no longer rendered.
BACKLINKS_RENDER_FUTILE_RENDERS = 3
# auto: less visible text than this (characters) makes a page text-light.
BACKLINKS_RENDER_MIN_TEXT = 500
# auto: a text-light page with fewer links than this and scripts looks script-built.
BACKLINKS_RENDER_MIN_LINKS = 5
# auto: external scripts that count as scripts for that rule.
BACKLINKS_RENDER_SCRIPT_FILES = 1
# auto: characters of inline script that count as scripts for that rule.
BACKLINKS_RENDER_SCRIPT_CHARS = 20000
# auto: pages at least this long (characters of HTML) are judged by their link density.
BACKLINKS_RENDER_LARGE_PAGE = 32768
# auto: fewer links than this per KiB of HTML make such a page look script-built, if it has a script.
BACKLINKS_RENDER_LINKS_PER_KIB = 0.1
# --- end of JavaScript-built pages ----------------------------------------------------


# --- Common Crawl discovery (backlink_spider/commoncrawl/) ------------------------------
# Where relative paths of Common Crawl lists (wat.paths.gz, *.paths.gz) are: a URL or a directory.
BACKLINKS_CC_BASE_URL = "https://data.commoncrawl.org/"
# --- end of Common Crawl discovery -----------------------------------------------------

ITEM_PIPELINES = {
    "pipelines.storage.DatabasePipeline": 300,
}

# CPython's garbage collector set for a crawl (gctuning.py): collections every this many
# allocations (young; then every 10th of those, every 10th of these full); [] keeps
# Python's (700, 10, 10).
BACKLINKS_GC_THRESHOLD = [5000, 10, 10]
# Freeze what is alive when the crawl starts out of the collector's sight.
BACKLINKS_GC_FREEZE = True
EXTENSIONS = {
    "backlink_spider.gctuning.GcTuning": 0,
}

# No telnet console: whoever reaches its port could run code in the crawler.
TELNETCONSOLE_ENABLED = False
# No remote-control HTTP server, for the same reason.
REMOTE_CONTROL_ENABLED = False

# Feeds written with -O keep non-ASCII anchors readable.
FEED_EXPORT_ENCODING = "utf-8"
# One line per page fetched would be DEBUG; INFO shows progress and problems.
LOG_LEVEL = "INFO"

# --- Distributed mode (distributed.py) ----------------------------------------------
# Split one crawl across several worker processes or machines through Redis (needs PostgreSQL).
BACKLINKS_DISTRIBUTED = False
# Redis of distributed mode; the environment variable of the same name wins.
REDIS_URL = "redis://127.0.0.1:6379/0"
# First part of a distributed crawl's Redis keys; its targets make the rest.
BACKLINKS_DISTRIBUTED_KEY_PREFIX = "backlinks"
# Seconds a worker waits with nothing left in the whole crawl before it closes.
BACKLINKS_DISTRIBUTED_IDLE_CLOSE = 5.0
# Seconds without a heartbeat after which a worker counts as dead and its requests are queued again.
BACKLINKS_DISTRIBUTED_LEASE_TTL = 30.0
