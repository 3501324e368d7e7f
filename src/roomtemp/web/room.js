// The room view: current value and sensors, history chart with presets, CSV, editable metadata.

import { getCsvPages, getJson, mayEdit } from "./api.js";
import { drawChart } from "./chart.js";
import { editForm } from "./edit.js";
import { h } from "./dom.js";
import { rangeBar } from "./rangebar.js";
import * as fmt from "./format.js";
import * as ranges from "./range.js";

async function orNull(promise) {
  try {
    return await promise;
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}

function metaLine(room) {
  const parts = [`id ${room.room_id}`];
  if (room.building) parts.push(`building ${room.building}`);
  if (room.floor) parts.push(`floor ${room.floor}`);
  for (const [key, value] of Object.entries(room.labels)) parts.push(`${key}: ${value}`);
  return parts.join(" · ");
}

function currentBlock(room, temp, unit, fetchedAt) {
  const state = room.current.state;
  if (!temp)
    return h(
      "div",
      { class: "current", "data-state": state },
      h("p", { class: "big" }, "–"),
      h("p", {}, "No readings yet."),
    );
  const age = fmt.age(temp.age_seconds + (Date.now() - fetchedAt) / 1000);
  const asOf = `as of ${fmt.clock(temp.timestamp)} (${age})`;
  const since = room.current.state_since;
  const status =
    state === "stale"
      ? `Stale: last reading ${age}, not a current value`
      : state === "too_hot" || state === "too_cold"
        ? `${state === "too_hot" ? "too hot" : "too cold"} since ${fmt.clock(since)} · ${asOf}`
        : asOf;
  return h(
    "div",
    { class: "current", "data-state": state },
    h(
      "p",
      { class: "big" },
      temp.stale ? h("span", { class: "tile-label" }, "last known ") : null,
      h("span", { class: "num" }, fmt.number(temp.value)),
      h("span", { class: "unit" }, ` ${fmt.symbol(unit)}`),
    ),
    h("p", { class: "status" }, status),
    h("p", { class: "muted" }, `Comfort band: ${fmt.bandText(room.comfort, unit)}`),
  );
}

function sensorsTable(temp, unit) {
  if (!temp) return h("p", { class: "muted" }, "No sensor has reported yet.");
  const rows = temp.sensors.map((s) =>
    h(
      "tr",
      { "data-sensor": s.sensor_id || "" },
      h("th", { scope: "row" }, s.sensor_id || "(unnamed)"),
      h("td", { class: "n" }, fmt.temperature(s.value, unit)),
      h("td", {}, fmt.when(s.timestamp)),
      h("td", {}, s.stale ? "stale" : "current"),
    ),
  );
  return h(
    "table",
    { class: "sensors" },
    h("caption", {}, "Latest reading of each sensor"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "Sensor"),
        h("th", { scope: "col", class: "n" }, "Value"),
        h("th", { scope: "col" }, "Time"),
        h("th", { scope: "col" }, "State"),
      ),
    ),
    h("tbody", {}, ...rows),
  );
}

function bucketTable(buckets, unit) {
  const u = fmt.symbol(unit);
  const rows = buckets.map((b) =>
    h(
      "tr",
      {},
      h("td", {}, fmt.when(b.start)),
      h("td", { class: "n" }, fmt.number(b.mean)),
      h("td", { class: "n" }, fmt.number(b.min)),
      h("td", { class: "n" }, fmt.number(b.max)),
      h("td", { class: "n" }, String(b.count)),
      h("td", { class: "n", "data-coverage": b.coverage }, fmt.percent(b.coverage)),
    ),
  );
  return h(
    "table",
    { class: "buckets" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "From"),
        ...[`Mean ${u}`, `Min ${u}`, `Max ${u}`, "Readings", "Coverage"].map((t) =>
          h("th", { scope: "col", class: "n" }, t),
        ),
      ),
    ),
    h("tbody", {}, ...rows),
  );
}

function summaryLine(stats, unit) {
  const s = stats.summary;
  if (!s.count) return "No readings in this range.";
  const t = (value) => fmt.temperature(value, unit);
  const parts = [`Mean ${t(s.mean)}`, `min ${t(s.min)}`, `max ${t(s.max)}`];
  const gaps = s.coverage < 1 ? ` · readings cover ${fmt.percent(s.coverage)} of the range` : "";
  return `${parts.join(" · ")} · ${fmt.count(s.count, "reading")}, per ${stats.step}${gaps}`;
}

// The API's CSV with a unit column, so that a file in °F says so.
function withUnit(text, unit) {
  const lines = text.split("\n");
  return lines
    .map((line, i) => (i === 0 ? `${line},unit` : line ? `${line},${unit}` : line))
    .join("\n");
}

