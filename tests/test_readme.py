"""The README tells the truth: every setting of settings.py is in its table with the same
default, and every spider argument is documented."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from backlink_spider.arguments import CrawlArguments

ROOT = Path(__file__).resolve().parent.parent


def documented_settings() -> dict[str, str]:
    """Name -> default (source text) of every setting in settings.py that has a comment line."""
    source = (ROOT / "backlink_spider" / "settings.py").read_text(encoding="utf-8")
    lines = source.splitlines()
    settings = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            assert isinstance(target, ast.Name) and node.value is not None
            if lines[node.lineno - 2].lstrip().startswith("#"):
                settings[target.id] = ast.get_source_segment(source, node.value) or ""
    return settings


def readme_settings() -> dict[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\| `([A-Z_]+)` \| `(.*?)` \|", text, flags=re.MULTILINE))


def value(source: str | None) -> object:
    """A default as Python sees it (so a dict may span lines in settings.py and one line in
    the README), or its source text when it is an expression."""
    if source is None:
        return None
    try:
        return ast.literal_eval(source)
    except (ValueError, SyntaxError):
        return " ".join(source.split())


def test_every_setting_is_in_the_readme_with_its_default() -> None:
    settings = documented_settings()
    assert "BACKLINKS_DATABASE_URL" in settings and "USER_AGENT" in settings
    table = readme_settings()
    assert {name: value(table.get(name)) for name in settings} == {name: value(settings[name]) for name in settings}


def test_every_spider_argument_is_in_the_readme() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in CrawlArguments.NAMES:
        assert f"| `{name}` |" in text
