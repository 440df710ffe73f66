"""A small web of JavaScript-built pages for the rendering tests: a single-page app whose backlinks
exist only once its script ran, a static site, pages whose links arrive late (fetch, timer, both),
pages that never settle, a page that would go on after its render, a page that reaches
for private addresses, and one that tells how much of it the browser drew.

Domains are .com/.org/.net: Chromium forces HTTPS on HSTS-preloaded TLDs (.app, .dev ...).
"""

from __future__ import annotations

from backlink_spider.localweb import Resource, Sites, redirect
from tests.web import PROSE, html

JS = {"Content-Type": "application/javascript"}
JSON = {"Content-Type": "application/json"}


def app(script: str, body: str = "") -> Resource:
    """A page that is an empty React-style root until ``script`` runs."""
    return Resource(html(f'<div id="root"></div>{body}<script>{script}</script>'))


SPA_SCRIPT = """
const root = document.getElementById('root');
root.innerHTML = '<main><article><p>' + 'Rendered prose about tools, long enough to read. '.repeat(4) +
  'We use <a href="http://target.com/from-spa">Target from the app</a> daily.</p>' +
  '<p><a href="/about">About this app</a></p></article></main>';
"""

ABOUT_SCRIPT = """
document.getElementById('root').innerHTML =
  '<main><p>About us, rendered. <a href="http://target.com/from-about">Target again</a></p></main>';
"""

STATIC_PAGE = html(
    f"""<main><article><p>{PROSE} {PROSE} with a link to <a href="http://target.com/from-static">Target</a>
and to <a href="http://static.org/second">the second page</a>.</p></article></main>"""
)

# Links that arrive after load: one fetched, one added by a timer 300 ms after load.
LATE_SCRIPT = """
window.addEventListener('load', () => {
  fetch('/links.json').then((r) => r.json()).then((links) => {
    for (const link of links) {
      const a = document.createElement('a');
      a.href = link.href; a.textContent = link.text;
      document.getElementById('root').appendChild(a);
    }
  });
  setTimeout(() => {
    const a = document.createElement('a');
    a.href = 'http://target.com/from-timer'; a.textContent = 'From the timer';
    document.getElementById('root').appendChild(a);
  }, 300);
});
"""

# Says by its links what a script on it can tell: its text is laid out (has a height), would be
# painted (neither hidden nor skipped), is skipped (content-visibility), is seen on screen
# (IntersectionObserver, as content loaded when seen is), and is not skipped once seen.
DRAWN_SCRIPT = """
const root = document.getElementById('root');
root.textContent = 'Rendered text about tools, long enough to be laid out on a line of its own.';
const add = (path, text) => {
  const a = document.createElement('a');
  a.href = 'http://target.com/' + path; a.textContent = text;
  document.body.appendChild(a);
};
if (root.getBoundingClientRect().height > 0) add('laid-out', 'Laid out');
if (root.checkVisibility({visibilityProperty: true})) add('painted', 'Painted');
if (!root.checkVisibility()) add('skipped', 'Skipped');
new IntersectionObserver((entries, observer) => {
  if (!entries.some((entry) => entry.isIntersecting)) return;
  observer.disconnect();
  add('seen', 'Seen');
  if (root.checkVisibility()) add('drawn-when-seen', 'Drawn when seen');
}).observe(root);
"""

# Takes its time: a link fetched by a timer near the end of the wait for timers (BACKLINKS_RENDER_TIMERS).
PATIENT_SCRIPT = """
setTimeout(() => {
  fetch('/late.json').then((r) => r.json()).then((link) => {
    document.getElementById('root').innerHTML = '<a href="' + link.href + '">' + link.text + '</a>';
  });
}, 900);
"""

# Fills its root, then would ask for more and leave, once its render is long over.
RESTLESS_SCRIPT = """
document.getElementById('root').innerHTML = '<p><a href="/next">Next</a></p>';
setInterval(() => { if (performance.now() > 3000) fetch('/poll'); }, 100);
setTimeout(() => { location.href = '/elsewhere'; }, 3000);
"""
NEXT_SCRIPT = """
document.getElementById('root').innerHTML = '<p><a href="http://target.com/from-next">Target</a></p>';
"""

