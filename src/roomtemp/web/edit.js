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
  const note = h("p", { class: "form-note", role: "status" });
  const form = h(
    "form",
    { class: "edit" },
    ...field("Name", "name"),
    ...field("Building", "building"),
    ...field("Floor", "floor"),
    ...low,
    ...high,
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
  };
  const show = (latest) => {
    room = latest;
    if (!box.open) fill(); // never overwrite what someone is typing
  };
  box.addEventListener("toggle", () => {
    if (box.open) fill();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = (name) => form.elements[name].value.trim() || null;
    const limit = (name) =>
      text(name) === null ? null : Math.round(fmt.toCelsius(Number(text(name)), unit) * 100) / 100;
    const body = {
      name: text("name"),
      building: text("building"),
      floor: text("floor"),
      labels: room.labels,
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
