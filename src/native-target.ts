// Owns where the Rust addon's binary lives for this machine: the napi-rs platform name
// (linux-x64-gnu, linux-arm64-gnu, darwin-arm64, ...) and the files tried in order. A packed
// package ships native/tidelog.<platform>.node for each platform built (build:ts copies the
// latest native/tidelog.node to this platform's name); a source checkout, or an install that
// built from source, has native/tidelog.node (tried first, native.ts). Used by the loader
// (native.ts) and by the pack and install scripts, so all three agree on the names.
import path from 'node:path';

/** The napi-rs name of this platform, e.g. 'linux-x64-gnu'. */
export function platformName(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`;
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

/** glibc reports its version in process.report; musl does not. */
function isMusl(): boolean {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return !header?.glibcVersionRuntime;
}

/** The prebuilt binary for a platform inside a package. */
export function prebuiltAddonPath(packageRoot: string, platform = platformName()): string {
  return path.join(packageRoot, 'native', `tidelog.${platform}.node`);
}

/** The binary built from source (npm run build:native, or the install fallback). */
export function builtAddonPath(packageRoot: string): string {
  return path.join(packageRoot, 'native', 'tidelog.node');
}
