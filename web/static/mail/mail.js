// The webmail page (/mail/): log in with the web password, folders with counts, a message list
// that sorts (date, from, subject, size; either way) and pages with the server's cursor (newer /
// older: next_cursor, a search too), reading, flags, move and delete — all through
// /api/mail/ (docs/openapi.json). HTML mail is sanitised with DOMPurify (node-dompurify, served
// as /mail/purify.min.js) with scripts, event handlers, forms, styles and every remote reference
// removed, then shown in a frame sandboxed without scripts under its own strict CSP.
// A message opened in Drafts opens in the composer (its fields and attachments read back);
// saving it again replaces it (PUT /api/mail/drafts/{uid}), sending it removes it.
// Attachments (chosen files, and a forwarded message's or a draft's own) are uploaded apart as
// soon as they are known (POST /api/mail/uploads, with progress; one can be removed: DELETE),
// and the message names them in "uploads": no file travels base64 inside the JSON.

// starts: where each page shown so far began (null: the first; else [parameter, value]); at: the
// page shown; next: where the page after it begins (null: none).
const state = { csrf: "", folder: "INBOX", folders: [], starts: [null], at: 0, next: null, uid: 0,
  flags: [], message: null,
  compose: { inReplyTo: "", uploads: [], draft: 0 } };
const $ = (id) => document.getElementById(id);
const PAGE = 50;

async function api(method, path, body) {
  const init = { method, headers: {}, credentials: "same-origin" };
  if (method !== "GET") init.headers["X-CSRF-Token"] = state.csrf;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const r = await fetch(path, init);
  const text = await r.text();
  const data = text ? JSON.parse(text) : null;
  if (!r.ok) throw new Error((data && data.error) || r.statusText);
  return data;
}

// A folder's name in a path: its '/' percent-encoded twice (see the API).
const folderPath = (name) => "/api/mail/folders/" + encodeURIComponent(encodeURIComponent(name));
const status = (text) => { $("status").textContent = text; };

function show(loggedIn, user) {
  $("login").hidden = loggedIn;
  $("app").hidden = !loggedIn;
  $("logout").hidden = !loggedIn;
  $("who").textContent = loggedIn ? user : "";
}

async function start() {
  try {
    const me = await api("GET", "/api/me");
    state.csrf = me.csrf;
    show(true, me.user);
    await loadFolders();
    await loadMessages(false);
  } catch (e) {
    show(false);
  }
}

async function login(ev) {
  ev.preventDefault();
  try {
    const me = await api("POST", "/api/login",
      { user: $("login-user").value, password: $("login-password").value });
    state.csrf = me.csrf;
    $("login-error").textContent = "";
    show(true, me.user);
    await loadFolders();
    await loadMessages(false);
  } catch (e) {
    $("login-error").textContent = e.message;
  }
}

async function loadFolders() {
  state.folders = await api("GET", "/api/mail/folders");
  const nav = $("folders"), move = $("move-to");
  nav.replaceChildren();
  move.replaceChildren();
  for (const f of state.folders) {
    const a = document.createElement("a");
    a.textContent = f.unseen > 0 ? `${f.name} (${f.unseen}/${f.messages})` : `${f.name} (${f.messages})`;
    a.dataset.folder = f.name;
    a.className = f.name === state.folder ? "current" : "";
    a.addEventListener("click", () => { state.folder = f.name; loadFolders(); loadMessages(false); });
    nav.append(a);
    const o = document.createElement("option");
    o.value = o.textContent = f.name;
    move.append(o);
  }
}

function row(m) {
  const tr = document.createElement("tr");
  tr.dataset.uid = m.uid;
  if (!m.flags.includes("seen")) tr.classList.add("unseen");
  const cells = [m.flags.includes("flagged") ? "\u2691" : "", m.from, m.subject || "(no subject)",
    m.date || new Date(m.arrived_ms).toUTCString(), String(m.size)];
  for (const c of cells) {
    const td = document.createElement("td");
    td.textContent = c;
    tr.append(td);
  }
  tr.addEventListener("click", () => openMessage(m.uid));
  return tr;
}

// The paging buttons' names: by date, "Older" goes back in time whichever way the list runs.
function pagerLabels() {
  const dated = $("sort").value === "date", desc = $("order").value === "desc";
  $("newer").textContent = dated ? (desc ? "\u25c0 Newer" : "\u25c0 Older") : "\u25c0 Previous";
  $("older").textContent = dated ? (desc ? "Older \u25b6" : "Newer \u25b6") : "Next \u25b6";
}

