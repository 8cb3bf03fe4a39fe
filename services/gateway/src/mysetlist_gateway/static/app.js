// MySetlist page: artist search (combobox), import kickoff, live progress over SSE, shows and songs.
"use strict";

const $ = (id) => document.getElementById(id);
const PHASES = ["shows", "catalog"];
const PAGE = 50;
const SSE_ERRORS_BEFORE_POLLING = 3;
const POLL_MS = 2000;

async function api(path, options) {
  const response = await fetch(path, options);
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try {
      const body = await response.json();
      if (typeof body.detail === "string") detail = body.detail;
    } catch (_) { /* not JSON */ }
    const error = new Error(detail);
    error.status = response.status;
    throw error;
  }
  return response.json();
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

// ------------------------------------------------------------------------------------------ search

function setupSearch() {
  const input = $("search-input");
  const list = $("search-results");
  const status = $("search-status");
  let hits = [];
  let active = -1;
  let timer = null;
  let controller = null;

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    active = index;
    [...list.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
    if (index >= 0) {
      input.setAttribute("aria-activedescendant", `search-option-${index}`);
      list.children[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function render() {
    list.replaceChildren(
      ...hits.map((hit, i) =>
        el(
          "li",
          { id: `search-option-${i}`, role: "option", "aria-selected": "false", "data-tm-id": hit.tmAttractionId },
          hit.imageUrl ? el("img", { src: hit.imageUrl, alt: "" }) : el("span", { class: "noimg", "aria-hidden": "true" }),
          el("span", { class: "name" }, hit.name),
          hit.slug ? el("span", { class: "known" }, "imported before") : null,
        ),
      ),
    );
    [...list.children].forEach((li, i) => {
      li.addEventListener("mousedown", (event) => event.preventDefault()); // keep focus in the input
      li.addEventListener("click", () => pick(hits[i]));
    });
    list.hidden = hits.length === 0;
    input.setAttribute("aria-expanded", String(hits.length > 0));
    active = -1;
  }

  async function lookup(text) {
    if (controller) controller.abort();
    controller = new AbortController();
    try {
      const result = await api(`/api/search?q=${encodeURIComponent(text)}`, { signal: controller.signal });
      hits = result.items;
      render();
      status.textContent = hits.length ? `${hits.length} artists found` : `No artist matches “${text}”`;
    } catch (error) {
      if (error.name === "AbortError") return;
      hits = [];
      render();
      status.textContent = `Search failed: ${error.message}`;
    }
  }

  async function pick(hit) {
    close();
    input.value = hit.name;
    status.textContent = `Starting the import of ${hit.name}…`;
    try {
      const started = await api("/api/artists/import", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ tmAttractionId: hit.tmAttractionId }),
      });
      sessionStorage.setItem(`name:${started.artistId}`, hit.name); // shown until the shows phase names it
      window.location.assign(`/artists/${encodeURIComponent(started.slug)}`);
    } catch (error) {
      status.textContent = `Could not start the import: ${error.message}`;
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    const text = input.value.trim();
    if (!text) {
      hits = [];
      render();
      status.textContent = "";
      return;
    }
    timer = setTimeout(() => lookup(text), 200); // debounce: one request per pause in typing
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" && hits.length) {
      event.preventDefault();
      if (list.hidden) render();
      highlight((active + 1) % hits.length);
    } else if (event.key === "ArrowUp" && hits.length) {
      event.preventDefault();
      highlight(active <= 0 ? hits.length - 1 : active - 1);
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (active >= 0) pick(hits[active]);
      else if (hits.length === 1) pick(hits[0]);
    } else if (event.key === "Escape") {
      close();
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 100));
  $("search-form").addEventListener("submit", (event) => event.preventDefault());
}

// ------------------------------------------------------------------------------------------ artist

const view = { phases: {}, artist: null, source: null, pollTimer: null, errors: 0, loaded: {}, shows: null, songs: null };

