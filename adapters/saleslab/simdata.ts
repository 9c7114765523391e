/**
 * Deterministic data for the Sales Lab simulator: reps, scenarios, sessions with transcripts and
 * scorecards. Sessions are newest `started_at` first; timestamps are UTC at seconds precision and
 * come in tie groups (1–8 sessions sharing one `started_at`), laid out so that a group straddles
 * every page boundary of a full unfiltered walk with the vendor's inclusive cursor at page sizes
 * 37, 50 and 100.
 */
import type { components } from '../../schemas/vendors/saleslab.gen.js';
import { pick, rng, uuidLike } from '../simkit.js';

type S = components['schemas'];
export type SaleslabSessionStatus = S['SessionStatus'];
export type SaleslabVerdict = S['Verdict'];
/** A session as served. `status` may carry drift ("paused"); `scorecard_id` only on some scored sessions. */
export type SaleslabSession = Omit<S['Session'], 'status'> & { status: SaleslabSessionStatus | (string & {}) };
export type SaleslabTurn = S['TranscriptTurn'];
/** A scorecard as served. Drift: `verdict` "legendary", `overall_score` as a string ("81"). */
export type SaleslabScorecard = Omit<S['Scorecard'], 'overall_score' | 'verdict'> & {
  overall_score: number | string;
  verdict: SaleslabVerdict | (string & {});
};
export type SaleslabScenario = S['Scenario'];
export type SaleslabUser = S['User'];
export type SaleslabUserRecord = Omit<SaleslabUser, 'last_session_at'>;

/** Ground truth for one session: what the list, detail and scorecard endpoints serve. */
export interface SaleslabRun {
  session: SaleslabSession;
  transcript: SaleslabTurn[];
  /** The scorecard (served at /scorecards/{session.scorecard_id ?? session.id}), null unless `scored`. */
  scorecard: SaleslabScorecard | null;
}

export const SESSION_STATUSES: readonly SaleslabSessionStatus[] = [
  'scored', 'in_progress', 'live', 'ended', 'scoring', 'abandoned', 'failed',
];
export const VERDICTS: readonly SaleslabVerdict[] = ['crushed_it', 'solid', 'needs_work', 'missed'];
/** Page sizes whose boundaries (in a full walk with the inclusive cursor) always fall inside a tie group. */
export const TIE_PAGE_SIZES = [37, 50, 100] as const;
export const MAX_TIE = 8;

type R = () => number;
type CallType = SaleslabScenario['call_type'];

export const iso = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const int = (r: R, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const clamp = (n: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, n));

const NAMES = [
  'Jordan Reyes', 'Priya Natarajan', 'Marcus Bell', 'Sofia Alvarez', 'Ethan Brooks', 'Hannah Okafor', 'Liam Chen',
  'Grace Whitfield', 'Diego Morales', 'Aisha Rahman', 'Tyler Novak', 'Mei Lin Tan', 'Caleb Foster', 'Nora Lindqvist',
];

const SCENARIOS: { name: string; call_type: CallType; archived: boolean }[] = [
  { name: 'Cold Call — FSBO Seller', call_type: 'cold_call', archived: false },
  { name: 'Discovery — First-Time Buyer', call_type: 'discovery', archived: false },
  { name: 'Objection Handling — Commission Pushback', call_type: 'objection_handling', archived: false },
  { name: 'Cold Call — Expired Listing', call_type: 'cold_call', archived: false },
  { name: 'Discovery — Relocating Family', call_type: 'discovery', archived: true },
  { name: "Objection Handling — 'We're Just Looking'", call_type: 'objection_handling', archived: true },
];

const CATEGORIES: Record<CallType, [string, string][]> = {
  cold_call: [['opener', 'Opener'], ['rapport', 'Rapport'], ['value_pitch', 'Value pitch'], ['objection_handling', 'Objection handling'], ['booking', 'Booking the meeting']],
  discovery: [['rapport', 'Rapport'], ['questioning', 'Discovery questions'], ['listening', 'Active listening'], ['pain', 'Pain identification'], ['next_steps', 'Next steps']],
  objection_handling: [['acknowledge', 'Acknowledge'], ['reframe', 'Reframe'], ['evidence', 'Proof & evidence'], ['tone', 'Tone control'], ['close', 'Close']],
};

