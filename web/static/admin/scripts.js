// scripts.js: a routing script editor (guide 4.5 "Edit Routing Script"; docs/routing-scripts.md)
// — the Lua text in a textarea, Save (PUT: the server compiles it first and refuses it with
// the compiler's message, which names the line: "NAME.lua:LINE: ..."), Remove (DELETE). Used
// by the user editor's Routing tab on /api/scripts/{name}.
import { api } from './api.js';
import { h } from './dom.js';

// The editor for the script at path (GET answers {"script": text}, "" none); resolves to its node.
export async function scriptEditor(path, label) {
  const { script } = await api('GET', path);
  const text = h('textarea', { id: 'script-text', class: 'script', rows: 14, cols: 80,
    spellcheck: 'false', 'aria-label': label });
  text.value = script;
  const status = h('p', { id: 'script-status', class: 'form-status', role: 'status' });
  const say = (msg, bad) => { status.textContent = msg; status.classList.toggle('error', bad); };
  const run = async (method, body, done) => {
    try {
      await api(method, path, body);
      say(done, false);
    } catch (e) { say(e.message, true); }
  };
  return h('fieldset', { class: 'script-editor' }, h('legend', {}, label), text,
    h('div', { class: 'commands' },
      h('button', { id: 'save-script', type: 'button', onclick: () => run('PUT', { script: text.value }, 'Script saved.') }, 'Save script'),
      h('button', { id: 'remove-script', type: 'button', onclick: async () => {
        if (!confirm('Remove this routing script?')) return;
        await run('DELETE', undefined, 'Script removed.');
        if (!status.classList.contains('error')) text.value = '';
      } }, 'Remove script')),
    status);
}
