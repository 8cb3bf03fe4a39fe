"""Studio or live: one pure classifier for the catalog service and the CLI.

It reads words and phrases, never substrings: "Olive", "Delivered", "Concertos", "Great" and "That Girl"
contain letters, not markers; "Live Your Dreams", "Long Live the Queen" and "Live in the Moment" use "live"
as a verb. A marker is a qualifier such as " - Live", "(Live at Wembley)", "[Live]", or a phrase such as
"Live at Leeds", "Live in 1977", "Recorded Live", "Live Version", "MTV Unplugged", "In Concert".

The rules only flag what they can tell for sure (a studio song dropped is the worse error). Live albums
whose titles carry no live word ("Stop Making Sense", "Alive!") are caught by the artist's MusicBrainz live
release titles, and tracks by an audio-features liveness above 0.8, when the caller has them.

Decisions worth knowing:
- "Live Session(s)" is live (a live take); "BBC Sessions", "Peel Session" and "The Sun Sessions" are not
  decided by the rules: "sessions" also names studio outtakes, so MusicBrainz decides those releases.
- "Live at/from/in <X>" needs <X> to look like a place: a year, a venue word or venue kind ("Hall",
  "Stadium", "Prison", "Odeon", "Academy"...), a place of the gazetteer (countries, US states, continents,
  tz database cities and GeoNames cities of 150,000 people or more, names that are ordinary words left
  out: "Live in Paradise" is a song), or, after "at"/"from", a bare name that is not an idiom ("at Peace",
  "from Scratch"). After "at the", one word that is no idiom is a venue's name ("at the Fillmore", "at the
  Roxy 1975", but "at the Edge", "at the Top"); a longer phrase is not ("Live at the Witch Trials", a studio
  album; "Live from the Underground", also studio), so two-word venue names with no venue word ("the
  Village Vanguard") are left to MusicBrainz.
- A title that is just "Live" is a live album, but not a song: The Bangles' "Live" is a studio track.
- An album title "Live <one word>" is live ("Live Rust", "Live Killers", "Live Berlin") unless the word
  makes "live" a verb: an object or time ("Live Forever", "Live Again"), a manner ("Live Slow", "Live
  Loudly") or "Live Wire". Track and single titles are songs ("Live Forever", "Live Wire"): the rule
  skips them.
  An album title ending in "Live" ("Eagles Live", "Double Live") is live unless "live" is a verb there
  ("Long Live", "I Want to Live"); singles are song titles, so that rule skips them.
- album_type "compilation" says nothing about liveness.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from mysetlist_common.catalog_rules.gazetteer import VENUE_WORDS, places
from mysetlist_common.catalog_rules.titles import dedupe_key_title, split_title, words


def _vocab(text: str) -> frozenset[str]:
    return frozenset(text.split())


AlbumType = Literal["album", "single", "compilation"]
ALBUM_TYPES: frozenset[str] = frozenset({"album", "single", "compilation"})
LIVENESS_THRESHOLD = 0.8


class Rule(StrEnum):
    """Machine-readable name of the rule that decided (stored with catalog decisions)."""

    STUDIO = "studio"
    LIVE_QUALIFIER = "live_qualifier"  # "- Live", "(Live)", "[Live at ...]", "- Live / 1977"
    LIVE_PHRASE = "live_phrase"  # "Live Version", "Recorded Live", "Live Session", "Acoustic Live"
    LIVE_AT_PLACE = "live_at_place"  # "Live at Leeds", "Live in Japan", "Live from Austin, TX"
    LIVE_YEAR = "live_year"  # "Live 1975-85", "Live in 1969"
    LIVE_TITLE = "live_title"  # an album called "Live" / "Live!" / "Live: ...", or "Live <one word>"
    LIVE_SUFFIX = "live_suffix"  # an album title ending in "Live": "Eagles Live", "Double Live"
    UNPLUGGED = "unplugged"
    IN_CONCERT = "in_concert"
    CONCERT_AT_PLACE = "concert_at_place"  # "The Concert in Central Park" (not "Concert in D")
    MUSICBRAINZ = "musicbrainz_live_release"
    LIVENESS = "liveness"


@dataclass(frozen=True, slots=True)
class Classification:
    live: bool
    rule: Rule
    reason: str
    scope: Literal["album", "track"] | None = None  # which title decided; None for studio/liveness


_RULE_TEXT = {
    Rule.LIVE_QUALIFIER: "live qualifier",
    Rule.LIVE_PHRASE: "live phrase",
    Rule.LIVE_AT_PLACE: "live at a place",
    Rule.LIVE_YEAR: "live with a year",
    Rule.LIVE_TITLE: "titled live",
    Rule.LIVE_SUFFIX: "album title ending in live",
    Rule.UNPLUGGED: "unplugged",
    Rule.IN_CONCERT: "in concert",
    Rule.CONCERT_AT_PLACE: "concert at a place",
}


@dataclass(frozen=True, slots=True)
class Marker:
    """A live marker found in a title: the rule and the words that matched."""

    rule: Rule
    evidence: str

    def __str__(self) -> str:
        return f"{_RULE_TEXT[self.rule]} {self.evidence!r}"


# Words after which "live" is a verb: "Long Live", "Born to Live", "Let Me Live", "We Live in ...".
_VERB_BEFORE = _vocab(
    """i we you they to long let me us will can cannot cant could would should must might shall gonna
    wanna gotta never still always just really ill wed youll theyll"""
)
# Words after which "live" is a verb or the adjective of "live wire": "Live Your Life", "Live Forever".
_VERB_AFTER = _vocab(
    """your my our his her their its it me you him them us this forever to like without through a
    free fast young long while again twice life up out tonight today now wire"""
)
_OBJECTS = _vocab("me us him her them it you")  # "Let Them Live", "Make It Live"
_VERB_AFTER_AND = frozenset({"let", "learn", "die", "love"})  # "Live and Let Die", "Live and Learn"
_PHRASES_AFTER_LIVE = _vocab(
    """version versions recording recordings session sessions edit performance take acoustic set
    broadcast lounge album bootleg"""
)
_DETERMINERS = _vocab("the a an my your our his her their its this that these those me you him them us it")
# "at"/"from" + a bare word is a place unless it is one of these idioms ("Live at Peace").
_AT_IDIOMS = _vocab(
    """peace ease home large last night war heart sea once all first least best worst random risk will
    length hand times dawn midnight noon sunrise sunset dusk twilight work school play rest bay stake
    odds one full high low speed zero"""
)
_FROM_IDIOMS = _vocab(
    """scratch within nowhere somewhere anywhere everywhere here there now today hand day paycheck memory
    love fear birth above below beyond inside outside afar"""
)
# Qualifiers that name a source, not a version: "(From "Live Free or Die Hard")", "(feat. ...)".
_SOURCE_QUALIFIER_START = frozenset({"from", "feat", "ft", "featuring", "taken", "theme", "prod"})
_KEY_WORDS = frozenset({"flat", "sharp", "major", "minor", "dur", "moll"})
# "at the" + one of these is a phrase, not a venue: "Live at the Edge", "Live at the Top".
_AT_THE_IDIOMS = _vocab(
    """top bottom edge end start beginning moment door doors gate gates crossroads wheel controls helm mercy
    limit limits border borders altar front back races movies party disco beach hop seaside same threshold
    brink peak summit core heart table window wall river lake sea shore ocean fair circus rodeo prom dance
    ball show scene station office zoo wedding funeral bar feet foot center centre margin margins heights
    apocalypse rapture crossfire crossroad dawn wake weekend zenith"""
)
_COMPASS = frozenset({"east", "west", "north", "south"})
# A word after "Live" in an album title that makes "live" a verb: manner ("Live Slow", "Live Loudly").
_MANNER = _vocab(
    """slow loud wild strong right well big hard easy true clean simple happy brave bold love laugh learn
    die on in large small high low deep rich poor proud alone together"""
)
_YEAR = re.compile(r"(?:19|20)\d\d")
_COMMA_REGION = re.compile(r",\s*[A-Z]{2}\b")  # "Austin, TX"


def _starts_with_place(ws: Sequence[str]) -> bool:
    return any(tuple(ws[:n]) in places() for n in range(1, min(4, len(ws)) + 1))


def _is_key(ws: Sequence[str]) -> bool:
    """Whether the words name a musical key ("D", "E Flat Major"), as in Chausson's "Concert in D"."""
    return bool(ws) and len(ws[0]) == 1 and ws[0] in "abcdefg" and (len(ws) == 1 or ws[1] in _KEY_WORDS)


