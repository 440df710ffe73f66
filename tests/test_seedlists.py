"""Seed lists: parsing seed files, the shipped lists, and the ``seeds`` argument."""

from __future__ import annotations

from pathlib import Path

import pytest

from backlink_spider.seedlists import check_url, home_pages, load_seeds, parse_seed_text, shipped_lists

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
SHIPPED = sorted(path.stem for path in SEEDS_DIR.glob("*.txt"))

# -- parse_seed_text ---------------------------------------------------------------------


def test_parse_seed_text_skips_comments_and_blank_lines() -> None:
    text = """# Seeds for a marketing crawl
#
https://moz.com/blog

   # an indented comment
  https://ahrefs.com/blog/  \t
\t
https://searchengineland.com/
# https://commented-out.example/
"""
    assert parse_seed_text(text) == [
        "https://moz.com/blog",
        "https://ahrefs.com/blog/",
        "https://searchengineland.com/",
    ]


def test_parse_seed_text_keeps_order_and_duplicates() -> None:
    # Deduplication is load_seeds' job; the parser reports the file as written.
    assert parse_seed_text("https://b.com/\nhttps://a.com/\nhttps://b.com/\n") == [
        "https://b.com/",
        "https://a.com/",
        "https://b.com/",
    ]


@pytest.mark.parametrize("text", ["", "\n\n", "# only\n# comments\n", "   \n\t\n"])
def test_parse_seed_text_empty(text: str) -> None:
    assert parse_seed_text(text) == []


def test_parse_seed_text_windows_line_endings() -> None:
    assert parse_seed_text("https://a.com/\r\n# c\r\nhttps://b.com/\r\n") == ["https://a.com/", "https://b.com/"]


# -- shipped lists -----------------------------------------------------------------------


def test_shipped_lists_are_the_files_in_seeds() -> None:
    lists = shipped_lists()
    assert len(SHIPPED) >= 5
    assert list(lists) == SHIPPED
    assert {"directories", "news-and-blogs", "forums-and-qa"} <= set(lists)
    for name in SHIPPED:
        assert lists[name] == (SEEDS_DIR / f"{name}.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_url_is_valid_and_unique_within_its_list(name: str) -> None:
    urls = parse_seed_text(shipped_lists()[name])
    assert len(urls) >= 10
    for url in urls:
        assert check_url(url) == url
        assert url == url.strip() and " " not in url
    assert len(urls) == len(set(urls)), f"duplicates in {name}"


def test_no_url_is_shipped_in_two_lists() -> None:
    seen: dict[str, str] = {}
    for name, text in shipped_lists().items():
        for url in parse_seed_text(text):
            assert url not in seen, f"{url} is in {seen.get(url)} and {name}"
            seen[url] = name


# -- check_url ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["https://example.com/", "http://example.com", "https://bücher.de/a?b=1", "https://example.com:8443/x"]
)
def test_check_url_accepts(url: str) -> None:
    assert check_url(url) == url


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://example.com/", "not an absolute http(s) URL"),
        ("example.com", "not an absolute http(s) URL"),
        ("/relative/path", "not an absolute http(s) URL"),
        ("https://", "not an absolute http(s) URL"),
        ("javascript:alert(1)", "not an absolute http(s) URL"),
        ("file:///etc/passwd", "not an absolute http(s) URL"),
        ("https://user:secret@example.com/", "carries credentials"),
        ("https://user@example.com/", "carries credentials"),
        ("https://[::1/", "not a valid URL"),
    ],
)
def test_check_url_rejects(url: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=r"\S") as raised:
        check_url(url)
    assert fragment in str(raised.value)


# -- load_seeds --------------------------------------------------------------------------


def _all_shipped() -> list[str]:
    return [url for text in shipped_lists().values() for url in parse_seed_text(text)]


def test_default_is_the_targets_home_pages_then_every_shipped_list() -> None:
    seeds = load_seeds(None, ["example.com", "bücher.de"])
    assert seeds[:2] == ["https://example.com/", "https://bücher.de/"]
    assert seeds[2:] == list(dict.fromkeys(_all_shipped()))
    assert len(seeds) == len(set(seeds))


@pytest.mark.parametrize("value", ["", "   ", ",", " , "])
def test_an_empty_seeds_argument_is_an_error_not_the_default(value: str) -> None:
    with pytest.raises(ValueError, match="is empty"):
        load_seeds(value, ["example.com"])


def test_home_pages() -> None:
    assert home_pages(["example.com", "bbc.co.uk"]) == ["https://example.com/", "https://bbc.co.uk/"]


def test_a_seed_file(tmp_path: Path) -> None:
    path = tmp_path / "my-seeds.txt"
    path.write_text(
        "# competitors' link pages\nhttps://a.com/links\n\nhttps://b.org/resources\nhttps://a.com/links\n",
        encoding="utf-8",
    )
    assert load_seeds(str(path), ["example.com"]) == ["https://a.com/links", "https://b.org/resources"]
    assert load_seeds(f"  {path}  ", ["example.com"]) == ["https://a.com/links", "https://b.org/resources"]


