#!/usr/bin/env bash
# Hex dump throughput in the same run: `shmctl dump` of a 128 MiB segment (half zeros,
# half random) against `xxd -a` on the same bytes from a file, and `hexdump -C`.
#
#   bench/hex.sh [MiB]       needs root (or user namespaces), hyperfine, xxd
set -euo pipefail
cd "$(dirname "$0")/.."
mib=${1:-128}
command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install hyperfine" >&2; exit 1; }
cargo build --release --quiet
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp target/release/shmctl "$scratch/"
# Half zeros, half random.
head -c $((mib * 1024 * 1024 / 2)) /dev/zero > "$scratch/bytes"
head -c $((mib * 1024 * 1024 / 2)) /dev/urandom >> "$scratch/bytes"

if [ "$(id -u)" = 0 ]; then ns=(unshare --ipc); else ns=(unshare --user --map-root-user --ipc); fi
"${ns[@]}" bash -s "$scratch" <<'INNER'
set -euo pipefail
scratch=$1
id=$("$scratch/shmctl" create --from "$scratch/bytes" --json | sed 's/.*"id":\([0-9]*\).*/\1/')
# A holder keeps it mapped, so shmctl reads through map_files as it would on a live system.
"$scratch/shmctl" attach "$id" -q > /dev/null 2>&1 &
holder=$!
sleep 0.2
cmp <("$scratch/shmctl" dump "$id" --format raw -q) "$scratch/bytes" && echo "segment $id holds the same bytes as the file"
echo "output sizes: shmctl $("$scratch/shmctl" dump "$id" -q | wc -c), xxd -a $(xxd -a "$scratch/bytes" | wc -c)"
hyperfine -N --warmup 1 --min-runs 5 --output null \
    --command-name "shmctl dump" "$scratch/shmctl dump $id -q" \
    --command-name "xxd -a (file)" "xxd -a $scratch/bytes" \
    --command-name "hexdump -C (file)" "hexdump -C $scratch/bytes"
kill $holder
INNER
