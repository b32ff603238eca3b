// services.js: the Services page (guide: services and their bindings) — the listeners the
// daemon has bound (service, address, port, state, TLS: from the accept, by STARTTLS, sniffed
// on one port, or none) and the certificate they present (subject, issuer, names, expiry,
// which services present it). Change bindings opens each service's stored bindings (PUT
// /api/bindings/{service}); Install certificate takes a PEM certificate and key (POST
// /api/certificates; the key is never shown back). Both take effect at the next start, and a
// binding or certificate the bootstrap file names wins (docs/configuration.md). The tree at the
// left: All services (#services: every binding and certificate) and each service
// (#services/smtp: its bindings, the certificate it presents, Change bindings for it alone).
import { api } from './api.js';
import { flash, h, when } from './dom.js';
import { patchForm, showEditor } from './fields.js';
import { commands } from './grid.js';
import { split, tree } from './tree.js';

const SERVICES = ['smtp', 'submission', 'submissions', 'pop3', 'pop3s', 'imap', 'imaps', 'http', 'status', 'statuss'];
const AT_RESTART = 'Takes effect at the next start of the server.';

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

// The stored bindings of each service (settings document services), one field a service (only:
// that service's alone).
async function editBindings(el, only) {
  const stored = await api('GET', '/api/settings/services');
  const fields = SERVICES.filter((s) => !only || s === only).map((s) => ({ key: s + '_listen', label: s, type: 'text',
    help: 'host:port, [v6]:port or *:port, space separated; empty: the bootstrap file\'s or the default.' }));
  const save = async (changes) => {
    for (const [key, text] of Object.entries(changes)) {
      await api('PUT', '/api/bindings/' + key.replace(/_listen$/, ''),
        { bindings: (text || '').split(/\s+/).filter(Boolean) });
      stored[key] = text || '';
    }
  };
  showEditor(el, 'bindings-editor', 'Change bindings — ' + AT_RESTART,
    patchForm('bindings-form', fields, stored, save, () => flash('Bindings stored. ' + AT_RESTART)));
}

function installCertificate(el) {
  const fields = [
    { key: 'certificate', label: 'Certificate (PEM, the chain after it)', type: 'textarea', rows: 8 },
    { key: 'key', label: 'Private key (PEM)', type: 'textarea', rows: 8, help: 'Kept readable by the server only; never shown back.' },
  ];
  showEditor(el, 'certificate-editor', 'Install certificate — ' + AT_RESTART,
    patchForm('certificate-form', fields, {}, (c) => api('POST', '/api/certificates', c),
      (r) => flash('Certificate ' + r.subject + ' installed (expires ' + when(r.not_after * 1000) + '). ' + AT_RESTART)));
}

// The tree: All services, then each service (those known and those bound).
function serviceTree(b, current) {
  const names = [...new Set([...SERVICES, ...b.map((x) => x.service)])];
  return tree('services-tree', [{ id: 'all', label: 'All services', href: '#services',
    children: names.map((s) => ({ id: s, label: s, href: '#services/' + encodeURIComponent(s) })) }], current);
}

export async function servicesPage(el, service) {
  const [b, c] = await Promise.all([api('GET', '/api/bindings'), api('GET', '/api/certificates')]);
  const one = service && service !== 'all' ? service : null;
  const panel = h('div', { id: 'services-panel', dataset: { node: one || 'all' } },
    h('h3', {}, one || 'All services'), commands([
      ['change-bindings', 'Change bindings', () => editBindings(el, one)],
      ['install-certificate', 'Install certificate', () => installCertificate(el)],
    ]),
    h('h4', {}, 'Bindings'), bindings(one ? b.filter((x) => x.service === one) : b),
    h('h4', {}, one ? 'Certificate presented' : 'Certificates'),
    certificates(one ? c.filter((x) => x.services.includes(one)) : c),
    h('p', { class: 'hint' }, 'What the server uses now. ' + AT_RESTART +
      ' A binding or certificate named in the bootstrap file wins over the ones set here.'));
  el.append(h('h2', {}, 'Services'), split('Services', serviceTree(b, one || 'all'), panel));
}
