/**
 * Deterministic data for the Synthflow simulator: target agents with their simulation cases,
 * simulation sessions (suite executions) and the simulations (= runs) inside them, in the order
 * the vendor serves them (newest `created_at` first, ties in a stable order).
 *
 * Shape facts (see the report / simulator.ts): every simulation belongs to a session; ~20 % of the
 * simulations were started one by one (a session of one), the rest come from suite executions of
 * 3–15 simulations that start in waves of 2–6 simulations sharing the same `created_at` second.
 * Ties are forced to straddle every multiple of 37, 50 and 100 in the served order.
 */
import type { components } from '../../schemas/vendors/synthflow.gen.js';
import { rng, pick, uuidLike, hexId } from '../simkit.js';

type S = components['schemas'];
export type SynthflowSimulation = S['SimulationReadOut'];
export type SynthflowSession = S['SimulationSessionReadOut'];
export type SynthflowAssistant = S['Assistant'];
export type SynthflowTimelineItem = S['TimelineItem'];
type Status = S['SimulationReadOutStatus'];

/** A stored simulation plus what the vendor's database sorts by (`t` = created_at in ms; `seq` breaks ties, higher first). */
export interface SimRecord {
  sim: SynthflowSimulation;
  t: number;
  seq: number;
}

interface CaseDef {
  id: string;
  personaId: string;
  name: string;
  type: 'all' | 'any';
  prompt: string;
  criteria: string[];
  lines: string[];
  vars: Record<string, string> | null;
}
export interface AgentDef {
  id: string;
  name: string;
  avatar: string | null;
  phone: string | null;
  kind: 'inbound' | 'outbound';
  description: string;
  passRate: number;
  cases: CaseDef[];
}

const SEC = 1000;
/** ISO 8601 UTC at second precision, as Synthflow writes it: "2024-01-15T09:30:00Z". */
export const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const round1 = (x: number): number => Math.round(x * 10) / 10;