// Shows a page of the list: step 1 the next, -1 the one before, anything else the first.
async function loadMessages(step) {
  const at = step === 1 || step === -1 ? state.at + step : 0;
  const start = step === 1 ? state.next : at === 0 ? null : state.starts[at];
  const p = new URLSearchParams({ limit: PAGE, sort: $("sort").value, order: $("order").value });
  if ($("search").value) p.set("q", $("search").value);
  if (start) p.set(start[0], start[1]);
  try {
    const page = await api("GET", `${folderPath(state.folder)}/messages?${p}`);
    state.at = at;
    state.starts = state.starts.slice(0, at).concat([start]);
    const ms = page.messages;
    // a search page may hold fewer than PAGE (the server reads a bounded part of the folder)
    state.next = page.next_cursor ? ["cursor", page.next_cursor] : null;
    $("messages").tBodies[0].replaceChildren(...ms.map(row));
    pagerLabels();
    $("newer").hidden = at === 0;
    $("older").hidden = state.next === null;
    status("");
  } catch (e) {
    status(e.message);
    // a large folder's first page by from/subject/size: the server builds its index meanwhile
    if (/being built/.test(e.message)) setTimeout(() => loadMessages(step), 1000);
  }
}

// The sanitised HTML: no script, handler, form, style, frame, or remote reference survives.
function sanitize(html) {
  const remote = /^\s*(https?:|\/\/|ftp:)/i;
  window.DOMPurify.removeAllHooks();
  window.DOMPurify.addHook("uponSanitizeAttribute", (node, data) => {
    const n = data.attrName;
    if ((n === "src" || n === "srcset" || n === "background" || n === "poster" ||
         n === "action" || n === "formaction" || n === "xlink:href") &&
        (remote.test(data.attrValue) || n === "srcset")) data.keepAttr = false;
    if (n === "style" && /url\s*\(|@import|expression/i.test(data.attrValue)) data.keepAttr = false;
  });
  window.DOMPurify.addHook("afterSanitizeAttributes", (node) => {
    if (node.tagName === "A") node.setAttribute("rel", "noopener noreferrer");
  });
  return window.DOMPurify.sanitize(html, {
    FORBID_TAGS: ["style", "link", "form", "input", "button", "textarea", "select", "iframe",
      "frame", "object", "embed", "svg", "math", "base", "meta", "video", "audio", "source"],
    FORBID_ATTR: ["style", "srcset", "ping"],
    ALLOW_UNKNOWN_PROTOCOLS: false,
  });
}

function showHtml(html) {
  const frame = $("html-body");
  if (!html) { frame.hidden = true; frame.srcdoc = ""; return; }
  if (!window.DOMPurify) { frame.hidden = true; status("the HTML sanitiser is missing: text shown"); return; }
  const csp = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";
  frame.srcdoc = `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="${csp}">` +
    `<meta name="referrer" content="no-referrer"></head><body>${sanitize(html)}</body></html>`;
  frame.hidden = false;
}

function headerRow(dl, name, value) {
  if (!value) return;
  const dt = document.createElement("dt"), dd = document.createElement("dd");
  dt.textContent = name;
  dd.textContent = value;
  dl.append(dt, dd);
}

async function openMessage(uid) {
  try {
    const m = await api("GET", `${folderPath(state.folder)}/messages/${uid}`);
    if (state.folder === "Drafts") { await openDraft(m, uid); return; }
    state.uid = uid;
    state.flags = m.flags;
    state.message = m;
    const dl = $("headers");
    dl.replaceChildren();
    headerRow(dl, "From", m.from);
    headerRow(dl, "To", m.to);
    headerRow(dl, "Cc", m.cc);
    headerRow(dl, "Subject", m.subject);
    headerRow(dl, "Date", m.date);
    $("text-body").textContent = m.html ? "" : m.text;
    showHtml(m.html);
    const ul = $("attachments");
    ul.replaceChildren();
    for (const a of m.attachments) {
      const li = document.createElement("li"), link = document.createElement("a");
      link.href = `${folderPath(state.folder)}/messages/${uid}/parts/${encodeURIComponent(a.part)}`;
      link.download = a.name;
      link.textContent = `${a.name} (${a.type}, ${a.size} bytes)`;
      li.append(link);
      ul.append(li);
    }
    $("reader").hidden = false;
    $("flag").textContent = m.flags.includes("flagged") ? "Unflag" : "Flag";
    if (!m.flags.includes("seen")) {
      await api("PATCH", `${folderPath(state.folder)}/messages/${uid}`, { seen: true });
      loadFolders();
    }
  } catch (e) {
    status(e.message);
  }
}

async function change(method, suffix, body) {
  try {
    await api(method, `${folderPath(state.folder)}/messages/${state.uid}${suffix}`, body);
    $("reader").hidden = true;
    await loadFolders();
    await loadMessages(false);
  } catch (e) {
    status(e.message);
  }
}

// ---- compose, reply, forward ----

// ---- attachments uploaded apart ----

// Uploads blob (named name) now, listed in ul with its progress (and a Remove button when
// removable); the entry joins state.compose.uploads, its promise resolving to the upload's id.
function uploadBlob(blob, name, type, ul, removable) {
  const li = document.createElement("li");
  const label = document.createElement("span");
  label.textContent = name;
  const bar = document.createElement("progress");
  bar.max = Math.max(blob.size, 1);
  bar.value = 0;
  li.append(label, bar);
  const entry = { name, id: null, li, xhr: new XMLHttpRequest() };
  if (removable) {
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "c-remove";
    remove.textContent = "Remove";
    remove.addEventListener("click", () => dropUpload(entry));
    li.append(remove);
  }
  ul.append(li);
  entry.promise = new Promise((resolve, reject) => {
    const x = entry.xhr;
    x.open("POST", "/api/mail/uploads?name=" + encodeURIComponent(name));
    x.setRequestHeader("X-CSRF-Token", state.csrf);
    x.setRequestHeader("Content-Type", type || "application/octet-stream");
    x.upload.addEventListener("progress", (ev) => { bar.value = ev.loaded; });
    x.addEventListener("load", () => {
      let data = null;
      try { data = JSON.parse(x.responseText); } catch (e) { data = null; }
      if (x.status !== 201) {
        li.classList.add("failed");
        label.textContent = `${name}: ${(data && data.error) || x.statusText || "upload failed"}`;
        reject(new Error(`${name}: ${(data && data.error) || "upload failed"}`));
        return;
      }
      entry.id = data.id;
      bar.value = bar.max;
      li.dataset.upload = data.id;
      resolve(data.id);
    });
    x.addEventListener("error", () => reject(new Error(`${name}: upload failed`)));
    x.addEventListener("abort", () => reject(new Error(`${name}: removed`)));
    x.send(blob);
  });
  entry.promise.catch(() => {}); // told when sending
  state.compose.uploads.push(entry);
  return entry;
}

// Removes an attachment from the message: its upload stopped or deleted on the server.
function dropUpload(entry) {
  state.compose.uploads = state.compose.uploads.filter((e) => e !== entry);
  entry.li.remove();
  if (entry.id === null) entry.xhr.abort();
  else api("DELETE", "/api/mail/uploads/" + entry.id).catch(() => {});
}

// Forgets every attachment of the composer (their uploads deleted on the server).
function dropUploads() {
  for (const e of [...state.compose.uploads]) dropUpload(e);
}

function openComposer(fields) {
  $("c-to").value = fields.to || "";
  $("c-cc").value = fields.cc || "";
  $("c-subject").value = fields.subject || "";
  $("c-text").value = fields.text || "";
  $("c-files").value = "";
  dropUploads();
  state.compose = { inReplyTo: fields.inReplyTo || "", uploads: [], draft: fields.draft || 0 };
  $("c-discard").hidden = state.compose.draft === 0;
  $("c-forwarded").replaceChildren();
  $("c-uploads").replaceChildren();
  $("reader").hidden = true;
  $("composer").hidden = false;
  $("c-text").focus();
  $("c-text").setSelectionRange(0, 0); // the answer goes above the quote
}

const quoted = (m) => "\n\n" + `${m.from} wrote:\n` +
  (m.text || "").replace(/\n+$/, "").split("\n").map((l) => "> " + l).join("\n") + "\n";
const addressOf = (from) => { const x = /<([^>]+)>/.exec(from); return x ? x[1] : from; };
// A header's address list as the composer takes it ("a@b, c@d"): display names dropped (a
// draft another mail program saved has "Name <a@b>"), quoted ones with their commas too.
const addressList = (list) => (list || "").replace(/"(?:[^"\\]|\\.)*"/g, "").split(",")
  .map((a) => addressOf(a).trim()).filter((a) => a).join(", ");

