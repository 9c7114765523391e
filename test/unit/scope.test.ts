/** What a request scope reports back: upstream spans for Server-Timing and cache summaries. */
import { describe, expect, it } from 'vitest';
import { RequestScope } from '../../src/core/scope.js';

describe('request scope', () => {
  it('reports the wall-clock span of a provider\'s calls, not their sum', () => {
    const s = new RequestScope();
    s.add('pathsim', 100, 140);
    s.add('pathsim', 105, 150);
    s.add('pathsim', 110, 145);
    s.add('cekura', 100, 120);
    expect(Object.fromEntries(s.byProvider)).toEqual({ pathsim: 50, cekura: 20 });
  });

  it('summarises how a provider\'s answers came', () => {
    const s = new RequestScope();
    expect(s.cacheSummary('x')).toBeUndefined();
    s.noteCache('a', 'hit');
    s.noteCache('a', 'stale');
    s.noteCache('b', 'hit');
    s.noteCache('b', 'miss');
    s.noteCache('c', 'miss');
    s.noteCache('c', 'bypass');
    expect([s.cacheSummary('a'), s.cacheSummary('b'), s.cacheSummary('c')]).toEqual(['hit', 'partial', 'bypass']);
  });
});
