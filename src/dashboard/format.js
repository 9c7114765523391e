// DOM building (text only, never HTML from data) and the formatting of the API's figures.

/** @typedef {string | number | Node | null | undefined | false} Child */

/**
 * An element with attributes (`on*` functions become listeners) and children (strings become text nodes).
 * @param {string} tag
 * @param {Record<string, unknown>} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), /** @type {EventListener} */ (v));
    else if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** @param {Element} el @param {...(Child | Child[])} children */
export function fill(el, ...children) {
  el.replaceChildren();
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
}

export const PROVIDER_NAMES = {
  pathsim: 'PathSim',
  synthflow: 'Synthflow',
  saleslab: 'Sales Lab',
  sigmamind: 'SigmaMind',
  cekura: 'Cekura',
};

/** @param {string} id @param {Record<string, string>} [names] */
export function providerName(id, names = {}) {
  return names[id] ?? /** @type {Record<string, string>} */ (PROVIDER_NAMES)[id] ?? id;
}

/** A 0..1 rate as "84.2 %"; null as "—". @param {number | null | undefined} r */
export function pct(r) {
  return r === null || r === undefined ? '—' : `${(r * 100).toFixed(1)} %`;
}

/** @param {number | null | undefined} n */
export function num(n) {
  return n === null || n === undefined ? '—' : n.toLocaleString('en-US');
}

/** A score value (0..1) as "0.82". @param {number | null | undefined} s */
export function score(s) {
  return s === null || s === undefined ? '—' : s.toFixed(2);
}

/** Milliseconds as "850 ms", "12.3 s", "4 min 05 s". @param {number | null | undefined} ms */
export function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** An RFC 3339 time as "2026-11-30 12:00 UTC". @param {string | null | undefined} iso */
export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** How long ago, "12 s ago", "5 min ago", "3 h ago", "4 d ago". @param {string} iso @param {number} [now] */
export function ago(iso, now = Date.now()) {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 172_800) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/**
 * A <time> whose text says how long ago (kept current by refreshAges, which fetches nothing).
 * @param {string} iso
 * @param {string} prefix
 */
export function agoTime(iso, prefix) {
  return h('time', { datetime: iso, title: when(iso), 'data-ago': prefix }, `${prefix} ${ago(iso)}`);
}

/** Re-words every agoTime on the page (display only). @param {ParentNode} root */
export function refreshAges(root) {
  for (const t of root.querySelectorAll('time[data-ago]')) {
    const iso = t.getAttribute('datetime');
    if (iso) t.textContent = `${t.getAttribute('data-ago')} ${ago(iso)}`;
  }
}

/** A label for a status / outcome / verdict value: "timed_out" → "timed out". @param {string} v */
export function words(v) {
  return v.replaceAll('_', ' ');
}

/**
 * A table in a keyboard-scrollable region, with a caption and header cells.
 * @param {string} caption @param {string[]} heads @param {Node[]} rows @param {{ hideCaption?: boolean }} [o] hideCaption: for screen readers only (a heading says it)
 */
export function table(caption, heads, rows, o = {}) {
  const t = h(
    'table',
    {},
    h('caption', { class: o.hideCaption ? 'sr-only' : undefined }, caption),
    h('thead', {}, h('tr', {}, heads.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows),
  );
  return h('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': caption }, t);
}
