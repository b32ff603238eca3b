// connectors.js: the Mail Connectors page (guide: mail collectors, connection methods) — the
// collectors grid (server, protocol, account, routing, last run) with Add collector (a wizard:
// protocol and server, TLS, the account — its password is sent once and never shown back —,
// what to leave and skip, routing), Collect now, Delete; and the connection methods grid
// (schedule, state, last and next run) with Add, Connect now, Pause, Resume, Delete. Edit (or a
// double-click) opens a collector's settings (every field; the password write-only: typed
// only to change it) or a connection method's settings and its first schedule rule.
// The tree at the left (#connectors/collectors, #connectors/connections) shows one grid at a time;
// wizards and editors open under the page's heading. Through /api/collectors and /api/connections.
import { api } from './api.js';
import { clear, flash, h, when } from './dom.js';
import { patchForm, showEditor } from './fields.js';
import { commands, eachPicked, grid, labelled, picked } from './grid.js';
import { split, tree } from './tree.js';
import { field, runWizard } from './wizard.js';

const enc = encodeURIComponent;

function select(id, options, value) {
  return h('select', { id }, options.map(([k, label]) => h('option', { value: k, selected: value === k }, label)));
}

const collectorSteps = [
  {
    title: 'Step 1 of 5: the server',
    draw: (v) => [field('Collector name', { id: 'wiz-name', value: v.name || '', required: true }),
      labelled('Protocol', select('wiz-protocol', [['pop3', 'POP3'], ['imap', 'IMAP (migrate and sync)']], v.protocol)),
      field('Server', { id: 'wiz-server', value: v.server || '' }),
      field('Port (empty: the default of the protocol and TLS)', { id: 'wiz-port', type: 'number', min: 1, max: 65535, value: v.port || '' }),
      labelled('TLS', select('wiz-tls', [['none', 'None'], ['ssl', 'TLS from the start'], ['stls', 'STLS / STARTTLS']], v.tls))],
    read: (v, f) => {
      v.name = f.querySelector('#wiz-name').value.trim();
      v.protocol = f.querySelector('#wiz-protocol').value;
      v.server = f.querySelector('#wiz-server').value.trim();
      v.port = f.querySelector('#wiz-port').value;
      v.tls = f.querySelector('#wiz-tls').value;
      return v.name && v.server ? '' : 'Enter a name and a server.';
    },
  },
  {
    title: 'Step 2 of 5: the account at the server',
    draw: (v) => [field('User', { id: 'wiz-user', value: v.user || '', autocomplete: 'off' }),
      field('Password', { id: 'wiz-password', type: 'password', value: v.password || '', autocomplete: 'new-password' }),
      h('p', { class: 'hint' }, 'The password is kept encrypted and never shown again.')],
    read: (v, f) => {
      v.user = f.querySelector('#wiz-user').value.trim();
      v.password = f.querySelector('#wiz-password').value;
      return v.user ? '' : 'Enter the user name at the server.';
    },
  },
  {
    title: 'Step 3 of 5: what to download',
    draw: (v) => [field('Leave messages on the server for days (0: delete once safe)', { id: 'wiz-leave', type: 'number', min: 0, value: v.leave_days ?? 0 }),
      field('Do not download messages over KB (0: no limit)', { id: 'wiz-max', type: 'number', min: 0, value: v.max_kb ?? 0 }),
      field('Collect every minutes (0: when run or scheduled)', { id: 'wiz-interval', type: 'number', min: 0, value: v.interval_min ?? 0 })],
    read: (v, f) => {
      v.leave_days = Number(f.querySelector('#wiz-leave').value || 0);
      v.max_kb = Number(f.querySelector('#wiz-max').value || 0);
      v.interval_min = Number(f.querySelector('#wiz-interval').value || 0);
      return '';
    },
  },
  {
    title: 'Step 4 of 5: routing',
    draw: (v) => [labelled('Route', select('wiz-route', [['user', 'Everything to one user or list'],
      ['headers', 'By the recipients in the header fields'], ['smtp', 'Everything on to another server']], v.route || 'user')),
    field('Target (route to one user, or on to an address)', { id: 'wiz-target', value: v.target || '' }),
    field('Accepted domains (by headers: comma separated, wildcards)', { id: 'wiz-domains', value: v.domains || '' })],
    read: (v, f) => {
      v.route = f.querySelector('#wiz-route').value;
      v.target = f.querySelector('#wiz-target').value.trim();
      v.domains = f.querySelector('#wiz-domains').value.trim();
      return '';
    },
  },
  {
    title: 'Step 5 of 5: confirm',
    draw: (v) => [h('dl', { class: 'summary' },
      [['Collector', v.name], ['Server', `${v.protocol} ${v.server}${v.port ? ':' + v.port : ''} (TLS ${v.tls})`],
        ['User', v.user], ['Leave', v.leave_days + ' days'], ['Size limit', v.max_kb ? v.max_kb + ' KB' : 'none'],
        ['Route', v.route + (v.target ? ' to ' + v.target : '')]]
        .flatMap(([k, x]) => [h('dt', {}, k), h('dd', {}, x)]))],
    read: () => '',
  },
];

