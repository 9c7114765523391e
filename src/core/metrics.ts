/** Counters, gauges and histograms rendered as Prometheus text (GET /metrics). Runtime-neutral, no dependency. */
type Labels = Record<string, string>;

const HELP: Record<string, [string, 'counter' | 'gauge' | 'histogram']> = {
  simgate_http_request_duration_seconds: ['Time to answer a request, by route (the gateway\'s own clock, from the first middleware to the answer)', 'histogram'],
  simgate_upstream_request_duration_seconds: ['Time of one call to a vendor (each attempt), by provider', 'histogram'],
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

/** Upper bounds of the latency buckets (seconds): from a cached answer to a request's deadline. */
export const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface Histogram {
  labels: Labels;
  counts: number[];
  sum: number;
  count: number;
}

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
  private readonly histograms = new Map<string, Map<string, Histogram>>();

  /** Counts one observation (seconds) in the histogram `name` for these labels. */
  observe(name: string, labels: Labels, seconds: number): void {
    let m = this.histograms.get(name);
    if (!m) this.histograms.set(name, (m = new Map()));
    const k = this.text(labels);
    let h = m.get(k);
    if (!h) m.set(k, (h = { labels, counts: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) if (seconds <= LATENCY_BUCKETS[i]!) h.counts[i]! += 1;
    h.sum += seconds;
    h.count += 1;
  }

  inc(name: string, labels: Labels = {}, by = 1): void {
    let m = this.counters.get(name);
    if (!m) this.counters.set(name, (m = new Map()));
    const k = this.text(labels);
    m.set(k, (m.get(k) ?? 0) + by);
  }

  /** The label text of `labels`, formatted once per distinct set of values. */
  private text(labels: Labels): string {
    let raw = '';
    for (const k in labels) raw += `${k}\u0000${labels[k]}\u0001`;
    let k = this.texts.get(raw);
    if (k === undefined) {
      k = labelText(labels);
      if (this.texts.size < 10_000) this.texts.set(raw, k);
    }
    return k;
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
    for (const [name, m] of [...this.histograms].sort(([a], [b]) => a.localeCompare(b))) {
      head(name);
      for (const h of m.values()) {
        // buckets are cumulative, as Prometheus counts them
        LATENCY_BUCKETS.forEach((le, i) => out.push(`${name}_bucket${labelText({ ...h.labels, le: String(le) })} ${h.counts[i]}`));
        out.push(`${name}_bucket${labelText({ ...h.labels, le: '+Inf' })} ${h.count}`);
        out.push(`${name}_sum${labelText(h.labels)} ${h.sum}`, `${name}_count${labelText(h.labels)} ${h.count}`);
      }
    }
    return out.join('\n') + '\n';
  }
}
