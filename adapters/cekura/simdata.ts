/**
 * Cekura simulator data: seeded generation of agents, results (batches) and runs, and rendering to the
 * vendor's JSON shapes (types from schemas/vendors/cekura.gen.ts). Everything is a pure function of
 * (seed, now, count, drift) so that the same inputs give the same data.
 *
 * Time model (all epoch seconds, ISO strings at second precision):
 * - Results come in batches: one agent, 1–4 results created in the same second (`created_at` ties).
 * - Run `timestamp` = batch created_at + a small launch offset; offsets never increase along the walk, so
 *   walking results newest-first and their runs newest-first gives non-increasing timestamps, and the
 *   ids (assigned afterwards, ascending with age) strictly decrease along the same walk. Hence the global
 *   order is exactly (timestamp desc, id desc) for runs and (created_at desc, id desc) for results.
 * - Ties are forced at positions 37/50/100 (the item at index B-1 and B share the sort key) in the
 *   results list, in each agent's results list, in the flattened runs and in each agent's flattened runs.
 */
import { hexId, pick, rng } from '../simkit.js';
import type { components } from '../../schemas/vendors/cekura.gen.js';

type S = components['schemas'];
export type CekuraAgent = S['AIAgent'];
export type CekuraRunSummary = S['Run'];
export type CekuraRun = S['RunFull'];
export type CekuraResult = S['Result'];
export type CekuraResultDetail = S['ResultDetail'];
export type CekuraMetric = S['Metric'];
type RunStatus = S['RunStatus'];
type ResultStatus = S['ResultStatus'];

export const TIE_BOUNDARIES = [37, 50, 100] as const;

interface ScenarioDef { id: number; name: string; ask: string; reply: string; outcome: string }
interface AgentDef { agent: CekuraAgent; greeting: string; closing: string; goal: string; scenarios: ScenarioDef[] }

const sc = (id: number, name: string, ask: string, reply: string, outcome: string): ScenarioDef => ({ id, name, ask, reply, outcome });
const agent = (id: number, name: string, inbound: boolean, project: number, provider: string, lang: string, phone: string, desc: string): CekuraAgent => ({
  id, agent_name: name, project, organization: 7, contact_number: phone, inbound, description: desc, language: lang,
  assistant_provider: provider, created_at: `2025-1${id - 101}-0${id - 98}T09:1${id - 100}:44Z`, updated_at: '2026-04-02T16:20:05Z',
});

