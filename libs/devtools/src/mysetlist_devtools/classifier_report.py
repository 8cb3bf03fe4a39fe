"""Precision and recall of the studio/live classifier on the labelled corpus.

    uv run python -m mysetlist_devtools.classifier_report [--corpus PATH] [--show-misses]

"Live" is the positive class: a false positive is a studio title that would be dropped from the
catalog, a false negative a live recording that would be kept. Three figures are printed:
- rules alone on every row (what the CLI does; live albums with no live word are missed by design),
- rules alone on the rows the rules are meant to decide (no `musicbrainz_live` flag),
- rules plus MusicBrainz: each row gets its artist's live release titles (the flagged albums of that
  artist in the corpus), as the catalog service passes them.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mysetlist_common.catalog_rules.classifier import classify

# A developer tool run from the checkout: the corpus is the classifier tests' data.
REPOSITORY = Path(__file__).resolve().parents[4]
DEFAULT_CORPUS = REPOSITORY / "libs" / "common" / "tests" / "data" / "live_corpus.jsonl"


@dataclass(frozen=True, slots=True)
class CorpusRow:
    artist: str
    album: str
    album_type: str
    track: str | None
    live: bool
    note: str
    musicbrainz_live: bool = False


@dataclass(slots=True)
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    false_positives: list[CorpusRow] = field(default_factory=list)
    false_negatives: list[CorpusRow] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def load_corpus(path: Path = DEFAULT_CORPUS) -> list[CorpusRow]:
    rows = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                try:
                    rows.append(CorpusRow(**json.loads(line)))
                except (TypeError, ValueError) as exc:
                    raise ValueError(f"{path}:{number}: {exc}") from exc
    return rows


def musicbrainz_titles(rows: Iterable[CorpusRow]) -> dict[str, frozenset[str]]:
    """Each artist's live release titles, as MusicBrainz would list them: the flagged albums."""
    titles: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row.musicbrainz_live:
            titles[row.artist].add(row.album)
    return {artist: frozenset(t) for artist, t in titles.items()}


def evaluate(rows: Sequence[CorpusRow], *, use_musicbrainz: bool) -> Scores:
    live_titles = musicbrainz_titles(rows) if use_musicbrainz else {}
    scores = Scores()
    for row in rows:
        got = classify(row.album, row.album_type, row.track, live_titles.get(row.artist, ())).live
        if got and row.live:
            scores.tp += 1
        elif got:
            scores.fp += 1
            scores.false_positives.append(row)
        elif row.live:
            scores.fn += 1
            scores.false_negatives.append(row)
        else:
            scores.tn += 1
    return scores


def _line(label: str, s: Scores) -> str:
    return (
        f"{label:<44} precision {s.precision:6.1%}  recall {s.recall:6.1%}  "
        f"(tp {s.tp}, fp {s.fp}, fn {s.fn}, tn {s.tn})"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--show-misses", action="store_true", help="list every misclassified row")
    args = parser.parse_args(argv)
    rows = load_corpus(args.corpus)
    decidable = [r for r in rows if not r.musicbrainz_live]
    live = sum(r.live for r in rows)
    print(
        f"corpus {args.corpus}: {len(rows)} rows, {live} live, {len(rows) - live} studio, "
        f"{len(rows) - len(decidable)} flagged musicbrainz_live"
    )
    results = {
        "rules alone, all rows": evaluate(rows, use_musicbrainz=False),
        "rules alone, rows without musicbrainz flag": evaluate(decidable, use_musicbrainz=False),
        "rules + MusicBrainz live releases": evaluate(rows, use_musicbrainz=True),
    }
    for label, scores in results.items():
        print(_line(label, scores))
        if args.show_misses:
            for row in scores.false_positives + scores.false_negatives:
                print(f"    {'FP' if row in scores.false_positives else 'FN'} {row}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
