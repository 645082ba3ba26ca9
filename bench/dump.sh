#!/usr/bin/env bash
# Decoding speed in the same run: `shmctl dump --schema … --count N --json` over N records of
# the classic 108-byte struct (default 1,000,000: 108 MB) against `xxd` dumping the same
# bytes, and shmctl's own hex dump. In a private IPC namespace.
#
#   bench/dump.sh [N]        needs root (or user namespaces), hyperfine, xxd, a C compiler
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000000}
command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install hyperfine" >&2; exit 1; }
command -v xxd >/dev/null || { echo "xxd is needed: apt-get install xxd" >&2; exit 1; }
cargo build --release --quiet
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cc -O2 -I bench -o "$scratch/fill-records" bench/fill-records.c
cp target/release/shmctl bench/shared_data.h "$scratch/"

if [ "$(id -u)" = 0 ]; then ns=(unshare --ipc); else ns=(unshare --user --map-root-user --ipc); fi
"${ns[@]}" bash -s "$scratch" "$count" <<'INNER'
set -euo pipefail
scratch=$1 count=$2
id=$("$scratch/fill-records" "$count")
"$scratch/shmctl" dump "$id" --format raw --force > "$scratch/bytes" 2>/dev/null
echo "segment $id: $(stat -c %s "$scratch/bytes") bytes, $count records"
"$scratch/shmctl" dump "$id" --schema "$scratch/shared_data.h" --type SharedData --count 2 --json 2>/dev/null
hyperfine -N --warmup 1 --min-runs 5 --output null \
    --command-name "shmctl dump --schema --count $count --json" \
    "$scratch/shmctl dump $id --schema $scratch/shared_data.h --type SharedData --count $count --json -q" \
    --command-name "xxd (same bytes)" "xxd $scratch/bytes" \
    --command-name "shmctl dump (hex)" "$scratch/shmctl dump $id -q"
INNER