def _named_venue(name: Sequence[str]) -> bool:
    """Whether the words after "at the" are a venue's own name: one word that is no idiom ("the Roxy",
    "the Fillmore East", "the Apollo 1962"), not a phrase ("the Witch Trials", "the Edge of Time")."""
    while name and (_YEAR.fullmatch(name[-1]) or name[-1] in _COMPASS):
        name = name[:-1]  # "Fillmore East", "Roxy 1975"
    return len(name) == 1 and name[0] not in _AT_THE_IDIOMS and not name[0].isdigit()


def _is_place(prep: str, rest: Sequence[str], raw: str) -> bool:
    """Whether the words after "live at/from/in/on" name where a concert was."""
    if not rest or _is_key(rest):
        return False
    if any(_YEAR.fullmatch(w) for w in rest) or any(w in VENUE_WORDS for w in rest):
        return True
    if _COMMA_REGION.search(raw) or _starts_with_place(words(raw.rsplit(",", 1)[-1]) if "," in raw else ()):
        return True  # "Live from Austin, TX", "Live at the O2, London"
    if rest[0] in _DETERMINERS:
        after_comma = len(words(raw.split(",", 1)[1])) if "," in raw else 0
        if rest[0] == "the" and prep == "at" and _named_venue(rest[1 : len(rest) - after_comma]):
            return True  # "Live at the Fillmore", "Live at the Roxy 1975"
        return rest[0] == "the" and _starts_with_place(rest[1:])  # "Live in the UK"
    if prep == "in":
        return _starts_with_place(rest)
    if prep == "at":
        return rest[0] not in _AT_IDIOMS
    if prep == "from":
        return rest[0] not in _FROM_IDIOMS
    return False


