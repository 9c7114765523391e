/**
 * Deterministic data for the PathSim simulator: 3 workspaces and Test History sessions whose exact start
 * times (hidden `created_at`, ms) decrease strictly, while the visible `Time` is floored to the minute, so
 * that many sessions share one `Time`: clusters of 2–7 in one minute, inside one workspace and across
 * workspaces, and (by construction) around offsets 37·k, 50·k and 100·k of every workspace's list.
 */
import type { components } from '../../schemas/vendors/pathsim.gen.js';
import { hexId, pick, rng, uuidLike } from '../simkit.js';

export type PathsimRow = components['schemas']['SessionRow'];
export type PathsimDetail = components['schemas']['SessionDetail'];
export type PathsimWorkspace = components['schemas']['Workspace'];

/** Ground truth for one session. */
export interface PathsimSession {
  workspaceId: string;
  /** Exact start time (epoch ms); the API sorts and filters on it but shows only `Time` (minute floor). */
  createdAt: number;
  row: PathsimRow;
  detail: PathsimDetail;
}

export interface PathsimData {
  workspaces: PathsimWorkspace[];
  /** Newest first (strictly decreasing createdAt). */
  sessions: PathsimSession[];
  /** Generator state, continued by addSessions. */
  ctx: GenCtx;
}

interface GenCtx {
  r: () => number;
  dr: () => number;
  counter: number;
  baseUrl: string;
  addCalls: number;
}

/** Share of the sessions per workspace (the third, inactive workspace keeps the smallest share). */
const WEIGHTS = [0.66, 0.22, 0.12];
const DRIFT_KINDS = ['voicemail', 'sms', 'partial', 'api', 'voicemail+api', 'sms'] as const;
type DriftKind = (typeof DRIFT_KINDS)[number];

interface VoicePersona { name: string; phone: string; business: string; asks: [string, string]; answers: [string, string]; goal: string }
interface WebPersona { name: string; url: string; intent: string; steps: [string, string, string][] }

const VOICE: VoicePersona[] = [
  { name: 'National Weather Service Test', phone: '+18316561725', business: 'National Weather Service Monterey', goal: 'the marine forecast',
    asks: ["I'd like the forecast for Monterey Bay tomorrow.", 'Is there a small craft advisory?'],
    answers: ['Tomorrow expect patchy morning fog, then sunny with a high near 68.', 'Yes, a small craft advisory is in effect until 9 PM.'] },
  { name: 'Dental Appointment Booking', phone: '+14155550142', business: 'Bright Smile Dental', goal: 'a cleaning appointment',
    asks: ["I'd like to book a cleaning next Tuesday afternoon.", 'Do you take Delta Dental insurance?'],
    answers: ['We have 2:30 or 4:00 open on Tuesday.', 'Yes, we are in network with Delta Dental.'] },
  { name: 'Pizza Order - Large Pepperoni', phone: '+16505550198', business: "Tony's Pizzeria", goal: 'a delivery order',
    asks: ["I'd like a large pepperoni pizza for delivery.", 'How long will delivery take?'],
    answers: ["Sure, that's 18.99 before tax. What's the address?", 'About 35 to 40 minutes.'] },
  { name: 'Bank Balance Inquiry', phone: '+18005550111', business: 'First Harbor Bank', goal: 'the account balance',
    asks: ['I need the balance on my checking account ending 4421.', 'Were there any pending transactions?'],
    answers: ['After verification, the available balance is 2,318 dollars and 40 cents.', 'One pending card transaction of 42 dollars.'] },
  { name: 'Hotel Reservation Change', phone: '+12125550177', business: 'Harborview Hotel', goal: 'a reservation change',
    asks: ['I need to move my reservation from Friday to Saturday.', 'Is the rate the same?'],
    answers: ["I've moved it to Saturday night for you.", 'Saturday is 20 dollars higher, 229 per night.'] },
  { name: 'Pharmacy Refill Request', phone: '+13105550123', business: 'Care Plus Pharmacy', goal: 'a prescription refill',
    asks: ["I'd like to refill prescription number 7781204.", 'When can I pick it up?'],
    answers: ['I see it, it has two refills remaining.', 'It will be ready after 3 PM today.'] },
  { name: 'Insurance Claim Status', phone: '+18885550166', business: 'SafeRoad Insurance', goal: 'a claim status',
    asks: ["I'm calling about the status of claim 55-20931.", 'When should I expect payment?'],
    answers: ['That claim was approved yesterday.', 'Payment goes out within five business days.'] },
  { name: 'Restaurant Hours Check', phone: '+17075550134', business: 'The Olive Table', goal: 'the opening hours',
    asks: ['What are your hours this Sunday?', 'Do you take reservations for brunch?'],
    answers: ["Sunday we're open from 10 AM to 9 PM.", 'Yes, brunch reservations open a week ahead.'] },
];