const HEADLINES: Record<SaleslabVerdict, string[]> = {
  crushed_it: [
    'You earned the right to ask for the math by reframing his anger as data.',
    'Textbook call: tight opener, sharp questions, and a booked appointment.',
    'You stayed calm under fire and turned the objection into the close.',
  ],
  solid: [
    'Good control of the call; the close needed one more ask.',
    'Strong discovery, but the value pitch came too early.',
    'You handled the pushback well — tighten the next steps.',
  ],
  needs_work: [
    'You talked past the objection instead of exploring it.',
    'Too many closed questions; the seller never opened up.',
    'The opener lost her in the first ten seconds.',
  ],
  missed: [
    'The call ended before you found a reason for them to care.',
    'You argued with the prospect and lost the room.',
    'No discovery, no next step — restart with the basics.',
  ],
};
const STRENGTHS = [
  'Named the seller’s frustration before pitching.', 'Asked an open question about timeline early.',
  'Used silence well after the price objection.', 'Summarised the pain back in the prospect’s words.',
  'Confident, unhurried tone throughout.', 'Booked a concrete follow-up with a time.',
];
const IMPROVEMENTS = [
  'Ask for the appointment directly instead of hinting.', 'Slow down your opener — it sounded scripted.',
  'Dig one level deeper on “why now?”.', 'Avoid defending your commission; anchor on net proceeds.',
  'Confirm the decision-maker before pitching.', 'Let the prospect finish before answering.',
];
const OPENERS: Record<CallType, string> = {
  cold_call: 'Hello?',
  discovery: 'Hi, thanks for calling back. I only have a few minutes.',
  objection_handling: 'Look, I already told the last agent — your fee is way too high.',
};
const PROSPECT = [
  'Why should I list with you instead of selling it myself?', 'We are not in a rush, honestly.',
  'How much is this going to cost me?', 'I had a bad experience with an agent last time.',
  'What makes you different from the other five people who called?', 'Send me something by email.',
  'My husband makes those decisions.', 'Okay, that actually makes sense.', 'I suppose I could do Thursday.',
  'Zillow says the house is worth more than that.', 'We might wait until spring.', 'Fine, go on.',
];
const REP = [
  'Totally fair — can I ask what made you decide to sell on your own?', 'What would need to happen for you to move this year?',
  'If I could show you a higher net after fees, would that be worth fifteen minutes?', 'What happened with the last agent?',
  'Most sellers I work with felt exactly the same way at first.', 'Would Thursday at four or Friday morning work better?',
  'What does your timeline look like?', 'Can I ask how you arrived at that price?', 'I hear you. Let me ask you this…',
  'Happy to send it — what should I focus on so it is useful?', 'Is there anyone else who should be on the next call?',
];

export interface GenContext {
  users: SaleslabUserRecord[];
  scenarios: SaleslabScenario[];
  /** Counts scored sessions generated so far (the first four get one verdict each). */
  scoredSoFar: number;
}

function verdictOf(score: number): SaleslabVerdict {
  return score >= 85 ? 'crushed_it' : score >= 70 ? 'solid' : score >= 50 ? 'needs_work' : 'missed';
}

export function makeScorecard(r: R, callType: CallType, ctx: GenContext): SaleslabScorecard {
  const forced = [92, 77, 61, 38][ctx.scoredSoFar];
  ctx.scoredSoFar += 1;
  const overall = forced ?? clamp(Math.round(35 + (r() + r() + r()) * 22), 15, 99);
  const verdict = verdictOf(overall);
  const categories = CATEGORIES[callType].map(([key, name]) => ({ key, name, score: clamp(overall + int(r, -12, 12), 0, 100) }));
  const some = (xs: string[]): string[] => {
    const start = int(r, 0, xs.length - 1);
    return [xs[start]!, xs[(start + int(r, 1, xs.length - 1)) % xs.length]!].slice(0, int(r, 1, 2));
  };
  const callouts: SaleslabScorecard['callouts'] = [
    ...some(STRENGTHS).map((text) => ({ type: 'strength' as const, text })),
    ...some(IMPROVEMENTS).map((text) => ({ type: 'improvement' as const, text })),
  ];
  return { overall_score: overall, verdict, headline: pick(r, HEADLINES[verdict]), categories, callouts };
}

export function makeTranscript(r: R, callType: CallType, turns: number, seconds: number): SaleslabTurn[] {
  const out: SaleslabTurn[] = [];
  for (let j = 0; j < turns; j++) {
    const role = j % 2 === 0 ? 'agent' : 'user';
    const message = j === 0 ? OPENERS[callType] : pick(r, role === 'agent' ? PROSPECT : REP);
    const time = j === 0 ? 0 : Math.min(seconds, Math.round((j * seconds) / turns) + int(r, 0, 3));
    out.push({ role, message, time });
  }
  return out;
}

/**
 * One session at `startMs`. `recent` sessions may still be running (live, in_progress, scoring) and use
 * only active scenarios; `force` pins the status.
 */