type RawCase = [name: string, type: 'all' | 'any', prompt: string, criteria: string[], lines: string, vars: Record<string, string> | null];
const RAW: Array<{ name: string; avatar: string | null; phone: string | null; kind: 'inbound' | 'outbound'; description: string; passRate: number; cases: RawCase[] }> = [
  {
    name: 'Maya – Dental Front Desk', avatar: 'https://cdn.synthflow.ai/avatars/maya-dental.png', phone: '+14155550147', kind: 'inbound',
    description: 'Books, moves and cancels appointments for Brightsmile Dental.', passRate: 0.85,
    cases: [
      ['Reschedule a cleaning appointment', 'all', 'You are Jordan Alvarez, a patient who needs to move next Tuesday\'s cleaning to later in the week.',
        ['Agent verifies the patient\'s date of birth before changing the booking', 'Agent offers at least two alternative slots', 'Agent confirms the new time before ending the call'],
        'Thanks for calling Brightsmile Dental, this is Maya. How can I help?|Hi, I need to move my cleaning on Tuesday, something came up.|Of course. Can I have your full name and date of birth?|Jordan Alvarez, April 12th 1988.|Thanks Jordan. I have Thursday at 10:30 or Friday at 2:15. Which works?|Friday at 2:15 please.|Done, you are booked for Friday at 2:15. Anything else?|No, that is all, thanks!',
        { patient_name: 'Jordan Alvarez', date_of_birth: '1988-04-12' }],
      ['New patient asks about insurance', 'any', 'You are Priya, new in town, and want to know whether Delta Dental PPO is accepted.',
        ['Agent lists the accepted insurance providers', 'Agent offers to book a first visit'],
        'Brightsmile Dental, Maya speaking.|Hi, do you take Delta Dental PPO?|Yes, we accept Delta Dental PPO, Cigna and Aetna. Would you like to book a first visit?|Maybe later, thanks for checking.',
        null],
      ['Emergency toothache after hours', 'all', 'You are a caller in severe pain at 9pm with a swollen cheek.',
        ['Agent recognises the emergency and gives the on-call number', 'Agent does not attempt a diagnosis'],
        'Brightsmile Dental, this is Maya.|My tooth is killing me and my cheek is swollen, what do I do?|I am sorry you are in pain. Please call our on-call dentist at 415-555-0190 right away.|Okay, calling them now.',
        {}],
    ],
  },
  {
    name: "Luigi's Pizza Order Line", avatar: null, phone: '+13125550198', kind: 'inbound',
    description: 'Takes delivery and pickup orders for Luigi\'s Pizzeria, Chicago.', passRate: 0.7,
    cases: [
      ['Order two large pizzas for delivery', 'all', 'You are Sam, ordering two large pizzas to 41 Elm Street.',
        ['Agent repeats the full order back', 'Agent collects a delivery address', 'Agent states the total price'],
        'Luigi\'s Pizza, what can I get you?|Two large pepperoni for delivery please.|Two large pepperoni. What is the address?|41 Elm Street, apartment 3.|Got it, that comes to $38.50 and will be there in 40 minutes.|Perfect, thanks.',
        { customer_name: 'Sam Okafor', address: '41 Elm Street, Apt 3' }],
      ['Customer with a nut allergy', 'all', 'You are ordering for a child with a severe tree-nut allergy and ask about pesto.',
        ['Agent warns that the pesto contains pine nuts', 'Agent suggests a nut-free alternative'],
        'Luigi\'s Pizza, what can I get you?|Is your pesto pizza safe for a nut allergy?|Our pesto contains pine nuts, so I would avoid it. The margherita is nut-free.|Great, one medium margherita then.',
        null],
      ['Complaint about a late delivery', 'any', 'You are annoyed: your order is 50 minutes late.',
        ['Agent apologises', 'Agent offers a refund or a discount'],
        'Luigi\'s Pizza, how can I help?|My order is fifty minutes late, this is ridiculous.|I am really sorry. I can take 20 percent off and check on the driver.|Fine, please do.',
        { order_id: 'LP-20931' }],
    ],
  },
  {
    name: 'Harbor Insurance Claims Intake', avatar: 'https://cdn.synthflow.ai/avatars/harbor-claims.png', phone: '+16175550133', kind: 'inbound',
    description: 'First notice of loss for Harbor Mutual auto and home policies.', passRate: 0.6,
    cases: [
      ['File a windshield damage claim', 'all', 'You are Dana Whitfield, a stone cracked your windshield on I-93 this morning.',
        ['Agent collects the policy number', 'Agent asks for the date and place of the incident', 'Agent gives a claim reference'],
        'Harbor Insurance claims, how can I help today?|A rock cracked my windshield on the highway this morning.|I am sorry to hear that. What is your policy number?|HM-448120-A.|Thanks. Where and when did it happen?|On I-93 northbound, around 8 am.|Your claim reference is CLM-77310. A glass partner will call you today.|Great, thank you.',
        { policy_number: 'HM-448120-A', caller_name: 'Dana Whitfield' }],
      ['Caller refuses to give policy number', 'all', 'You want to report a fender bender but refuse to share your policy number.',
        ['Agent explains why the policy number is needed', 'Agent offers another way to identify the policy'],
        'Harbor Insurance claims, how can I help?|I had a small accident but I am not giving out my policy number.|I understand. We need it to find your policy, but I can also look you up by name and date of birth.|Fine, it is Chris Hale, March 3rd 1979.',
        null],
      ['Spanish-speaking policyholder', 'any', 'You only speak Spanish and want to report water damage in your kitchen.',
        ['Agent switches to Spanish', 'Agent offers a Spanish-speaking adjuster'],
        'Harbor Insurance claims, how can I help?|Hola, ¿habla español? Tengo daños por agua en la cocina.|Claro, puedo ayudarle en español. ¿Cuándo ocurrió el daño?|Anoche, se rompió una tubería.',
        { language: 'es' }],
    ],
  },
  {
    name: 'Oakridge Leasing Assistant', avatar: 'https://cdn.synthflow.ai/avatars/oakridge.png', phone: '+12065550171', kind: 'outbound',
    description: 'Calls back rental leads for Oakridge Apartments, Seattle.', passRate: 0.8,
    cases: [
      ['Schedule a two-bedroom viewing', 'all', 'You are Lee Chen and want to see a two-bedroom unit this weekend.',
        ['Agent confirms the unit type', 'Agent books a viewing slot', 'Agent sends a confirmation text'],
        'Hi, this is the Oakridge leasing assistant returning your inquiry. Is this Lee?|Yes, hi! I wanted to see a two-bedroom.|Great. I have Saturday at 11 or Sunday at 1. Which is better?|Saturday at 11.|Booked. I will text you a confirmation now.|Thanks!',
        { lead_name: 'Lee Chen', unit_type: '2BR' }],
      ['Ask about pet policy and deposits', 'any', 'You have a 60 lb dog and want to know the pet rules and deposit.',
        ['Agent explains the pet policy', 'Agent states the pet deposit'],
        'Hi, Oakridge leasing assistant here, calling about your inquiry.|Do you allow big dogs? Mine is 60 pounds.|Yes, dogs up to 80 pounds are welcome, with a $400 pet deposit and $45 monthly pet rent.|Good to know, thanks.',
        null],
      ['Prospect requests a human agent', 'all', 'You insist on talking to a real person about a lease break.',
        ['Agent offers a transfer to a leasing manager', 'Agent stays polite'],
        'Hi, this is the Oakridge leasing assistant.|I want to talk to a real person about breaking my lease.|Of course, I will transfer you to a leasing manager now.|Thank you.',
        {}],
    ],
  },
];

