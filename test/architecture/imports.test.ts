// Dependency rules of src/, type imports included (ARCHITECTURE.md, "Target shape"): no
// import cycle between modules; handlers and admin routes see BrokerServices, never the
// Broker; protocol/ sits at the bottom; nothing below the front ends imports them.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../helpers/broker-process.js';
import { cycles, readImportGraph, type ImportGraph } from './import-graph.js';

const graph = readImportGraph(path.join(repoRoot, 'src'));

function importers(g: ImportGraph, target: string): string[] {
  return [...g].filter(([, targets]) => targets.has(target)).map(([file]) => file).sort();
}

function violations(g: ImportGraph, from: (file: string) => boolean, to: (target: string) => boolean): string[] {
  return [...g].flatMap(([file, targets]) => (from(file) ? [...targets].filter(to).map((t) => `${file} -> ${t}`) : [])).sort();
}

const inDir = (...dirs: string[]) => (file: string) => dirs.some((d) => file.startsWith(`${d}/`));

describe('the import graph of src/', () => {
  it('reads every module and its imports', () => {
    assert.ok(graph.size > 100, `${graph.size} modules`);
    assert.ok(graph.get('broker/broker.ts')?.has('services/broker-services.ts'), 'a known edge is seen');
  });

  it('has no cycle', () => {
    assert.deepEqual(cycles(graph), []);
  });

  it('has no cycle between directories either (a file at the top of src/ counts as its own)', () => {
    // ARCHITECTURE.md's layers: a directory may import those below it only. Cycles between
    // directories were how the Partition, its producer state and the follower tracker, spread
    // over log/, txn/ and replication/, tied those layers together; partition/ owns them now.
    const directoryOf = (file: string): string => (file.includes('/') ? file.slice(0, file.indexOf('/')) : file);
    const directories: ImportGraph = new Map();
    for (const [file, targets] of graph) {
      const from = directoryOf(file);
      const edges = directories.get(from) ?? new Set<string>();
      for (const t of targets) if (directoryOf(t) !== from) edges.add(directoryOf(t));
      directories.set(from, edges);
    }
    assert.ok(directories.get('txn')?.has('partition'), 'a known directory edge is seen');
    assert.deepEqual(cycles(directories), []);
  });

  it('finds a cycle when there is one (the checker itself)', () => {
    const g: ImportGraph = new Map([
      ['a.ts', new Set(['b.ts'])],
      ['b.ts', new Set(['c.ts'])],
      ['c.ts', new Set(['a.ts'])],
      ['d.ts', new Set(['a.ts'])],
    ]);
    assert.deepEqual(cycles(g), [['a.ts', 'b.ts', 'c.ts']]);
  });

  it('lets only the composition roots import the Broker', () => {
    // The broker command, the embeddable broker and the package's public API (which exports the type).
    assert.deepEqual(importers(graph, 'broker/broker.ts'), ['cli/broker-command.ts', 'embedded.ts', 'index.ts']);
  });

  it('keeps protocol/ and records/ at the bottom', () => {
    assert.deepEqual(violations(graph, inDir('protocol'), (t) => !t.startsWith('protocol/')), []);
    assert.deepEqual(violations(graph, inDir('records'), (t) => !t.startsWith('records/')), []);
  });

  it('keeps the front ends (cli, admin routes, handlers, server) out of the layers below them', () => {
    const below = inDir('protocol', 'config', 'native', 'partition', 'services', 'cluster', 'replication', 'groups', 'txn', 'client', 'server');
    assert.deepEqual(violations(graph, below, (t) => t.startsWith('cli/') || t.startsWith('admin/') || t.startsWith('broker/handlers/') || t === 'broker/request-router.ts'), []);
  });
});
