// Webmail's settings pages (the Settings button): the account's own autoresponder, forwarding
// and message rules (list, add, edit, delete, reorder: the JSON the rules engine takes), its
// password and its address for password resets — each through the account's own endpoints
// (/api/autoreply/NAME, /api/forwarding/NAME, /api/rules/NAME, /api/mail/password,
// /api/signature/NAME: its own outgoing and internal signature texts,
// /api/mail/recovery; docs/openapi.json), with mail.js's api() (its CSRF token). With a separate
// web password (GET /api/users/NAME has_web_password) the password form changes it, and offers
// the main one too only when can_change_main. The login history (GET /api/users/NAME/logins:
// every protocol's logins, newest first) is shown read-only, and so is the mailbox's usage
// against its quota (GET /api/users/NAME/quota).
import { api, show } from "/mail/mail.js";

const $ = (id) => document.getElementById(id);
const st = { user: "", rules: [], editing: -1, webPassword: false };
const say = (text) => { $("s-status").textContent = text; };

function pane(settings) {
  $("settings").hidden = !settings;
  $("list-pane").hidden = settings;
  $("reader").hidden = true;
  $("composer").hidden = true;
}

const enc = (name) => encodeURIComponent(name);

async function loadAutoreply() {
  const a = await api("GET", "/api/autoreply/" + enc(st.user));
  $("s-ar-on").checked = a.autoreply === true;
  $("s-ar-subject").value = a.autoreply_subject || "";
  $("s-ar-text").value = a.autoreply_text || "";
  $("s-ar-start").value = a.autoreply_start || "";
  $("s-ar-end").value = a.autoreply_end || "";
  $("s-ar-days").value = a.autoreply_days || "";
}

// The account's own signatures (their HTML versions are left to the administrator).
async function loadSignature() {
  const g = await api("GET", "/api/signature/" + enc(st.user));
  $("s-sig-text").value = g.signature_text || "";
  $("s-sig-internal").value = g.internal_signature_text || "";
}

function saveSignature(ev) {
  return submit(ev, () => api("PATCH", "/api/signature/" + enc(st.user), {
    signature_text: $("s-sig-text").value, internal_signature_text: $("s-sig-internal").value,
  }), "Signature saved");
}

async function loadForwarding() {
  const f = await api("GET", "/api/forwarding/" + enc(st.user));
  $("s-fw-to").value = f.forward_to || "";
  $("s-fw-on").checked = f.use_forwarding === true;
  $("s-fw-keep").checked = f.keep_copy === true;
}

async function loadRules() {
  try {
    const set = await api("GET", "/api/rules/" + enc(st.user));
    st.rules = Array.isArray(set.rules) ? set.rules : [];
  } catch (e) {
    st.rules = []; // 404: none set
  }
  drawRules();
}

async function loadRecovery() {
  const u = await api("GET", "/api/users/" + enc(st.user));
  $("s-rc-email").value = (u.settings && u.settings.reset_email) || "";
  // a separate web password (guide 4.4): the choice only when the main one may change too
  st.webPassword = u.has_web_password === true;
  $("s-pw-which-row").hidden = !(st.webPassword && u.can_change_main);
  $("s-pw-note").hidden = !(st.webPassword && !u.can_change_main);
}

async function loadQuota() {
  const q = await api("GET", "/api/users/" + enc(st.user) + "/quota");
  const size = (n) => n >= 1048576 ? (n / 1048576).toFixed(1) + " MB" : Math.ceil(n / 1024) + " kB";
  $("s-quota").textContent = "Mailbox: " + size(q.bytes) + " in " + q.messages + " messages" +
    (q.quota_bytes === null ? ", no quota" : " of " + size(q.quota_bytes) + " (" + q.percent + " %)") +
    (q.send_blocked ? "; sending is blocked until you delete mail" : "");
}

// One row per login: time, protocol, client address, result (refused: locked or blocked).
async function loadLogins() {
  const h = await api("GET", "/api/users/" + enc(st.user) + "/logins?limit=50");
  const body = $("s-login-table").tBodies[0];
  body.replaceChildren(...h.logins.map((e) => {
    const tr = document.createElement("tr");
    const cells = [new Date(e.time_ms).toLocaleString(), e.protocol, e.ip,
      e.result + (e.refused ? " (refused: locked or blocked)" : "")];
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  }));
}

function ruleButton(li, label, fn) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.className = "rule-" + label.toLowerCase();
  b.addEventListener("click", fn);
  li.append(b);
}

