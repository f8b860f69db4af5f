// The compas_cloud dashboard: polls /api/state (same origin) once a second and draws it.
// The token, when the server needs one, lives in this tab's sessionStorage only.
"use strict";

const KEY = "compas_cloud.token";
const POLL_MS = 1000;
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem(KEY) || "";
let canAct = false;

function headers() {
  return token ? { Authorization: "Bearer " + token } : {};
}

function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === "text") node.textContent = value;
    else if (name === "onclick") node.addEventListener("click", value);
    else node.setAttribute(name, value);
  }
  for (const child of children || []) node.append(child);
  return node;
}

function row(cells, attrs) {
  return el("tr", attrs, cells.map((cell) => (cell instanceof Node ? el("td", {}, [cell]) : el("td", { text: String(cell) }))));
}

function fill(tableId, rows, columns, emptyText) {
  const body = $(tableId).querySelector("tbody");
  body.replaceChildren(...(rows.length ? rows : [el("tr", {}, [el("td", { class: "empty", colspan: columns, text: emptyText })])]));
}

function bytes(n) {
  if (n === null || n === undefined) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
  return (i ? n.toFixed(1) : n) + " " + units[i];
}

function seconds(s) {
  if (s < 1) return (s * 1000).toFixed(0) + " ms";
  if (s < 120) return s.toFixed(1) + " s";
  if (s < 7200) return (s / 60).toFixed(1) + " min";
  return (s / 3600).toFixed(1) + " h";
}

function clock(t) {
  return t ? new Date(t * 1000).toLocaleTimeString() : "—";
}

function progressBar(progress) {
  if (!progress) return el("span", { class: "empty", text: "no report" });
  const total = progress.total;
  const fraction = total ? Math.max(0, Math.min(1, progress.done / total)) : null;
  const label = (total ? progress.done + " / " + total : String(progress.done)) + (progress.message ? " · " + progress.message : "");
  const fill = el("span", { class: fraction === null ? "unknown" : "" });
  fill.style.width = (fraction === null ? 100 : fraction * 100) + "%"; // CSSOM: the page's CSP forbids style attributes
  return el("div", { class: "bar", title: label, "data-done": String(progress.done), "data-total": String(total) }, [
    fill, el("em", { class: "progress-label", text: label }),
  ]);
}

async function act(query, confirmText) {
  if (confirmText && !window.confirm(confirmText)) return;
  const answer = await fetch("/api/action?" + query, { headers: headers(), cache: "no-store" });
  $("message").textContent = answer.ok ? "done: " + query : "refused (" + answer.status + "): " + (await answer.text());
}

function draw(state) {
  const limits = state.limits;
  canAct = Boolean(state.actions && token);
  $("shutdown").hidden = !canAct;
  $("address").textContent = state.server.address + (state.server.options.tls ? " (TLS)" : "");
  $("clients-count").textContent = "(" + state.clients.length + ")";
  fill("clients", state.clients.map((c) => row([
    c.connection, c.address, c.runtime || "—",
    (c.client || "?") + " " + (c.client_version || "") + (c.transport ? " (" + c.transport + ")" : ""),
    clock(c.connected), c.calls, c.references,
    bytes(c.stored_bytes) + (limits.connection_memory ? " of " + bytes(limits.connection_memory) : ""),
    canAct && c.references ? el("button", { text: "free references", onclick: () => act("do=free&connection=" + c.connection, "Free every reference of client " + c.connection + "?") }) : "",
  ], { "data-connection": String(c.connection) })), 9, "no client connected");
  $("running-count").textContent = "(" + state.running.length + ")";
  fill("running", state.running.map((call) => row([
    call.connection === null ? "—" : call.connection, call.call === null ? "—" : call.call,
    el("span", { class: "function", text: call.function }), seconds(call.elapsed), progressBar(call.progress),
    canAct && call.call !== null ? el("button", { text: "cancel", onclick: () => act("do=cancel&connection=" + call.connection + "&call=" + encodeURIComponent(call.call)) }) : "",
  ], { class: "running-call" })), 6, "no call running");
  fill("recent", state.recent.map((call) => row([
    clock(call.ended), call.connection === null ? "—" : call.connection, call.call === null ? "—" : call.call,
    el("span", { class: "function", text: call.function }),
    el("span", { class: "outcome-" + call.outcome, text: call.outcome }), seconds(call.duration),
    call.error ? el("span", { class: "detail", title: call.error, text: call.error }) : "",
  ], { class: "outcome-row-" + call.outcome })), 7, "no call yet");
  const batches = $("batches");
  batches.replaceChildren(...(state.batches.length ? state.batches.map((b) => el("div", { class: "batch" }, [
    el("div", { text: "batch " + b.batch + " of client " + b.connection + ": " + b.state + " — " +
      Object.entries(b.counts).filter(([, n]) => n).map(([s, n]) => n + " " + s).join(", ") }),
    el("div", {}, b.tasks.map((t) => el("span", { class: "task " + t.state, title: "task " + t.task + ": " + t.function + " (" + t.state + ")" }))),
  ])) : [el("p", { class: "empty", text: "no batch running" })]));
  drawResultCache(state.result_cache);
  const shared = state.shared || { names: [], bytes: 0 };
  $("shared-count").textContent = "(" + shared.names.length + (shared.names.length ? ", " + bytes(shared.bytes) : "") + ")";
  fill("shared", shared.names.map((item) => row([
    el("span", { class: "function", text: item.name }), item.type, bytes(item.bytes),
  ], { "data-name": item.name })), 3, "nothing shared (proxy.share(ref, name) publishes a stored value)");
  const server = state.server;
  const items = [
    ["address", server.address], ["uptime", seconds(server.uptime)], ["pid", server.pid],
    ["versions", Object.entries(server.versions).filter(([, v]) => v).map(([k, v]) => k + " " + v).join(", ")],
    ["stored references", state.totals.references + " (" + bytes(state.totals.stored_bytes) + (limits.total_memory ? " of " + bytes(limits.total_memory) : "") + ")"],
    ["calls", Object.entries(state.totals.calls).map(([k, v]) => v + " " + k).join(", ")],
    ["bytes in / out", bytes(state.totals.bytes_in) + " / " + bytes(state.totals.bytes_out)],
    ["refused handshakes", state.totals.refused_handshakes],
  ];
  for (const [name, value] of Object.entries(server.options)) {
    items.push([name, typeof value === "object" && value !== null ? JSON.stringify(value) : String(value)]);
  }
  $("server").replaceChildren(...items.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: String(v) })]));
}

