// The dashboard's entry: the key, the view in the URL, and one load of the view (six API calls, made only when asked).
import { ApiError, getJson, getKey, setKey } from './api.js';
import { renderCards } from './cards.js';
import { initDetail, openDetail } from './detail.js';
import { fill, h, PROVIDER_NAMES, providerName, refreshAges, when } from './format.js';
import { renderRegressions, renderRuns } from './tables.js';
import { renderTrend } from './trend.js';

/** @typedef {{ from: string, to: string, providers: string[] }} View */

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const input = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (document.getElementById(id));
const KNOWN = Object.keys(PROVIDER_NAMES);
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** @type {string[]} the tenant's providers, as /v1/providers last said (before that: every known id) */
let tenantProviders = KNOWN;
/** @type {Record<string, string>} */
let names = {};
/** Each load's number: answers of an earlier load are dropped. */
let generation = 0;
/** @type {View | null} the view last loaded (what Refresh loads again) */
let current = null;

/** The last 30 days: whole UTC days, today included (the reports' own default). */
function defaultView() {
  const today = Date.parse(new Date().toISOString().slice(0, 10));
  return { from: new Date(today - 29 * DAY_MS).toISOString().slice(0, 10), to: new Date(today + DAY_MS).toISOString().slice(0, 10), providers: [] };
}

/** @param {string | null} s @returns {s is string} */
const isDate = (s) => s !== null && DATE.test(s) && !Number.isNaN(Date.parse(s));

/** The view of a URL, and what of it was not understood. @returns {{ view: View, problems: string[] }} */
function viewFromUrl() {
  const q = new URLSearchParams(location.search);
  const d = defaultView();
  const problems = [];
  let from = q.get('from');
  let to = q.get('to');
  if (from !== null && !isDate(from)) problems.push(`from=${from} is not a date (YYYY-MM-DD)`);
  if (to !== null && !isDate(to)) problems.push(`to=${to} is not a date (YYYY-MM-DD)`);
  from = isDate(from) ? from : d.from;
  to = isDate(to) ? to : d.to;
  if (from >= to) {
    problems.push('from must be before to');
    ({ from, to } = d);
  }
  const asked = (q.get('provider') ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  const unknown = asked.filter((p) => !KNOWN.includes(p));
  if (unknown.length) problems.push(`unknown provider ${unknown.join(', ')}`);
  return { view: { from, to, providers: asked.filter((p) => KNOWN.includes(p)) }, problems };
}

/** `/?from=…&to=…&provider=a,b` (commas kept readable: ids and dates need no escaping). @param {View} v */
function urlOf(v) {
  const parts = [`from=${v.from}`, `to=${v.to}`];
  if (v.providers.length) parts.push(`provider=${v.providers.join(',')}`);
  return `/?${parts.join('&')}`;
}

/** @param {View} v */
function showView(v) {
  input('from').value = v.from;
  input('to').value = v.to;
  fill(
    $('provider-options'),
    tenantProviders.map((p) =>
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'provider', value: p, checked: v.providers.length === 0 || v.providers.includes(p) }), providerName(p, names)),
    ),
  );
}

/** The view the form holds, or an error message. @returns {View | string} */
function viewFromForm() {
  const from = input('from').value;
  const to = input('to').value;
  if (!isDate(from) || !isDate(to)) return 'Give both dates.';
  if (from >= to) return '"From" must be before "Until".';
  const checked = [...document.querySelectorAll('#provider-options input:checked')].map((x) => /** @type {HTMLInputElement} */ (x).value);
  if (checked.length === 0) return 'Choose at least one provider.';
  return { from, to, providers: checked.length === tenantProviders.length ? [] : checked };
}

/** @param {string} message */
function askForKey(message) {
  setKey(null);
  generation += 1;
  $('main').hidden = true;
  $('session').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
  input('key').value = '';
  input('key').focus();
}

/** @param {PromiseSettledResult<unknown>} r */
const errorOf = (r) => (r.status === 'rejected' ? (r.reason instanceof ApiError ? r.reason : new ApiError(0, 'error', String(r.reason), null, null)) : null);

/** @param {ApiError} e */
function describe(e) {
  if (e.status === 403) return `this key lacks the scope (${e.message})`;
  if (e.status === 429) return `rate limited${e.retryAfter ? `, retry in ${e.retryAfter} s` : ''}`;
  return `${e.code}: ${e.message}${e.requestId ? ` (request ${e.requestId})` : ''}`;
}

/** Notices naming each provider an answer left out (partial answers). @param {Array<[string, unknown]>} answers */
function notices(answers) {
  /** @type {Map<string, { what: string[], why: string }>} */
  const missing = new Map();
  for (const [what, a] of answers) {
    const ans = /** @type {{ partial?: boolean, providers?: Record<string, { status: string, error?: { code: string, message: string } }> } | null} */ (a);
    if (!ans?.partial || !ans.providers) continue;
    for (const [p, st] of Object.entries(ans.providers)) {
      if (st.status !== 'error') continue;
      const m = missing.get(p) ?? { what: [], why: st.error ? `${st.error.code}: ${st.error.message}` : 'error' };
      m.what.push(what);
      missing.set(p, m);
    }
  }
  fill(
    $('notices'),
    [...missing].map(([p, m]) =>
      h('p', { class: 'notice', role: 'alert', 'data-partial': p }, h('strong', {}, providerName(p, names)), ` is missing from ${m.what.join(', ')} (${m.why}). Refresh to try again.`),
    ),
  );
}

