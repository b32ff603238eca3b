// dom.js: building elements without HTML strings (no injection, no inline script or style).

// h('tr', {class: 'x', dataset: {user: 'bob'}, onclick: fn}, child, 'text', ...)
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value' || k === 'checked') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

// A short message at the bottom of the page (errors in red).
export function flash(text, isError = false) {
  const el = document.getElementById('flash');
  el.textContent = text;
  el.classList.toggle('error', isError);
  el.hidden = false;
}

export function bytes(n) {
  if (n < 1024) return n + ' B';
  if (n < 1048576) return (n / 1024).toFixed(1) + ' KB';
  return (n / 1048576).toFixed(1) + ' MB';
}

export function when(ms) {
  return ms ? new Date(ms).toLocaleString() : '';
}

// A tab strip over panels: tabs [{id, label, render(panel)}]; returns the element.
export function tabs(list, first) {
  const strip = h('div', { class: 'tabs', role: 'tablist' });
  const panel = h('div', { class: 'tab-panel', role: 'tabpanel' });
  const show = (t) => {
    for (const b of strip.children) b.setAttribute('aria-selected', b.dataset.tab === t.id);
    clear(panel);
    t.render(panel);
  };
  for (const t of list) {
    strip.append(h('button', { type: 'button', role: 'tab', class: 'tab', dataset: { tab: t.id },
      onclick: () => show(t) }, t.label));
  }
  show(list.find((t) => t.id === first) || list[0]);
  return h('div', { class: 'tabbed' }, strip, panel);
}
