// wizard.js: the wizards' engine (runWizard: steps, Back keeps what was typed, Finish) and the
// add-user wizard (guide 2.1) — name, password, mailbox options, then a summary; Finish adds
// the account (POST /api/users) and sets the options (PATCH, one key each).
import { api } from './api.js';
import { clear, flash, h } from './dom.js';

export function field(label, attrs) {
  return h('label', {}, label, ' ', h('input', attrs));
}

const steps = [
  {
    title: 'Step 1 of 4: the user name',
    draw: (v) => [field('User name', { id: 'wiz-user', value: v.user || '', required: true }),
      h('p', { class: 'hint' }, 'Letters, digits, dot, dash and underscore; the account has an ' +
        'address name@domain at every local domain.')],
    read: (v, f) => { v.user = f.querySelector('#wiz-user').value.trim(); return v.user ? '' : 'Enter a user name.'; },
  },
  {
    title: 'Step 2 of 4: the password',
    draw: (v) => [field('Password', { id: 'wiz-password', type: 'password', value: v.password || '' }),
      field('Again', { id: 'wiz-password2', type: 'password', value: v.password || '' })],
    read: (v, f) => {
      v.password = f.querySelector('#wiz-password').value;
      if (v.password !== f.querySelector('#wiz-password2').value) return 'The two passwords differ.';
      return v.password ? '' : 'Enter a password.';
    },
  },
  {
    title: 'Step 3 of 4: mailbox options (optional)',
    draw: (v) => [field('Quota in MB (empty: the default)', { id: 'wiz-quota', type: 'number', min: 0, value: v.quota || '' }),
      field('Forward to', { id: 'wiz-forward', value: v.forward || '' })],
    read: (v, f) => {
      v.quota = f.querySelector('#wiz-quota').value;
      v.forward = f.querySelector('#wiz-forward').value.trim();
      return '';
    },
  },
  {
    title: 'Step 4 of 4: confirm',
    draw: (v) => [h('dl', { class: 'summary' }, h('dt', {}, 'User'), h('dd', {}, v.user),
      h('dt', {}, 'Quota'), h('dd', {}, v.quota ? v.quota + ' MB' : 'default'),
      h('dt', {}, 'Forward to'), h('dd', {}, v.forward || 'none'))],
    read: () => '',
  },
];

async function finish(v) {
  await api('POST', '/api/users', { user: v.user, password: v.password });
  const name = '/api/users/' + encodeURIComponent(v.user);
  if (v.quota !== '') await api('PATCH', name, { quota_mb: Number(v.quota) });
  if (v.forward) {
    await api('PATCH', name, { forward_to: v.forward });
    await api('PATCH', name, { use_forwarding: true });
  }
}

export function addUserWizard(page, done) {
  runWizard(page, 'Add user', steps, async (v) => {
    await finish(v);
    flash('User ' + v.user + ' added.');
  }, done);
}

// A wizard in page (section#wizard): steps [{title, draw(v) → nodes, read(v, form) → problem
// text or ''}], then finish(v) (may throw: its message is shown and the wizard stays), done().
export function runWizard(page, label, steps, finish, done) {
  const v = {};
  const box = h('section', { id: 'wizard', class: 'wizard', role: 'dialog', 'aria-label': label });
  const show = (i) => {
    const form = h('form', { class: 'wizard-step', dataset: { step: i + 1 } });
    const err = h('p', { class: 'error', role: 'alert' });
    const next = async (ev) => {
      ev.preventDefault();
      const problem = steps[i].read(v, form);
      if (problem) { err.textContent = problem; return; }
      if (i + 1 < steps.length) return show(i + 1);
      try {
        await finish(v);
        box.remove();
        done();
      } catch (e) { err.textContent = e.message; }
    };
    form.addEventListener('submit', next);
    form.append(h('h3', {}, steps[i].title), ...steps[i].draw(v), err, h('div', { class: 'commands' },
      h('button', { type: 'button', onclick: () => box.remove() }, 'Cancel'),
      i > 0 && h('button', { type: 'button', class: 'back', onclick: () => { steps[i].read(v, form); show(i - 1); } }, 'Back'),
      h('button', { type: 'submit', class: 'next' }, i + 1 < steps.length ? 'Next' : 'Finish')));
    clear(box).append(form);
    form.querySelector('input, select, textarea, button.next').focus();
  };
  page.querySelector('#wizard, #bulk, .editor')?.remove();
  page.prepend(box);
  show(0);
}
