// Units, numbers, times and comfort bands as people read them (times in the browser's zone).

const UNIT_KEY = "roomtemp.unit";
const SYMBOLS = { celsius: "°C", fahrenheit: "°F" };

export function getUnit() {
  return localStorage.getItem(UNIT_KEY) === "fahrenheit" ? "fahrenheit" : "celsius";
}

export function setUnit(unit) {
  localStorage.setItem(UNIT_KEY, unit);
}

export function symbol(unit) {
  return SYMBOLS[unit];
}

export function fromCelsius(value, unit) {
  return unit === "fahrenheit" ? (value * 9) / 5 + 32 : value;
}

export function toCelsius(value, unit) {
  return unit === "fahrenheit" ? ((value - 32) * 5) / 9 : value;
}

export function number(value, digits = 1) {
  return value === null || value === undefined ? "–" : value.toFixed(digits);
}

export function count(n, noun) {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

// A share (0..1) in whole percent, rounded down, so that anything short of all is below 100 %.
export function percent(share) {
  return `${Math.floor(share * 100 + 1e-9)} %`;
}

export function temperature(value, unit) {
  return `${number(value)} ${symbol(unit)}`;
}

export function signed(delta, unit) {
  const text = number(Math.abs(delta));
  const sign = Number(text) === 0 ? "±" : delta > 0 ? "+" : "−";
  return `${sign}${text} ${symbol(unit)}`;
}

export function age(seconds) {
  if (seconds < 60) return "just now";
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min ago` : `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

// How long something has lasted: "3 min", "2 h 10 min", "3 d 4 h".
export function elapsed(seconds) {
  const minutes = Math.max(0, Math.floor(seconds / 60));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  return hours % 24 ? `${Math.floor(hours / 24)} d ${hours % 24} h` : `${Math.floor(hours / 24)} d`;
}

const ZONE_KEY = "roomtemp.zone";
let formats = null;

function browserZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

// The time zone every time is shown in (and day buckets are cut in): chosen, else the browser's.
export function zoneName() {
  return localStorage.getItem(ZONE_KEY) || browserZone();
}

export function setZone(zone) {
  if (zone && zone !== browserZone()) localStorage.setItem(ZONE_KEY, zone);
  else localStorage.removeItem(ZONE_KEY);
  formats = null;
}

export function isZone(zone) {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: zone });
    return Boolean(zone);
  } catch {
    return false;
  }
}

export function zones() {
  const known = Intl.supportedValuesOf ? Intl.supportedValuesOf("timeZone") : [];
  return [...new Set([...known, "UTC", zoneName()])].sort();
}

function format(kind) {
  if (!formats || formats.zone !== zoneName()) {
    const timeZone = zoneName();
    formats = {
      zone: timeZone,
      when: new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", timeZone }),
      clock: new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", timeZone }),
      day: new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", timeZone }),
      parts: new Intl.DateTimeFormat("en-US", {
        timeZone,
        hourCycle: "h23",
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
      }),
    };
  }
  return formats[kind];
}

export function when(instant) {
  return format("when").format(new Date(instant));
}

export function clock(instant) {
  return format("clock").format(new Date(instant));
}

export function day(instant) {
  return format("day").format(new Date(instant));
}

// The wall-clock time of an instant in the chosen zone: {year, month, day, hour, minute}.
export function wallClock(ms) {
  const found = {};
  for (const part of format("parts").formatToParts(new Date(ms)))
    if (part.type !== "literal") found[part.type] = Number(part.value);
  return found;
}

// The instant at which the chosen zone's clock shows this wall-clock time (the earlier of two).
export function fromWallClock(year, month, dayOfMonth, hour, minute) {
  const asUtc = Date.UTC(year, month - 1, dayOfMonth, hour, minute);
  const offset = (ms) => {
    const w = wallClock(ms);
    return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute) - ms;
  };
  const first = asUtc - offset(asUtc);
  return asUtc - offset(first);
}

export function bandText(comfort, unit) {
  const low = comfort.min_celsius;
  const high = comfort.max_celsius;
  const show = (v) => number(fromCelsius(v, unit));
  if (low !== null && high !== null) return `${show(low)}–${show(high)} ${symbol(unit)}`;
  if (low !== null) return `≥ ${show(low)} ${symbol(unit)}`;
  if (high !== null) return `≤ ${show(high)} ${symbol(unit)}`;
  return "no comfort band";
}

// Prometheus-style duration for the API: 300 -> "5m", 7200 -> "2h", 86400 -> "1d".
export function duration(seconds) {
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