export const AGENT_DEFS: AgentDef[] = [
  { agent: agent(101, 'Bright Smile Dental — Front Desk', true, 11, 'vapi', 'en', '+14155550101', 'Books, moves and cancels dental appointments.'),
    greeting: 'Thanks for calling Bright Smile Dental, this is Ava. How can I help you today?', closing: 'You are all set. Have a lovely day!', goal: 'Appointment handled correctly',
    scenarios: [sc(1101, 'Book a cleaning appointment', 'Hi, I would like to book a teeth cleaning for next Tuesday morning.', 'I have 9:30 or 11:00 available on Tuesday. Which works better?', 'A cleaning is booked on the requested day'),
      sc(1102, 'Reschedule to next week', 'I need to move my appointment on Friday to sometime next week.', 'No problem, I can move you to Wednesday at 2 pm.', 'The appointment is moved and confirmed'),
      sc(1103, 'Insurance coverage question', 'Do you take Delta Dental PPO?', 'Yes, we are in network with Delta Dental PPO.', 'The agent answers the insurance question accurately'),
      sc(1104, 'Emergency toothache', 'I have a really bad toothache and my face is swelling.', 'I am sorry to hear that. We keep emergency slots; can you come in at 3 pm today?', 'The caller is offered a same-day emergency slot'),
      sc(1105, 'Cancel appointment', 'Please cancel my appointment tomorrow, something came up.', 'Done, your appointment tomorrow at 10 is cancelled.', 'The appointment is cancelled and confirmed')] },
  { agent: agent(102, 'Acme Billing Support', true, 11, 'retell', 'en', '+14155550102', 'Answers billing questions for Acme Cloud customers.'),
    greeting: 'Acme billing, this is Max speaking. What can I do for you?', closing: 'Thanks for calling Acme. Goodbye!', goal: 'Billing issue resolved',
    scenarios: [sc(1201, 'Dispute a duplicate charge', 'I was charged twice for my March invoice.', 'I see two charges of $49. I have refunded the duplicate; it takes 3–5 business days.', 'The duplicate charge is refunded'),
      sc(1202, 'Update card on file', 'My card expired, how do I update it?', 'I have sent a secure link to your email to update the card.', 'A secure card-update link is sent'),
      sc(1203, 'Request itemised invoice', 'Can I get an itemised invoice for last month?', 'Sure, I have emailed the itemised invoice for April.', 'The itemised invoice is sent'),
      sc(1204, 'Cancel subscription', 'I want to cancel my subscription.', 'I can do that. May I ask why you are leaving?', 'The cancellation is processed after a retention offer'),
      sc(1205, 'Late fee waiver', 'Can you waive the late fee? I was in hospital.', 'Given the circumstances I have waived the $15 late fee.', 'The late fee is waived')] },
  { agent: agent(103, 'Northwind Renewals (outbound)', false, 12, 'elevenlabs', 'en', '+14155550103', 'Calls customers whose policy is about to renew.'),
    greeting: 'Hi, this is Sam from Northwind Insurance, calling about your policy renewal.', closing: 'Thanks for your time, bye now.', goal: 'Renewal outcome recorded',
    scenarios: [sc(1301, 'Renewal accepted', 'Oh yes, I want to renew. Same coverage please.', 'Great, I have renewed your policy with the same coverage.', 'The renewal is confirmed'),
      sc(1302, 'Customer asks for discount', 'Renew? Only if you can give me a better price.', 'I can offer a 10% loyalty discount if you renew today.', 'A permitted discount is offered, nothing more'),
      sc(1303, 'Wrong person answers', 'Sorry, you have the wrong number.', 'My apologies for the trouble, I will update our records.', 'The agent apologises and ends the call'),
      sc(1304, 'Call back later', 'I am driving, can you call me back tomorrow?', 'Of course, I will call you tomorrow at the same time.', 'A callback is scheduled'),
      sc(1305, 'Voicemail', 'Hi, you have reached Dana, leave a message after the tone.', 'Hi Dana, this is Sam from Northwind; please call us back about your renewal.', 'A short compliant voicemail is left')] },
];

const PERSONALITIES = [
  { id: 501, name: 'Polite and concise', follow: 'Okay, thank you.' },
  { id: 502, name: 'Impatient caller', follow: 'Can we hurry this up? I do not have all day.' },
  { id: 503, name: 'Elderly caller, hard of hearing', follow: 'Sorry dear, could you say that again a bit louder?' },
  { id: 504, name: 'Non-native speaker (Spanish)', follow: 'Perdón, I do not understand very well, can you repeat slowly?' },
  { id: 505, name: 'Interrupts frequently', follow: 'Wait wait — before that, what about my other question?' },
  { id: 506, name: 'Confused, asks for repeats', follow: 'Hmm, so what does that mean for me exactly?' },
] as const;
type Personality = (typeof PERSONALITIES)[number];

const CONNECT_ERRORS = [
  'Call failed to connect: the number did not answer (SIP 480 Temporarily Unavailable).',
  'Call failed to connect: busy (SIP 486).',
  'Call failed to connect: telephony provider error (SIP 503).',
];
const IN_FLIGHT: ResultStatus[] = ['running', 'in_progress', 'evaluating', 'pending', 'in_queue'];
const FORCED: Record<number, ResultStatus> = { 6: 'failed', 9: 'timeout', 12: 'cancelled' };

export interface RunRec {
  id: number; ts: number; status: RunStatus; success: boolean; error: string; durationS: number;
  scenario: ScenarioDef; personality: Personality; score: number | null; metrics: CekuraMetric[];
  alignments: S['OutcomeAlignment'][]; lines: S['TranscriptEntry'][]; callId: string | null;
  evalStatus: CekuraRun['evaluation_status']; tester: string;
}
export interface ResultRec {
  id: number; name: string; def: AgentDef; status: ResultStatus; runAsText: boolean; cron: boolean;
  runType: string | null; agentVersion: string | null; created: number; runs: RunRec[];
}

