#!/usr/bin/env bash
# Peak memory (max RSS, from GNU time) of the views that read a whole segment, against the
# segment's size: `dump --json` (base64), `dump --follow` (hex and decoded: held open for
# two looks, then SIGINT) and `dump --schema --json` of one record holding an array the size
# of the segment. In a private IPC namespace.
#
#   bench/memory.sh [MiB] [SHMCTL]    (default 128 MiB, target/release/shmctl)
#   needs root (or user namespaces), GNU time (/usr/bin/time), a C compiler
set -euo pipefail
cd "$(dirname "$0")/.."
mib=${1:-128}
case $mib in *[!0-9]* | '') echo "usage: $0 [MiB] [SHMCTL]" >&2; exit 2;; esac
shmctl=${2:-}
if [ -z "$shmctl" ]; then cargo build --release --quiet; shmctl=target/release/shmctl; fi
[ -x /usr/bin/time ] || { echo "GNU time is needed: apt-get install time" >&2; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cc -O2 -o "$scratch/fill-bytes" bench/fill-bytes.c
cp "$shmctl" "$scratch/shmctl"
words=$(( (mib << 20) / 4 - 1 ))
printf '#include <stdint.h>\nstruct Big { uint32_t counter; uint32_t data[%d]; };\n' "$words" > "$scratch/big.h"

if [ "$(id -u)" = 0 ]; then ns=(unshare --ipc); else ns=(unshare --user --map-root-user --ipc); fi
"${ns[@]}" bash -s "$scratch" "$mib" <<'INNER'
set -euo pipefail
scratch=$1 mib=$2
id=$("$scratch/fill-bytes" $((mib << 20)))
peak() { # label, command…: max RSS in MiB and its ratio to the segment
    local label=$1; shift
    /usr/bin/time -f %M -o "$scratch/rss" "$@" > /dev/null 2>"$scratch/err" || true
    local kib; kib=$(tail -n 1 "$scratch/rss")
    printf '%-40s %6d MiB  %5.2f× the segment\n' "$label" $((kib / 1024)) "$(echo "$kib / 1024 / $mib" | bc -l)"
}
follow() { # two looks of --follow, then SIGINT
    "$@" & local pid=$!
    sleep 3
    kill -INT $pid
    wait $pid
}
export -f follow
echo "segment $id: $mib MiB, half pseudo-random, half zeros"
peak "dump --json (base64)" "$scratch/shmctl" dump "$id" --json -q
peak "dump --follow 1s (hex)" bash -c "follow $scratch/shmctl dump $id --follow 1s -q"
peak "dump --schema --follow 1s" bash -c "follow $scratch/shmctl dump $id --schema $scratch/big.h --type Big --follow 1s -q"
peak "dump --schema --json (one array)" "$scratch/shmctl" dump "$id" --schema "$scratch/big.h" --type Big --json -q
INNER
