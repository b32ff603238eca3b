// server-rules.js: the Server Rules page (#server-rules) — the administrator's message rules
// that run on all mail before each account's own (guide 4.14, docs/operations.md "Rules"),
// edited with the user editor's rules editor (rules.js) over GET/PUT /api/rules.
import { h } from './dom.js';
import { rulesEditor } from './rules.js';

export async function serverRulesPage(el) {
  const panel = h('div', { id: 'server-rules' });
  el.append(h('h2', {}, 'Server Message Rules'),
    h('p', { class: 'hint' }, "These rules run on every message delivered here, before the account's own rules."),
    panel);
  await rulesEditor(panel, '/api/rules');
}
