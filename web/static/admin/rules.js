// rules.js: the Message Rules tab (guide 4.14; the JSON of docs/operations.md) — the rules in
// order (drag a rule, or Up/Down, to reorder), each with its conditions and actions; Save sends
// the whole set (PUT /api/users/{name}/rules), which the directory checks.
import { api } from './api.js';
import { clear, h } from './dom.js';

const FIELDS = ['subject', 'to', 'cc', 'to_or_cc', 'from', 'from_to_cc', 'body', 'size',
  'spam_score', 'keyword', 'flagged', 'marked_read'];
const MATCHES = ['contains', 'equals', 'not_equals', 'wildcard', 'regex', 'less', 'greater'];
const ACTIONS = ['move_to_folder', 'copy_to_folder', 'flag', 'mark_read', 'add_keyword',
  'delete', 'quarantine', 'forward_to', 'redirect_to'];
const BOOL_ACTIONS = ['flag', 'mark_read', 'delete', 'quarantine'];

function select(cls, options, value) {
  return h('select', { class: cls }, options.map((o) => h('option', { value: o, selected: o === value }, o)));
}

function conditionRow(c) {
  return h('div', { class: 'condition' }, select('c-field', FIELDS, c.field),
    select('c-match', MATCHES, c.match), h('input', { class: 'c-value', value: c.value ?? '' }),
    h('label', {}, h('input', { type: 'checkbox', class: 'c-i', checked: c.i !== false }), ' ignore case'),
    h('label', {}, h('input', { type: 'checkbox', class: 'c-n', checked: !!c.n }), ' not'),
    h('button', { type: 'button', onclick: (ev) => ev.target.parentNode.remove() }, 'Remove'));
}

function actionRow(a) {
  const value = BOOL_ACTIONS.includes(a.action) ? '' : a.value ?? '';
  return h('div', { class: 'action' }, select('a-action', ACTIONS, a.action),
    h('input', { class: 'a-value', value, placeholder: 'folder, keyword or addresses' }),
    h('button', { type: 'button', onclick: (ev) => ev.target.parentNode.remove() }, 'Remove'));
}

function ruleBox(r, list) {
  const conds = h('div', { class: 'conditions' }, (r.conditions || []).map(conditionRow));
  const acts = h('div', { class: 'actions' }, (r.actions || []).map(actionRow));
  const box = h('fieldset', { class: 'rule', draggable: 'true' },
    h('legend', {}, h('span', { class: 'grip', title: 'drag to reorder' }, '\u2630'), ' Rule'),
    h('label', {}, 'Name ', h('input', { class: 'r-name', value: r.name ?? '' })),
    h('label', {}, h('input', { type: 'checkbox', class: 'r-enabled', checked: r.enabled !== false }), ' enabled'),
    h('label', {}, ' when ', select('r-match', ['all', 'any'], r.match || 'all'), ' conditions match'),
    h('label', {}, h('input', { type: 'checkbox', class: 'r-stop', checked: !!r.stop_after }), ' stop after this rule'),
    h('h4', {}, 'Conditions'), conds,
    h('button', { type: 'button', class: 'add-condition', onclick: () => conds.append(conditionRow({ field: 'subject', match: 'contains' })) }, 'Add condition'),
    h('h4', {}, 'Actions'), acts,
    h('button', { type: 'button', class: 'add-action', onclick: () => acts.append(actionRow({ action: 'move_to_folder' })) }, 'Add action'),
    h('div', { class: 'commands' },
      h('button', { type: 'button', onclick: () => box.previousElementSibling && list.insertBefore(box, box.previousElementSibling) }, 'Up'),
      h('button', { type: 'button', onclick: () => box.nextElementSibling && list.insertBefore(box.nextElementSibling, box) }, 'Down'),
      h('button', { type: 'button', onclick: () => box.remove() }, 'Delete rule')));
  box.dataset.types = JSON.stringify(r.types || ['incoming', 'local', 'system']);
  box.addEventListener('dragstart', () => box.classList.add('dragging'));
  box.addEventListener('dragend', () => box.classList.remove('dragging'));
  return box;
}

function readRule(box) {
  const q = (c) => box.querySelector(c);
  return {
    name: q('.r-name').value, enabled: q('.r-enabled').checked, match: q('.r-match').value,
    types: JSON.parse(box.dataset.types), stop_after: q('.r-stop').checked,
    conditions: [...box.querySelectorAll('.condition')].map((c) => ({
      field: c.querySelector('.c-field').value, match: c.querySelector('.c-match').value,
      value: c.querySelector('.c-value').value, i: c.querySelector('.c-i').checked,
      n: c.querySelector('.c-n').checked })),
    actions: [...box.querySelectorAll('.action')].map((a) => {
      const action = a.querySelector('.a-action').value;
      return { action, value: BOOL_ACTIONS.includes(action) ? true : a.querySelector('.a-value').value };
    }),
  };
}

// Moving a dragged rule: it goes before the rule under the pointer.
function dragOrder(list) {
  list.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    const dragging = list.querySelector('.dragging');
    const over = ev.target.closest('.rule');
    if (dragging && over && over !== dragging) list.insertBefore(dragging, over);
  });
}

export async function rulesTab(panel, user) {
  const path = '/api/users/' + encodeURIComponent(user) + '/rules';
  let set = { rules: [] };
  try { set = await api('GET', path); } catch (e) { if (e.status !== 404) throw e; }
  const list = h('div', { id: 'rules-list' });
  dragOrder(list);
  list.append(...set.rules.map((r) => ruleBox(r, list)));
  const status = h('p', { class: 'form-status', role: 'status' });
  clear(panel).append(list,
    h('div', { class: 'commands' },
      h('button', { id: 'add-rule', type: 'button', onclick: () => list.append(ruleBox({ conditions: [{ field: 'subject', match: 'contains' }], actions: [{ action: 'move_to_folder' }] }, list)) }, 'Add rule'),
      h('button', { id: 'save-rules', type: 'button', onclick: async () => {
        try {
          await api('PUT', path, { rules: [...list.querySelectorAll('.rule')].map(readRule) });
          status.textContent = 'Rules saved.';
          status.classList.remove('error');
        } catch (e) {
          status.textContent = e.message;
          status.classList.add('error');
        }
      } }, 'Save rules')),
    status);
}
