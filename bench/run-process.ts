// Runs a command to completion with optional stdin, collecting its output and wall time;
// kills it and rejects after timeoutMs. Shared by the benchmarks (Kafka's tools) and the
// tests' kcat and tidelog CLI helpers. With sampleCpu, also what the process's threads used
// (the benchmarks' load generators: was the client itself the limit?).
import { spawn, type ChildProcess } from 'node:child_process';
import { ThreadCpuSampler, type GeneratorLoad } from './proc-stats.js';

export interface ProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly wallMs: number;
  /** With sampleCpu: its threads' CPU over the run (null when it ran under a second). */
  readonly load?: GeneratorLoad | null;
}

export interface RunOptions {
  /** Sample the CPU time of the process's threads while it runs. */
  readonly sampleCpu?: boolean;
  /** Called with each chunk of standard output as it arrives. */
  readonly onStdout?: (chunk: Buffer) => void;
}

// Children still running when this process exits (a harness interrupted half-way) are killed.
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export function runProcess(command: string, args: readonly string[], input: string | Buffer | undefined, timeoutMs: number, label = command, options: RunOptions = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const startedMs = performance.now();
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(child);
    const sampler = options.sampleCpu && child.pid !== undefined ? new ThreadCpuSampler(child.pid) : null;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const onStdout = options.onStdout;
    child.stdout.on('data', (d: Buffer) => (onStdout ? onStdout(d) : out.push(d)));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      sampler?.stop();
      child.kill('SIGKILL');
      reject(new Error(`${label} ${args.join(' ')} timed out after ${timeoutMs} ms; stderr: ${Buffer.concat(err).toString()}`));
    }, timeoutMs);
    child.on('error', (e) => {
      live.delete(child);
      clearTimeout(timer);
      sampler?.stop();
      reject(e);
    });
    // Sampled at exit, before 'close' (which waits for the pipes), so the last sample is near the end.
    let load: GeneratorLoad | null | undefined;
    child.on('exit', () => {
      if (sampler) load = sampler.stop();
    });
    child.on('close', (code) => {
      live.delete(child);
      clearTimeout(timer);
      if (sampler && load === undefined) load = sampler.stop();
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), wallMs: performance.now() - startedMs, ...(sampler ? { load } : {}) });
    });
    // A command that exits without reading its input must not fail the run.
    child.stdin.on('error', () => {});
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}
