// scripts.js: a routing script editor (guide 4.5 "Edit Routing Script"; docs/routing-scripts.md)
// — the Lua text in a textarea, Save (PUT: the server compiles it first and refuses it with
// the compiler's message, which names the line: "NAME.lua:LINE: ..."), Remove (DELETE). Used
// by the user editor's Routing tab on /api/scripts/{name}, and by the Server Rules page on
// /api/scripts-server (the server's user_redirect.lua: where it comes from shown — the file
// router.user_redirect names, the copy stored here in the settings history, or the installed
// copy — and Reset to the installed copy instead of Remove).
import { api } from './api.js';
import { h } from './dom.js';

// Where the server's script comes from (GET /api/scripts-server's source and path).
function serverSource(source, file) {
  if (source === 'file')
    return ['The file ', h('code', { id: 'script-file' }, file),
      ' named by the setting router.user_redirect: edit it there (it is not versioned), or clear the setting to keep the script here.'];
  if (source === 'stored')
    return ['An edited copy stored here: each change is in the settings history (Settings, History), where it can be rolled back.'];
  return ['The copy installed with the program, ', h('code', { id: 'script-file' }, file),
    ' (never changed here): Save stores an edited copy, kept in the settings history.'];
}

// The editor for the script at path (GET answers {"script": text}, "" none, and for the
// server's also "source" and "path"); removable: with Remove. Resolves to its node.
export async function scriptEditor(path, label, removable = true) {
  const { script, path: file, source } = await api('GET', path);
  const text = h('textarea', { id: 'script-text', class: 'script', rows: 14, cols: 80,
    spellcheck: 'false', 'aria-label': label });
  text.value = script;
  const hint = h('p', { id: 'script-source', class: 'hint' });
  const showSource = (src, f) => { hint.replaceChildren(...(src ? serverSource(src, f) : [])); };
  showSource(source, file);
  const status = h('p', { id: 'script-status', class: 'form-status', role: 'status' });
  const say = (msg, bad) => { status.textContent = msg; status.classList.toggle('error', bad); };
  const run = async (method, body, done) => {
    try {
      const r = await api(method, path, body);
      if (r && r.source) { showSource(r.source, r.path); text.value = r.script; }
      say(done, false);
    } catch (e) { say(e.message, true); }
  };
  return h('fieldset', { class: 'script-editor' }, h('legend', {}, label), hint, text,
    h('div', { class: 'commands' },
      h('button', { id: 'save-script', type: 'button', onclick: () => run('PUT', { script: text.value }, 'Script saved.') }, 'Save script'),
      source && h('button', { id: 'reset-script', type: 'button', onclick: async () => {
        if (!confirm('Go back to the copy installed with the program?')) return;
        await run('DELETE', undefined, 'Back to the installed copy.');
      } }, 'Reset to the installed copy'),
      removable && h('button', { id: 'remove-script', type: 'button', onclick: async () => {
        if (!confirm('Remove this routing script?')) return;
        await run('DELETE', undefined, 'Script removed.');
        if (!status.classList.contains('error')) text.value = '';
      } }, 'Remove script')),
    status);
}
