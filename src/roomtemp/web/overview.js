// The overview: problem rooms first, a tile per room from one request (the rooms list with each
// room's `current`), state counts that filter, and the active alerts. Filters live in the URL.

import { allRooms, getJson } from "./api.js";
import { h, svg } from "./dom.js";
import * as fmt from "./format.js";
import { heatmap } from "./heatmap.js";
import { hourlyMeans, sparklines } from "./sparkline.js";

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
const STATES = [
  ["too_hot", "too hot"],
  ["too_cold", "too cold"],
  ["stale", "stale"],
  ["ok", "ok"],
  ["no_data", "without readings"],
];
const RANK = Object.fromEntries(STATES.map(([state], i) => [state, i]));
const PROBLEMS = new Set(["too_hot", "too_cold", "stale"]);
const KIND_TEXT = { too_hot: "too hot", too_cold: "too cold", silent: "silent" };

export const MOST_ROOMS = 8; // in the compare view: one colour each
const FIRST_PAGE = 100; // a small first page on the first load: the first tiles come sooner

function since(instant) {
  return `${fmt.clock(instant)} (${fmt.elapsed((Date.now() - Date.parse(instant)) / 1000)})`;
}

function statusText(room, outdated) {
  const current = room.current;
  const lead = outdated ? "Not current: the last refresh failed · " : "";
  if (current.state === "no_data") return `${lead}No readings yet`;
  if (current.state === "stale")
    return `${lead}Stale: last reading ${fmt.age((Date.now() - Date.parse(current.timestamp)) / 1000)}`;
  if (current.state === "ok") return lead + fmt.bandText(room.comfort, room.unit);
  return `${lead}${KIND_TEXT[current.state]} since ${since(current.state_since)}`;
}

function newTile(roomId) {
  const parts = {
    name: h("span", { class: "tile-name" }),
    where: h("span", { class: "tile-where" }),
    label: h("span", { class: "tile-label" }),
    number: h("span", { class: "num" }),
    unit: h("span", { class: "unit" }),
    status: h("span", { class: "tile-status" }),
    age: h("span", { class: "tile-age" }),
    spark: svg("svg", {
      class: "spark",
      "data-sparkline": "",
      viewBox: "0 0 100 24",
      preserveAspectRatio: "none",
      "aria-hidden": "true",
    }),
  };
  const value = h("span", { class: "tile-value" }, parts.label, parts.number, parts.unit);
  const head = h("span", { class: "tile-head" }, parts.name, parts.where);
  const foot = h("span", { class: "tile-foot" }, parts.age);
  const node = h(
    "a",
    { class: "tile", href: `#/room/${encodeURIComponent(roomId)}`, "data-room-id": roomId },
    head,
    value,
    parts.status,
    parts.spark,
    foot,
  );
  return { node, parts };
}

function fillTile(tile, room, outdated, repeated) {
  const { current } = room;
  const p = tile.parts;
  const name = room.name || room.room_id;
  tile.node.dataset.state = current.state;
  tile.node.toggleAttribute("data-outdated", outdated);
  tile.node.dataset.band =
    room.comfort.min_celsius === null && room.comfort.max_celsius === null ? "none" : "set";
  p.name.textContent = repeated && room.name ? `${name} (${room.room_id})` : name;
  tile.node.title = `${name} (${room.room_id})`; // the whole name, whatever the ellipsis hides
  p.where.textContent = room.floor ? `floor ${room.floor}` : "";
  const value = current.value;
  p.label.textContent = value !== null && (current.stale || outdated) ? "last known " : "";
  p.number.textContent = value === null ? "–" : fmt.number(value);
  p.unit.textContent = value === null ? "" : ` ${fmt.symbol(room.unit)}`;
  p.status.textContent = statusText(room, outdated);
  p.age.textContent = current.timestamp && !current.stale ? `at ${fmt.clock(current.timestamp)}` : "";
}

function matches(room, filters) {
  if (filters.state && room.current.state !== filters.state) return false;
  if (filters.building && (room.building || "") !== filters.building) return false;
  if (filters.floor && (room.floor || "") !== filters.floor) return false;
  const needle = filters.q.trim().toLowerCase();
  if (!needle) return true;
  const haystack = [room.room_id, room.name, room.building, room.floor, ...Object.values(room.labels)];
  return haystack.some((text) => text && text.toLowerCase().includes(needle));
}

