// Producer state snapshots: what a partition leaves in its directory when it closes, so that
// the next start knows each idempotent producer's last batches without reading the log back
// (Kafka's <offset>.snapshot files; Tidelog's is JSON, in producer-state.json). A snapshot is
// written when the partition closes and taken (read and deleted) when it opens, so after a
// crash there is none and the partition reads its last segments instead.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomically } from '../log/checkpoint.js';
import type { ProducerSnapshotEntry } from './producer-state.js';

export const PRODUCER_STATE_SNAPSHOT_FILE = 'producer-state.json';

const offset = z.number().int().min(0);
const sequence = z.number().int().min(0);
const snapshotSchema = z.object({
  version: z.literal(1),
  offset,
  producers: z.array(
    z.object({
      producerId: z.number().int().min(0),
      epoch: z.number().int().min(0),
      batches: z.array(z.object({ firstSequence: sequence, lastSequence: sequence, firstOffset: offset })),
    }),
  ),
});

/** The producer state of a partition when its log ended at `offset`. */
export interface ProducerStateSnapshot {
  readonly offset: number;
  readonly producers: readonly ProducerSnapshotEntry[];
}

/** What `takeProducerStateSnapshot` found: a snapshot, none, or a file it could not use (and deleted). */
export type TakenSnapshot = { readonly snapshot: ProducerStateSnapshot } | { readonly snapshot: null; readonly unusable?: string };

export function writeProducerStateSnapshot(dir: string, snapshot: ProducerStateSnapshot): void {
  writeFileAtomically(path.join(dir, PRODUCER_STATE_SNAPSHOT_FILE), JSON.stringify({ version: 1, offset: snapshot.offset, producers: snapshot.producers }));
}

/** Reads the snapshot in `dir` and deletes it: each snapshot is used by one start only. */
export function takeProducerStateSnapshot(dir: string): TakenSnapshot {
  const file = path.join(dir, PRODUCER_STATE_SNAPSHOT_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { snapshot: null };
    throw err;
  }
  rmSync(file, { force: true });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { snapshot: null, unusable: `${file}: not JSON (${(err as Error).message})` };
  }
  const parsed = snapshotSchema.safeParse(json);
  if (!parsed.success) return { snapshot: null, unusable: `${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
  return { snapshot: parsed.data };
}
