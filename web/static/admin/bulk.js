// bulk.js: bulk add from CSV with a preview — the file (or pasted text) is parsed in the
// browser (csv.js), shown row by row with any problem, then each good row is sent on its own
// (POST /api/users) and its result shown beside it.
import { api } from './api.js';
import { clear, h } from './dom.js';
import { parseCsv } from './csv.js';

function previewTable(rows) {
  return h('table', { id: 'bulk-preview', class: 'grid' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Line'), h('th', {}, 'User'), h('th', {}, 'Password'),
      h('th', {}, 'Result'))),
    h('tbody', {}, rows.map((r) => h('tr', { dataset: { user: r.user } }, h('td', {}, r.line),
      h('td', {}, r.user), h('td', {}, '•'.repeat(Math.min(r.password.length, 12))),
      h('td', { class: r.problem ? 'result error' : 'result' }, r.problem || 'ready')))));
}

async function submitRows(rows, table, done) {
  const cells = table.querySelectorAll('td.result');
  let added = 0;
  for (const [i, r] of rows.entries()) {
    if (r.problem) continue;
    cells[i].textContent = 'adding…';
    try {
      await api('POST', '/api/users', { user: r.user, password: r.password });
      cells[i].textContent = 'added';
      cells[i].classList.add('ok');
      added++;
    } catch (e) {
      cells[i].textContent = e.message;
      cells[i].classList.add('error');
    }
  }
  table.dataset.done = 'yes';
  done(added);
}

export function bulkAdd(page, redraw) {
  const text = h('textarea', { id: 'bulk-text', rows: 8, cols: 60, placeholder: 'user,password' });
  const file = h('input', { id: 'bulk-file', type: 'file', accept: '.csv,text/csv,text/plain' });
  const out = h('div', { class: 'bulk-out' });
  const summary = h('p', { id: 'bulk-summary' });
  const preview = () => {
    const rows = parseCsv(text.value);
    const table = previewTable(rows);
    const good = rows.filter((r) => !r.problem).length;
    clear(out).append(table, h('p', {}, `${good} of ${rows.length} rows can be added.`),
      h('button', { id: 'bulk-submit', type: 'button', disabled: good === 0, onclick: (ev) => {
        ev.target.disabled = true;
        submitRows(rows, table, (n) => { summary.textContent = n + ' added.'; });
      } }, 'Add these users'));
  };
  file.addEventListener('change', async () => {
    if (file.files[0]) { text.value = await file.files[0].text(); preview(); }
  });
  const box = h('section', { id: 'bulk', class: 'wizard', 'aria-label': 'Bulk add' },
    h('h3', {}, 'Bulk add from CSV'),
    h('p', { class: 'hint' }, 'One user,password per line; a header row and # comments are skipped.'),
    file, text, h('div', { class: 'commands' },
      h('button', { id: 'bulk-preview-button', type: 'button', onclick: preview }, 'Preview'),
      h('button', { type: 'button', onclick: () => { box.remove(); redraw(); } }, 'Close')),
    out, summary);
  page.querySelector('#wizard, #bulk')?.remove();
  page.prepend(box);
}