function drawRules() {
  const ol = $("s-rule-list");
  ol.replaceChildren();
  st.rules.forEach((r, i) => {
    const li = document.createElement("li");
    li.dataset.rule = r.name || "";
    const name = document.createElement("span");
    name.className = "rule-name";
    name.textContent = (r.name || "(no name)") + (r.enabled === false ? " (off)" : "");
    li.append(name);
    ruleButton(li, "Up", () => moveRule(i, -1));
    ruleButton(li, "Down", () => moveRule(i, 1));
    ruleButton(li, "Edit", () => editRule(i));
    ruleButton(li, "Delete", () => saveRules(st.rules.filter((_, k) => k !== i)));
    ol.append(li);
  });
}

async function saveRules(rules) {
  try {
    if (rules.length === 0)
      await api("DELETE", "/api/rules/" + enc(st.user));
    else
      await api("PUT", "/api/rules/" + enc(st.user), { rules });
    st.rules = rules;
    drawRules();
    say("Rules saved");
    return true;
  } catch (e) {
    say(e.message);
    return false;
  }
}

function moveRule(i, by) {
  const j = i + by;
  if (j < 0 || j >= st.rules.length) return;
  const rules = st.rules.slice();
  [rules[i], rules[j]] = [rules[j], rules[i]];
  saveRules(rules);
}

const TEMPLATE = { name: "New rule", enabled: true, match: "all", types: ["incoming", "local"],
  conditions: [{ field: "subject", match: "contains", value: "", i: true }],
  actions: [{ action: "move_to_folder", value: "Folder" }] };

function editRule(i) {
  st.editing = i;
  $("s-rule-json").value = JSON.stringify(i < 0 ? TEMPLATE : st.rules[i], null, 2);
  $("s-rule-editor").hidden = false;
}

async function keepRule(ev) {
  ev.preventDefault();
  let rule;
  try {
    rule = JSON.parse($("s-rule-json").value);
  } catch (e) {
    say("The rule is not JSON: " + e.message);
    return;
  }
  const rules = st.rules.slice();
  if (st.editing < 0) rules.push(rule); else rules[st.editing] = rule;
  if (await saveRules(rules)) $("s-rule-editor").hidden = true;
}

// Runs fn, then says done (or the server's reason).
async function submit(ev, fn, done) {
  ev.preventDefault();
  try {
    await fn();
    say(done);
  } catch (e) {
    say(e.message);
  }
}

function saveAutoreply(ev) {
  const days = $("s-ar-days").value;
  return submit(ev, () => api("PATCH", "/api/autoreply/" + enc(st.user), {
    autoreply: $("s-ar-on").checked, autoreply_subject: $("s-ar-subject").value,
    autoreply_text: $("s-ar-text").value, autoreply_start: $("s-ar-start").value,
    autoreply_end: $("s-ar-end").value, autoreply_days: days === "" ? null : Number(days),
  }), "Autoresponder saved");
}

function saveForwarding(ev) {
  return submit(ev, () => api("PATCH", "/api/forwarding/" + enc(st.user), {
    forward_to: $("s-fw-to").value, use_forwarding: $("s-fw-on").checked,
    keep_copy: $("s-fw-keep").checked,
  }), "Forwarding saved");
}

async function changePassword(ev) {
  ev.preventDefault();
  if ($("s-pw-new").value !== $("s-pw-again").value) {
    say("The two new passwords differ");
    return;
  }
  try {
    const body = { current: $("s-pw-current").value, password: $("s-pw-new").value };
    if (st.webPassword)
      body.which = $("s-pw-which-row").hidden ? "web" : $("s-pw-which").value;
    await api("POST", "/api/mail/password", body);
    pane(false);
    show(false);
    $("login-error").textContent = "Password changed: log in with the new one";
  } catch (e) {
    say(e.message);
  }
}

function saveRecovery(ev) {
  return submit(ev, async () => {
    await api("POST", "/api/mail/recovery",
      { current: $("s-rc-current").value, reset_email: $("s-rc-email").value });
    $("s-rc-current").value = "";
  }, "Address for password resets saved");
}

async function open() {
  say("");
  try {
    st.user = (await api("GET", "/api/me")).user;
    pane(true);
    await Promise.all([loadAutoreply(), loadForwarding(), loadRules(), loadRecovery(), loadLogins(),
      loadSignature(), loadQuota()]);
    $("settings").dataset.loaded = "1";
  } catch (e) {
    say(e.message);
  }
}

$("settings-open").addEventListener("click", open);
$("settings-close").addEventListener("click", () => pane(false));
$("s-autoreply").addEventListener("submit", saveAutoreply);
$("s-forwarding").addEventListener("submit", saveForwarding);
$("s-signature").addEventListener("submit", saveSignature);
$("s-rule-add").addEventListener("click", () => editRule(-1));
$("s-rule-cancel").addEventListener("click", () => { $("s-rule-editor").hidden = true; });
$("s-rule-editor").addEventListener("submit", keepRule);
$("s-password").addEventListener("submit", changePassword);
$("s-recovery").addEventListener("submit", saveRecovery);
