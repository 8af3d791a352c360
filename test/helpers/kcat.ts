// Runs kcat (librdkafka's command-line client, Debian's package) as a real third-party client.
import { runProcess, type ProcessResult } from '../../bench/run-process.js';

export type KcatResult = ProcessResult;

export function kcat(args: readonly string[], input?: string | Buffer, timeoutMs = 60_000): Promise<KcatResult> {
  return runProcess('kcat', args, input, timeoutMs);
}
