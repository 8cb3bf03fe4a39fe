"""The whole flow in real headless Chromium against the running stack: type a sample artist's name, pick
the suggestion with the keyboard, land on the artist page at once, watch the progress complete, see the
shows and songs. The finished page is saved to artifacts/e2e/artist-page.png."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.real, pytest.mark.browser]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "artifacts" / "e2e" / "artist-page.png"
IMPORT_TIMEOUT_MS = 180_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail(f"no Chromium at {CHROMIUM}: `apt-get install -y chromium` (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def test_search_pick_import_and_watch_the_artist_page_fill_in(
    live_stack: Any, sample_artists: list[dict[str, Any]], browser: Any
) -> None:
    from playwright.sync_api import expect

    # a sparse artist with shows and a Spotify catalog, so both lists have something to show
    artist = next(a for a in sample_artists if a["profile"] == "sparse" and a["events"] and a["recordings"])
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    script_errors: list[str] = []  # uncaught exceptions in the page's script (images may fail offline)
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    page.goto(live_stack.gateway_url + "/")

    search = page.get_by_role("combobox", name="Find an artist")
    search.click()
    search.press_sequentially(str(artist["name"]), delay=40)  # typed like a person: debounced suggestions
    option = page.get_by_role("option", name=str(artist["name"]), exact=True)
    expect(option).to_be_visible()
    # keyboard: walk down the listbox to the artist, Enter imports it
    names = page.get_by_role("option").all_inner_texts()
    index = [n.strip() for n in names].index(str(artist["name"]))
    for _ in range(index + 1):
        search.press("ArrowDown")
    expect(option).to_have_attribute("aria-selected", "true")
    search.press("Enter")

    page.wait_for_url("**/artists/**")
    expect(page.locator("#progress-title")).to_be_visible()
    # the live progress bar per phase ends completed
    for phase in ("shows", "catalog"):
        expect(page.locator(f'.phase[data-phase="{phase}"]')).to_have_attribute(
            "data-state", "completed", timeout=IMPORT_TIMEOUT_MS
        )
        expect(page.locator(f"#{phase}-bar")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#import-message")).to_have_text("Import completed", timeout=IMPORT_TIMEOUT_MS)

    # the page shows what the database holds, by the read API
    shell_slug = f"tm-{str(artist['tm_attraction_id']).lower()}"  # the kickoff slug, now an alias
    artist_row = _get(f"{live_stack.gateway_url}/api/artists/by-slug/{shell_slug}")
    expect(page.locator("#artist-name")).to_have_text(artist_row["name"])
    assert artist_row["name"] == artist["name"]
    shows = _get(f"{live_stack.gateway_url}/api/artists/{artist_row['id']}/shows?limit=200")
    songs = _get(f"{live_stack.gateway_url}/api/artists/{artist_row['id']}/songs?limit=200")
    assert shows["total"] > 0 and songs["total"] > 0
    expect(page.locator("#shows-list li.show")).to_have_count(min(shows["total"], 50))
    expect(page.locator("#songs-list li.song")).to_have_count(min(songs["total"], 50))
    expect(page.locator("#shows-list li.show").first).to_contain_text(shows["items"][0]["name"])
    expect(page.locator("#songs-list li.song").first).to_contain_text(songs["items"][0]["name"])
    # cancelled and postponed shows are marked as such
    for status, label in (("cancelled", "Cancelled"), ("postponed", "Postponed")):
        count = sum(1 for s in shows["items"][:50] if s["status"] == status)
        expect(page.locator(f"#shows-list li.show.{status} .badge")).to_have_count(count)
        if count:
            expect(page.locator(f"#shows-list li.show.{status} .badge").first).to_have_text(label)
    # the tracks left out: one expandable group per reason, with the API's counts
    decisions_url = f"{live_stack.gateway_url}/api/artists/{artist_row['id']}/catalog/decisions"
    counts = _get(f"{decisions_url}?limit=1")["counts"]
    left_out = counts["byOutcome"]["dropped"] + counts["byOutcome"]["pending"]
    assert left_out > 0  # the sample catalogs carry live versions and duplicates
    section = page.get_by_role("region", name="Not in this catalog")
    expect(section).to_be_visible()
    expect(page.locator("#dropped-total")).to_have_text(f"({left_out})")
    groups = section.locator("details.reason")
    expect(groups).to_have_count(len(counts["byRule"]))
    for rule, count in counts["byRule"].items():
        expect(section.locator(f'details[data-rule="{rule}"] summary')).to_contain_text(f"({count})")
    rule, count = next(iter(counts["byRule"].items()))
    group = section.locator(f'details[data-rule="{rule}"]')
    group.locator("summary").click()  # expands, and loads that reason's tracks
    first = _get(f"{decisions_url}?rule={rule}&limit=50")["items"][0]
    expect(group.locator("li.decision")).to_have_count(min(count, 50))
    expect(group.locator("li.decision").first).to_contain_text(first["reason"])
    # the URL became the artist's canonical slug
    assert page.url.endswith(f"/artists/{artist_row['slug']}")
    expect(page.locator("#import-error")).to_be_hidden()

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 10_000
    assert script_errors == []
    page.close()


def test_unknown_artist_page_says_so(live_stack: Any, browser: Any) -> None:
    from playwright.sync_api import expect

    page = browser.new_page()
    page.goto(f"{live_stack.gateway_url}/artists/no-such-artist-anywhere")
    expect(page.get_by_role("heading", name="Artist not found")).to_be_visible()
    page.close()


def test_a_failed_import_shows_the_reason_and_retry_starts_another(live_stack: Any, browser: Any) -> None:
    from playwright.sync_api import expect

    page = browser.new_page()
    page.goto(live_stack.gateway_url + "/")
    # an attraction Ticketmaster does not know: the shows phase fails, so the import fails
    started = page.evaluate(
        """async () => (await fetch("/api/artists/import", {method: "POST",
             headers: {"Content-Type": "application/json"},
             body: JSON.stringify({tmAttractionId: "K8vZ9170GONE"})})).json()"""
    )
    page.goto(f"{live_stack.gateway_url}/artists/{started['slug']}")
    error = page.get_by_role("alert")
    expect(error).to_be_visible(timeout=IMPORT_TIMEOUT_MS)
    expect(error).to_contain_text("The import failed:")
    expect(error).to_contain_text("K8vZ9170GONE")
    expect(page.locator('.phase[data-phase="shows"]')).to_have_attribute("data-state", "failed")

    with page.expect_request(lambda r: r.url.endswith("/api/artists/import") and r.method == "POST") as retry:
        page.get_by_role("button", name="Retry import").click()
    assert json.loads(retry.value.post_data or "{}") == {"tmAttractionId": "K8vZ9170GONE"}
    expect(error).to_be_hidden()
    expect(error).to_be_visible(timeout=IMPORT_TIMEOUT_MS)  # it fails again, for the same reason
    status = _get(f"{live_stack.gateway_url}/api/artists/{started['artistId']}/status")
    assert status["stage"] == "failed" and status["importId"] != started["importId"]
    page.close()


def test_without_a_live_stream_the_page_polls_the_status(
    live_stack: Any, sample_artists: list[dict[str, Any]], browser: Any
) -> None:
    from playwright.sync_api import expect

    page = browser.new_page()
    page.route("**/stream*", lambda route: route.abort())  # a proxy that breaks SSE
    page.goto(live_stack.gateway_url + "/")
    artist = next(a for a in sample_artists if a["profile"] == "mid" and a["events"] and a["recordings"])
    started = page.evaluate(
        """async (id) => (await fetch("/api/artists/import", {method: "POST",
             headers: {"Content-Type": "application/json"},
             body: JSON.stringify({tmAttractionId: id})})).json()""",
        artist["tm_attraction_id"],
    )
    with page.expect_request("**/status", timeout=60_000):
        page.goto(f"{live_stack.gateway_url}/artists/{started['slug']}")
    expect(page.locator("#import-message")).to_have_text("Import completed", timeout=IMPORT_TIMEOUT_MS)
    expect(page.locator("#shows-list li.show").first).to_be_visible()
    expect(page.locator("#songs-list li.song").first).to_be_visible()
    page.close()


def test_the_api_the_page_and_mysetlist_why_agree_on_a_left_out_track(
    live_stack: Any, sample_artists: list[dict[str, Any]], browser: Any
) -> None:
    from playwright.sync_api import expect

    artist = next(a for a in sample_artists if a["profile"] == "sparse" and a["events"] and a["recordings"])
    env = {**os.environ, "MYSETLIST_URL": live_stack.gateway_url, "COLUMNS": "250"}
    imported = _mysetlist(env, "import", str(artist["tm_attraction_id"]))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    row = _get(f"{live_stack.gateway_url}/api/artists/by-slug/tm-{str(artist['tm_attraction_id']).lower()}")
    decisions_url = f"{live_stack.gateway_url}/api/artists/{row['id']}/catalog/decisions"
    # a duplicate says the most (rule, reason and the kept version); any left-out track otherwise
    dropped = _get(f"{decisions_url}?outcome=dropped&limit=200")["items"]
    track = next((d for d in dropped if d["keptVersion"]), dropped[0])
    same_title = _get(f"{decisions_url}?q={urllib.parse.quote(track['trackName'])}&limit=200")["items"]
    in_catalog = any(d["outcome"] == "kept" and d["trackName"] == track["trackName"] for d in same_title)

    # the page: search the left-out tracks for it
    page = browser.new_page()
    page.goto(f"{live_stack.gateway_url}/artists/{row['slug']}")
    search = page.get_by_role("searchbox", name="Search the tracks left out")
    expect(search).to_be_visible(timeout=IMPORT_TIMEOUT_MS)
    search.fill(track["trackName"])
    shown = page.locator(f'#dropped-results li[data-track-id="{track["spotifyTrackId"]}"]')
    expect(shown).to_contain_text(track["trackName"])
    expect(shown).to_contain_text(track["releaseName"])
    expect(shown.locator(".reason-text")).to_have_text(track["reason"])
    kept = track["keptVersion"]
    if kept:
        expect(shown.locator(".kept-version")).to_have_text(
            f"Kept version: {kept['trackName']} on {kept['releaseName']}"
        )
    page.close()

    # the CLI: the same verdict, rule, reason and kept version
    why = _mysetlist(env, "why", str(artist["name"]), track["trackName"])
    assert why.returncode == 0, why.stdout + why.stderr
    verdict = "is in the catalog of" if in_catalog else "is not in the catalog of"
    assert why.stdout.splitlines()[0] == f"{track['trackName']!r} {verdict} {row['name']}:"
    line = next(
        li
        for li in why.stdout.splitlines()
        if li.strip().startswith(repr(track["trackName"]) + " on " + repr(track["releaseName"]))
    )
    assert f"dropped, rule {track['rule']}: {track['reason']}" in line
    if kept:
        assert line.endswith(f"kept version: {kept['trackName']!r} on {kept['releaseName']!r}")


def _mysetlist(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mysetlist_cli", *args],
        env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
