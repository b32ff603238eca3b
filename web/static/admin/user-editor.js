// user-editor.js: one account (#user/NAME) in the guide's tabs — General (counts, the lock:
// locking it by hand and unlocking it), Passwords, Routing (with the account's routing script:
// scripts.js), Autoresponder, Signatures, Quotas, Message Rules, Aliases, Permissions, Login
// History. Settings tabs go through fields.js (PATCH one key at a time).
import { api, lock, locks, unlock } from './api.js';
import { bytes, clear, flash, h, tabs, when } from './dom.js';
import { settingsForm } from './fields.js';
import { rulesTab } from './rules.js';
import { scriptEditor } from './scripts.js';

const ROUTING = [
  { key: 'forward_to', label: 'Forward to', type: 'text', help: "Addresses separated by ';'." },
  { key: 'use_forwarding', label: 'Use forwarding', type: 'bool' },
  { key: 'keep_copy', label: 'Keep a copy in this mailbox', type: 'bool' },
  { key: 'assistants', label: 'Assistants', type: 'text', help: "Addresses separated by ';'." },
  { key: 'assistant_redirect', label: 'Redirect to assistants (keep no copy)', type: 'bool' },
  { key: 'blocked', label: 'Blocked senders', type: 'text', help: "Addresses or wildcards separated by ';'." },
  // h-fwdext (guide 4.5): quarantine, Copy Sent Messages To, size dependent forwarding
  { key: 'no_forward_quarantined', label: "Don't use forwardings or assistants if mail would be quarantined", type: 'bool' },
  { key: 'copy_sent_to', label: 'Copy sent messages to', type: 'text', help: "Addresses separated by ';'." },
  { key: 'size_over_kb', label: 'If message >= (kB)', type: 'number' },
  { key: 'size_over_action', label: 'Over that size: copy or redirect', type: 'text', help: 'copy (keep it here too) or redirect' },
  { key: 'size_over_to', label: 'Over that size: to', type: 'text', help: "Addresses separated by ';' (empty: off)." },
  { key: 'size_under_kb', label: 'If message <= (kB)', type: 'number' },
  { key: 'size_under_action', label: 'Under that size: copy or redirect', type: 'text', help: 'copy (keep it here too) or redirect' },
  { key: 'size_under_to', label: 'Under that size: to', type: 'text', help: "Addresses separated by ';' (empty: off)." },
];
const AUTOREPLY = [
  { key: 'autoreply', label: 'Autoresponder on', type: 'bool' },
  { key: 'autoreply_subject', label: 'Subject', type: 'text' },
  { key: 'autoreply_text', label: 'Message', type: 'textarea' },
  { key: 'autoreply_start', label: 'From (UTC date)', type: 'date' },
  { key: 'autoreply_end', label: 'Until (UTC date)', type: 'date' },
  { key: 'autoreply_days', label: 'Reply to a sender once every N days', type: 'number' },
];
// h-sig10: the account's own signatures (docs/operations.md "Signatures")
const SIGNATURES = [
  { key: 'signature_text', label: 'Outgoing signature (mail to remote recipients)', type: 'textarea',
    help: 'Before the domain\'s or the server\'s signature; empty: none.' },
  { key: 'signature_html', label: 'Outgoing signature, HTML', type: 'textarea', help: 'Empty: the text.' },
  { key: 'internal_signature_text', label: 'Internal signature (mail to local recipients only)', type: 'textarea' },
  { key: 'internal_signature_html', label: 'Internal signature, HTML', type: 'textarea', help: 'Empty: the text.' },
];
const QUOTAS = [
  { key: 'quota_mb', label: 'Mailbox quota (MB, 0 none, empty: the default)', type: 'number' },
  { key: 'max_message_size_kb', label: 'Largest message it may send (kB, 0 no limit)', type: 'number' },
  { key: 'max_messages_per_hour', label: 'Messages per hour (0 no limit)', type: 'number' },
  { key: 'max_messages_per_day', label: 'Messages per day (0 no limit)', type: 'number' },
];
// The Passwords tab's own key (guide 2.1.1, 4.4): where webmail's recovery links go.
const RECOVERY = [
  { key: 'reset_email', label: 'Password reset address', type: 'text',
    help: "One address (name@domain) webmail's forgotten-password and unlock links are mailed to; empty: none." },
];
const PERMISSIONS = [
  { key: 'send_as_any', label: 'May send as any address', type: 'bool' },
  { key: 'allow_bcc', label: 'May use BCC', type: 'bool' },
  { key: 'internet_mail', label: 'May send to the Internet', type: 'bool' },
  { key: 'forbidden_recipients', label: 'Forbidden recipients', type: 'text', help: "Wildcards, comma separated." },
  { key: 'status_permissions', label: 'Status server permissions', type: 'text' },
];

