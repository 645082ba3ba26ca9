#!/usr/bin/env bash
# Listing the other kinds against util-linux, in the same run: `shmctl ls --kind sem,msg
# --json` vs `lsipc -s --json` plus `lsipc -q --json` (and `ipcs -s -q`), over N semaphore
# sets and N message queues (default 2,000 each) in a private IPC namespace.
#
#   bench/kinds.sh [N]       needs root (or user namespaces), hyperfine, a C compiler
#
# The host is untouched: everything is made, listed and dropped inside the namespace.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-2000}

command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install hyperfine" >&2; exit 1; }
cargo build --release --quiet
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cc -O2 -o "$scratch/shm-helper" tests/helpers/shm-helper.c -pthread -lrt
cp target/release/shmctl "$scratch/shmctl"

if [ "$(id -u)" = 0 ]; then ns=(unshare --ipc); else ns=(unshare --user --map-root-user --ipc); fi
"${ns[@]}" bash -s "$scratch" "$count" <<'INNER'
set -euo pipefail
scratch=$1 count=$2
ops=()
for _ in $(seq "$count"); do ops+=(semcreate 0 2 0600 semop 0 1 msgcreate 0 0600 msgsend 1 x); done
"$scratch/shm-helper" "${ops[@]}" >/dev/null
echo "sets and queues: $("$scratch/shmctl" ls --kind sem,msg --json | grep -o '"type":"[a-z]*"' | sort | uniq -c | tr '\n' ' ')"
echo "lsipc sees:      $(lsipc -s --noheadings -o ID | wc -l) sets, $(lsipc -q --noheadings -o ID | wc -l) queues"
lsipc --version
hyperfine -N --warmup 3 --min-runs 20 \
    --command-name "shmctl ls --kind sem,msg --json" "$scratch/shmctl ls --kind sem,msg --json" \
    --command-name "lsipc -s --json" "lsipc -s --json" \
    --command-name "lsipc -q --json" "lsipc -q --json" \
    --command-name "ipcs -s -q" "ipcs -s -q"
INNER
