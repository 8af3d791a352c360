// Producer state snapshots (Kafka's <offset>.snapshot files; Tidelog's is JSON, one file per
// partition directory, producer-state.json): the idempotent producers' state as it was when
// the log ended at `offset`, so that opening the partition replays only the batches after it.
// Layout: {"version":2,"offset":N,"producers":[{"producerId","epoch","lastTimestamp",
// "coordinatorEpoch","currentTxnFirstOffset","batches":[{"firstSequence","lastSequence",
// "firstOffset"}]}]}; currentTxnFirstOffset is the first offset of the producer's open
// transaction (-1: none), so the last stable offset survives a restart. Version 1 (before
// transactions: no coordinatorEpoch nor currentTxnFirstOffset) is still read, as producers
// without a transaction. Written through a fsynced
// temporary file and a rename (../atomic-file.ts), so a crash leaves the old snapshot or the
// new one (the log opens and deletes a leftover `.tmp`). When they are written and read:
// ProducerStateStore.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
// zod's Zod 3 API, as the config: fewer modules to load at start-up (config/config-def.ts).
import { z } from 'zod/v3';
import { supersedeWrites, writeFileAtomically, writeFileAtomicallyInBackground } from '../atomic-file.js';
import type { ProducerSnapshotEntry } from './producer-state.js';

export const PRODUCER_STATE_SNAPSHOT_FILE = 'producer-state.json';

const int = z.number().int();
const offset = int.min(0);
/** The version written; 1 is still read. */
export const PRODUCER_STATE_SNAPSHOT_VERSION = 2;
const batchesSchema = z.array(z.object({ firstSequence: int, lastSequence: int, firstOffset: offset }));
const snapshotSchema = z.discriminatedUnion('version', [
  z.object({
    version: z.literal(1),
    offset,
    producers: z.array(z.object({ producerId: int, epoch: int, lastTimestamp: int, batches: batchesSchema })),
  }),
  z.object({
    version: z.literal(PRODUCER_STATE_SNAPSHOT_VERSION),
    offset,
    producers: z.array(
      z.object({
        producerId: int,
        epoch: int,
        lastTimestamp: int,
        coordinatorEpoch: int,
        currentTxnFirstOffset: int.min(-1),
        batches: batchesSchema,
      }),
    ),
  }),
]);

/** The producer state of a partition when its log ended at `offset`. */
export interface ProducerStateSnapshot {
  readonly offset: number;
  readonly producers: readonly ProducerSnapshotEntry[];
}

/** What `readProducerStateSnapshot` found: a snapshot, none, or a file it could not use (and deleted). */
export type ReadSnapshot = { readonly snapshot: ProducerStateSnapshot } | { readonly snapshot: null; readonly unusable?: string };

function snapshotText(snapshot: ProducerStateSnapshot): string {
  return JSON.stringify({ version: PRODUCER_STATE_SNAPSHOT_VERSION, offset: snapshot.offset, producers: snapshot.producers });
}

export function writeProducerStateSnapshot(dir: string, snapshot: ProducerStateSnapshot): void {
  writeFileAtomically(path.join(dir, PRODUCER_STATE_SNAPSHOT_FILE), snapshotText(snapshot));
}

/** As writeProducerStateSnapshot, with the fsync off the event loop: resolves whether it landed (false: a newer write or a delete came first). */
export function writeProducerStateSnapshotInBackground(dir: string, snapshot: ProducerStateSnapshot): Promise<boolean> {
  return writeFileAtomicallyInBackground(path.join(dir, PRODUCER_STATE_SNAPSHOT_FILE), snapshotText(snapshot));
}

/** Background snapshot writes in `dir` pending or running now will not land. */
export function supersedeProducerStateSnapshotWrites(dir: string): void {
  supersedeWrites(path.join(dir, PRODUCER_STATE_SNAPSHOT_FILE));
}

/** Deletes the snapshot; a background write of it still running will not land. */
export function deleteProducerStateSnapshot(dir: string): void {
  supersedeProducerStateSnapshotWrites(dir);
  rmSync(path.join(dir, PRODUCER_STATE_SNAPSHOT_FILE), { force: true });
}

/** Reads the snapshot in `dir`. A file that is not a snapshot is deleted and reported as `unusable`. */
export function readProducerStateSnapshot(dir: string): ReadSnapshot {
  const file = path.join(dir, PRODUCER_STATE_SNAPSHOT_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { snapshot: null };
    throw err;
  }
  const unusable = (why: string): ReadSnapshot => {
    rmSync(file, { force: true });
    return { snapshot: null, unusable: `${file}: ${why}` };
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return unusable(`not JSON (${(err as Error).message})`);
  }
  const parsed = snapshotSchema.safeParse(json);
  if (!parsed.success) return unusable(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return { snapshot: { offset: parsed.data.offset, producers: parsed.data.producers } };
}
