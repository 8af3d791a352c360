// Sends one (mutated) request frame on a connection of its own and reports what the broker
// did: answered it (a probe ApiVersions v0 request sent right behind it was answered, so
// every response to the frame has arrived: responses come in request order), closed the
// connection, or neither within `waitMs` (a request parked on purpose: a long-poll fetch, a
// join waiting for a rebalance). A frame whose size prefix lies is sent without a probe and
// the client half-closes; the broker must then close too.
import net from 'node:net';

/** Correlation id of the probe; the fuzzer's frames use small ones. */
export const PROBE_CORRELATION_ID = 0x7ffffff0;

/** ApiVersions v0 (header v1, null client id, empty body) with the probe's correlation id. */
const PROBE = (() => {
  const b = Buffer.alloc(4 + 10);
  b.writeInt32BE(10, 0);
  b.writeInt16BE(18, 4);
  b.writeInt16BE(0, 6);
  b.writeInt32BE(PROBE_CORRELATION_ID, 8);
  b.writeInt16BE(-1, 12);
  return b;
})();

export type Outcome = 'answered' | 'closed' | 'parked';

export interface Exchange {
  readonly outcome: Outcome;
  /** Response frames (without size prefix) that came before the probe's, or before the close. */
  readonly responses: readonly Buffer[];
}

export function exchange(port: number, frame: Buffer, options: { probe: boolean; waitMs: number }): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    const responses: Buffer[] = [];
    let pending: Buffer = Buffer.alloc(0);
    let settled = false;
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ outcome, responses });
    };
    const timer = setTimeout(() => finish('parked'), options.waitMs);
    socket.on('connect', () => {
      socket.write(frame);
      if (options.probe) socket.write(PROBE);
      else socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const size = pending.readInt32BE(0);
        if (pending.length < 4 + size) return;
        const f = pending.subarray(4, 4 + size);
        pending = pending.subarray(4 + size);
        if (f.length >= 4 && f.readInt32BE(0) === PROBE_CORRELATION_ID) return finish('answered');
        responses.push(Buffer.from(f));
      }
    });
    socket.on('error', () => finish('closed'));
    socket.on('close', () => finish('closed'));
  });
}