// Problem rooms first (hot, cold, stale; the longest-standing first), then the rest by place.
function attentionOrder(a, b) {
  const rank = RANK[a.current.state] - RANK[b.current.state];
  if (rank) return rank;
  if (PROBLEMS.has(a.current.state))
    return (a.current.state_since || "").localeCompare(b.current.state_since || "") || byPlace(a, b);
  return byPlace(a, b);
}

function byPlace(a, b) {
  return (
    collator.compare(a.building || "\uffff", b.building || "\uffff") ||
    collator.compare(a.floor || "", b.floor || "") ||
    collator.compare(a.name || a.room_id, b.name || b.room_id) ||
    collator.compare(a.room_id, b.room_id)
  );
}

function setOptions(select, values, allText, wanted) {
  select.replaceChildren(
    h("option", { value: "" }, allText),
    ...values.map((v) => h("option", { value: v }, v)),
  );
  select.value = values.includes(wanted) ? wanted : "";
}

function alertItem(alert, rooms) {
  const room = rooms.get(alert.room_id);
  const name = (room && room.name) || alert.room_id;
  const what = alert.kind === "silent" ? `sensor ${alert.sensor_id || "(unnamed)"} silent` : KIND_TEXT[alert.kind];
  return h(
    "li",
    { "data-kind": alert.kind, "data-state": alert.state },
    h("a", { href: `#/room/${encodeURIComponent(alert.room_id)}` }, name),
    ` ${what} since ${since(alert.since)}${alert.state === "pending" ? ", pending" : ""}`,
  );
}

