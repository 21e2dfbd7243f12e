// dropgate's web page: log in, upload bundles with tus 1.0 (resumable across cuts and reloads),
// see verdicts; support lists, filters, searches and downloads. No libraries: the tus client
// below is the little the page needs (POST to create, PATCH in chunks, HEAD to resume).
"use strict";

const CHUNK = 8 * 1024 * 1024;  // bytes per PATCH: progress and retries come in these steps
const $ = (selector) => document.querySelector(selector);
let session = { user: null, role: null, csrf: "" };

function api(method, url, options = {}) {
  const headers = Object.assign({ "X-CSRF-Token": session.csrf }, options.headers || {});
  return fetch(url, Object.assign({ method, credentials: "same-origin" }, options, { headers }));
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

function seconds(s) {
  if (!isFinite(s)) return "";
  if (s < 60) return `${Math.ceil(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.ceil(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.ceil((s % 3600) / 60)} min`;
}

// ---- tus client ----------------------------------------------------------------------------

function fingerprint(file) {
  return `dropgate-tus:${session.user}:${file.name}:${file.size}:${file.lastModified}`;
}

function b64(text) {
  return btoa(unescape(encodeURIComponent(text)));
}

async function tusOffset(url) {
  const head = await api("HEAD", url, { headers: { "Tus-Resumable": "1.0.0" } });
  if (head.status === 410 || head.status === 404) return { gone: head.status };
  if (!head.ok) throw new Error(`HEAD ${head.status}`);
  return { offset: Number(head.headers.get("Upload-Offset")) };
}

async function tusCreate(file) {
  const made = await api("POST", "/files/", {
    headers: {
      "Tus-Resumable": "1.0.0",
      "Upload-Length": String(file.size),
      "Upload-Metadata": `filename ${b64(file.name)},filetype ${b64(file.type || "application/gzip")}`,
    },
  });
  if (made.status !== 201) throw { verdict: await made.text(), status: made.status };
  return made.headers.get("Location");
}

// One PATCH with XHR (fetch has no upload progress). Resolves with the response.
function tusPatch(url, file, offset, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PATCH", url);
    xhr.setRequestHeader("Tus-Resumable", "1.0.0");
    xhr.setRequestHeader("Upload-Offset", String(offset));
    xhr.setRequestHeader("Content-Type", "application/offset+octet-stream");
    xhr.setRequestHeader("X-CSRF-Token", session.csrf);
    xhr.upload.onprogress = (e) => onProgress(offset + e.loaded);
    xhr.onload = () => resolve(xhr);
    xhr.onerror = () => reject(new Error("network"));
    xhr.onabort = () => reject(new Error("aborted"));
    xhr.send(file.slice(offset, Math.min(file.size, offset + CHUNK)));
  });
}

async function upload(file, view) {
  const key = fingerprint(file);
  let url = localStorage.getItem(key);
  let offset = 0;
  if (url) {
    const at = await tusOffset(url).catch(() => ({ gone: 404 }));
    if (at.gone) { localStorage.removeItem(key); url = null; } else offset = at.offset;
  }
  if (!url) {
    url = await tusCreate(file);
    localStorage.setItem(key, url);
  }
  view.start(offset);
  let failures = 0;
  while (offset < file.size || file.size === 0) {
    let reply;
    try {
      reply = await tusPatch(url, file, offset, view.progress);
    } catch (e) {  // the connection broke: wait, ask where it stands, go on
      failures++;
      view.note(`connection lost, retrying (${failures})`);
      await new Promise((r) => setTimeout(r, Math.min(30000, 500 * 2 ** failures)));
      const at = await tusOffset(url).catch(() => null);
      if (at && at.gone) { localStorage.removeItem(key); throw { verdict: "the upload is gone", status: at.gone }; }
      if (at) offset = at.offset;
      continue;
    }
    if (reply.status === 204) {
      failures = 0;
      offset = Number(reply.getResponseHeader("Upload-Offset"));
      view.progress(offset);
      if (file.size === 0) break;
      continue;
    }
    if (reply.status === 409) {  // not at the server's offset: take it from the answer
      offset = Number(reply.getResponseHeader("Upload-Offset"));
      continue;
    }
    localStorage.removeItem(key);  // refused: a verdict, not a network problem
    throw { verdict: reply.responseText.trim(), status: reply.status };
  }
  localStorage.removeItem(key);
}