// Booleans whose default is true: shown checked when the account has no value.
function withDefaults(s) {
  return { allow_bcc: true, internet_mail: true, ...s };
}

// "*" is the administrator's lock (every address), else the address a lock after failures is for.
const lockFrom = (l) => (l.ip === '*' ? 'every address (locked by the administrator)' : l.ip);

function general(panel, u, all, reload) {
  const mine = all.filter((l) => l.user.toLowerCase() === u.user.toLowerCase());
  const box = h('input', { id: 'locked', type: 'checkbox', checked: mine.length > 0 });
  const status = h('p', { class: 'form-status', role: 'status' });
  panel.append(h('dl', { class: 'summary' },
    h('dt', {}, 'User'), h('dd', {}, u.user), h('dt', {}, 'Id'), h('dd', {}, u.id),
    h('dt', {}, 'Created'), h('dd', {}, when(u.created_ms)),
    h('dt', {}, 'Inbox'), h('dd', {}, `${u.messages} messages, ${bytes(u.bytes)}`)),
  h('div', { class: 'field' }, h('label', { for: 'locked' }, 'Account Locked Out'), box,
    h('small', { class: 'help' }, mine.length ? 'for ' + mine.map(lockFrom).join(', ') +
      ': uncheck and Submit to unlock' : 'Check and Submit to lock it (every login refused until unlocked); locks also come from failed logins (Settings: security).')),
  h('button', { type: 'button', class: 'submit', onclick: async () => {
    try {
      if (mine.length && !box.checked) await unlock(u.user);
      else if (!mine.length && box.checked) await lock(u.user);
      else return;
      flash((box.checked ? 'Locked ' : 'Unlocked ') + u.user + '.');
      reload();
    } catch (e) { status.textContent = e.message; status.classList.add('error'); }
  } }, 'Submit'), status);
}

// The guide's Passwords tab (4.4): the Main Password; "Have different 'Main Password' and 'Web
// Password'" with the Web Password (webmail logins take it, the other protocols the main one;
// unchecked and submitted: removed, the main one is the web's again); "User can change Main
// Password through WebMail", which applies only while the account has a web password.
function passwords(panel, u) {
  const pw = (id) => h('input', { id, type: 'password', autocomplete: 'new-password' });
  const a = pw('new-password'), b = pw('new-password2'), wa = pw('web-password'), wb = pw('web-password2');
  const separate = h('input', { id: 'separate-web-password', type: 'checkbox', checked: u.has_web_password });
  const canMain = h('input', { id: 'can-change-main', type: 'checkbox', checked: u.can_change_main });
  const sync = () => { wa.disabled = wb.disabled = canMain.disabled = !separate.checked; };
  separate.addEventListener('change', sync);
  sync();
  const field = (el, label) => h('div', { class: 'field' }, h('label', { for: el.id }, label), el);
  const status = h('p', { class: 'form-status', role: 'status' });
  const form = h('form', {}, field(a, 'Main Password'), field(b, 'Confirm Main Password'),
    field(separate, "Have different 'Main Password' and 'Web Password'"),
    field(wa, 'Web Password'), field(wb, 'Confirm Web Password'),
    field(canMain, 'User can change Main Password through WebMail'),
    h('button', { type: 'submit', class: 'submit' }, 'Submit'), status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      status.textContent = await savePasswords(u, { main: [a.value, b.value], web: [wa.value, wb.value],
        separate: separate.checked, canMain: canMain.checked });
      for (const el of [a, b, wa, wb]) el.value = '';
      Object.assign(u, await api('GET', '/api/users/' + encodeURIComponent(u.user)));
      separate.checked = u.has_web_password;
      canMain.checked = u.can_change_main;
      sync();
    } catch (e) { status.textContent = e.message; }
  });
  panel.append(form);
}