const mmss = (s: number): string => {
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), x = s % 60;
  const p = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${p(m)}:${p(x)}` : `${p(m)}:${p(x)}`;
};
export const isoS = (s: number): string => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
const int = (r: () => number, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const shuffle = <T>(r: () => number, xs: readonly T[]): T[] => {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
};

function runStatuses(r: () => number, rs: ResultStatus, n: number): RunStatus[] {
  return Array.from({ length: n }, (_, i): RunStatus => {
    const head = i < Math.max(1, Math.ceil(n / 2)); // the newer half of the result's runs
    switch (rs) {
      case 'pending': return 'pending';
      case 'in_queue': return i === n - 1 && n > 2 ? 'pending' : 'in_queue';
      case 'running': return head ? 'running' : 'completed';
      case 'in_progress': return i === 0 ? 'in_progress' : head ? 'evaluating' : 'completed';
      case 'evaluating': return head ? 'evaluating' : 'completed';
      case 'failed': return 'failed';
      case 'timeout': return i === 0 || r() < 0.3 ? 'timeout' : 'completed';
      case 'cancelled': return head ? 'cancelled' : 'completed';
      default: return r() < 0.06 ? 'failed' : 'completed';
    }
  });
}

function metricsFor(r: () => number, def: AgentDef, pass: boolean): CekuraMetric[] {
  const adherent = pass || r() < 0.5;
  return [
    { id: 7, name: 'Instruction Follow', type: 'binary_workflow_adherence', score: adherent ? 5 : 0, function_name: 'instruction_follow',
      explanation: adherent ? ['✅ Followed every step of the workflow.'] : ['❌ Skipped the identity verification step.'],
      extra: { categories: adherent ? [] : [{ category: 'Workflow', deviation: 'Skipped verification', priority: 'critical' }] } },
    { id: 40 + (def.agent.id - 100), name: def.goal, type: 'binary_qualitative', score: pass ? 5 : 0,
      explanation: pass ? 'The expected outcome was reached.' : 'The caller hung up without the outcome being reached.' },
    { id: 15, name: 'Empathy', type: 'continuous_qualitative', score: int(r, 25, 50) / 10, explanation: 'Warm tone, acknowledged the caller.' },
    { id: 21, name: 'Latency (ms)', type: 'numeric', score: int(r, 550, 1900), explanation: 'Median response latency.', extra: { percentiles: { p50: int(r, 500, 1200) } } },
    { id: 30, name: 'Call Outcome', type: 'enum', score: null, explanation: 'Classified from the transcript.',
      enum: pass ? pick(r, ['resolved', 'callback_scheduled']) : pick(r, ['escalated', 'abandoned']) },
  ];
}

function transcriptLines(def: AgentDef, s: ScenarioDef, p: Personality, status: RunStatus, dur: number): S['TranscriptEntry'][] {
  const T = 'Testing Agent', M = 'Main Agent';
  const conv: [string, string][] = [
    ...(def.agent.inbound ? [] : ([[T, 'Hello?']] as [string, string][])),
    [M, def.greeting], [T, s.ask], [M, s.reply], [T, p.follow], [M, 'Of course. Is there anything else I can help with?'],
    [T, 'No, that is everything.'], [M, def.closing],
  ];
  let keep = conv.length;
  if (status === 'running' || status === 'in_progress' || status === 'scaling_up' as RunStatus) keep = Math.ceil(conv.length / 2);
  if (status === 'cancelled') keep = 2;
  if (['pending', 'in_queue', 'failed'].includes(status) || dur === 0) keep = 0;
  const out = conv.slice(0, keep).map(([role, content], i) => ({ role, content, timestamp: Math.round((1 + (i * (dur - 2)) / conv.length) * 10) / 10 }));
  if (status === 'timeout') out.push({ role: M, content: 'Hello? Are you still there?', timestamp: Math.max(1, dur - 1) });
  return out;
}

function makeRun(r: () => number, res: ResultRec, ts: number, status: RunStatus, scen: ScenarioDef, longCall: boolean): RunRec {
  const def = res.def;
  const p = pick(r, PERSONALITIES);
  const done = status === 'completed';
  const pass = done && r() < 0.72;
  const dur = done || status === 'evaluating' ? (longCall ? int(r, 3600, 4500) : int(r, 45, 560))
    : status === 'timeout' ? 900 : status === 'running' || status === 'in_progress' ? int(r, 15, 120) : status === 'cancelled' ? int(r, 5, 40) : 0;
  const score = done ? (pass ? pick(r, [100, 100, 90]) : pick(r, [0, 20, 40, 60])) : null;
  const reviewed = done && r() < 0.1;
  return {
    id: 0, ts, status, success: pass, error: status === 'failed' ? pick(r, CONNECT_ERRORS) : '', durationS: dur, scenario: scen, personality: p, score,
    metrics: done ? metricsFor(r, def, pass) : [],
    alignments: done ? [{ outcome: scen.outcome, prompt_part: `Expected outcome: ${scen.outcome}.`, aligned: pass }] : [],
    lines: transcriptLines(def, scen, p, status, dur), callId: res.runAsText ? null : `call_${hexId(r, 24)}`,
    evalStatus: done ? ((reviewed ? 'reviewed_' : '') + (pass ? 'success' : 'failure')) as CekuraRun['evaluation_status'] : null,
    tester: `+1628555${String(int(r, 1000, 9999))}`,
  };
}

const RESULT_NAMES = [
  (d: AgentDef, n: number) => `Smoke test: ${pick(rng(n), d.scenarios).name}`, (_d: AgentDef, n: number) => `Prompt v${(n % 9) + 4} check`,
  (_d: AgentDef, n: number) => `Release 2.${n % 12} regression`, (d: AgentDef, n: number) => `Personality sweep — ${d.agent.agent_name} #${n}`,
];

