# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_shmctl_global_optspecs
    string join \n json q/quiet v/verbose ipc-ns= A/all-namespaces h/help V/version
end

function __fish_shmctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_shmctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_shmctl_using_subcommand
    set -l cmd (__fish_shmctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c shmctl -n "__fish_shmctl_needs_command" -l ipc-ns -d 'Work in another IPC namespace (a container\'s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter' -r
complete -c shmctl -n "__fish_shmctl_needs_command" -l json -d 'Print JSON for scripts (for ls the same as --format json)'
complete -c shmctl -n "__fish_shmctl_needs_command" -s q -l quiet -d 'Print only what was asked for: no notes, no per-item success lines'
complete -c shmctl -n "__fish_shmctl_needs_command" -s v -l verbose -d 'Explain more: how segments were enumerated, what each step did'
complete -c shmctl -n "__fish_shmctl_needs_command" -s A -l all-namespaces -d 'Every IPC namespace on the machine, each container\'s and pod\'s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl\'s own'
complete -c shmctl -n "__fish_shmctl_needs_command" -s h -l help -d 'Print help'
complete -c shmctl -n "__fish_shmctl_needs_command" -s V -l version -d 'Print version'
complete -c shmctl -n "__fish_shmctl_needs_command" -f -a "ls" -d 'List shared memory segments (like `ipcs -m`), with the creator\'s liveness; --all for every IPC kind'
complete -c shmctl -n "__fish_shmctl_needs_command" -f -a "stat" -d 'Show everything about IPC objects: every field, the processes behind them, liveness'
complete -c shmctl -n "__fish_shmctl_needs_command" -f -a "create" -d 'Create a segment (like `ipcmk -M`), or with --kind any other IPC object (`ipcmk -S/-Q`)'
complete -c shmctl -n "__fish_shmctl_needs_command" -f -a "attach" -d 'Attach to a segment and hold it (gc leaves it alone), run a command, or set fields'
complete -c shmctl -n "__fish_shmctl_needs_command" -f -a "dump" -d 'Show a segment\'s bytes: hex, raw, or decoded field by field with a C header'
complete -c shmctl -n "__fish_shmctl_needs_command" -f -a "rm" -d 'Remove IPC objects safely; ones in use only with --force (like `ipcrm`)'
complete -c shmctl -n "__fish_shmctl_needs_command" -f -a "gc" -d 'Remove orphaned segments: nothing attached, creator and last user proven dead (and, with --type, orphaned objects of the other kinds)'
complete -c shmctl -n "__fish_shmctl_needs_command" -f -a "schema" -d 'Lay out C structs from a header exactly as gcc does (like pahole); lint; check a segment'
complete -c shmctl -n "__fish_shmctl_needs_command" -f -a "key" -d 'Compute an ftok(3) key and show the bits it was made from'
complete -c shmctl -n "__fish_shmctl_needs_command" -f -a "limits" -d 'Show the system\'s IPC limits and usage, every kind (like `ipcs -l`)'
complete -c shmctl -n "__fish_shmctl_using_subcommand ls" -l kind -d 'Only these IPC kinds, comma-separated: shm, sem, msg, pshm, psem, pmq, or all (default: shm)' -r -f -a "shm\t''
sem\t''
msg\t''
pshm\t''
psem\t''
pmq\t''
all\t''"
complete -c shmctl -n "__fish_shmctl_using_subcommand ls" -l user -d 'Only objects owned by USER (a name or a uid); an ordinary user\'s gc considers its own by default' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand ls" -l older-than -d 'Only objects with no activity (attach, detach, operation, send, receive, change) for DURATION (90s, 10m, 2h, 7d; at most 36525d, 100 years)' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand ls" -l key -d 'Only objects with this key (0x51, 81, or key:N; System V kinds)' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand ls" -l pid -d 'Only objects PID created, last used, has attached, holds open or waits on' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand ls" -l sort -d 'Sort each table by a column (its header name, case-insensitive); a leading `-` sorts in reverse (--sort=-size: largest first)' -r -f -a "key\t''
id\t''
name\t''
owner\t''
uid\t''
group\t''
gid\t''
cuid\t''
cgid\t''
perms\t''
mode\t''
size\t''
nattch\t''
status\t''
cpid\t''
creator\t''
lpid\t''
last\t''
nsems\t''
waiters\t''
last-op\t''
msgs\t''
bytes\t''
sender\t''
receiver\t''
value\t''
qsize\t''
notify\t''
held\t''
age\t''
idle\t''
ctime\t''
atime\t''
dtime\t''
otime\t''
stime\t''
rtime\t''
mtime\t''
rss\t''
swap\t''
orphan\t''
why\t''"
complete -c shmctl -n "__fish_shmctl_using_subcommand ls" -s o -l columns -d 'Columns of each table, comma-separated header names (case-insensitive); a leading + adds to the defaults; each kind\'s table shows those it has. Columns: KEY, ID, NAME, OWNER, UID, GROUP, GID, CUID, CGID, PERMS, MODE, SIZE, NATTCH, STATUS, CPID, CREATOR, LPID, LAST, NSEMS, WAITERS, LAST-OP, MSGS, BYTES, SENDER, RECEIVER, VALUE, QSIZE, NOTIFY, HELD, AGE, IDLE, CTIME, ATIME, DTIME, OTIME, STIME, RTIME, MTIME, RSS, SWAP, ORPHAN, WHY' -r -f -a "key\t''
id\t''
name\t''
owner\t''
uid\t''
group\t''
gid\t''
cuid\t''
cgid\t''
perms\t''
mode\t''
size\t''
nattch\t''
status\t''
cpid\t''
creator\t''
lpid\t''
last\t''
nsems\t''
waiters\t''
last-op\t''
msgs\t''
bytes\t''
sender\t''
receiver\t''
value\t''
qsize\t''
notify\t''
held\t''
age\t''
idle\t''
ctime\t''
atime\t''
dtime\t''
otime\t''
stime\t''
rtime\t''
mtime\t''
rss\t''
swap\t''
orphan\t''
why\t''"
complete -c shmctl -n "__fish_shmctl_using_subcommand ls" -l view -d 'Named columns: pids (ipcs -p), times (ipcs -t), creators (ipcs -c), or summary, one line per kind (ipcs -u)' -r -f -a "pids\t'Who created and last used each object (`ipcs -p`)'
times\t'Every time each object records (`ipcs -t`)'
creators\t'Creator and owner, uids and gids (`ipcs -c`)'
summary\t'One line per kind: objects, orphans, bytes, content (`ipcs -u`)'"
complete -c shmctl -n "__fish_shmctl_using_subcommand ls" -l format -d 'Output format (default: table)' -r -f -a "table\t'Aligned columns for people (the default)'
json\t''
prometheus\t'node_exporter textfile metrics: counts and bytes per owner, orphans, limits'
raw\t'Like `lsipc --raw`: cells separated by one space, blanks inside a cell as \\x20'
export\t'Like `lsipc --export`: NAME="value" pairs, one object per line, for the shell\'s eval'"
complete -c shmctl -n "__fish_shmctl_using_subcommand ls" -l output -d 'Write to FILE atomically (a temporary file renamed into place), mode 0644, e.g. into node_exporter\'s textfile directory. FILE must be a regular file or absent: a symbolic link, device, FIFO, socket or directory is refused' -r -F
complete -c shmctl -n "__fish_shmctl_using_subcommand ls" -l ipc-ns -d 'Work in another IPC namespace (a container\'s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand ls" -s a -l all -d 'Every kind: shm, then SysV semaphore sets and message queues, POSIX shared memory, named semaphores and message queues (one table per kind)'
complete -c shmctl -n "__fish_shmctl_using_subcommand ls" -l orphans -d 'Only orphans: what gc would remove (for shm: nothing attached, creator and last user proven dead)'
complete -c shmctl -n "__fish_shmctl_using_subcommand ls" -s r -l reverse -d 'Reverse the order of each table (with --sort, of its column; else the kernel\'s)'
complete -c shmctl -n "__fish_shmctl_using_subcommand ls" -s b -l bytes -d 'Sizes in bytes, not 4.0 KiB (as lsipc -b, ipcs --bytes)'
complete -c shmctl -n "__fish_shmctl_using_subcommand ls" -s w -l wide -d 'Every column even on a narrow terminal (a table on a terminal leaves out the columns that would wrap its rows, and says which)'
complete -c shmctl -n "__fish_shmctl_using_subcommand ls" -l no-headers -d 'Leave out the header lines (and the kinds\' titles)'
complete -c shmctl -n "__fish_shmctl_using_subcommand ls" -l json -d 'Print JSON for scripts (for ls the same as --format json)'
complete -c shmctl -n "__fish_shmctl_using_subcommand ls" -s q -l quiet -d 'Print only what was asked for: no notes, no per-item success lines'
complete -c shmctl -n "__fish_shmctl_using_subcommand ls" -s v -l verbose -d 'Explain more: how segments were enumerated, what each step did'
complete -c shmctl -n "__fish_shmctl_using_subcommand ls" -s A -l all-namespaces -d 'Every IPC namespace on the machine, each container\'s and pod\'s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl\'s own'
complete -c shmctl -n "__fish_shmctl_using_subcommand ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c shmctl -n "__fish_shmctl_using_subcommand stat" -l ipc-ns -d 'Work in another IPC namespace (a container\'s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand stat" -l json -d 'Print JSON for scripts (for ls the same as --format json)'
complete -c shmctl -n "__fish_shmctl_using_subcommand stat" -s q -l quiet -d 'Print only what was asked for: no notes, no per-item success lines'
complete -c shmctl -n "__fish_shmctl_using_subcommand stat" -s v -l verbose -d 'Explain more: how segments were enumerated, what each step did'
complete -c shmctl -n "__fish_shmctl_using_subcommand stat" -s A -l all-namespaces -d 'Every IPC namespace on the machine, each container\'s and pod\'s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl\'s own'
complete -c shmctl -n "__fish_shmctl_using_subcommand stat" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c shmctl -n "__fish_shmctl_using_subcommand create" -l kind -d 'What to create: shm (a System V segment, the default), sem (a semaphore set), msg (a message queue), pshm (POSIX shared memory), psem (a named semaphore) or pmq (a POSIX message queue)' -r -f -a "shm\t''
sem\t''
msg\t''
pshm\t''
psem\t''
pmq\t''"
complete -c shmctl -n "__fish_shmctl_using_subcommand create" -s s -l size -d 'shm and pshm: size in bytes; suffixes K/KiB (1024), KB (1000), M, G' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand create" -l nsems -d 'sem: the number of semaphores in the set (1 to kernel.sem\'s SEMMSL)' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand create" -l value -d 'sem and psem: the initial value of every semaphore (sem: at most kernel.sem\'s SEMVMX, psem: at most SEM_VALUE_MAX); 0 without it' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand create" -l qbytes -d 'msg: the most bytes the queue may hold (msg_qbytes; above kernel.msgmnb needs CAP_SYS_RESOURCE); suffixes as for --size' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand create" -l name -d 'pshm, psem, pmq: the object\'s name, `/NAME` (one path component)' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand create" -l maxmsg -d 'pmq: the most messages the queue holds (default fs.mqueue.msg_default)' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand create" -l msgsize -d 'pmq: the largest message in bytes (default fs.mqueue.msgsize_default); suffixes as for --size' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand create" -s k -l key -d 'System V kinds: create with this key (0x hex or decimal); an existing one is returned if big enough' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand create" -l ftok -d 'System V kinds: create with the key ftok(PATH, PROJ) gives' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand create" -s m -l mode -d 'Permission bits, octal (POSIX objects get exactly these: the umask does not apply)' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand create" -l from -d 'Fill a new segment with this file\'s bytes (size from the file unless --size is larger; at most kernel.shmmax). A pipe or device needs --size, and holding more is an error' -r -F
complete -c shmctl -n "__fish_shmctl_using_subcommand create" -l from-archive -d 'Restore a segment saved by --archive (its .json): bytes, size, mode, owner, and the key if it is free (if not, only with --private, under a new private key)' -r -F
complete -c shmctl -n "__fish_shmctl_using_subcommand create" -l ipc-ns -d 'Work in another IPC namespace (a container\'s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand create" -l private -d 'System V kinds: create with IPC_PRIVATE, a new object that only its id names (the default)'
complete -c shmctl -n "__fish_shmctl_using_subcommand create" -s x -l exclusive -d 'Fail if an object with the key or name exists (IPC_EXCL, O_EXCL)'
complete -c shmctl -n "__fish_shmctl_using_subcommand create" -l json -d 'Print JSON for scripts (for ls the same as --format json)'
complete -c shmctl -n "__fish_shmctl_using_subcommand create" -s q -l quiet -d 'Print only what was asked for: no notes, no per-item success lines'
complete -c shmctl -n "__fish_shmctl_using_subcommand create" -s v -l verbose -d 'Explain more: how segments were enumerated, what each step did'
complete -c shmctl -n "__fish_shmctl_using_subcommand create" -s A -l all-namespaces -d 'Every IPC namespace on the machine, each container\'s and pod\'s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl\'s own'
complete -c shmctl -n "__fish_shmctl_using_subcommand create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c shmctl -n "__fish_shmctl_using_subcommand attach" -l schema -d 'The C header declaring the segment\'s type (for --set; at most 16 MiB, exit 1 beyond)' -r -F
complete -c shmctl -n "__fish_shmctl_using_subcommand attach" -l debug-info -d 'Decode with a program\'s own DWARF instead of a header: FILE (its executable, shared library or separate .debug file), PID (its /proc/PID/exe), or auto (a process that has the segment attached, else its live creator); a stripped binary\'s debug file is found by build-id or .gnu_debuglink under --debug-root. Never fetched from a network' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand attach" -l debug-root -d 'Where separate debug files are installed (ROOT/.build-id/xx/….debug, ROOT/DIR/NAME)' -r -F
complete -c shmctl -n "__fish_shmctl_using_subcommand attach" -s t -l type -d 'The segment\'s type (for --set)' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand attach" -l set -d 'Write FIELD=VALUE (repeatable; implies --rw): integers in range, strings that fit with their NUL, true/false, enum names. Nothing is written unless every value fits' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand attach" -l ipc-ns -d 'Work in another IPC namespace (a container\'s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand attach" -l hold -d 'Stay attached until SIGINT or SIGTERM, then detach (the default)'
complete -c shmctl -n "__fish_shmctl_using_subcommand attach" -l exec -d 'Stay attached while the command after `--` runs; exit with its status'
complete -c shmctl -n "__fish_shmctl_using_subcommand attach" -l rw -d 'Attach read-write (read-only otherwise)'
complete -c shmctl -n "__fish_shmctl_using_subcommand attach" -l force -d 'Attach even where kernel.shm_rmid_forced=1 would destroy an unattached segment at the detach'
complete -c shmctl -n "__fish_shmctl_using_subcommand attach" -l json -d 'Print JSON for scripts (for ls the same as --format json)'
complete -c shmctl -n "__fish_shmctl_using_subcommand attach" -s q -l quiet -d 'Print only what was asked for: no notes, no per-item success lines'
complete -c shmctl -n "__fish_shmctl_using_subcommand attach" -s v -l verbose -d 'Explain more: how segments were enumerated, what each step did'
complete -c shmctl -n "__fish_shmctl_using_subcommand attach" -s A -l all-namespaces -d 'Every IPC namespace on the machine, each container\'s and pod\'s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl\'s own'
complete -c shmctl -n "__fish_shmctl_using_subcommand attach" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c shmctl -n "__fish_shmctl_using_subcommand dump" -l color -d 'Colour the hex dump: auto (on a terminal, unless NO_COLOR is set), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c shmctl -n "__fish_shmctl_using_subcommand dump" -l offset -d 'Start at this offset (suffixes K, M …)' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand dump" -l length -d 'At most this many bytes (hex and raw)' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand dump" -l format -d 'hex (the default), raw, or with --schema table (the default) or json' -r -f -a "hex\t'offset, 16 bytes, ASCII (like hexdump -C); identical lines squeezed to `*`'
raw\t'the bytes themselves, for `> file`'
table\t'decoded fields (with --schema): Offset | Field | Type | Size | Value'
json\t''"
complete -c shmctl -n "__fish_shmctl_using_subcommand dump" -l schema -d 'Decode with the struct declarations of this C header (at most 16 MiB: a larger one is refused, exit 1)' -r -F
complete -c shmctl -n "__fish_shmctl_using_subcommand dump" -l debug-info -d 'Decode with a program\'s own DWARF instead of a header: FILE (its executable, shared library or separate .debug file), PID (its /proc/PID/exe), or auto (a process that has the segment attached, else its live creator); a stripped binary\'s debug file is found by build-id or .gnu_debuglink under --debug-root. Never fetched from a network' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand dump" -l debug-root -d 'Where separate debug files are installed (ROOT/.build-id/xx/….debug, ROOT/DIR/NAME)' -r -F
complete -c shmctl -n "__fish_shmctl_using_subcommand dump" -s t -l type -d 'The type to decode the segment as (with --schema or --debug-info)' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand dump" -l count -d 'Decode N consecutive records (an array of the type)' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand dump" -l expect -d 'Fail (exit 1) unless FIELD has VALUE, e.g. version=3 (repeatable)' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand dump" -l follow -d 'Keep watching: every INTERVAL (500ms, 2s; 10ms to 36525d) print only what changed (hex lines, or fields with --schema), until SIGINT/SIGTERM' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand dump" -l ipc-ns -d 'Work in another IPC namespace (a container\'s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand dump" -l no-squeeze -d 'Show identical lines instead of squeezing them to `*`'
complete -c shmctl -n "__fish_shmctl_using_subcommand dump" -l partial -d 'Decode what fits when the type is larger than the segment (never reading past it)'
complete -c shmctl -n "__fish_shmctl_using_subcommand dump" -l hex -d 'Integers in hex'
complete -c shmctl -n "__fish_shmctl_using_subcommand dump" -l force -d 'Attach even where kernel.shm_rmid_forced=1 would destroy an unattached segment'
complete -c shmctl -n "__fish_shmctl_using_subcommand dump" -l json -d 'Print JSON for scripts (for ls the same as --format json)'
complete -c shmctl -n "__fish_shmctl_using_subcommand dump" -s q -l quiet -d 'Print only what was asked for: no notes, no per-item success lines'
complete -c shmctl -n "__fish_shmctl_using_subcommand dump" -s v -l verbose -d 'Explain more: how segments were enumerated, what each step did'
complete -c shmctl -n "__fish_shmctl_using_subcommand dump" -s A -l all-namespaces -d 'Every IPC namespace on the machine, each container\'s and pod\'s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl\'s own'
complete -c shmctl -n "__fish_shmctl_using_subcommand dump" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c shmctl -n "__fish_shmctl_using_subcommand rm" -l kind -d 'With --all: these IPC kinds, comma-separated: shm, sem, msg, pshm, psem, pmq, or all' -r -f -a "shm\t''
sem\t''
msg\t''
pshm\t''
psem\t''
pmq\t''
all\t''"
complete -c shmctl -n "__fish_shmctl_using_subcommand rm" -l archive -d 'Before removing, save each object to DIR: a segment\'s or POSIX object\'s bytes, a queue\'s messages (copied, not received), a set\'s values; an object whose archive cannot be written is not removed' -r -F
complete -c shmctl -n "__fish_shmctl_using_subcommand rm" -l wait -d 'How long to wait for another shmctl run removing in the same IPC namespace to finish (0 = do not wait); then fail (exit 1) naming the run that holds the lock' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand rm" -l ipc-ns -d 'Work in another IPC namespace (a container\'s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand rm" -s a -l all -d 'Every object of the kinds --kind names (default shm) that the caller may remove (every one, as root), like `ipcrm --all`, through the same safe sequence: what is in use (attached, waited on, held open, a live last sender or receiver) is kept and listed with its reason unless --force. It does not judge whether creators are alive: that is `gc`\'s job'
complete -c shmctl -n "__fish_shmctl_using_subcommand rm" -s f -l force -d 'Also remove what is in use: attached segments (marked, they vanish at their last detach), semaphore sets with waiters, queues whose last sender or receiver lives, POSIX objects that are mapped or open'
complete -c shmctl -n "__fish_shmctl_using_subcommand rm" -s n -l dry-run -d 'Show what would be removed, remove nothing'
complete -c shmctl -n "__fish_shmctl_using_subcommand rm" -l drain -d 'With --archive: allow receiving a queue\'s messages where they cannot be copied (a POSIX queue, whose messages can only be read by taking them; a SysV queue on a kernel without MSG_COPY)'
complete -c shmctl -n "__fish_shmctl_using_subcommand rm" -l json -d 'Print JSON for scripts (for ls the same as --format json)'
complete -c shmctl -n "__fish_shmctl_using_subcommand rm" -s q -l quiet -d 'Print only what was asked for: no notes, no per-item success lines'
complete -c shmctl -n "__fish_shmctl_using_subcommand rm" -s v -l verbose -d 'Explain more: how segments were enumerated, what each step did'
complete -c shmctl -n "__fish_shmctl_using_subcommand rm" -s A -l all-namespaces -d 'Every IPC namespace on the machine, each container\'s and pod\'s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl\'s own'
complete -c shmctl -n "__fish_shmctl_using_subcommand rm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c shmctl -n "__fish_shmctl_using_subcommand gc" -l kind -d 'Only these IPC kinds, comma-separated: shm, sem, msg, pshm, psem, pmq, or all (default: shm)' -r -f -a "shm\t''
sem\t''
msg\t''
pshm\t''
psem\t''
pmq\t''
all\t''"
complete -c shmctl -n "__fish_shmctl_using_subcommand gc" -l user -d 'Only objects owned by USER (a name or a uid); an ordinary user\'s gc considers its own by default' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand gc" -l older-than -d 'Only objects with no activity (attach, detach, operation, send, receive, change) for DURATION (90s, 10m, 2h, 7d; at most 36525d, 100 years)' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand gc" -l exclude-key -d 'Never remove the object with this key (repeatable)' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand gc" -l archive -d 'Before removing, save each object to DIR: a segment\'s or POSIX object\'s bytes, a queue\'s messages (copied, not received), a set\'s values; an object whose archive cannot be written is not removed' -r -F
complete -c shmctl -n "__fish_shmctl_using_subcommand gc" -l wait -d 'How long to wait for another shmctl run removing in the same IPC namespace to finish (0 = do not wait); then fail (exit 1) naming the run that holds the lock' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand gc" -l ipc-ns -d 'Work in another IPC namespace (a container\'s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand gc" -s n -l dry-run -d 'Show what would be removed and why, remove nothing'
complete -c shmctl -n "__fish_shmctl_using_subcommand gc" -s y -l yes -d 'Remove without asking (needed when there is no terminal to ask on)'
complete -c shmctl -n "__fish_shmctl_using_subcommand gc" -l include-unknown -d 'Also remove what cannot be proven in use for want of evidence: a creator or last user that reads as pid 0 (another PID namespace), processes or tasks that cannot be inspected'
complete -c shmctl -n "__fish_shmctl_using_subcommand gc" -l drain -d 'With --archive: allow receiving a queue\'s messages where they cannot be copied (a POSIX queue, whose messages can only be read by taking them; a SysV queue on a kernel without MSG_COPY)'
complete -c shmctl -n "__fish_shmctl_using_subcommand gc" -l json -d 'Print JSON for scripts (for ls the same as --format json)'
complete -c shmctl -n "__fish_shmctl_using_subcommand gc" -s q -l quiet -d 'Print only what was asked for: no notes, no per-item success lines'
complete -c shmctl -n "__fish_shmctl_using_subcommand gc" -s v -l verbose -d 'Explain more: how segments were enumerated, what each step did'
complete -c shmctl -n "__fish_shmctl_using_subcommand gc" -s A -l all-namespaces -d 'Every IPC namespace on the machine, each container\'s and pod\'s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl\'s own'
complete -c shmctl -n "__fish_shmctl_using_subcommand gc" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c shmctl -n "__fish_shmctl_using_subcommand schema" -l debug-info -d 'Lay out the types of a program\'s DWARF instead of a header\'s: FILE (an executable, shared library or .debug file; a stripped one\'s debug file is found by build-id or .gnu_debuglink under --debug-root), or PID (its /proc/PID/exe)' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand schema" -l debug-root -d 'Where separate debug files are installed (ROOT/.build-id/xx/….debug, ROOT/DIR/NAME)' -r -F
complete -c shmctl -n "__fish_shmctl_using_subcommand schema" -l compare-debug-info -d 'Lay the --type out from the header and from FILE\'s DWARF and report every difference (a member missing, moved, resized, retyped, a bitfield moved, the size): exit 1 on any' -r -F
complete -c shmctl -n "__fish_shmctl_using_subcommand schema" -s t -l type -d 'Only this type (a struct/union tag or typedef name)' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand schema" -l target -d 'The ABI to lay out for (default: this machine\'s)' -r -f -a "x86_64\t''
aarch64\t''"
complete -c shmctl -n "__fish_shmctl_using_subcommand schema" -l check -d 'Compare the type\'s size with this segment\'s (needs --type when the file has several)' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand schema" -l ipc-ns -d 'Work in another IPC namespace (a container\'s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand schema" -l lint -d 'Report shared-memory pitfalls: pointers, types without a fixed width, implicit padding, bool and enum sizes, no version or magic field (exit 1 when any)'
complete -c shmctl -n "__fish_shmctl_using_subcommand schema" -l json -d 'Print JSON for scripts (for ls the same as --format json)'
complete -c shmctl -n "__fish_shmctl_using_subcommand schema" -s q -l quiet -d 'Print only what was asked for: no notes, no per-item success lines'
complete -c shmctl -n "__fish_shmctl_using_subcommand schema" -s v -l verbose -d 'Explain more: how segments were enumerated, what each step did'
complete -c shmctl -n "__fish_shmctl_using_subcommand schema" -s A -l all-namespaces -d 'Every IPC namespace on the machine, each container\'s and pod\'s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl\'s own'
complete -c shmctl -n "__fish_shmctl_using_subcommand schema" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c shmctl -n "__fish_shmctl_using_subcommand key" -l ipc-ns -d 'Work in another IPC namespace (a container\'s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand key" -l json -d 'Print JSON for scripts (for ls the same as --format json)'
complete -c shmctl -n "__fish_shmctl_using_subcommand key" -s q -l quiet -d 'Print only what was asked for: no notes, no per-item success lines'
complete -c shmctl -n "__fish_shmctl_using_subcommand key" -s v -l verbose -d 'Explain more: how segments were enumerated, what each step did'
complete -c shmctl -n "__fish_shmctl_using_subcommand key" -s A -l all-namespaces -d 'Every IPC namespace on the machine, each container\'s and pod\'s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl\'s own'
complete -c shmctl -n "__fish_shmctl_using_subcommand key" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c shmctl -n "__fish_shmctl_using_subcommand limits" -l ipc-ns -d 'Work in another IPC namespace (a container\'s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter' -r
complete -c shmctl -n "__fish_shmctl_using_subcommand limits" -s b -l bytes -d 'Sizes in bytes, not 4.0 KiB (as ipcs -l --bytes)'
complete -c shmctl -n "__fish_shmctl_using_subcommand limits" -l json -d 'Print JSON for scripts (for ls the same as --format json)'
complete -c shmctl -n "__fish_shmctl_using_subcommand limits" -s q -l quiet -d 'Print only what was asked for: no notes, no per-item success lines'
complete -c shmctl -n "__fish_shmctl_using_subcommand limits" -s v -l verbose -d 'Explain more: how segments were enumerated, what each step did'
complete -c shmctl -n "__fish_shmctl_using_subcommand limits" -s A -l all-namespaces -d 'Every IPC namespace on the machine, each container\'s and pod\'s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl\'s own'
complete -c shmctl -n "__fish_shmctl_using_subcommand limits" -s h -l help -d 'Print help (see more with \'--help\')'
