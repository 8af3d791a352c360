// Copies native/tidelog.node to native/tidelog.<platform>.node, the name a packed package ships
// (src/native-target.ts). Runs at the end of `npm run build:ts`, so `npm pack` (prepare: build
// the addon, then the TypeScript) always packs the binary of the build it just made.
import { copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { builtAddonPath, prebuiltAddonPath } = await import(path.join(root, 'dist', 'src', 'native-target.js'));
if (existsSync(builtAddonPath(root))) copyFileSync(builtAddonPath(root), prebuiltAddonPath(root));
