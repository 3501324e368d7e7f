// The overview: a tile per room with its current temperature, trend, comfort state and staleness.

import { getJson } from "./api.js";
import { h } from "./dom.js";
import * as fmt from "./format.js";

const HOUR = 3_600_000;
const TREND_WINDOW = 15 * 60_000;
const PARALLEL = 6;
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

async function eachLimited(items, work) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker));
  return results;
}

async function currentTemperature(room, unit) {
  try {
    return await getJson(`/rooms/${encodeURIComponent(room.room_id)}/temperature`, { unit });
  } catch (error) {
    if (error.status === 404) return null; // deleted or emptied since the list was read
    throw error;
  }
}

// Mean of the last 15 minutes minus the mean of 60 to 45 minutes ago, per room.
async function trends(unit) {
  const iso = (ms) => new Date(ms).toISOString();
  const now = Date.now();
  const windows = [
    [now - HOUR, now - HOUR + TREND_WINDOW],
    [now - TREND_WINDOW, now],
  ];
  const [early, late] = await Promise.all(
    windows.map(([start, end]) => getJson("/stats", { start: iso(start), end: iso(end), unit })),
  );
  const before = new Map(early.rooms.map((r) => [r.room_id, r.mean]));
  const trend = new Map();
  for (const room of late.rooms) {
    const then = before.get(room.room_id);
    if (room.mean !== null && then !== null && then !== undefined)
      trend.set(room.room_id, room.mean - then);
  }
  return trend;
}

async function load(unit) {
  const [{ rooms }, trend] = await Promise.all([getJson("/rooms", { unit }), trends(unit)]);
  const withReadings = rooms.filter((room) => room.latest !== null);
  const temps = await eachLimited(withReadings, (room) => currentTemperature(room, unit));
  const byRoom = new Map(withReadings.map((room, i) => [room.room_id, temps[i]]));
  const fetchedAt = Date.now();
  return rooms.map((room) => ({
    room,
    unit,
    fetchedAt,
    temp: byRoom.get(room.room_id) || null,
    trend: trend.get(room.room_id),
  }));
}

function place(room) {
  return room.floor ? `floor ${room.floor}` : "";
}

function tileState(entry) {
  if (!entry.temp) return "empty";
  if (entry.temp.stale) return "stale";
  return fmt.comfortState(entry.temp.value, entry.room.comfort, entry.unit) || "none";
}

function newTile(roomId) {
  const parts = {
    name: h("span", { class: "tile-name" }),
    where: h("span", { class: "tile-where" }),
    label: h("span", { class: "tile-label" }),
    number: h("span", { class: "num" }),
    unit: h("span", { class: "unit" }),
    status: h("span", { class: "tile-status" }),
    trend: h("span", { class: "tile-trend" }),
    age: h("span", { class: "tile-age" }),
  };
  const value = h("span", { class: "tile-value" }, parts.label, parts.number, parts.unit);
  const head = h("span", { class: "tile-head" }, parts.name, parts.where);
  const foot = h("span", { class: "tile-foot" }, parts.trend, parts.age);
  const node = h(
    "a",
    { class: "tile", href: `#/room/${encodeURIComponent(roomId)}`, "data-room": roomId },
    head,
    value,
    parts.status,
    foot,
  );
  return { node, parts };
}

function statusText(entry, state, outdated) {
  if (outdated) return "Not current: the last refresh failed";
  if (state === "empty") return "No readings yet";
  const age = fmt.age(entry.temp.age_seconds + (Date.now() - entry.fetchedAt) / 1000);
  if (state === "stale") return `Stale: last reading ${age}`;
  const band = fmt.bandText(entry.room.comfort, entry.unit);
  return state === "none" ? band : `${fmt.COMFORT_TEXT[state]} · ${band}`;
}

function fillTile(tile, entry, outdated) {
  const { room, temp, unit } = entry;
  const state = tileState(entry);
  const p = tile.parts;
  tile.node.dataset.state = outdated ? "outdated" : state;
  p.name.textContent = room.name || room.room_id;
  p.where.textContent = place(room);
  p.label.textContent = temp && (state === "stale" || outdated) ? "last known " : "";
  p.number.textContent = temp ? fmt.number(temp.value) : "–";
  p.unit.textContent = temp ? ` ${fmt.symbol(unit)}` : "";
  p.status.textContent = statusText(entry, state, outdated);
  const trend = entry.trend;
  const arrow = trend === undefined ? "" : trend > 0.05 ? "↗ " : trend < -0.05 ? "↘ " : "→ ";
  const current = trend !== undefined && state !== "stale" && !outdated;
  p.trend.textContent = current ? `${arrow}${fmt.signed(trend, unit)} in 1 h` : "";
  p.age.textContent = temp && state !== "stale" ? `at ${fmt.clock(temp.timestamp)}` : "";
  p.age.title = temp ? fmt.when(temp.timestamp) : "";
}

