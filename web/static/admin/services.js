// services.js: the Services page (guide: services and their bindings) — the listeners the
// daemon has bound (service, address, port, state, TLS: from the accept, by STARTTLS, sniffed
// on one port, or none) and the certificate they present (subject, issuer, names, expiry,
// which services present it). Read-only: bindings and the certificate are settings and files
// (docs/settings.md), changed on the Settings page or on the server. Through /api/bindings and
// /api/certificates.
import { api } from './api.js';
import { h, when } from './dom.js';

const TLS = {
  implicit: 'TLS from the start',
  starttls: 'STARTTLS',
  sniffed: 'clear or TLS (same port)',
  none: 'none',
};

// A read-only table: id, columns [{label, cell(row), class}], rows.
function table(id, columns, rows) {
  return h('table', { id, class: 'grid', dataset: { loaded: 'yes' } },
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', {}, c.label)))),
    h('tbody', {}, rows.length === 0
      ? h('tr', { class: 'empty' }, h('td', { colspan: columns.length }, 'None.'))
      : rows.map((r) => h('tr', {}, columns.map((c) => h('td', { class: c.class }, c.cell(r)))))));
}

function bindings(list) {
  const rows = [...list].sort((a, b) => a.service.localeCompare(b.service) || a.port - b.port);
  return table('bindings-grid', [
    { label: 'Service', cell: (b) => b.service, class: 'service' },
    { label: 'Address', cell: (b) => b.address, class: 'address' },
    { label: 'Port', cell: (b) => b.port, class: 'port num' },
    { label: 'State', cell: (b) => b.state, class: 'state' },
    { label: 'TLS', cell: (b) => TLS[b.tls] || b.tls, class: 'tls' },
  ], rows);
}

function certificates(list) {
  return table('certificates-grid', [
    { label: 'Subject', cell: (c) => c.subject, class: 'subject' },
    { label: 'Issuer', cell: (c) => c.issuer + (c.self_signed ? ' (self-signed)' : ''), class: 'issuer' },
    { label: 'Names', cell: (c) => c.names, class: 'names' },
    { label: 'Not after', cell: (c) => when(c.not_after * 1000), class: 'not-after' },
    { label: 'Used by', cell: (c) => c.services.join(', '), class: 'services' },
    { label: 'SHA-256', cell: (c) => h('code', {}, c.sha256), class: 'sha256' },
  ], list);
}

export async function servicesPage(el) {
  const [b, c] = await Promise.all([api('GET', '/api/bindings'), api('GET', '/api/certificates')]);
  el.append(h('h2', {}, 'Services'),
    h('h3', {}, 'Bindings'), bindings(b),
    h('h3', {}, 'Certificates'), certificates(c),
    h('p', { class: 'hint' }, 'Bindings and the certificate files are settings: change them on ',
      h('a', { href: '#settings' }, 'Settings'), '.'));
}