def _phrase_marker(ws: Sequence[str], raw: str) -> Marker | None:
    """Markers that are live wherever they appear in a title."""
    for i, w in enumerate(ws):
        prev = ws[i - 1] if i else ""
        nxt = ws[i + 1] if i + 1 < len(ws) else ""
        if w == "unplugged":
            return Marker(Rule.UNPLUGGED, "Unplugged")
        if w == "concert" and prev == "in":
            return Marker(Rule.IN_CONCERT, "In Concert")
        if w == "concert" and nxt in {"at", "from", "in"} and _is_place(nxt, ws[i + 2 :], raw):
            return Marker(Rule.CONCERT_AT_PLACE, " ".join(ws[i:]))
        if w != "live" or prev in _VERB_BEFORE:
            continue
        if prev == "recorded":
            return Marker(Rule.LIVE_PHRASE, "Recorded Live")
        if prev == "acoustic" or nxt in _PHRASES_AFTER_LIVE:
            return Marker(Rule.LIVE_PHRASE, " ".join(ws[max(i - 1, 0) : i + 2]))
        if _YEAR.fullmatch(nxt) or (nxt == "in" and i + 2 < len(ws) and _YEAR.fullmatch(ws[i + 2])):
            return Marker(Rule.LIVE_YEAR, " ".join(ws[i : i + 3]))
        if nxt in {"at", "from", "in", "on"} and _is_place(nxt, ws[i + 2 :], raw):
            return Marker(Rule.LIVE_AT_PLACE, " ".join(ws[i:]))
    return None