/** One view: six API calls at once, each section drawn from its answer. @param {View} v @param {{ fresh?: boolean }} [o] */
async function load(v, o = {}) {
  const gen = ++generation;
  current = v;
  const q = { from: v.from, to: v.to, provider: v.providers.length ? v.providers.join(',') : undefined };
  $('status').textContent = 'Loading…';
  const results = await Promise.allSettled([
    getJson('/v1/providers', {}, o),
    getJson('/v1/reports/summary', { ...q, group_by: 'provider' }, o),
    getJson('/v1/reports/summary', { ...q, group_by: 'provider,day' }, o),
    getJson('/v1/reports/regressions', q, o),
    getJson('/v1/runs', { ...q, outcome: 'failed', limit: '10' }, o),
    getJson('/v1/runs', { ...q, status: 'failed,timed_out', limit: '10' }, o),
  ]);
  if (gen !== generation) return;
  const errors = results.map(errorOf);
  if (errors.some((e) => e?.status === 401)) return askForKey('The gateway did not accept this key (401). Enter a valid gateway key.');
  const reportsDenied = errors.slice(1, 4).find((e) => e?.status === 403);
  if (reportsDenied) return askForKey(`This key may not read reports (403: ${reportsDenied.message}). Enter a key with the scope reports:read.`);
  const [prov, summary, trend, regressions, failed, errored] = results.map((r) => (r.status === 'fulfilled' ? r.value : null));

  const infos = new Map(/** @type {{ data: import('./cards.js').ProviderInfo[] } | null} */ (prov)?.data.map((p) => [p.id, p]) ?? []);
  if (infos.size) {
    tenantProviders = [...infos.keys()];
    names = Object.fromEntries([...infos.values()].map((p) => [p.id, p.name]));
  } else if (summary) {
    tenantProviders = Object.keys(/** @type {import('./cards.js').Summary} */ (summary).providers);
  }
  showView(v);
  const ids = v.providers.length ? tenantProviders.filter((p) => v.providers.includes(p)) : tenantProviders;
  const msg = (/** @type {number} */ i) => (errors[i] ? describe(/** @type {ApiError} */ (errors[i])) : null);
  const sum = /** @type {import('./cards.js').Summary | null} */ (summary);
  $('period').textContent = sum ? `${when(sum.data.from)} to ${when(sum.data.to)}` : '';
  renderCards($('cards'), { ids, summary: sum, summaryError: msg(1), infos, healthError: msg(0), names });
  renderTrend($('trend'), { summary: /** @type {import('./cards.js').Summary | null} */ (trend), error: msg(2), ids, names });
  const reg = /** @type {import('./tables.js').Regressions | null} */ (regressions);
  $('baseline').textContent = reg ? `(against ${when(reg.data.baseline_from)} to ${when(reg.data.baseline_to)})` : '';
  const open = (/** @type {string} */ id, /** @type {HTMLElement} */ from) => void openDetail(id, from, names);
  renderRegressions($('regressions'), { answer: reg, error: msg(3), names, open });
  const runs = (/** @type {unknown} */ a) => /** @type {{ data: import('./tables.js').RunRow[] } | null} */ (a)?.data ?? null;
  renderRuns($('failed'), { runs: runs(failed), error: msg(4), caption: 'The newest 10 failed runs of the period', empty: 'No failed runs in this period.', names, open });
  renderRuns($('errored'), { runs: runs(errored), error: msg(5), caption: 'The newest 10 errored runs of the period', empty: 'No errored runs in this period.', names, open });
  notices([['the cards', summary], ['the trend', trend], ['the regressions', regressions], ['the failed runs', failed], ['the errored runs', errored]]);
  const failedCalls = errors.filter(Boolean).length;
  $('status').textContent = `Updated ${when(new Date().toISOString())}${failedCalls ? ` · ${failedCalls} of 6 requests failed` : ''}`;
  document.body.dataset['loaded'] = String(gen);
}

function start() {
  $('main').hidden = false;
  $('session').hidden = false;
  $('login').hidden = true;
  const { view, problems } = viewFromUrl();
  $('view-error').textContent = problems.length ? `The link's view was not understood (${problems.join('; ')}); showing the rest.` : '';
  showView(view);
  void load(view);
}

initDetail(() => askForKey('The gateway did not accept this key (401). Enter a valid gateway key.'));

$('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const key = input('key').value.trim();
  if (!key) return;
  setKey(key);
  $('login-error').textContent = '';
  start();
  $('cards-title').focus();
});

$('view').addEventListener('submit', (e) => {
  e.preventDefault();
  const v = viewFromForm();
  if (typeof v === 'string') {
    $('view-error').textContent = v;
    return;
  }
  $('view-error').textContent = '';
  const url = urlOf(v);
  if (url !== location.pathname + location.search) history.pushState(null, '', url);
  void load(v);
});

$('last30').addEventListener('click', () => {
  const v = { ...defaultView(), providers: [] };
  history.pushState(null, '', '/');
  $('view-error').textContent = '';
  void load(v);
});

$('refresh').addEventListener('click', () => void load(current ?? viewFromUrl().view, { fresh: true }));

$('signout').addEventListener('click', () => askForKey(''));

window.addEventListener('popstate', () => {
  if (getKey()) start();
});

// display only: re-words "synced 12 s ago"; it fetches nothing
setInterval(() => refreshAges(document), 10_000);

if (getKey()) start();
else askForKey('');
