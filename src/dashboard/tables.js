// The regressions table and the newest failed / errored runs, each run a button that opens its detail.
import { duration, fill, h, num, providerName, score, table, when, words } from './format.js';

/**
 * @typedef {{ id: string | null, name: string | null }} Ref
 * @typedef {{ key: { provider: string, agent: Ref, scenario: Ref }, verdict: string, baseline: { passed: number, failed: number },
 *   current: { passed: number, failed: number }, last_failed_run_id: string | null, last_passed_run_id: string | null }} RegressionItem
 * @typedef {{ data: { from: string, to: string, baseline_from: string, baseline_to: string, items: RegressionItem[] },
 *   providers: Record<string, import('./cards.js').ReportProvider>, partial: boolean }} Regressions
 * @typedef {{ id: string, provider: string, agent: Ref, scenario: Ref, status: string, outcome: string, started_at: string,
 *   duration_ms: number | null, score: { value: number } | null, summary: string | null }} RunRow
 * @typedef {(id: string, opener: HTMLElement) => void} Open
 */

/** @param {Ref} r */
const refName = (r) => r.name ?? r.id ?? '—';

/** @param {string | null} id @param {string} what @param {Open} open */
function runButton(id, what, open) {
  if (!id) return '—';
  return h('button', { type: 'button', class: 'link', 'data-run': id, 'aria-label': `Open the ${what} run ${id}`, onclick: (/** @type {Event} */ e) => open(id, /** @type {HTMLElement} */ (e.currentTarget)) }, 'Open');
}

const HEADS = ['Verdict', 'Provider', 'Agent', 'Scenario', 'Baseline passed / failed', 'Current passed / failed', 'Newest failed', 'Newest passed'];
/** Verdicts that call for a look; `new` and `stable_passing` keys are listed folded below them. */
const ATTENTION = ['newly_failing', 'flaky', 'still_failing', 'fixed'];

/** @param {RegressionItem} it @param {Record<string, string>} names @param {Open} open */
function regressionRow(it, names, open) {
  return h(
    'tr',
    { 'data-verdict': it.verdict },
    h('td', {}, h('span', { class: `verdict v-${it.verdict}` }, words(it.verdict))),
    h('td', {}, providerName(it.key.provider, names)),
    h('td', {}, refName(it.key.agent)),
    h('th', { scope: 'row' }, refName(it.key.scenario)),
    h('td', { class: 'n' }, `${num(it.baseline.passed)} / ${num(it.baseline.failed)}`),
    h('td', { class: 'n' }, `${num(it.current.passed)} / ${num(it.current.failed)}`),
    h('td', {}, runButton(it.last_failed_run_id, 'newest failed', open)),
    h('td', {}, runButton(it.last_passed_run_id, 'newest passed', open)),
  );
}

/**
 * The API's items in its order: those that call for a look first, the new and stable-passing ones folded.
 * @param {HTMLElement} el
 * @param {{ answer: Regressions | null, error: string | null, names: Record<string, string>, open: Open }} o
 */
export function renderRegressions(el, o) {
  if (!o.answer) return fill(el, h('p', { class: 'error' }, `The regressions are unavailable: ${o.error ?? 'no answer'}`));
  const items = o.answer.data.items;
  if (items.length === 0) return fill(el, h('p', { class: 'muted' }, 'No evaluated runs in this period.'));
  const look = items.filter((it) => ATTENTION.includes(it.verdict));
  const rest = items.filter((it) => !ATTENTION.includes(it.verdict));
  fill(
    el,
    look.length
      ? table('Changed or failing: evaluated runs of the baseline and of the current period, per provider, agent and scenario', HEADS, look.map((it) => regressionRow(it, o.names, o.open)))
      : h('p', { class: 'muted' }, 'Nothing newly failing, flaky, still failing or fixed in this period.'),
    rest.length
      ? h(
          'details',
          {},
          h('summary', {}, `${num(rest.length)} more: new or stable passing`),
          table('New or stable passing: evaluated runs of the baseline and of the current period', HEADS, rest.map((it) => regressionRow(it, o.names, o.open))),
        )
      : null,
  );
}

/**
 * @param {HTMLElement} el
 * @param {{ runs: RunRow[] | null, error: string | null, caption: string, empty: string, names: Record<string, string>, open: Open }} o
 */
export function renderRuns(el, o) {
  if (!o.runs) return fill(el, h('p', { class: 'error' }, `Unavailable: ${o.error ?? 'no answer'}`));
  if (o.runs.length === 0) return fill(el, h('p', { class: 'muted' }, o.empty));
  const rows = o.runs.map((r) =>
    h(
      'tr',
      { 'data-run-row': r.id },
      h('td', {}, h('time', { datetime: r.started_at }, when(r.started_at))),
      h('td', {}, providerName(r.provider, o.names)),
      h('td', {}, refName(r.agent)),
      h(
        'th',
        { scope: 'row' },
        h('button', { type: 'button', class: 'link', 'data-run': r.id, onclick: (/** @type {Event} */ e) => o.open(r.id, /** @type {HTMLElement} */ (e.currentTarget)) }, refName(r.scenario)),
      ),
      h('td', {}, words(r.status)),
      h('td', {}, words(r.outcome)),
      h('td', { class: 'n' }, score(r.score?.value)),
      h('td', { class: 'n' }, duration(r.duration_ms)),
    ),
  );
  fill(el, table(o.caption, ['Started', 'Provider', 'Agent', 'Scenario (opens the run)', 'Status', 'Outcome', 'Score', 'Duration'], rows));
}