function formatDuration(ms) {
  if (!ms) return "";
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function formatShowDate(show) {
  if (show.dateTba || !show.localDate) return "Date to be announced";
  const day = new Date(`${show.localDate}T00:00:00`).toLocaleDateString(undefined, {
    weekday: "short", year: "numeric", month: "short", day: "numeric",
  });
  return show.localTime && !show.timeTba ? `${day}, ${show.localTime.slice(0, 5)}` : day;
}

const STATUS_LABEL = { cancelled: "Cancelled", postponed: "Postponed", rescheduled: "Rescheduled", offsale: "Off sale" };

function showItem(show) {
  const venue = show.venue;
  const place = venue ? [venue.name, venue.city, venue.stateCode, venue.countryCode].filter(Boolean).join(", ") : "Venue to be announced";
  const label = STATUS_LABEL[show.status];
  return el(
    "li",
    { class: `show ${show.status}`, "data-status": show.status },
    el("div", { class: "title" }, show.name, label ? el("span", { class: `badge ${show.status}` }, label) : null),
    el("div", { class: "sub" }, `${formatShowDate(show)} · ${place}`),
  );
}

function songItem(song) {
  const bits = [song.albumName, song.releaseDate ? song.releaseDate.slice(0, 4) : null, formatDuration(song.durationMs)];
  return el(
    "li",
    { class: "song" },
    el("div", { class: "title" }, song.name),
    el("div", { class: "sub" }, bits.filter(Boolean).join(" · ")),
  );
}

// A paged list that loads with the read API; `reset` starts over (a phase completed, the sort changed).
function pagedList(kind, render, query) {
  const list = $(`${kind}-list`);
  const more = $(`${kind}-more`);
  const total = $(`${kind}-total`);
  let offset = 0;
  let lastUpcoming = null;

  async function load(reset) {
    if (reset) {
      offset = 0;
      lastUpcoming = null;
    }
    const page = await api(`/api/artists/${view.artist.id}/${kind}?limit=${PAGE}&offset=${offset}${query()}`);
    const items = [];
    for (const item of page.items) {
      if (kind === "shows" && item.upcoming !== lastUpcoming) {
        items.push(el("li", { class: "divider", role: "presentation" }, item.upcoming ? "Upcoming" : "Past"));
        lastUpcoming = item.upcoming;
      }
      items.push(render(item));
    }
    if (reset) list.replaceChildren(...items);
    else list.append(...items);
    if (page.total === 0) list.replaceChildren(el("li", { class: "empty" }, `No ${kind} found.`));
    total.textContent = `(${page.total})`;
    list.setAttribute("aria-busy", "false");
    offset = page.nextOffset ?? offset;
    more.hidden = page.nextOffset === null;
  }
  more.addEventListener("click", () => load(false));
  return { load };
}

// ------------------------------------------------------------------------------------------ not in this catalog

// Plain words for the rules that leave a track out (GET /api/artists/{id}/catalog/decisions names the rule).
const RULE_LABEL = {
  duplicate: "Duplicates of a version in the catalog",
  not_credited: "The artist is not credited",
  malformed: "Spotify's answer could not be read",
  live_qualifier: "Live recordings: marked live in the title",
  live_phrase: "Live recordings: a live phrase in the title",
  live_at_place: "Live recordings: live at a place",
  live_year: "Live recordings: live in a year",
  live_title: "Live recordings: a release titled Live",
  live_suffix: "Live recordings: a release title ending in Live",
  unplugged: "Live recordings: Unplugged",
  in_concert: "Live recordings: In Concert",
  concert_at_place: "Live recordings: a concert at a place",
  musicbrainz_live_release: "Live recordings: a live release on MusicBrainz",
  liveness: "Live recordings: sounds live to Spotify",
};
const ruleLabel = (rule) => RULE_LABEL[rule] || rule.replaceAll("_", " ");

function decisionItem(decision) {
  const kept = decision.keptVersion;
  const release = decision.releaseName || "unknown release";
  return el(
    "li",
    { class: "decision", "data-track-id": decision.spotifyTrackId, "data-rule": decision.rule },
    el("div", { class: "title" }, decision.trackName || "(no name)"),
    el("div", { class: "sub" }, decision.outcome === "pending" ? `${release} · not decided yet` : release),
    el("div", { class: "sub reason-text" }, decision.reason),
    kept
      ? el("div", { class: "sub kept-version" },
          `Kept version: ${kept.trackName || kept.spotifyTrackId} on ${kept.releaseName || "unknown release"}`)
      : null,
  );
}

// A paged list of decisions; `query` adds the filters. Answers that arrive after a newer load are dropped.
function decisionList(list, more, query) {
  let offset = 0;
  let latest = 0;
  async function load(reset) {
    const ticket = ++latest;
    if (reset) offset = 0;
    const base = `/api/artists/${view.artist.id}/catalog/decisions?limit=${PAGE}&offset=${offset}`;
    const page = await api(`${base}&${query()}`);
    if (ticket !== latest) return null;
    const items = page.items.map(decisionItem);
    if (reset) list.replaceChildren(...items);
    else list.append(...items);
    list.setAttribute("aria-busy", "false");
    offset = page.nextOffset ?? offset;
    more.hidden = page.nextOffset === null;
    return page;
  }
  more.addEventListener("click", () => load(false).catch(() => (more.hidden = true)));
  return { load };
}

// One expandable reason: its tracks load the first time it is opened.
function reasonGroup(rule, count) {
  const list = el("ol", { class: "list", "aria-busy": "true" });
  const more = el("button", { type: "button", class: "more", hidden: true }, "More tracks");
  const details = el(
    "details",
    { class: "reason", "data-rule": rule },
    el("summary", {}, ruleLabel(rule), " ", el("span", { class: "count" }, `(${count})`)),
    list,
    more,
  );
  const pages = decisionList(list, more, () => `rule=${encodeURIComponent(rule)}`);
  let loaded = false;
  details.addEventListener("toggle", () => {
    if (!details.open || loaded) return;
    loaded = true;
    pages.load(true).catch((error) => {
      loaded = false;
      list.replaceChildren(el("li", { class: "empty" }, `Could not load these tracks: ${error.message}`));
    });
  });
  return details;
}

async function loadDropped() {
  const first = await api(`/api/artists/${view.artist.id}/catalog/decisions?limit=1`);
  const { byOutcome, byRule } = first.counts;
  const left = byOutcome.dropped + byOutcome.pending;
  $("dropped-total").textContent = `(${left})`;
  const reasons = $("dropped-reasons");
  if (left === 0) reasons.replaceChildren(el("p", { class: "empty" }, "Every track Spotify lists is in the catalog."));
  else reasons.replaceChildren(...Object.entries(byRule).map(([rule, count]) => reasonGroup(rule, count)));
  $("dropped").hidden = false;
}

// The search lists matching left-out tracks in place of the reasons; an empty search shows the reasons again.
function setupDroppedSearch() {
  const input = $("dropped-search");
  const results = $("dropped-results");
  const more = $("dropped-results-more");
  const status = $("dropped-status");
  const pages = decisionList(results, more, () => `outcome=dropped&q=${encodeURIComponent(input.value.trim())}`);
  let timer = null;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const text = input.value.trim();
      results.hidden = !text;
      $("dropped-reasons").hidden = Boolean(text);
      if (!text) {
        more.hidden = true;
        status.textContent = "";
        return;
      }
      try {
        const page = await pages.load(true);
        if (page) status.textContent = `${page.total} left-out ${page.total === 1 ? "track matches" : "tracks match"} “${text}”`;
      } catch (error) {
        status.textContent = `Search failed: ${error.message}`;
      }
    }, 200); // debounce: one request per pause in typing
  });
}

