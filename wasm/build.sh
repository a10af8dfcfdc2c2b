#!/usr/bin/env bash
# Builds the WASM kernels from their text sources with wabt's wat2wasm.
#
#   wasm/build.sh [OUT_DIR]     default OUT_DIR: wasm/build (committed)
#
# Outputs, for each kernel: the .wasm files and OUT_DIR/SHA256SUMS.
#   crc32c.wasm         imports a private (non-shared) memory: the copy-in path
#   crc32c-shared.wasm  imports a shared memory (SharedArrayBuffer): ring path
# Both come from wasm/crc32c.wat; the private build rewrites the one line
# marked MEMORY-IMPORT. wat2wasm output is deterministic (no timestamps, no
# paths, no debug names), so wasm/check.sh can rebuild and compare bytes.
#
# Toolchain: wabt (Debian package `wabt`; the committed files were built with
# wat2wasm 1.0.32 from Debian bookworm). Installed here if missing, so
# neither `npm install` nor a developer needs it; only rebuilding does.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/build}"
mkdir -p "$out"

if ! command -v wat2wasm >/dev/null 2>&1; then
  echo "build.sh: wat2wasm not found, installing Debian package wabt" >&2
  if ! apt-get install -y wabt >&2; then
    apt-get update >&2 && apt-get install -y wabt >&2
  fi
fi
echo "build.sh: $(command -v wat2wasm) $(wat2wasm --version)" >&2

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# --- crc32c ---------------------------------------------------------------
src="$here/crc32c.wat"
marker='(import "env" "memory" (memory 1 65536 shared)) ;; MEMORY-IMPORT'
if [ "$(grep -cF "$marker" "$src")" != 1 ]; then
  echo "build.sh: $src must contain exactly one line with: $marker" >&2
  exit 1
fi
cp "$src" "$tmp/crc32c-shared.wat"
sed 's/(memory 1 65536 shared)) ;; MEMORY-IMPORT/(memory 1)) ;; MEMORY-IMPORT (private build)/' "$src" > "$tmp/crc32c.wat"
wat2wasm --enable-threads "$tmp/crc32c-shared.wat" -o "$out/crc32c-shared.wasm"
wat2wasm "$tmp/crc32c.wat" -o "$out/crc32c.wasm"

# --- checksums --------------------------------------------------------------
(cd "$out" && sha256sum crc32c.wasm crc32c-shared.wasm > SHA256SUMS)
echo "build.sh: wrote $(cd "$out" && ls *.wasm | tr '\n' ' ')and SHA256SUMS to $out" >&2
