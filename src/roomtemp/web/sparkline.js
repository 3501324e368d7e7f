// The 24 h sparklines of the overview's tiles: hourly means, loaded only for tiles in view, a few at
// a time, and kept for five minutes, so that a refresh of the overview asks for none of them.

import { getJson } from "./api.js";
import { svg } from "./dom.js";

const DAY = 24 * 3_600_000;
const KEPT_MS = 5 * 60_000;
const AT_ONCE = 4;

function draw(node, buckets, startMs, endMs) {
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

/** Sparklines for tiles: `observe(node, roomId, spark)` once per tile; `unit` is read at load. */
export function sparklines(unit) {
  const kept = new Map(); // room id -> {at, unit, buckets, startMs, endMs}
  const queue = [];
  let running = 0;
  const load = async (roomId, spark) => {
    running += 1;
    const endMs = Date.now();
    const startMs = endMs - DAY;
    const query = {
      start: new Date(startMs).toISOString(),
      end: new Date(endMs).toISOString(),
      step: "1h",
      unit: unit(),
    };
    try {
      const stats = await getJson(`/rooms/${encodeURIComponent(roomId)}/stats`, query);
      kept.set(roomId, { at: Date.now(), unit: query.unit, buckets: stats.buckets, startMs, endMs });
      if (stats.buckets.length) draw(spark, stats.buckets, startMs, endMs);
    } catch {
      // a sparkline is a hint: without it the tile still says everything
    } finally {
      running -= 1;
      next();
    }
  };
  const next = () => {
    while (running < AT_ONCE && queue.length) load(...queue.shift());
  };
  const want = (roomId, spark) => {
    const known = kept.get(roomId);
    if (known && known.unit === unit() && Date.now() - known.at < KEPT_MS) return;
    if (queue.some(([id]) => id === roomId)) return;
    kept.set(roomId, { at: Date.now(), unit: unit(), buckets: [] }); // asked for: not again soon
    queue.push([roomId, spark]);
    next();
  };
  const sparks = new Map();
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries)
        if (entry.isIntersecting) want(entry.target.dataset.roomId, sparks.get(entry.target));
    },
    { rootMargin: "200px" },
  );
  return {
    observe(node, spark) {
      sparks.set(node, spark);
      observer.observe(node);
    },
    // tiles already in view after a refresh or a change of unit
    recheck() {
      for (const [node, spark] of sparks) {
        const box = node.getBoundingClientRect();
        if (box.bottom > -200 && box.top < window.innerHeight + 200 && node.isConnected)
          want(node.dataset.roomId, spark);
      }
    },
    stop() {
      observer.disconnect();
    },
  };
}
