// status.js: the live status panel — pushed by the status hub over server-sent events
// (GET /api/status/events: activity, connection states, job progress, queue counts), with
// GET /api/status's figures read again after each push (at most once a second) and the recent
// activity (GET /api/activity) shown as the stream opens. Without the stream (it failed, or
// the browser has no EventSource): GET /api/status every 5 seconds while the page is visible
// (none while hidden; slower after an error), the fallback.
import { api } from './api.js';
import { bytes, clear, h, when } from './dom.js';

const PERIOD_MS = 5000;
const REFRESH_MS = 1000;
const ACTIVITY_MAX = 10;
let timer = null;
let stream = null;

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

// The figures read once now.
async function refresh(dl, note, how) {
  try {
    show(dl, await api('GET', '/api/status'));
    note.textContent = 'Updated ' + new Date().toLocaleTimeString() + how;
    return true;
  } catch (e) {
    note.textContent = 'Status unavailable: ' + e.message;
    return false;
  }
}

// The fallback: GET /api/status every PERIOD_MS while visible.
function poll(dl, note) {
  if (timer !== null) return;
  const tick = async () => {
    const ok = document.hidden || await refresh(dl, note, '');
    timer = setTimeout(tick, ok ? PERIOD_MS : PERIOD_MS * 4);
  };
  tick();
}

// One activity line at the top of the list (ACTIVITY_MAX kept).
function addActivity(list, timeMs, text) {
  list.prepend(h('li', {}, h('time', {}, when(timeMs)), ' ', text));
  while (list.children.length > ACTIVITY_MAX) list.lastElementChild.remove();
}

// A pushed event shown: activity lines, connection states and progress, queue counts.
function pushed(ev, data, parts) {
  if (ev === 'activity') addActivity(parts.activity, data.time, data.text);
  else if (ev === 'connection') parts.live.set('Connection ' + data.method, data.state + (data.last_result ? ' (' + data.last_result + ')' : ''));
  else if (ev === 'progress') parts.live.set(data.kind + ' ' + data.method, data.final ? 'done' : data.done + '/' + data.total);
  else if (ev === 'queue') parts.live.set('Queue', data.out_queue + ' (' + data.held + ' held, ' + data.sending + ' sending)');
  const dl = parts.liveList;
  clear(dl);
  for (const [k, v] of parts.live) dl.append(h('dt', {}, k), h('dd', { dataset: { live: k } }, v));
}

// The stream; on its failure (or none in this browser) the fallback takes over.
function listen(dl, note, parts) {
  if (typeof EventSource !== 'function') return poll(dl, note);
  let pending = null;
  const later = () => {
    if (pending === null) pending = setTimeout(() => { pending = null; refresh(dl, note, ' (live)'); }, REFRESH_MS);
  };
  stream = new EventSource('/api/status/events');
  stream.addEventListener('ready', async () => {
    parts.box.dataset.live = 'yes';
    refresh(dl, note, ' (live)');
    const recent = await api('GET', '/api/activity?limit=' + ACTIVITY_MAX).catch(() => []);
    clear(parts.activity);
    for (const l of recent.slice().reverse()) addActivity(parts.activity, l.time_ms, l.text);
  });
  for (const ev of ['activity', 'connection', 'progress', 'queue']) {
    stream.addEventListener(ev, (m) => { pushed(ev, JSON.parse(m.data), parts); later(); });
  }
  stream.addEventListener('error', () => {
    if (stream.readyState !== EventSource.CLOSED) return; // the browser connects again
    stream = null;
    delete parts.box.dataset.live;
    poll(dl, note);
  });
}

// Stops the stream and the polling (logged out); startStatus begins again.
export function stopStatus() {
  if (stream !== null) stream.close();
  stream = null;
  clearTimeout(timer);
  timer = null;
  for (const id of ['status-activity', 'status-live']) document.getElementById(id)?.remove();
  document.querySelector('#status h3')?.remove();
}

export function startStatus(dl, note) {
  if (timer !== null || stream !== null) return;
  const activity = h('ul', { id: 'status-activity', class: 'activity' });
  const liveList = h('dl', { id: 'status-live' });
  const box = dl.parentElement;
  box.append(liveList, h('h3', {}, 'Activity'), activity);
  listen(dl, note, { activity, liveList, live: new Map(), box });
}