export function mountOverview(host, ctx, query) {
  const filters = {
    state: query.get("state") || "",
    building: query.get("building") || "",
    floor: query.get("floor") || "",
    q: query.get("q") || "",
    view: query.get("view") === "heatmap" ? "heatmap" : "",
  };
  const search = h("input", { type: "search", id: "search", placeholder: "Search rooms", "aria-label": "Search rooms" });
  search.value = filters.q;
  const building = h("select", { id: "building", "aria-label": "Building" });
  const floor = h("select", { id: "floor", "aria-label": "Floor" });
  const counts = h("div", { class: "counts", role: "group", "aria-label": "Show rooms by state" });
  const summary = h("p", { class: "summary muted", "aria-live": "polite" });
  const alertsList = h("ul", { class: "alerts-list" });
  const alertsBox = h("section", { class: "alerts", "data-alerts": "", "aria-label": "Alerts" }, h("h2", {}, "Alerts"), alertsList);
  const groups = h("div", { class: "groups" });
  const compare = h("a", { class: "compare-link", href: "#/compare" }, "Compare these rooms in one chart");
  const means = hourlyMeans(() => unit);
  const heat = heatmap(means);
  const views = [
    ["", "Tiles"],
    ["heatmap", "Heat-map"],
  ].map(([view, text]) => {
    const button = h("button", { type: "button", "data-view": view || "tiles" }, text);
    button.addEventListener("click", () => {
      filters.view = view;
      keepInUrl();
      render();
    });
    return button;
  });
  host.replaceChildren(
    h("h1", { class: "page-title" }, "Rooms"),
    h("div", { class: "filters" }, search, building, floor),
    counts,
    summary,
    alertsBox,
    h("div", { class: "views-bar" }, h("div", { class: "views", role: "group", "aria-label": "View" }, ...views), compare),
    groups,
    heat.node,
  );
  const tiles = new Map();
  const sparks = sparklines(means);
  let rooms = [];
  let alerts = null; // until the first answer
  let outdated = false;
  let unit = ctx.unit();

  const keepInUrl = () => {
    const params = new URLSearchParams(Object.entries(filters).filter(([, v]) => v));
    const hash = params.toString() ? `#/?${params}` : "#/";
    if (window.location.hash !== hash && !(hash === "#/" && !window.location.hash))
      history.replaceState(null, "", hash);
  };

  const renderCounts = (inScope) => {
    // every state present, and the chosen one even at 0, so that it can be turned off
    const present = ([state]) => state === filters.state || inScope.some((r) => r.current.state === state);
    const buttons = STATES.filter(present).map(([state, text]) => {
      const n = inScope.filter((r) => r.current.state === state).length;
      const button = h("button", { type: "button", "data-state-filter": state, "aria-pressed": String(filters.state === state) }, `${n} ${text}`);
      button.addEventListener("click", () => {
        filters.state = filters.state === state ? "" : state;
        keepInUrl();
        render();
        counts.querySelector(`[data-state-filter="${state}"]`)?.focus();
      });
      return button;
    });
    counts.replaceChildren(...buttons);
  };

  const renderAlerts = () => {
    const byId = new Map(rooms.map((r) => [r.room_id, r]));
    alertsList.replaceChildren(...(alerts || []).map((a) => alertItem(a, byId)));
    const none = outdated ? "Not known: the last refresh failed." : alerts ? "No active alerts." : "Loading…";
    if (!alerts || !alerts.length) alertsList.append(h("li", { class: "muted" }, none));
  };

  const render = () => {
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.roomId : undefined;
    const buildings = [...new Set(rooms.map((r) => r.building).filter(Boolean))].sort(collator.compare);
    setOptions(building, buildings, "All buildings", filters.building);
    const inBuilding = rooms.filter((r) => !filters.building || r.building === filters.building);
    const floors = [...new Set(inBuilding.map((r) => r.floor).filter(Boolean))].sort(collator.compare);
    setOptions(floor, floors, "All floors", filters.floor);
    renderCounts(rooms.filter((r) => matches(r, { ...filters, state: "" })));
    const shown = rooms.filter((r) => matches(r, filters)).sort(attentionOrder);
    const names = new Map();
    for (const room of rooms) names.set(room.name, (names.get(room.name) || 0) + 1);
    const sections = new Map();
    for (const room of shown) {
      const title = PROBLEMS.has(room.current.state) ? "Needs attention" : room.building || "No building";
      if (!sections.has(title)) sections.set(title, h("div", { class: "tiles" }));
      let tile = tiles.get(room.room_id);
      if (!tile) {
        tiles.set(room.room_id, (tile = newTile(room.room_id)));
        sparks.observe(tile.node, tile.parts.spark);
      }
      fillTile(tile, { ...room, unit }, outdated, names.get(room.name) > 1);
      sections.get(title).append(tile.node);
    }
    summary.textContent = rooms.length || !outdated ? `${shown.length} of ${rooms.length} rooms${outdated ? " · not current" : ""}` : "";
    const empty = rooms.length ? "No room matches these filters." : outdated ? "The rooms could not be loaded." : "No rooms yet: push a reading to create one.";
    groups.replaceChildren(...[...sections].map(([title, grid]) => h("section", { class: "group" }, h("h2", {}, title), grid)));
    if (!shown.length) groups.append(h("p", { class: "empty" }, empty));
    const first = shown.slice(0, MOST_ROOMS).map((r) => encodeURIComponent(r.room_id));
    compare.href = `#/compare?rooms=${first.join(",")}`; // the first rooms shown, in this order
    const mapped = filters.view === "heatmap";
    for (const button of views)
      button.setAttribute("aria-pressed", String((button.dataset.view === "heatmap") === mapped));
    groups.hidden = mapped && shown.length > 0;
    heat.node.hidden = !mapped || !shown.length;
    if (mapped) heat.show(shown, unit);
    renderAlerts();
    if (focused && tiles.has(focused) && document.activeElement !== tiles.get(focused).node)
      tiles.get(focused).node.focus({ preventScroll: true }); // kept across refreshes
  };

  search.addEventListener("input", () => {
    filters.q = search.value;
    keepInUrl();
    render();
  });
  for (const [control, name] of [[building, "building"], [floor, "floor"]]) {
    control.addEventListener("input", () => {
      filters[name] = control.value;
      keepInUrl();
      render();
    });
  }

  return {
    title: "Rooms",
    async refresh() {
      unit = ctx.unit();
      const firstLoad = !rooms.length;
      let active = null; // asked once the first page is in: the server answers that one sooner
      try {
        const listed = await allRooms(unit, firstLoad ? FIRST_PAGE : undefined, (partial) => {
          if (active) return; // later pages are drawn once, all together (a drawing costs O(rooms))
          if (firstLoad) {
            rooms = partial;
            outdated = false;
            render(); // the first tiles at once
          }
          active = getJson("/alerts", { unit });
          active.catch(() => {}); // when the rooms fail first, reported once, below
        });
        const drawn = rooms.length;
        rooms = listed;
        outdated = false;
        if (!firstLoad || listed.length !== drawn) render();
        alerts = (await active).alerts;
        renderAlerts();
        ctx.ok();
      } catch (error) {
        outdated = true; // the states stay on screen, marked not current
        ctx.report(error);
        render();
      }
      sparks.recheck();
    },
    unmount() {
      sparks.stop();
      heat.stop();
    },
  };
}
