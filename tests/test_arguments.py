"""Spider arguments: parsed and checked in one place, defaults from the project settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scrapy.settings import Settings

from backlink_spider import settings as project_settings
from backlink_spider.arguments import ArgumentError, CrawlArguments
from backlink_spider.seedlists import load_seeds


@pytest.fixture
def settings() -> Settings:
    settings = Settings()
    settings.setmodule("backlink_spider.settings")
    return settings


def test_defaults_come_from_settings(settings: Settings) -> None:
    arguments = CrawlArguments.parse({"target": "example.com"}, settings)
    assert arguments.targets == ["example.com"]
    assert arguments.seeds == load_seeds(None, ["example.com"])
    assert arguments.seeds[0] == "https://example.com/"
    assert arguments.max_pages == project_settings.BACKLINKS_MAX_PAGES == 10000
    assert arguments.max_depth == project_settings.BACKLINKS_MAX_DEPTH == 3
    assert arguments.pages_per_domain == project_settings.BACKLINKS_PAGES_PER_DOMAIN == 20


def test_changed_settings_change_the_defaults(settings: Settings) -> None:
    settings.set("BACKLINKS_MAX_PAGES", "123", priority="cmdline")
    settings.set("BACKLINKS_MAX_DEPTH", 7, priority="cmdline")
    settings.set("BACKLINKS_PAGES_PER_DOMAIN", "4", priority="cmdline")
    arguments = CrawlArguments.parse({"target": "example.com"}, settings)
    assert (arguments.max_pages, arguments.max_depth, arguments.pages_per_domain) == (123, 7, 4)


def test_arguments_win_over_settings(settings: Settings) -> None:
    arguments = CrawlArguments.parse(
        {
            "target": "https://www.Example.com/pricing, bücher.de, xn--bcher-kva.de",
            "seeds": "https://a.com/, https://b.org/links",
            "max_pages": " 50 ",
            "max_depth": "0",
            "pages_per_domain": 1,
        },
        settings,
    )
    assert arguments == CrawlArguments(
        targets=["example.com", "bücher.de"],
        seeds=["https://a.com/", "https://b.org/links"],
        max_pages=50,
        max_depth=0,
        pages_per_domain=1,
    )


def test_seeds_from_a_file(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "seeds.txt"
    path.write_text("# mine\nhttps://a.com/\n", encoding="utf-8")
    assert CrawlArguments.parse({"target": "example.com", "seeds": str(path)}, settings).seeds == ["https://a.com/"]


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("max_pages", "1", 1),
        ("max_pages", "250000", 250000),
        ("max_pages", 42, 42),
        ("max_depth", "0", 0),
        ("max_depth", " 12\n", 12),
        ("max_depth", "+2", 2),
        ("pages_per_domain", "5", 5),
    ],
)
def test_integers_are_parsed(settings: Settings, name: str, raw: Any, expected: int) -> None:
    arguments = CrawlArguments.parse({"target": "example.com", name: raw}, settings)
    assert getattr(arguments, name) == expected


@pytest.mark.parametrize(
    ("kwargs", "name", "detail"),
    [
        ({}, "target", "is required, e.g. -a target=example.com"),
        ({"target": None}, "target", "is required, e.g. -a target=example.com"),
        ({"target": ""}, "target", "is empty"),
        ({"target": " , "}, "target", "is empty"),
        ({"target": "localhost"}, "target", "'localhost' is not a public domain"),
        ({"target": "127.0.0.1"}, "target", "'127.0.0.1' is not a public domain"),
        ({"target": "co.uk"}, "target", "'co.uk' is a public suffix"),
        ({"target": "example.com;rm -rf /"}, "target", "is not a domain, host or URL"),
        ({"target": "example.com,localhost"}, "target", "'localhost' is not a public domain"),
        ({"target": "example.com", "seeds": ""}, "seeds", "is empty: leave it out to start from the shipped"),
        ({"target": "example.com", "seeds": " "}, "seeds", "is empty: leave it out to start from the shipped"),
        ({"target": "example.com", "seeds": " , "}, "seeds", "is empty: leave it out to start from the shipped"),
        ({"target": "example.com", "seeds": "news-and-blogs,"}, "seeds", "'news-and-blogs,' has an empty entry"),
        ({"target": "example.com,"}, "target", "'example.com,' has an empty entry (a variable that was not set?)"),
        ({"target": "example.com", "seeds": "no-such-list"}, "seeds", "'no-such-list' is neither a file nor a"),
        ({"target": "example.com", "seeds": "/no/such/file.txt"}, "seeds", "'/no/such/file.txt' is neither a file nor"),
        ({"target": "example.com", "seeds": "ftp://a.com/"}, "seeds", "is not an absolute http(s) URL"),
        ({"target": "example.com", "seeds": "https://u:p@a.com/"}, "seeds", "carries credentials"),
        ({"target": "example.com", "max_pages": "0"}, "max_pages", "must be at least 1, got 0"),
        ({"target": "example.com", "max_pages": "-5"}, "max_pages", "must be at least 1, got -5"),
        ({"target": "example.com", "max_pages": "ten"}, "max_pages", "'ten' is not a whole number"),
        ({"target": "example.com", "max_pages": ""}, "max_pages", "'' is not a whole number"),
        ({"target": "example.com", "max_pages": "1e3"}, "max_pages", "'1e3' is not a whole number"),
        ({"target": "example.com", "max_pages": "9" * 5000}, "max_pages", "is not a whole number"),
        ({"target": "example.com", "max_depth": "-1"}, "max_depth", "must be at least 0, got -1"),
        ({"target": "example.com", "max_depth": "two"}, "max_depth", "'two' is not a whole number"),
        ({"target": "example.com", "pages_per_domain": "0"}, "pages_per_domain", "must be at least 1, got 0"),
        ({"target": "example.com", "pages_per_domain": "1.5"}, "pages_per_domain", "'1.5' is not a whole number"),
        (
            {"target": "example.com", "max_page": "5"},
            "max_page",
            "is not an argument of the spider; did you mean max_pages?",
        ),
        ({"targte": "example.com"}, "targte", "did you mean target?"),
        ({"target": "example.com", "foo": "bar"}, "foo", "the spider takes target, seeds, max_pages, max_depth"),
        ({"target": "example.com", "keywords": "seo"}, "keywords", "it is a setting: -s BACKLINKS_KEYWORDS=..."),
    ],
)
def test_bad_values_raise_argument_error_naming_the_argument(
    settings: Settings, kwargs: dict[str, Any], name: str, detail: str
) -> None:
    with pytest.raises(ArgumentError, match=r"\S") as raised:
        CrawlArguments.parse(kwargs, settings)
    message = str(raised.value)
    assert message.startswith(f"argument {name}: ")
    assert detail in message
    assert raised.value.name == name
    assert "\n" not in message


def test_argument_error_is_a_value_error() -> None:
    error = ArgumentError("max_depth", "must be at least 0, got -1")
    assert isinstance(error, ValueError)
    assert str(error) == "argument max_depth: must be at least 0, got -1"
    assert error.name == "max_depth"


def test_the_target_is_checked_before_anything_else(settings: Settings) -> None:
    with pytest.raises(ArgumentError, match=r"^argument target: "):
        CrawlArguments.parse({"target": "localhost", "seeds": "no-such-list", "max_pages": "x"}, settings)


def test_a_runner_s_own_arguments_pass(settings: Settings) -> None:
    """scrapyd passes ``_job`` to every spider it starts."""
    arguments = CrawlArguments.parse({"target": "example.com", "_job": "6487ec79"}, settings)
    assert arguments.targets == ["example.com"]


def test_names() -> None:
    assert CrawlArguments.NAMES == ("target", "seeds", "max_pages", "max_depth", "pages_per_domain")
