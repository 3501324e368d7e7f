// A chart's cursor, moved by a mouse, a finger (touching or dragging: it goes where the pointer
// is), the arrow keys, Home and End.

/**
 * Wire `chart` to move a cursor over `count` points at x = `xAt(i)` px; `show(i)` draws it at
 * point i. Starts at `start` (drawn at the first move or focus); returns go(i) to move it.
 */
export function followCursor(chart, count, xAt, start, show) {
  let index = start;
  const go = (i) => {
    index = Math.max(0, Math.min(count - 1, i));
    show(index);
  };
  const follow = (event) => {
    const px = event.clientX - chart.getBoundingClientRect().left;
    let best = 0;
    for (let i = 1; i < count; i += 1)
      if (Math.abs(xAt(i) - px) < Math.abs(xAt(best) - px)) best = i;
    go(best);
  };
  for (const kind of ["pointermove", "pointerdown"]) chart.addEventListener(kind, follow);
  chart.addEventListener("keydown", (event) => {
    const moves = { ArrowLeft: index - 1, ArrowRight: index + 1, Home: 0, End: count - 1 };
    if (event.key in moves) {
      event.preventDefault();
      go(moves[event.key]);
    }
  });
  chart.addEventListener("focus", () => go(index));
  return go;
}
