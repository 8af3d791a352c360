// Bundles the `tidelog` command (dist/src/cli/main.js, compiled by tsc) into dist/bundle/ with
// esbuild: the entry tidelog.mjs and one chunk per dynamically imported part (each API's
// handler and codecs, each CLI command, the admin API), so what loads lazily still loads
// lazily. Node's ESM loader costs about a third of a millisecond per module; the broker's
// start-up loads ~180 of them unbundled and ~20 bundled (issue #20: spawn to the first
// acknowledged produce). This is what `npm start`, the package's `tidelog` bin, the tests'
// broker processes and the benchmarks run; dist/src/ stays the library (`startBroker()`).
//
// Inlined: our own modules and the few pure-JavaScript packages loaded at start-up (zod,
// prom-client and its dependencies). Every other package stays an import resolved from
// node_modules at run time: pino (its transports run files of their own in worker threads),
// fastify and its plugins (they read files next to their own modules), node-zookeeper-client.
// Run by `npm run build:ts`, after tsc; takes well under a second.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'bundle');
const INLINED_PACKAGES = new Set(['zod', 'prom-client', 'tdigest', 'bintrees', '@opentelemetry/api']);

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Leaves every bare import that is not an inlined package (or a Node built-in) to Node at run time. */
const packagesAtRunTime = {
  name: 'packages-at-run-time',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (INLINED_PACKAGES.has(packageName(args.path)) ? undefined : { path: args.path, external: true }));
  },
};

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: [path.join(root, 'dist', 'src', 'cli', 'main.js')],
  outdir,
  entryNames: 'tidelog',
  chunkNames: '[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['*.node'],
  plugins: [packagesAtRunTime],
  // CommonJS packages inlined into ES modules call require() for Node's built-ins.
  banner: { js: "import { createRequire as __tidelogCreateRequire } from 'node:module'; const require = __tidelogCreateRequire(import.meta.url);" },
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});
const outputs = Object.values(result.metafile.outputs);
const bytes = outputs.reduce((n, o) => n + o.bytes, 0);
console.log(`bundle: dist/bundle/tidelog.mjs and ${outputs.length - 1} chunks, ${(bytes / 1024 / 1024).toFixed(1)} MiB`);
