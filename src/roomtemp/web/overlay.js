// Several rooms in one chart: a mean line per room (its own colour and dash), the shared
// local-time axis, and a cursor that reads every room's mean at one time.

import { frame, padded, segments, timeAxis, valueAxis } from "./chart.js";
import { followCursor } from "./cursor.js";
import { svg } from "./dom.js";
import { clock, number, symbol, when } from "./format.js";

// 3:1 or more on white each (lines are graphics: WCAG 1.4.11), told apart by dash too
export const COLOURS = [
  "#1d4e89",
  "#b02a1e",
  "#1c6b37",
  "#7b3fa0",
  "#975400",
  "#0e6e85",
  "#b3185a",
  "#4b5563",
];
export const DASHES = ["", "7 4", "2 3", "9 3 2 3"];

export function lineStyle(index) {
  return {
    stroke: COLOURS[index % COLOURS.length],
    "stroke-dasharray": DASHES[index % DASHES.length] || null,
  };
}

/**
 * Draw `data` = {series: [{roomId, name, buckets: [{startMs, endMs, mean}]}], startMs, endMs,
 * stepMs, stepText, unit} into `host`; `readout` gets the means at the cursor's time, `cursor`
 * ({atMs}) keeps that time from one drawing to the next.
 */
export function drawOverlay(host, data, readout, cursor) {
  const { series, startMs, endMs, stepMs, unit } = data;
  const bounds = padded(series.flatMap((s) => s.buckets.map((b) => b.mean)));
  const { chart, width, height, pad, x, y, low, high } = frame(host, startMs, endMs, bounds);
  const middle = (b) => (Math.max(b.startMs, startMs) + Math.min(b.endMs, endMs)) / 2;
  chart.setAttribute(
    "aria-label",
    `Mean per ${data.stepText} of ${series.length} rooms, ${when(startMs)} to ${when(endMs)}`,
  );
  chart.append(valueAxis(low, high, y, pad.left, width - pad.right, unit));
  chart.append(timeAxis(startMs, endMs, x, height - pad.bottom, pad.top, width));
  series.forEach((one, index) => {
    const point = (b) => `${x(middle(b)).toFixed(1)},${y(b.mean).toFixed(1)}`;
    const runs = segments(one.buckets, stepMs);
    const line = runs.map((run) => `M${run.map(point).join("L")}`).join("");
    chart.append(
      svg("path", {
        class: "line",
        d: line,
        ...lineStyle(index),
        "data-room-id": one.roomId,
        "data-points": one.buckets.length,
        "data-means": one.buckets.map((b) => String(b.mean)).join(","),
      }),
    );
    const fill = lineStyle(index).stroke;
    for (const [b] of runs.filter((run) => run.length === 1))
      chart.append(svg("circle", { cx: x(middle(b)), cy: y(b.mean), r: 3, fill }));
  });
  const times = [...new Set(series.flatMap((s) => s.buckets.map(middle)))].sort((p, q) => p - q);
  const scale = { series, times, middle, x, top: pad.top, bottom: height - pad.bottom, unit };
  if (times.length) addCursor(chart, scale, readout, cursor);
  host.replaceChildren(chart);
}

function readoutText(at, scale) {
  const u = symbol(scale.unit);
  const parts = scale.series.map((one) => {
    const bucket = one.buckets.find((b) => scale.middle(b) === at);
    return `${one.name} ${bucket ? `${number(bucket.mean)} ${u}` : "no readings"}`;
  });
  const bucket = scale.series.flatMap((s) => s.buckets).find((b) => scale.middle(b) === at);
  return `${when(bucket.startMs)} – ${clock(bucket.endMs)}: ${parts.join(" · ")}`;
}

function addCursor(chart, scale, readout, cursor) {
  const marker = svg("line", {
    class: "cursor",
    y1: scale.top,
    y2: scale.bottom,
    visibility: "hidden",
  });
  chart.append(marker);
  const { times } = scale;
  const kept = times.indexOf(cursor.atMs);
  const show = (index) => {
    cursor.atMs = times[index];
    const at = scale.x(times[index]);
    marker.setAttribute("x1", at);
    marker.setAttribute("x2", at);
    marker.setAttribute("visibility", "visible");
    readout.textContent = readoutText(times[index], scale);
  };
  const xAt = (i) => scale.x(times[i]);
  const go = followCursor(chart, times.length, xAt, kept >= 0 ? kept : times.length - 1, show);
  if (kept >= 0) go(kept);
}
