"""`mysetlist classify`: studio or live for JSON lines on stdin, by the title rules alone (no network)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Annotated, Any, Literal

import typer
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mysetlist_common.catalog_rules.classifier import classify


class ClassifyRequest(BaseModel):
    """One input line. Unknown keys are ignored; `track` missing or null classifies the album."""

    model_config = ConfigDict(strict=True, extra="ignore")

    artist: str
    album: Annotated[str, Field(min_length=1)]
    album_type: Literal["album", "single", "compilation"]
    track: Annotated[str, Field(min_length=1)] | None = None


def _error_text(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in err['loc']) or 'input'}: {err['msg']}" for err in exc.errors()
    )


def classify_line(number: int, raw: bytes) -> dict[str, Any]:
    """The output object for one input line: the decision, or an `error` that names what was wrong."""
    try:
        request = ClassifyRequest.model_validate_json(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return {"line": number, "error": f"not UTF-8: {exc.reason} at byte {exc.start}"}
    except ValidationError as exc:
        return {"line": number, "error": _error_text(exc)}
    decision = classify(request.album, request.album_type, request.track)
    return {
        "line": number,
        "artist": request.artist,
        "album": request.album,
        "track": request.track,
        "live": decision.live,
        "rule": decision.rule.value,
        "reason": decision.reason,
    }


def classify_lines(lines: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    """One output object per non-blank input line, in order."""
    for number, raw in enumerate(lines, 1):
        if raw.strip():
            yield classify_line(number, raw)


HELP = (
    "Classify JSON lines from stdin as studio or live recordings, by title rules alone (no network)."
    '\n\nEach input line is an object {"artist": str, "album": str, "album_type": "album" | '
    '"single" | "compilation", "track": str or null}; a null or missing track classifies the album. '
    "Blank lines are skipped."
    "\n\nEach output line, in input order, is an object with line, artist, album, track, live, rule and "
    'reason. An invalid input line gives {"line": N, "error": "..."} instead, and the lines after '
    "it are still classified."
    "\n\nExit status: 0 when every line was valid, 1 when at least one line was invalid."
)


def classify_command() -> None:
    """Read stdin, write one JSON line per input line; exit 1 if any line was invalid."""
    invalid = 0
    for result in classify_lines(typer.get_binary_stream("stdin")):
        invalid += "error" in result
        typer.echo(json.dumps(result, ensure_ascii=False))
    if invalid:
        typer.echo(f"error: {invalid} invalid input line(s)", err=True)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("classify", help=HELP)(classify_command)