/** A result with its runs; `ts` gives each run's timestamp, newest first. */
export function makeResult(r: () => number, def: AgentDef, status: ResultStatus, created: number, ts: number[], seq: number, drift: boolean, longAt = -1, statuses?: RunStatus[]): ResultRec {
  const cron = r() < 0.25;
  const subset = shuffle(r, def.scenarios).slice(0, int(r, 1, Math.min(3, ts.length)));
  const res: ResultRec = {
    id: 0, name: cron ? `Nightly regression — ${def.agent.agent_name} #${seq}` : pick(r, RESULT_NAMES)(def, seq), def, status,
    runAsText: r() < 0.2, cron, runType: cron ? 'cronjob' : pick(r, [null, 'manual']), agentVersion: pick(r, [null, 'v12', 'v13']), created, runs: [],
  };
  const sts = statuses ?? runStatuses(r, status, ts.length);
  res.runs = ts.map((t, i) => {
    const st = drift && status === 'pending' ? ('scaling_up' as RunStatus) : sts[i]!;
    return makeRun(r, res, t, st, subset[i % subset.length]!, i === longAt || (sts[i] === 'completed' && r() < 0.02));
  });
  return res;
}

/** Run statuses that are not final yet (drift `scaling_up` included: the run has not started). */
export const OPEN_RUN_STATUSES: ReadonlySet<string> = new Set(['pending', 'in_queue', 'scaling_up', 'running', 'in_progress', 'evaluating']);

/**
 * A completed result of `n` completed, evaluated runs for `def`, created at `created` (s) with every run launched
 * in that second. They are long calls: each lasts until after `untilS` (s). Ids are left to the caller.
 */
export function makeLateResult(r: () => number, def: AgentDef, created: number, n: number, seq: number, untilS: number): ResultRec {
  const res = makeResult(r, def, 'completed', created, Array.from({ length: n }, () => created), seq, false, -1, Array.from({ length: n }, () => 'completed' as RunStatus));
  for (const run of res.runs) {
    run.durationS = Math.max(run.durationS, untilS - run.ts + int(r, 20, 120));
    run.lines = transcriptLines(def, run.scenario, run.personality, 'completed', run.durationS);
  }
  return res;
}

/**
 * Moves one unfinished run to `completed` with its evaluation (verdict, expected-outcome score, metrics,
 * alignments, evaluation_status). A run whose call had not ended yet gets the whole call (duration, transcript);
 * one being evaluated keeps its call. The result's status follows (see settleResult). False when final already.
 */
