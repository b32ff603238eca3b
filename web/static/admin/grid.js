// grid.js: the grids with multi-select every toolbar page shows (guide 3.1: pick rows with the
// checkboxes — the header's picks all, shift-click picks a range —, then a command acts on
// each), and the command bar's helpers.
import { flash, h } from './dom.js';

// A grid: id, columns [{label, cell(row) → text or node, class}], rows, key(row) → the text kept
// in each row's data-key (what picked() answers), open(row): on double-click (may be null).
export function grid(id, columns, rows, key, open) {
  const table = h('table', { id, class: 'grid' },
    h('thead', {}, h('tr', {}, h('th', {}, pickAll()),
    columns.map((c) => h('th', {}, c.label)))),
    h('tbody', {}, rows.map((r) => h('tr', { dataset: { key: key(r) },
      ondblclick: open ? () => open(r) : undefined },
    h('td', {}, h('input', { type: 'checkbox', class: 'pick', 'aria-label': 'select ' + key(r) })),
    columns.map((c) => h('td', { class: c.class }, c.cell(r)))))));
  if (rows.length === 0) {
    table.tBodies[0].append(h('tr', { class: 'empty' }, h('td', { colspan: columns.length + 1 }, 'None.')));
  }
  table.dataset.loaded = 'yes';
  return rangePick(table);
}

// Shift-click on a row's box ticks (or unticks) every box from the one clicked before to it
// (guide 3.1: "shift-click on another row to select all rows between"). Answers table.
export function rangePick(table) {
  let anchor = null;
  table.addEventListener('click', (ev) => {
    const box = ev.target.closest('.pick');
    if (!box) return;
    const boxes = [...table.querySelectorAll('tbody .pick')];
    if (ev.shiftKey && boxes.includes(anchor)) {
      const [a, b] = [boxes.indexOf(anchor), boxes.indexOf(box)].sort((x, y) => x - y);
      boxes.slice(a, b + 1).forEach((c) => { c.checked = box.checked; });
    }
    anchor = box;
  });
  return table;
}

// The header's "select all" box: ticks or unticks every row's box (.pick) of its table.
export function pickAll() {
  return h('input', { type: 'checkbox', class: 'pick-all', 'aria-label': 'select all',
    onchange: (ev) => ev.target.closest('table').querySelectorAll('.pick')
      .forEach((c) => { c.checked = ev.target.checked; }) });
}

// The data-key of each picked row.
export function picked(table) {
  return [...table.querySelectorAll('tbody tr')]
    .filter((tr) => tr.querySelector('.pick')?.checked).map((tr) => tr.dataset.key);
}

// Runs fn on each picked row's key in turn; flashes what was done and the failures; redraws.
export async function eachPicked(table, verb, fn, redraw, what = 'rows') {
  const keys = picked(table);
  if (keys.length === 0) return flash('Select one or more ' + what + ' first.', true);
  const failed = [];
  for (const k of keys) await fn(k).catch((e) => failed.push(k + ': ' + e.message));
  flash(failed.length ? verb + ' failed for ' + failed.join('; ') : verb + ': ' + keys.join(', '),
    failed.length > 0);
  redraw();
}

// A command bar: [[id, label, onclick], ...].
export function commands(list) {
  return h('div', { class: 'commands' },
    list.map(([id, label, onclick]) => h('button', { id, type: 'button', onclick }, label)));
}

// A labelled field around an input, select or textarea (which has an id).
export function labelled(label, input, help) {
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input,
    help && h('small', { class: 'help' }, help));
}
