// history-timeline.js: the one timeline of every setting (GET /api/history, newest first, 50 of
// each kind): settings documents, directory records, mail collectors, connection methods and
// their schedules, manual blocks, API keys and the checkpoints, each with its point (12, d3,
// c2, s5, b1, k1), who, when and the keys it changed. Pick two changes of one record to compare
// them (every key that differs between the record after the older and after the newer);
// "Back to here" rolls every kind back to that point (POST /api/history/POINT/rollback-to,
// refused naming the record that cannot be); "Checkpoint" takes one (POST
// /api/history/checkpoint). API keys are shown, never rolled back.
import { api } from './api.js';
import { clear, flash, h, when } from './dom.js';

function keysOf(c, v) {
  return (c.doc.startsWith('user:') && v && v.settings) ? v.settings : (v || {});
}

function changedKeys(c) {
  const before = keysOf(c, c.before);
  const after = keysOf(c, c.after);
  return [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
}

// Every key that differs between the record as change a left it and as change b left it.
function compare(out, a, b) {
  const [older, newer] = a.at_ms <= b.at_ms ? [a, b] : [b, a];
  const x = keysOf(older, older.after);
  const y = keysOf(newer, newer.after);
  const rows = [...new Set([...Object.keys(x), ...Object.keys(y)])]
    .filter((k) => JSON.stringify(x[k]) !== JSON.stringify(y[k]))
    .map((k) => h('tr', {}, h('td', {}, `${newer.doc}.${k}`),
      h('td', {}, JSON.stringify(x[k]) ?? '(none)'), h('td', {}, JSON.stringify(y[k]) ?? '(none)')));
  clear(out).append(h('h4', {}, `After ${older.point} → after ${newer.point}`),
    h('table', { id: 'timeline-compare', class: 'grid' }, h('thead', {}, h('tr', {},
      h('th', {}, 'Key'), h('th', {}, 'After ' + older.point), h('th', {}, 'After ' + newer.point))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', {}, 'No difference.')))));
}

async function rollbackTo(point, reload) {
  if (!confirm(`Roll every setting of every kind back to ${point}?`)) return;
  const r = await api('POST', `/api/history/${encodeURIComponent(point)}/rollback-to`);
  flash(`Rolled back to ${point} (${r.changed} put back).`);
  reload();
}

async function checkpoint(reload) {
  const note = prompt('A note for the checkpoint', 'before my changes');
  if (note === null) return;
  const r = await api('POST', '/api/history/checkpoint', { note });
  flash(`Checkpoint ${r.point} taken.`);
  reload();
}

function row(c, reload) {
  return h('tr', { dataset: { point: c.point } },
    h('td', {}, h('input', { type: 'checkbox', class: 'pick', 'aria-label': 'pick change ' + c.point })),
    h('td', { class: 'point' }, c.point), h('td', { class: 'kind' }, c.kind),
    h('td', {}, when(c.at_ms)), h('td', { class: 'by' }, c.by), h('td', { class: 'doc' }, c.doc),
    h('td', {}, [changedKeys(c).join(', '), c.note].filter((x) => x).join(' — ')),
    h('td', {}, c.kind === 'apikey' ? '' : h('button', { type: 'button', class: 'timeline-rollback-to',
      onclick: () => rollbackTo(c.point, reload) }, 'Back to here')));
}

// The timeline's section (heading, Checkpoint, Compare, the grid and the comparison).
export async function timelineSection(reload) {
  const list = await api('GET', '/api/history?limit=50');
  const out = h('div', { class: 'compare-out' });
  const table = h('table', { id: 'timeline', class: 'grid' }, h('thead', {}, h('tr', {},
    h('th', {}, ''), h('th', {}, 'Point'), h('th', {}, 'Kind'), h('th', {}, 'When'),
    h('th', {}, 'Who'), h('th', {}, 'Record'), h('th', {}, 'Keys'), h('th', {}, ''))),
  h('tbody', {}, list.map((c) => row(c, reload))));
  const compareButton = h('button', { id: 'timeline-compare-button', type: 'button', onclick: () => {
    const picked = [...table.querySelectorAll('.pick')].filter((p) => p.checked)
      .map((p) => list.find((c) => c.point === p.closest('tr').dataset.point));
    if (picked.length !== 2 || picked[0].doc !== picked[1].doc) {
      return flash('Pick two changes of one record to compare.', true);
    }
    return compare(out, ...picked);
  } }, 'Compare');
  const cp = h('button', { id: 'timeline-checkpoint', type: 'button', onclick: () => checkpoint(reload) },
    'Checkpoint');
  return [h('h3', {}, 'Every change (all kinds)'), cp, ' ', compareButton, table, out];
}
