// One card per provider: the summary's figures as the API gives them, its freshness, and the provider's health.
import { agoTime, duration, fill, h, num, pct, providerName, score, words } from './format.js';

/**
 * @typedef {{ runs: number, passed: number, failed: number, errored: number, pending: number, cancelled: number,
 *   not_evaluated: number, pass_rate: number | null, avg_score: number | null, duration_ms: { p50: number | null, p90: number | null } }} Totals
 * @typedef {{ code: string, message: string, retryable: boolean }} ProviderError
 * @typedef {{ status: 'ok' | 'error', runs_seen: number, fresh_as_of: string | null, index?: string, oldest?: string,
 *   error?: ProviderError, sync_error?: ProviderError }} ReportProvider
 * @typedef {{ data: { from: string, to: string, groups: Array<{ key: Record<string, string>, totals: Totals }>, totals: Totals },
 *   providers: Record<string, ReportProvider>, partial: boolean }} Summary
 * @typedef {{ id: string, name: string, health: { state: string, breaker: string, last_success_at: string | null, last_error: string | null },
 *   index: { state: string, runs: number, oldest: string | null, fresh_as_of: string | null } }} ProviderInfo
 */

const HEALTH_WORDS = { ok: 'healthy', degraded: 'degraded', down: 'down' };

/** @param {string} label @param {string} figure @param {string} value */
function figure(label, figure, value) {
  return h('div', {}, h('dt', {}, label), h('dd', { 'data-figure': figure }, value));
}

/** @param {Totals} t */
function figures(t) {
  return [
    h(
      'dl',
      { class: 'figures' },
      figure('Runs', 'runs', num(t.runs)),
      figure('Passed', 'passed', num(t.passed)),
      figure('Failed', 'failed', num(t.failed)),
      figure('Errored', 'errored', num(t.errored)),
      figure('Pending', 'pending', num(t.pending)),
      figure('Not evaluated', 'not_evaluated', num(t.not_evaluated)),
      figure('Cancelled', 'cancelled', num(t.cancelled)),
    ),
    h(
      'p',
      { class: 'extra' },
      'Avg score ',
      h('span', { 'data-figure': 'avg_score' }, score(t.avg_score)),
      ' · duration p50 ',
      h('span', { 'data-figure': 'duration_p50' }, duration(t.duration_ms.p50)),
      ', p90 ',
      h('span', { 'data-figure': 'duration_p90' }, duration(t.duration_ms.p90)),
    ),
  ];
}

/** @param {Totals} t */
function rate(t) {
  const evaluated = t.passed + t.failed;
  return h(
    'p',
    { class: 'rate' },
    h('span', { class: 'big', 'data-figure': 'pass_rate' }, pct(t.pass_rate)),
    ' ',
    h('span', { class: 'muted' }, t.pass_rate === null ? 'pass rate: no evaluated runs' : ['pass rate of ', h('span', { 'data-figure': 'evaluated' }, num(evaluated)), ' evaluated']),
  );
}

/** @param {ProviderInfo | undefined} info @param {string | null} healthError */
function health(info, healthError) {
  if (!info) return h('p', { class: 'health muted' }, healthError ? `Health unavailable: ${healthError}` : 'Health unavailable');
  const s = info.health;
  return h(
    'p',
    { class: 'health' },
    h('span', { class: `badge health-${s.state}`, 'data-health': s.state }, /** @type {Record<string, string>} */ (HEALTH_WORDS)[s.state] ?? s.state),
    ` breaker ${words(s.breaker)}`,
    s.last_success_at ? [' · ', agoTime(s.last_success_at, 'last success')] : null,
    s.last_error ? h('span', { class: 'block' }, `Last error: ${s.last_error}`) : null,
  );
}

/** @param {ReportProvider | undefined} st @param {ProviderInfo | undefined} info */
function freshness(st, info) {
  const at = st?.fresh_as_of ?? info?.index.fresh_as_of ?? null;
  const index = st?.index ?? info?.index.state;
  return h(
    'p',
    { class: 'fresh' },
    at ? agoTime(at, 'synced') : 'not synced yet',
    index ? ` · index ${index}` : null,
    st?.oldest ? ` (holds runs from ${st.oldest.slice(0, 10)})` : null,
  );
}

/**
 * @param {HTMLElement} el
 * @param {{ ids: string[], summary: Summary | null, summaryError: string | null, infos: Map<string, ProviderInfo>,
 *   healthError: string | null, names: Record<string, string> }} o
 */
export function renderCards(el, o) {
  const groups = new Map((o.summary?.data.groups ?? []).map((g) => [g.key.provider, g.totals]));
  fill(
    el,
    o.ids.map((id) => {
      const t = groups.get(id);
      const st = o.summary?.providers[id];
      const info = o.infos.get(id);
      return h(
        'article',
        { class: 'card', 'data-provider': id, 'aria-labelledby': `card-${id}` },
        h('h3', { id: `card-${id}` }, providerName(id, o.names)),
        o.summaryError
          ? h('p', { class: 'error' }, `Figures unavailable: ${o.summaryError}`)
          : st?.status === 'error'
            ? h('p', { class: 'error' }, `Left out of the figures: ${st.error?.code ?? 'error'}: ${st.error?.message ?? ''}`)
            : t
              ? [rate(t), ...figures(t)]
              : h('p', { class: 'muted', 'data-figure': 'none' }, 'No runs in this period.'),
        st?.sync_error ? h('p', { class: 'warn' }, `Served from the index; its last sync failed: ${st.sync_error.code}: ${st.sync_error.message}`) : null,
        freshness(st, info),
        health(info, o.healthError),
      );
    }),
  );
}