function renderArtist(artist) {
  view.artist = artist;
  // a fresh shell is named by its Ticketmaster id until the shows phase records the real name
  const named = artist.name !== artist.tmAttractionId;
  const name = named ? artist.name : sessionStorage.getItem(`name:${artist.id}`) || artist.name;
  document.title = `${name} · MySetlist`;
  $("artist-name").textContent = name;
  const image = $("artist-image");
  image.classList.toggle("skeleton", !artist.imageUrl);
  image.style.backgroundImage = artist.imageUrl ? `url(${JSON.stringify(artist.imageUrl)})` : "";
  const c = artist.counts;
  $("artist-meta").textContent = `${c.upcomingShows} upcoming shows · ${c.pastShows} past shows · ${c.songs} songs`;
  const canonical = `/artists/${encodeURIComponent(artist.slug)}`;
  if (window.location.pathname !== canonical) history.replaceState(null, "", canonical);
}

async function refreshArtist() {
  renderArtist(await api(`/api/artists/${view.artist.id}`));
}

function countsText(counts) {
  // zero counts (no retries, nothing removed) are noise
  return Object.entries(counts || {})
    .filter(([, value]) => value)
    .map(([key, value]) => `${value} ${key.replaceAll("_", " ")}`)
    .join(", ");
}

