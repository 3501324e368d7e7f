// Start-up: header controls (unit, token), the hash router, and one refresh loop for the view.

import { getToken, setToken } from "./api.js";
import * as fmt from "./format.js";
import { mountOverview } from "./overview.js";

// The room and compare views are loaded when first needed (and in the background once the first
// view has answered), so that the first tiles wait for fewer files.
const room = () => import("./room.js");
const compare = () => import("./compare.js");

const REFRESH_MS = 30_000;
const main = document.getElementById("view");
const message = document.getElementById("message");
const refreshed = document.getElementById("refreshed");
let current = null;
let timer = null;
let running = false;
let again = false;
let routed = 0;
let warm = false;

const ctx = {
  unit: fmt.getUnit,
  refresh: () => refresh(),
  report(error) {
    message.textContent = error.message;
    message.dataset.status = error.status === undefined ? "" : String(error.status);
    message.hidden = false;
  },
  ok() {
    message.hidden = true;
    message.textContent = "";
    refreshed.textContent = `Updated ${fmt.clock(Date.now())}, every ${REFRESH_MS / 1000} s`;
  },
};

// One refresh at a time, so that an older answer never lands after a newer one.
async function refresh() {
  if (running) {
    again = true;
    return;
  }
  if (!current) return; // a view still loading: it refreshes once mounted
  clearTimeout(timer);
  // armed at the start: a refresh still waiting for its answers when the time comes runs again
  // right after it, so the cadence does not stretch by the answers' time
  timer = setTimeout(refresh, REFRESH_MS);
  running = true;
  try {
    await current.refresh();
  } finally {
    running = false;
  }
  if (!warm) {
    warm = true;
    Promise.all([room(), compare()]).catch(() => {}); // a failure is reported when needed
  }
  if (again) {
    again = false;
    refresh();
  }
}

// The view the hash names, mounted (a promise when its module is not loaded yet).
function mount(path, params) {
  const roomId = /^\/room\/([^/]+)$/.exec(path);
  if (roomId)
    return room().then((m) => () => m.mountRoom(main, ctx, decodeURIComponent(roomId[1]), params));
  if (path === "/compare") return compare().then((m) => () => m.mountCompare(main, ctx, params));
  return null;
}

async function route() {
  const turn = (routed += 1);
  if (current) current.unmount();
  current = null;
  const [path, query = ""] = window.location.hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(query);
  const loading = mount(path, params);
  let later = null;
  try {
    later = loading && (await loading);
  } catch {
    ctx.report(new Error("This view could not be loaded. Is the server running? Reload to retry."));
    return;
  }
  if (turn !== routed) return; // a newer navigation came first
  current = later ? later() : mountOverview(main, ctx, params);
  document.title = `${current.title} · roomtemp`;
  refresh();
}

function setupUnits() {
  const buttons = document.querySelectorAll("[data-unit]");
  const mark = () => {
    for (const button of buttons)
      button.setAttribute("aria-pressed", String(button.dataset.unit === fmt.getUnit()));
  };
  for (const button of buttons) {
    button.addEventListener("click", () => {
      fmt.setUnit(button.dataset.unit);
      mark();
      refresh();
    });
  }
  mark();
}

function setupToken() {
  const form = document.getElementById("token-form");
  const input = document.getElementById("token-input");
  const state = document.getElementById("token-state");
  const show = () => {
    state.textContent = getToken() ? "A token is saved in this browser." : "No token saved.";
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    setToken(input.value.trim());
    input.value = "";
    show();
    form.closest("details").open = false;
    refresh();
  });
  document.getElementById("token-clear").addEventListener("click", () => {
    setToken("");
    show();
    form.closest("details").open = false;
    refresh();
  });
  show();
}

// Any IANA name (the list offers the browser's; aliases such as Asia/Kolkata are taken too).
function setupZone() {
  const input = document.getElementById("zone-input");
  document.getElementById("zone-list").replaceChildren(
    ...fmt.zones().map((zone) => {
      const option = document.createElement("option");
      option.value = zone;
      return option;
    }),
  );
  input.value = fmt.zoneName();
  input.addEventListener("change", () => {
    const zone = input.value.trim();
    if (!fmt.isZone(zone)) {
      input.setAttribute("aria-invalid", "true");
      return;
    }
    input.removeAttribute("aria-invalid");
    fmt.setZone(zone);
    refresh();
  });
}

route(); // first: the view's requests are on their way while the header's controls are set up
setupZone();
setupUnits();
setupToken();
window.addEventListener("hashchange", () => {
  route();
  main.focus({ preventScroll: true });
});
