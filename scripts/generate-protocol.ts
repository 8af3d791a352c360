// Regenerates src/protocol/generated from Kafka's message definitions in protocol/.
//
//   npm run generate        (builds, then runs dist/scripts/generate-protocol.js)
//
// Writes every generated file, deletes generated files whose definition disappeared, and
// prints a summary. The generator itself lives in scripts/protocol/.

import { mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { GENERATED_DIR, generateProtocolFiles } from './protocol/generate.js';

function main(): void {
  // dist/scripts/generate-protocol.js -> repository root is two levels up.
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const files = generateProtocolFiles(repoRoot);
  const outDir = join(repoRoot, GENERATED_DIR);
  mkdirSync(outDir, { recursive: true });

  let written = 0;
  for (const [path, content] of files) {
    const absolute = join(repoRoot, path);
    let current: string | undefined;
    try {
      current = readFileSync(absolute, 'utf8');
    } catch {
      current = undefined;
    }
    if (current !== content) {
      writeFileSync(absolute, content);
      written++;
    }
  }
  let removed = 0;
  for (const name of readdirSync(outDir)) {
    if (name.endsWith('.ts') && !files.has(`${GENERATED_DIR}/${name}`)) {
      unlinkSync(join(outDir, name));
      removed++;
    }
  }
  process.stdout.write(`generate-protocol: ${files.size} files in ${GENERATED_DIR} (${written} written, ${removed} removed)\n`);
}

main();