// The wizard's values as the collector's settings (the keys of `pillarbox collector add`).
function settingsOf(v) {
  const s = { protocol: v.protocol, server: v.server, tls: v.tls, user: v.user,
    leave_days: v.leave_days, max_kb: v.max_kb, interval_min: v.interval_min, route: v.route };
  if (v.port) s.port = Number(v.port);
  if (v.password) s.password = v.password;
  if (v.target) s.target = v.target;
  if (v.domains) s.domains = v.domains;
  return s;
}

async function collectNow(name) {
  const r = await api('POST', '/api/collectors/' + enc(name) + '/run');
  flash(`${name}: ${r.fetched} fetched, ${r.too_big} too big, ${r.deleted} deleted, ${r.waiting} waiting.`);
}

const TLS_OPTIONS = [['none', 'None'], ['ssl', 'TLS from the start'], ['stls', 'STLS / STARTTLS']];
const collectorFields = [
  { key: 'protocol', label: 'Protocol', type: 'select', options: [['pop3', 'POP3'], ['imap', 'IMAP']] },
  { key: 'server', label: 'Server', type: 'text' },
  { key: 'port', label: 'Port', type: 'number', help: '0: the default of the protocol and TLS.' },
  { key: 'tls', label: 'TLS', type: 'select', options: TLS_OPTIONS },
  { key: 'user', label: 'User', type: 'text' },
  { key: 'password', label: 'Password', type: 'password', help: 'Never shown: type one only to change it.' },
  { key: 'leave_days', label: 'Leave on the server for days', type: 'number', help: '0: delete once safe.' },
  { key: 'max_kb', label: 'Skip messages over KB', type: 'number', help: '0: no limit.' },
  { key: 'interval_min', label: 'Collect every minutes', type: 'number', help: '0: when run or scheduled.' },
  { key: 'route', label: 'Route', type: 'select', options: [['user', 'Everything to one user or list'],
    ['headers', 'By the recipients in the header fields'], ['smtp', 'Everything on to another server']] },
  { key: 'target', label: 'Target', type: 'text' },
  { key: 'domains', label: 'Accepted domains', type: 'text' },
  { key: 'enabled', label: 'Enabled', type: 'bool' },
];

// An emptied field as the collector's "none": 0 for a number, "" for a text.
const collectorValue = (key, v) => (v !== null ? v : collectorFields.find((f) => f.key === key).type === 'number' ? 0 : '');

async function editCollector(el, name, redraw) {
  const c = await api('GET', '/api/collectors/' + enc(name));
  const save = (changes) => api('PATCH', '/api/collectors/' + enc(name),
    Object.fromEntries(Object.entries(changes).map(([k, v]) => [k, collectorValue(k, v)])));
  showEditor(el, 'collector-editor', 'Collector ' + name,
    patchForm('collector-form', collectorFields, c, save, () => flash('Collector ' + name + ' changed.')), redraw);
}

