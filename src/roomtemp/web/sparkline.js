// The last 24 hours of each room as hourly means, for the tiles' sparklines and the heat-map:
// loaded only for what is in view, a few at a time, and kept five minutes, so that a refresh of
// the overview asks for none of them.

import { getJson } from "./api.js";
import { svg } from "./dom.js";

const DAY = 24 * 3_600_000;
const KEPT_MS = 5 * 60_000;
const AT_ONCE = 4;

/** `get(roomId)`: a promise of {buckets, startMs, endMs} in the unit `unit()` gives now. */
export function hourlyMeans(unit) {
  const kept = new Map(); // room id -> {at, unit, promise}
  const queue = [];
  let running = 0;
  const next = () => {
    while (running < AT_ONCE && queue.length) {
      const [roomId, settle] = queue.shift();
      running += 1;
      const endMs = Date.now();
      const startMs = endMs - DAY;
      const query = {
        start: new Date(startMs).toISOString(),
        end: new Date(endMs).toISOString(),
        step: "1h",
        unit: unit(),
      };
      getJson(`/rooms/${encodeURIComponent(roomId)}/stats`, query)
        .then((stats) => settle({ buckets: stats.buckets, startMs, endMs }))
        .catch(() => settle({ buckets: [], startMs, endMs })) // a hint: the rest still shows
        .finally(() => {
          running -= 1;
          next();
        });
    }
  };
  return {
    get(roomId) {
      const known = kept.get(roomId);
      if (known && known.unit === unit() && Date.now() - known.at < KEPT_MS) return known.promise;
      const promise = new Promise((settle) => queue.push([roomId, settle]));
      kept.set(roomId, { at: Date.now(), unit: unit(), promise });
      next();
      return promise;
    },
  };
}

function draw(node, { buckets, startMs, endMs }) {
  if (!buckets.length) return;
  const means = buckets.map((b) => b.mean);
  const low = Math.min(...means);
  const high = Math.max(...means);
  const x = (b) => ((Date.parse(b.start) + Date.parse(b.end)) / 2 - startMs) / (endMs - startMs);
  const y = (v) => (high === low ? 0.5 : (high - v) / (high - low));
  const points = buckets.map((b) => `${(x(b) * 100).toFixed(1)},${(2 + y(b.mean) * 20).toFixed(1)}`);
  node.replaceChildren(svg("polyline", { points: points.join(" ") }));
  if (buckets.length === 1) {
    const [px, py] = points[0].split(",");
    node.append(svg("circle", { cx: px, cy: py, r: 1.5 })); // one hour: a dot, not nothing
  }
  node.setAttribute("data-points", String(buckets.length));
  node.setAttribute("data-values", means.map((v) => v.toFixed(2)).join(","));
}

/** Calls `show(node)` for each observed node when it comes into view (or is in view at a check). */
export function whenInView(show) {
  const nodes = new Set();
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) if (entry.isIntersecting) show(entry.target);
    },
    { rootMargin: "200px" },
  );
  return {
    observe(node) {
      nodes.add(node);
      observer.observe(node);
    },
    recheck() {
      for (const node of nodes) {
        const box = node.getBoundingClientRect();
        if (node.isConnected && box.bottom > -200 && box.top < window.innerHeight + 200) show(node);
      }
    },
    clear() {
      for (const node of nodes) observer.unobserve(node);
      nodes.clear();
    },
    stop() {
      observer.disconnect();
    },
  };
}

/** Sparklines for tiles, from `means` (hourlyMeans): `observe(tileNode, sparkNode)`. */
export function sparklines(means) {
  const sparks = new Map();
  const seen = whenInView((node) => {
    means.get(node.dataset.roomId).then((found) => draw(sparks.get(node), found));
  });
  return {
    observe(node, spark) {
      sparks.set(node, spark);
      seen.observe(node);
    },
    recheck: seen.recheck,
    stop: seen.stop,
  };
}