const WEB: WebPersona[] = [
  { name: 'chatbot.com price finder', url: 'https://chatbot.com', intent: 'find the Team plan price',
    steps: [['navigate', 'Opened the homepage', 'Homepage loaded'], ['click', "Clicked 'Pricing' in the top navigation", 'Pricing page opened'], ['extract', 'Read the Team plan card', 'Team plan: $52/month billed yearly']] },
  { name: 'Acme returns policy lookup', url: 'https://shop.acme-demo.com', intent: 'find the return window',
    steps: [['navigate', 'Opened the store', 'Store loaded'], ['click', "Clicked 'Help' in the footer", 'Help center opened'], ['type', 'Searched the help center', 'returns'], ['extract', 'Read the returns article', '30-day return window']] },
  { name: 'Docs search - API keys', url: 'https://docs.example.com', intent: 'find how to rotate an API key',
    steps: [['navigate', 'Opened the documentation', 'Docs loaded'], ['type', 'Typed into the search box', 'rotate api key'], ['click', 'Opened the first result', 'API keys page opened'], ['extract', 'Read the rotation section', 'Rotate under Settings > API keys']] },
  { name: 'Weather widget check', url: 'https://weather.example.org', intent: 'read the 5-day forecast',
    steps: [['navigate', 'Opened the weather site', 'Site loaded'], ['type', 'Entered a city', 'Monterey, CA'], ['scroll', 'Scrolled to the forecast widget', 'Widget visible'], ['extract', 'Read the 5-day forecast', 'Sunny, highs 64-70']] },
  { name: 'Flight search SFO to JFK', url: 'https://flights.example.com', intent: 'find the cheapest nonstop fare',
    steps: [['navigate', 'Opened the flight search', 'Search form loaded'], ['type', 'Filled origin and destination', 'SFO → JFK'], ['click', 'Clicked Search', 'Results listed'], ['extract', 'Read the cheapest nonstop', '$289 nonstop, 7:05 AM']] },
  { name: 'Account sign-in helper', url: 'https://app.example.io/login', intent: 'reach the account dashboard',
    steps: [['navigate', 'Navigated to the sign-in page', 'Successfully reached the sign-in page'], ['type', 'Entered the test credentials', 'qa-bot@example.io'], ['click', "Clicked 'Sign in'", 'Dashboard loaded']] },
];

const STAFF = ['Sarah', 'Miguel', 'Priya', 'Tom', 'Aisha', 'Daniel', 'Mei', 'Jordan'];
const GREETINGS = ['Good day', 'Hello', 'Thanks for calling', 'Hi there'];
const DEFLECT = ["I'm sorry, I can't help with that over the phone.", "I'm not able to look that up right now.", "You'd have to come in person for that."];

