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
    assert.ok(graph.get('broker/broker.ts')?.has('broker/services.ts'), 'a known edge is seen');
  });

  it('has no cycle', () => {
    assert.deepEqual(cycles(graph), []);
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
    const below = inDir('protocol', 'config', 'native', 'log', 'cluster', 'replication', 'groups', 'txn', 'client', 'server');
    assert.deepEqual(violations(graph, below, (t) => t.startsWith('cli/') || t.startsWith('admin/') || t.startsWith('broker/handlers/') || t === 'broker/request-router.ts'), []);
  });
});