const UPSTREAM_NAMES = { spotify: "Spotify", ticketmaster: "Ticketmaster", musicbrainz: "MusicBrainz" };

// "waiting for Spotify's rate limit, resumes at 22:41", in the viewer's own time zone.
function waitingText(upstream, resumeAt) {
  const who = UPSTREAM_NAMES[upstream] || upstream || "an upstream";
  const when = resumeAt ? new Date(resumeAt) : null;
  const at = when && !Number.isNaN(when.getTime())
    ? `, resumes at ${when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}`
    : "";
  return `waiting for ${who}'s rate limit${at}`;
}

function applyPhase(name, phase) {
  view.phases[name] = phase;
  const box = document.querySelector(`.phase[data-phase="${name}"]`);
  const bar = $(`${name}-bar`);
  const count = $(`${name}-count`);
  box.dataset.state = phase.state;
  const percent = phase.state === "completed" ? 100 : Math.round(phase.percent || 0);
  bar.querySelector("span").style.width = `${percent}%`;
  bar.setAttribute("aria-valuenow", String(percent));
  let text;
  if (phase.state === "pending") text = "waiting";
  else if (phase.state === "waiting") text = waitingText(phase.waitingFor, phase.resumeAt);
  else if (phase.state === "failed") text = `failed: ${phase.error || "unknown error"}`;
  else if (phase.state === "completed") text = "done";
  else if (phase.total !== null && phase.total !== undefined) text = `${phase.done} of ${phase.total}`;
  else text = `${phase.done}…`;
  if (phase.state === "completed" && phase.duration !== null && phase.duration !== undefined) {
    text += ` in ${phase.duration.toFixed(1)} s`;
  }
  count.textContent = text;
  const details = $(`${name}-details`);
  const counts = countsText(phase.counts);
  details.hidden = phase.state !== "completed" || !counts;
  details.querySelector("p").textContent = counts;
  bar.setAttribute("aria-valuetext", `${name}: ${text}`);
  if (phase.state === "completed") phaseDone(name);
}

// Lists appear when their phase completes (and once more when the import settles).
function phaseDone(name) {
  if (view.loaded[name]) return;
  view.loaded[name] = true;
  const list = name === "shows" ? view.shows : view.songs;
  list.load(true).catch((error) => ($("import-message").textContent = `Could not load ${name}: ${error.message}`));
  if (name === "catalog") {
    loadDropped().catch((error) => {
      $("dropped-status").textContent = `Could not load the tracks left out: ${error.message}`;
      $("dropped").hidden = false;
    });
  }
  refreshArtist().catch(() => {});
}

function applyStatus(status) {
  for (const name of PHASES) if (status.phases[name]) applyPhase(name, status.phases[name]);
  $("import-message").textContent = `${status.message || status.stage} (${status.progress}%)`;
  if (status.stage === "completed" || status.stage === "failed") settle(status.stage, status.message);
}

function settle(outcome, message) {
  stopWatching();
  $("artist-view").setAttribute("aria-busy", "false");
  if (outcome === "failed") {
    $("import-error-text").textContent = `The import failed: ${message || "no reason given"}`;
    $("import-error").hidden = false;
  } else {
    $("import-message").textContent = "Import completed";
    for (const name of PHASES) phaseDone(name);
  }
}

function stopWatching() {
  if (view.source) view.source.close();
  view.source = null;
  clearInterval(view.pollTimer);
  view.pollTimer = null;
}

