// `npm install tidelog` (the package, not this repository): makes sure the Rust addon is there
// for this machine. A platform with a prebuilt binary in the package needs nothing, and no
// Rust; any other builds it from the Rust sources shipped in the package with cargo, or says
// what to do when cargo is missing. In a source checkout it does nothing: `prepare` builds.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (existsSync(path.join(root, 'tsconfig.json'))) process.exit(0);

const { builtAddonPath, platformName, prebuiltAddonPath } = await import(path.join(root, 'dist', 'src', 'native-target.js'));
if (existsSync(prebuiltAddonPath(root)) || existsSync(builtAddonPath(root))) process.exit(0);

const platform = platformName();
if (spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.error(`tidelog: no prebuilt native addon for ${platform} in this package, and no Rust toolchain to build one: install Rust (cargo) and run \`npm rebuild tidelog\`.`);
  process.exit(1);
}
console.error(`tidelog: no prebuilt native addon for ${platform}; building it from source with cargo (a few minutes)...`);
const built = spawnSync('cargo', ['build', '--release', '--locked', '--manifest-path', path.join(root, 'native', 'Cargo.toml')], { cwd: root, stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);
const library = { darwin: 'libtidelog_native.dylib', win32: 'tidelog_native.dll' }[process.platform] ?? 'libtidelog_native.so';
copyFileSync(path.join(root, 'target', 'release', library), builtAddonPath(root));
