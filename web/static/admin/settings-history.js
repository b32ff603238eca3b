// settings-history.js: the settings history (GET /api/settings-history, newest first, 50 a
// page) — who, when, which document and keys; pick two changes to compare (every key that
// differs between the settings after the older and after the newer one); roll back one change, or everything to a point
// (POST /api/settings-history/N/rollback[?to=1]). Below it the directory's history of accounts'
// settings, mappings, lists, rules and domains (GET /api/directory-history, its own numbers
// #dN), shown and rolled back the same way (POST /api/directory-history/N/rollback[?to=1]).
// Above both, the one timeline of every kind (history-timeline.js).
import { api } from './api.js';
import { clear, flash, h, when } from './dom.js';
import { timelineSection } from './history-timeline.js';

// The keys a record shows: an account's settings, else the record's own keys.
function keysOf(doc, v) {
  return (doc.startsWith('user:') && v && v.settings) ? v.settings : (v || {});
}

function changedKeys(c) {
  const before = keysOf(c.doc, c.before);
  const after = keysOf(c.doc, c.after);
  return [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
}

// A document's stored keys just after change seq, from the changes listed: the latest change
// to it at or before seq, else the state before the first one after (null: not known here).
function stateAt(list, doc, seq) {
  const mine = list.filter((c) => c.doc === doc);
  const upto = mine.filter((c) => c.seq <= seq).sort((x, y) => y.seq - x.seq)[0];
  if (upto) return keysOf(doc, upto.after);
  const later = mine.filter((c) => c.seq > seq).sort((x, y) => x.seq - y.seq)[0];
  return later ? keysOf(doc, later.before) : null;
}

// Each key that differs between the settings just after change a and just after change b.
function compare(out, list, a, b, id) {
  const [older, newer] = a.seq < b.seq ? [a, b] : [b, a];
  const rows = [];
  for (const doc of new Set([older.doc, newer.doc])) {
    const x = stateAt(list, doc, older.seq) || {};
    const y = stateAt(list, doc, newer.seq) || {};
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
      if (JSON.stringify(x[k]) === JSON.stringify(y[k])) continue;
      rows.push(h('tr', {}, h('td', {}, `${doc}.${k}`), h('td', {}, JSON.stringify(x[k]) ?? 'default'),
        h('td', {}, JSON.stringify(y[k]) ?? 'default')));
    }
  }
  clear(out).append(h('h4', {}, `After change ${older.seq} → after change ${newer.seq}`),
    h('table', { id, class: 'grid' }, h('thead', {}, h('tr', {}, h('th', {}, 'Key'),
      h('th', {}, 'After ' + older.seq), h('th', {}, 'After ' + newer.seq))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', {}, 'No difference.')))));
}

// The two histories: sys's settings documents and the directory's records.
const SOURCES = {
  settings: { path: '/api/settings-history', title: 'Settings history', table: 'history',
    compare: 'compare', button: 'compare-button', prefix: '', what: 'document', cls: '' },
  directory: { path: '/api/directory-history', title: 'Accounts, mappings, lists, rules and domains',
    table: 'dir-history', compare: 'dir-compare', button: 'dir-compare-button', prefix: 'd',
    what: 'record', cls: 'dir-' },
};

async function rollback(src, seq, to, reload) {
  const what = to ? `every ${src.what} back to change ${src.prefix}${seq}` : `change ${src.prefix}${seq}`;
  if (!confirm('Roll back ' + what + '?')) return;
  const r = await api('POST', `${src.path}/${seq}/rollback${to ? '?to=1' : ''}`);
  flash(`Rolled back ${what} (${r.changed} ${src.what}${r.changed === 1 ? '' : 's'} changed).`);
  reload();
}

async function historyTable(src, before, reload, page) {
  const list = await api('GET', src.path + '?limit=50' + (before ? '&before=' + before : ''));
  const out = h('div', { class: 'compare-out' });
  const table = h('table', { id: src.table, class: 'grid' }, h('thead', {}, h('tr', {},
    h('th', {}, ''), h('th', {}, '#'), h('th', {}, 'When'), h('th', {}, 'Who'),
    h('th', {}, src.what === 'record' ? 'Record' : 'Document'),
    h('th', {}, 'Keys'), h('th', {}, ''))),
  h('tbody', {}, list.map((c) => h('tr', { dataset: { seq: c.seq } },
    h('td', {}, h('input', { type: 'checkbox', class: 'pick', 'aria-label': 'pick change ' + c.seq })),
    h('td', {}, src.prefix + c.seq), h('td', {}, when(c.at_ms)), h('td', {}, c.by), h('td', {}, c.doc),
    h('td', {}, [changedKeys(c).join(', '), c.note].filter((x) => x).join(' — ')),
    h('td', {}, h('button', { type: 'button', class: src.cls + 'rollback', onclick: () => rollback(src, c.seq, false, reload) }, 'Roll back'),
      ' ', h('button', { type: 'button', class: src.cls + 'rollback-to', onclick: () => rollback(src, c.seq, true, reload) }, 'Back to here'))))));
  const compareButton = h('button', { id: src.button, type: 'button', onclick: () => {
    const seqs = [...table.querySelectorAll('.pick')].filter((c) => c.checked)
      .map((c) => Number(c.closest('tr').dataset.seq));
    if (seqs.length !== 2) return flash('Pick two changes to compare.', true);
    compare(out, list, ...seqs.map((s) => list.find((c) => c.seq === s)), src.compare);
  } }, 'Compare');
  const more = list.length === 50 && h('button', { type: 'button', onclick: () =>
    page(list[list.length - 1].seq) }, 'Older');
  return [h('h3', {}, src.title), compareButton, table, more || '', out];
}

// The settings history, then the directory's; "Older" pages the one it is under.
export async function historyView(panel, before, dirBefore) {
  const reload = () => historyView(panel, before, dirBefore);
  const settings = await historyTable(SOURCES.settings, before, reload,
    (seq) => historyView(panel, seq, dirBefore));
  const directory = await historyTable(SOURCES.directory, dirBefore, reload,
    (seq) => historyView(panel, before, seq));
  const timeline = await timelineSection(reload);
  clear(panel).append(...timeline, ...settings, ...directory);
}