# Reaches for private addresses in every way a page can, and for a path robots.txt disallows.
SNEAKY_SCRIPT = """
document.getElementById('root').innerHTML = '<p><a href="http://target.com/from-sneaky">Target</a></p>';
document.querySelector('p').getBoundingClientRect();  // measured: laid out, so its font is asked for
for (const url of ['http://127.0.0.1/secret', 'http://10.0.0.1/admin', 'http://localhost/lh',
                   'http://127.1/short', '/private/data.json']) {  // 127.1 reads 127.0.0.1 in a browser
  fetch(url).catch(() => null);
}
"""
SNEAKY_BODY = (
    '<script src="http://hopper.org/r.js"></script>'
    '<iframe src="http://169.254.169.254/latest/meta-data/"></iframe>'
    '<img src="http://192.168.1.1/pixel.gif">'
    # Kinds of requests refused wherever they go (BACKLINKS_RENDER_BLOCKED_RESOURCES).
    '<link rel="stylesheet" href="http://hopper.org/style.css">'
    "<style>@font-face { font-family: f; src: url(http://hopper.org/font.woff2); } p { font-family: f; }</style>"
    '<video src="http://hopper.org/clip.mp4" autoplay muted></video>'
    '<img src="http://hopper.org/picture.png" alt="">'
)
# Served, so that only the browser's refusal keeps them from arriving.
BLOCKED_URLS = ("http://hopper.org/style.css", "http://hopper.org/font.woff2", "http://hopper.org/clip.mp4")
IMAGE_URL = "http://hopper.org/picture.png"
# What the sneaky page must never reach (as the loopback web logs it).
PRIVATE_URLS = (
    "http://127.0.0.1/secret",
    "http://10.0.0.1/admin",
    "http://localhost/lh",
    "http://127.0.0.1/short",
    "http://10.0.0.2/x.js",
    "http://169.254.169.254/latest/meta-data/",
    "http://192.168.1.1/pixel.gif",
    "http://sneaky.net/private/data.json",
)


def js_sites() -> Sites:
    return {
        "spa.com": {"/": app(SPA_SCRIPT), "/about": app(ABOUT_SCRIPT)},
        "static.org": {"/": Resource(STATIC_PAGE), "/second": Resource(html(f"<p>{PROSE}</p>"))},
        "patient.com": {
            "/": app(PATIENT_SCRIPT),
            "/late.json": Resource('{"href": "http://target.com/from-patient", "text": "Patient"}', headers=JSON),
        },
        "drawn.com": {"/": app(DRAWN_SCRIPT)},
        "late.net": {
            "/": app(LATE_SCRIPT),
            "/links.json": Resource('[{"href": "http://target.com/from-fetch", "text": "From fetch"}]', headers=JSON),
        },
        "stuck.com": {
            # Never finishes loading: the parser is stuck in the script.
            "/busy": app("while (true) {}", '<a href="http://static.org/">static</a>'),
            # Loads, then never lets go of the main thread.
            "/hang": app("setTimeout(() => { while (true) {} }, 50);", '<a href="http://static.org/second">2</a>'),
            # Navigates to itself again and again.
            "/loop": app(
                "document.getElementById('root').innerHTML = '<a href=\"http://target.com/from-loop\">Loop</a>';"
                " setTimeout(() => { location.href = '/loop?' + Date.now(); }, 100);"
            ),
        },
        "sneaky.net": {
            "/": app(SNEAKY_SCRIPT, SNEAKY_BODY),
            "/robots.txt": Resource("User-agent: *\nDisallow: /private/\n", headers={"Content-Type": "text/plain"}),
            "/private/data.json": Resource("[]", headers=JSON),
        },
        "hopper.org": {
            "/r.js": redirect("http://10.0.0.2/x.js", 302),
            "/style.css": Resource("p { color: red; }", headers={"Content-Type": "text/css"}),
            "/font.woff2": Resource("wOF2", headers={"Content-Type": "font/woff2"}),
            "/clip.mp4": Resource("....", headers={"Content-Type": "video/mp4"}),
            "/picture.png": Resource("\x89PNG", headers={"Content-Type": "image/png"}),
        },
        # The next page is slow to come: meanwhile the first one's tab waits, idle, for it.
        "restless.org": {"/": app(RESTLESS_SCRIPT), "/next": Resource(app(NEXT_SCRIPT).body, delay=4.5)},
    }
