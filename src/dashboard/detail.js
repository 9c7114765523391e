// A run's detail in a modal dialog: GET /v1/runs/{id} (transcript, evaluations) and its recording, fetched with the key and played from a blob: URL.
import { ApiError, getJson, getRecording } from './api.js';
import { duration, fill, h, providerName, score, table, when, words } from './format.js';

/**
 * @typedef {import('./tables.js').RunRow & { channel: string, target: string | null, status_raw: string, native_id: string,
 *   evaluations: Array<{ name: string, passed: boolean | null, score: number | null, reasoning: string | null }>,
 *   transcript: Array<{ role: string, text: string, at_ms: number | null }>,
 *   recording: { content_type: string, url: string } | null }} Run
 */

const dialog = /** @type {HTMLDialogElement} */ (document.getElementById('detail'));
const title = /** @type {HTMLElement} */ (document.getElementById('detail-title'));
const body = /** @type {HTMLElement} */ (document.getElementById('detail-body'));

/** @type {HTMLElement | null} */
let opener = null;
/** @type {string | null} */
let objectUrl = null;
/** Each opening's number: answers of an earlier one are dropped. */
let generation = 0;
/** @type {(e: ApiError) => void} */
let onAuth = () => {};

function cleanup() {
  generation += 1;
  for (const m of body.querySelectorAll('audio, video')) {
    /** @type {HTMLMediaElement} */ (m).pause();
    m.removeAttribute('src');
  }
  if (objectUrl) URL.revokeObjectURL(objectUrl);
  objectUrl = null;
  fill(body);
}

/** Tab and Shift+Tab cycle within the dialog. @param {KeyboardEvent} e */
function trap(e) {
  if (e.key !== 'Tab') return;
  const items = [...dialog.querySelectorAll('button, [href], input, select, textarea, audio[controls], video[controls], [tabindex]:not([tabindex="-1"])')].filter(
    (x) => !x.hasAttribute('disabled') && /** @type {HTMLElement} */ (x).offsetParent !== null,
  );
  if (items.length === 0) return;
  const first = /** @type {HTMLElement} */ (items[0]);
  const last = /** @type {HTMLElement} */ (items[items.length - 1]);
  if (e.shiftKey && (document.activeElement === first || !dialog.contains(document.activeElement))) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (document.activeElement === last || !dialog.contains(document.activeElement))) {
    e.preventDefault();
    first.focus();
  }
}

/** @param {(e: ApiError) => void} handler what a 401 does (ask for the key again) */
export function initDetail(handler) {
  onAuth = handler;
  /** @type {HTMLElement} */ (document.getElementById('detail-close')).addEventListener('click', () => dialog.close());
  dialog.addEventListener('keydown', trap);
  // a click on the backdrop (the dialog box itself, outside its content) closes it
  dialog.addEventListener('click', (e) => {
    if (e.target === dialog) dialog.close();
  });
  dialog.addEventListener('close', () => {
    cleanup();
    if (opener?.isConnected) opener.focus();
    opener = null;
  });
}

/** @param {string} label @param {string} value */
const meta = (label, value) => h('div', {}, h('dt', {}, label), h('dd', {}, value));

/** @param {Run} run @param {number} gen */
function recording(run, gen) {
  if (!run.recording) return null;
  const type = run.recording.content_type;
  const media = /** @type {HTMLMediaElement} */ (h(type.startsWith('video/') ? 'video' : 'audio', { controls: true, preload: 'metadata', 'aria-label': `Recording of run ${run.id}` }));
  const note = h('p', { class: 'muted', role: 'status' }, 'Loading the recording…');
  const save = h('a', { class: 'download', hidden: true }, 'Download the recording');
  media.addEventListener('error', () => {
    if (gen !== generation || !objectUrl) return;
    note.className = 'warn';
    note.textContent = `This browser cannot play the recording (${type}); download it instead.`;
  });
  getRecording(run.id).then(
    (blob) => {
      if (gen !== generation) return;
      objectUrl = URL.createObjectURL(blob);
      media.src = objectUrl;
      save.setAttribute('href', objectUrl);
      save.setAttribute('download', `${run.id.replaceAll(':', '_')}.${type.split('/')[1]?.split(';')[0] ?? 'bin'}`);
      save.hidden = false;
      note.textContent = `${type}, ${Math.max(1, Math.round(blob.size / 1024))} KiB`;
    },
    (e) => {
      if (gen !== generation) return;
      note.className = 'error';
      note.textContent = `The recording could not be loaded: ${e instanceof Error ? e.message : String(e)}`;
    },
  );
  return h('section', { 'aria-labelledby': 'rec-title' }, h('h3', { id: 'rec-title' }, 'Recording'), media, note, save);
}