// The one picked row's key (else a flash, and null).
function one(table, what) {
  const keys = picked(table);
  if (keys.length === 1) return keys[0];
  flash('Select one ' + what + '.', true);
  return null;
}

async function collectors(el, panel, redraw) {
  const rows = await api('GET', '/api/collectors?limit=1000');
  const table = grid('collectors-grid', [
    { label: 'Collector', cell: (c) => c.name, class: 'name' },
    { label: 'Server', cell: (c) => `${c.protocol} ${c.server}:${c.port} (${c.tls})` },
    { label: 'User', cell: (c) => c.user },
    { label: 'Route', cell: (c) => c.route + (c.target ? ' → ' + c.target : '') },
    { label: 'Leave', cell: (c) => c.leave_days + ' d' },
    { label: 'Last run', cell: (c) => (c.status ? when(c.status.last_run_ms) + ' ' + c.status.result : 'never'), class: 'last' },
  ], rows, (c) => c.name, (c) => editCollector(el, c.name, redraw));
  panel.append(h('h3', {}, 'Mail collectors'), commands([
    ['add-collector', 'Add collector', () => runWizard(el, 'Add mail collector', collectorSteps, async (v) => {
      await api('POST', '/api/collectors', { name: v.name, settings: settingsOf(v) });
      flash('Collector ' + v.name + ' added.');
    }, redraw)],
    ['edit-collector', 'Edit', () => { const n = one(table, 'collector'); if (n) editCollector(el, n, redraw); }],
    ['collect-now', 'Collect now', () => eachPicked(table, 'Collect now', collectNow, redraw, 'collectors')],
    ['delete-collector', 'Delete', () => {
      if (confirm('Delete the selected collectors?')) eachPicked(table, 'Deleted', (n) => api('DELETE', '/api/collectors/' + enc(n)), redraw, 'collectors');
    }],
  ]), table);
}

function connectionForm(el, redraw) {
  const err = h('p', { class: 'error', role: 'alert' });
  const inp = (id, attrs = {}) => h('input', { id, ...attrs });
  const form = h('form', { id: 'connection-editor', class: 'editor wizard' }, h('h3', {}, 'Add connection method'),
    labelled('Name', inp('conn-name', { required: true })),
    labelled('Collectors', inp('conn-collectors'), 'Their names, comma separated: run at each connection.'),
    labelled('Send the queue', inp('conn-send', { type: 'checkbox', checked: true })),
    labelled('Every minutes', inp('conn-every', { type: 'number', min: 1, value: 10 })),
    labelled('From', inp('conn-from', { placeholder: 'HH:MM' }), 'Empty: all day.'),
    labelled('To', inp('conn-to', { placeholder: 'HH:MM' })),
    labelled('Days', inp('conn-days', { placeholder: 'mon-fri' }), 'Empty: every day.'),
    err, h('div', { class: 'commands' }, h('button', { type: 'button', onclick: () => form.remove() }, 'Cancel'),
      h('button', { id: 'conn-save', type: 'submit', class: 'submit' }, 'Save')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const val = (id) => form.querySelector('#' + id).value.trim();
    const body = { name: val('conn-name'), send: form.querySelector('#conn-send').checked,
      every_min: Number(val('conn-every') || 10),
      collectors: val('conn-collectors').split(',').map((s) => s.trim()).filter(Boolean) };
    if (val('conn-from') || val('conn-to')) Object.assign(body, { from: val('conn-from'), to: val('conn-to') });
    if (val('conn-days')) body.days = val('conn-days');
    try {
      await api('POST', '/api/connections', body);
      flash('Connection method ' + body.name + ' added.');
      redraw();
    } catch (e) { err.textContent = e.message; }
  });
  el.querySelector('#wizard, .editor')?.remove();
  el.querySelector('h2').after(form);
}

const connectionFields = [
  { key: 'send', label: 'Send the queue', type: 'bool' },
  { key: 'collectors', label: 'Collectors', type: 'text', help: 'Their names, comma separated.' },
  { key: 'every_min', label: 'Every minutes', type: 'number' },
  { key: 'from', label: 'From', type: 'text', help: 'HH:MM; From equal to To: all day.' },
  { key: 'to', label: 'To', type: 'text', help: 'HH:MM' },
  { key: 'days', label: 'Days', type: 'text', help: 'all, mon-fri, or mon,wed,sat.' },
  { key: 'min_waiting', label: 'Only if at least this many wait to be sent', type: 'number', help: '0: always.' },
];

