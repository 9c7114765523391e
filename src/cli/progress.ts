/** The progress line of a walk on stderr: rewritten in place with \r on a terminal, plain lines (at most one a second) otherwise. */
import type { Out } from './output.js';

export class Progress {
  private runs = 0;
  private pages = 0;
  private lastShown = 0;
  private readonly started: number;

  constructor(
    private readonly err: Out,
    private readonly enabled: boolean,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  private rate(t: number): string {
    const s = (t - this.started) / 1000;
    return s > 0 ? `${Math.round(this.runs / s)} runs/s` : '- runs/s';
  }

  /** After each page: on a terminal at most every 100 ms; otherwise the first page, then at most once a second. */
  async page(runs: number): Promise<void> {
    this.runs += runs;
    this.pages += 1;
    if (!this.enabled) return;
    const t = this.now();
    const tty = this.err.isTTY;
    if (this.pages > 1 && t - this.lastShown < (tty ? 100 : 1000)) return;
    this.lastShown = t;
    const line = `simgate runs: ${this.runs} runs so far, ${this.rate(t)}`;
    await this.err.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  }

  /** The last line: how many runs in how long; `note` says why it stopped early or what was partial. */
  async done(note = ''): Promise<void> {
    if (!this.enabled) return;
    const t = this.now();
    const line = `simgate runs: ${this.runs} runs in ${((t - this.started) / 1000).toFixed(1)} s, ${this.rate(t)}, ${this.pages} page${this.pages === 1 ? '' : 's'}${note ? `; ${note}` : ''}`;
    await this.err.write(this.err.isTTY ? `\r${line}\x1b[K\n` : `${line}\n`);
  }
}