const DIAL_FAILURES = ['dial_no_answer', 'dial_busy', 'dial_failed'];
const GOOD_MOOD = ['Positive', 'Positive', 'Neutral'];
const BAD_MOOD = ['Neutral', 'Negative'];
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `MM/DD/YYYY HH:mm` in UTC, the minute floor of `ms`. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** "1h 2m 3s", "4m 28s" or "45s". */
export function formatDuration(totalS: number): string {
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  if (h > 0) return `${h}h ${m}m ${s}s`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

/** `test_YYYYMMDD_HHMMSS_ffffff` for the exact start (ms) plus `extraMicros` (0..999). */
export function webTestId(ms: number, extraMicros: number): string {
  const d = new Date(ms);
  const date = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  return `test_${date}_${time}_${pad(d.getUTCMilliseconds() * 1000 + extraMicros, 6)}`;
}

/** A small MP4-shaped file (ftyp + mdat boxes) for web recordings. */
export function fakeMp4(bytes = 4096): Uint8Array {
  const buf = Buffer.alloc(bytes);
  buf.writeUInt32BE(24, 0);
  buf.write('ftypisom', 4);
  buf.writeUInt32BE(512, 12);
  buf.write('isomiso2', 16);
  buf.writeUInt32BE(bytes - 24, 24);
  buf.write('mdat', 28);
  for (let i = 32; i < bytes; i++) buf[i] = (i * 31) & 0xff;
  return new Uint8Array(buf);
}

/** A count after which a page boundary falls, for client page sizes 37, 50 and 100. */
const isBoundary = (n: number): boolean => n > 0 && (n % 37 === 0 || n % 50 === 0);

/** A final, evaluated state that makeSession can be asked for (late sessions). */
interface Final { connected: 'Connected'; objective: 'Achieved' | 'Not Achieved' }

function makeSession(ctx: GenCtx, workspaceId: string, createdAt: number, recent: boolean, drift?: DriftKind, final?: Final): PathsimSession {
  const { r } = ctx;
  const isVoice = r() < 0.6;
  const source = r() < 0.65 ? 'Campaign' : 'Ad-hoc';
  const x = r();
  const connected = final ? final.connected : recent && x < 0.4 ? 'In Progress' : x < 0.09 ? 'Failed' : x < 0.14 ? 'System Error' : 'Connected';
  const y = r();
  const objective = final ? final.objective : connected !== 'Connected' ? '--' : y < (recent ? 0.35 : 0.08) ? '--' : y < 0.7 ? 'Achieved' : 'Not Achieved';
  ctx.counter = (ctx.counter + 1) & 0xffffff;
  const _id = Math.floor(createdAt / 1000).toString(16).padStart(8, '0') + hexId(r, 10) + ctx.counter.toString(16).padStart(6, '0');
  const vp = pick(r, VOICE);
  const wp = pick(r, WEB);
  const test_id = isVoice ? `call_${hexId(r, 27)}` : webTestId(createdAt, Math.floor(r() * 1000));
  const row = {
    Time: formatTime(createdAt),
    'Test Type': isVoice ? 'Voice' : 'Web',
    Objective: objective,
    Connected: connected,
    'Virtual Customer': isVoice ? vp.name : wp.name,
    Target: isVoice ? vp.phone : wp.url,
    Source: source,
    _id,
    test_id,
  } as PathsimRow;
  if (drift) applyDrift(row, drift, ctx.dr);
  const detail = row['Test Type'] === 'Web' ? webDetail(ctx, row, wp, createdAt) : voiceDetail(ctx, row, vp);
  return { workspaceId, createdAt, row, detail };
}

/** Vendor drift: values outside the documented enums. */
function applyDrift(row: PathsimRow, kind: DriftKind, dr: () => number): void {
  const w = row as Record<string, string>;
  const vp = pick(dr, VOICE);
  if (kind === 'voicemail' || kind === 'voicemail+api') {
    Object.assign(w, { 'Test Type': 'Voice', Connected: 'Voicemail', Objective: '--', 'Virtual Customer': vp.name, Target: vp.phone });
    if (!row.test_id.startsWith('call_')) w.test_id = `call_${hexId(dr, 27)}`;
  }
  if (kind === 'sms') Object.assign(w, { 'Test Type': 'SMS', 'Virtual Customer': vp.name, Target: vp.phone, test_id: `sms_${hexId(dr, 27)}` });
  if (kind === 'partial') Object.assign(w, { Connected: 'Connected', Objective: 'Partially Achieved' });
  if (kind === 'api' || kind === 'voicemail+api') w.Source = 'API';
}

function voiceDetail(ctx: GenCtx, row: PathsimRow, vp0: VoicePersona): PathsimDetail {
  const { r } = ctx;
  const vp = VOICE.find((p) => p.phone === row.Target) ?? vp0;
  const conn = row.Connected as string;
  const ok = row.Objective === 'Achieved';
  const staff = pick(r, STAFF);
  const lines: string[] = [];
  let secs: number;
  if (conn === 'Connected' || conn === 'In Progress') {
    lines.push(`user: ${pick(r, GREETINGS)}. ${vp.business}. This is ${staff} speaking. How can I help you?`);
    lines.push(`agent: Hi ${staff}, ${vp.asks[0]}`);
    lines.push(`user: ${row.Objective === 'Not Achieved' ? pick(r, DEFLECT) : vp.answers[0]}`);
    if (conn === 'Connected') {
      if (r() < 0.4) lines.push('agent: Sorry, could you repeat that?', `user: Of course. ${vp.answers[0]}`);
      lines.push(`agent: ${vp.asks[1]}`, `user: ${ok ? vp.answers[1] : 'I would have to check on that and call you back.'}`);
      lines.push("agent: Thank you, that's all I needed. Have a great day!", 'user: You too, goodbye.');
    }
    const z = r();
    secs = conn === 'In Progress' ? 15 + Math.floor(r() * 120) : z < 0.2 ? 20 + Math.floor(r() * 40) : z < 0.96 ? 60 + Math.floor(r() * 540) : 3600 + Math.floor(r() * 900);
  } else if (conn === 'Voicemail') {
    lines.push(`user: You've reached ${vp.business}. Please leave a message after the tone.`, 'agent: Hi, I will call back later. Thank you.');
    secs = 20 + Math.floor(r() * 20);
  } else {
    secs = conn === 'Failed' ? Math.floor(r() * 25) : Math.floor(r() * 5);
  }
  const avg = 120 + Math.floor(r() * 200);
  const summary =
    conn === 'In Progress' ? `Call to ${vp.business} in progress.`
      : conn === 'Failed' ? `The call to ${vp.business} could not be connected.`
      : conn === 'System Error' ? 'The test could not run because of a system error.'
      : conn === 'Voicemail' ? `The call reached the voicemail of ${vp.business}.`
      : ok ? `The user at ${vp.business} provided ${vp.goal}.`
      : row.Objective === '--' ? `The agent asked ${vp.business} about ${vp.goal}; evaluation pending.`
      : `The user at ${vp.business} did not provide ${vp.goal}.`;
  const live = conn === 'Connected' || conn === 'Voicemail';
  const recorded = live && row['Test Type'] === 'Voice';
  return {
    // the row's fields listed, not spread: `{...row, more}` is ~4x slower to build at 100k sessions
    Time: row.Time, 'Test Type': row['Test Type'], Objective: row.Objective, Connected: row.Connected,
    'Virtual Customer': row['Virtual Customer'], Target: row.Target, Source: row.Source, _id: row._id, test_id: row.test_id,
    duration: formatDuration(secs),
    recording_url: recorded ? `${ctx.baseUrl}/sessions/${row._id}/recording` : null,
    summary,
    call_successful: conn === 'Connected',
    test_successful: ok,
    objective_met: ok,
    transcript: lines.join('\n'),
    to_number: row.Target,
    disconnection_reason: conn === 'In Progress' ? null
      : conn === 'Failed' ? pick(r, DIAL_FAILURES)
      : conn === 'System Error' ? 'error_unknown'
      : conn === 'Voicemail' ? 'voicemail_reached'
      : r() < 0.7 ? 'agent_hangup' : 'user_hangup',
    user_sentiment: conn === 'In Progress' ? null : !live ? 'Unknown' : ok ? pick(r, GOOD_MOOD) : pick(r, BAD_MOOD),
    far_end_latency_stats: live
      ? { average_ms: avg, min_ms: avg - 40 - Math.floor(r() * 60), max_ms: avg + 80 + Math.floor(r() * 300), valid_measurements: 4 + Math.floor(r() * 30) }
      : null,
  };
}

function webDetail(ctx: GenCtx, row: PathsimRow, wp: WebPersona, createdAt: number): PathsimDetail {
  const { r } = ctx;
  const conn = row.Connected as string;
  const ok = row.Objective === 'Achieved';
  let plan = wp.steps;
  if (conn === 'Failed') plan = [['navigate', `Opened ${wp.url}`, 'Site did not respond']];
  else if (conn === 'System Error') plan = [];
  else if (conn === 'In Progress') plan = wp.steps.slice(0, 1 + Math.floor(r() * (wp.steps.length - 1)));
  let t = createdAt + 1000 + Math.floor(r() * 2000);
  const steps = plan.map(([action, target, value], i) => {
    t += 1500 + Math.floor(r() * 9000);
    const last = i === plan.length - 1;
    const failed = last && (conn === 'Failed' || row.Objective === 'Not Achieved');
    const status = last && conn === 'In Progress' ? 'in_progress' : failed ? 'failed' : 'completed';
    return { step_number: i + 1, action, target, value: failed && conn !== 'Failed' ? 'Expected information not found' : value, status, timestamp: t };
  });
  const secs = Math.max(1, Math.round((t - createdAt) / 1000) + Math.floor(r() * 5));
  return {
    // the row's fields listed, not spread: `{...row, more}` is ~4x slower to build at 100k sessions
    Time: row.Time, 'Test Type': row['Test Type'], Objective: row.Objective, Connected: row.Connected,
    'Virtual Customer': row['Virtual Customer'], Target: row.Target, Source: row.Source, _id: row._id, test_id: row.test_id,
    duration: formatDuration(secs),
    recording_url: conn === 'Connected' ? `${ctx.baseUrl}/sessions/${row._id}/recording` : null,
    summary:
      conn === 'In Progress' ? `Browsing ${wp.url} to ${wp.intent}.`
        : conn === 'Failed' ? `Could not reach ${wp.url}.`
        : conn === 'System Error' ? 'The test could not run because of a system error.'
        : ok ? `The agent managed to ${wp.intent} on ${wp.url}.`
        : row.Objective === '--' ? `The agent browsed ${wp.url} to ${wp.intent}; evaluation pending.`
        : `The agent could not ${wp.intent} on ${wp.url}.`,
    call_successful: conn === 'Connected',
    test_successful: ok,
    objective_met: ok,
    target_url: wp.url,
    reached_target_website: conn === 'Connected' || conn === 'In Progress',
    intent_achieved: ok,
    steps,
  };
}

function chooseWs(r: () => number, remaining: number[]): number {
  const sum = remaining.reduce((a, b) => a + b, 0);
  let x = r() * sum;
  for (let w = 0; w < remaining.length; w++) {
    x -= remaining[w]!;
    if (x < 0 && remaining[w]! > 0) return w;
  }
  return remaining.findIndex((n) => n > 0);
}

/** Generates the workspaces and `count` sessions, newest first, the newest a few minutes before `now`. */
export function generatePathsimData(o: { seed: number; count: number; now: number; drift: boolean; baseUrl: string }): PathsimData {
  const r = rng(o.seed);
  const ctx: GenCtx = { r, dr: rng(o.seed ^ 0x5eed), counter: Math.floor(r() * 0xffffff), baseUrl: o.baseUrl, addCalls: 0 };
  const org = uuidLike(r);
  const day = 86_400_000;
  const wsDefs = [
    ['Production Workspace', 'Main production environment', true, true, 240],
    ['Staging Workspace', 'Pre-release regression tests', true, false, 120],
    ['Legacy IVR Workspace', 'Archived IVR suite (read-only)', false, false, 400],
  ] as const;
  const workspaces: PathsimWorkspace[] = wsDefs.map(([name, description, isActive, isDefault, age]) => ({
    id: uuidLike(r), name, description, organizationId: org,
    createdAt: new Date(Math.floor(o.now / day - age) * day).toISOString(), isActive, isDefault,
  }));
  const quota = WEIGHTS.map((w) => Math.round(o.count * w));
  quota[2] = Math.max(0, o.count - quota[0]! - quota[1]!);
  const remaining = quota.slice();
  const c = [0, 0, 0];
  const driftAt = new Map<number, DriftKind>();
  if (o.drift) DRIFT_KINDS.forEach((k, i) => driftAt.set(Math.floor(((i + 1) * o.count) / (DRIFT_KINDS.length + 1)), k));
  const sessions: PathsimSession[] = [];
  let minute = Math.floor(o.now / 60_000) * 60_000 - 60_000 * (1 + Math.floor(r() * 4));
  while (sessions.length < o.count) {
    const size = r() < 0.3 ? 1 : 2 + Math.floor(r() * 6);
    const per = [0, 0, 0];
    if (size === 1 || r() < 0.55) per[chooseWs(r, remaining)] = size;
    else for (let i = 0; i < size; i++) per[chooseWs(r, remaining)]! += 1;
    const members: number[] = [];
    for (let w = 0; w < 3; w++) {
      let k = Math.min(per[w]!, remaining[w]!);
      // A workspace's minute group must never end right before a page boundary: the runs at offsets b-1 and b share a minute.
      if (k > 0 && c[w]! + k < quota[w]! && isBoundary(c[w]! + k)) k = k > 1 ? k - 1 : k + 1;
      for (let i = 0; i < k; i++) members.push(w);
      c[w]! += k;
      remaining[w]! -= k;
    }
    if (members.length === 0) continue;
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [members[i], members[j]] = [members[j]!, members[i]!];
    }
    const span = sessions.length === 0 ? 45_000 : 60_000;
    const offs = new Set<number>();
    while (offs.size < members.length) offs.add(Math.floor(r() * span));
    const sorted = [...offs].sort((a, b) => b - a);
    members.forEach((w, i) => {
      const idx = sessions.length;
      sessions.push(makeSession(ctx, workspaces[w]!.id, minute + sorted[i]!, idx < 12, driftAt.get(idx)));
    });
    const g = r();
    const gap = g < 0.65 ? 1 + Math.floor(r() * 20) : g < 0.93 ? 20 + Math.floor(r() * 220) : 600 + Math.floor(r() * 2400);
    minute -= gap * 60_000;
  }
  for (const s of sessions) endBefore(s, o.now);
  return { workspaces, sessions, ctx };
}