const ERRORS: Array<S['SimulationErrorInfo']> = [
  { message: 'Target agent did not answer the call', code: 408, type: 'no_answer' },
  { message: 'Call was disconnected before the conversation started', code: 499, type: 'call_dropped' },
  { message: 'Persona agent failed to start: upstream LLM timeout', code: 504, type: 'persona_error' },
  { message: 'Target phone number is not reachable', code: 404, type: 'invalid_target' },
  { message: 'Simulation exceeded the maximum duration of 600 seconds', code: 500, type: 'timeout' },
];
const FAIL_REASONS = ['skipped this step entirely', 'gave an incomplete answer', 'moved on without confirming', 'contradicted itself'];
const PERSONA_NUMBERS = ['+14155550100', '+14155550101', '+14155550102', null];

export interface WorldOptions {
  seed: number;
  count: number;
  now: number;
  origin: string;
  drift: boolean;
}

/** The simulator's whole state: agents, and every simulation in served order. */
export class SynthflowWorld {
  recs: SimRecord[] = [];
  readonly agents: AgentDef[];
  readonly assistants: SynthflowAssistant[];
  readonly workspaceId: string;
  /** Session creation order (higher = created later), the tie-break among sessions of the same second. */
  readonly sessionSeq = new Map<string, number>();
  readonly sessionAgent = new Map<string, AgentDef>();
  private readonly r: () => number;
  private nextSeq = 1;
  private addCalls = 0;

  constructor(private readonly o: WorldOptions) {
    const r = (this.r = rng(o.seed));
    this.workspaceId = `${1_690_000_000_000 + Math.floor(r() * 1e10)}x${hexId(r, 18).replace(/[a-f]/g, (c) => String(c.charCodeAt(0) % 10))}`;
    this.agents = RAW.map((a) => ({
      ...a,
      id: uuidLike(r),
      cases: a.cases.map(([name, type, prompt, criteria, lines, vars]) => ({
        id: uuidLike(r), personaId: uuidLike(r), name, type, prompt, criteria, lines: lines.split('|'), vars,
      })),
    }));
    this.assistants = [
      ...this.agents.map((a): SynthflowAssistant => ({
        model_id: a.id, name: a.name, type: a.kind, description: a.description, phone_number: a.phone ?? '',
        external_webhook_url: `https://hooks.example.com/synthflow/${a.id.slice(0, 8)}`, is_recording: true,
        agent: { prompt: `You are ${a.name}. ${a.description}`, greeting_message: a.cases[0]?.lines[0] ?? 'Hello!', llm: 'gpt-4.1', language: 'en-US', voice_id: hexId(r, 20), timezone: 'America/New_York' },
      })),
      { model_id: uuidLike(r), name: 'Renewals Outbound (draft)', type: 'outbound', description: 'Not tested yet.', phone_number: '', is_recording: false,
        agent: { prompt: 'Call customers whose policy renews this month.', greeting_message: 'Hi, this is Harbor Mutual.', llm: 'gpt-5-mini', language: 'en-US', voice_id: hexId(r, 20), timezone: 'America/New_York' } },
    ];
    this.generate();
    if (o.drift) this.applyDrift();
  }

