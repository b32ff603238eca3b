// tree.js: the left tree of the pages the guide gives one (3.1: Mail Connectors, Services,
// Settings, Reports) and the split it sits in — each node a link to its deep link (#page/node),
// so choosing one redraws the page with that node's panel at the right; the node shown is
// marked (aria-selected). Keyboard: the tree is one tab stop; Up/Down/Home/End move between
// nodes, Enter (the link's own) opens one, and focus comes back to the node opened.
import { h } from './dom.js';

let refocus = false; // a node was opened from the tree: focus it once the page is drawn again

// Moves the focus between the tree's nodes on Up, Down, Home and End.
function onKey(ul, ev) {
  if (ev.key === 'Enter') { refocus = ev.target.getAttribute('href') !== location.hash; return; }
  const items = [...ul.querySelectorAll('[role="treeitem"]')];
  const i = items.indexOf(document.activeElement);
  const to = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: items.length - 1 }[ev.key];
  if (to === undefined || i < 0) return;
  ev.preventDefault();
  const next = items[Math.max(0, Math.min(items.length - 1, to))];
  items[i].tabIndex = -1;
  next.tabIndex = 0;
  next.focus();
}

// A tree: id; nodes [{id, label, href, title?, linkId?, children?: nodes}]; current: the id of
// the node shown. Answers the <ul role="tree">.
export function tree(id, nodes, current) {
  const item = (n) => h('li', { role: 'none' },
    h('a', { href: n.href, id: n.linkId, title: n.title, role: 'treeitem', tabindex: '-1',
      class: n.id === current ? 'current' : undefined,
      'aria-selected': String(n.id === current), dataset: { node: n.id } }, n.label),
    n.children && n.children.length > 0 && h('ul', { role: 'group' }, n.children.map(item)));
  const ul = h('ul', { id, class: 'tree', role: 'tree', onkeydown: (ev) => onKey(ul, ev) }, nodes.map(item));
  const items = [...ul.querySelectorAll('[role="treeitem"]')];
  const shown = items.find((a) => a.dataset.node === current) || items[0];
  if (shown) shown.tabIndex = 0;
  if (refocus && shown) {
    refocus = false;
    requestAnimationFrame(() => shown.focus());
  }
  return ul;
}

// The split of a tree page: the tree (labelled label) at the left, panel at the right.
export function split(label, treeEl, panel) {
  panel.classList.add('tree-panel');
  return h('div', { class: 'split' }, h('nav', { class: 'tree-pane', 'aria-label': label }, treeEl), panel);
}