// A draft back in the composer: its fields, and its attachments kept as they were.
async function openDraft(m, uid) {
  state.message = m;
  state.uid = uid; // "Delete draft" deletes it as the reader's Delete would
  const files = await partsOf(m);
  openComposer({ to: addressList(m.to), cc: addressList(m.cc), subject: m.subject, text: m.text, inReplyTo: m.in_reply_to,
    draft: uid });
  forwardFiles(files);
  $("c-text").setSelectionRange($("c-text").value.length, $("c-text").value.length);
}

// The attachments of message m (forwarded, or a draft's own): [{blob, name, type}].
async function partsOf(m) {
  const out = [];
  for (const a of m.attachments) {
    const r = await fetch(`${folderPath(state.folder)}/messages/${m.uid}/parts/${encodeURIComponent(a.part)}`,
      { credentials: "same-origin" });
    out.push({ blob: await r.blob(), name: a.name, type: a.type });
  }
  return out;
}

// Those attachments uploaded again for the composer, listed in #c-forwarded.
function forwardFiles(files) {
  for (const f of files) uploadBlob(f.blob, f.name, f.type, $("c-forwarded"), false);
}

$("c-files").addEventListener("change", () => {
  for (const f of $("c-files").files) uploadBlob(f, f.name, f.type, $("c-uploads"), true);
  $("c-files").value = "";
});

