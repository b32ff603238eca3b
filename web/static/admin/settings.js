// settings.js: the Settings page, built from the settings schema (GET /api/settings) — a tree
// of documents, each document's keys as a form with their values in effect (GET
// /api/settings/DOC), each key's help as context help (the ? beside it), a search box over
// every key's name and help, and the history (settings-history.js).
import { api } from './api.js';
import { clear, h } from './dom.js';
import { historyView } from './settings-history.js';
import { split, tree } from './tree.js';

function keyInput(doc, k, value) {
  const id = `s-${doc}-${k.key}`;
  if (k.type === 'choice') {
    return h('select', { id }, k.choices.split(' ').map((c) => h('option', { value: c, selected: c === value }, c)));
  }
  return h('input', { id, type: k.type === 'integer' ? 'number' : 'text', value: value ?? '',
    min: k.min, max: k.max, maxlength: k.max_length });
}

function helpToggle(k) {
  const text = h('p', { class: 'context-help', hidden: true }, k.help,
    ` (default: ${k.default === '' ? 'empty' : k.default}` +
    (k.type === 'integer' ? `, ${k.min}–${k.max})` : ')'));
  const button = h('button', { type: 'button', class: 'help-button', 'aria-label': 'help on ' + k.key,
    title: k.help, onclick: () => { text.hidden = !text.hidden; } }, '?');
  return [button, text];
}

async function docForm(panel, d) {
  const values = await api('GET', '/api/settings/' + d.doc);
  const status = h('p', { class: 'form-status', role: 'status' });
  const form = h('form', { class: 'settings-doc', dataset: { doc: d.doc } }, h('h3', {}, d.doc),
    h('p', { class: 'hint' }, d.help));
  const inputs = d.keys.map((k) => {
    const el = keyInput(d.doc, k, values[k.key]);
    form.append(h('div', { class: 'field', dataset: { key: `${d.doc}.${k.key}` } },
      h('label', { for: el.id }, k.key), el, ...helpToggle(k)));
    return [k, el];
  });
  form.append(h('button', { type: 'submit', class: 'submit' }, 'Submit'), status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const patch = {};
    for (const [k, el] of inputs) {
      const v = k.type === 'integer' ? Number(el.value) : el.value;
      if (v !== values[k.key]) patch[k.key] = v;
    }
    if (Object.keys(patch).length === 0) { status.textContent = 'Nothing changed.'; return; }
    try {
      await api('PATCH', '/api/settings/' + d.doc, patch);
      Object.assign(values, patch);
      status.textContent = 'Saved: ' + Object.keys(patch).join(', ');
      status.classList.remove('error');
    } catch (e) {
      status.textContent = e.message;
      status.classList.add('error');
    }
  });
  clear(panel).append(form);
}

function search(schema, term, results) {
  clear(results);
  const t = term.trim().toLowerCase();
  if (t.length < 2) return;
  for (const d of schema) {
    for (const k of d.keys) {
      if (!`${d.doc}.${k.key} ${k.help}`.toLowerCase().includes(t)) continue;
      results.append(h('li', {}, h('a', { href: '#settings/' + d.doc, dataset: { key: `${d.doc}.${k.key}` },
 }, `${d.doc}.${k.key}`), ' — ', k.help));
    }
  }
  if (!results.children.length) results.append(h('li', {}, 'No setting matches.'));
}

export async function settingsPage(el, docName) {
  const schema = await api('GET', '/api/settings');
  const panel = h('div', { id: 'settings-panel' });
  const results = h('ul', { id: 'settings-results', class: 'search-results' });
  const nodes = schema.map((d) => ({ id: d.doc, label: d.doc, href: '#settings/' + d.doc, title: d.help }));
  nodes.push({ id: 'history', label: 'History', href: '#settings/history', linkId: 'history-link' });
  const box = h('input', { id: 'settings-search', type: 'search', placeholder: 'Search settings',
    oninput: (ev) => search(schema, ev.target.value, results) });
  el.append(h('h2', {}, 'Settings'), box, results,
    split('Settings documents', tree('settings-tree', nodes, docName), panel));
  if (docName === 'history') return historyView(panel);
  const d = schema.find((x) => x.doc === docName);
  if (d) return docForm(panel, d);
  panel.append(h('p', {}, 'Choose a settings document, or search.'));
}