  private generate(): void {
    const { r, o } = this;
    const singles = Math.round(o.count * 0.2);
    let rest = o.count - singles;
    const sizes: number[] = [];
    while (rest > 0) {
      let s = Math.min(rest, 3 + Math.floor(Math.sqrt(r()) * 13)); // suites lean large
      if (rest - s > 0 && rest - s < 3) s = rest <= 15 ? rest : rest - 3;
      sizes.push(s);
      rest -= s;
    }
    for (let i = 0; i < singles; i++) sizes.push(1);
    for (let i = sizes.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [sizes[i], sizes[j]] = [sizes[j]!, sizes[i]!];
    }
    const firstSuite = sizes.findIndex((n) => n > 1); // the newest session is a suite that is still running
    if (firstSuite > 0) [sizes[0], sizes[firstSuite]] = [sizes[firstSuite]!, sizes[0]!];
    // Sessions newest first; 10 % start in the same second as the next newer one.
    let cursor = Math.floor(o.now / SEC) * SEC - 4 * 60 * SEC;
    const slots: Array<{ t: number; sid: string; agent: AgentDef; c: CaseDef }> = [];
    sizes.forEach((size, k) => {
      if (k > 0 && r() >= 0.1) cursor -= (20 * 60 + Math.floor(r() * 30 * 3600)) * SEC;
      const sid = uuidLike(r);
      const agent = pick(r, this.agents);
      this.sessionSeq.set(sid, sizes.length - k);
      this.sessionAgent.set(sid, agent);
      let waveT = cursor;
      let inWave = 0;
      let waveSize = 2 + Math.floor(r() * 5);
      const first = Math.floor(r() * agent.cases.length);
      for (let i = 0; i < size; i++) {
        if (inWave >= waveSize) {
          waveT += (1 + Math.floor(r() * 3)) * SEC;
          inWave = 0;
          waveSize = 2 + Math.floor(r() * 5);
        }
        slots.push({ t: waveT, sid, agent, c: agent.cases[(first + i) % agent.cases.length]! });
        inWave += 1;
      }
    });
    slots.sort((a, b) => b.t - a.t); // stable: generation order among ties
    // Make a tie straddle every page boundary of the sizes the gateway and its clients use.
    for (let b = 1; b < slots.length; b++) {
      if ((b % 37 === 0 || b % 50 === 0 || b % 100 === 0) && slots[b]!.t !== slots[b - 1]!.t) slots[b]!.t = slots[b - 1]!.t;
    }
    this.recs = slots.map((s, i) => {
      const [status, evaluating] = this.statusFor(o.now - s.t);
      return { sim: this.build(uuidLike(r), s.agent, s.c, s.sid, s.t, status, evaluating), t: s.t, seq: slots.length - i };
    });
    this.nextSeq = slots.length + 1;
    // Every documented status (and the "still evaluating" completed state) is represented: a missing state
    // replaces a simulation (searched from `from`) whose own state is not the last of its kind.
    const ensure = (from: number, st: Status, ev: boolean): void => {
      const want = st === 'completed' ? (ev ? 'evaluating' : 'completed') : st;
      if (this.recs.some((x) => stateOf(x.sim) === want)) return;
      const order = [...this.recs.keys()].map((k) => (k + from) % this.recs.length);
      const i = order.find((k) => this.spare(k));
      if (i === undefined) return;
      const rec = this.recs[i]!;
      const s = slots[i]!;
      rec.sim = this.build(rec.sim.simulation_id, s.agent, s.c, s.sid, s.t, st, ev);
    };
    ensure(0, 'in-progress', false);
    ensure(1, 'completed', true);
    ensure(Math.floor(this.recs.length / 2), 'failed', false);
    ensure(Math.floor(this.recs.length / 3), 'completed', false);
  }

