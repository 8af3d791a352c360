// Offset checkpoint files in Kafka's text format (OffsetCheckpointFile): a version line (0),
// a count line, then "topic partition offset" lines. Used for recovery-point-offset-checkpoint,
// replication-offset-checkpoint and log-start-offset-checkpoint in each log dir. Written to a
// temporary file, fsynced and renamed (../atomic-file.ts), so a crash leaves either the old or
// the new file; OffsetCheckpointWriter skips rewriting a file with what it already holds.
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomically, writeFileAtomicallyInBackground } from '../atomic-file.js';

export type TopicPartitionKey = string; // `${topic}-${partition}`, as the partition dir name

export function tpKey(topic: string, partition: number): TopicPartitionKey {
  return `${topic}-${partition}`;
}

/** Reads a checkpoint; a missing file is empty; a malformed one throws naming the file. */
export function readOffsetCheckpoint(file: string): Map<TopicPartitionKey, number> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
  const lines = text.split('\n').filter((l) => l.length > 0);
  const malformed = (why: string) => new Error(`malformed checkpoint file ${file}: ${why}`);
  if (lines[0] !== '0') throw malformed(`unsupported version ${lines[0]}`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || lines.length !== count + 2) throw malformed(`expected ${lines[1]} entries, found ${lines.length - 2}`);
  const out = new Map<TopicPartitionKey, number>();
  for (const line of lines.slice(2)) {
    const parts = line.split(' ');
    const offset = Number(parts[2]);
    if (parts.length !== 3 || !Number.isInteger(Number(parts[1])) || !Number.isInteger(offset)) throw malformed(`bad line "${line}"`);
    out.set(tpKey(parts[0]!, Number(parts[1])), offset);
  }
  return out;
}

type CheckpointEntries = Iterable<[topic: string, partition: number, offset: number]>;

function offsetCheckpointText(entries: CheckpointEntries): string {
  const lines: string[] = [];
  for (const [topic, partition, offset] of entries) lines.push(`${topic} ${partition} ${offset}`);
  return `0\n${lines.length}\n${lines.map((l) => `${l}\n`).join('')}`;
}

export function writeOffsetCheckpoint(file: string, entries: CheckpointEntries): void {
  writeFileAtomically(file, offsetCheckpointText(entries));
}

/**
 * Writes the checkpoint files of one owner (a LogManager's log dirs), skipping a write whose
 * text is what this writer last asked that file to hold, while the file is still there: an
 * idle broker's periodic checkpoints then neither write nor fsync (Kafka rewrites them every
 * interval). Only the owner may write these files, or a skipped write could leave another's.
 */
export class OffsetCheckpointWriter {
  /** Per file, the text of the last write asked for: the file holds it, or will once a background write lands. */
  private readonly lastAsked = new Map<string, string>();

  /** Writes now, on the calling thread. Returns whether the file was written (false: it already held exactly this). */
  write(file: string, entries: CheckpointEntries): boolean {
    const text = offsetCheckpointText(entries);
    if (this.unchanged(file, text)) return false;
    this.lastAsked.delete(file);
    writeFileAtomically(file, text);
    this.lastAsked.set(file, text);
    return true;
  }

  /**
   * Writes with the fsync off the event loop (writeFileAtomicallyInBackground); the entries
   * are read now. Resolves whether this text landed (false: unchanged, or a newer write came
   * first); rejects on an I/O error.
   */
  async writeInBackground(file: string, entries: CheckpointEntries): Promise<boolean> {
    const text = offsetCheckpointText(entries);
    if (this.unchanged(file, text)) return false;
    this.lastAsked.set(file, text);
    try {
      return await writeFileAtomicallyInBackground(file, text);
    } catch (err) {
      // What the file holds is unknown now: the next write goes through whatever it asks for.
      if (this.lastAsked.get(file) === text) this.lastAsked.delete(file);
      throw err;
    }
  }

  private unchanged(file: string, text: string): boolean {
    return this.lastAsked.get(file) === text && existsSync(file);
  }
}