/** Seconds of a formatDuration string ("1h 2m 3s", "4m 28s", "45s"). */
function durationS(text: string): number {
  const m = /^(?:(\d+)h )?(?:(\d+)m )?(\d+)s$/.exec(text);
  return m ? Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3]) : 0;
}

/**
 * Shortens a generated call or browse that would still be going on at `now` (the newest sessions start 15 s or
 * more before it) so that it ended at least a second before `now`: its duration, and the times of its web steps
 * in proportion. Draws nothing from the PRNG: the rest of the data is unchanged.
 */
function endBefore(s: PathsimSession, now: number): void {
  const before = durationS(s.detail.duration);
  if (before === 0 || s.createdAt + before * 1000 <= now - 1000) return;
  const secs = Math.max(1, Math.floor((now - 1000 - s.createdAt) / 1000));
  s.detail.duration = formatDuration(secs);
  for (const st of s.detail.steps ?? []) st.timestamp = s.createdAt + Math.round(((st.timestamp - s.createdAt) * secs) / before);
}

/**
 * Inserts `n` sessions at the head (each strictly newer than the current newest). Calls alternate: the 1st,
 * 3rd, … call starts in the newest session's minute (a `Time` tie); the 2nd, 4th, … in a later minute.
 * Without `workspaceId` the new sessions go to the active workspaces. Returns them newest first.
 */