function matches(entry, filters) {
  const { room } = entry;
  if (filters.building && (room.building || "") !== filters.building) return false;
  if (filters.floor && (room.floor || "") !== filters.floor) return false;
  const needle = filters.search.trim().toLowerCase();
  if (!needle) return true;
  const haystack = [
    room.room_id,
    room.name,
    room.building,
    room.floor,
    ...Object.values(room.labels),
  ];
  return haystack.some((text) => text && text.toLowerCase().includes(needle));
}

function groupTitle(room) {
  return room.building || "No building";
}

function setOptions(select, values, allText) {
  const current = select.value;
  select.replaceChildren(
    h("option", { value: "" }, allText),
    ...values.map((v) => h("option", { value: v }, v)),
  );
  select.value = values.includes(current) ? current : "";
}

function summaryText(shown, total) {
  const count = (state) => shown.filter((e) => tileState(e) === state).length;
  const parts = [`${shown.length} of ${total} rooms`];
  for (const [state, text] of [
    ["hot", "too hot"],
    ["cold", "too cold"],
    ["stale", "stale"],
    ["empty", "without readings"],
  ]) {
    if (count(state)) parts.push(`${count(state)} ${text}`);
  }
  return parts.join(" · ");
}

export function mountOverview(host, ctx) {
  const search = h("input", {
    type: "search",
    id: "search",
    placeholder: "Search rooms",
    "aria-label": "Search rooms",
  });
  const building = h("select", { id: "building", "aria-label": "Building" });
  const floor = h("select", { id: "floor", "aria-label": "Floor" });
  const summary = h("p", { class: "summary muted", "aria-live": "polite" });
  const groups = h("div", { class: "groups" });
  host.replaceChildren(h("div", { class: "filters" }, search, building, floor), summary, groups);
  const tiles = new Map();
  let entries = [];
  let outdated = false;

  const render = () => {
    const rooms = entries.map((e) => e.room);
    setOptions(
      building,
      [...new Set(rooms.map((r) => r.building).filter(Boolean))].sort(collator.compare),
      "All buildings",
    );
    const inBuilding = rooms.filter((r) => !building.value || r.building === building.value);
    setOptions(
      floor,
      [...new Set(inBuilding.map((r) => r.floor).filter(Boolean))].sort(collator.compare),
      "All floors",
    );
    const filters = { building: building.value, floor: floor.value, search: search.value };
    const shown = entries.filter((e) => matches(e, filters));
    shown.sort(
      (a, b) =>
        collator.compare(a.room.building || "\uffff", b.room.building || "\uffff") ||
        collator.compare(a.room.floor || "", b.room.floor || "") ||
        collator.compare(a.room.name || a.room.room_id, b.room.name || b.room.room_id),
    );
    const sections = new Map();
    for (const entry of shown) {
      const title = groupTitle(entry.room);
      if (!sections.has(title)) sections.set(title, h("div", { class: "tiles" }));
      let tile = tiles.get(entry.room.room_id);
      if (!tile) tiles.set(entry.room.room_id, (tile = newTile(entry.room.room_id)));
      fillTile(tile, entry, outdated);
      sections.get(title).append(tile.node);
    }
    summary.textContent =
      !entries.length && outdated
        ? ""
        : summaryText(shown, entries.length) + (outdated ? " · not current" : "");
    const empty = entries.length
      ? "No room matches these filters."
      : outdated
        ? "The rooms could not be loaded."
        : "No rooms yet: push a reading to create one.";
    groups.replaceChildren(
      ...[...sections].map(([title, grid]) =>
        h("section", { class: "group" }, h("h2", {}, title), grid),
      ),
    );
    if (!shown.length) groups.append(h("p", { class: "empty" }, empty));
  };

  for (const control of [search, building, floor]) control.addEventListener("input", render);

  return {
    title: "Rooms",
    async refresh() {
      try {
        entries = await load(ctx.unit());
        outdated = false;
        ctx.ok();
      } catch (error) {
        outdated = true;
        ctx.report(error);
      }
      render();
    },
    unmount() {},
  };
}