// What the Passwords tab's Submit changes, in order (PUT .../password, PATCH the account's
// web_password / webmail_main_password); returns the text saying what was done. Throws on a
// mistyped confirmation (nothing sent), or on a refusal with what was done before it.
async function savePasswords(u, f) {
  const path = '/api/users/' + encodeURIComponent(u.user);
  if (f.main[0] !== f.main[1]) throw new Error('The two main passwords differ.');
  if (f.separate && f.web[0] !== f.web[1]) throw new Error('The two web passwords differ.');
  if (f.separate && !u.has_web_password && f.web[0] === '') throw new Error('Type the web password.');
  const steps = [];
  if (f.main[0] !== '') steps.push(['PUT', '/password', { password: f.main[0] }, 'Password changed']);
  if (f.separate && f.web[0] !== '') {
    steps.push(['PUT', '/password', { password: f.web[0], which: 'web' }, 'Web password set']);
  } else if (!f.separate && u.has_web_password) {
    steps.push(['PATCH', '', { web_password: 'off' }, 'Web password removed']);
  }
  if (f.separate && (f.canMain !== u.can_change_main || !u.has_web_password)) {
    steps.push(['PATCH', '', { webmail_main_password: f.canMain },
      f.canMain ? 'Webmail may change the main password' : 'Webmail may not change the main password']);
  }
  const done = [];
  for (const [method, sub, body, text] of steps) {
    try {
      await api(method, path + sub, body);
    } catch (e) {
      throw new Error(done.concat(e.message).join('; '));
    }
    done.push(text);
  }
  if (!done.length) return 'Nothing changed.';
  return done.join('; ') + (steps.some((s) => s[1] === '/password') ? "; the account's logins ended." : '.');
}

// The Quotas tab's usage line (GET .../quota: as `pillarbox user quota NAME`).
async function quotaUsage(panel, u) {
  let q;
  try {
    q = await api('GET', '/api/users/' + encodeURIComponent(u.user) + '/quota');
  } catch (e) {
    panel.prepend(h('p', { id: 'quota-usage', class: 'error' }, e.message));
    return;
  }
  const of = q.quota_bytes === null ? ', no quota' : ` of ${bytes(q.quota_bytes)} (${q.percent} %)`;
  const level = q.level ? `, warning level ${q.level} reached` : '';
  panel.prepend(h('p', { id: 'quota-usage' }, `Used ${bytes(q.bytes)} in ${q.messages} messages${of}${level}` +
    (q.send_blocked ? ', sending blocked' : '')));
}

// The account's aliases (GET/POST/DELETE /api/aliases/{name}: the mappings to it).
async function aliases(panel, u) {
  const path = '/api/aliases/' + encodeURIComponent(u.user);
  const status = h('p', { class: 'form-status', role: 'status' });
  const run = async (method, url, body) => {
    try {
      await api(method, url, body);
      clear(panel);
      await aliases(panel, u);
    } catch (e) { status.textContent = e.message; status.classList.add('error'); }
  };
  const rows = await api('GET', path + '?limit=1000');
  const address = h('input', { id: 'new-alias', placeholder: 'address or wildcard' });
  panel.append(h('ul', { class: 'aliases' }, rows.map((m) => h('li', { dataset: { address: m.address } }, m.address, ' ',
    h('button', { type: 'button', class: 'delete-alias',
      onclick: () => run('DELETE', path + '?address=' + encodeURIComponent(m.address)) }, 'Delete')))),
  h('div', { class: 'commands' }, address,
    h('button', { id: 'add-alias', type: 'button', onclick: () => run('POST', path, { address: address.value }) }, 'New')),
  status);
}

