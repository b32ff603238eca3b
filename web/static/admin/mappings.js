// mappings.js: the Mappings page (guide: mappings and aliases) — the grid (multi-select) of
// address → target with the type (Always, POP3, SMTP, From), the collector it is limited to
// and the comment; Add and Edit open the editor (one address to one or more targets), Delete
// removes the picked ones. Everything through /api/mappings; the server checks every value and
// its refusal is shown in the editor.
import { api } from './api.js';
import { clear, flash, h } from './dom.js';
import { commands, eachPicked, grid, labelled, picked } from './grid.js';

const PAGE = 100;
const TYPES = [['always', 'Always'], ['pop3', 'POP3 only'], ['smtp', 'SMTP only'], ['from', 'From']];

// A mapping's key in the grid: address and target (DELETE /api/mappings takes both).
const keyOf = (m) => m.address + '\n' + m.target;

function del(key) {
  const [address, target] = key.split('\n');
  return api('DELETE', '/api/mappings?address=' + encodeURIComponent(address) +
    '&target=' + encodeURIComponent(target));
}

function input(id, value, attrs = {}) {
  return h('input', { id, value: value || '', ...attrs });
}

// Adds the editor's mappings (one per target); an edit whose address or target changed
// removes the old one after. Throws the server's refusal.
async function save(old, v) {
  for (const target of v.targets) {
    await api('POST', '/api/mappings', { address: v.address, target, type: v.type,
      collector: v.collector, comment: v.comment });
  }
  if (old && (old.address !== v.address || !v.targets.includes(old.target))) await del(keyOf(old));
}

// The editor for mapping old (null: a new one); done() after a save.
function editor(page, old, done) {
  const m = old || { address: '', target: '', type: 'always', collector: '', comment: '' };
  const type = h('select', { id: 'map-type' }, TYPES.map(([k, label]) =>
    h('option', { value: k, selected: (m.type || 'always') === k }, label)));
  const err = h('p', { id: 'map-error', class: 'error', role: 'alert' });
  const form = h('form', { id: 'mapping-editor', class: 'editor wizard' },
    h('h3', {}, old ? 'Edit mapping' : 'Add mapping'),
    labelled('Address', input('map-address', m.address, { required: true }),
      'An address, a local part alone (at every local domain), or a wildcard: * and ?.'),
    labelled('Targets', h('textarea', { id: 'map-targets', rows: 3, cols: 40, value: m.target }),
      'Accounts, lists or addresses, one a line: one mapping each.'),
    labelled('Type', type, 'Always; POP3: only mail a collector brings; SMTP: only mail ' +
      'received by SMTP; From: the sender address too.'),
    labelled('Collector', input('map-collector', m.collector),
      'Only mail the collector of this name brings (empty: any).'),
    labelled('Comment', input('map-comment', m.comment)),
    err, h('div', { class: 'commands' },
      h('button', { type: 'button', onclick: () => form.remove() }, 'Cancel'),
      h('button', { id: 'map-save', type: 'submit', class: 'submit' }, 'Save')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = { address: form.querySelector('#map-address').value.trim(), type: type.value,
      targets: form.querySelector('#map-targets').value.split(/[\n;]/).map((t) => t.trim()).filter(Boolean),
      collector: form.querySelector('#map-collector').value.trim(),
      comment: form.querySelector('#map-comment').value.trim() };
    if (!v.address || v.targets.length === 0) { err.textContent = 'Give an address and a target.'; return; }
    try {
      await save(old, v);
      form.remove();
      flash('Mapping ' + v.address + ' saved.');
      done();
    } catch (e) { err.textContent = e.message; }
  });
  page.querySelector('#wizard, .editor')?.remove();
  page.querySelector('h2').after(form);
  form.querySelector('#map-address').focus();
}

export async function mappingsPage(el, after) {
  const redraw = () => mappingsPage(clear(el), after);
  const rows = await api('GET', '/api/mappings?limit=' + PAGE + (after ? '&after=' + encodeURIComponent(after) : ''));
  const open = (m) => editor(el, m, redraw);
  const table = grid('mappings-grid', [
    { label: 'Address', cell: (m) => m.address, class: 'name' },
    { label: 'Target', cell: (m) => m.target },
    { label: 'Type', cell: (m) => (TYPES.find(([k]) => k === m.type) || [0, m.type])[1] },
    { label: 'Collector', cell: (m) => m.collector },
    { label: 'Comment', cell: (m) => m.comment },
  ], rows, keyOf, open);
  el.append(h('h2', {}, 'Mappings'), commands([
    ['add-mapping', 'Add mapping', () => editor(el, null, redraw)],
    ['edit-mapping', 'Edit', () => {
      const keys = picked(table);
      if (keys.length !== 1) return flash('Select one mapping to edit.', true);
      open(rows.find((m) => keyOf(m) === keys[0]));
    }],
    ['delete-mapping', 'Delete', () => {
      if (confirm('Delete the selected mappings?')) eachPicked(table, 'Deleted', del, redraw, 'mappings');
    }],
    ['refresh', 'Refresh', redraw],
  ]), table);
  const pager = h('p', { class: 'pager' });
  if (after) pager.append(h('a', { href: '#mappings' }, 'first'), ' ');
  if (rows.length === PAGE) pager.append(h('a', { href: '#mappings/' + encodeURIComponent(rows[PAGE - 1].address) }, 'next'));
  el.append(pager);
}