export function addSessions(data: PathsimData, n: number, workspaceId?: string): PathsimSession[] {
  const { ctx } = data;
  const r = ctx.r;
  const head = data.sessions[0]?.createdAt ?? Date.now();
  const tie = ctx.addCalls % 2 === 0;
  ctx.addCalls += 1;
  const times: number[] = [];
  if (tie) {
    const room = Math.floor(head / 60_000) * 60_000 + 59_999 - head;
    const step = Math.max(1, Math.min(5000, Math.floor(room / (n + 1))));
    for (let j = 0; j < n; j++) times.push(head + step * (j + 1));
  } else {
    const start = (Math.floor(head / 60_000) + 1 + Math.floor(r() * 3)) * 60_000 + Math.floor(r() * 20_000);
    const step = 500 + Math.floor(r() * 3000);
    for (let j = 0; j < n; j++) times.push(start + step * j);
  }
  const active = data.workspaces.filter((w) => w.isActive);
  const added = times.reverse().map((t, i) => {
    const ws = workspaceId ?? (r() < 0.75 ? active[0]! : pick(r, active)).id;
    return makeSession(ctx, ws, t, i < 6);
  });
  data.sessions.unshift(...added);
  return added;
}

/** Still running (`In Progress`) or connected but not evaluated yet (`Objective: --`). */
export const isUnfinished = (s: PathsimSession): boolean =>
  s.row.Connected === 'In Progress' || (s.row.Connected === 'Connected' && s.row.Objective === '--');

