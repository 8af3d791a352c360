// Builds the web console (console/, Preact + uPlot) into dist/console/ with esbuild: one
// minified JS bundle and one CSS file, content-hashed, each also written gzip- and
// brotli-compressed so that the admin server (src/admin/console.ts) serves them as they are,
// and index.html naming them. Run by `npm run build:ts` (so `npm install`, `npm test` and CI
// build it); takes well under a second. Prints the bundle's sizes.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'console');
const out = path.join(root, 'dist', 'console');

const result = await build({
  entryPoints: [path.join(src, 'src', 'main.tsx')],
  bundle: true,
  minify: true,
  write: false,
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: 'out',
  legalComments: 'none',
  metafile: false,
  logLevel: 'warning',
});

rmSync(out, { recursive: true, force: true });
mkdirSync(path.join(out, 'assets'), { recursive: true });

const hash = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 12);
const written = {};
function emit(name, bytes) {
  writeFileSync(path.join(out, 'assets', name), bytes);
  writeFileSync(path.join(out, 'assets', `${name}.gz`), gzipSync(bytes, { level: 9 }));
  writeFileSync(path.join(out, 'assets', `${name}.br`), brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  written[name] = { bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

let js = null;
let css = Buffer.from(readFileSync(path.join(src, 'src', 'console.css')));
for (const file of result.outputFiles) {
  if (file.path.endsWith('.js')) js = Buffer.from(file.contents);
  // uPlot's stylesheet, imported by the charts module
  else if (file.path.endsWith('.css')) css = Buffer.concat([Buffer.from(file.contents), Buffer.from('\n'), css]);
}
if (!js) throw new Error('esbuild produced no JavaScript');
const jsName = `console.${hash(js)}.js`;
const cssName = `console.${hash(css)}.css`;
emit(jsName, js);
emit(cssName, css);

const html = readFileSync(path.join(src, 'index.html'), 'utf8').replace('%SCRIPT%', `/console/assets/${jsName}`).replace('%STYLE%', `/console/assets/${cssName}`);
writeFileSync(path.join(out, 'index.html'), html);
writeFileSync(path.join(out, 'index.html.gz'), gzipSync(html, { level: 9 }));
writeFileSync(path.join(out, 'index.html.br'), brotliCompressSync(Buffer.from(html)));
const total = Object.values(written).reduce((s, w) => s + w.gzip, 0);
writeFileSync(path.join(out, 'manifest.json'), JSON.stringify({ script: jsName, style: cssName, sizes: written, gzipBytes: total }, null, 2));
console.log(`console: ${jsName} ${written[jsName].bytes} B (gzip ${written[jsName].gzip} B), ${cssName} ${written[cssName].bytes} B (gzip ${written[cssName].gzip} B)`);
