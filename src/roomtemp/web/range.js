import { duration, fromWallClock, wallClock, zoneName } from "./format.js";

// Time ranges of the room view: presets, custom ranges, and a step giving a sensible point count.

export const PRESETS = { "6h": 6 * 3600, "24h": 24 * 3600, "7d": 7 * 86400, "30d": 30 * 86400 };
export const DEFAULT_PRESET = "24h";
const STEPS = [
  60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800,
];
const MOST_POINTS = 150;

// The smallest step that keeps the chart at or under MOST_POINTS buckets.
export function stepFor(startMs, endMs) {
  const seconds = (endMs - startMs) / 1000;
  return STEPS.find((step) => seconds / step <= MOST_POINTS) || STEPS[STEPS.length - 1];
}

// {preset} or {startMs, endMs} from the hash's query ("range=7d" or "start=…&end=…").
export function fromQuery(query) {
  const start = Date.parse(query.get("start") || "");
  const end = Date.parse(query.get("end") || "");
  if (Number.isFinite(start) && Number.isFinite(end) && start < end)
    return { startMs: start, endMs: end };
  const preset = query.get("range");
  return { preset: preset in PRESETS ? preset : DEFAULT_PRESET };
}

export function toQuery(range) {
  if (range.preset) return `range=${range.preset}`;
  return `start=${new Date(range.startMs).toISOString()}&end=${new Date(range.endMs).toISOString()}`;
}

// The instants of a range now: presets end at the current time.
export function resolve(range, nowMs) {
  if (range.preset) return { startMs: nowMs - PRESETS[range.preset] * 1000, endMs: nowMs };
  return { startMs: range.startMs, endMs: range.endMs };
}

// A value for <input type="datetime-local"> in the chosen time zone, and back.
export function toLocalInput(ms) {
  const w = wallClock(ms);
  const two = (n) => String(n).padStart(2, "0");
  return `${w.year}-${two(w.month)}-${two(w.day)}T${two(w.hour)}:${two(w.minute)}`;
}

export function fromLocalInput(text) {
  const found = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(text);
  if (!found) return null;
  const [year, month, day, hour, minute] = found.slice(1).map(Number);
  return fromWallClock(year, month, day, hour, minute);
}

// The stats query of a span: its step, and the zone when buckets are whole days.
export function statsQuery(span, unit) {
  const step = stepFor(span.startMs, span.endMs);
  return {
    start: new Date(span.startMs).toISOString(),
    end: new Date(span.endMs).toISOString(),
    step: duration(step),
    unit,
    tz: step % 86400 === 0 ? zoneName() : undefined,
  };
}
