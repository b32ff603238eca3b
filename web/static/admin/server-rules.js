// server-rules.js: the Server Rules page (#server-rules) — the administrator's message rules
// that run on all mail before each account's own (guide 4.14, docs/operations.md "Rules"),
// edited with the user editor's rules editor (rules.js) over GET/PUT /api/rules; and the
// server's routing script user_redirect.lua (docs/routing-scripts.md), run for every local
// recipient, with the accounts' script editor (scripts.js) over GET/PUT/DELETE
// /api/scripts-server.
import { h } from './dom.js';
import { rulesEditor } from './rules.js';
import { scriptEditor } from './scripts.js';

export async function serverRulesPage(el) {
  const panel = h('div', { id: 'server-rules' });
  el.append(h('h2', {}, 'Server Message Rules'),
    h('p', { class: 'hint' }, "These rules run on every message delivered here, before the account's own rules."),
    panel);
  await rulesEditor(panel, '/api/rules');
  el.append(h('h2', {}, 'Server Routing Script'),
    await scriptEditor('/api/scripts-server', 'user_redirect.lua', false));
}