// The form's changes as PATCH /api/connections/{name} takes them (the first rule's members).
function connectionPatch(changes) {
  const out = { ...changes };
  if ('collectors' in out) out.collectors = (out.collectors || '').split(',').map((s) => s.trim()).filter(Boolean);
  if (out.from === null || out.to === null) Object.assign(out, { from: '00:00', to: '00:00' });
  if (out.days === null) out.days = 'all';
  if (out.min_waiting === null) out.min_waiting = 0;
  return out;
}

async function editConnection(el, name, redraw) {
  const m = await api('GET', '/api/connections/' + enc(name));
  const values = { send: m.send, collectors: m.collectors.join(', '), ...m.rules[0] };
  const more = m.rules.length > 1 ? ' (its first schedule rule of ' + m.rules.length + ')' : '';
  showEditor(el, 'connection-edit', 'Connection method ' + name + more,
    patchForm('connection-form', connectionFields, values,
      (c) => api('PATCH', '/api/connections/' + enc(name), connectionPatch(c)),
      () => flash('Connection method ' + name + ' changed.')), redraw);
}

async function connections(el, panel, redraw) {
  const rows = await api('GET', '/api/connections?limit=1000');
  const table = grid('connections-grid', [
    { label: 'Method', cell: (m) => m.name, class: 'name' },
    { label: 'State', cell: (m) => m.state },
    { label: 'Schedule', cell: (m) => m.schedule.join('; ') },
    { label: 'Collectors', cell: (m) => m.collectors.join(', ') + (m.send ? ' (sends)' : '') },
    { label: 'Last run', cell: (m) => when(m.last_start_ms) + ' ' + (m.last_result || '') + (m.last_error ? ' ' + m.last_error : '') },
    { label: 'Next', cell: (m) => when(m.next_due_ms) },
  ], rows, (m) => m.name, (m) => editConnection(el, m.name, redraw));
  const act = (verb, what) => () => eachPicked(table, verb, (n) => api('POST', '/api/connections/' + enc(n) + '/' + what), redraw, 'connection methods');
  panel.append(h('h3', {}, 'Connection methods and schedules'), commands([
    ['add-connection', 'Add connection method', () => connectionForm(el, redraw)],
    ['edit-connection', 'Edit', () => { const n = one(table, 'connection method'); if (n) editConnection(el, n, redraw); }],
    ['connect-now', 'Connect now', act('Connecting', 'now')],
    ['pause-connection', 'Pause', act('Paused', 'pause')],
    ['resume-connection', 'Resume', act('Resumed', 'resume')],
    ['hangup-connection', 'Hang up', act('Hung up', 'hangup')],
    ['delete-connection', 'Delete', () => {
      if (confirm('Delete the selected connection methods?')) eachPicked(table, 'Deleted', (n) => api('DELETE', '/api/connections/' + enc(n)), redraw, 'connection methods');
    }],
  ]), table);
}

// The tree's nodes: id, label, draw(page, panel, redraw).
const NODES = [
  { id: 'collectors', label: 'Mail collectors', draw: collectors },
  { id: 'connections', label: 'Connection methods', draw: connections },
];

export async function connectorsPage(el, nodeId) {
  const node = NODES.find((n) => n.id === nodeId) || NODES[0];
  const redraw = () => connectorsPage(clear(el), node.id);
  const panel = h('div', { id: 'connectors-panel', dataset: { node: node.id } });
  el.append(h('h2', {}, 'Mail Connectors'), commands([['refresh', 'Refresh', redraw]]),
    split('Mail Connectors', tree('connectors-tree', NODES.map((n) =>
      ({ id: n.id, label: n.label, href: '#connectors/' + n.id })), node.id), panel));
  await node.draw(el, panel, redraw);
}