export function finishRunRec(r: () => number, res: ResultRec, run: RunRec): boolean {
  if (!OPEN_RUN_STATUSES.has(run.status)) return false;
  const def = res.def;
  if (run.status !== 'evaluating') run.durationS = int(r, 45, 560);
  const pass = r() < 0.72;
  run.status = 'completed';
  run.success = pass;
  run.error = '';
  run.score = pass ? pick(r, [100, 100, 90]) : pick(r, [0, 20, 40, 60]);
  run.metrics = metricsFor(r, def, pass);
  run.alignments = [{ outcome: run.scenario.outcome, prompt_part: `Expected outcome: ${run.scenario.outcome}.`, aligned: pass }];
  run.lines = transcriptLines(def, run.scenario, run.personality, 'completed', run.durationS);
  run.evalStatus = ((r() < 0.1 ? 'reviewed_' : '') + (pass ? 'success' : 'failure')) as CekuraRun['evaluation_status'];
  if (run.callId === null && !res.runAsText) run.callId = `call_${hexId(r, 24)}`;
  settleResult(res);
  return true;
}

/**
 * A result's status from its runs once some of them moved on: `completed` when every run is final, `evaluating`
 * when only evaluations are left, `running` once some runs started or ended while others still run or wait
 * (an `in_progress` result stays so while a run is in progress). Results that were final are left alone.
 */
export function settleResult(res: ResultRec): void {
  if (!['pending', 'in_queue', 'running', 'in_progress', 'evaluating'].includes(res.status)) return;
  const sts = res.runs.map((x) => x.status as string);
  const open = sts.filter((x) => OPEN_RUN_STATUSES.has(x));
  if (open.length === 0) res.status = 'completed';
  else if (open.every((x) => x === 'evaluating')) res.status = 'evaluating';
  else if (open.some((x) => x === 'running' || x === 'in_progress')) {
    if (res.status !== 'in_progress' || !open.includes('in_progress')) res.status = 'running';
  } else if (open.length < sts.length) res.status = 'running';
}

/** Generates the results newest first, with ids, forced ties and every status represented. */
export function generate(seed: number, nowMs: number, count: number, drift: boolean): ResultRec[] {
  const r = rng(seed);
  const out: ResultRec[] = [];
  let remaining = Math.max(1, count);
  let prevC = Math.floor(nowMs / 1000) - 90;
  let first = true;
  const inflight = shuffle(r, IN_FLIGHT);
  while (remaining > 0) {
    const def = pick(r, AGENT_DEFS);
    const sizes: number[] = [];
    for (let k = int(r, 1, 4); k > 0 && remaining > 0; k--) {
      let n = remaining <= 8 ? remaining : int(r, 2, 8);
      if (remaining > 8 && remaining - n < 2) n = remaining - 2;
      sizes.push(n);
      remaining -= n;
    }
    let o = int(r, 0, 15);
    const offsets = sizes.map((n) => Array.from({ length: n }, () => (r() < 0.55 ? o : (o = Math.max(0, o - int(r, 1, 6))))));
    const maxOff = offsets[0]![0]!;
    const C = first ? prevC - maxOff : prevC - maxOff - (r() < 0.15 ? 0 : int(r, 20, 5400));
    first = false;
    prevC = C;
    sizes.forEach((_, j) => {
      const i = out.length;
      const status = i < IN_FLIGHT.length ? inflight[i]! : FORCED[i] ?? pick(r, ['completed', 'completed', 'completed', 'completed', 'completed', 'completed', 'failed', 'timeout', 'cancelled'] as const);
      out.push(makeResult(r, def, status, C, offsets[j]!.map((x) => C + x), out.length + 1, drift, i === 15 ? 0 : -1));
    });
  }
  forceTies(out);
  endBefore(out, Math.floor(nowMs / 1000));
  let rid = 4000 + out.length, runId = 86000 + out.reduce((a, x) => a + x.runs.length, 0);
  for (const res of out) {
    res.id = rid--;
    for (const run of res.runs) run.id = runId--;
  }
  return out;
}

/** Seconds between a run's end and "now" at least: the result's `updated_at` (end + 25 s when completed) stays in the past too. */
const END_MARGIN_S = 30;

/**
 * Shortens the calls that would still be going on at `nowS` (the newest runs start 90 s or more before it) so that
 * every run ends in the past; their transcripts follow. Draws nothing from the PRNG: the rest of the data is unchanged.
 */
function endBefore(results: ResultRec[], nowS: number): void {
  for (const res of results) {
    for (const run of res.runs) {
      if (run.durationS === 0 || run.ts + run.durationS <= nowS - END_MARGIN_S) continue;
      run.durationS = Math.max(1, nowS - END_MARGIN_S - run.ts);
      run.lines = transcriptLines(res.def, run.scenario, run.personality, run.status, run.durationS);
    }
  }
}

