// The daily pass-rate trend per provider: a uPlot line chart of the summary grouped by provider,day, and the same figures as a table.
import { fill, h, num, pct, providerName, table } from './format.js';

/** Line colours (≥ 4.5:1 on white) and dash patterns, so that no series is told apart by colour alone. */
const STYLE = {
  pathsim: { stroke: '#1f5fbf', dash: [] },
  synthflow: { stroke: '#b3401a', dash: [8, 4] },
  saleslab: { stroke: '#2a7a2a', dash: [2, 3] },
  sigmamind: { stroke: '#7a3fb0', dash: [10, 3, 2, 3] },
  cekura: { stroke: '#80621a', dash: [4, 4] },
};

/** @typedef {{ destroy(): void, setSize(s: { width: number, height: number }): void }} Chart */
/** @typedef {{ new (opts: object, data: Array<Array<number | null>>, el: HTMLElement): Chart, tzDate(d: Date, tz: string): Date }} UPlot */

/** @type {Chart | null} */
let chart = null;
/** @type {ResizeObserver | null} */
let observer = null;

const HEIGHT = 280;

/** @param {number} v */
const dayOf = (v) => new Date(v * 1000).toISOString().slice(0, 10);

/**
 * @param {HTMLElement} el
 * @param {{ summary: import('./cards.js').Summary | null, error: string | null, ids: string[], names: Record<string, string> }} o
 */
export function renderTrend(el, o) {
  chart?.destroy();
  chart = null;
  observer?.disconnect();
  observer = null;
  if (!o.summary) return fill(el, h('p', { class: 'error' }, `The trend is unavailable: ${o.error ?? 'no answer'}`));
  const groups = o.summary.data.groups;
  const days = [...new Set(groups.map((g) => g.key.day))].sort();
  if (days.length === 0) return fill(el, h('p', { class: 'muted' }, 'No runs in this period.'));
  const ids = o.ids.filter((p) => groups.some((g) => g.key.provider === p));
  const by = new Map(groups.map((g) => [`${g.key.provider}|${g.key.day}`, g.totals]));
  const at = (/** @type {string} */ p, /** @type {string} */ d) => by.get(`${p}|${d}`);
  const data = [
    days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000),
    ...ids.map((p) => days.map((d) => {
      const r = at(p, d)?.pass_rate;
      return r === null || r === undefined ? null : r * 100;
    })),
  ];
  const names = ids.map((p) => providerName(p, o.names));
  const box = h('div', {
    class: 'chart',
    role: 'img',
    'aria-label': `Daily pass rate, in percent, of ${names.join(', ')}, from ${days[0]} to ${days[days.length - 1]}. The same figures are in the table below.`,
  });
  const rows = days.map((d) =>
    h('tr', {}, h('th', { scope: 'row' }, d), ids.map((p) => {
      const t = at(p, d);
      return h('td', {}, t ? `${pct(t.pass_rate)} (${num(t.passed)} passed, ${num(t.failed)} failed)` : '—');
    })),
  );
  const details = h('details', {}, h('summary', {}, 'The trend as a table'), table('Daily pass rate per provider', ['Day', ...names], rows));
  fill(el, box, details);

  // uPlot's IIFE build (a classic script before this module) defines the global
  const U = /** @type {{ uPlot?: UPlot }} */ (/** @type {unknown} */ (window)).uPlot;
  if (!U) {
    fill(box, h('p', { class: 'error' }, 'The chart library did not load; the table below has the figures.'));
    return;
  }
  const opts = {
    width: Math.max(280, box.clientWidth),
    height: HEIGHT,
    tzDate: (/** @type {number} */ ts) => U.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    scales: { x: { time: true }, y: { range: [0, 100] } },
    cursor: { drag: { x: false, y: false } },
    series: [
      { label: 'Day', value: (/** @type {unknown} */ _u, /** @type {number | null} */ v) => (v === null ? '—' : dayOf(v)) },
      ...ids.map((p, i) => {
        const s = /** @type {Record<string, { stroke: string, dash: number[] }>} */ (STYLE)[p] ?? { stroke: '#333333', dash: [] };
        return {
          label: names[i],
          stroke: s.stroke,
          dash: s.dash,
          width: 2,
          spanGaps: false,
          points: { show: true, size: 6, fill: s.stroke },
          value: (/** @type {unknown} */ _u, /** @type {number | null} */ v) => (v === null ? '—' : `${v.toFixed(1)} %`),
        };
      }),
    ],
    axes: [
      { stroke: '#333333', grid: { stroke: '#e3e3e3' } },
      { stroke: '#333333', grid: { stroke: '#e3e3e3' }, values: (/** @type {unknown} */ _u, /** @type {number[]} */ vs) => vs.map((v) => `${v} %`), size: 56 },
    ],
  };
  chart = new U(opts, data, box);
  observer = new ResizeObserver(() => chart?.setSize({ width: Math.max(280, box.clientWidth), height: HEIGHT }));
  observer.observe(box);
}
