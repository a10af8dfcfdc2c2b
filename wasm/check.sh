#!/usr/bin/env bash
# CI check: the committed WASM binaries are exactly what the committed sources
# build to, and match the committed checksums.
#
#   wasm/check.sh      exit 0 if wasm/build is up to date, 1 otherwise
#
# 1. `sha256sum -c wasm/build/SHA256SUMS`: the committed .wasm files are the
#    ones the checksums name (catches a hand-edited or truncated binary).
# 2. wasm/build.sh into a temp dir (installs wabt if missing), then byte
#    comparison of every output, SHA256SUMS included, with wasm/build/.
# A mismatch means someone changed a .wat without running wasm/build.sh (or
# used a different wat2wasm; the committed files come from wabt 1.0.32).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
committed="$here/build"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

(cd "$committed" && sha256sum --quiet -c SHA256SUMS) || {
  echo "check.sh: committed wasm/build/*.wasm do not match wasm/build/SHA256SUMS" >&2
  exit 1
}

"$here/build.sh" "$tmp"

status=0
for f in "$tmp"/*; do
  name="$(basename "$f")"
  if ! cmp -s "$f" "$committed/$name"; then
    echo "check.sh: wasm/build/$name differs from a fresh build; run wasm/build.sh and commit" >&2
    status=1
  fi
done
for f in "$committed"/*; do
  name="$(basename "$f")"
  [ -e "$tmp/$name" ] || { echo "check.sh: wasm/build/$name is not produced by build.sh" >&2; status=1; }
done
[ $status = 0 ] && echo "check.sh: wasm/build is up to date ($(wat2wasm --version))" >&2
exit $status
