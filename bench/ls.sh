#!/usr/bin/env bash
# Listing speed against util-linux, in the same run: `shmctl ls --json` vs `lsipc -m --json`
# (and `ipcs -m`) over N segments (default 10,000) in a private IPC namespace.
#
#   bench/ls.sh [N]          needs root (or user namespaces), hyperfine, a C compiler
#
# The namespace's kernel.shmmni is raised so that N segments fit; the host is untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-10000}

command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install hyperfine" >&2; exit 1; }
cargo build --release --quiet
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cc -O2 -o "$scratch/shm-helper" tests/helpers/shm-helper.c
cp target/release/shmctl "$scratch/shmctl"

if [ "$(id -u)" = 0 ]; then ns=(unshare --ipc); else ns=(unshare --user --map-root-user --ipc); fi
"${ns[@]}" bash -s "$scratch" "$count" <<'INNER'
set -euo pipefail
scratch=$1 count=$2
echo 32768 > /proc/sys/kernel/shmmni
"$scratch/shm-helper" many "$count" 1 >/dev/null
echo "segments in the namespace: $("$scratch/shmctl" ls --json | grep -o '"id":' | wc -l)"
echo "lsipc sees:                $(lsipc -m --noheadings -o ID | wc -l)"
echo "$(lsipc --version)"
hyperfine -N --warmup 3 --min-runs 20 \
    --command-name "shmctl ls --json" "$scratch/shmctl ls --json" \
    --command-name "lsipc -m --json" "lsipc -m --json" \
    --command-name "ipcs -m" "ipcs -m" \
    --command-name "shmctl ls (table)" "$scratch/shmctl ls"
INNER
