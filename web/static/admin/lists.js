// lists.js: the Lists page (guide: distribution lists) — the grid of lists (name, whether it
// takes mail from the Internet, members, comment); Add list is a wizard (name and comment,
// members: local accounts picked and remote addresses typed, Internet access, a summary);
// Members edits one list's members; Properties its Internet access and comment (PATCH); Delete
// removes the picked lists. Through /api/lists.
import { api } from './api.js';
import { clear, flash, h } from './dom.js';
import { patchForm, showEditor } from './fields.js';
import { commands, eachPicked, grid, picked } from './grid.js';
import { field, runWizard } from './wizard.js';

const path = (name) => '/api/lists/' + encodeURIComponent(name);
const split = (text) => text.split(/[\n,;]/).map((t) => t.trim()).filter(Boolean);

function steps(users) {
  return [
    {
      title: 'Step 1 of 4: the list',
      draw: (v) => [field('List name', { id: 'wiz-list', value: v.name || '', required: true }),
        field('Comment', { id: 'wiz-comment', value: v.comment || '' }),
        h('p', { class: 'hint' }, 'Mail to name@every-local-domain goes to each member.')],
      read: (v, f) => {
        v.name = f.querySelector('#wiz-list').value.trim();
        v.comment = f.querySelector('#wiz-comment').value.trim();
        return v.name ? '' : 'Enter a list name.';
      },
    },
    {
      title: 'Step 2 of 4: members',
      draw: (v) => [h('fieldset', { id: 'wiz-local' }, h('legend', {}, 'Local accounts'),
        users.map((u) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: u,
          checked: (v.local || []).includes(u) }), ' ' + u))),
      h('label', {}, 'Remote addresses, one a line', ' ',
        h('textarea', { id: 'wiz-remote', rows: 3, cols: 40, value: (v.remote || []).join('\n') }))],
      read: (v, f) => {
        v.local = [...f.querySelectorAll('#wiz-local input:checked')].map((c) => c.value);
        v.remote = split(f.querySelector('#wiz-remote').value);
        return '';
      },
    },
    {
      title: 'Step 3 of 4: options',
      draw: (v) => [h('label', {}, h('input', { id: 'wiz-internet', type: 'checkbox', checked: !!v.internet }),
        ' Allow Internet access (take mail from outside; else only local senders)')],
      read: (v, f) => { v.internet = f.querySelector('#wiz-internet').checked; return ''; },
    },
    {
      title: 'Step 4 of 4: confirm',
      draw: (v) => [h('dl', { class: 'summary' }, h('dt', {}, 'List'), h('dd', {}, v.name),
        h('dt', {}, 'Members'), h('dd', {}, [...v.local, ...v.remote].join(', ') || 'none'),
        h('dt', {}, 'Internet access'), h('dd', {}, v.internet ? 'yes' : 'no'))],
      read: () => '',
    },
  ];
}

async function addList(v) {
  await api('POST', '/api/lists', { name: v.name, internet: v.internet, comment: v.comment });
  const failed = [];
  for (const m of [...v.local, ...v.remote]) {
    await api('POST', path(v.name) + '/members', { address: m }).catch((e) => failed.push(m + ': ' + e.message));
  }
  if (failed.length) flash('List ' + v.name + ' added; members refused: ' + failed.join('; '), true);
  else flash('List ' + v.name + ' added.');
}

// One list's members: remove any, add one.
async function membersEditor(page, name, done) {
  const l = await api('GET', path(name));
  const err = h('p', { id: 'member-error', class: 'error', role: 'alert' });
  const box = h('section', { id: 'list-editor', class: 'editor wizard', dataset: { list: l.name } },
    h('h3', {}, 'Members of ' + l.name + (l.internet ? ' (takes Internet mail)' : '')),
    h('ul', { class: 'members' }, l.members.map((m) => h('li', { dataset: { member: m } }, m, ' ',
      h('button', { type: 'button', class: 'remove', onclick: async () => {
        try {
          await api('DELETE', path(l.name) + '/members?address=' + encodeURIComponent(m));
          membersEditor(page, name, done);
        } catch (e) { err.textContent = e.message; }
      } }, 'Remove')))));
  const add = h('form', { class: 'commands' }, h('input', { id: 'member-new', 'aria-label': 'new member' }),
    h('button', { id: 'member-add', type: 'submit' }, 'Add member'),
    h('button', { type: 'button', onclick: () => { box.remove(); done(); } }, 'Close'));
  add.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('POST', path(l.name) + '/members', { address: add.querySelector('#member-new').value.trim() });
      membersEditor(page, name, done);
    } catch (e) { err.textContent = e.message; }
  });
  box.append(add, err);
  page.querySelector('#wizard, .editor')?.remove();
  page.querySelector('h2').after(box);
}

const listFields = [
  { key: 'internet', label: 'Allow Internet access', type: 'bool', help: 'Take mail from outside; else only local senders.' },
  { key: 'comment', label: 'Comment', type: 'text' },
];

async function propertiesEditor(page, name, done) {
  const l = await api('GET', path(name));
  showEditor(page, 'list-properties', 'Properties of ' + l.name,
    patchForm('list-form', listFields, l, (c) => api('PATCH', path(name),
      { ...c, ...(c.comment === null ? { comment: '' } : {}) }),
    () => flash('List ' + name + ' changed.')), done);
}

// The one picked list (else a flash, and null).
function onePicked(table) {
  const keys = picked(table);
  if (keys.length === 1) return keys[0];
  flash('Select one list.', true);
  return null;
}

export async function listsPage(el) {
  const redraw = () => listsPage(clear(el));
  const lists = await api('GET', '/api/lists?limit=1000');
  const edit = (l) => membersEditor(el, l.name, redraw);
  const table = grid('lists-grid', [
    { label: 'List', cell: (l) => l.name, class: 'name' },
    { label: 'Internet', cell: (l) => (l.internet ? 'yes' : 'no') },
    { label: 'Members', cell: (l) => l.members.join(', '), class: 'members' },
    { label: 'Comment', cell: (l) => l.comment },
  ], lists, (l) => l.name, edit);
  el.append(h('h2', {}, 'Lists'), commands([
    ['add-list', 'Add list', async () => {
      const users = (await api('GET', '/api/users')).map((u) => u.user).sort();
      runWizard(el, 'Add list', steps(users), addList, redraw);
    }],
    ['edit-members', 'Members', () => { const n = onePicked(table); if (n) edit({ name: n }); }],
    ['edit-list', 'Properties', () => { const n = onePicked(table); if (n) propertiesEditor(el, n, redraw); }],
    ['delete-list', 'Delete', () => {
      if (confirm('Delete the selected lists?')) eachPicked(table, 'Deleted', (n) => api('DELETE', path(n)), redraw, 'lists');
    }],
    ['refresh', 'Refresh', redraw],
  ]), table);
}
