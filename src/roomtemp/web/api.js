// Talking to the roomtemp API: the bearer token, JSON and CSV reads, and errors people can act on.

const TOKEN_KEY = "roomtemp.token";

export class ApiError extends Error {
  constructor(status, detail, retryAfter) {
    super(describe(status, detail, retryAfter));
    this.status = status;
    this.detail = detail;
  }
}

export function getToken() {
  return localStorage.getItem(TOKEN_KEY) || "";
}

export function setToken(token) {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

export function apiUrl(path, params = {}) {
  const url = new URL(`/api/v1${path}`, window.location.origin);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  return url;
}

async function send(url, init = {}) {
  const headers = new Headers(init.headers);
  const token = getToken();
  if (token) headers.set("Authorization", `Bearer ${token}`);
  let response;
  try {
    response = await fetch(url, { ...init, headers, cache: "no-store" });
  } catch {
    throw new ApiError(0, null, null);
  }
  if (!response.ok) {
    let detail = null;
    try {
      detail = (await response.json()).detail;
    } catch {
      detail = null;
    }
    throw new ApiError(response.status, detail, response.headers.get("Retry-After"));
  }
  return response;
}

export async function getJson(path, params) {
  return (await send(apiUrl(path, params))).json();
}

export async function putJson(path, body) {
  const init = {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
  return (await send(apiUrl(path), init)).json();
}

// Whether the saved token may change this room's metadata. No request says so, so ask for a change
// that the server refuses whatever the scope: an invalid body is a 422 for an admin token, and a
// 403 (before the body is looked at) for any other; nothing is stored either way.
const editable = new Map();
export async function mayEdit(roomId) {
  const token = getToken();
  if (!token) return true; // an open server, or one that will say 401 to everything
  const key = `${token}\n${roomId}`;
  if (!editable.has(key)) {
    const init = {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ comfort: "probe" }),
    };
    try {
      await send(apiUrl(`/rooms/${encodeURIComponent(roomId)}`), init);
      editable.set(key, true);
    } catch (error) {
      editable.set(key, error.status === 422);
    }
  }
  return editable.get(key);
}

// Every page of the rooms list (the first of `firstLimit` rooms when given); `shown(rooms)`, if
// given, gets what has arrived after each page.
export async function allRooms(unit, firstLimit, shown) {
  const rooms = [];
  let cursor = null;
  do {
    const limit = rooms.length ? undefined : firstLimit;
    const page = await getJson("/rooms", { unit, cursor, limit });
    rooms.push(...page.rooms);
    cursor = page.next_cursor;
    if (shown) shown(rooms.slice());
  } while (cursor);
  return rooms;
}

// Every page of a CSV answer, following Link: <...>; rel="next", as one text with one header.
export async function getCsvPages(path, params) {
  let url = apiUrl(path, { ...params, format: "csv" });
  const parts = [];
  while (url) {
    const response = await send(url);
    const text = await response.text();
    parts.push(parts.length ? text.slice(text.indexOf("\n") + 1) : text);
    const next = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get("Link") || "");
    url = next ? new URL(next[1], window.location.origin) : null;
  }
  return parts.join("");
}

function detailText(detail) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) return detail.map((item) => item.msg).join("; ");
  return "";
}

function sentence(lead, detail) {
  const why = detailText(detail).replace(/\.$/, "");
  return why ? `${lead}: ${why}.` : `${lead}.`;
}

function describe(status, detail, retryAfter) {
  if (status === 0) return "Cannot reach the roomtemp server. Is it running? Retrying.";
  if (status === 401) {
    return getToken()
      ? "The server refused the access token (401). Check it under “Access token”."
      : "The server needs an access token (401). Enter one under “Access token”.";
  }
  if (status === 403) return sentence("Your access token is not allowed to do this (403)", detail);
  if (status === 404) return sentence("Not found (404)", detail);
  if (status >= 500) {
    const again = retryAfter
      ? ` Retrying (the server asks to wait ${retryAfter} s).`
      : " Retrying.";
    return sentence(`The server could not answer (${status})`, detail) + again;
  }
  return sentence(`The request failed (${status})`, detail);
}
