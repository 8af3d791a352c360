// Test helper: the repository root, found by walking up from this file (works from dist/).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'protocol', 'messages'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root (with protocol/messages) not found');
    dir = up;
  }
  return dir;
}
