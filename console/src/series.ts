// Time series the console keeps in the browser (nothing is stored on the broker): the
// broker's per-topic throughput, sampled from /v1/throughput while a page that shows it is
// open, and each viewed group's total lag. Each series keeps the last SERIES_WINDOW_S seconds.
import { api, type Throughput } from './api';

export const SERIES_WINDOW_S = 10 * 60;
export const THROUGHPUT_INTERVAL_MS = 2000;

export class Series {
  readonly t: number[] = [];
  readonly values: number[][];
  constructor(readonly names: readonly string[]) {
    this.values = names.map(() => []);
  }
  push(tS: number, values: readonly number[]): void {
    this.t.push(tS);
    values.forEach((v, i) => this.values[i]!.push(v));
    while (this.t.length > 0 && this.t[0]! < tS - SERIES_WINDOW_S) {
      this.t.shift();
      for (const v of this.values) v.shift();
    }
  }
}

export interface Rates {
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
}

/** Throughput of the broker serving the console: totals as a series, per topic the last rates. */
class ThroughputSampler {
  readonly total = new Series(['bytes in/s', 'bytes out/s']);
  perTopic = new Map<string, Rates>();
  brokerId: number | null = null;
  private last: Throughput | null = null;
  private users = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly subscribers = new Set<() => void>();

  /** Starts sampling while at least one subscriber is there; returns the unsubscribe. */
  subscribe(fn: () => void): () => void {
    this.subscribers.add(fn);
    if (this.users++ === 0) {
      void this.sample();
      this.timer = setInterval(() => void this.sample(), THROUGHPUT_INTERVAL_MS);
    }
    return () => {
      this.subscribers.delete(fn);
      if (--this.users === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
        this.last = null; // a gap: the next rate starts from a fresh pair of reads
      }
    };
  }

  private async sample(): Promise<void> {
    let now: Throughput;
    try {
      now = await api<Throughput>('throughput');
    } catch {
      return;
    }
    const prev = this.last;
    this.last = now;
    this.brokerId = now.brokerId;
    if (!prev || now.timestampMs <= prev.timestampMs) return;
    const dt = (now.timestampMs - prev.timestampMs) / 1000;
    const before = new Map(prev.topics.map((t) => [t.topic, t]));
    const perTopic = new Map<string, Rates>();
    let bytesIn = 0;
    let bytesOut = 0;
    for (const t of now.topics) {
      const p = before.get(t.topic) ?? { bytesIn: t.bytesIn, bytesOut: t.bytesOut, messagesIn: t.messagesIn, messagesOut: t.messagesOut };
      const r = {
        bytesIn: Math.max(0, t.bytesIn - p.bytesIn) / dt,
        bytesOut: Math.max(0, t.bytesOut - p.bytesOut) / dt,
        messagesIn: Math.max(0, t.messagesIn - p.messagesIn) / dt,
        messagesOut: Math.max(0, t.messagesOut - p.messagesOut) / dt,
      };
      perTopic.set(t.topic, r);
      bytesIn += r.bytesIn;
      bytesOut += r.bytesOut;
    }
    this.perTopic = perTopic;
    this.total.push(now.timestampMs / 1000, [bytesIn, bytesOut]);
    for (const fn of this.subscribers) fn();
  }
}

export const throughput = new ThroughputSampler();

/** Total lag of each group viewed in this tab, kept while the tab lives. */
const lagSeries = new Map<string, Series>();
export function lagOf(groupId: string): Series {
  let s = lagSeries.get(groupId);
  if (!s) {
    s = new Series(['total lag']);
    lagSeries.set(groupId, s);
  }
  return s;
}
