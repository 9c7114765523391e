/** The CLI's output: a stream writer that honours back-pressure and a closed pipe, aligned tables for people, CSV (RFC 4180) and JSON for scripts. */
import { toCsv } from '../reports/csv.js';
import type { Writable } from 'node:stream';

/** A stdout/stderr writer: waits for 'drain', and turns EPIPE (`| head`) into `closed` instead of a crash. */
export class Out {
  closed = false;
  constructor(readonly stream: Writable & { isTTY?: boolean }) {
    // a reader that went away (EPIPE) ends the output, not the process with a stack trace
    stream.on('error', () => {
      this.closed = true;
    });
  }

  get isTTY(): boolean {
    return this.stream.isTTY === true;
  }

  async write(text: string): Promise<void> {
    if (this.closed || text === '') return;
    if (this.stream.write(text)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        this.stream.off('error', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('close', done);
      this.stream.on('error', done);
    });
  }
}

export type Cell = string | number | null | undefined;
export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** Longer cells are cut with `…` (default 48); ids that must stay whole say Infinity. */
  max?: number;
}

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** null is `-` (no value); '' stays blank (a totals row's empty key cells). */
const show = (c: Cell, max = 48): string => (c === null || c === undefined ? '-' : clip(String(c), max));

/** Columns padded to their widest cell, numbers right-aligned; `separatorBefore` draws a rule above that row (a totals row). */
export function table(columns: Column[], rows: Cell[][], o: { separatorBefore?: number } = {}): string {
  const cells = rows.map((r) => columns.map((c, i) => show(r[i], c.max)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]): string =>
    r
      .map((v, i) => (columns[i]!.align === 'right' ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const body = cells.map((r, i) => (i === o.separatorBefore ? `${rule}\n${line(r)}` : line(r)));
  return [line(columns.map((c) => c.header)), rule, ...body].join('\n') + '\n';
}

/** RFC 4180 (CRLF records, quoted where needed) like the gateway's own CSV; null is an empty field. */
export function csv(rows: Cell[][], o: { header?: string[] } = {}): string {
  return toCsv(o.header ? [o.header, ...rows] : rows);
}

export const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

/** `84.2% of 57`: the pass rate with its denominator (passed + failed); `-` when there is none. */
export function percentOf(rate: number | null, denominator: number): string {
  return rate === null ? `- of ${denominator}` : `${(rate * 100).toFixed(1)}% of ${denominator}`;
}

/** 850ms, 12.3s, 4m05s, 2h03m. */
export function duration(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export const fixed = (v: number | null, digits = 2): string => (v === null ? '-' : v.toFixed(digits));
