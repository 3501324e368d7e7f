// The form that edits a room's name, building, floor and comfort band (PUT replaces them all).

import { putJson } from "./api.js";
import { h } from "./dom.js";
import * as fmt from "./format.js";

/**
 * The form in a <details> box, and show(room) to give it the room's latest metadata; the fields
 * are filled on opening, in the unit chosen then, and never overwritten while it is open.
 */
export function editForm(roomId, ctx, onSaved) {
  const field = (label, name, type = "text") => {
    const input = h("input", {
      name,
      id: `edit-${name}`,
      type,
      step: type === "number" ? "0.1" : null,
    });
    return [h("label", { for: `edit-${name}` }, label), input];
  };
  const low = field("Comfort minimum", "low", "number");
  const high = field("Comfort maximum", "high", "number");
  const labels = h("textarea", { name: "labels", id: "edit-labels", rows: "3", spellcheck: "false" });
  const note = h("p", { class: "form-note", role: "status" });
  const form = h(
    "form",
    { class: "edit" },
    ...field("Name", "name"),
    ...field("Building", "building"),
    ...field("Floor", "floor"),
    ...low,
    ...high,
    h("label", { for: "edit-labels" }, "Labels (one key=value a line)"),
    labels,
    h("button", { type: "submit" }, "Save"),
    note,
  );
  const box = h("details", { class: "panel" }, h("summary", {}, "Edit room details"), form);
  let room = null;
  let unit = ctx.unit(); // the unit the comfort fields were filled in, used again on saving
  const fill = () => {
    if (!room) return;
    unit = ctx.unit();
    low[0].textContent = `Comfort minimum (${fmt.symbol(unit)})`;
    high[0].textContent = `Comfort maximum (${fmt.symbol(unit)})`;
    form.elements.name.value = room.name || "";
    form.elements.building.value = room.building || "";
    form.elements.floor.value = room.floor || "";
    const limit = (v) =>
      v === null ? "" : String(Math.round(fmt.fromCelsius(v, unit) * 100) / 100);
    form.elements.low.value = limit(room.comfort.min_celsius);
    form.elements.high.value = limit(room.comfort.max_celsius);
    labels.value = Object.entries(room.labels)
      .map(([key, value]) => `${key}=${value}`)
      .join("\n");
  };
  let typed = false; // since the box was opened
  form.addEventListener("input", () => {
    typed = true;
  });
  const show = (latest) => {
    room = latest;
    if (!box.open) fill(); // never overwrite what someone is typing
  };
  box.addEventListener("toggle", () => {
    // the event comes a moment after the box opened: what was typed by then stays
    if (box.open && !typed) fill();
    if (!box.open) typed = false;
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = (name) => form.elements[name].value.trim() || null;
    const limit = (name) =>
      text(name) === null ? null : Math.round(fmt.toCelsius(Number(text(name)), unit) * 100) / 100;
    const problem = checked(text("low"), text("high"), unit) || labelProblem(labels.value);
    if (problem) {
      note.textContent = problem; // said in the form's unit, before anything is sent
      return;
    }
    const body = {
      name: text("name"),
      building: text("building"),
      floor: text("floor"),
      labels: parsedLabels(labels.value),
      comfort: { min_celsius: limit("low"), max_celsius: limit("high") },
    };
    try {
      await putJson(`/rooms/${encodeURIComponent(roomId)}`, body);
      note.textContent = "Saved.";
      box.open = false;
      onSaved();
    } catch (error) {
      note.textContent = error.message;
    }
  });
  return { box, show };
}

// Why the band cannot be saved (null: it can), in the unit the form shows.
function checked(low, high, unit) {
  if (low === null || high === null || Number(low) < Number(high)) return null;
  const u = fmt.symbol(unit);
  return `The comfort minimum (${low} ${u}) must be below the maximum (${high} ${u}).`;
}

function labelLines(text) {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}

function labelProblem(text) {
  const bad = labelLines(text).find((line) => !/^[^=]+=/.test(line));
  return bad ? `A label needs a key and a value, like wing=east: “${bad}”.` : null;
}

function parsedLabels(text) {
  const found = {};
  for (const line of labelLines(text)) {
    const at = line.indexOf("=");
    found[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return found;
}