// Phase events carry the envelope: {type, payload: {phase, done, total, percent, counts, duration_s, error}}.
function applyEvent(type, envelope) {
  const p = envelope.payload || {};
  if (type === "PhaseStarted") applyPhase(p.phase, { state: "running", done: 0, total: null, percent: 0 });
  else if (type === "PhaseProgress") {
    applyPhase(p.phase, { state: "running", done: p.done, total: p.total, percent: p.percent });
    if (p.message) $("import-message").textContent = `${p.phase}: ${p.message}`;
  } else if (type === "PhaseCompleted") {
    const last = view.phases[p.phase] || {};
    applyPhase(p.phase, { ...last, state: "completed", percent: 100, duration: p.duration_s, counts: p.counts });
  } else if (type === "PhaseWaiting") {
    const last = view.phases[p.phase] || {};
    applyPhase(p.phase, { ...last, state: "waiting", waitingFor: p.waiting_for, resumeAt: p.resume_at });
    $("import-message").textContent = `${p.phase}: ${waitingText(p.waiting_for, p.resume_at)}`;
  } else if (type === "PhaseFailed") {
    applyPhase(p.phase, { state: "failed", error: p.error, percent: 100 });
  } else if (type === "ImportFinished") {
    const failed = Object.entries(p.phases || {}).filter(([, o]) => o.state === "failed");
    const reason = p.message || failed.map(([name, o]) => `${name}: ${o.error}`).join("; ");
    settle(p.outcome, reason);
  }
}

function watch() {
  stopWatching();
  view.errors = 0;
  const source = new EventSource(`/api/artists/${view.artist.id}/stream`);
  view.source = source;
  source.addEventListener("status", (event) => {
    view.errors = 0;
    applyStatus(JSON.parse(event.data));
  });
  const types = ["PhaseStarted", "PhaseProgress", "PhaseWaiting", "PhaseCompleted", "PhaseFailed", "ImportFinished"];
  for (const type of types) {
    source.addEventListener(type, (event) => {
      view.errors = 0;
      applyEvent(type, JSON.parse(event.data));
    });
  }
  // EventSource reconnects by itself, sending Last-Event-ID; after repeated failures poll /status instead.
  source.onerror = () => {
    view.errors += 1;
    if (source.readyState === EventSource.CLOSED || view.errors >= SSE_ERRORS_BEFORE_POLLING) poll();
  };
}

function poll() {
  stopWatching();
  $("import-message").textContent = "Live updates unavailable; checking every few seconds…";
  const tick = async () => {
    try {
      applyStatus(await api(`/api/artists/${view.artist.id}/status`));
    } catch (error) {
      $("import-message").textContent = `Status unavailable: ${error.message}`;
    }
  };
  view.pollTimer = setInterval(tick, POLL_MS);
  tick();
}

async function startImport() {
  $("import-error").hidden = true;
  $("import-message").textContent = "Starting the import…";
  view.loaded = {};
  try {
    await api("/api/artists/import", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ tmAttractionId: view.artist.tmAttractionId }),
    });
  } catch (error) {
    $("import-error-text").textContent = `Could not start the import: ${error.message}`;
    $("import-error").hidden = false;
    return;
  }
  for (const name of PHASES) applyPhase(name, { state: "pending", done: 0, total: null, percent: 0 });
  watch();
}

async function showArtist(slug) {
  $("home-view").hidden = true;
  $("artist-view").hidden = false;
  view.shows = pagedList("shows", showItem, () => "");
  view.songs = pagedList("songs", songItem, () => `&sort=${$("songs-sort").value}`);
  $("songs-sort").addEventListener("change", () => view.loaded.catalog && view.songs.load(true));
  $("retry-button").addEventListener("click", startImport);
  setupDroppedSearch();
  let artist;
  try {
    artist = await api(`/api/artists/by-slug/${encodeURIComponent(slug)}`); // follows 308 from old slugs
  } catch (error) {
    $("artist-view").hidden = true;
    $("not-found-view").hidden = false;
    if (error.status !== 404) $("not-found-view").querySelector("p").textContent = error.message;
    return;
  }
  renderArtist(artist);
  $("artist-name").focus();
  if (artist.lastImport === null) {
    $("import-message").textContent = "Not imported yet";
    $("import-error-text").textContent = "This artist has not been imported yet.";
    $("retry-button").textContent = "Import now";
    $("import-error").hidden = false;
    return;
  }
  watch();
}

setupSearch();
const match = window.location.pathname.match(/^\/artists\/([^/]+)\/?$/);
if (match) showArtist(decodeURIComponent(match[1]));
