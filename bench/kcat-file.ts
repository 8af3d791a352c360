// The file kcat's producer scenarios send (`kcat -P -l`): one record per line, random letters,
// written once per run so that both brokers get the same bytes.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** `records` lines of `size` random letters (the record values kcat sends). */
export async function writeKcatFile(file: string, records: number, size: number): Promise<void> {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const pool = Buffer.alloc(1 << 20);
  for (let i = 0; i < pool.length; i++) pool[i] = letters.charCodeAt(Math.floor(Math.random() * letters.length));
  const out = createWriteStream(file);
  const perChunk = 10_000;
  for (let done = 0; done < records; done += perChunk) {
    const n = Math.min(perChunk, records - done);
    const chunk = Buffer.alloc(n * (size + 1));
    for (let i = 0; i < n; i++) {
      const from = Math.floor(Math.random() * (pool.length - size));
      pool.copy(chunk, i * (size + 1), from, from + size);
      chunk[i * (size + 1) + size] = 0x0a;
    }
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