// h-fwdext: the guide's "Immediately copy messages already in this user's inbox to
// assistant(s)" — a one-shot button, not a setting: POST .../copy-inbox batch after batch.
function copyInbox(user) {
  const status = h('p', { class: 'form-status', role: 'status' });
  const button = h('button', { type: 'button', id: 'copy-inbox' },
    "Immediately copy messages already in this user's inbox to assistant(s)");
  button.addEventListener('click', async () => {
    let body = {}, copied = 0, skipped = 0;
    button.disabled = true;
    try {
      for (;;) {
        const r = await api('POST', '/api/users/' + encodeURIComponent(user) + '/copy-inbox', body);
        copied += r.copied; skipped += r.skipped;
        if (!r.next_uid) break;
        body = { from_uid: r.next_uid };
      }
      status.textContent = copied + ' copies sent, ' + skipped + ' sent before.';
    } catch (e) {
      status.textContent = e.message;
    }
    button.disabled = false;
  });
  return h('div', { class: 'field' }, button, status);
}

// The account's recent logins over every protocol, newest first (GET .../logins).
async function loginHistory(panel, u) {
  const r = await api('GET', '/api/users/' + encodeURIComponent(u.user) + '/logins?limit=100');
  const cell = (text) => h('td', {}, text);
  const none = h('p', {}, 'No logins recorded since the daemon started.');
  panel.append(r.logins.length ? h('table', { id: 'login-history', class: 'grid' },
    h('thead', {}, h('tr', {}, ['Time', 'Protocol', 'Address', 'Result'].map((t) => h('th', {}, t)))),
    h('tbody', {}, r.logins.map((e) => h('tr', {}, cell(when(e.time_ms)), cell(e.protocol), cell(e.ip),
      cell(e.result + (e.refused ? ' (refused: locked or blocked)' : '')))))) : none);
}

export async function userEditor(el, name) {
  const reload = () => userEditor(clear(el), name);
  const [u, all, keys] = await Promise.all([api('GET', '/api/users/' + encodeURIComponent(name)),
    locks(), api('GET', '/api/user-keys')]);
  const s = withDefaults(u.settings || {});
  // each field's help is the server's (GET /api/user-keys: the tables `help user set` prints)
  const help = new Map(keys.map((k) => [k.key, k.help]));
  const form = (fields) => (p) => p.append(settingsForm(u.user,
    fields.map((f) => ({ ...f, help: help.get(f.key) ?? f.help })), s));
  el.append(h('h2', {}, 'Edit User – ' + u.user), h('p', {}, h('a', { href: '#users' }, '← Users')),
    tabs([
      { id: 'general', label: 'General', render: (p) => general(p, u, all, reload) },
      { id: 'passwords', label: 'Passwords', render: (p) => { passwords(p, u); form(RECOVERY)(p); } },
      { id: 'routing', label: 'Routing', render: async (p) => {
        form(ROUTING)(p);
        p.append(copyInbox(u.user));
        p.append(await scriptEditor('/api/scripts/' + encodeURIComponent(u.user), 'Edit Routing Script'));
      } },
      { id: 'autoresponder', label: 'Autoresponder', render: form(AUTOREPLY) },
      { id: 'signatures', label: 'Signatures', render: form(SIGNATURES) },
      { id: 'quotas', label: 'Quotas', render: (p) => { form(QUOTAS)(p); quotaUsage(p, u); } },
      { id: 'rules', label: 'Message Rules', render: (p) => rulesTab(p, u.user) },
      { id: 'aliases', label: 'Aliases', render: (p) => aliases(p, u) },
      { id: 'permissions', label: 'Permissions', render: form(PERMISSIONS) },
      { id: 'logins', label: 'Login History', render: (p) => loginHistory(p, u) },
    ], 'general'));
}
