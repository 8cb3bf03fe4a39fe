"""The pure catalog rules: release selection, credit and live screening, dedupe and the kept version."""

import random

from mysetlist_catalog_ingest.catalog import (
    Candidate,
    Verdict,
    dedupe,
    isrc_needed,
    live_release,
    plan_catalog,
    select_releases,
    with_known_isrcs,
    with_malformed,
)
from mysetlist_common.upstream.spotify.models import Malformed, SpotifyAlbum, SpotifyMode, SpotifyTrack

ARTIST = "artist1"


def album(
    id: str, name: str = "", type: str = "album", group: str | None = "album", date: str = "2020-01-01"
) -> SpotifyAlbum:
    return SpotifyAlbum(id, name or f"Album {id}", type, group, date, 10, (ARTIST,))


def track(
    id: str,
    name: str,
    alb: SpotifyAlbum,
    ms: int = 200_000,
    isrc: str | None = None,
    pop: int | None = None,
    artists: tuple[str, ...] = (ARTIST,),
) -> Candidate:
    return Candidate(SpotifyTrack(id, name, alb.id, ms, artists, isrc=isrc, popularity=pop), alb)


def kept_ids(candidates: list[Candidate], mode: SpotifyMode = SpotifyMode.DEVELOPMENT) -> set[str]:
    kept, _ = dedupe(candidates, mode)
    return {c.id for c in kept}


def test_select_releases_drops_compilations_and_appears_on_and_repeats() -> None:
    releases = [
        album("a"),
        album("b", type="single", group="single"),
        album("c", type="compilation", group="album"),
        album("d", group="appears_on"),
        album("e", group="compilation"),
        album("a"),
        album("f", group=None),  # Development mode: no album_group at all
    ]
    assert [a.id for a in select_releases(releases)] == ["a", "b", "f"]


def test_same_isrc_is_one_recording_even_with_other_titles_and_durations() -> None:
    lp = album("lp", date="2019-05-01")
    remaster = album("rm", name="Album (2021 Remaster)", date="2021-05-01")
    tracks = [
        track("t1", "Song", lp, 200_000, "ISRC1"),
        track("t2", "Song - Remastered", remaster, 190_000, "ISRC1"),
    ]
    assert kept_ids(tracks) == {"t1"}


def test_same_title_and_duration_within_two_seconds_is_one_recording() -> None:
    lp, single = album("lp", date="2020-01-01"), album("sg", type="single", group="single", date="2019-06-01")
    tracks = [track("t1", "Song", lp, 200_000, "A"), track("t2", "Song", single, 201_900, "B")]
    assert kept_ids(tracks) == {"t1"}  # album over single, although the single came first


def test_same_title_far_apart_in_duration_with_other_isrcs_are_two_recordings() -> None:
    lp = album("lp")
    tracks = [track("t1", "Intro", lp, 60_000, "A"), track("t2", "Intro", album("lp2"), 95_000, "B")]
    assert kept_ids(tracks) == {"t1", "t2"}


def test_remix_is_its_own_recording_and_kept() -> None:
    lp = album("lp")
    tracks = [track("t1", "Song", lp), track("t2", "Song (Night Remix)", album("sg", type="single"))]
    plan = plan_catalog(ARTIST, tracks, SpotifyMode.DEVELOPMENT)
    assert {c.id for c in plan.kept} == {"t1", "t2"}
    assert "remix" in next(d.reason for d in plan.decisions if d.track_id == "t2")


def test_development_preference_album_then_earliest_then_non_remaster() -> None:
    early = album("x", date="2001-01-01")
    late = album("y", date="2005-01-01")
    single = album("s", type="single", group="single", date="1999-01-01")
    tracks = [
        track("t1", "Song", late),
        track("t2", "Song", early),
        track("t3", "Song", single),
        track("t4", "Song - 2011 Remaster", album("z", date="2001-01-01")),
    ]
    assert kept_ids(tracks) == {"t2"}


def test_extended_preference_is_highest_popularity() -> None:
    tracks = [
        track("t1", "Song", album("a"), pop=10),
        track("t2", "Song", album("s", type="single", group="single"), pop=70),
    ]
    assert kept_ids(tracks, SpotifyMode.EXTENDED) == {"t2"}


def test_the_kept_version_does_not_depend_on_input_order() -> None:
    albums = [album(f"a{i}", date=f"20{10 + i % 3}-01-01") for i in range(6)]
    tracks = [track(f"t{i}", "Song", albums[i % 6], 200_000 + 300 * i) for i in range(12)]
    first = kept_ids(tracks)
    for seed in range(5):
        random.Random(seed).shuffle(tracks)
        assert kept_ids(tracks) == first


