// Storage benchmark: append and read-to-socket throughput of the native log, each beside its
// ceiling on the same machine and disk.
//
//   npm run bench:storage            # full run (a few minutes)
//   npm run bench:storage -- --quick # smaller volumes, for a smoke test
//   npm run bench:storage -- --validation  # only the record validation A/B below (~1 minute)
//
// Append: sequential appends of pre-encoded v2 batches through the addon (async: libuv
// thread pool; sync: JS thread), beside a plain fs.writeSync of the same bytes in the same
// sizes to the same directory (the ceiling). Read: 1 MiB fetches as file slices sent with
// sendfile (BindingFileSlice.sendTo) to a TCP socket whose reader (another process) discards,
// beside socket.write of an in-memory Buffer (no disk at all) and the pread fallback
// (toBuffer + socket.write).
// Validation A/B (--validation): CPU seconds (user, system) per GiB of leader appends with the
// record walk (crates/storage log_validator) on and off, same batches, rounds interleaved, for
// 100 B and 1 KiB records, uncompressed and with each codec; appendSync, so the process's
// CPU is the append's.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { fork, execSync } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import type * as Binding from '../native/binding.js';
import { encodeRecordBatch } from '../src/client/record-batch.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

const KiB = 1024;
const MiB = 1024 * KiB;

// ---- batches: the client's own v2 encoder (CRC-32C through the addon)

/** A batch of about `sizeBytes`, made of records with ~1000-byte values. */
function encodeBatch(sizeBytes: number): Buffer {
  const valueBytes = Math.min(1000, sizeBytes - 80);
  const recordCount = Math.max(1, Math.floor((sizeBytes - 61) / (valueBytes + 10)));
  return encodeRecordBatch(Array.from({ length: recordCount }, (_, i) => ({ key: null, value: Buffer.alloc(valueBytes, (i * 31) & 0xff) })));
}

// ---- helpers

const config: Binding.BindingLogConfig = {
  segmentBytes: 1024 * MiB, // Kafka's defaults
  segmentMs: 7 * 24 * 3600 * 1000,
  indexIntervalBytes: 4096,
  maxIndexSizeBytes: 10 * MiB,
  maxMessageBytes: 2 * MiB,
  logAppendTime: false,
  flushIntervalMessages: Number.MAX_SAFE_INTEGER,
};

