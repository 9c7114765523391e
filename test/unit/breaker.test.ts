/** The circuit breaker: opens after consecutive failures, fails fast, probes once when half-open. */
import { describe, expect, it } from 'vitest';
import { Breaker } from '../../src/core/breaker.js';

describe('breaker', () => {
  it('opens after the threshold, half-opens after the cooldown, closes on a good probe', () => {
    let now = 0;
    const b = new Breaker(() => now, 3, 1000);
    for (let i = 0; i < 2; i++) b.failure();
    expect(b.state).toBe('closed');
    b.failure();
    expect(b.state).toBe('open');
    expect(b.allow()).toBe(false);
    expect(b.retryInMs()).toBe(1000);
    now = 1000;
    expect(b.state).toBe('half_open');
    expect(b.allow()).toBe(true);
    expect(b.allow()).toBe(false);
    b.success();
    expect(b.state).toBe('closed');
    expect(b.allow()).toBe(true);
  });

  it('a failed probe opens it again; a success in between resets the count', () => {
    let now = 0;
    const b = new Breaker(() => now, 2, 500);
    b.failure();
    b.success();
    b.failure();
    expect(b.state).toBe('closed');
    b.failure();
    expect(b.state).toBe('open');
    now = 600;
    expect(b.allow()).toBe(true);
    b.failure();
    expect(b.state).toBe('open');
    expect(b.allow()).toBe(false);
  });
});
