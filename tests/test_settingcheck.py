"""Settings checked before a crawl, the project's own and the Scrapy settings the README documents:
a value that cannot be used is a one-line error naming the setting, whatever its type, before any
component reads it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from scrapy.settings import Settings

from backlink_spider import settings as project_settings
from backlink_spider.gctuning import gc_threshold
from backlink_spider.settingcheck import (
    ABOVE_ZERO,
    AT_LEAST_ONE,
    KINDS,
    RESOURCE_TYPES,
    SettingError,
    check_settings,
    documented_defaults,
    project_defaults,
    setting_list,
)

NUMBERS = [name for name, default in documented_defaults() if type(default) in (int, float)]
FLOATS = {name for name, default in documented_defaults() if KINDS.get(name, type(default)) is float}
FLAGS = [name for name, default in documented_defaults() if isinstance(default, bool)]


def project(**overrides: object) -> Settings:
    settings = Settings()
    settings.setmodule("backlink_spider.settings")
    settings.setdict(overrides, priority="cmdline")
    return settings


def problem(**overrides: object) -> SettingError:
    with pytest.raises(SettingError) as raised:
        check_settings(project(**overrides))
    assert "\n" not in str(raised.value)
    return raised.value


def test_the_project_s_defaults_pass_and_so_do_values_given_as_text() -> None:
    check_settings(project())
    check_settings(project(BACKLINKS_MAX_PAGES="50", BACKLINKS_FLUSH_INTERVAL="0.5", BACKLINKS_AUTO_MIGRATE="true"))
    check_settings(project(BACKLINKS_RENDER_MODE="never", BACKLINKS_GC_THRESHOLD="20000,20", BACKLINKS_MAX_DEPTH="0"))
    check_settings(project(DOWNLOAD_TIMEOUT="2.5", DNS_TIMEOUT="0.5", ROBOTSTXT_OBEY="false", LOG_LEVEL="DEBUG"))
    assert len(NUMBERS) >= 25 and len(FLAGS) >= 5  # every number and flag of settings.py is checked


def test_the_scrapy_settings_the_readme_documents_are_checked_too() -> None:
    scrapy_settings = {"CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "DOWNLOAD_DELAY", "DOWNLOAD_TIMEOUT"}
    assert scrapy_settings <= set(NUMBERS)
    assert {"ROBOTSTXT_OBEY", "AUTOTHROTTLE_ENABLED", "COOKIES_ENABLED"} <= set(FLAGS)
    assert str(problem(DOWNLOAD_TIMEOUT="abc")) == "setting DOWNLOAD_TIMEOUT: 'abc' is not a number"
    assert str(problem(CONCURRENT_REQUESTS="abc")) == "setting CONCURRENT_REQUESTS: 'abc' is not a whole number"
    assert str(problem(ROBOTSTXT_OBEY="maybe")) == "setting ROBOTSTXT_OBEY: 'maybe' is not True or False (1 or 0)"


@pytest.mark.parametrize("name", ["LOG_LEVEL", "RETRY_GIVE_UP_LOG_LEVEL"])
@pytest.mark.parametrize("level", ["LOUD", "info", ""])
def test_a_log_level_python_does_not_know_is_named_with_the_levels_it_does(name: str, level: str) -> None:
    message = f"setting {name}: must be one of CRITICAL, ERROR, WARNING, INFO, DEBUG, not {level!r}"
    assert str(problem(**{name: level})) == message


@pytest.mark.parametrize("name", NUMBERS)
def test_every_number_that_is_not_one_is_named(name: str) -> None:
    error = problem(**{name: "abc"})
    assert error.name == name
    assert str(error) == f"setting {name}: 'abc' is not a {'whole ' if name not in FLOATS else ''}number"


@pytest.mark.parametrize("name", FLAGS)
def test_every_flag_that_is_not_true_or_false_is_named(name: str) -> None:
    assert str(problem(**{name: "maybe"})) == f"setting {name}: 'maybe' is not True or False (1 or 0)"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"BACKLINKS_MAX_PAGES": "0"}, "setting BACKLINKS_MAX_PAGES: must be at least 1, got '0'"),
        ({"BACKLINKS_PAGES_PER_DOMAIN": -1}, "setting BACKLINKS_PAGES_PER_DOMAIN: must be at least 1, got -1"),
        ({"BACKLINKS_MAX_DEPTH": "-1"}, "setting BACKLINKS_MAX_DEPTH: must be at least 0, got '-1'"),
        ({"BACKLINKS_FLUSH_INTERVAL": "nan"}, "setting BACKLINKS_FLUSH_INTERVAL: must be at least 0, got 'nan'"),
        ({"BACKLINKS_RENDER_MODE": "sometimes"}, "setting BACKLINKS_RENDER_MODE: must be one of auto, always, never"),
        ({"BACKLINKS_RENDER_DRAWING": "none"}, "setting BACKLINKS_RENDER_DRAWING: must be one of full, layout"),
        ({"BACKLINKS_GC_THRESHOLD": "1,2,3,4"}, "setting BACKLINKS_GC_THRESHOLD: takes up to 3 whole numbers"),
    ],
)
def test_values_out_of_range_or_not_among_the_choices(overrides: dict[str, object], message: str) -> None:
    assert str(problem(**overrides)).startswith(message)


def test_zero_is_refused_where_it_would_mean_nothing_and_allowed_elsewhere() -> None:
    for name in AT_LEAST_ONE:
        assert problem(**{name: 0}).name == name
    check_settings(
        project(BACKLINKS_DB_OUTAGE_TIMEOUT=0, BACKLINKS_RENDER_WAITING_SIZE=0, BACKLINKS_VARIANTS_PER_PATH=0)
    )


@pytest.mark.parametrize("value", [0, "0", -2])
def test_concurrency_of_zero_is_refused_not_a_crawl_that_waits_for_ever(value: object) -> None:
    for name in ("CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN"):
        assert str(problem(**{name: value})) == f"setting {name}: must be at least 1, got {value!r}"


@pytest.mark.parametrize("value", [0, "0.0", "-1", "nan"])
def test_timeouts_and_the_throttle_s_target_must_be_above_zero(value: object) -> None:
    for name in ABOVE_ZERO:
        assert str(problem(**{name: value})) == f"setting {name}: must be more than 0, got {value!r}"
    check_settings(project(DOWNLOAD_TIMEOUT="0.5", AUTOTHROTTLE_TARGET_CONCURRENCY="0.5", DOWNLOAD_DELAY=0))


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("BACKLINKS_MAX_PAGE", "did you mean BACKLINKS_MAX_PAGES?"),
        ("BACKLINKS_KEYWORD", "did you mean BACKLINKS_KEYWORDS?"),
        ("BACKLINKS_RENDER_MOD", "did you mean BACKLINKS_RENDER_MODE?"),
        ("BACKLINKS_TARGET", "it is an argument of the spider: -a target=..."),
        ("BACKLINKS_XYZZY", "the README's settings table lists them"),
    ],
)
def test_a_backlinks_setting_the_project_does_not_have_is_refused_with_a_did_you_mean(name: str, hint: str) -> None:
    error = problem(**{name: "5"})
    assert error.name == name
    assert str(error) == f"setting {name}: is not a setting of the project; {hint}"


def test_every_backlinks_name_the_code_tests_and_tools_use_is_a_known_setting() -> None:
    """Settings set by the tests, the benchmark, scrapyd's examples or distributed mode pass the
    check (the tests of misspelled names aside); BACKLINKS_REQUIRE_SERVICES is an environment
    variable of the test suite, no setting."""
    here = Path(__file__).resolve()
    root = here.parent.parent
    files = [
        file
        for folder in ("backlink_spider", "pipelines", "tests", "bench", "fuzz")
        for file in (root / folder).rglob("*.py")
    ]
    files = [file for file in files if file not in (here, here.parent / "test_cli.py")]
    used = {name for file in files for name in re.findall(r"BACKLINKS_[A-Z0-9_]*[A-Z0-9]\b", file.read_text("utf-8"))}
    known = {name for name, _ in project_defaults()}
    assert used - known == {"BACKLINKS_REQUIRE_SERVICES"}


@pytest.mark.parametrize(
    ("value", "items"),
    [
        ("", []),
        ("[]", []),
        (" [ ] ", []),
        ("analytics", ["analytics"]),
        ("analytics, privacy ,", ["analytics", "privacy"]),
        ('["analytics"]', ["analytics"]),
        ('["web analytics", "cookies, banners"]', ["web analytics", "cookies, banners"]),
        ("[5000, 10, 10]", ["5000", "10", "10"]),
        (["a", " b ", ""], ["a", "b"]),
        ((5000, 10), ["5000", "10"]),
    ],
)
def test_a_list_setting_is_comma_separated_text_or_a_json_list(value: object, items: list[str]) -> None:
    assert setting_list(project(BACKLINKS_KEYWORDS=value), "BACKLINKS_KEYWORDS") == items


def test_the_list_settings_readme_shows_work_as_it_says() -> None:
    check_settings(project(BACKLINKS_GC_THRESHOLD="[]", BACKLINKS_KEYWORDS='["analytics"]'))
    check_settings(project(BACKLINKS_GC_THRESHOLD="[5000, 10, 10]", BACKLINKS_RENDER_BLOCKED_RESOURCES="Image,font"))
    assert gc_threshold(project(BACKLINKS_GC_THRESHOLD="[]")) == ()
    assert gc_threshold(project(BACKLINKS_GC_THRESHOLD="[5000, 10, 10]")) == (5000, 10, 10)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"BACKLINKS_KEYWORDS": '["analytics"'}, """'["analytics"' is not a JSON list (or give the items comma-sep"""),
        ({"BACKLINKS_RENDER_BROWSER_ARGS": '[["--x"]]'}, "[['--x']] is not a list of text or numbers"),
        ({"BACKLINKS_GC_THRESHOLD": "[5000, null]"}, "[5000, None] is not a list of text or numbers"),
        ({"BACKLINKS_GC_THRESHOLD": "[1, 2, 3, 4]"}, "takes up to 3 whole numbers, none negative"),
        ({"BACKLINKS_RENDER_BLOCKED_RESOURCES": "image,images"}, "'images' is not one of document, stylesheet, image,"),
    ],
)
def test_a_list_that_does_not_parse_or_holds_an_unknown_choice_is_named(
    overrides: dict[str, object], message: str
) -> None:
    (name,) = overrides
    assert str(problem(**overrides)).startswith(f"setting {name}: {message}")


def test_an_unknown_resource_type_names_the_one_it_likely_misspells() -> None:
    assert str(problem(BACKLINKS_RENDER_BLOCKED_RESOURCES="images")).endswith("other; did you mean image?")
    assert set(project_settings.BACKLINKS_RENDER_BLOCKED_RESOURCES) <= set(RESOURCE_TYPES)
