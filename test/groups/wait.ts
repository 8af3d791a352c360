// Polls a condition until it holds. The deadline only turns a hang into a readable failure
// (it is far above anything the condition needs); tests never assert on elapsed time.
import { setTimeout as sleep } from 'node:timers/promises';

const DEADLINE_MS = 120_000;
const POLL_MS = 50;

export async function waitFor(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(POLL_MS);
  }
}
