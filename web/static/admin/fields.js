// fields.js: forms over some keys of an object. settingsForm: an account's settings (the keys
// of `pillarbox user set`): Submit sends one PATCH /api/users/{name} per changed key ({"key":
// value}; an emptied field is null: back to the default) and says which were refused and why.
// patchForm: any object (a collector, a connection method, a list...): Submit hands every
// changed key at once to save(changes), the caller's one request. Field types: bool, text,
// number, textarea, date, select (options [[value, label]...]), password (write-only: never
// filled in, sent only when something is typed).
import { api } from './api.js';
import { h } from './dom.js';

function input(f, value) {
  const id = 'f-' + f.key;
  if (f.type === 'bool') return h('input', { id, type: 'checkbox', checked: value === true });
  if (f.type === 'textarea') return h('textarea', { id, rows: f.rows || 6, cols: 60, value: value ?? '' });
  if (f.type === 'select') {
    return h('select', { id }, f.options.map(([k, label]) => h('option', { value: k, selected: value === k }, label)));
  }
  if (f.type === 'password') return h('input', { id, type: 'password', value: '', autocomplete: 'new-password' });
  return h('input', { id, type: f.type === 'number' ? 'number' : f.type === 'date' ? 'date' : 'text',
    value: value ?? '' });
}

function read(f, el) {
  if (f.type === 'bool') return el.checked;
  if (el.value === '') return null;
  return f.type === 'number' ? Number(el.value) : el.value;
}

// The form with one labelled input per field, its Submit button and status line; changes()
// answers {key: value} of the fields whose value differs from values' (a password: typed).
function formOf(id, fields, values) {
  const inputs = new Map();
  const status = h('p', { class: 'form-status', role: 'status' });
  const form = h('form', { class: 'settings-form', id });
  for (const f of fields) {
    const el = input(f, values[f.key]);
    inputs.set(f.key, el);
    form.append(h('div', { class: 'field' }, h('label', { for: el.id }, f.label), el,
      f.help && h('small', { class: 'help' }, f.help)));
  }
  form.append(h('button', { type: 'submit', class: 'submit' }, 'Submit'), status);
  const changes = () => {
    const out = {};
    for (const f of fields) {
      const value = read(f, inputs.get(f.key));
      const old = f.type === 'password' ? null : values[f.key] ?? (f.type === 'bool' ? false : null);
      if (value !== old) out[f.key] = value;
    }
    return out;
  };
  const say = (text, isError) => {
    status.textContent = text;
    status.classList.toggle('error', isError);
  };
  return { form, changes, say };
}

// fields: [{key, label, type, help}]; settings: the account's.
export function settingsForm(user, fields, settings, onSaved) {
  const { form, changes, say } = formOf(undefined, fields, settings);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const failed = [];
    let changed = 0;
    for (const [key, value] of Object.entries(changes())) {
      try {
        await api('PATCH', '/api/users/' + encodeURIComponent(user), { [key]: value });
        settings[key] = value;
        changed++;
      } catch (e) {
        failed.push(fields.find((f) => f.key === key).label + ': ' + e.message);
      }
    }
    say(failed.length ? failed.join('; ') : changed ? 'Saved.' : 'Nothing changed.', failed.length > 0);
    if (onSaved && changed) onSaved();
  });
  return form;
}

// A form (id) over fields of values; Submit calls save(changes) once (nothing changed: not at
// all), then onSaved(answer); a refusal is shown in the form.
export function patchForm(id, fields, values, save, onSaved) {
  const { form, changes, say } = formOf(id, fields, values);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const c = changes();
    if (Object.keys(c).length === 0) return say('Nothing changed.', false);
    try {
      const answer = await save(c);
      say('Saved.', false);
      if (onSaved) onSaved(answer);
    } catch (e) {
      say(e.message, true);
    }
  });
  return form;
}

// Shows an editor (a section, id, titled, holding form and a Close button) on page under its
// heading, in place of any wizard or editor open there; answers the section.
export function showEditor(page, id, title, form, onClose) {
  const box = h('section', { id, class: 'editor wizard' }, h('h3', {}, title), form,
    h('div', { class: 'commands' }, h('button', { type: 'button', class: 'close', onclick: () => {
      box.remove();
      if (onClose) onClose();
    } }, 'Close')));
  page.querySelector('#wizard, .editor')?.remove();
  page.querySelector('h2').after(box);
  return box;
}
