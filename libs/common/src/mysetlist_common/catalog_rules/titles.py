"""Title normalisation for matching and dedupe, on words and phrases (never substrings).

Spotify puts version information in two places: a bracketed group ("Song (2011 Remaster)",
"Song [Live]") and a dashed tail ("Song - Live at Leeds", "Song - 2009 Remastered Version").
`split_title` separates that information (the qualifiers) from the title proper, so the classifier
and the dedupe key look at each part for what it is.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache


def _vocab(text: str) -> frozenset[str]:
    return frozenset(text.split())


_APOSTROPHES = re.compile(r"['’‘`´]")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_BRACKETED = re.compile(r"[(\[]([^()\[\]]*)[)\]]")
# A dashed tail needs spaces around the dash: "Jay-Z" and "Blanc-Sablon" are single words.
_DASH_TAIL = re.compile(r"\s+[-–—]+\s+")
_YEAR = re.compile(r"(?:19|20)\d\d")
_ORDINAL = re.compile(r"\d+(?:st|nd|rd|th)")

# Words that only say which edition of the same recording this is. A qualifier made of nothing but
# these (and years, ordinals) is dropped from the dedupe key: "(2011 Remaster)", "- Remastered 2009",
# "(40th Anniversary Deluxe Edition)", "(Mono)", "- 2022 Mix", "(Radio Edit)", "(Single Version)".
# Radio edits and single versions are stripped on purpose: dedupe also needs the duration within 2 s,
# so an edit that really is shorter stays a separate song, and one that is not is the same recording.
# "(Taylor's Version)" keeps its qualifier: "taylors" is not an edition word, and it is a re-recording.
_EDITION_WORDS = _vocab(
    """remaster remastered remastering remasters digital digitally deluxe super expanded anniversary
    special collectors collector legacy limited edition version reissue bonus track tracks mono stereo
    mix radio edit single album original explicit clean and"""
)
_FEATURING = frozenset({"feat", "ft", "featuring"})
_REMASTER_WORDS = frozenset({"remaster", "remastered", "remastering", "remasters"})
_REMIX_WORDS = frozenset({"remix", "remixed", "rmx", "rework", "reworked", "bootleg"})


@dataclass(frozen=True, slots=True)
class TitleParts:
    """A title split into the title proper and its version qualifiers (raw text, in order)."""

    main: str
    qualifiers: tuple[str, ...]


def normalize_title(s: str) -> str:
    """Matching form: accents stripped (NFKD), casefolded, "&" -> "and", apostrophes dropped
    ("Don't" == "Dont"), every other run of punctuation/whitespace one space."""
    decomposed = unicodedata.normalize("NFKD", s)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    stripped = _APOSTROPHES.sub("", stripped.replace("&", " and "))
    return _NON_WORD.sub(" ", stripped).strip()


def words(s: str) -> list[str]:
    """The normalised words of a title."""
    return normalize_title(s).split()


def split_title(title: str) -> TitleParts:
    """Separate bracketed groups and dashed tails (qualifiers) from the title proper.

    A bracketed group that opens the title is part of it: "(Don't Fear) The Reaper".
    """
    text = title.strip()
    qualifiers: list[str] = []

    def take(match: re.Match[str]) -> str:
        if match.start() == 0:
            return match.group(1) + " "
        qualifiers.append(match.group(1).strip())
        return " "

    text = _BRACKETED.sub(take, text)
    head, *tails = _DASH_TAIL.split(text)
    qualifiers.extend(t.strip() for t in tails)
    return TitleParts(main=" ".join(head.split()), qualifiers=tuple(q for q in qualifiers if q))


def _is_edition_word(word: str) -> bool:
    return word in _EDITION_WORDS or bool(_YEAR.fullmatch(word) or _ORDINAL.fullmatch(word))


def is_edition_qualifier(qualifier: str) -> bool:
    """True when a qualifier only names an edition of the same recording (remaster, deluxe, year...)."""
    ws = words(qualifier)
    return bool(ws) and all(_is_edition_word(w) for w in ws)


@lru_cache(maxsize=16384)
def dedupe_key_title(s: str) -> str:
    """`normalize_title` of the title without edition qualifiers and featured-artist credits.

    "Bohemian Rhapsody - Remastered 2011", "Bohemian Rhapsody (2011 Remaster)" and "Bohemian Rhapsody"
    share a key; "Song - Live" and "Song (Club Remix)" keep their qualifier and so a different key. A title
    that is itself a year ("1999") is never stripped: only qualifiers are.
    """
    parts = split_title(s)
    kept = [
        q
        for q in parts.qualifiers
        if not is_edition_qualifier(q) and (words(q)[:1] or [""])[0] not in _FEATURING
    ]
    return normalize_title(" ".join([parts.main, *kept]))


def is_remaster(name: str) -> bool:
    """True when the title says it is a remaster ("2011 Remaster", "Remastered", "Digitally Remastered")."""
    return any(w in _REMASTER_WORDS for w in words(name))


def is_remix(track: str) -> bool:
    """True for remixes: "(Tiësto Remix)", "- David Guetta Remix", "(Club Mix)", "(Extended Dub Mix)".

    Only qualifiers count, so a song called "Mix Tape" or "Remix to Ignition" is left alone, and edition
    mixes ("(Mono Mix)", "- 2022 Mix", "(Original Mix)") are the same recording, not remixes.
    """
    for qualifier in split_title(track).qualifiers:
        ws = words(qualifier)
        if any(w in _REMIX_WORDS for w in ws):
            return True
        mixes = [i for i, w in enumerate(ws) if w == "mix" and (i + 1 == len(ws) or ws[i + 1] != "tape")]
        if mixes and not is_edition_qualifier(qualifier):
            return True
    return False
