#!/usr/bin/env bash
# Removal speed in the same run: `shmctl gc --yes` (liveness checks, guarded sequence, lock)
# against `ipcrm --all=shm` (no checks) and plain C doing the guarded sequence without
# checks, each on N fresh orphans (default 10,000) in a private IPC namespace.
#
#   bench/gc.sh [N]          needs root (or user namespaces), hyperfine, a C compiler
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-10000}

command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install hyperfine" >&2; exit 1; }
cargo build --release --quiet
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cc -O2 -o "$scratch/shm-helper" tests/helpers/shm-helper.c
cc -O2 -o "$scratch/rm-sequence" bench/rm-sequence.c
cp target/release/shmctl "$scratch/shmctl"

# A private mount namespace too: the removal lock and journal go to a tmpfs on /run of its
# own, not the host's /run/shmctl.
if [ "$(id -u)" = 0 ]; then ns=(unshare --ipc --mount); else ns=(unshare --user --map-root-user --ipc --mount); fi
"${ns[@]}" bash -s "$scratch" "$count" <<'INNER'
set -euo pipefail
scratch=$1 count=$2
mount -n -t tmpfs -o mode=755 tmpfs /run
echo 32768 > /proc/sys/kernel/shmmni
# Every run starts from exactly N orphans (their creator, the helper, has exited).
prepare="ipcrm --all=shm; $scratch/shm-helper many $count 1"
bash -c "$prepare" >/dev/null
echo "orphans per run: $("$scratch/shmctl" ls --orphans --json | grep -o '"id":' | wc -l)"
hyperfine --warmup 2 --min-runs 15 --prepare "$prepare" \
    --command-name "shmctl gc --yes" "$scratch/shmctl gc --yes --quiet" \
    --command-name "ipcrm --all=shm" "ipcrm --all=shm" \
    --command-name "plain C sequence" "$scratch/rm-sequence"
INNER