function forceTies(results: ResultRec[]): void {
  const byAgent = (xs: number[], key: (i: number) => number): number[][] => [xs, ...AGENT_DEFS.map((d) => xs.filter((i) => key(i) === d.agent.id))];
  const ridx = results.map((_, i) => i);
  for (const list of byAgent(ridx, (i) => results[i]!.def.agent.id)) {
    for (const b of TIE_BOUNDARIES) {
      if (list.length <= b) continue;
      const p = list[b - 1]!, q = list[b]!, c = results[p]!.created;
      for (let i = p + 1; i <= q; i++) {
        const res = results[i]!;
        res.created = c;
        for (const run of res.runs) run.ts = Math.max(run.ts, c);
      }
    }
  }
  const flat = results.flatMap((res) => res.runs.map((run) => ({ run, agent: res.def.agent.id })));
  for (const list of byAgent(flat.map((_, i) => i), (i) => flat[i]!.agent)) {
    for (const b of TIE_BOUNDARIES) {
      if (list.length <= b) continue;
      const p = list[b - 1]!, q = list[b]!, t = flat[p]!.run.ts;
      for (let i = p + 1; i <= q; i++) flat[i]!.run.ts = t;
    }
  }
}

const BASE_KEYS = ['id', 'scenario', 'scenario_name', 'personality_name', 'outbound_number', 'inbound_number', 'expected_outcome', 'success',
  'evaluation', 'timestamp', 'executed_at', 'error_message', 'status', 'duration', 'metadata'] as const;

/** The run as embedded in a result's `runs`. */
export function summaryOf(full: CekuraRun): CekuraRunSummary {
  return Object.fromEntries(BASE_KEYS.map((k) => [k, full[k]])) as CekuraRunSummary;
}

/** The full run (runs/bulk, runs/{id}). */
export function renderRun(run: RunRec, res: ResultRec, origin: string): CekuraRun {
  const a = res.def.agent;
  const audio = !res.runAsText && ['completed', 'evaluating', 'timeout'].includes(run.status);
  const pass = run.score !== null && run.score >= 90;
  return {
    id: run.id, scenario: run.scenario.id, scenario_name: run.scenario.name, personality_name: run.personality.name,
    outbound_number: a.inbound ? run.tester : a.contact_number ?? '', inbound_number: a.inbound ? a.contact_number ?? '' : run.tester,
    expected_outcome: {
      score: run.score,
      explanation: run.score === null ? [] : [`✅ The agent identified the request: ${run.scenario.name.toLowerCase()}.`,
        pass ? `✅ ${run.scenario.outcome}.` : `❌ Not achieved: ${run.scenario.outcome.toLowerCase()}.`],
      outcome_alignments: run.alignments,
    },
    success: run.success, evaluation: { metrics: run.metrics }, timestamp: isoS(run.ts),
    executed_at: ['pending', 'in_queue', 'scaling_up'].includes(run.status) ? null : isoS(run.ts + 2),
    error_message: run.error, status: run.status, duration: mmss(run.durationS), metadata: {},
    result_id: res.id, result_name: res.name, agent: a.id, agent_name: a.agent_name, personality: run.personality.id, provider_call_id: run.callId,
    transcript: run.lines.map((l) => `[${mmss(Math.floor(l.timestamp))}] ${l.role}: ${l.content}`).join('\n'), transcript_object: run.lines,
    voice_recording_url: audio ? `${origin}/recordings/${run.id}.wav` : null,
    evaluation_status: run.evalStatus, is_reviewed: run.evalStatus?.startsWith('reviewed_') ?? false, run_as_text: res.runAsText,
  };
}

