// scripts.js: a routing script editor (guide 4.5 "Edit Routing Script"; docs/routing-scripts.md)
// — the Lua text in a textarea, Save (PUT: the server compiles it first and refuses it with
// the compiler's message, which names the line: "NAME.lua:LINE: ..."), Remove (DELETE). Used
// by the user editor's Routing tab on /api/scripts/{name}, and by the Server Rules page on
// /api/scripts-server (the server's user_redirect.lua file: its path shown, no Remove).
import { api } from './api.js';
import { h } from './dom.js';

// The editor for the script at path (GET answers {"script": text}, "" none, and for the
// server's also "path", the file); removable: with Remove. Resolves to its node.
export async function scriptEditor(path, label, removable = true) {
  const { script, path: file } = await api('GET', path);
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
  return h('fieldset', { class: 'script-editor' }, h('legend', {}, label),
    file && h('p', { class: 'hint' }, 'The file ', h('code', { id: 'script-file' }, file),
      ' (the setting router.user_redirect, else the copy installed with the program).'), text,
    h('div', { class: 'commands' },
      h('button', { id: 'save-script', type: 'button', onclick: () => run('PUT', { script: text.value }, 'Script saved.') }, 'Save script'),
      removable && h('button', { id: 'remove-script', type: 'button', onclick: async () => {
        if (!confirm('Remove this routing script?')) return;
        await run('DELETE', undefined, 'Script removed.');
        if (!status.classList.contains('error')) text.value = '';
      } }, 'Remove script')),
    status);
}