function transferRow(file) {
  const row = $("#transfers tbody").insertRow();
  row.dataset.name = file.name;
  cell(row, file.name);
  const bar = document.createElement("progress");
  bar.max = file.size || 1;
  bar.value = 0;
  row.insertCell().appendChild(bar);
  const speed = cell(row, ""), left = cell(row, ""), verdict = cell(row, "uploading…");
  verdict.setAttribute("aria-live", "polite");
  let t0 = 0, base = 0;
  return {
    start(offset) {
      t0 = performance.now(); base = offset; bar.value = offset;
      row.dataset.resumedAt = String(offset);  // > 0: it continued an earlier, cut upload
    },
    progress(done) {
      bar.value = done;
      const rate = (done - base) / Math.max(0.001, (performance.now() - t0) / 1000);
      speed.textContent = `${bytes(rate)}/s`;
      left.textContent = seconds((file.size - done) / rate);
    },
    note(text) { verdict.textContent = text; },
    done(ok, text) {
      verdict.textContent = text;
      verdict.className = ok ? "accepted" : "rejected";
      row.dataset.verdict = ok ? "accepted" : "rejected";
      left.textContent = "";
    },
  };
}

async function send(files) {
  for (const file of files) {
    const view = transferRow(file);
    try {
      await upload(file, view);
      view.done(true, "accepted");
    } catch (e) {
      view.done(false, e.verdict || String(e.message || e));
    }
    refreshMine();
  }
}

// ---- lists ---------------------------------------------------------------------------------

const link = (href, text) => Object.assign(document.createElement("a"), { href, textContent: text });
const verdictText = (u) => (u.reason ? `${u.status}: ${u.reason}` : u.status);
const formQuery = (form) => new URLSearchParams([...new FormData(form)].filter(([, v]) => v));

// Fetches `url` and fills `table`'s body with one row per item of the answer's `key` list;
// a refusal shows as one row with its reason.
async function fillTable(table, url, key, addRow) {
  const got = await api("GET", url);
  const body = $(`${table} tbody`);
  body.replaceChildren();
  if (!got.ok) { cell(body.insertRow(), await got.text(), "error"); return; }
  for (const item of (await got.json())[key]) addRow(body.insertRow(), item);
}

async function refreshMine() {
  const got = await api("GET", "/api/uploads");
  if (!got.ok) return;
  const body = $("#mine tbody");
  body.replaceChildren();
  for (const u of (await got.json()).uploads) {
    const row = body.insertRow();
    const name = cell(row, u.path);
    if (u.status === "accepted") name.replaceChildren(link(`/download/${encodeURI(u.path)}`, u.path));
    cell(row, verdictText(u), u.status);
    cell(row, bytes(u.bytes));
    cell(row, u.sha256, "code");
    cell(row, u.finished_at);
  }
}

function refreshBundles(form) {
  return fillTable("#bundles", `/api/uploads?${formQuery(form)}`, "uploads", (row, u) => {
    cell(row, u.customer);
    cell(row, u.path);
    cell(row, verdictText(u), u.status);
    cell(row, bytes(u.bytes));
    cell(row, String(u.members));
    cell(row, u.finished_at);
    const download = row.insertCell();
    if (u.status === "accepted")
      download.appendChild(link(`/download/${encodeURI(u.customer + "/" + u.path)}`, "download"));
  });
}

function findMembers(form) {
  return fillTable("#members", `/api/members?${formQuery(form)}`, "members", (row, m) => {
    cell(row, m.customer);
    cell(row, m.bundle);
    cell(row, m.member, "code");
    cell(row, bytes(m.size));
  });
}

// ---- session -------------------------------------------------------------------------------

function show(who) {
  session = who;
  $("#login").hidden = true;
  $("#logout").hidden = false;
  $("#who").textContent = `${who.user} (${who.role})`;
  if (who.role === "support") {
    $("#support").hidden = false;
    refreshBundles($("#filter"));
  } else {
    $("#customer").hidden = false;
    refreshMine();
  }
}

async function start() {
  const who = await fetch("/api/whoami", { credentials: "same-origin" });
  if (who.ok) show(await who.json());
  else $("#login").hidden = false;

  $("#login").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = new FormData(e.target);
    const got = await fetch("/login", {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user: form.get("user"), password: form.get("password") }),
    });
    if (got.ok) show(await got.json());
    else $("#login-error").textContent = (await got.text()).trim();
  });
  $("#logout").addEventListener("click", async () => {
    await api("POST", "/logout");
    location.reload();
  });
  const drop = $("#drop"), input = $("#files");
  input.addEventListener("change", () => { send([...input.files]); input.value = ""; });
  drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); } });
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); send([...e.dataTransfer.files]); });
  $("#filter").addEventListener("submit", (e) => { e.preventDefault(); refreshBundles(e.target); });
  $("#find").addEventListener("submit", (e) => { e.preventDefault(); findMembers(e.target); });
}

start();
