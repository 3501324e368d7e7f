// The room chart in plain SVG: mean line, min-max band, comfort band, shaded gaps, local-time
// axis, a cursor.

import { followCursor } from "./cursor.js";
import { h, svg } from "./dom.js";
import {
  clock,
  count,
  day,
  fromCelsius,
  number,
  percent,
  symbol,
  wallClock,
  when,
} from "./format.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TIME_STEPS = [
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
];
const VALUE_STEPS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50];

function valueTicks(low, high) {
  const step = VALUE_STEPS.find((s) => (high - low) / s <= 6) || 100;
  const ticks = [];
  for (let v = Math.ceil(low / step) * step; v <= high + 1e-9; v += step) ticks.push(v);
  return { step, ticks };
}

// Tick instants at round times of the chosen zone (whole hours, local midnights), at most `most`.
// Every zone's offset is a whole number of quarter hours, so its round times fall on UTC quarters.
function timeTicks(startMs, endMs, most) {
  // the finest step that fits, and never one so long that fewer than two labels remain
  const fits = TIME_STEPS.find((s) => (endMs - startMs) / s <= most);
  const step = fits || TIME_STEPS.findLast((s) => (endMs - startMs) / s >= 2) || 30 * DAY;
  const quarter = 15 * MINUTE;
  const ticks = [];
  let midnights = 0;
  for (let at = Math.ceil(startMs / quarter) * quarter; at < endMs; at += quarter) {
    const w = wallClock(at);
    const minutes = w.hour * 60 + w.minute;
    if (step < DAY) {
      if (minutes % (step / MINUTE) === 0) ticks.push({ at, midnight: !minutes });
    } else if (!minutes) {
      if (midnights % (step / DAY) === 0) ticks.push({ at, midnight: true });
      midnights += 1;
    }
  }
  return { step, ticks };
}

// Runs of buckets drawn as one line: a gap well beyond the usual spacing (an outage) breaks it.
// The usual spacing can exceed the step when sensors report less often than the step.
export function segments(buckets, stepMs) {
  const gaps = buckets
    .slice(1)
    .map((b, i) => b.startMs - buckets[i].startMs)
    .sort((p, q) => p - q);
  const usual = gaps.length ? gaps[Math.floor(gaps.length / 2)] : stepMs;
  const longest = Math.max(stepMs, 2.5 * usual);
  const runs = [];
  for (const bucket of buckets) {
    const run = runs[runs.length - 1];
    if (run && bucket.startMs - run[run.length - 1].startMs <= longest) run.push(bucket);
    else runs.push([bucket]);
  }
  return runs;
}

function domain(buckets, comfort, unit) {
  const values = buckets.flatMap((b) => [b.min, b.max]);
  for (const limit of [comfort.min_celsius, comfort.max_celsius]) {
    if (limit !== null) values.push(fromCelsius(limit, unit));
  }
  return padded(values);
}

// The value range of a chart: every value, with a margin.
export function padded(values) {
  const low = Math.min(...values);
  const high = Math.max(...values);
  const margin = Math.max((high - low) * 0.08, 0.5);
  return [low - margin, high + margin];
}

/**
 * An empty chart sized to `host` for [startMs, endMs) and values [low, high]: the <svg>, its
 * size and padding, and the scales x (instant -> px) and y (value -> px).
 */
export function frame(host, startMs, endMs, [low, high]) {
  const width = Math.max(host.clientWidth, 280);
  const height = width < 560 ? 220 : 300;
  const pad = { left: 48, right: 14, top: 14, bottom: 30 };
  const x = (t) => pad.left + ((t - startMs) / (endMs - startMs)) * (width - pad.left - pad.right);
  const y = (v) => pad.top + ((high - v) / (high - low)) * (height - pad.top - pad.bottom);
  const chart = svg("svg", {
    class: "chart",
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    tabindex: 0,
  });
  return { chart, width, height, pad, x, y, low, high };
}

/**
 * Draw `data` = {buckets: [{startMs, endMs, mean, min, max, count, coverage}], startMs, endMs,
 * stepMs, unit, comfort} into `host`, replacing what was there in one step (no flicker on refresh).
 * `readout` is an element that receives the text of the bucket under the cursor; `cursor` is an
 * object that remembers that bucket ({startMs}) from one drawing to the next.
 */
export function drawChart(host, data, readout, cursor) {
  const { buckets, startMs, endMs, stepMs, unit, comfort } = data;
  const { chart, width, height, pad, x, y, low, high } = frame(
    host,
    startMs,
    endMs,
    domain(buckets, comfort, unit),
  );
  const middle = (b) => (Math.max(b.startMs, startMs) + Math.min(b.endMs, endMs)) / 2;
  chart.setAttribute(
    "aria-label",
    `Mean, minimum and maximum per ${data.stepText}, ${when(startMs)} to ${when(endMs)}`,
  );
  chart.append(comfortBand(comfort, unit, x(startMs), x(endMs), y, low, high));
  chart.append(gapShading(buckets, startMs, endMs, x, pad.top, height - pad.bottom));
  chart.append(valueAxis(low, high, y, pad.left, width - pad.right, unit));
  chart.append(timeAxis(startMs, endMs, x, height - pad.bottom, pad.top, width));
  const runs = segments(buckets, stepMs);
  const band = runs.map((run) => {
    const top = run.map((b) => `${x(middle(b)).toFixed(1)},${y(b.max).toFixed(1)}`);
    const bottom = run.toReversed().map((b) => `${x(middle(b)).toFixed(1)},${y(b.min).toFixed(1)}`);
    return run.length > 1 ? `M${top.join("L")}L${bottom.join("L")}Z` : "";
  });
  chart.append(svg("path", { class: "band", d: band.join("") }));
  const line = runs.map(
    (run) => `M${run.map((b) => `${x(middle(b)).toFixed(1)},${y(b.mean).toFixed(1)}`).join("L")}`,
  );
  chart.append(svg("path", { class: "mean", d: line.join(""), "data-points": buckets.length }));
  for (const run of runs.filter((r) => r.length === 1)) {
    const [b] = run;
    chart.append(
      svg("line", {
        class: "whisker",
        x1: x(middle(b)),
        x2: x(middle(b)),
        y1: y(b.min),
        y2: y(b.max),
      }),
    );
    chart.append(svg("circle", { class: "dot", cx: x(middle(b)), cy: y(b.mean), r: 3 }));
  }
  if (buckets.length)
    addCursor(
      chart,
      buckets,
      { x, middle, top: pad.top, bottom: height - pad.bottom, y, unit },
      readout,
      cursor,
    );
  const gaps = chart.querySelector(".gaps").childElementCount;
  const note = gaps ? h("p", { class: "chart-note muted" }, "Shaded: time without readings") : null;
  host.replaceChildren(...[chart, note].filter(Boolean));
}