/** The index at which a session starting at `t` belongs in the newest-first list (before every older one). */
function slotOf(sessions: PathsimSession[], t: number): number {
  let lo = 0;
  let hi = sessions.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sessions[mid]!.createdAt > t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** An evaluated verdict, in the generator's proportion (about two in three achieved). */
const verdict = (r: () => number): Final['objective'] => (r() < 0.68 ? 'Achieved' : 'Not Achieved');

/**
 * Inserts `n` finished, evaluated sessions (`Connected` + `Achieved`/`Not Achieved`) below the head: the newest
 * starts `agoMs` before the current newest session (at least 1 ms before it), the others 1–3 s apart before
 * that, each at a start no other session has. They are long calls: each lasts until after the head started.
 * They go to the active workspaces, each at its place by exact start. Returns them newest first.
 */
export function addLateSessions(data: PathsimData, n: number, agoMs: number): PathsimSession[] {
  const { ctx } = data;
  const r = ctx.r;
  const head = data.sessions[0]?.createdAt ?? Date.now();
  const taken = new Set(data.sessions.map((s) => s.createdAt));
  const active = data.workspaces.filter((w) => w.isActive);
  let t = head - Math.max(1, Math.round(agoMs));
  const added: PathsimSession[] = [];
  for (let j = 0; j < n; j++) {
    while (taken.has(t)) t -= 1;
    taken.add(t);
    const ws = (r() < 0.75 ? active[0]! : pick(r, active)).id;
    const s = makeSession(ctx, ws, t, false, undefined, { connected: 'Connected', objective: verdict(r) });
    const lasted = Math.ceil((head - t) / 1000) + 20 + Math.floor(r() * 100);
    if (s.row['Test Type'] === 'Voice') s.detail.duration = formatDuration(lasted);
    data.sessions.splice(slotOf(data.sessions, t), 0, s);
    added.push(s);
    t -= 1000 + Math.floor(r() * 2000);
  }
  return added;
}

/**
 * Moves one unfinished session to `Connected` with an `Achieved`/`Not Achieved` verdict. A running session gets
 * the detail of a finished call (full transcript or steps, duration, recording, latency); a session waiting for
 * its evaluation keeps its call (transcript, duration, recording, steps and their times) and gets the verdict
 * and what follows from it (summary, success flags, sentiment). Returns false when it was finished already.
 */
export function finishSession(data: PathsimData, s: PathsimSession): boolean {
  if (!isUnfinished(s)) return false;
  const { ctx } = data;
  const running = s.row.Connected === 'In Progress';
  const row = { ...s.row, Connected: 'Connected', Objective: verdict(ctx.r) } as PathsimRow;
  const web = row['Test Type'] === 'Web';
  const wp = WEB.find((p) => p.url === row.Target && p.name === row['Virtual Customer']) ?? WEB.find((p) => p.url === row.Target) ?? WEB[0]!;
  const detail = web ? webDetail(ctx, row, wp, s.createdAt) : voiceDetail(ctx, row, VOICE[0]!);
  if (!running) {
    const old = s.detail as Record<string, unknown>;
    const keep = web ? ['duration'] : ['duration', 'transcript', 'disconnection_reason', 'far_end_latency_stats'];
    for (const k of keep) (detail as Record<string, unknown>)[k] = old[k];
    if (web && Array.isArray(old['steps']) && Array.isArray(detail.steps)) {
      const before = old['steps'] as { timestamp: number }[];
      detail.steps.forEach((st, i) => {
        if (before[i]) (st as { timestamp: number }).timestamp = before[i]!.timestamp;
      });
    }
  }
  s.row = row;
  s.detail = detail;
  return true;
}
