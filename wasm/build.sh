#!/usr/bin/env bash
# Builds the WASM kernels from their text sources with wabt's wat2wasm.
#
#   wasm/build.sh [OUT_DIR]     default OUT_DIR: wasm/build (committed)
#
# Outputs, for each kernel: the .wasm files and OUT_DIR/SHA256SUMS.
#   crc32c.wasm                    private (non-shared) memory: the copy-in path
#   crc32c-shared.wasm             shared memory (SharedArrayBuffer): ring path
#   crc32c[-shared]-nonrelaxed.wasm  the same with i8x16.swizzle for runtimes
#                                  without relaxed SIMD (src/wasm/crc32c.ts picks)
#   lz4-size.wasm                  an LZ4 block's decompressed size (wasm/lz4-size.wat)
#   value-check.wasm               the load generator's record value check (wasm/value-check.wat)
# All come from wasm/crc32c.wat with the output of wasm/crc32c-lanes.mjs
# spliced in at its LANES-KERNEL line; the private builds rewrite the line
# marked MEMORY-IMPORT. wat2wasm and the generator are deterministic (no
# timestamps, paths or debug names), so wasm/check.sh can rebuild and compare
# bytes. Needs node (the generator) besides wabt.
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
lanes_line='  ;; LANES-KERNEL'
if [ "$(grep -c "^$lanes_line" "$src")" != 1 ]; then
  echo "build.sh: $src must contain exactly one line starting with: $lanes_line" >&2
  exit 1
fi
node "$here/crc32c-lanes.mjs" > "$tmp/lanes.wat"
# Splice the generated SIMD kernel in place of the LANES-KERNEL line.
awk -v lanes="$tmp/lanes.wat" -v marker="$lanes_line" '
  index($0, marker) == 1 { while ((getline line < lanes) > 0) print line; next }
  { print }' "$src" > "$tmp/crc32c-shared.wat"
sed 's/(memory 1 65536 shared)) ;; MEMORY-IMPORT/(memory 1)) ;; MEMORY-IMPORT (private build)/' \
  "$tmp/crc32c-shared.wat" > "$tmp/crc32c.wat"
for name in crc32c crc32c-shared; do
  sed 's/i8x16\.relaxed_swizzle/i8x16.swizzle/g' "$tmp/$name.wat" > "$tmp/$name-nonrelaxed.wat"
  wat2wasm --enable-threads --enable-relaxed-simd "$tmp/$name.wat" -o "$out/$name.wasm"
  wat2wasm --enable-threads "$tmp/$name-nonrelaxed.wat" -o "$out/$name-nonrelaxed.wasm"
done

# --- lz4-size, value-check -----------------------------------------------------
wat2wasm "$here/lz4-size.wat" -o "$out/lz4-size.wasm"
wat2wasm "$here/value-check.wat" -o "$out/value-check.wasm"

# --- checksums --------------------------------------------------------------
(cd "$out" && sha256sum crc32c.wasm crc32c-shared.wasm crc32c-nonrelaxed.wasm crc32c-shared-nonrelaxed.wasm lz4-size.wasm value-check.wasm > SHA256SUMS)
echo "build.sh: wrote $(cd "$out" && ls *.wasm | tr '\n' ' ')and SHA256SUMS to $out" >&2