def test_a_seed_file_without_urls_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("# nothing yet\n\n", encoding="utf-8")
    with pytest.raises(ValueError, match="holds no URL"):
        load_seeds(str(path), ["example.com"])
    path.write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="holds no URL"):
        load_seeds(str(path), ["example.com"])


def test_a_seed_file_with_a_bad_url_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("https://a.com/\nftp://files.example.com/\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not an absolute http"):
        load_seeds(str(path), ["example.com"])


def test_comma_separated_urls() -> None:
    assert load_seeds("https://a.com/, https://b.com/x ,https://a.com/", ["example.com"]) == [
        "https://a.com/",
        "https://b.com/x",
    ]
    with pytest.raises(ValueError, match="has an empty entry"):
        load_seeds("http://a.com/ , ,http://b.com", ["example.com"])


def test_a_single_url_is_not_joined_with_the_defaults() -> None:
    assert load_seeds("https://a.com/", ["example.com"]) == ["https://a.com/"]


@pytest.mark.parametrize("value", ["directories", "directories.txt", " directories "])
def test_a_list_name_with_or_without_txt(value: str) -> None:
    assert load_seeds(value, ["example.com"]) == parse_seed_text(shipped_lists()["directories"])


def test_several_list_names_in_order() -> None:
    lists = shipped_lists()
    expected = parse_seed_text(lists["news-and-blogs"]) + parse_seed_text(lists["directories"])
    assert load_seeds("news-and-blogs, directories.txt", ["example.com"]) == list(dict.fromkeys(expected))


def test_unknown_list_name_lists_the_available_names() -> None:
    with pytest.raises(ValueError, match=r"\S") as raised:
        load_seeds("directories,no-such-list", ["example.com"])
    message = str(raised.value)
    assert "'no-such-list' is neither a file nor a seed list" in message
    assert f"(lists: {', '.join(SHIPPED)})" in message


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("ftp://a.com/", "not an absolute http(s) URL"),
        ("https://a.com/,javascript://alert(1)", "not an absolute http(s) URL"),
        ("https://user:pw@a.com/", "carries credentials"),
        ("https://a.com/,https://admin:hunter2@b.com/", "carries credentials"),
        ("https://", "not an absolute http(s) URL"),
    ],
)
def test_bad_urls_are_errors(value: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=r"\S") as raised:
        load_seeds(value, ["example.com"])
    assert fragment in str(raised.value)


def test_a_file_that_is_not_a_seed_list_is_refused_without_showing_its_content(tmp_path: Path) -> None:
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$very-secret-hash:19000:0:99999:7:::\n")
    with pytest.raises(ValueError) as error:
        load_seeds(str(secret), ["example.com"])
    assert "very-secret-hash" not in str(error.value)
    assert str(error.value) == f"seed file {str(secret)!r}: line 1 is not an absolute http(s) URL"


def test_a_bad_url_in_a_seed_file_is_named_by_its_line(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("# directories\nhttp://a.com/\n\n  # more\nhttp://b.com/  # b\n\nftp://x.org/\n")
    with pytest.raises(ValueError) as error:
        load_seeds(str(seeds), ["example.com"])
    assert str(error.value) == f"seed file {str(seeds)!r}: line 7 is not an absolute http(s) URL"


def test_a_comment_after_whitespace_ends_a_line_a_fragment_does_not() -> None:
    text = "http://webdirectory.org/   # dir\nhttps://a.com/page#section\nhttps://b.com/\t# tab\n  https://c.com/ #\n"
    assert parse_seed_text(text) == [
        "http://webdirectory.org/",
        "https://a.com/page#section",
        "https://b.com/",
        "https://c.com/",
    ]


def test_seed_files_urls_and_list_names_combine_in_any_order(tmp_path: Path) -> None:
    path = tmp_path / "seeds3.txt"
    path.write_text("https://a.com/links   # my own\n", encoding="utf-8")
    directories = load_seeds("directories", ["example.com"])
    assert load_seeds(f"{path},directories", ["example.com"]) == ["https://a.com/links", *directories]
    assert load_seeds(f"directories, {path}", ["example.com"]) == [*directories, "https://a.com/links"]
    mixed = load_seeds(f"https://b.org/,{path},https://c.net/", ["example.com"])
    assert mixed == ["https://b.org/", "https://a.com/links", "https://c.net/"]
    assert load_seeds(f"{path},{path}", ["example.com"]) == ["https://a.com/links"]


def test_a_part_that_is_neither_file_url_nor_list_is_named_among_files(tmp_path: Path) -> None:
    path = tmp_path / "seeds.txt"
    path.write_text("https://a.com/\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'no-such-list' is neither a file nor a seed list"):
        load_seeds(f"{path},no-such-list", ["example.com"])
