// users.js: the Users page — the grid (multi-select; a padlock for a locked account, an arrow
// for one that forwards or has assistants; inbox messages and size), and its commands: add
// (the wizard), bulk add from CSV, lock, unlock, delete, open the editor (double-click or Edit).
import { api, lock, unlock } from './api.js';
import { bytes, clear, h } from './dom.js';
import { eachPicked, pickAll, rangePick } from './grid.js';
import { addUserWizard } from './wizard.js';
import { bulkAdd } from './bulk.js';

const PAGE = 100;

// The grid's rows: GET /api/users alone (each account's counts, forwarding and lock state).
async function load(offset) {
  const users = await api('GET', '/api/users');
  users.sort((a, b) => a.user.localeCompare(b.user));
  return { total: users.length, rows: users.slice(offset, offset + PAGE) };
}

function row(u) {
  const name = encodeURIComponent(u.user);
  return h('tr', { dataset: { user: u.user, key: u.user }, ondblclick: () => { location.hash = 'user/' + name; } },
    h('td', {}, h('input', { type: 'checkbox', class: 'pick', 'aria-label': 'select ' + u.user })),
    h('td', { class: 'marks' },
      u.locked && h('img', { class: 'padlock', src: '/admin/padlock.svg', width: 14, height: 16,
        alt: 'locked', title: 'locked (by the administrator or after failed logins; Reports: from where)' }),
      u.forwards && h('span', { class: 'arrow', title: 'forwards or has assistants' }, '\u2192')),
    h('td', { class: 'name' }, h('a', { href: '#user/' + name }, u.user)),
    h('td', { class: 'num' }, u.messages),
    h('td', { class: 'num' }, bytes(u.bytes)));
}

export async function usersPage(el, offsetText) {
  const offset = Number(offsetText) || 0;
  const redraw = () => usersPage(clear(el), String(offset));
  const table = h('table', { id: 'users-grid', class: 'grid' },
    h('thead', {}, h('tr', {}, h('th', {}, pickAll()),
    h('th', {}, ''), h('th', {}, 'User'), h('th', {}, 'Messages'), h('th', {}, 'Size'))),
    h('tbody', {}));
  rangePick(table);
  const bar = h('div', { class: 'commands' },
    h('button', { id: 'add-user', type: 'button', onclick: () => addUserWizard(el, redraw) }, 'Add user'),
    h('button', { id: 'bulk-add', type: 'button', onclick: () => bulkAdd(el, redraw) }, 'Bulk add from CSV'),
    h('button', { id: 'lock', type: 'button', onclick: () => eachPicked(table, 'Locked',
      (n) => lock(n), redraw, 'users') }, 'Lock'),
    h('button', { id: 'unlock', type: 'button', onclick: () => eachPicked(table, 'Unlocked',
      (n) => unlock(n), redraw, 'users') }, 'Unlock'),
    h('button', { id: 'delete', type: 'button', onclick: () => {
      if (confirm('Delete the selected accounts?')) eachPicked(table, 'Deleted',
        (n) => api('DELETE', '/api/users/' + encodeURIComponent(n)), redraw, 'users');
    } }, 'Delete'),
    h('button', { id: 'refresh', type: 'button', onclick: redraw }, 'Refresh'),
    h('a', { id: 'server-rules-link', class: 'button', href: '#server-rules' }, 'Server Rules and Routing Script'));
  el.append(h('h2', {}, 'Users'), bar, table);
  const { total, rows } = await load(offset);
  table.tBodies[0].append(...rows.map(row));
  table.dataset.loaded = 'yes';
  const pager = h('p', { class: 'pager' }, `${offset + 1}–${offset + rows.length} of ${total} `);
  if (offset > 0) pager.append(h('a', { href: '#users/' + Math.max(0, offset - PAGE) }, 'previous'), ' ');
  if (offset + PAGE < total) pager.append(h('a', { href: '#users/' + (offset + PAGE) }, 'next'));
  el.append(pager);
}
