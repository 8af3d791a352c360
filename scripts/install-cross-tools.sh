#!/usr/bin/env bash
# Installs what `npm run build:prebuilt` (scripts/build-prebuilt.mjs) needs to cross-compile
# the Rust addon for linux-arm64-gnu and darwin-arm64 on a Linux x64 machine, the way napi-rs
# projects do: the targets' Rust standard libraries (rustup), zig as linker and C compiler
# (the `ziglang` package from PyPI, into a virtual environment under ~/.cache/tidelog, whose
# bin/ goes on PATH), and cargo-zigbuild (crates.io). Not needed for `npm test`: a release step.
# Idempotent: does nothing when everything is already there.
set -euo pipefail

rustup target add aarch64-unknown-linux-gnu aarch64-apple-darwin

venv="${HOME}/.cache/tidelog/zig-venv"
if [[ ! -x "${venv}/bin/python-zig" ]]; then
  python3 -m venv "${venv}"
  "${venv}/bin/pip" install --quiet 'ziglang==0.17.1'
  # cargo-zigbuild looks for `zig` on PATH, then for `python3 -m ziglang`; give it both.
  printf '#!/bin/sh\nexec "%s/bin/python3" -m ziglang "$@"\n' "${venv}" > "${venv}/bin/python-zig"
  chmod +x "${venv}/bin/python-zig"
  ln -sf python-zig "${venv}/bin/zig"
fi

command -v cargo-zigbuild >/dev/null 2>&1 || cargo install --locked cargo-zigbuild@0.24.1

echo "install-cross-tools: ready; run: PATH=\"${venv}/bin:\$PATH\" npm run build:prebuilt"
