
use builtin;
use str;

set edit:completion:arg-completer[shmctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'shmctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'shmctl'= {
            cand --ipc-ns 'Work in another IPC namespace (a container''s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter'
            cand --color 'Colour the hex dump: auto (on a terminal, unless NO_COLOR is set), always, never'
            cand --json 'Print JSON for scripts (short for --format json)'
            cand -q 'Print only what was asked for: no notes, no per-item success lines'
            cand --quiet 'Print only what was asked for: no notes, no per-item success lines'
            cand -v 'Explain more: how segments were enumerated, what each step did'
            cand --verbose 'Explain more: how segments were enumerated, what each step did'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand generate 'Write the man pages or shell completions into a directory (for packagers)'
            cand ls 'List shared memory segments (like `ipcs -m`), with the creator''s liveness; --all for every IPC kind'
            cand stat 'Show everything about IPC objects: every field, the processes behind them, liveness'
            cand create 'Create a segment (like `ipcmk -M`), or with --kind any other IPC object (`ipcmk -S/-Q`)'
            cand attach 'Attach to a segment and hold it (gc leaves it alone), run a command, or set fields'
            cand dump 'Show a segment''s bytes: hex, raw, or decoded field by field with a C header'
            cand rm 'Remove IPC objects safely; ones in use only with --force (like `ipcrm`)'
            cand gc 'Remove orphaned segments: nothing attached, creator and last user proven dead (and, with --type, orphaned objects of the other kinds)'
            cand schema 'Lay out C structs from a header exactly as gcc does (like pahole); lint; check a segment'
            cand key 'Compute an ftok(3) key and show the bits it was made from'
            cand limits 'Show the system''s IPC limits and usage, every kind (like `ipcs -l`)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'shmctl;generate'= {
            cand --ipc-ns 'Work in another IPC namespace (a container''s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter'
            cand --color 'Colour the hex dump: auto (on a terminal, unless NO_COLOR is set), always, never'
            cand --json 'Print JSON for scripts (short for --format json)'
            cand -q 'Print only what was asked for: no notes, no per-item success lines'
            cand --quiet 'Print only what was asked for: no notes, no per-item success lines'
            cand -v 'Explain more: how segments were enumerated, what each step did'
            cand --verbose 'Explain more: how segments were enumerated, what each step did'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'shmctl;ls'= {
            cand --kind 'Only these IPC kinds, comma-separated: shm, sem, msg, pshm, psem, pmq, or all (default: shm)'
            cand --user 'Only objects owned by USER (a name or a uid); an ordinary user''s gc considers its own by default'
            cand --older-than 'Only objects with no activity (attach, detach, operation, send, receive, change) for DURATION (90s, 10m, 2h, 7d; at most 36525d, 100 years)'
            cand --sort 'Sort each table by a column (its header name, case-insensitive)'
            cand -o 'Columns of each table, comma-separated header names (case-insensitive); a leading + adds to the defaults; each kind''s table shows those it has. Columns: KEY, ID, NAME, OWNER, UID, GROUP, GID, CUID, CGID, PERMS, MODE, SIZE, NATTCH, STATUS, CPID, CREATOR, LPID, LAST, NSEMS, WAITERS, LAST-OP, MSGS, BYTES, SENDER, RECEIVER, VALUE, QSIZE, NOTIFY, HELD, AGE, IDLE, CTIME, ATIME, DTIME, OTIME, STIME, RTIME, MTIME, RSS, SWAP, ORPHAN, WHY'
            cand --columns 'Columns of each table, comma-separated header names (case-insensitive); a leading + adds to the defaults; each kind''s table shows those it has. Columns: KEY, ID, NAME, OWNER, UID, GROUP, GID, CUID, CGID, PERMS, MODE, SIZE, NATTCH, STATUS, CPID, CREATOR, LPID, LAST, NSEMS, WAITERS, LAST-OP, MSGS, BYTES, SENDER, RECEIVER, VALUE, QSIZE, NOTIFY, HELD, AGE, IDLE, CTIME, ATIME, DTIME, OTIME, STIME, RTIME, MTIME, RSS, SWAP, ORPHAN, WHY'
            cand --format 'Output format'
            cand --output 'Write to FILE atomically (a temporary file renamed into place), mode 0644, e.g. into node_exporter''s textfile directory. FILE must be a regular file or absent: a symbolic link, device, FIFO, socket or directory is refused'
            cand --ipc-ns 'Work in another IPC namespace (a container''s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter'
            cand --color 'Colour the hex dump: auto (on a terminal, unless NO_COLOR is set), always, never'
            cand -a 'Every kind: shm, then SysV semaphore sets and message queues, POSIX shared memory, named semaphores and message queues (one table per kind)'
            cand --all 'Every kind: shm, then SysV semaphore sets and message queues, POSIX shared memory, named semaphores and message queues (one table per kind)'
            cand --orphans 'Only orphans: what gc would remove (for shm: nothing attached, creator and last user proven dead)'
            cand --no-headers 'Leave out the header lines (and the kinds'' titles)'
            cand --json 'Print JSON for scripts (short for --format json)'
            cand -q 'Print only what was asked for: no notes, no per-item success lines'
            cand --quiet 'Print only what was asked for: no notes, no per-item success lines'
            cand -v 'Explain more: how segments were enumerated, what each step did'
            cand --verbose 'Explain more: how segments were enumerated, what each step did'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'shmctl;stat'= {
            cand --ipc-ns 'Work in another IPC namespace (a container''s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter'
            cand --color 'Colour the hex dump: auto (on a terminal, unless NO_COLOR is set), always, never'
            cand --json 'Print JSON for scripts (short for --format json)'
            cand -q 'Print only what was asked for: no notes, no per-item success lines'
            cand --quiet 'Print only what was asked for: no notes, no per-item success lines'
            cand -v 'Explain more: how segments were enumerated, what each step did'
            cand --verbose 'Explain more: how segments were enumerated, what each step did'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'shmctl;create'= {
            cand --kind 'What to create: shm (a System V segment, the default), sem (a semaphore set), msg (a message queue), pshm (POSIX shared memory), psem (a named semaphore) or pmq (a POSIX message queue)'
            cand -s 'shm and pshm: size in bytes; suffixes K/KiB (1024), KB (1000), M, G'
            cand --size 'shm and pshm: size in bytes; suffixes K/KiB (1024), KB (1000), M, G'
            cand --nsems 'sem: the number of semaphores in the set (1 to kernel.sem''s SEMMSL)'
            cand --value 'sem and psem: the initial value of every semaphore (sem: at most kernel.sem''s SEMVMX, psem: at most SEM_VALUE_MAX); 0 without it'
            cand --qbytes 'msg: the most bytes the queue may hold (msg_qbytes; above kernel.msgmnb needs CAP_SYS_RESOURCE); suffixes as for --size'
            cand --name 'pshm, psem, pmq: the object''s name, `/NAME` (one path component)'
            cand --maxmsg 'pmq: the most messages the queue holds (default fs.mqueue.msg_default)'
            cand --msgsize 'pmq: the largest message in bytes (default fs.mqueue.msgsize_default); suffixes as for --size'
            cand -k 'System V kinds: create with this key (0x hex or decimal); an existing one is returned if big enough'
            cand --key 'System V kinds: create with this key (0x hex or decimal); an existing one is returned if big enough'
            cand --ftok 'System V kinds: create with the key ftok(PATH, PROJ) gives'
            cand -m 'Permission bits, octal (POSIX objects get exactly these: the umask does not apply)'
            cand --mode 'Permission bits, octal (POSIX objects get exactly these: the umask does not apply)'
            cand --from 'Fill a new segment with this file''s bytes (size from the file unless --size is larger; at most kernel.shmmax). A pipe or device needs --size, and holding more is an error'
            cand --from-archive 'Restore a segment saved by --archive (its .json): bytes, size, mode, owner, and the key if it is free (if not, only with --private, under a new private key)'
            cand --ipc-ns 'Work in another IPC namespace (a container''s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter'
            cand --color 'Colour the hex dump: auto (on a terminal, unless NO_COLOR is set), always, never'
            cand --private 'System V kinds: create with IPC_PRIVATE, a new object that only its id names (the default)'
            cand -x 'Fail if an object with the key or name exists (IPC_EXCL, O_EXCL)'
            cand --exclusive 'Fail if an object with the key or name exists (IPC_EXCL, O_EXCL)'
            cand --json 'Print JSON for scripts (short for --format json)'
            cand -q 'Print only what was asked for: no notes, no per-item success lines'
            cand --quiet 'Print only what was asked for: no notes, no per-item success lines'
            cand -v 'Explain more: how segments were enumerated, what each step did'
            cand --verbose 'Explain more: how segments were enumerated, what each step did'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'shmctl;attach'= {
            cand --schema 'The C header declaring the segment''s type (for --set; at most 16 MiB, exit 1 beyond)'
            cand -t 'The segment''s type (for --set)'
            cand --type 'The segment''s type (for --set)'
            cand --set 'Write FIELD=VALUE (repeatable; implies --rw): integers in range, strings that fit with their NUL, true/false, enum names. Nothing is written unless every value fits'
            cand --ipc-ns 'Work in another IPC namespace (a container''s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter'
            cand --color 'Colour the hex dump: auto (on a terminal, unless NO_COLOR is set), always, never'
            cand --hold 'Stay attached until SIGINT or SIGTERM, then detach (the default)'
            cand --exec 'Stay attached while the command after `--` runs; exit with its status'
            cand --rw 'Attach read-write (read-only otherwise)'
            cand --force 'Attach even where kernel.shm_rmid_forced=1 would destroy an unattached segment at the detach'
            cand --json 'Print JSON for scripts (short for --format json)'
            cand -q 'Print only what was asked for: no notes, no per-item success lines'
            cand --quiet 'Print only what was asked for: no notes, no per-item success lines'
            cand -v 'Explain more: how segments were enumerated, what each step did'
            cand --verbose 'Explain more: how segments were enumerated, what each step did'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'shmctl;dump'= {
            cand --offset 'Start at this offset (suffixes K, M …)'
            cand --length 'At most this many bytes (hex and raw)'
            cand --format 'hex (the default), raw, or with --schema table (the default) or json'
            cand --schema 'Decode with the struct declarations of this C header (at most 16 MiB: a larger one is refused, exit 1)'
            cand -t 'The type to decode the segment as (with --schema)'
            cand --type 'The type to decode the segment as (with --schema)'
            cand --count 'Decode N consecutive records (an array of the type)'
            cand --expect 'Fail (exit 1) unless FIELD has VALUE, e.g. version=3 (repeatable)'
            cand --follow 'Keep watching: every INTERVAL (500ms, 2s; 10ms to 36525d) print only what changed (hex lines, or fields with --schema), until SIGINT/SIGTERM'
            cand --ipc-ns 'Work in another IPC namespace (a container''s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter'
            cand --color 'Colour the hex dump: auto (on a terminal, unless NO_COLOR is set), always, never'
            cand --no-squeeze 'Show identical lines instead of squeezing them to `*`'
            cand --partial 'Decode what fits when the type is larger than the segment (never reading past it)'
            cand --hex 'Integers in hex'
            cand --force 'Attach even where kernel.shm_rmid_forced=1 would destroy an unattached segment'
            cand --json 'Print JSON for scripts (short for --format json)'
            cand -q 'Print only what was asked for: no notes, no per-item success lines'
            cand --quiet 'Print only what was asked for: no notes, no per-item success lines'
            cand -v 'Explain more: how segments were enumerated, what each step did'
            cand --verbose 'Explain more: how segments were enumerated, what each step did'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'shmctl;rm'= {
            cand --kind 'With --all: these IPC kinds, comma-separated: shm, sem, msg, pshm, psem, pmq, or all'
            cand --archive 'Before removing, save each object to DIR: a segment''s or POSIX object''s bytes, a queue''s messages (copied, not received), a set''s values; an object whose archive cannot be written is not removed'
            cand --wait 'How long to wait for another shmctl run removing in the same IPC namespace to finish (0 = do not wait); then fail (exit 1) naming the run that holds the lock'
            cand --ipc-ns 'Work in another IPC namespace (a container''s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter'
            cand --color 'Colour the hex dump: auto (on a terminal, unless NO_COLOR is set), always, never'
            cand -a 'Every object of the kinds --kind names (default shm) that the caller may remove (every one, as root), like `ipcrm --all`, through the same safe sequence: what is in use (attached, waited on, held open, a live last sender or receiver) is kept and listed with its reason unless --force. It does not judge whether creators are alive: that is `gc`''s job'
            cand --all 'Every object of the kinds --kind names (default shm) that the caller may remove (every one, as root), like `ipcrm --all`, through the same safe sequence: what is in use (attached, waited on, held open, a live last sender or receiver) is kept and listed with its reason unless --force. It does not judge whether creators are alive: that is `gc`''s job'
            cand -f 'Also remove what is in use: attached segments (marked, they vanish at their last detach), semaphore sets with waiters, queues whose last sender or receiver lives, POSIX objects that are mapped or open'
            cand --force 'Also remove what is in use: attached segments (marked, they vanish at their last detach), semaphore sets with waiters, queues whose last sender or receiver lives, POSIX objects that are mapped or open'
            cand -n 'Show what would be removed, remove nothing'
            cand --dry-run 'Show what would be removed, remove nothing'
            cand --drain 'With --archive: allow receiving a queue''s messages where they cannot be copied (a POSIX queue, whose messages can only be read by taking them; a SysV queue on a kernel without MSG_COPY)'
            cand --json 'Print JSON for scripts (short for --format json)'
            cand -q 'Print only what was asked for: no notes, no per-item success lines'
            cand --quiet 'Print only what was asked for: no notes, no per-item success lines'
            cand -v 'Explain more: how segments were enumerated, what each step did'
            cand --verbose 'Explain more: how segments were enumerated, what each step did'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'shmctl;gc'= {
            cand --kind 'Only these IPC kinds, comma-separated: shm, sem, msg, pshm, psem, pmq, or all (default: shm)'
            cand --user 'Only objects owned by USER (a name or a uid); an ordinary user''s gc considers its own by default'
            cand --older-than 'Only objects with no activity (attach, detach, operation, send, receive, change) for DURATION (90s, 10m, 2h, 7d; at most 36525d, 100 years)'
            cand --exclude-key 'Never remove the object with this key (repeatable)'
            cand --archive 'Before removing, save each object to DIR: a segment''s or POSIX object''s bytes, a queue''s messages (copied, not received), a set''s values; an object whose archive cannot be written is not removed'
            cand --wait 'How long to wait for another shmctl run removing in the same IPC namespace to finish (0 = do not wait); then fail (exit 1) naming the run that holds the lock'
            cand --ipc-ns 'Work in another IPC namespace (a container''s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter'
            cand --color 'Colour the hex dump: auto (on a terminal, unless NO_COLOR is set), always, never'
            cand -n 'Show what would be removed and why, remove nothing'
            cand --dry-run 'Show what would be removed and why, remove nothing'
            cand -y 'Remove without asking (needed when there is no terminal to ask on)'
            cand --yes 'Remove without asking (needed when there is no terminal to ask on)'
            cand --include-unknown 'Also remove what cannot be proven in use for want of evidence: a creator or last user that reads as pid 0 (another PID namespace), processes or tasks that cannot be inspected'
            cand --drain 'With --archive: allow receiving a queue''s messages where they cannot be copied (a POSIX queue, whose messages can only be read by taking them; a SysV queue on a kernel without MSG_COPY)'
            cand --json 'Print JSON for scripts (short for --format json)'
            cand -q 'Print only what was asked for: no notes, no per-item success lines'
            cand --quiet 'Print only what was asked for: no notes, no per-item success lines'
            cand -v 'Explain more: how segments were enumerated, what each step did'
            cand --verbose 'Explain more: how segments were enumerated, what each step did'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'shmctl;schema'= {
            cand -t 'Only this type (a struct/union tag or typedef name)'
            cand --type 'Only this type (a struct/union tag or typedef name)'
            cand --target 'The ABI to lay out for (default: this machine''s)'
            cand --check 'Compare the type''s size with this segment''s (needs --type when the file has several)'
            cand --ipc-ns 'Work in another IPC namespace (a container''s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter'
            cand --color 'Colour the hex dump: auto (on a terminal, unless NO_COLOR is set), always, never'
            cand --lint 'Report shared-memory pitfalls: pointers, types without a fixed width, implicit padding, bool and enum sizes, no version or magic field (exit 1 when any)'
            cand --json 'Print JSON for scripts (short for --format json)'
            cand -q 'Print only what was asked for: no notes, no per-item success lines'
            cand --quiet 'Print only what was asked for: no notes, no per-item success lines'
            cand -v 'Explain more: how segments were enumerated, what each step did'
            cand --verbose 'Explain more: how segments were enumerated, what each step did'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'shmctl;key'= {
            cand --ipc-ns 'Work in another IPC namespace (a container''s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter'
            cand --color 'Colour the hex dump: auto (on a terminal, unless NO_COLOR is set), always, never'
            cand --json 'Print JSON for scripts (short for --format json)'
            cand -q 'Print only what was asked for: no notes, no per-item success lines'
            cand --quiet 'Print only what was asked for: no notes, no per-item success lines'
            cand -v 'Explain more: how segments were enumerated, what each step did'
            cand --verbose 'Explain more: how segments were enumerated, what each step did'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'shmctl;limits'= {
            cand --ipc-ns 'Work in another IPC namespace (a container''s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter'
            cand --color 'Colour the hex dump: auto (on a terminal, unless NO_COLOR is set), always, never'
            cand --json 'Print JSON for scripts (short for --format json)'
            cand -q 'Print only what was asked for: no notes, no per-item success lines'
            cand --quiet 'Print only what was asked for: no notes, no per-item success lines'
            cand -v 'Explain more: how segments were enumerated, what each step did'
            cand --verbose 'Explain more: how segments were enumerated, what each step did'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'shmctl;help'= {
            cand generate 'Write the man pages or shell completions into a directory (for packagers)'
            cand ls 'List shared memory segments (like `ipcs -m`), with the creator''s liveness; --all for every IPC kind'
            cand stat 'Show everything about IPC objects: every field, the processes behind them, liveness'
            cand create 'Create a segment (like `ipcmk -M`), or with --kind any other IPC object (`ipcmk -S/-Q`)'
            cand attach 'Attach to a segment and hold it (gc leaves it alone), run a command, or set fields'
            cand dump 'Show a segment''s bytes: hex, raw, or decoded field by field with a C header'
            cand rm 'Remove IPC objects safely; ones in use only with --force (like `ipcrm`)'
            cand gc 'Remove orphaned segments: nothing attached, creator and last user proven dead (and, with --type, orphaned objects of the other kinds)'
            cand schema 'Lay out C structs from a header exactly as gcc does (like pahole); lint; check a segment'
            cand key 'Compute an ftok(3) key and show the bits it was made from'
            cand limits 'Show the system''s IPC limits and usage, every kind (like `ipcs -l`)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'shmctl;help;generate'= {
        }
        &'shmctl;help;ls'= {
        }
        &'shmctl;help;stat'= {
        }
        &'shmctl;help;create'= {
        }
        &'shmctl;help;attach'= {
        }
        &'shmctl;help;dump'= {
        }
        &'shmctl;help;rm'= {
        }
        &'shmctl;help;gc'= {
        }
        &'shmctl;help;schema'= {
        }
        &'shmctl;help;key'= {
        }
        &'shmctl;help;limits'= {
        }
        &'shmctl;help;help'= {
        }
    ]
    $completions[$command]
}
