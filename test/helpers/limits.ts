// Helpers for the tests of the broker's limits: a value from the admin API's Prometheus
// /metrics, a process's resident memory from /proc, and raw sockets that connect (from a
// chosen local address) and report when the broker closes them.
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import net from 'node:net';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { startBrokerProcess, type BrokerProcess } from './broker-process.js';

/** The value of one series in the Prometheus text of `${adminUrl}/metrics` (0 when absent). */
export async function scrapeMetric(adminUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const prefix = wanted === '' ? `${name} ` : `${name}{${wanted}} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? 0 : Number(line.slice(prefix.length));
}

/** VmRSS or VmHWM (the peak) of a process, in bytes, from /proc/<pid>/status. */
export function residentBytes(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

export interface RawClient {
  readonly socket: net.Socket;
  /** Resolves when the broker has closed the connection (end of stream, reset or close). */
  readonly closed: Promise<void>;
  /** Resolves when the first byte from the broker arrives (only when reading). */
  readonly answered: Promise<void>;
}

/**
 * A plain TCP connection. With `read` false it never reads what the broker sends (and so
 * never sees the broker close it either); with `read` true it reads and drops every byte.
 */
export function connectRaw(port: number, options: { localAddress?: string; read: boolean }): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }) });
    if (!options.read) socket.pause();
    const closed = new Promise<void>((done) => {
      socket.once('end', () => done());
      socket.once('close', () => done());
      // A reset after connect is the broker closing it too.
      socket.on('error', () => done());
    });
    const answered = new Promise<void>((done) => socket.once('data', () => done()));
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve({ socket, closed, answered });
    });
    socket.once('error', reject);
  });
}

/** The p-th percentile (0..100) of a list of numbers. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** A broker process with the given overrides and one single-partition topic created on it. */
export async function startBrokerWithTopic(overrides: Record<string, string | number | boolean>, topic: string): Promise<BrokerProcess> {
  const broker = await startBrokerProcess({ overrides });
  const c = await KafkaConnection.connect('127.0.0.1', broker.port);
  try {
    const created = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000 });
    assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
  } finally {
    c.close();
  }
  return broker;
}