  /** True when the simulation at index i is not the only one in its state (so it may be changed). */
  private spare(i: number): boolean {
    const st = stateOf(this.recs[i]!.sim);
    return this.recs.filter((x) => stateOf(x.sim) === st).length > 1;
  }

  /** Recent simulations may still run or be evaluated; older ones are finished. */
  private statusFor(age: number): [Status, boolean] {
    const x = this.r();
    if (age < 20 * 60 * SEC) return x < 0.45 ? ['in-progress', false] : x < 0.85 ? ['completed', x < 0.65] : ['failed', false];
    if (age < 3 * 3600 * SEC) return x < 0.85 ? ['completed', x < 0.08] : ['failed', false];
    return x < 0.88 ? ['completed', false] : ['failed', false];
  }

  /** One SimulationReadOut, consistent with its status (timeline, recording, analysis, error). */
  build(id: string, agent: AgentDef, c: CaseDef, sid: string, t: number, status: Status, evaluating: boolean): SynthflowSimulation {
    const r = this.r;
    const callStart = t + (2 + Math.floor(r() * 4)) * SEC;
    let turns: number;
    if (status === 'completed') turns = c.lines.length;
    else if (status === 'in-progress') turns = r() < 0.3 ? 0 : 1 + Math.floor(r() * (c.lines.length - 1));
    else turns = r() < 0.6 ? 0 : 1 + Math.floor(r() * 2);
    let off = round1(0.4 + r());
    let timeline: SynthflowTimelineItem[] | null = null;
    if (turns > 0) {
      timeline = [];
      for (let i = 0; i < turns; i++) {
        timeline.push({ sender_type: i % 2 === 0 ? 'agent' : 'persona', value: c.lines[i]!, type: 'message', timestamp_datetime: iso(callStart + off * SEC), timestamp: off });
        off = round1(off + 1.5 + r() * 7);
      }
    }
    const connected = status === 'completed' || turns > 0;
    let updated: number;
    if (status === 'completed') updated = callStart + (off + 2) * SEC + (evaluating ? 0 : (5 + Math.floor(r() * 35)) * SEC);
    else if (status === 'failed') updated = t + (5 + Math.floor(r() * 55)) * SEC;
    else updated = turns > 0 ? callStart + off * SEC : t;
    const analysis = status === 'completed' && !evaluating ? this.analysisFor(agent, c, off) : null;
    return {
      simulation_id: id,
      simulation_session_id: sid,
      simulation_case_id: c.id,
      simulation_case_name: c.name,
      simulation_case_prompt: c.prompt,
      success_criteria: [...c.criteria],
      call_success_type: c.type,
      persona_agent_id: c.personaId,
      persona_phone_number: pick(r, PERSONA_NUMBERS),
      target_agent_id: agent.id,
      agent_name: agent.name,
      agent_avatar_url: agent.avatar,
      target_phone_number: agent.phone,
      target_call_id: connected ? uuidLike(r) : null,
      custom_variables: c.vars ? { ...c.vars } : c.vars,
      status,
      workspace_id: this.workspaceId,
      created_at: iso(t),
      updated_at: iso(Math.max(t, updated)),
      error_info: status === 'failed' ? { ...pick(r, ERRORS) } : null,
      recording_url: status === 'completed' ? `${this.o.origin}/recordings/${id}.wav` : null,
      timeline,
      success_criteria_analysis: analysis,
    };
  }

  /** The evaluation of a finished call whose last turn lies `off` seconds into it. */
  private analysisFor(agent: AgentDef, c: CaseDef, off: number): NonNullable<SynthflowSimulation['success_criteria_analysis']> {
    const r = this.r;
    const evaluations = c.criteria.map((cr) => {
      const ok = r() < agent.passRate;
      return { success: ok, reasoning: ok ? `Met: ${cr}. Clearly done around ${Math.round(off * (0.3 + r() * 0.6))}s into the call.` : `Not met: ${cr}. The agent ${pick(r, FAIL_REASONS)}.` };
    });
    return { success: c.type === 'all' ? evaluations.every((e) => e.success) : evaluations.some((e) => e.success), evaluations };
  }

