// The rooms x hours heat-map of the overview: each room's hourly means over the last 24 hours,
// coloured against its band, rows filled as they come into view.

import { h } from "./dom.js";
import * as fmt from "./format.js";
import { whenInView } from "./sparkline.js";

const HOUR = 3_600_000;

function side(mean, comfort, unit) {
  const { min_celsius: low, max_celsius: high } = comfort;
  if (high !== null && mean > fmt.fromCelsius(high, unit)) return "too_hot";
  if (low !== null && mean < fmt.fromCelsius(low, unit)) return "too_cold";
  return low === null && high === null ? "none" : "ok";
}

/** The heat-map of `means` (hourlyMeans); `show(rooms, unit)` lays out the rows of those rooms. */
export function heatmap(means) {
  const table = h("table", { class: "heatmap", "data-heatmap": "" });
  const box = h(
    "div",
    { class: "heatmap-box", tabindex: "0", role: "region", "aria-label": "Heat-map" },
    table,
  );
  const rows = new Map();
  const seen = whenInView((row) => {
    const { room, unit } = rows.get(row);
    means.get(room.room_id).then(({ buckets }) => {
      for (const bucket of buckets) {
        const cell = row.querySelector(`[data-hour="${bucket.start}"]`);
        if (!cell) continue;
        cell.textContent = fmt.number(bucket.mean);
        cell.dataset.mean = String(bucket.mean);
        cell.dataset.state = side(bucket.mean, room.comfort, unit);
        cell.title = `${room.name || room.room_id}, ${fmt.when(bucket.start)}: ${fmt.temperature(bucket.mean, unit)}`;
      }
    });
  });
  const show = (rooms, unit) => {
    rows.clear();
    seen.clear();
    const now = Date.now();
    const hours = [];
    for (let at = Math.floor((now - 24 * HOUR) / HOUR) * HOUR; at < now; at += HOUR) hours.push(at);
    const head = h(
      "tr",
      {},
      h("th", { scope: "col" }, "Room"),
      ...hours.map((at) => h("th", { scope: "col" }, fmt.clock(at))),
    );
    const body = rooms.map((room) => {
      const row = h(
        "tr",
        { "data-room-id": room.room_id },
        h(
          "th",
          { scope: "row" },
          h("a", { href: `#/room/${encodeURIComponent(room.room_id)}` }, room.name || room.room_id),
        ),
        ...hours.map((at) => h("td", { "data-hour": new Date(at).toISOString() })),
      );
      rows.set(row, { room, unit });
      seen.observe(row);
      return row;
    });
    table.replaceChildren(
      h("caption", {}, `Hourly means over the last 24 hours, ${fmt.symbol(unit)}`),
      h("thead", {}, head),
      h("tbody", {}, ...body),
    );
    requestAnimationFrame(() => seen.recheck());
  };
  return { node: box, show, stop: seen.stop };
}
