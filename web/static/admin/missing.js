// missing.js: the toolbar pages without their own module yet (Services). Each
// asks the server which of its endpoints exist and shows what they return, and says what is
// missing (the CLI command that does it meanwhile).
import { api, exists } from './api.js';
import { h } from './dom.js';

const objects = {
  services: { title: 'Services', paths: ['/api/bindings', '/api/certificates'], cli: 'pillarbox status' },
};

function preview(data) {
  const rows = Array.isArray(data) ? data : [data];
  if (rows.length === 0) return h('p', {}, 'None.');
  const keys = Object.keys(rows[0]).filter((k) => typeof rows[0][k] !== 'object');
  return h('table', { class: 'grid' },
    h('thead', {}, h('tr', {}, keys.map((k) => h('th', {}, k)))),
    h('tbody', {}, rows.slice(0, 100).map((r) => h('tr', {}, keys.map((k) => h('td', {}, r[k]))))));
}

export async function missingPage(el, name) {
  const o = objects[name];
  el.append(h('h2', {}, o.title));
  for (const path of o.paths) {
    const section = h('section', { class: 'object', dataset: { path } }, h('h3', {}, path));
    el.append(section);
    if (!(await exists(path))) {
      section.append(h('p', { class: 'missing' },
        `Not available in the web interface yet: the server has no ${path} endpoint. ` +
        `Meanwhile use ${o.cli} on the server.`));
      continue;
    }
    try {
      section.append(preview(await api('GET', path)));
    } catch (e) {
      section.append(h('p', { class: 'error' }, e.message));
    }
  }
}