// Where readings are missing: each bucket covered less than fully, shaded by the share missing,
// and each stretch of the range without any bucket, shaded fully.
function gapShading(buckets, startMs, endMs, x, top, bottom) {
  const group = svg("g", { class: "gaps" });
  const shade = (from, to, coverage) => {
    const left = x(Math.max(from, startMs));
    const right = x(Math.min(to, endMs));
    if (right - left < 0.5) return;
    const attributes = { x: left, width: right - left, y: top, height: bottom - top };
    const missing = (0.45 * (1 - coverage)).toFixed(2); // the band and grid still show through
    const rect = { ...attributes, "fill-opacity": missing, "data-coverage": coverage };
    group.append(svg("rect", rect));
  };
  let covered = startMs;
  for (const b of buckets) {
    if (b.startMs > covered) shade(covered, b.startMs, 0);
    if (b.coverage !== null && b.coverage < 1) shade(b.startMs, b.endMs, b.coverage);
    covered = Math.max(covered, b.endMs);
  }
  if (covered < endMs) shade(covered, endMs, 0);
  group.setAttribute("data-gaps", String(group.childElementCount));
  return group;
}

function comfortBand(comfort, unit, left, right, y, low, high) {
  const group = svg("g", { class: "comfort" });
  if (comfort.min_celsius === null && comfort.max_celsius === null) return group;
  const top =
    comfort.max_celsius === null ? high : Math.min(fromCelsius(comfort.max_celsius, unit), high);
  const bottom =
    comfort.min_celsius === null ? low : Math.max(fromCelsius(comfort.min_celsius, unit), low);
  if (top > bottom) {
    group.append(
      svg("rect", { x: left, width: right - left, y: y(top), height: y(bottom) - y(top) }),
    );
  }
  return group;
}

export function valueAxis(low, high, y, left, right, unit) {
  const group = svg("g", { class: "axis" });
  const { step, ticks } = valueTicks(low, high);
  const digits = step < 1 ? 1 : 0;
  for (const v of ticks) {
    group.append(svg("line", { class: "grid", x1: left, x2: right, y1: y(v), y2: y(v) }));
    group.append(
      svg("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end" }, number(v, digits)),
    );
  }
  group.append(svg("text", { x: 4, y: 12, class: "unit" }, symbol(unit)));
  return group;
}

export function timeAxis(startMs, endMs, x, base, top, width) {
  const group = svg("g", { class: "axis" });
  const { step, ticks } = timeTicks(startMs, endMs, Math.max(4, Math.floor(width / 90)));
  for (const tick of ticks) {
    const label = step >= DAY || tick.midnight ? day(tick.at) : clock(tick.at);
    group.append(svg("line", { class: "grid", x1: x(tick.at), x2: x(tick.at), y1: top, y2: base }));
    group.append(svg("text", { x: x(tick.at), y: base + 18, "text-anchor": "middle" }, label));
  }
  group.append(
    svg("line", { class: "baseline", x1: x(startMs), x2: x(endMs), y1: base, y2: base }),
  );
  return group;
}

function addCursor(chart, buckets, scale, readout, cursor) {
  const marker = svg("line", {
    class: "cursor",
    y1: scale.top,
    y2: scale.bottom,
    visibility: "hidden",
  });
  const dot = svg("circle", { class: "cursor-dot", r: 4, visibility: "hidden" });
  chart.append(marker, dot);
  const kept = buckets.findIndex((b) => b.startMs === cursor.startMs);
  const show = (index) => {
    const b = buckets[index];
    cursor.startMs = b.startMs;
    const at = scale.x(scale.middle(b));
    for (const [node, attrs] of [
      [marker, { x1: at, x2: at }],
      [dot, { cx: at, cy: scale.y(b.mean) }],
    ]) {
      for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
      node.setAttribute("visibility", "visible");
    }
    const u = symbol(scale.unit);
    readout.textContent =
      `${when(b.startMs)} – ${clock(b.endMs)}: mean ${number(b.mean)} ${u}, ` +
      `min ${number(b.min)} ${u}, max ${number(b.max)} ${u}, ${count(b.count, "reading")}` +
      (b.coverage < 1 ? `, readings cover ${percent(b.coverage)}` : "");
  };
  const xAt = (i) => scale.x(scale.middle(buckets[i]));
  const go = followCursor(chart, buckets.length, xAt, kept >= 0 ? kept : buckets.length - 1, show);
  if (kept >= 0) go(kept);
}
