"""Title normalisation, dedupe keys, remix and remaster detection."""

import pytest

from mysetlist_common.catalog_rules.titles import (
    dedupe_key_title,
    is_edition_qualifier,
    is_remaster,
    is_remix,
    normalize_title,
    split_title,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Beyoncé", "beyonce"),
        ("Live at Sin-é", "live at sin e"),
        ("Mötley Crüe", "motley crue"),
        ("STRASSE", normalize_title("Straße")),
        ("Simon & Garfunkel", "simon and garfunkel"),
        ("Don't Stop Believin'", "dont stop believin"),
        ("Don’t Stop Believin’", "dont stop believin"),
        ("  Hey   Jude\t- Remastered 2015 ", "hey jude remastered 2015"),
        ("Weird Fishes/Arpeggi", "weird fishes arpeggi"),
        ("÷", ""),
    ],
)
def test_normalize_title(raw: str, expected: str) -> None:
    assert normalize_title(raw) == expected


def test_split_title_separates_qualifiers_but_keeps_a_leading_bracket() -> None:
    assert split_title("(Sittin' On) The Dock of the Bay").main == "Sittin' On The Dock of the Bay"
    parts = split_title("Layla - Acoustic; Live at MTV Unplugged (2013 Remaster)")
    assert parts.main == "Layla"
    assert set(parts.qualifiers) == {"Acoustic; Live at MTV Unplugged", "2013 Remaster"}
    # A hyphen inside a word is not a dashed tail.
    assert split_title("Jay-Z: Unplugged").main == "Jay-Z: Unplugged"
    assert split_title("Jay-Z: Unplugged").qualifiers == ()
    assert split_title("Mack the Knife - Live").qualifiers == ("Live",)


@pytest.mark.parametrize(
    "variant",
    [
        "Bohemian Rhapsody",
        "Bohemian Rhapsody - Remastered 2011",
        "Bohemian Rhapsody (2011 Remaster)",
        "Bohemian Rhapsody - 2011 Remastered Version",
        "Bohemian Rhapsody [Remastered]",
        "BOHEMIAN RHAPSODY - Mono Version",
        "Bohemian Rhapsody - Single Version",
        "Bohemian Rhapsody - Radio Edit",
        "Bohemian Rhapsody (40th Anniversary Edition)",
        "Bohemian Rhapsody (Deluxe Edition) [2011 Remaster]",
        "Bohemian Rhapsody - 2022 Mix",
        "Bohemian Rhapsody (1975)",
        "Bohemian Rhapsody (feat. Freddie Mercury)",
    ],
)
def test_dedupe_key_strips_edition_qualifiers(variant: str) -> None:
    assert dedupe_key_title(variant) == "bohemian rhapsody"


@pytest.mark.parametrize(
    "different",
    [
        "Bohemian Rhapsody - Live",
        "Bohemian Rhapsody (Live at Wembley)",
        "Bohemian Rhapsody (Club Remix)",
        "Bohemian Rhapsody (Taylor's Version)",
        "Bohemian Rhapsody - Demo",
        "Bohemian Rhapsody - Instrumental",
        "Bohemian Rhapsody - Acoustic Version",
    ],
)
def test_dedupe_key_keeps_qualifiers_that_name_another_recording(different: str) -> None:
    assert dedupe_key_title(different) != "bohemian rhapsody"


def test_dedupe_key_never_strips_the_title_itself() -> None:
    assert dedupe_key_title("1999") == "1999"
    assert dedupe_key_title("1999 - 2019 Remaster") == "1999"
    assert dedupe_key_title("Summer of '69") == "summer of 69"
    assert dedupe_key_title("Deluxe") == "deluxe"
    assert dedupe_key_title("Live Forever - Remastered") == "live forever"


def test_edition_qualifier() -> None:
    assert is_edition_qualifier("Super Deluxe Edition")
    assert is_edition_qualifier("Remastered 2009")
    assert not is_edition_qualifier("Live / Remastered 2011")
    assert not is_edition_qualifier("Taylor's Version")
    assert not is_edition_qualifier("")


@pytest.mark.parametrize(
    "title",
    [
        "Heaven (David Guetta & MORTEN Remix)",
        "Tough Love (Tiësto Remix)",
        "Ignition - Remix",
        "Lovers in Japan - Osaka Sun Mix",
        "Blue Monday (Extended Dub Mix)",
        "Song - Club Mix",
        "Song [RMX]",
    ],
)
def test_is_remix(title: str) -> None:
    assert is_remix(title)


@pytest.mark.parametrize(
    "title",
    [
        "Mix Tape",
        "Remix to Ignition",
        "Something - 2019 Mix",
        "Taxman (Mono Mix)",
        "Levels - Original Mix",
        "Song (From the Mix Tape)",
        "Bohemian Rhapsody - Remastered 2011",
        "Comfortably Numb - Live",
    ],
)
def test_is_not_remix(title: str) -> None:
    assert not is_remix(title)


def test_is_remaster() -> None:
    assert is_remaster("Come Together - Remastered 2009")
    assert is_remaster("Kashmir - Remaster")
    assert is_remaster("Hotel California (2013 Remaster)")
    assert is_remaster("The Remasters")
    assert not is_remaster("Master of Puppets")
    assert not is_remaster("Masters of War")
    assert not is_remaster("Ringmaster")
    assert not is_remaster("Something - 2019 Mix")
