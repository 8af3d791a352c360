// The package's root directory: the nearest directory above this module holding a
// package.json. This module runs from dist/src/ (the compiled tree) and from a chunk of
// dist/bundle/ (the bundled CLI), so it finds the root by looking rather than by a fixed depth.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const packageRoot = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));
