// Produces every file of src/protocol/generated in memory, keyed by path relative to the
// repository root. The CLI (scripts/generate-protocol.ts) writes them; the staleness test
// (test/protocol/generated/staleness.test.ts) compares them with the committed files.

import { generateMessageFile, messageFileBase } from './codegen.js';
import { generateIndexFile } from './index-gen.js';
import { loadAllMessages } from './schema.js';

export const GENERATED_DIR = 'src/protocol/generated';

export function generateProtocolFiles(repoRoot: string): Map<string, string> {
  const messages = loadAllMessages(repoRoot);
  const files = new Map<string, string>();
  for (const message of messages) {
    const path = `${GENERATED_DIR}/${messageFileBase(message)}.ts`;
    if (files.has(path)) throw new Error(`two messages map to ${path}`);
    files.set(path, generateMessageFile(message));
  }
  files.set(`${GENERATED_DIR}/index.ts`, generateIndexFile(messages));
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
