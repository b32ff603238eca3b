// fields.js: a form over some of an account's settings (the keys of `pillarbox user set`).
// Submit sends one PATCH /api/users/{name} per changed key ({"key": value}; an emptied field
// is null: back to the default) and says which were refused and why.
import { api } from './api.js';
import { h } from './dom.js';

function input(f, value) {
  const id = 'f-' + f.key;
  if (f.type === 'bool') return h('input', { id, type: 'checkbox', checked: value === true });
  if (f.type === 'textarea') return h('textarea', { id, rows: 6, cols: 60, value: value ?? '' });
  return h('input', { id, type: f.type === 'number' ? 'number' : f.type === 'date' ? 'date' : 'text',
    value: value ?? '' });
}

function read(f, el) {
  if (f.type === 'bool') return el.checked;
  if (el.value === '') return null;
  return f.type === 'number' ? Number(el.value) : el.value;
}

// fields: [{key, label, type: bool|text|number|textarea|date, help}]; settings: the account's.
export function settingsForm(user, fields, settings, onSaved) {
  const inputs = new Map();
  const status = h('p', { class: 'form-status', role: 'status' });
  const form = h('form', { class: 'settings-form' });
  for (const f of fields) {
    const el = input(f, settings[f.key]);
    inputs.set(f.key, el);
    form.append(h('div', { class: 'field' }, h('label', { for: el.id }, f.label), el,
      f.help && h('small', { class: 'help' }, f.help)));
  }
  form.append(h('button', { type: 'submit', class: 'submit' }, 'Submit'), status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const failed = [];
    let changed = 0;
    for (const f of fields) {
      const value = read(f, inputs.get(f.key));
      const old = settings[f.key] ?? (f.type === 'bool' ? false : null);
      if (value === old) continue;
      try {
        await api('PATCH', '/api/users/' + encodeURIComponent(user), { [f.key]: value });
        settings[f.key] = value;
        changed++;
      } catch (e) {
        failed.push(f.label + ': ' + e.message);
      }
    }
    status.textContent = failed.length ? failed.join('; ') : changed ? 'Saved.' : 'Nothing changed.';
    status.classList.toggle('error', failed.length > 0);
    if (onSaved && changed) onSaved();
  });
  return form;
}