export function makeRun(r: R, startMs: number, recent: boolean, ctx: GenContext, force?: SaleslabSessionStatus): SaleslabRun {
  const reps = ctx.users.filter((u) => u.role === 'rep').slice(0, -1); // the newest hire has no sessions yet
  const manager = ctx.users.find((u) => u.role === 'manager');
  const user = manager && r() < 0.08 ? manager : pick(r, reps);
  const scenario = pick(r, recent ? ctx.scenarios.filter((s) => !s.archived) : ctx.scenarios);
  const roll = r();
  const status: SaleslabSessionStatus =
    force ??
    (recent
      ? roll < 0.12 ? 'live' : roll < 0.22 ? 'in_progress' : roll < 0.32 ? 'scoring' : roll < 0.9 ? 'scored' : 'ended'
      : roll < 0.72 ? 'scored' : roll < 0.82 ? 'abandoned' : roll < 0.92 ? 'ended' : 'failed');
  const running = status === 'live' || status === 'in_progress';
  const duration =
    status === 'failed' ? int(r, 0, 25) : status === 'abandoned' ? int(r, 15, 120) : int(r, 180, 1200);
  const turns =
    status === 'failed' ? int(r, 0, 1) : status === 'abandoned' ? int(r, 2, 3) : running ? int(r, 2, 6) : int(r, 6, 14);
  const created = startMs - (r() < 0.3 ? int(r, 1, 4) * 1000 : 0);
  const session: SaleslabSession = {
    id: uuidLike(r),
    user_id: user.id,
    scenario_id: scenario.id,
    status,
    started_at: iso(startMs),
    ended_at: running ? null : iso(startMs + duration * 1000),
    duration_seconds: running ? null : duration,
    created_at: iso(created),
  };
  const transcript = makeTranscript(r, scenario.call_type, turns, running ? turns * 20 : duration);
  let scorecard: SaleslabScorecard | null = null;
  if (status === 'scored') {
    const scorecardId = uuidLike(r);
    if (r() < 0.4) session.scorecard_id = scorecardId;
    scorecard = makeScorecard(r, scenario.call_type, ctx);
  }
  return { session, transcript, scorecard };
}

/**
 * Tie-group sizes (newest first) for `count` sessions. A full walk with the inclusive cursor and page size
 * L ends each page at index p+L-1 and restarts at the first index of that item's group, so the next
 * boundary is groupStart+L; a group is forced across every such boundary for each L in TIE_PAGE_SIZES.
 */
export function tieGroups(r: R, count: number): number[] {
  const next = new Map<number, number>(TIE_PAGE_SIZES.map((l) => [l, l]));
  const sizes: number[] = [];
  let i = 0;
  while (i < count) {
    for (const [l, x] of next) if (x <= i) next.set(l, x + l); // a boundary that could not be straddled
    const b = Math.min(...next.values());
    let s: number;
    if (b - i <= 3) {
      const bounds = [...next.values()].filter((x) => x > i && x <= i + MAX_TIE);
      const options: number[] = [];
      for (let k = Math.max(1, b - i + 1); k <= MAX_TIE; k++) if (!bounds.includes(i + k)) options.push(k);
      s = options.length ? pick(r, options.slice(0, 2)) : b - i + 1;
    } else {
      const roll = r();
      s = roll < 0.55 ? 1 : roll < 0.77 ? 2 : roll < 0.87 ? 3 : int(r, 4, MAX_TIE);
      s = Math.min(s, b - i - 1);
    }
    s = Math.min(s, count - i);
    for (const [l, x] of next) if (x > i && x <= i + s - 1) next.set(l, i + l);
    sizes.push(s);
    i += s;
  }
  return sizes;
}

export interface SaleslabData {
  users: SaleslabUserRecord[];
  scenarios: SaleslabScenario[];
  runs: SaleslabRun[];
  ctx: GenContext;
}

/** Generates the tenant: 8 users (1 manager, 7 reps, the last without sessions), 6 scenarios, `count` sessions. */
export function generate(seed: number, count: number, now: number, drift: boolean): SaleslabData {
  const r = rng(seed);
  const names = NAMES.map((n) => [r(), n] as const).sort((a, b) => a[0] - b[0]).map((x) => x[1]);
  const users: SaleslabUserRecord[] = names.slice(0, 8).map((full_name, i) => ({
    id: uuidLike(r),
    full_name,
    role: i === 0 ? 'manager' : 'rep',
  }));
  const scenarios: SaleslabScenario[] = SCENARIOS.map((s) => ({ id: uuidLike(r), ...s }));
  const ctx: GenContext = { users, scenarios, scoredSoFar: 0 };
  const forced = new Map<number, SaleslabSessionStatus>([
    [0, 'scored'], [1, 'live'], [2, 'in_progress'], [3, 'ended'], [4, 'scoring'], [12, 'ended'], [13, 'abandoned'], [14, 'failed'],
  ]);
  const runs: SaleslabRun[] = [];
  let ts = Math.floor(now / 1000) * 1000 - int(r, 60, 1200) * 1000;
  for (const size of tieGroups(r, count)) {
    for (let k = 0; k < size; k++) {
      const i = runs.length;
      runs.push(makeRun(r, ts, i < 10, ctx, forced.get(i)));
    }
    ts -= int(r, 300, 20 * 3600) * 1000;
  }
  for (const run of runs) endBefore(run, now);
  if (drift) applyDrift(runs);
  return { users, scenarios, runs, ctx };
}