  /** Vendor drift: numeric-string timestamps, unknown status and sender_type, one unparseable created_at. */
  private applyDrift(): void {
    const r = rng(this.o.seed ^ 0x5eed);
    const sims = this.recs.map((x) => x.sim);
    const withTl = sims.filter((s) => (s.timeline?.length ?? 0) >= 2);
    withTl.forEach((s, i) => {
      if (i === 0 || r() < 0.12) for (const e of s.timeline ?? []) if (r() < 0.6) e.timestamp = String(e.timestamp);
    });
    withTl.forEach((s, i) => {
      const tl = s.timeline!;
      if (i !== 1 && r() >= 0.08) return;
      const at = 1 + Math.floor(r() * (tl.length - 1));
      const prev = tl[at - 1]!;
      tl.splice(at, 0, { sender_type: 'system_note', value: pick(r, ['Persona paused for 3 seconds', 'DTMF tone 1 detected', 'Call placed on hold']), type: 'message', timestamp_datetime: prev.timestamp_datetime, timestamp: prev.timestamp });
    });
    // Two of the newest simulations become "queued" (in-progress ones first), never the last of a state.
    const running = (i: number): number => Number(sims[i]!.status === 'in-progress');
    const order = [...this.recs.keys()].filter((i) => running(i) || i < 12).sort((a, b) => running(b) - running(a) || a - b);
    let n = 0;
    for (const i of order) {
      if (n === 2) break;
      if (!this.spare(i)) continue;
      const s = sims[i]!;
      n += 1;
      Object.assign(s, {
        status: 'queued' as unknown as Status, timeline: null, target_call_id: null, recording_url: null,
        error_info: null, success_criteria_analysis: null, updated_at: s.created_at,
      });
    }
    const g = sims[sims.length > 70 ? 60 : Math.floor(sims.length / 2)];
    if (g) g.created_at = 'not-a-date';
  }

  /**
   * Adds n simulations at the head. Calls alternate: the 1st, 3rd, … tie with the current newest
   * created_at and join the newest session; the 2nd, 4th, … start 1–5 s later in a new session.
   */
  addRuns(n: number): SimRecord[] {
    const r = this.r;
    const head = this.recs[0];
    const tie = this.addCalls++ % 2 === 0 && head !== undefined;
    let t: number;
    let sid: string;
    let agent: AgentDef;
    if (tie) {
      t = head.t;
      sid = head.sim.simulation_session_id;
      agent = this.sessionAgent.get(sid) ?? this.agents[0]!;
    } else {
      t = (head ? head.t : Math.floor(this.o.now / SEC) * SEC) + (1 + Math.floor(r() * 5)) * SEC;
      sid = uuidLike(r);
      agent = pick(r, this.agents);
      this.sessionSeq.set(sid, Math.max(0, ...this.sessionSeq.values()) + 1);
      this.sessionAgent.set(sid, agent);
    }
    const added: SimRecord[] = [];
    for (let i = 0; i < n; i++) {
      const c = agent.cases[i % agent.cases.length]!;
      added.push({ sim: this.build(uuidLike(r), agent, c, sid, t, 'in-progress', false), t, seq: this.nextSeq++ });
    }
    this.recs = [...added, ...this.recs].sort(byServedOrder);
    return added.sort(byServedOrder);
  }

  /**
   * Adds `n` completed, evaluated simulations in a new session whose created_at (shared by all n: one wave) is
   * `agoMs` before the newest simulation's, floored to the second and at least 1 s before it. They are long calls
   * (updated after the newest simulation started). Listed at their created_at; among equal created_at they come
   * first (inserted later). Returns them in served order.
   */
  addLate(n: number, agoMs: number): SimRecord[] {
    const r = this.r;
    const headT = this.recs[0]?.t ?? Math.floor(this.o.now / SEC) * SEC;
    const t = Math.min(Math.floor((headT - agoMs) / SEC) * SEC, headT - SEC);
    const sid = uuidLike(r);
    const agent = pick(r, this.agents);
    let top = 0;
    for (const q of this.sessionSeq.values()) top = Math.max(top, q);
    this.sessionSeq.set(sid, top + 1);
    this.sessionAgent.set(sid, agent);
    const first = Math.floor(r() * agent.cases.length);
    const added: SimRecord[] = [];
    for (let i = 0; i < n; i++) {
      const sim = this.build(uuidLike(r), agent, agent.cases[(first + i) % agent.cases.length]!, sid, t, 'completed', false);
      sim.updated_at = iso(Math.max(Date.parse(sim.updated_at), headT + (10 + Math.floor(r() * 60)) * SEC));
      added.push({ sim, t, seq: this.nextSeq++ });
    }
    this.recs = [...added, ...this.recs].sort(byServedOrder);
    return added.sort(byServedOrder);
  }

