// Polls a condition until it holds (cluster state arrives through watches, groups rebalance,
// logs roll). The deadline only turns a hang into a readable failure; it is far above what
// the condition needs, and tests never assert on elapsed time.
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** Give up after this long (default 120 s). */
  readonly timeoutMs?: number;
  /** Time between two checks (default 50 ms). */
  readonly intervalMs?: number;
}

export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, options: WaitOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() >= deadline) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}`);
    await sleep(options.intervalMs ?? 50);
  }
}