/**
 * Shortens a generated call that would still be going on at `now` (the newest sessions start a minute or more
 * before it) so that it ended at least a second before `now`; its transcript times follow. Draws nothing from the
 * PRNG: the rest of the data is unchanged.
 */
function endBefore(run: SaleslabRun, now: number): void {
  const s = run.session;
  const before = s.duration_seconds;
  if (before === null || s.ended_at === null) return;
  const start = Date.parse(s.started_at);
  if (start + before * 1000 <= now - 1000) return;
  const duration = Math.max(0, Math.floor((now - 1000 - start) / 1000));
  s.duration_seconds = duration;
  s.ended_at = iso(start + duration * 1000);
  if (before > 0) run.transcript = run.transcript.map((t) => ({ ...t, time: Math.min(duration, Math.round((t.time * duration) / before)) }));
}

/** Drift (after generation, so that the rest of the data is unchanged): status "paused", verdict "legendary", score "81". */
function applyDrift(runs: SaleslabRun[]): void {
  const paused = runs[3]; // generated as `ended`, so no scorecard or verdict is lost
  if (paused) {
    paused.session.status = 'paused';
    paused.session.ended_at = null;
    paused.session.duration_seconds = null;
    delete paused.session.scorecard_id;
    paused.scorecard = null;
  }
  const scored = runs.filter((x, i) => i > 3 && x.scorecard).slice(4, 6);
  if (scored[0]?.scorecard) Object.assign(scored[0].scorecard, { overall_score: 98, verdict: 'legendary' });
  if (scored[1]?.scorecard) Object.assign(scored[1].scorecard, { overall_score: '81', verdict: 'solid' });
}

/** Session statuses after which nothing changes any more (`scored`, or a session that broke off). */
export const FINAL_STATUSES: ReadonlySet<string> = new Set(['scored', 'abandoned', 'failed']);

/** Not final yet: running (`live`, `in_progress`, drift `paused`) or waiting for its scorecard (`ended`, `scoring`). */
export const isUnfinished = (x: SaleslabRun): boolean => !FINAL_STATUSES.has(x.session.status);

/**
 * Moves one unfinished session to `scored` with its scorecard. A running one ends now: `ended_at`,
 * `duration_seconds` and the rest of its transcript (the turns said so far are kept); one that had ended keeps
 * its call. Like generated scored sessions, 40 % serve their scorecard under a `scorecard_id` of their own.
 * Returns false when it was final already.
 */
export function finishRun(r: R, run: SaleslabRun, ctx: GenContext): boolean {
  if (!isUnfinished(run)) return false;
  const s = run.session;
  const callType = ctx.scenarios.find((x) => x.id === s.scenario_id)?.call_type ?? 'cold_call';
  if (s.ended_at === null || s.duration_seconds === null) {
    const duration = int(r, 180, 1200);
    s.ended_at = iso(Date.parse(s.started_at) + duration * 1000);
    s.duration_seconds = duration;
    const said = run.transcript;
    const full = makeTranscript(r, callType, Math.max(said.length, int(r, 6, 14)), duration);
    run.transcript = full.map((t, j) => (said[j] ? { ...t, message: said[j]!.message } : t));
  }
  s.status = 'scored';
  const scorecardId = uuidLike(r);
  if (r() < 0.4) s.scorecard_id = scorecardId;
  run.scorecard = makeScorecard(r, callType, ctx);
  return true;
}

/**
 * A scored session started at `startMs` that lasted until `untilMs` at least (a long call, listed late), its
 * transcript spread over the whole call.
 */
export function makeLateRun(r: R, startMs: number, untilMs: number, ctx: GenContext): SaleslabRun {
  const run = makeRun(r, startMs, true, ctx, 'scored');
  const s = run.session;
  const before = s.duration_seconds ?? 0;
  const duration = Math.max(before, Math.ceil((untilMs - startMs) / 1000) + int(r, 20, 120));
  s.duration_seconds = duration;
  s.ended_at = iso(startMs + duration * 1000);
  if (before > 0) run.transcript = run.transcript.map((t) => ({ ...t, time: Math.round((t.time * duration) / before) }));
  return run;
}