/** @param {Run} run */
function evaluations(run) {
  if (!run.evaluations.length) return h('p', { class: 'muted' }, 'No evaluations.');
  const rows = run.evaluations.map((e) =>
    h('tr', {}, h('th', { scope: 'row' }, e.name), h('td', {}, e.passed === null ? '—' : e.passed ? 'passed' : 'failed'), h('td', { class: 'n' }, score(e.score)), h('td', {}, e.reasoning ?? '')),
  );
  return table('Evaluations', ['Criterion', 'Result', 'Score', 'Reasoning'], rows, { hideCaption: true });
}

/** @param {Run} run */
function transcript(run) {
  if (!run.transcript.length) return h('p', { class: 'muted' }, 'No transcript.');
  const roles = { tester: 'Tester', target: 'Agent', system: 'System' };
  return h(
    'ol',
    { class: 'transcript' },
    run.transcript.map((t) =>
      h('li', { class: `turn role-${t.role}` }, h('span', { class: 'who' }, /** @type {Record<string, string>} */ (roles)[t.role] ?? t.role, t.at_ms === null ? '' : ` · ${duration(t.at_ms)}`), h('p', {}, t.text)),
    ),
  );
}

/** @param {Run} run @param {number} gen @param {Record<string, string>} names */
function render(run, gen, names) {
  title.textContent = `${run.scenario.name ?? run.scenario.id ?? 'Run'} · ${providerName(run.provider, names)}`;
  fill(
    body,
    h(
      'dl',
      { class: 'meta' },
      meta('Run id', run.id),
      meta('Agent', run.agent.name ?? run.agent.id ?? '—'),
      meta('Status', `${words(run.status)} (${run.status_raw})`),
      meta('Outcome', words(run.outcome)),
      meta('Score', score(run.score?.value)),
      meta('Started', when(run.started_at)),
      meta('Duration', duration(run.duration_ms)),
      meta('Channel', run.channel),
      meta('Target', run.target ?? '—'),
    ),
    run.summary ? h('p', { class: 'summary' }, run.summary) : null,
    recording(run, gen),
    h('section', { 'aria-labelledby': 'eval-title' }, h('h3', { id: 'eval-title' }, 'Evaluations'), evaluations(run)),
    h('section', { 'aria-labelledby': 'tx-title' }, h('h3', { id: 'tx-title' }, 'Transcript'), transcript(run)),
  );
}

/**
 * Opens the dialog for a run; focus returns to `from` when it closes.
 * @param {string} id
 * @param {HTMLElement} from
 * @param {Record<string, string>} names
 */
export async function openDetail(id, from, names) {
  if (dialog.open) dialog.close();
  cleanup();
  const gen = generation;
  opener = from;
  title.textContent = 'Run';
  fill(body, h('p', { role: 'status' }, `Loading run ${id}…`));
  dialog.showModal();
  try {
    const answer = /** @type {{ data: Run }} */ (await getJson(`/v1/runs/${encodeURIComponent(id)}`));
    if (gen === generation) render(answer.data, gen, names);
  } catch (e) {
    if (gen !== generation) return;
    if (e instanceof ApiError && e.status === 401) {
      dialog.close();
      onAuth(e);
      return;
    }
    const why = e instanceof ApiError && e.status === 403 ? 'this key lacks the scope runs:read' : e instanceof Error ? e.message : String(e);
    fill(body, h('p', { class: 'error', role: 'alert' }, `The run could not be loaded: ${why}`));
  }
}
