// The compare view: several rooms in one chart over one range (presets or custom, the chosen
// unit and zone), a legend, and the rooms kept in the URL (#/compare?rooms=a,b&range=7d).

import { allRooms, getJson } from "./api.js";
import { h, svg } from "./dom.js";
import * as fmt from "./format.js";
import { drawOverlay, lineStyle } from "./overlay.js";
import { MOST_ROOMS } from "./overview.js";
import { rangeBar } from "./rangebar.js";
import * as ranges from "./range.js";

function legend(series, onRemove) {
  const items = series.map((one, index) =>
    h(
      "li",
      { "data-room-id": one.roomId },
      svg(
        "svg",
        { class: "swatch", width: 28, height: 10, "aria-hidden": "true" },
        svg("line", { x1: 0, x2: 28, y1: 5, y2: 5, "stroke-width": 3, ...lineStyle(index) }),
      ),
      h("a", { href: `#/room/${encodeURIComponent(one.roomId)}` }, one.name),
      one.buckets.length ? null : h("span", { class: "muted" }, " (no readings in this range)"),
      removeButton(one, onRemove),
    ),
  );
  return h("ul", { class: "legend", "aria-label": "Rooms in the chart" }, ...items);
}

function removeButton(one, onRemove) {
  const label = `Remove ${one.name}`;
  const button = h("button", { type: "button", class: "remove", "aria-label": label }, "×");
  button.addEventListener("click", () => onRemove(one.roomId));
  return button;
}

// An input offering every room by id and name; Enter or a pick from the list adds it.
function roomPicker(onAdd) {
  const list = h("datalist", { id: "compare-rooms" });
  const input = h("input", { id: "compare-add", list: "compare-rooms", autocomplete: "off" });
  const form = h(
    "form",
    { class: "compare-add" },
    h("label", { for: "compare-add" }, "Add a room"),
    input,
    list,
    h("button", { type: "submit" }, "Add"),
  );
  let known = new Map();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const typed = input.value.trim();
    const found = known.has(typed) ? typed : [...known].find(([, name]) => name === typed)?.[0];
    input.setAttribute("aria-invalid", String(!found));
    if (!found) return;
    input.value = "";
    onAdd(found);
  });
  const offer = (rooms) => {
    known = new Map(rooms.map((r) => [r.room_id, r.name || r.room_id]));
    const options = rooms.map((r) => h("option", { value: r.room_id }, r.name || r.room_id));
    list.replaceChildren(...options);
  };
  return { form, offer };
}

export function mountCompare(host, ctx, query) {
  let range = ranges.fromQuery(query);
  const asked = new Set((query.get("rooms") || "").split(",").filter(Boolean));
  let chosen = [...asked].slice(0, MOST_ROOMS);
  const names = new Map();
  const keepInUrl = () => {
    const rooms = chosen.map(encodeURIComponent).join(",");
    history.replaceState(null, "", `#/compare?rooms=${rooms}&${ranges.toQuery(range)}`);
  };
  const change = (next) => {
    chosen = next.slice(0, MOST_ROOMS);
    keepInUrl();
    ctx.refresh();
  };
  const bar = rangeBar(ctx, (next) => {
    range = next;
    keepInUrl();
    ctx.refresh();
  });
  const picker = roomPicker((roomId) =>
    change(chosen.includes(roomId) ? chosen : [...chosen, roomId]),
  );
  const summary = h("p", { class: "range-summary" });
  const chartHost = h("div", { class: "chart-host", "data-chart": "compare" });
  const readout = h(
    "p",
    { class: "readout muted", "aria-live": "polite" },
    "Move over the chart, or focus it and use the arrow keys.",
  );
  const legendBox = h("div", { class: "legend-box" });
  host.replaceChildren(
    h("a", { href: "#/", class: "back" }, "← All rooms"),
    h("h1", {}, "Compare rooms"),
    h(
      "section",
      { class: "history", "aria-label": "History" },
      h("div", { class: "range-bar" }, bar.presets, bar.custom),
      summary,
      chartHost,
      readout,
      legendBox,
      picker.form,
    ),
  );
  let shown = null;
  const cursor = { atMs: null };
  const draw = () => {
    if (!shown) return;
    if (!shown.series.some((one) => one.buckets.length)) {
      const why = shown.series.length ? "No readings in this range." : "Add rooms to compare them.";
      chartHost.replaceChildren(h("p", { class: "empty" }, why));
      return;
    }
    drawOverlay(chartHost, shown, readout, cursor);
  };
  const resize = new ResizeObserver(draw);
  resize.observe(chartHost);
  let offered = false;

  const load = async (unit, query) => {
    const stats = await Promise.all(
      chosen.map((roomId) => getJson(`/rooms/${encodeURIComponent(roomId)}/stats`, query)),
    );
    return stats.map((answer, i) => ({
      roomId: chosen[i],
      name: names.get(chosen[i]) || chosen[i],
      buckets: answer.buckets.map((b) => ({
        ...b,
        startMs: Date.parse(b.start),
        endMs: Date.parse(b.end),
      })),
    }));
  };

  return {
    title: "Compare rooms",
    async refresh() {
      const unit = ctx.unit();
      const span = ranges.resolve(range, Date.now());
      const query = ranges.statsQuery(span, unit);
      try {
        if (!offered) {
          const rooms = await allRooms(unit); // once: names for the legend and the picker
          for (const room of rooms) names.set(room.room_id, room.name || room.room_id);
          picker.offer(rooms);
          offered = true;
        }
        const series = await load(unit, query);
        bar.show(range, span);
        const step = ranges.stepFor(span.startMs, span.endMs);
        shown = { ...span, series, unit, stepMs: step * 1000, stepText: query.step };
        const rooms = fmt.count(series.length, "room");
        summary.textContent = `${rooms}, mean per ${query.step}, ${fmt.symbol(unit)}`;
        draw();
        const remove = (roomId) => change(chosen.filter((r) => r !== roomId));
        legendBox.replaceChildren(legend(series, remove));
        ctx.ok();
      } catch (error) {
        ctx.report(error);
      }
    },
    unmount() {
      resize.disconnect();
    },
  };
}