/** A result list item (`drift` applies the documented-elsewhere variants). */
export function renderResult(res: ResultRec, origin: string, drift: boolean): CekuraResult {
  const runs = res.runs.map((x) => summaryOf(renderRun(x, res, origin)));
  const n = (f: (x: RunRec) => boolean): string => String(res.runs.filter(f).length);
  const total = res.runs.length, ok = res.runs.filter((x) => x.success).length;
  const rate = total ? Math.round((ok / total) * 100) / 100 : 0;
  const ends = res.runs.map((x) => x.ts + x.durationS + (x.status === 'completed' ? 25 : 0));
  return {
    id: res.id, name: res.name, agent: res.def.agent.id, agent_name: res.def.agent.agent_name, agent_inbound: res.def.agent.inbound, status: res.status,
    success_rate: drift ? Math.round(rate * 1000) / 10 : rate, run_as_text: res.runAsText, is_cronjob: drift ? String(res.cron) : res.cron,
    runs: drift && res.id % 3 === 0 ? runs : Object.fromEntries(runs.map((x) => [String(x.id), x])),
    met_expected_outcome_count: n((x) => x.score === 100), total_expected_outcome_count: n((x) => x.score !== null), total_runs_count: String(total),
    completed_runs_count: n((x) => x.status === 'completed'), success_runs_count: String(ok),
    failed_runs_count: n((x) => x.status === 'failed' || x.status === 'timeout' || (x.status === 'completed' && !x.success)),
    scenarios: [...new Map(res.runs.map((x) => [x.scenario.id, { id: x.scenario.id, name: x.scenario.name }])).values()],
    run_type: res.runType, agent_version: res.agentVersion, created_at: drift ? isoS(res.created).replace('Z', '') : isoS(res.created),
    updated_at: isoS(Math.max(res.created, ...ends)),
  };
}

/** The result detail: list fields (runs always a dict) plus the evaluation summary. */
export function renderDetail(res: ResultRec, origin: string, drift: boolean): CekuraResultDetail {
  const base = renderResult(res, origin, drift);
  const runs = Object.fromEntries(res.runs.map((x) => [String(x.id), summaryOf(renderRun(x, res, origin))]));
  const evaluated = res.runs.filter((x) => x.metrics.length > 0);
  const avg = (xs: number[]): number => (xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 100) / 100 : 0);
  const scoreOf = (id: number): number[] => evaluated.map((x) => x.metrics.find((m) => m.id === id)?.score ?? 0);
  const metricDefs = evaluated[0]?.metrics ?? [];
  const summary = Object.fromEntries(metricDefs.filter((m) => m.type !== 'enum').map((m) => [String(m.id),
    { id: m.id, name: m.name, type: m.type, score: avg(scoreOf(m.id)), explanation: '', function_name: m.function_name ?? '', vocera_defined_metric_code: '', p50: avg(scoreOf(m.id)) }]));
  const reasons = new Map<string, number[]>();
  for (const x of res.runs) {
    const why = x.error || (x.status === 'timeout' ? 'The call timed out before the conversation ended.' : x.status === 'completed' && !x.success ? `Expected outcome not met: ${x.scenario.outcome.toLowerCase()}.` : '');
    if (why) reasons.set(why, [...(reasons.get(why) ?? []), x.id]);
  }
  const latency = avg(scoreOf(21));
  return {
    ...base, runs,
    overall_evaluation: {
      success_rate: base.success_rate, metric_summary: summary,
      worst_performing_metrics: { binary_adherence: metricDefs.filter((m) => m.type === 'binary_workflow_adherence' && avg(scoreOf(m.id)) < 5).map((m) => ({ id: m.id, name: m.name, score: avg(scoreOf(m.id)) })) },
      numeric_metrics: evaluated.length ? [{ name: 'Latency (ms)', type: 'numeric', value: latency, percentiles: { p50: latency } }] : [],
      enum_metrics: evaluated.length ? [{ name: 'Call Outcome', type: 'enum', values: Object.fromEntries(['resolved', 'callback_scheduled', 'escalated', 'abandoned'].map((v) => [v, evaluated.filter((x) => x.metrics.some((m) => m.enum === v)).length])) }] : [],
      extra_metrics: [{ name: 'Expected Outcome', type: '', value: avg(evaluated.map((x) => x.score ?? 0)), percentiles: { p50: avg(evaluated.map((x) => x.score ?? 0)) } }],
    },
    total_duration: mmss(res.runs.reduce((a, x) => a + x.durationS, 0)), critical_categories: [], metrics: [], runs_by_tags: {},
    latency_data: evaluated.length ? { avg_latency_ms: latency } : {},
    failed_reasons: { issues: [...reasons].sort((a, b) => b[1].length - a[1].length).map(([description, ids], i) => ({ rank: i + 1, run_ids: ids, description, affected_count: ids.length })) },
  };
}
