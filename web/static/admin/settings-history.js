// settings-history.js: the settings history (GET /api/settings-history, newest first, 50 a
// page) — who, when, which document and keys; pick two changes to compare (every key that
// differs between the settings after the older and after the newer one); roll back one change, or everything to a point
// (POST /api/settings-history/N/rollback[?to=1]).
import { api } from './api.js';
import { clear, flash, h, when } from './dom.js';

function changedKeys(c) {
  const before = c.before || {};
  const after = c.after || {};
  return [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
}

// A document's stored keys just after change seq, from the changes listed: the latest change
// to it at or before seq, else the state before the first one after (null: not known here).
function stateAt(list, doc, seq) {
  const mine = list.filter((c) => c.doc === doc);
  const upto = mine.filter((c) => c.seq <= seq).sort((x, y) => y.seq - x.seq)[0];
  if (upto) return upto.after || {};
  const later = mine.filter((c) => c.seq > seq).sort((x, y) => x.seq - y.seq)[0];
  return later ? later.before || {} : null;
}

// Each key that differs between the settings just after change a and just after change b.
function compare(out, list, a, b) {
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
    h('table', { id: 'compare', class: 'grid' }, h('thead', {}, h('tr', {}, h('th', {}, 'Key'),
      h('th', {}, 'After ' + older.seq), h('th', {}, 'After ' + newer.seq))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', {}, 'No difference.')))));
}

async function rollback(seq, to, reload) {
  const what = to ? `every document back to change ${seq}` : `change ${seq}`;
  if (!confirm('Roll back ' + what + '?')) return;
  const r = await api('POST', `/api/settings-history/${seq}/rollback${to ? '?to=1' : ''}`);
  flash(`Rolled back ${what} (${r.changed} document${r.changed === 1 ? '' : 's'} changed).`);
  reload();
}

export async function historyView(panel, before) {
  const reload = () => historyView(panel, before);
  const list = await api('GET', '/api/settings-history?limit=50' + (before ? '&before=' + before : ''));
  const out = h('div', { class: 'compare-out' });
  const table = h('table', { id: 'history', class: 'grid' }, h('thead', {}, h('tr', {},
    h('th', {}, ''), h('th', {}, '#'), h('th', {}, 'When'), h('th', {}, 'Who'), h('th', {}, 'Document'),
    h('th', {}, 'Keys'), h('th', {}, ''))),
  h('tbody', {}, list.map((c) => h('tr', { dataset: { seq: c.seq } },
    h('td', {}, h('input', { type: 'checkbox', class: 'pick', 'aria-label': 'pick change ' + c.seq })),
    h('td', {}, c.seq), h('td', {}, when(c.at_ms)), h('td', {}, c.by), h('td', {}, c.doc),
    h('td', {}, changedKeys(c).join(', ') || c.note),
    h('td', {}, h('button', { type: 'button', class: 'rollback', onclick: () => rollback(c.seq, false, reload) }, 'Roll back'),
      ' ', h('button', { type: 'button', class: 'rollback-to', onclick: () => rollback(c.seq, true, reload) }, 'Back to here'))))));
  const compareButton = h('button', { id: 'compare-button', type: 'button', onclick: () => {
    const seqs = [...table.querySelectorAll('.pick')].filter((c) => c.checked)
      .map((c) => Number(c.closest('tr').dataset.seq));
    if (seqs.length !== 2) return flash('Pick two changes to compare.', true);
    compare(out, list, ...seqs.map((s) => list.find((c) => c.seq === s)));
  } }, 'Compare');
  const more = list.length === 50 && h('button', { type: 'button', onclick: () =>
    historyView(panel, list[list.length - 1].seq) }, 'Older');
  clear(panel).append(h('h3', {}, 'Settings history'), compareButton, table, more || '', out);
}
