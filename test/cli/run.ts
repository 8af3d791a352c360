// Runs the `tidelog` CLI as a subprocess (node dist/bundle/tidelog.mjs ..., the package's bin), as a user would.
import { cliPath } from '../helpers/broker-process.js';
import { runProcess, type ProcessResult } from '../../bench/run-process.js';

export type CliResult = ProcessResult;

export function tidelog(args: readonly string[], options: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<CliResult> {
  return runProcess(process.execPath, [cliPath, ...args], options.input, options.timeoutMs ?? 60_000, 'tidelog');
}

/** One line on stderr, no stack trace. */
export function isOneLineError(r: CliResult): boolean {
  return r.stderr.trim().split('\n').length === 1 && r.stderr.startsWith('tidelog: ') && !/\n\s+at /.test(r.stderr);
}