function drawResultCache(cache) {
  let items;
  if (!cache || !cache.enabled) {
    items = [["state", "off (start the server with --result-cache MIB to keep results of calls made with cache_result=True)"]];
  } else {
    const asked = cache.hits + cache.misses;
    items = [
      ["hits", cache.hits + (asked ? " (" + Math.round((100 * cache.hits) / asked) + "% of " + asked + ")" : "")],
      ["misses", cache.misses],
      ["entries", cache.entries],
      ["size", bytes(cache.bytes) + " of " + bytes(cache.max_bytes)],
      ["evictions", cache.evictions],
      ["uncacheable calls", cache.uncacheable],
    ];
  }
  $("result-cache").replaceChildren(...items.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: String(v), "data-key": k })]));
}

async function health() {
  try {
    const answer = await fetch("/healthz", { cache: "no-store" });
    const body = await answer.json();
    $("health").textContent = body.status + " · " + body.connections + " connected · " + body.calls_running + " running";
    $("health").className = "badge " + (answer.ok ? "ok" : "bad");
  } catch (error) {
    $("health").textContent = "unreachable";
    $("health").className = "badge bad";
  }
}

async function poll() {
  await health();
  let answer;
  try {
    answer = await fetch("/api/state", { headers: headers(), cache: "no-store" });
  } catch (error) {
    $("message").textContent = "the server does not answer";
    return;
  }
  if (answer.status === 401) {
    $("main").hidden = true;
    $("main").querySelectorAll("tbody, #batches, #server, #result-cache").forEach((node) => node.replaceChildren());
    $("login").hidden = false;
    $("forget").hidden = true;
    $("login-error").textContent = token ? "that token was refused" : "";
    return;
  }
  if (!answer.ok) {
    $("message").textContent = "refused (" + answer.status + "): " + (await answer.text());
    return;
  }
  $("login").hidden = true;
  $("main").hidden = false;
  $("forget").hidden = !token;
  draw(await answer.json());
  $("message").textContent = "updated " + new Date().toLocaleTimeString();
  document.body.dataset.loaded = "yes";
}

document.querySelectorAll("#token-help .port").forEach((node) => {
  node.textContent = location.port || (location.protocol === "https:" ? "443" : "80");
});
$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  token = $("token").value.trim();
  sessionStorage.setItem(KEY, token);
  $("token").value = "";
  poll();
});
$("forget").addEventListener("click", () => { token = ""; sessionStorage.removeItem(KEY); poll(); });
$("shutdown").addEventListener("click", () => act("do=shutdown", "Shut the server down? Running calls get the shutdown grace period."));

poll();
setInterval(poll, POLL_MS);