// The message as the API takes it, once every attachment is uploaded (throws if one failed).
async function composed() {
  const uploads = await Promise.all(state.compose.uploads.map((e) => e.promise));
  return { to: $("c-to").value, cc: $("c-cc").value, subject: $("c-subject").value,
    text: $("c-text").value, in_reply_to: state.compose.inReplyTo, uploads };
}

async function sendOrSave(sending) {
  const draft = state.compose.draft;
  const [method, path] = draft === 0 ? ["POST", sending ? "/api/mail/send" : "/api/mail/drafts"]
    : sending ? ["POST", `/api/mail/drafts/${draft}/send`] : ["PUT", `/api/mail/drafts/${draft}`];
  try {
    if (state.compose.uploads.some((e) => e.id === null)) status("Uploading the attachments…");
    await api(method, path, await composed());
    if (sending) state.compose.uploads = []; // the server removed them once sent
    dropUploads(); // a draft holds its own copy
    $("composer").hidden = true;
    await loadFolders();
    if (draft !== 0) await loadMessages(false); // the list of Drafts: the old one gone
    status(sending ? "Sent." : "Draft saved.");
  } catch (e) {
    status(e.message);
  }
}

$("compose").addEventListener("click", () => openComposer({}));
$("reply").addEventListener("click", () => {
  const m = state.message;
  openComposer({ to: addressOf(m.reply_to || m.from), subject: /^re:/i.test(m.subject) ? m.subject : "Re: " + m.subject,
    text: quoted(m), inReplyTo: m.message_id });
});
$("forward").addEventListener("click", async () => {
  const m = state.message;
  const files = await partsOf(m);
  openComposer({ subject: "Fwd: " + m.subject, text: quoted(m) });
  forwardFiles(files);
});
$("composer").addEventListener("submit", (ev) => { ev.preventDefault(); sendOrSave(true); });
$("c-draft").addEventListener("click", () => sendOrSave(false));
$("c-discard").addEventListener("click", () => { $("composer").hidden = true; dropUploads(); change("DELETE", ""); });
$("c-cancel").addEventListener("click", () => { $("composer").hidden = true; dropUploads(); });
$("login").addEventListener("submit", login);
$("logout").addEventListener("click", async () => { await api("POST", "/api/logout"); show(false); });
$("older").addEventListener("click", () => loadMessages(1));
$("newer").addEventListener("click", () => loadMessages(-1));
$("sort").addEventListener("change", () => loadMessages(false));
$("order").addEventListener("change", () => loadMessages(false));
$("search").addEventListener("change", () => loadMessages(false));
$("flag").addEventListener("click", () => change("PATCH", "", { flagged: !state.flags.includes("flagged") }));
$("unread").addEventListener("click", () => change("PATCH", "", { seen: false }));
$("move").addEventListener("click", () => change("POST", "/move", { to: $("move-to").value }));
$("delete").addEventListener("click", () => change("DELETE", ""));
start();
export { api, show, start }; // the settings and recovery pages (settings.js, recover.js)
