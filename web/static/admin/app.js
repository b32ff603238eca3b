// app.js: the admin UI's shell — the login form, the toolbar (hash routes #users,
// #settings, ...), and which page module draws the main area.
import { login, logout, whoami } from './api.js';
import { clear, flash } from './dom.js';
import { startStatus, stopStatus } from './status.js';
import { usersPage } from './users.js';
import { userEditor } from './user-editor.js';
import { settingsPage } from './settings.js';
import { domainsPage } from './domains.js';
import { servicesPage } from './services.js';
import { mappingsPage } from './mappings.js';
import { listsPage } from './lists.js';
import { connectorsPage } from './connectors.js';
import { reportsPage } from './reports.js';
import { serverRulesPage } from './server-rules.js';

const pages = {
  users: usersPage,
  user: userEditor,
  domains: domainsPage,
  settings: settingsPage,
  mappings: mappingsPage,
  lists: listsPage,
  connectors: connectorsPage,
  services: servicesPage,
  reports: reportsPage,
  'server-rules': serverRulesPage,
  'security-log': (el, ...rest) => reportsPage(el, 'security-log', ...rest), // in the Reports tree
};

const $ = (id) => document.getElementById(id);

function route() {
  const [name, ...rest] = (location.hash.slice(1) || 'users').split('/');
  const page = pages[name] || pages.users;
  for (const a of $('toolbar').querySelectorAll('a')) {
    a.classList.toggle('current', a.dataset.page === name ||
      (['user', 'server-rules'].includes(name) && a.dataset.page === 'users') ||
      (name === 'security-log' && a.dataset.page === 'reports'));
  }
  $('flash').hidden = true;
  page(clear($('page')), ...rest.map(decodeURIComponent));
}

function showApp(me) {
  $('login').hidden = true;
  $('app').hidden = false;
  $('toolbar').hidden = false;
  $('logout').hidden = false;
  $('who').textContent = me.user;
  startStatus($('status-figures'), $('status-note'));
  route();
}

function showLogin(message) {
  $('app').hidden = true;
  $('toolbar').hidden = true;
  $('logout').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message || '';
  $('login-user').focus();
}

async function onLogin(ev) {
  ev.preventDefault();
  try {
    const me = await login($('login-user').value, $('login-password').value);
    $('login-password').value = '';
    if (!me.admin) {
      await logout();
      showLogin('This account is not an administrator: use webmail.');
      return;
    }
    showApp(me);
  } catch (e) {
    $('login-password').value = '';
    showLogin(e.message);
  }
}

async function start() {
  $('login-form').addEventListener('submit', onLogin);
  $('logout').addEventListener('click', async () => {
    stopStatus();
    await logout().catch(() => {});
    location.hash = '';
    showLogin('Logged out.');
  });
  window.addEventListener('hashchange', route);
  window.addEventListener('unhandledrejection', (ev) => {
    if (ev.reason && ev.reason.status === 401) showLogin('Your login ended: log in again.');
    else flash(String(ev.reason && ev.reason.message), true);
  });
  const me = await whoami();
  if (me && me.admin) showApp(me);
  else showLogin();
}

start();
