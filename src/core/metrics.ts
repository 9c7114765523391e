/** Counters and gauges rendered as Prometheus text (GET /metrics). Runtime-neutral, no dependency. */
type Labels = Record<string, string>;

const HELP: Record<string, [string, 'counter' | 'gauge']> = {
  simgate_http_requests_total: ['Requests answered, by route and status', 'counter'],
  simgate_upstream_requests_total: ['Calls to the vendors, by provider and HTTP status (0 = no answer)', 'counter'],
  simgate_cache_requests_total: ['Cache look-ups by result (hit, stale, miss, bypass)', 'counter'],
  simgate_cache_store_errors_total: ['Cache store operations that failed (e.g. Redis down)', 'counter'],
  simgate_limiter_queued: ['Upstream calls waiting for the rate limiter, by provider', 'gauge'],
  simgate_breaker_state: ['Circuit breaker per provider: 0 closed, 1 half-open, 2 open', 'gauge'],
  simgate_gateway_rate_limited_total: ['Client requests refused by the per-key rate limit', 'counter'],
  simgate_index_runs: ['Runs the run index holds, by provider (as this instance counts them)', 'gauge'],
  simgate_index_sync_lag_seconds: ['Seconds since the stalest index head of a provider was synced with the vendor', 'gauge'],
};

const labelText = (l: Labels): string => {
  const parts = Object.entries(l)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};

export class Metrics {
  private readonly counters = new Map<string, Map<string, number>>();
  /** Label texts by their values in the caller's key order (a request's labels are formatted once, not per call). */
  private readonly texts = new Map<string, string>();
  /** Gauges read at scrape time. */
  private readonly gauges = new Map<string, () => Array<[Labels, number]>>();

  inc(name: string, labels: Labels = {}, by = 1): void {
    let m = this.counters.get(name);
    if (!m) this.counters.set(name, (m = new Map()));
    let raw = '';
    for (const k in labels) raw += `${k}\u0000${labels[k]}\u0001`;
    let k = this.texts.get(raw);
    if (k === undefined) {
      k = labelText(labels);
      if (this.texts.size < 10_000) this.texts.set(raw, k);
    }
    m.set(k, (m.get(k) ?? 0) + by);
  }

  value(name: string, labels: Labels = {}): number {
    return this.counters.get(name)?.get(labelText(labels)) ?? 0;
  }

  gauge(name: string, read: () => Array<[Labels, number]>): void {
    this.gauges.set(name, read);
  }

  render(): string {
    const out: string[] = [];
    const head = (name: string): void => {
      const [help, type] = HELP[name] ?? ['', 'gauge'];
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };
    for (const [name, m] of [...this.counters].sort(([a], [b]) => a.localeCompare(b))) {
      head(name);
      for (const [l, v] of m) out.push(`${name}${l} ${v}`);
    }
    for (const [name, read] of this.gauges) {
      head(name);
      for (const [l, v] of read()) out.push(`${name}${labelText(l)} ${v}`);
    }
    return out.join('\n') + '\n';
  }
}
