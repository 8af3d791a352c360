// The published types of `import { startBroker } from 'tidelog'` compile in a consumer's
// strict project that checks every declaration file (skipLibCheck: false): the .d.ts files in
// dist/ must not point at files that are not there (dist/native/binding.d.ts is copied by build:ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../helpers/broker-process.js';

describe('published types', { timeout: 120_000 }, () => {
  it('compile with skipLibCheck: false in a strict ESM consumer', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-types-'));
    try {
      writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
      const entry = path.join(repoRoot, 'dist', 'src', 'index.js');
      writeFileSync(
        path.join(dir, 'use.ts'),
        [
          `import { startBroker, type EmbeddedBroker } from ${JSON.stringify(entry)};`,
          'await using broker: EmbeddedBroker = await startBroker({ config: { "num.partitions": 3 } });',
          'const url: string | null = broker.adminUrl;',
          'console.log(broker.bootstrap, url);',
          '',
        ].join('\n'),
      );
      const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
      const r = spawnSync(
        process.execPath,
        [tsc, '--noEmit', '--skipLibCheck', 'false', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'es2022,esnext.disposable', '--types', 'node', '--typeRoots', path.join(repoRoot, 'node_modules', '@types'), path.join(dir, 'use.ts')],
        { encoding: 'utf8' },
      );
      assert.equal(r.status, 0, r.stdout + r.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
