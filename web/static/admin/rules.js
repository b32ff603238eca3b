// rules.js: the Message Rules tab (guide 4.14; the JSON of docs/operations.md) — the rules in
// order (drag a rule, or Up/Down, to reorder), each with its message types, conditions and
// actions; Save sends the whole set (PUT /api/users/{name}/rules, or /api/rules for the
// server's own rules on all mail: rulesEditor), which the directory checks.
// The menus are the server's own names (GET /api/rules/names, from pb_rules), so every
// condition, match type, action and type the format has can be shown and edited. A rule, a
// condition or an action the user did not touch is sent back exactly as it came (unknown
// keys included); an edited one keeps the keys this tab does not show.
import { api } from './api.js';
import { clear, h } from './dom.js';

const SWITCH_LABELS = { flag: ['Flag', 'Unflag'], delete: ['Delete', 'Undelete'],
  quarantine: ['Quarantine', 'Release from quarantine'], mark_read: ['Mark read', 'Mark unread'] };

// A menu of options; a value the server sent that is not among them stays selectable, so a
// rule is never switched to the first option.
function select(cls, options, value) {
  const all = value === undefined || options.includes(value) ? options : [value, ...options];
  return h('select', { class: cls }, all.map((o) => h('option', { value: o, selected: o === value }, o)));
}

// Marks the row (or rule) edited on any change inside it.
function tracked(el, orig) {
  el.origItem = orig;
  const mark = () => { el.dataset.edited = '1'; };
  el.addEventListener('input', mark);
  el.addEventListener('change', mark);
  return el;
}

function kindOf(names, field) {
  return (names.fields.find((f) => f.name === field) || { kind: 'text' }).kind;
}

// The value control of a condition: a true/false menu for checkbox fields, else text.
function condValue(kind, value) {
  if (kind === 'checkbox')
    return select('c-value c-flag', ['true', 'false'], value === false ? 'false' : 'true');
  const ph = { date: 'YYYY-MM-DD', time: 'HH:MM', numeric: 'a number' }[kind] || '';
  return h('input', { class: 'c-value', value: typeof value === 'boolean' ? '' : value ?? '', placeholder: ph });
}

function conditionRow(names, c, isNew) {
  const field = select('c-field', names.fields.map((f) => f.name), c.field);
  const row = h('div', { class: 'condition' }, field,
    select('c-match', names.matches, c.match), condValue(kindOf(names, c.field), c.value),
    h('label', {}, h('input', { type: 'checkbox', class: 'c-i', checked: !!c.i }), ' ignore case'),
    h('label', {}, h('input', { type: 'checkbox', class: 'c-n', checked: !!c.n }), ' not'),
    h('button', { type: 'button', class: 'remove', onclick: () => row.remove() }, 'Remove'));
  field.addEventListener('change', () => row.querySelector('.c-value')
    .replaceWith(condValue(kindOf(names, field.value), undefined)));
  if (isNew) row.dataset.edited = '1';
  return tracked(row, c);
}

function readCondition(names, row) {
  if (!row.dataset.edited) return row.origItem;
  const q = (c) => row.querySelector(c);
  const field = q('.c-field').value;
  const value = kindOf(names, field) === 'checkbox' ? q('.c-value').value === 'true' : q('.c-value').value;
  return { ...row.origItem, field, match: q('.c-match').value, value,
    i: q('.c-i').checked, n: q('.c-n').checked };
}

function actionKind(names, action) {
  return (names.actions.find((a) => a.name === action) || { value: 'text' }).value;
}

// The value control of an action: on/off for a switch, a number, or text.
function actionValue(kind, action, value) {
  if (kind === 'switch') {
    const [on, off] = SWITCH_LABELS[action] || ['on', 'off'];
    return h('select', { class: 'a-value a-switch' },
      h('option', { value: 'true', selected: value !== false }, on),
      h('option', { value: 'false', selected: value === false }, off));
  }
  return h('input', { class: 'a-value', type: kind === 'number' ? 'number' : 'text',
    step: kind === 'number' ? 'any' : undefined, value: value ?? '',
    placeholder: kind === 'number' ? 'a number' : 'folder, keyword, addresses or header' });
}

function actionRow(names, a, isNew) {
  const menu = select('a-action', names.actions.map((x) => x.name), a.action);
  const row = h('div', { class: 'action' }, menu, actionValue(actionKind(names, a.action), a.action, a.value),
    h('button', { type: 'button', class: 'remove', onclick: () => row.remove() }, 'Remove'));
  menu.addEventListener('change', () => row.querySelector('.a-value')
    .replaceWith(actionValue(actionKind(names, menu.value), menu.value, undefined)));
  if (isNew) row.dataset.edited = '1';
  return tracked(row, a);
}

function readAction(names, row) {
  if (!row.dataset.edited) return row.origItem;
  const action = row.querySelector('.a-action').value;
  const raw = row.querySelector('.a-value').value;
  const kind = actionKind(names, action);
  const value = kind === 'switch' ? raw === 'true' : kind === 'number' && raw.trim() !== '' && isFinite(raw) ? Number(raw) : raw;
  return { ...row.origItem, action, value };
}