function mbPerSec(bytes: number, ms: number): number {
  return bytes / MiB / (ms / 1000);
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function sizeName(bytes: number): string {
  return bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / KiB} KiB`;
}

function sh(cmd: string): string {
  try {
    return execSync(cmd, { encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
}

interface Row {
  what: string;
  size: string;
  mbps: number;
  perSec: number;
  ceiling?: number;
}

/** Records like ProducerPerformance's payload: `recordBytes` random uppercase letters. */
function producerRecords(recordBytes: number, count: number, seed: number): { key: null; value: Buffer }[] {
  let x = seed;
  return Array.from({ length: count }, () => {
    const value = Buffer.alloc(recordBytes);
    for (let i = 0; i < recordBytes; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      value[i] = 65 + ((x >>> 0) % 26);
    }
    return { key: null, value };
  });
}

async function validationAB(native: typeof Binding, base: string): Promise<void> {
  const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
  const rounds = 3;
  const volumeBytes = 48 * MiB; // of uncompressed records per run
  const batchRecordsBytes = 16 * KiB; // ProducerPerformance's default batch.size
  console.log('| records | codec | stored bytes / record bytes | user s/GiB on | user s/GiB off | system s/GiB on | system s/GiB off | walk: user s per GiB of records |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const recordBytes of [100, 1024]) {
    for (const [codecId, codecName] of codecs.entries()) {
      const perBatch = Math.max(1, Math.floor(batchRecordsBytes / recordBytes));
      // 64 distinct batches, cycled, so compressors and caches see varied input.
      const batches = Array.from({ length: 64 }, (_, i) => encodeRecordBatch(producerRecords(recordBytes, perBatch, 0x9e3779b9 ^ (i + 1)), { compression: codecId }));
      const recordBytesPerBatch = perBatch * recordBytes;
      const count = Math.ceil(volumeBytes / recordBytesPerBatch);
      const storedBytes = batches.reduce((n, b) => n + b.length, 0) / batches.length;
      const cpu = { on: [] as { user: number; system: number }[], off: [] as { user: number; system: number }[] };
      for (let round = 0; round < rounds; round++) {
        for (const mode of round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
          const dir = path.join(base, `validation-${recordBytes}-${codecName}-${mode}`);
          const log = native.BindingLog.open(dir, { ...config, validateRecords: mode === 'on' }, 0);
          const now = Date.now();
          const before = process.cpuUsage();
          for (let i = 0; i < count; i++) log.appendSync(batches[i % batches.length]!, 0, now);
          const used = process.cpuUsage(before);
          log.close();
          fs.rmSync(dir, { recursive: true });
          const gib = (count * recordBytesPerBatch) / (1024 * MiB);
          cpu[mode].push({ user: used.user / 1e6 / gib, system: used.system / 1e6 / gib });
        }
      }
      const med = (xs: { user: number; system: number }[], k: 'user' | 'system') => median(xs.map((x) => x[k]));
      const walk = med(cpu.on, 'user') - med(cpu.off, 'user');
      console.log(
        `| ${recordBytes} B | ${codecName} | ${fmt(storedBytes / (recordBytesPerBatch + 61), 2)} | ${fmt(med(cpu.on, 'user'), 3)} | ${fmt(med(cpu.off, 'user'), 3)} | ${fmt(med(cpu.on, 'system'), 3)} | ${fmt(med(cpu.off, 'system'), 3)} | ${fmt(walk, 3)} |`,
      );
    }
  }
  console.log(`\nPer GiB of uncompressed records (${rounds} rounds interleaved, medians; ${volumeBytes / MiB} MiB of records per run, batches of ${batchRecordsBytes / KiB} KiB of records, appendSync).`);
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const native = require(path.join(root, 'native', 'tidelog.node')) as typeof Binding;
  if (process.argv.includes('--validation')) {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tidelog-bench-validation-'));
    console.log(`# record validation A/B: nproc ${os.cpus().length}, node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    try {
      await validationAB(native, base);
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
    return;
  }
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tidelog-bench-storage-'));
  const rows: Row[] = [];
  const rounds = quick ? 1 : 3;
  console.log(`# storage benchmark${quick ? ' (--quick)' : ''}`);
  console.log(`dir: ${base}`);
  console.log(`nproc: ${os.cpus().length}, memory: ${fmt(os.totalmem() / 1024 ** 3, 1)} GiB, node ${process.version}`);
  console.log(`df: ${sh(`df -hT ${base} | tail -1`)}`);
  console.log();

  try {
    // ---- append
    // Each size runs `rounds` times, ceiling and appends interleaved, and the median of each is
    // reported: the machine is shared and page-cache writeback makes single runs noisy.
    const volumeBytes = quick ? 64 * MiB : 256 * MiB;
    const coalesce = 16;
    for (const size of [1 * KiB, 16 * KiB, 64 * KiB, 1 * MiB]) {
      const batch = encodeBatch(size);
      const count = Math.ceil(Math.max(16, Math.floor(volumeBytes / batch.length)) / coalesce) * coalesce;
      const bytes = count * batch.length;
      const many = Buffer.concat(Array.from({ length: coalesce }, () => batch));
      // Every size runs async (the broker's path) and sync (the engine without the thread
      // hop); small sizes also run async with 16 batches coalesced into one call (one hop,
      // one write), as a partition can do with queued produce requests.
      const modes: Array<'async' | 'sync' | 'coalesced'> = size <= 16 * KiB ? ['async', 'sync', 'coalesced'] : ['async', 'sync'];
      const samples = new Map<string, number[]>();
      const sample = (what: string, ms: number) => samples.set(what, [...(samples.get(what) ?? []), ms]);
      for (let round = 0; round < rounds; round++) {
        // Ceiling: plain sequential writes of the same bytes to the same directory.
        const plainPath = path.join(base, `plain-${size}.bin`);
        const fd = fs.openSync(plainPath, 'w');
        let t0 = performance.now();
        for (let i = 0; i < count; i++) fs.writeSync(fd, batch);
        sample('ceiling', performance.now() - t0);
        fs.closeSync(fd);
        fs.rmSync(plainPath);
        for (const mode of modes) {
          const dir = path.join(base, `log-${size}-${mode}`);
          const log = native.BindingLog.open(dir, config, 0);
          const now = Date.now();
          t0 = performance.now();
          if (mode === 'async') {
            for (let i = 0; i < count; i++) await log.append(batch, 0, now);
          } else if (mode === 'sync') {
            for (let i = 0; i < count; i++) log.appendSync(batch, 0, now);
          } else {
            for (let i = 0; i < count; i += coalesce) await log.append(many, 0, now);
          }
          sample(mode, performance.now() - t0);
          if (log.state().logEndOffset !== count * batch.readInt32BE(57)) throw new Error('offsets do not add up');
          log.close();
          fs.rmSync(dir, { recursive: true });
        }
      }
      const ceilingMs = median(samples.get('ceiling')!);
      const ceiling = mbPerSec(bytes, ceilingMs);
      rows.push({ what: 'fs.writeSync (ceiling)', size: sizeName(size), mbps: ceiling, perSec: count / (ceilingMs / 1000) });
      for (const mode of modes) {
        const ms = median(samples.get(mode)!);
        const what = mode === 'coalesced' ? `append async, ${coalesce} batches per call` : `append ${mode}`;
        rows.push({ what, size: sizeName(size), mbps: mbPerSec(bytes, ms), perSec: count / (ms / 1000), ceiling });
      }
    }

    // ---- read to a socket
    const readVolume = quick ? 128 * MiB : 512 * MiB;
    const fetchBytes = 1 * MiB;
    const dir = path.join(base, 'log-read');
    const log = native.BindingLog.open(dir, config, 0);
    const batch = encodeBatch(16 * KiB);
    const batchCount = Math.floor(readVolume / batch.length);
    for (let i = 0; i < batchCount; i++) log.appendSync(batch, 0, Date.now());
    const leo = log.state().logEndOffset;
    await log.flush();

    const sink = fork(fileURLToPath(import.meta.url), ['--sink'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const port = await new Promise<number>((resolve) => sink.once('message', (m: { port: number }) => resolve(m.port)));
    const socket = await new Promise<net.Socket>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(s));
    });
    socket.setNoDelay(true);
    const fd = (socket as unknown as { _handle: { fd: number } })._handle.fd;
    const write = (buf: Buffer) =>
      new Promise<void>((resolve, reject) => {
        if (socket.write(buf, (err) => err && reject(err))) resolve();
        else socket.once('drain', resolve);
      });

    // One pass reads the whole log in 1 MiB fetches. Rounds interleave the three ways;
    // medians are reported.
    const pass = async (send: (s: Binding.BindingFileSlice) => Promise<void>) => {
      let bytes = 0;
      let fetches = 0;
      const t0 = performance.now();
      let offset = 0;
      while (offset < leo) {
        const slice = log.read(offset, fetchBytes, leo, true);
        if (!slice) break;
        await send(slice);
        bytes += slice.size;
        fetches++;
        offset = slice.lastOffset + 1;
      }
      return { bytes, fetches, ms: performance.now() - t0 };
    };
    const viaSendfile = async (s: Binding.BindingFileSlice) => {
      await s.sendTo(fd);
    };
    const viaPread = async (s: Binding.BindingFileSlice) => {
      await write(await s.toBuffer());
    };
    // In-memory ceiling: the same bytes from one Buffer, no disk and no index.
    const mem = Buffer.alloc(fetchBytes - (fetchBytes % batch.length), 7);
    const memWrites = Math.floor((batchCount * batch.length) / mem.length);
    const memPass = async () => {
      const t0 = performance.now();
      for (let i = 0; i < memWrites; i++) await write(mem);
      await new Promise<void>((resolve) => (socket.writableLength === 0 ? resolve() : socket.once('drain', resolve)));
      return { bytes: memWrites * mem.length, fetches: memWrites, ms: performance.now() - t0 };
    };
    await pass(viaSendfile); // warm-up: page cache and socket buffers
    const results = { mem: [] as number[], sendfile: [] as number[], pread: [] as number[] };
    let fetchesPerPass = 0;
    let bytesPerPass = 0;
    for (let round = 0; round < rounds; round++) {
      results.mem.push((await memPass()).ms);
      const sf = await pass(viaSendfile);
      results.sendfile.push(sf.ms);
      results.pread.push((await pass(viaPread)).ms);
      fetchesPerPass = sf.fetches;
      bytesPerPass = sf.bytes;
    }
    const memMs = median(results.mem);
    const memMbps = mbPerSec(memWrites * mem.length, memMs);
    rows.push({ what: 'socket.write of a Buffer in memory (ceiling)', size: `${fmt(mem.length / KiB)} KiB writes`, mbps: memMbps, perSec: memWrites / (memMs / 1000) });
    for (const [what, ms] of [
      ['read + sendTo (sendfile)', median(results.sendfile)],
      ['read + toBuffer (pread) + socket.write', median(results.pread)],
    ] as const) {
      rows.push({ what, size: `${sizeName(fetchBytes)} fetches of 16 KiB batches`, mbps: mbPerSec(bytesPerPass, ms), perSec: fetchesPerPass / (ms / 1000), ceiling: memMbps });
    }
    socket.destroy();
    sink.disconnect();
    log.close();
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }

  console.log('| what | size | MB/s | ops/s | % of ceiling |');
  console.log('| --- | --- | ---: | ---: | ---: |');
  for (const r of rows) {
    const pct = r.ceiling ? `${fmt((100 * r.mbps) / r.ceiling)} %` : '';
    console.log(`| ${r.what} | ${r.size} | ${fmt(r.mbps)} | ${fmt(r.perSec)} | ${pct} |`);
  }
  console.log('\nMB/s = MiB per second; ops/s = batches appended, writes, or fetches per second.');
}

// ---- the sink: a child process that accepts one connection and discards what it reads.
if (process.argv.includes('--sink')) {
  const server = net.createServer((conn) => {
    conn.on('data', () => {});
  });
  server.listen(0, '127.0.0.1', () => {
    process.send?.({ port: (server.address() as net.AddressInfo).port });
  });
  process.on('disconnect', () => process.exit(0));
} else {
  await main();
}
