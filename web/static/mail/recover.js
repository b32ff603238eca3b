// Webmail's self-service recovery on the login page: "Forgotten password?" and, once a login
// failed (the server never says whether for a lock), "Unlock my account" ask for a link mailed
// to the account's address for password resets (POST /api/recover); the mailed link opens
// /mail/#reset=TOKEN (a new password: POST /api/recover/password) or /mail/#unlock=TOKEN
// (POST /api/recover/unlock). The token leaves the address bar at once.
import { api } from "/mail/mail.js";

const $ = (id) => document.getElementById(id);
let kind = "password";
let resetting = false; // a #reset= link's form is up: mail.js's start() must not replace it

function form(name) {
  for (const id of ["login", "recover", "reset"]) $(id).hidden = id !== name;
}

function openRecover(ev, k) {
  ev.preventDefault();
  kind = k;
  $("recover-title").textContent = k === "unlock" ? "Unlock my account" : "Forgotten password";
  $("recover-help").textContent = k === "unlock"
    ? "Give your user name: a link that unlocks your account is mailed to your address for password resets."
    : "Give your user name: a link to set a new password is mailed to your address for password resets.";
  $("recover-user").value = $("login-user").value;
  $("recover-status").textContent = "";
  form("recover");
}

async function ask(ev) {
  ev.preventDefault();
  try {
    const r = await api("POST", "/api/recover", { user: $("recover-user").value, kind });
    $("recover-status").textContent = "Done: " + r.status + ".";
  } catch (e) {
    $("recover-status").textContent = e.message;
  }
}

// The token of a #reset=... or #unlock=... address (then removed from the address bar).
function linkToken() {
  const m = /^#(reset|unlock)=([0-9a-f]{64})$/.exec(location.hash);
  if (!m) return null;
  history.replaceState(null, "", location.pathname);
  return { kind: m[1], token: m[2] };
}

async function setPassword(ev, token) {
  ev.preventDefault();
  if ($("reset-password").value !== $("reset-again").value) {
    $("reset-status").textContent = "The two passwords differ";
    return;
  }
  try {
    await api("POST", "/api/recover/password", { token, password: $("reset-password").value });
    resetting = false;
    form("login");
    $("login-error").textContent = "Password set: log in with it";
  } catch (e) {
    $("reset-status").textContent = e.message;
  }
}

async function unlock(token) {
  const p = $("unlock-status");
  resetting = false;
  form("login");
  p.hidden = false;
  try {
    await api("POST", "/api/recover/unlock", { token });
    $("login-error").textContent = "";
    $("login-password").value = "";
    p.textContent = "Your account is unlocked: log in.";
    p.className = "unlocked";
  } catch (e) {
    p.textContent = e.message;
    p.className = "error";
  }
}

function watchLoginErrors() {
  new MutationObserver(() => {
    if ($("login-error").textContent !== "" && !$("login-error").textContent.startsWith("Password"))
      $("unlock-open").hidden = false;
  }).observe($("login-error"), { childList: true, characterData: true, subtree: true });
  new MutationObserver(() => {
    if (resetting && !$("login").hidden) $("login").hidden = true;
  }).observe($("login"), { attributes: true, attributeFilter: ["hidden"] });
}

$("forgot-open").addEventListener("click", (ev) => openRecover(ev, "password"));
$("unlock-open").addEventListener("click", (ev) => openRecover(ev, "unlock"));
$("recover-cancel").addEventListener("click", () => form("login"));
$("recover").addEventListener("submit", ask);
watchLoginErrors();
// A link opened: in a new page, or in this one (only the fragment changed).
function followLink() {
  const link = linkToken();
  if (link && link.kind === "reset") {
    resetting = true;
    form("reset");
    $("reset").onsubmit = (ev) => setPassword(ev, link.token);
  } else if (link) {
    unlock(link.token);
  }
}
window.addEventListener("hashchange", followLink);
followLink();
