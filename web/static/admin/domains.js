// domains.js: the Domains page — the grid of the local domains (every account has an address
// at each: name@domain), Add domain (a name typed in), Delete the picked ones. The server
// refuses to delete a domain accounts have addresses at, or the last one: its reason is shown
// in the flash; Delete anyway (force) takes such a domain away with those addresses, never the
// last one. Through /api/domains.
import { api } from './api.js';
import { clear, flash, h } from './dom.js';
import { commands, eachPicked, grid } from './grid.js';

const path = (name) => '/api/domains/' + encodeURIComponent(name);

// The add form above the grid: a domain name, Add, Cancel.
function addForm(el, redraw) {
  const input = h('input', { id: 'domain-new', 'aria-label': 'new domain', required: true,
    placeholder: 'example.org' });
  const err = h('p', { id: 'domain-error', class: 'error', role: 'alert' });
  const form = h('form', { id: 'domain-form', class: 'wizard' }, h('h3', {}, 'Add domain'),
    h('label', {}, 'Domain name ', input),
    h('p', { class: 'hint' }, 'Every account gets an address at the new domain (name@domain).'),
    h('div', { class: 'commands' }, h('button', { id: 'domain-submit', type: 'submit' }, 'Add'),
      h('button', { type: 'button', onclick: () => form.remove() }, 'Cancel')), err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const domain = input.value.trim();
    try {
      await api('POST', '/api/domains', { domain });
      redraw();
      flash('Domain ' + domain + ' added.');
    } catch (e) { err.textContent = e.message; }
  });
  el.querySelector('#domain-form')?.remove();
  el.querySelector('h2').after(form);
  input.focus();
}

export async function domainsPage(el) {
  const redraw = () => domainsPage(clear(el));
  const domains = await api('GET', '/api/domains');
  const table = grid('domains-grid', [{ label: 'Domain', cell: (d) => d, class: 'name' }],
    domains, (d) => d, null);
  el.append(h('h2', {}, 'Domains'), commands([
    ['add-domain', 'Add domain', () => addForm(el, redraw)],
    ['delete-domain', 'Delete', () => {
      if (confirm('Delete the selected domains?')) eachPicked(table, 'Deleted', (d) => api('DELETE', path(d)), redraw, 'domains');
    }],
    ['force-delete-domain', 'Delete anyway', () => {
      if (confirm('Delete the selected domains even where accounts have addresses? Mail to those ' +
        'addresses will be refused.')) eachPicked(table, 'Deleted', (d) => api('DELETE', path(d) + '?force=1'), redraw, 'domains');
    }],
    ['refresh', 'Refresh', redraw],
  ]), table);
}