def _qualifier_marker(qualifier: str) -> Marker | None:
    """A version qualifier ("- Live", "(Live at Leeds)", "[Live / Remastered]") with "live" as adjective."""
    ws = words(qualifier)
    if not ws or ws[0] in _SOURCE_QUALIFIER_START:
        return None
    if marker := _phrase_marker(ws, qualifier):
        return marker
    for i, w in enumerate(ws):
        if w != "live" or (i and ws[i - 1] in _VERB_BEFORE):
            continue
        nxt = ws[i + 1] if i + 1 < len(ws) else ""
        after_and = ws[i + 2] if i + 2 < len(ws) else ""
        if nxt in _VERB_AFTER or (nxt == "and" and after_and in _VERB_AFTER_AND):
            continue
        return Marker(Rule.LIVE_QUALIFIER, qualifier)
    return None


def _live_and_a_noun(word: str) -> bool:
    """Whether "Live <word>" names a live album: not a verb with its object or manner ("Live Forever",
    "Live Again", "Live Slow", "Live Deliberately"). Only album titles ask: a song "Live Wire" is a song."""
    return word not in _VERB_AFTER and word not in _MANNER and not word.endswith("ly")


def live_marker(title: str, *, album_title: bool = False) -> Marker | None:
    """The live marker in one title, if any. `album_title` allows a bare "Live" title ("Live!")."""
    parts = split_title(title)
    for qualifier in parts.qualifiers:
        if marker := _qualifier_marker(qualifier):
            return marker
    for segment in parts.main.split(":"):
        ws = words(segment)
        if album_title and ws and set(ws) == {"live"}:  # "Live!", "Live! Live! Live!"
            return Marker(Rule.LIVE_TITLE, segment.strip())
        if marker := _phrase_marker(ws, segment):
            return marker
        if album_title and len(ws) == 2 and ws[0] == "live" and _live_and_a_noun(ws[1]):
            return Marker(Rule.LIVE_TITLE, segment.strip())  # "Live Rust", "Live Berlin", but "Live Forever"
        if album_title and len(ws) > 1 and ws[-1] == "live" and ws[-2] not in _VERB_BEFORE | _OBJECTS:
            return Marker(Rule.LIVE_SUFFIX, segment.strip())  # but "Long Live", "I Want to Live"
    return None


def classify(
    album: str,
    album_type: str,
    track: str | None = None,
    live_release_titles: Collection[str] = (),
    liveness: float | None = None,
) -> Classification:
    """Classify a track (or, with track None, the album) as live or studio, with the reason.

    A track is live when its own title carries a live marker, or its album is live (by the rules or by
    matching one of the artist's MusicBrainz live release titles, edition words ignored), or liveness
    is above 0.8. Raises ValueError for an unknown album_type.
    """
    if album_type not in ALBUM_TYPES:
        raise ValueError(f"album_type must be one of {sorted(ALBUM_TYPES)}, not {album_type!r}")
    if track is not None and (marker := live_marker(track)):
        return Classification(True, marker.rule, f"track title {track!r}: {marker}", "track")
    # A single's title is its song's title: "Live" there is a song, not a live album.
    album_marker = live_marker(album, album_title=album_type != "single")
    of_album = "album" if track is None else "on live album"
    if album_marker:
        reason = f"{of_album} {album!r}: {album_marker}"
        return Classification(True, album_marker.rule, reason, "album")
    key = dedupe_key_title(album)
    match = next((t for t in live_release_titles if dedupe_key_title(t) == key), None)
    if match is not None:
        reason = f"{of_album} {album!r}: MusicBrainz live release {match!r}"
        return Classification(True, Rule.MUSICBRAINZ, reason, "album")
    if liveness is not None and liveness > LIVENESS_THRESHOLD:
        return Classification(True, Rule.LIVENESS, f"liveness {liveness:.2f} > {LIVENESS_THRESHOLD}")
    what = "album title" if track is None else "track and album titles"
    return Classification(False, Rule.STUDIO, f"no live marker in the {what}")
