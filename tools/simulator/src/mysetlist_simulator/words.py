"""Synthetic but realistic names: artists, songs, albums, tours and venues, drawn from a seeded RNG."""

from __future__ import annotations

import random
import re
import unicodedata


def words_of(text: str) -> tuple[str, ...]:
    return tuple(text.split())


ADJECTIVES = words_of(
    "Silver Broken Golden Quiet Electric Velvet Hollow Crimson Wild Paper Neon Gentle Restless "
    "Midnight Faded Burning Frozen Distant Lonely Bright Hidden Sacred Careless Endless Savage "
    "Tender Northern Southern Empty Secret Little Heavy Sweet Bitter Modern Ancient Lucky Stolen "
    "Sleepless Honest"
)
NOUNS = words_of(
    "Heart River Fire Summer Shadow Highway Ocean Mirror Garden Thunder Window Engine Harbor Lantern "
    "Desert Radio Satellite Kingdom Stranger Season Canyon Signal Circus Horizon Letter Machine "
    "Island Parade Promise Echo Weather Skyline Avenue Orchard Wolf Compass Ghost Diamond Railroad "
    "Chapel"
)
PLURALS = words_of(
    "Dreams Lights Roses Streets Stars Waves Bones Wires Horses Rivers Mountains Secrets Tigers "
    "Flowers Mirrors Engines Lovers Sparrows Cities Years"
)
VERBS = words_of("Hold Follow Chase Break Save Carry Call Find Keep Light Leave Wake")
TIMES = words_of("Midnight Dawn Sunrise Noon Dusk Twilight Daybreak Nightfall")
COLORS = words_of("Blue Amber Scarlet Green Violet Grey Indigo Ivory")
FIRST_NAMES = words_of(
    "Maya Leo Nina Oscar Ruby Felix Iris Hugo June Theo Ada Jonah Clara Miles Vera Otis Elena Silas "
    "Hazel Arlo"
)
LAST_NAMES = words_of(
    "Hart Vance Moreau Lindqvist Carter Okafor Reyes Novak Sato Whitlock Adler Brennan Castell "
    "Dunmore Ellison Farrow"
)
NON_ASCII_FIRST = words_of("Zoë Ólafur Søren José Chloé Łukasz Björn Inés Mónica Jürgen")
NON_ASCII_LAST = words_of("Þórsdóttir Müller Nøkleby Gonçalves Dvořák Ångström Peña Öztürk")
REMIXERS = ("Nightdrive", "Kollektiv Nord", "DJ Paloma", "Arctic Lines", "Sunset Bureau", "Møller", "Vektor")

# Studio titles that merely contain "live", "alive", "at" or "concert(o)" as words or letters: a correct
# import keeps them (see shared/docs/lessons.md). They are templates, filled from the word lists.
TRAP_TEMPLATES = (
    "Live Your {plural}",
    "Long Live the {noun}",
    "Alive",
    "{adj} and Alive",
    "Meet Me at {time}",
    "Concerto in {color}",
    "Olive {noun}",
    "Delivered",
    "Great {plural}",
    "That {noun}",
    "Flat {noun}",
    "Home at {time}",
)
SONG_TEMPLATES = (
    "{noun}",
    "{adj} {noun}",
    "{adj} {plural}",
    "The {noun}",
    "{verb} the {noun}",
    "{verb} Me {adv}",
    "{noun} of {plural}",
    "{plural} in the {noun}",
    "{adj} {noun} Blues",
    "When the {noun} Falls",
    "{verb} On",
    "My {adj} {noun}",
    "{noun} Song",
    "Under the {adj} {noun}",
)
ADVERBS = words_of("Home Closer Tonight Again Slowly Down Away Forever")
ALBUM_TEMPLATES = (
    "{adj} {plural}",
    "The {adj} {noun}",
    "{noun} and {noun2}",
    "{plural}",
    "The {noun} of {plural}",
    "{noun} Season",
    "Songs from the {noun}",
)
LIVE_TITLE_WITH_WORD = ("Live at {venue}", "Live in {city} {year}", "{album} (Live)", "Live from the {noun}")
# Live albums whose title says nothing about being live: only MusicBrainz metadata reveals them.
LIVE_TITLE_WITHOUT_WORD = (
    "{adj} Night in {city}",
    "One More from the {noun}",
    "{city} {year}",
    "Nights at the {venue}",
    "{adj} August Night",
    "Stop Making {plural}",
    "The {city} Tapes",
)
TOUR_TEMPLATES = (
    "The {adj} {noun} Tour",
    "{plural} World Tour",
    "{noun} Tour {year}",
    "An Evening with {artist}",
)
VENUE_TEMPLATES = ("The {adj} {noun}", "{noun} Hall", "{noun} Ballroom", "{city} Arena", "The {noun} Room")


def fill(rng: random.Random, template: str, **extra: str) -> str:
    values = {
        "adj": rng.choice(ADJECTIVES),
        "noun": rng.choice(NOUNS),
        "noun2": rng.choice(NOUNS),
        "plural": rng.choice(PLURALS),
        "verb": rng.choice(VERBS),
        "time": rng.choice(TIMES),
        "color": rng.choice(COLORS),
        "adv": rng.choice(ADVERBS),
    }
    values.update(extra)
    return template.format(**values)


def normalise(title: str) -> str:
    """The dedupe key the simulator guarantees for distinct recordings of one artist (see README)."""
    base = title.split(" - ", 1)[0]
    base = re.sub(r"[\(\[].*?[\)\]]", " ", base)
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode().lower()
    return " ".join(re.findall(r"[a-z0-9]+", base))


class UniqueTitles:
    """Draws song titles whose normalised form is unique within one artist's catalog."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seen: set[str] = set()
        self.traps = list(TRAP_TEMPLATES)

    def song(self, trap: bool = False) -> str:
        for attempt in range(200):
            template = self.traps.pop(0) if trap and self.traps else self.rng.choice(SONG_TEMPLATES)
            title = fill(self.rng, template)
            if attempt > 50:
                title = f"{title} No. {attempt}"
            key = normalise(title)
            if key not in self.seen:
                self.seen.add(key)
                return title
        raise RuntimeError("title space exhausted")


def artist_name(rng: random.Random, non_ascii: bool = False) -> str:
    if non_ascii:
        return f"{rng.choice(NON_ASCII_FIRST)} {rng.choice(NON_ASCII_LAST)}"
    if rng.random() < 0.5:
        return f"The {rng.choice(ADJECTIVES)} {rng.choice(PLURALS)}"
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