function typeBoxes(names, types) {
  const on = types || names.types;
  return h('span', { class: 'r-types' }, ' for ', names.types.map((t) =>
    h('label', {}, h('input', { type: 'checkbox', class: 'r-type', value: t, checked: on.includes(t) }), ' ' + t)),
  ' messages');
}

function ruleHead(names, r) {
  return [h('legend', {}, h('span', { class: 'grip', title: 'drag to reorder' }, '\u2630'), ' Rule'),
    h('label', {}, 'Name ', h('input', { class: 'r-name', value: r.name ?? '' })),
    h('label', {}, h('input', { type: 'checkbox', class: 'r-enabled', checked: r.enabled !== false }), ' enabled'),
    h('label', {}, ' when ', select('r-match', ['all', 'any'], r.match || 'all'), ' conditions match'),
    typeBoxes(names, r.types),
    h('label', {}, h('input', { type: 'checkbox', class: 'r-stop', checked: !!r.stop_after }), ' stop after this rule')];
}

function ruleBox(names, r, list, isNew) {
  const conds = h('div', { class: 'conditions' }, (r.conditions || []).map((c) => conditionRow(names, c)));
  const acts = h('div', { class: 'actions' }, (r.actions || []).map((a) => actionRow(names, a)));
  const box = h('fieldset', { class: 'rule', draggable: 'true' }, ruleHead(names, r),
    h('h4', {}, 'Conditions'), conds,
    h('button', { type: 'button', class: 'add-condition', onclick: () => conds.append(conditionRow(names, { field: 'subject', match: 'contains', i: true }, true)) }, 'Add condition'),
    h('h4', {}, 'Actions'), acts,
    h('button', { type: 'button', class: 'add-action', onclick: () => acts.append(actionRow(names, { action: 'move_to_folder' }, true)) }, 'Add action'),
    h('div', { class: 'commands' },
      h('button', { type: 'button', class: 'up', onclick: () => box.previousElementSibling && list.insertBefore(box, box.previousElementSibling) }, 'Up'),
      h('button', { type: 'button', class: 'down', onclick: () => box.nextElementSibling && list.insertBefore(box.nextElementSibling, box) }, 'Down'),
      h('button', { type: 'button', class: 'delete-rule', onclick: () => box.remove() }, 'Delete rule')));
  box.addEventListener('click', (ev) => {
    if (ev.target.matches('.remove, .add-condition, .add-action')) box.dataset.edited = '1';
  });
  box.addEventListener('dragstart', () => box.classList.add('dragging'));
  box.addEventListener('dragend', () => box.classList.remove('dragging'));
  if (isNew) box.dataset.edited = '1';
  return tracked(box, r);
}

// The rule as it is to be saved: as it came when untouched, else its own keys over the
// original's (those this tab does not know are kept).
function readRule(names, box) {
  if (!box.dataset.edited) return box.origItem;
  const q = (c) => box.querySelector(c);
  return { ...box.origItem, name: q('.r-name').value, enabled: q('.r-enabled').checked,
    match: q('.r-match').value, types: [...box.querySelectorAll('.r-type')].filter((t) => t.checked).map((t) => t.value),
    stop_after: q('.r-stop').checked,
    conditions: [...box.querySelectorAll('.condition')].map((c) => readCondition(names, c)),
    actions: [...box.querySelectorAll('.action')].map((a) => readAction(names, a)) };
}

// Moving a dragged rule: it goes before the rule under the pointer.
function dragOrder(list) {
  list.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    const dragging = list.querySelector('.dragging');
    const over = ev.target.closest('.rule');
    if (dragging && over && over !== dragging) list.insertBefore(dragging, over);
  });
  list.addEventListener('drop', (ev) => ev.preventDefault());
}

async function save(names, list, path, set, status) {
  try {
    const rules = [...list.querySelectorAll('.rule')].map((b) => readRule(names, b));
    await api('PUT', path, { ...set, rules });
    status.textContent = 'Rules saved.';
    status.classList.remove('error');
  } catch (e) {
    status.textContent = e.message;
    status.classList.add('error');
  }
}

// The rules editor on panel for the rule set at path (GET/PUT; a 404 is an empty set): an
// account's (rulesTab) or the server's (server-rules.js, /api/rules).
export async function rulesEditor(panel, path) {
  let set = { rules: [] };
  const names = await api('GET', '/api/rules/names');
  try { set = await api('GET', path); } catch (e) { if (e.status !== 404) throw e; }
  const list = h('div', { id: 'rules-list' });
  dragOrder(list);
  list.append(...set.rules.map((r) => ruleBox(names, r, list)));
  const status = h('p', { class: 'form-status', role: 'status' });
  const fresh = () => ({ name: '', conditions: [{ field: 'subject', match: 'contains', i: true }], actions: [{ action: 'move_to_folder' }] });
  clear(panel).append(list,
    h('div', { class: 'commands' },
      h('button', { id: 'add-rule', type: 'button', onclick: () => {
        const box = ruleBox(names, fresh(), list, true);
        box.querySelectorAll('.condition, .action').forEach((r) => { r.dataset.edited = '1'; });
        list.append(box);
      } }, 'Add rule'),
      h('button', { id: 'save-rules', type: 'button', onclick: () => save(names, list, path, set, status) }, 'Save rules')),
    status);
}

export function rulesTab(panel, user) {
  return rulesEditor(panel, '/api/users/' + encodeURIComponent(user) + '/rules');
}