def test_not_credited_and_live_tracks_get_decisions_and_never_kept() -> None:
    lp = album("lp")
    live = album("lv", name="Live at Wembley Stadium")
    tracks = [
        track("t1", "Song", lp),
        track("t2", "Guest Song", lp, artists=("someone-else",)),
        track("t3", "Song", live, 260_000),
        track("t4", "Olive", lp, 180_000),
    ]
    plan = plan_catalog(ARTIST, tracks, SpotifyMode.DEVELOPMENT)
    verdicts = {d.track_id: d.verdict for d in plan.decisions}
    assert verdicts == {
        "t1": Verdict.KEPT,
        "t2": Verdict.NOT_CREDITED,
        "t3": Verdict.LIVE,
        "t4": Verdict.KEPT,
    }
    assert {c.id for c in plan.kept} == {"t1", "t4"}


def test_musicbrainz_live_titles_and_liveness_drop_tracks() -> None:
    quiet = album("q", name="Hot August Night")
    other = album("o", name="Studio Record")
    tracks = [track("t1", "Song", quiet), track("t2", "Other", other), track("t3", "Third", other)]
    plan = plan_catalog(
        ARTIST, tracks, SpotifyMode.EXTENDED, live_release_titles=["Hot August Night"], liveness={"t3": 0.95}
    )
    assert {c.id for c in plan.kept} == {"t2"}


def test_every_duplicate_names_the_kept_track() -> None:
    lp, dlx = album("lp", date="2010-01-01"), album("dx", name="Album (Deluxe Edition)", date="2012-01-01")
    tracks = [track("t1", "Song", lp, isrc="I1"), track("t2", "Song", dlx, isrc="I1"), track("t3", "B", dlx)]
    plan = plan_catalog(ARTIST, tracks, SpotifyMode.DEVELOPMENT)
    dup = next(d for d in plan.decisions if d.track_id == "t2")
    assert (dup.verdict, dup.duplicate_of) == (Verdict.DUPLICATE, "t1")
    assert len(plan.decisions) == 3


def test_isrc_is_needed_only_where_it_can_change_the_dedupe() -> None:
    lp, single = album("lp"), album("sg", type="single", group="single")
    tracks = [
        track("t1", "Unique", lp),
        track("t2", "Same", lp, 200_000),
        track("t3", "Same", single, 200_500),  # same title and duration: one recording whatever the ISRC
        track("t4", "Split", lp, 200_000),
        track("t5", "Split (2015 Remaster)", single, 230_000),  # same key title, durations apart
        track("t6", "Split", album("x"), 260_000, isrc="KNOWN"),
    ]
    assert isrc_needed(tracks) == ["t4", "t5"]


def test_known_isrcs_fill_only_missing_ones() -> None:
    lp = album("lp")
    tracks = [track("t1", "A", lp), track("t2", "B", lp, isrc="X")]
    filled = with_known_isrcs(tracks, {"t1": "C", "t2": "Y", "t3": "Z"})
    assert [c.track.isrc for c in filled] == ["C", "X"]


def test_a_release_is_live_as_a_whole_by_its_title_or_musicbrainz() -> None:
    assert live_release(album("a", name="Hot August Night"), ["Hot August Night"])
    assert not live_release(album("b", name="Hot August Night"), [])
    assert not live_release(album("c", name="Long Live the Kings"), ["Hot August Night"])


def test_malformed_tracks_with_an_id_get_one_decision_each_and_nothing_else_changes() -> None:
    a = album("a", "First")
    plan = plan_catalog(ARTIST, [track("t1", "Song", a)], SpotifyMode.DEVELOPMENT)
    malformed = [
        Malformed("track", "t2", "Broken", "a", "track without 'duration_ms'"),
        Malformed("track", "t2", "Broken", "a", "track without 'duration_ms'"),  # seen twice
        Malformed("track", None, None, "a", "track is not an object"),  # no id: counted only
        Malformed("full_track", "t1", "Song", None, "bad"),  # its ISRC lookup failed: t1 stays kept
        Malformed("album", "b", "Other", None, "album without 'name'"),  # no track row for an album
    ]
    out = with_malformed(plan, malformed, [a])
    assert out.kept == plan.kept
    assert [(d.track_id, d.verdict, d.album_name) for d in out.decisions] == [
        ("t1", Verdict.KEPT, "First"),
        ("t2", Verdict.MALFORMED, "First"),
    ]
    assert "duration_ms" in out.decisions[1].reason
