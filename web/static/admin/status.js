// status.js: the live status panel — GET /api/status every 5 seconds while the page is
// visible (none while hidden; slower after an error), figures shown as they change.
import { api } from './api.js';
import { bytes, clear, h } from './dom.js';

const PERIOD_MS = 5000;
let timer = null;

function show(dl, st) {
  const rows = [
    ['Version', st.version], ['Uptime', Math.floor(st.uptime_s / 60) + ' min'],
    ['Users', st.users], ['Domains', st.domains], ['Received', st.received],
    ['Delivered', st.delivered], ['Deferred', st.deferred], ['Spool', st.spool_depth],
    ['Store', bytes(st.store_bytes)], ['Disk free', bytes(st.disk_free)],
  ];
  for (const s of st.services) rows.push([s.service + ' sessions', s.sessions]);
  clear(dl);
  for (const [k, v] of rows) dl.append(h('dt', {}, k), h('dd', { dataset: { figure: k } }, v));
}

export function startStatus(dl, note) {
  if (timer !== null) return;
  const tick = async () => {
    let next = PERIOD_MS;
    if (!document.hidden) {
      try {
        show(dl, await api('GET', '/api/status'));
        note.textContent = 'Updated ' + new Date().toLocaleTimeString();
      } catch (e) {
        note.textContent = 'Status unavailable: ' + e.message;
        next = PERIOD_MS * 4;
      }
    }
    timer = setTimeout(tick, next);
  };
  tick();
}
