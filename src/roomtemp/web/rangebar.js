// The range controls of the history views: preset buttons and a custom range, read in the
// chosen time zone; `show(range, span)` marks what is shown.

import { h } from "./dom.js";
import * as ranges from "./range.js";

/** `onPick(range)` gets {preset} or {startMs, endMs}; a bad custom range goes to ctx.report. */
export function rangeBar(ctx, onPick) {
  const buttons = Object.keys(ranges.PRESETS).map((name) =>
    h("button", { type: "button", "data-preset": name, "aria-pressed": "false" }, name),
  );
  for (const button of buttons)
    button.addEventListener("click", () => onPick({ preset: button.dataset.preset }));
  const startInput = h("input", { type: "datetime-local", id: "range-start" });
  const endInput = h("input", { type: "datetime-local", id: "range-end" });
  const form = h(
    "form",
    { class: "custom" },
    h("label", { for: "range-start" }, "From"),
    startInput,
    h("label", { for: "range-end" }, "To"),
    endInput,
    h("button", { type: "submit" }, "Show"),
  );
  const custom = h("details", { class: "custom-box" }, h("summary", {}, "Custom range"), form);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const startMs = ranges.fromLocalInput(startInput.value);
    const endMs = ranges.fromLocalInput(endInput.value);
    if (startMs === null || endMs === null || startMs >= endMs) {
      ctx.report(new Error("Choose a start before the end of the range."));
      return;
    }
    onPick({ startMs, endMs });
  });
  return {
    presets: h("div", { class: "presets", role: "group", "aria-label": "Range" }, ...buttons),
    custom,
    show(range, span) {
      for (const button of buttons)
        button.setAttribute("aria-pressed", String(button.dataset.preset === range.preset));
      custom.classList.toggle("active", !range.preset);
      if (!custom.open) {
        startInput.value = ranges.toLocalInput(span.startMs);
        endInput.value = ranges.toLocalInput(span.endMs);
      }
    },
  };
}