function download(text, name) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  const link = h("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// After a failed refresh the value on screen is no longer known to be current: say so.
function markOutdated(box) {
  const block = box.firstElementChild;
  const status = block && block.querySelector(".status");
  if (!status) return;
  block.toggleAttribute("data-outdated", true); // its state stays shown, marked not current
  status.textContent = "Not current: the last refresh failed";
}

export function mountRoom(host, ctx, roomId, query) {
  let range = ranges.fromQuery(query);
  const title = h("h1", {}, roomId);
  const meta = h("p", { class: "muted meta" });
  const current = h("div", { class: "current-box" });
  const sensors = h("div", { class: "sensors-box" });
  const bar = rangeBar(ctx, (next) => pick(next));
  const chartHost = h("div", { class: "chart-host", "data-chart": "room" });
  const readout = h(
    "p",
    { class: "readout muted", "aria-live": "polite" },
    "Move over the chart, or focus it and use the arrow keys.",
  );
  const summary = h("p", { class: "range-summary" });
  const csv = h("button", { type: "button", id: "csv" }, "Download CSV");
  const compare = h(
    "a",
    { class: "compare-link", href: `#/compare?rooms=${encodeURIComponent(roomId)}` },
    "Compare with other rooms",
  );
  // a scroll box the keyboard can reach and scroll
  const table = h("div", { class: "table-box", tabindex: "0", role: "region", "aria-label": "Data table" });
  const edit = editForm(roomId, ctx, () => ctx.refresh());
  host.replaceChildren(
    h("a", { href: "#/", class: "back" }, "← All rooms"),
    title,
    meta,
    current, // the value, then at once the chart (above the fold on a phone), then the sensors
    h(
      "section",
      { class: "history", "aria-label": "History" },
      h(
        "div",
        { class: "range-bar" },
        bar.presets,
        bar.custom,
        csv,
      ),
      summary,
      chartHost,
      readout,
      h("p", { class: "compare-line" }, compare), // below the chart: the chart stays above the fold
      h("details", { class: "panel" }, h("summary", {}, "Data table"), table),
    ),
    sensors,
    edit.box,
  );

  let shown = null; // what the chart shows: span, step, unit, data
  const cursor = { startMs: null }; // the bucket under the chart's cursor, kept across redraws
  const pick = (next) => {
    range = next;
    history.replaceState(null, "", `#/room/${encodeURIComponent(roomId)}?${ranges.toQuery(range)}`);
    ctx.refresh();
  };
  csv.addEventListener("click", async () => {
    if (!shown) return;
    try {
      const { start, end, unit } = shown.query;
      const text = await getCsvPages(`/rooms/${encodeURIComponent(roomId)}/readings`, {
        start,
        end,
        unit,
        limit: 10000,
      });
      download(withUnit(text, unit), `${roomId}_${unit}_${start}_${end}.csv`.replaceAll(":", ""));
    } catch (error) {
      ctx.report(error);
    }
  });

  const render = (room, temp, stats, fetchedAt, span, query) => {
    const unit = query.unit;
    title.textContent = room.name || room.room_id;
    document.title = `${room.name || room.room_id} · roomtemp`;
    meta.textContent = metaLine(room);
    current.replaceChildren(currentBlock(room, temp, unit, fetchedAt));
    sensors.replaceChildren(sensorsTable(temp, unit));
    bar.show(range, span);
    summary.textContent = summaryLine(stats, unit);
    const buckets = stats.buckets.map((b) => ({
      ...b,
      startMs: Date.parse(b.start),
      endMs: Date.parse(b.end),
    }));
    shown = { span, query, buckets, unit, comfort: room.comfort };
    drawChartNow();
    table.replaceChildren(bucketTable(stats.buckets, unit));
    edit.show(room);
    mayEdit(roomId).then((allowed) => {
      edit.box.hidden = !allowed; // offered only to a token that may use it
    });
  };
  const drawChartNow = () => {
    if (!shown) return;
    if (!shown.buckets.length) {
      chartHost.replaceChildren(h("p", { class: "empty" }, "No readings in this range."));
      return;
    }
    drawChart(
      chartHost,
      {
        ...shown.span,
        buckets: shown.buckets,
        stepMs: ranges.stepFor(shown.span.startMs, shown.span.endMs) * 1000,
        stepText: shown.query.step,
        unit: shown.unit,
        comfort: shown.comfort,
      },
      readout,
      cursor,
    );
  };
  const resize = new ResizeObserver(() => drawChartNow());
  resize.observe(chartHost);

  const view = {
    title: roomId,
    async refresh() {
      const unit = ctx.unit();
      const span = ranges.resolve(range, Date.now());
      const query = ranges.statsQuery(span, unit);
      const path = `/rooms/${encodeURIComponent(roomId)}`;
      try {
        const [room, stats] = await Promise.all([
          getJson(path, { unit }),
          getJson(`${path}/stats`, query),
        ]);
        // without readings there is no current temperature (a 404): do not ask for one
        const temp = room.latest ? await orNull(getJson(`${path}/temperature`, { unit })) : null;
        render(room, temp, stats, Date.now(), span, query);
        ctx.ok();
      } catch (error) {
        ctx.report(error);
        if (error.status === 404) {
          host.replaceChildren(
            h("a", { href: "#/", class: "back" }, "← All rooms"),
            h("p", { class: "empty" }, `There is no room “${roomId}”.`),
          );
        } else {
          markOutdated(current);
        }
      }
    },
    unmount() {
      resize.disconnect();
    },
  };
  return view;
}
