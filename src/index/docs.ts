/**
 * The two small documents a source's sync keeps beside its items (where the backfill stands, how
 * fresh the head is) and the rule they give readers: which held items may be handed out now
 * without a run the vendor lists being skipped.
 */
import * as z from 'zod';

const Token = z.union([z.string(), z.number(), z.null()]);

/** The backfill: newest first, at the vendor's largest page, down to the horizon. */
const BackfillDoc = z.object({
  v: z.literal(1),
  /** The first page has been read (the index holds the head as it was then). */
  started: z.boolean(),
  /** The vendor page to read next (null: the first). */
  next: Token,
  /** Why it stopped: the vendor's list ended, the horizon, or a full store; false while it goes on. */
  done: z.union([z.literal(false), z.literal('end'), z.literal('horizon'), z.literal('bounded')]),
  /**
   * The lowest watermark read so far (epoch ms): a held item with t above it has no unread item before it
   * in the merge's order (see ListSource.watermark); null before the first page.
   */
  reached: z.number().nullable(),
  /** The oldest started_at the backfill has indexed. */
  oldest: z.number().nullable(),
  pages: z.number().int(),
  /** Vendor items the backfill could not map (skipped and logged). */
  skipped: z.number().int().default(0),
  /** Runs per vendor item on the pages read so far (a Cekura result holds several): sizes a head sync's page. */
  perItem: z.number().positive().optional(),
});
export type BackfillDoc = z.infer<typeof BackfillDoc>;

/** The head: when it was last in sync, and a head sync under way. */
const HeadDoc = z.object({
  v: z.literal(1),
  /** When the last complete head sync began (epoch ms): the index held the vendor's head as it was then. */
  freshAsOf: z.number().nullable(),
  /**
   * A head sync under way: the page it reads next, the newest t held when it began (`top`, null when nothing
   * was held), the lowest watermark it has read (`low`) and whether it has met a final run it held.
   */
  open: z
    .object({
      next: Token,
      top: z.number().nullable(),
      low: z.number().nullable(),
      startedAt: z.number(),
      met: z.boolean(),
      /** Items asked for per page (fewer than the vendor's largest page when few are expected). */
      size: z.number().int().optional(),
    })
    .nullable(),
});
export type HeadDoc = z.infer<typeof HeadDoc>;

export const newBackfill = (): BackfillDoc => ({ v: 1, started: false, next: null, done: false, reached: null, oldest: null, pages: 0, skipped: 0 });
export const newHead = (): HeadDoc => ({ v: 1, freshAsOf: null, open: null });

/** A stored document, or a fresh one when it is absent or unreadable (a newer or broken write never fails a read). */
export function parseBackfill(text: string | null): BackfillDoc {
  return parse(BackfillDoc, text) ?? newBackfill();
}
export function parseHead(text: string | null): HeadDoc {
  return parse(HeadDoc, text) ?? newHead();
}

function parse<T>(schema: z.ZodType<T>, text: string | null): T | null {
  if (!text) return null;
  try {
    const r = schema.safeParse(JSON.parse(text));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/** What a reader sees of one source. */
export interface SourceView {
  bf: BackfillDoc;
  hd: HeadDoc;
  /**
   * The provider's floor: items at or below it are not the index's to serve (a source stopped at the horizon or
   * at a full store); the live path serves them. Null when the index serves everything it holds.
   */
  floor: number | null;
}

/**
 * What a reader does with the next held item (at `t`): hand it out, pass over it, wait for the backfill, or stop
 * at the floor. While a head sync is under way, what it has written above the head it began from stays out of
 * sight until it has read down to what was held: readers see the index as of `fresh_as_of`, never a gap.
 */
export function verdict(view: SourceView, t: number): 'emit' | 'skip' | 'wait' | 'floor' {
  if (view.floor !== null && t <= view.floor) return 'floor';
  const open = view.hd.open;
  if (open && (open.top === null || t > open.top)) return 'skip';
  const bf = view.bf;
  if (!bf.started) return 'wait';
  if (bf.done === 'end') return 'emit';
  if (bf.reached !== null && t > bf.reached) return 'emit';
  return bf.done ? 'floor' : 'wait';
}

/** With no held item left: is the source done, must the reader wait for the backfill, or does the live path take over? */
export function endVerdict(view: SourceView): 'done' | 'wait' | 'floor' {
  const bf = view.bf;
  if (!bf.started) return 'wait';
  if (bf.done === 'end') return 'done';
  return bf.done ? 'floor' : 'wait';
}
