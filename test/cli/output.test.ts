/** The CLI's renderers: aligned tables, RFC 4180 CSV, pass rates with their denominator, durations for people. */
import { describe, expect, it } from 'vitest';
import { csv, duration, percentOf, table } from '../../src/cli/output.js';

describe('output', () => {
  it('pads columns to the widest cell, right-aligns numbers, shows null as -, cuts long cells but not ids', () => {
    const t = table(
      [{ header: 'name' }, { header: 'runs', align: 'right' }, { header: 'id', max: Infinity }],
      [
        ['a', 5, 'x'.repeat(60)],
        ['b'.repeat(60), null, 'y'],
      ],
      { separatorBefore: 1 },
    );
    const lines = t.trimEnd().split('\n');
    expect(lines[0]).toBe(`${'name'.padEnd(48)}  runs  id`);
    expect(lines[2]).toBe(`${'a'.padEnd(48)}     5  ${'x'.repeat(60)}`);
    expect(lines[3]).toMatch(/^-+ {2}-{4} {2}-+$/);
    expect(lines[4]).toBe(`${'b'.repeat(47)}…     -  y`);
  });

  it('writes CSV with CRLF records, quotes where RFC 4180 needs them, null as an empty field', () => {
    expect(csv([['a,b', 'say "hi"', null, 1.5]], { header: ['x', 'y', 'z', 'n'] })).toBe('x,y,z,n\r\n"a,b","say ""hi""",,1.5\r\n');
  });

  it('gives the pass rate with its denominator and durations in ms, s, m and h', () => {
    expect(percentOf(0.8421, 57)).toBe('84.2% of 57');
    expect(percentOf(null, 0)).toBe('- of 0');
    expect([duration(null), duration(850), duration(12_340), duration(245_000), duration(7_380_000)]).toEqual(['-', '850ms', '12.3s', '4m05s', '2h03m']);
  });
});
