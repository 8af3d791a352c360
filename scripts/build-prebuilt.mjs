// `npm run build:prebuilt`: the Rust addon for every platform the package ships prebuilt,
// cross-compiled on this Linux x64 machine the way napi-rs projects do (`napi build -x`:
// cargo-zigbuild with zig as the linker and C compiler), into native/tidelog.<platform>.node,
// the names the loader and `files` in package.json expect. Run it before `npm pack` for a
// release; `npm install` of that tarball then needs no Rust on any of these platforms.
// Each binary is checked after its build: the right file format and CPU, and the N-API entry
// point napi_register_module_v1 present. The tools come from scripts/install-cross-tools.sh.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Rust target → napi-rs platform name, and how to recognise a binary built for it. */
const TARGETS = [
  { triple: 'x86_64-unknown-linux-gnu', platform: 'linux-x64-gnu', format: 'elf', machine: 62 /* EM_X86_64 */ },
  { triple: 'aarch64-unknown-linux-gnu', platform: 'linux-arm64-gnu', format: 'elf', machine: 183 /* EM_AARCH64 */ },
  { triple: 'aarch64-apple-darwin', platform: 'darwin-arm64', format: 'macho', machine: 0x0100000c /* CPU_TYPE_ARM64 */ },
];

const wanted = process.argv.slice(2);
const targets = wanted.length === 0 ? TARGETS : TARGETS.filter((t) => wanted.includes(t.platform) || wanted.includes(t.triple));
if (targets.length === 0) {
  console.error(`build-prebuilt: no such target among ${TARGETS.map((t) => t.platform).join(', ')}`);
  process.exit(2);
}

const hostTriple = 'x86_64-unknown-linux-gnu';
let failed = false;
for (const t of targets) {
  const started = Date.now();
  // Built into a scratch directory (napi writes tidelog.node and typings there), then copied
  // under the platform's name: the checkout's own native/tidelog.node stays the host's build.
  const out = mkdtempSync(path.join(os.tmpdir(), `tidelog-prebuilt-${t.platform}-`));
  const args = ['napi', 'build', '--release', '--manifest-path', 'native/Cargo.toml', '--output-dir', out, '--package-json-path', 'package.json', '--target', t.triple];
  // The host builds with its own toolchain; the others cross-compile with zig.
  if (t.triple !== hostTriple || process.arch !== 'x64' || process.platform !== 'linux') args.push('--cross-compile');
  const built = spawnSync('npx', args, { cwd: root, stdio: 'inherit' });
  const file = path.join(root, 'native', `tidelog.${t.platform}.node`);
  if (built.status === 0) copyFileSync(path.join(out, 'tidelog.node'), file);
  rmSync(out, { recursive: true, force: true });
  if (built.status !== 0) {
    console.error(`build-prebuilt: ${t.platform}: the build failed (exit ${built.status}); see above`);
    failed = true;
    continue;
  }
  const problem = checkBinary(file, t);
  if (problem !== null) {
    console.error(`build-prebuilt: ${t.platform}: ${problem}`);
    failed = true;
    continue;
  }
  console.log(`build-prebuilt: ${path.relative(root, file)}: ${t.format === 'elf' ? 'ELF' : 'Mach-O'} shared library for ${t.platform}, ${(statSync(file).size / 2 ** 20).toFixed(1)} MiB, built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
process.exit(failed ? 1 : 0);

/** Why `file` is not a loadable N-API addon for `t`, or null when it is. */
function checkBinary(file, t) {
  let bytes;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    return `no binary at ${file} (${err.code})`;
  }
  if (t.format === 'elf') {
    if (bytes.readUInt32BE(0) !== 0x7f454c46) return 'not an ELF file';
    if (bytes[4] !== 2 || bytes[5] !== 1) return 'not a 64-bit little-endian ELF file';
    const type = bytes.readUInt16LE(16);
    if (type !== 3) return `ELF type ${type}, not a shared object (3)`;
    const machine = bytes.readUInt16LE(18);
    if (machine !== t.machine) return `ELF machine ${machine}, expected ${t.machine}`;
  } else {
    if (bytes.readUInt32LE(0) !== 0xfeedfacf) return 'not a 64-bit Mach-O file';
    const cpu = bytes.readUInt32LE(4);
    if (cpu !== t.machine) return `Mach-O CPU type 0x${cpu.toString(16)}, expected 0x${t.machine.toString(16)}`;
    const type = bytes.readUInt32LE(12);
    if (type !== 6 /* MH_DYLIB */ && type !== 8 /* MH_BUNDLE */) return `Mach-O file type ${type}, not a dynamic library`;
  }
  if (!bytes.includes(Buffer.from('napi_register_module_v1'))) return 'the N-API entry point napi_register_module_v1 is missing';
  return null;
}
