// reports.js: the Reports page — the outbound queue (a page of entries, lowest id first; hold,
// release, retry, delete the picked ones; send everything due), the locks after failed logins
// (unlock) and the blocked addresses (block, unblock), and the activity log (newest first).
// The live status stays in the side panel; the settings history is under Settings. The tree at
// the left shows one at a time: #reports/queue[/AFTER] (the default), #reports/locks,
// #reports/activity, and the security log (#security-log[/...], security-log.js).
// Through /api/queue, /api/lockouts, /api/blocks and /api/activity.
import { api, unlock } from './api.js';
import { bytes, clear, flash, h, when } from './dom.js';
import { commands, eachPicked, grid, labelled } from './grid.js';
import { securityLogPage } from './security-log.js';
import { split, tree } from './tree.js';

const QUEUE_PAGE = 100;

async function queue(el, redraw, after) {
  const page = await api('GET', '/api/queue?limit=' + QUEUE_PAGE + (after ? '&after=' + after : ''));
  const table = grid('queue-grid', [
    { label: 'Id', cell: (e) => e.id, class: 'name num' },
    { label: 'Sender', cell: (e) => e.sender || '<>' },
    { label: 'Recipients', cell: (e) => e.rcpts, class: 'num' },
    { label: 'Size', cell: (e) => bytes(e.size), class: 'num' },
    { label: 'Arrived', cell: (e) => when(e.arrival_ms) },
    { label: 'State', cell: (e) => (e.held ? 'held' : 'next try ' + when(e.next_ms)), class: 'state' },
  ], page.entries, (e) => String(e.id));
  const act = (verb, what) => () => eachPicked(table, verb,
    (id) => api('POST', '/api/queue/' + id + '/' + what), redraw, 'queue entries');
  const pager = h('p', { class: 'pager' });
  if (after) pager.append(h('a', { href: '#reports/queue' }, 'first'), ' ');
  if (page.more) pager.append(h('a', { href: '#reports/queue/' + page.entries[page.entries.length - 1].id }, 'next'));
  el.append(h('h3', {}, 'Queue'), commands([
    ['queue-hold', 'Hold', act('Held', 'hold')],
    ['queue-release', 'Release', act('Released', 'release')],
    ['queue-retry', 'Retry now', act('Due now', 'retry')],
    ['queue-delete', 'Delete', () => {
      if (confirm('Drop the selected entries (no bounce is sent)?')) {
        eachPicked(table, 'Deleted', (id) => api('DELETE', '/api/queue/' + id), redraw, 'queue entries');
      }
    }],
    ['queue-flush', 'Send all now', async () => { await api('POST', '/api/queue/flush'); flash('Every entry not held is due now.'); redraw(); }],
  ]), table, pager);
}

// A lock's key: user and address.
const lockKey = (l) => l.user + ' ' + l.ip;

async function lockouts(el, redraw) {
  const { locks: all, blocks } = await api('GET', '/api/lockouts');
  const table = grid('locks-grid', [
    { label: 'Account', cell: (l) => l.user, class: 'name' },
    { label: 'From', cell: (l) => l.ip },
    { label: 'Failures', cell: (l) => l.failures, class: 'num' },
    { label: 'Until', cell: (l) => when(l.until_ms) },
  ], all, lockKey);
  el.append(h('h3', {}, 'Locks after failed logins'), commands([
    ['unlock-picked', 'Unlock', () => eachPicked(table, 'Unlocked', (k) => {
      const [user, ip] = k.split(' ');
      return unlock(user, ip === '*' ? undefined : ip); // '*': the administrator's lock
    }, redraw, 'locks')],
  ]), table);
  const btable = grid('blocks-grid', [
    { label: 'Address or network', cell: (b) => b.net, class: 'name' },
    { label: 'Reason', cell: (b) => b.reason + (b.automatic ? ' (automatic, ' + b.protocol + ')' : '') },
    { label: 'Since', cell: (b) => when(b.created_ms) },
    { label: 'Until', cell: (b) => (b.until_ms ? when(b.until_ms) : 'removed') },
  ], blocks, (b) => b.net);
  const err = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { id: 'block-form', class: 'commands' },
    labelled('Block', h('input', { id: 'block-net', placeholder: '192.0.2.7 or 192.0.2.0/24' })),
    labelled('Minutes (0: until removed)', h('input', { id: 'block-minutes', type: 'number', min: 0, value: 0 })),
    labelled('Reason', h('input', { id: 'block-reason' })),
    h('button', { id: 'block-add', type: 'submit' }, 'Block'), err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('POST', '/api/blocks', { net: form.querySelector('#block-net').value.trim(),
        minutes: Number(form.querySelector('#block-minutes').value || 0),
        reason: form.querySelector('#block-reason').value.trim() });
      redraw();
    } catch (e) { err.textContent = e.message; }
  });
  el.append(h('h3', {}, 'Blocked addresses'), commands([
    ['unblock', 'Unblock', () => eachPicked(btable, 'Unblocked',
      (n) => api('DELETE', '/api/blocks?net=' + encodeURIComponent(n)), redraw, 'blocks')],
  ]), btable, form);
}

async function activity(el) {
  const lines = await api('GET', '/api/activity?limit=100');
  el.append(h('h3', {}, 'Activity (newest first)'), h('table', { id: 'activity', class: 'grid' },
    h('tbody', {}, lines.map((l) => h('tr', {}, h('td', {}, when(l.time_ms)), h('td', {}, l.text))))));
}

// The tree's nodes: id, label, href, draw(panel, redraw, ...the rest of the hash).
const NODES = [
  { id: 'queue', label: 'Queue', href: '#reports/queue', draw: queue },
  { id: 'locks', label: 'Locks and blocks', href: '#reports/locks', draw: lockouts },
  { id: 'activity', label: 'Activity', href: '#reports/activity', draw: activity },
  { id: 'security-log', label: 'Security Log', href: '#security-log', linkId: 'security-log-link',
    title: 'Logins, failed logins, locks, blocks, administrative changes',
    draw: (panel, redraw, ...rest) => securityLogPage(panel, ...rest) },
];

// #reports/NODE/...: the node's panel; the rest of the hash goes to it (the queue's page).
export async function reportsPage(el, nodeId, ...rest) {
  const node = NODES.find((n) => n.id === nodeId) || NODES[0];
  const redraw = () => reportsPage(clear(el), node.id, ...rest);
  const panel = h('div', { id: 'reports-panel', dataset: { node: node.id } });
  el.append(h('h2', {}, 'Reports'), commands([['refresh', 'Refresh', redraw]]),
    h('p', { class: 'hint' }, 'The settings history is under Settings; the live status is at the right.'),
    split('Reports', tree('reports-tree', NODES, node.id), panel));
  await node.draw(panel, redraw, ...rest);
}
