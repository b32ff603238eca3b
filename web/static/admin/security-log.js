// security-log.js: the Security Log page (#security-log[/BEFORE[/USER[/IP]]], under Reports) —
// logins and failed logins, locks, blocks and administrative changes, newest first, a page of
// PAGE lines at a time from GET /api/logs/security, filtered by account and by address (whole
// fields of the line, as the API matches them). BEFORE is the page's start (the "next" of the
// page before; absent: the newest); "older" follows the API's next until it is 0. Drawn in the
// Reports page's panel (reports.js: its tree's node Security Log).
import { api } from './api.js';
import { h, when } from './dom.js';
import { labelled } from './grid.js';

const PAGE = 100;

// The hash of the page starting at before with the filters user and ip.
function pageHash(before, user, ip) {
  return '#security-log/' + [before || 0, user, ip].map((s) => encodeURIComponent(s || '')).join('/');
}

function filterForm(user, ip) {
  const u = h('input', { id: 'seclog-user', value: user || '', placeholder: 'account' });
  const a = h('input', { id: 'seclog-ip', value: ip || '', placeholder: '192.0.2.7' });
  const form = h('form', { id: 'seclog-filter', class: 'commands' }, labelled('Account', u),
    labelled('Address', a), h('button', { id: 'seclog-apply', type: 'submit' }, 'Show'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = pageHash(0, u.value.trim(), a.value.trim());
  });
  return form;
}

export async function securityLogPage(el, beforeText, user, ip) {
  const before = Number(beforeText) || 0;
  const query = new URLSearchParams({ limit: PAGE });
  if (before) query.set('before', before);
  if (user) query.set('user', user);
  if (ip) query.set('ip', ip);
  el.append(h('h3', {}, 'Security Log'), filterForm(user, ip));
  const page = await api('GET', '/api/logs/security?' + query);
  const table = h('table', { id: 'security-log', class: 'grid' },
    h('thead', {}, h('tr', {}, ['Time', 'Module', 'Event'].map((t) => h('th', {}, t)))),
    h('tbody', {}, page.lines.map((l) => h('tr', { dataset: { offset: l.offset } },
      h('td', {}, when(l.time_ms)), h('td', {}, l.module), h('td', { class: 'text' }, l.text)))));
  if (page.lines.length === 0) {
    table.tBodies[0].append(h('tr', { class: 'empty' }, h('td', { colspan: 3 }, 'None.')));
  }
  table.dataset.loaded = 'yes';
  const pager = h('p', { class: 'pager' });
  if (before) pager.append(h('a', { id: 'seclog-newest', href: pageHash(0, user, ip) }, 'newest'), ' ');
  if (page.next) pager.append(h('a', { id: 'seclog-older', href: pageHash(page.next, user, ip) }, 'older'));
  el.append(table, pager);
}
