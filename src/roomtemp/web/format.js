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

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayOnly = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });

export function when(instant) {
  return dateTime.format(new Date(instant));
}

export function clock(instant) {
  return timeOnly.format(new Date(instant));
}

export function day(instant) {
  return dayOnly.format(new Date(instant));
}

export function zoneName() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
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