  /** Every simulation that is not final yet (in-progress, queued, or completed without its analysis), served order. */
  unfinished(): SimRecord[] {
    return this.recs.filter((x) => isUnfinished(x.sim));
  }

  /**
   * Moves one unfinished simulation to `completed` with its `success_criteria_analysis`. A running (or queued) one
   * gets the whole call (full timeline, recording, target call id, updated_at); one that was being evaluated keeps
   * its call and gets the analysis, updated 5–40 s later. Its session's counts follow (they are derived).
   * Returns false when it was final already.
   */
  finish(rec: SimRecord): boolean {
    const old = rec.sim;
    if (!isUnfinished(old)) return false;
    const r = this.r;
    const agent = this.agents.find((a) => a.id === old.target_agent_id) ?? this.sessionAgent.get(old.simulation_session_id) ?? this.agents[0]!;
    const c = agent.cases.find((x) => x.id === old.simulation_case_id) ?? agent.cases[0]!;
    if (old.status === 'completed') {
      const last = old.timeline?.[old.timeline.length - 1];
      const off = Number(last?.timestamp ?? 30) || 30;
      old.success_criteria_analysis = this.analysisFor(agent, c, off);
      const upd = Date.parse(old.updated_at);
      old.updated_at = iso((Number.isNaN(upd) ? rec.t : upd) + (5 + Math.floor(r() * 35)) * SEC);
      return true;
    }
    const sim = this.build(old.simulation_id, agent, c, old.simulation_session_id, rec.t, 'completed', false);
    sim.persona_phone_number = old.persona_phone_number;
    sim.target_call_id = old.target_call_id ?? sim.target_call_id;
    sim.created_at = old.created_at;
    rec.sim = sim;
    return true;
  }

  /** Sessions in served order (newest session created_at first = its earliest simulation's), with that time. */
  sessions(): Array<{ session: SynthflowSession; t: number; agentId: string }> {
    const map = new Map<string, { sims: SynthflowSimulation[]; t: number }>();
    for (const rec of this.recs) {
      const sid = rec.sim.simulation_session_id;
      const e = map.get(sid) ?? { sims: [], t: rec.t };
      e.sims.push(rec.sim);
      e.t = Math.min(e.t, rec.t);
      map.set(sid, e);
    }
    const out = [...map].map(([sid, e]) => {
      const completed = e.sims.filter((s) => s.status === 'completed').length;
      const failed = e.sims.filter((s) => s.status === 'failed').length;
      const session: SynthflowSession = {
        simulation_session_id: sid, simulations: e.sims, total_simulations: e.sims.length,
        completed_simulations: completed, failed_simulations: failed, pending_simulations: e.sims.length - completed - failed,
      };
      return { session, t: e.t, agentId: this.sessionAgent.get(sid)?.id ?? '', seq: this.sessionSeq.get(sid) ?? 0 };
    });
    return out.sort((a, b) => b.t - a.t || b.seq - a.seq);
  }
}

/** Not final yet: running, queued (drift) or completed while its analysis is still being written. */
export function isUnfinished(s: SynthflowSimulation): boolean {
  return s.status !== 'failed' && !(s.status === 'completed' && s.success_criteria_analysis);
}

/** The state simgate maps a simulation to (status, with completed split by whether it is still being evaluated). */
function stateOf(s: SynthflowSimulation): string {
  return s.status === 'completed' && !s.success_criteria_analysis ? 'evaluating' : s.status;
}

export function byServedOrder(a: SimRecord, b: SimRecord): number {
  return b.t - a.t || b.seq - a.seq;
}
