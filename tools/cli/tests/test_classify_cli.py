"""`mysetlist classify`: JSON lines in, one decision per line out, errors reported and survived."""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mysetlist_cli.main import app
from mysetlist_devtools.classifier_report import DEFAULT_CORPUS, load_corpus

REPO_ROOT = Path(__file__).resolve().parents[3]
runner = CliRunner()


def _line(**fields: Any) -> str:
    return json.dumps(fields)


def _run(stdin: str | bytes) -> tuple[int, list[dict[str, Any]], str]:
    result = runner.invoke(app, ["classify"], input=stdin)
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines()], result.stderr


def test_classifies_tracks_and_albums_in_order() -> None:
    stdin = "\n".join(
        [
            _line(artist="Pink Floyd", album="The Wall", album_type="album", track="Comfortably Numb - Live"),
            _line(artist="Pink Floyd", album="The Wall", album_type="album", track="Comfortably Numb"),
            _line(artist="The Who", album="Live at Leeds", album_type="album", track=None),
            _line(artist="Hole", album="Live Through This", album_type="album", track="Doll Parts"),
            _line(artist="The Who", album="Live at Leeds", album_type="album", track="Young Man Blues"),
        ]
    )
    code, out, _ = _run(stdin + "\n")
    assert code == 0
    assert [o["live"] for o in out] == [True, False, True, False, True]
    assert [o["line"] for o in out] == [1, 2, 3, 4, 5]
    assert out[0]["rule"] == "live_qualifier" and "Comfortably Numb - Live" in out[0]["reason"]
    assert out[1]["rule"] == "studio" and out[1]["reason"]
    assert out[2]["track"] is None and "Live at Leeds" in out[2]["reason"]


def test_whole_corpus_through_the_cli_matches_the_labels_the_rules_can_know() -> None:
    rows = load_corpus(DEFAULT_CORPUS)
    stdin = "".join(
        _line(artist=r.artist, album=r.album, album_type=r.album_type, track=r.track) + "\n" for r in rows
    )
    code, out, _ = _run(stdin.encode("utf-8"))
    assert code == 0 and len(out) == len(rows)
    for row, got in zip(rows, out, strict=True):
        assert (got["album"], got["track"]) == (row.album, row.track)
        if row.live:
            assert got["live"] or row.musicbrainz_live, row
        else:
            assert not got["live"], row


def test_invalid_lines_get_an_error_and_do_not_stop_the_rest() -> None:
    good = _line(artist="Talking Heads", album="Stop Making Sense", album_type="album", track=None)
    lines = [
        b"{not json",
        b"[1, 2]",
        _line(artist="Queen", album_type="album", track=None).encode(),
        _line(artist="Queen", album="Jazz", album_type="ep", track=None).encode(),
        _line(artist="Queen", album="Jazz", album_type="album", track=5).encode(),
        b'{"artist": "Queen", "album": "\xff\xfe", "album_type": "album"}',
        good.encode(),
    ]
    code, out, err = _run(b"\n".join(lines) + b"\n")
    assert code == 1
    assert "6 invalid" in err
    assert [o["line"] for o in out] == [1, 2, 3, 4, 5, 6, 7]
    errors = [o.get("error", "") for o in out]
    assert "JSON" in errors[0]
    assert errors[1]
    assert "album" in errors[2]
    assert "album_type" in errors[3]
    assert "track" in errors[4]
    assert "UTF-8" in errors[5]
    assert "error" not in out[6] and out[6]["live"] is False  # no live word: MusicBrainz decides


def test_blank_lines_are_skipped_and_a_missing_track_means_the_album() -> None:
    stdin = "\n\n" + _line(artist="Nirvana", album="MTV Unplugged in New York", album_type="album") + "\n\n"
    code, out, _ = _run(stdin)
    assert code == 0
    assert out == [
        {
            "line": 3,
            "artist": "Nirvana",
            "album": "MTV Unplugged in New York",
            "track": None,
            "live": True,
            "rule": "unplugged",
            "reason": out[0]["reason"],
        }
    ]


def test_empty_input_writes_nothing_and_succeeds() -> None:
    assert _run("") == (0, [], "")


def test_help_explains_input_output_and_exit_status() -> None:
    result = runner.invoke(app, ["classify", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "album_type" in text and "no network" in text
    assert "Exit status" in text and "1 when at least one line was invalid" in text


@pytest.mark.skipif(shutil.which("uv") is None, reason="needs uv on PATH")
def test_real_process_uv_run_mysetlist_classify() -> None:
    stdin = "\n".join(
        [
            _line(
                artist="Eagles",
                album="Hell Freezes Over",
                album_type="album",
                track="Hotel California - Live on MTV, 1994",
            ),
            "oops",
            _line(artist="Oasis", album="Definitely Maybe", album_type="album", track="Live Forever"),
        ]
    )
    done = subprocess.run(
        ["uv", "run", "mysetlist", "classify"],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=180,
        check=False,
    )
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 1, done.stderr
    assert [o.get("live") for o in out] == [True, None, False]
    assert "error" in out[1]
