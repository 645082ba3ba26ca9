
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'shmctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'shmctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'shmctl' {
            [CompletionResult]::new('--ipc-ns', '--ipc-ns', [CompletionResultType]::ParameterName, 'Work in another IPC namespace (a container''s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON for scripts (for ls the same as --format json)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only what was asked for: no notes, no per-item success lines')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only what was asked for: no notes, no per-item success lines')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain more: how segments were enumerated, what each step did')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain more: how segments were enumerated, what each step did')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Every IPC namespace on the machine, each container''s and pod''s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl''s own')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Every IPC namespace on the machine, each container''s and pod''s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl''s own')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List shared memory segments (like `ipcs -m`), with the creator''s liveness; --all for every IPC kind')
            [CompletionResult]::new('stat', 'stat', [CompletionResultType]::ParameterValue, 'Show everything about IPC objects: every field, the processes behind them, liveness')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a segment (like `ipcmk -M`), or with --kind any other IPC object (`ipcmk -S/-Q`)')
            [CompletionResult]::new('attach', 'attach', [CompletionResultType]::ParameterValue, 'Attach to a segment and hold it (gc leaves it alone), run a command, or set fields')
            [CompletionResult]::new('dump', 'dump', [CompletionResultType]::ParameterValue, 'Show a segment''s bytes: hex, raw, or decoded field by field with a C header')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove IPC objects safely; ones in use only with --force (like `ipcrm`)')
            [CompletionResult]::new('gc', 'gc', [CompletionResultType]::ParameterValue, 'Remove orphaned segments: nothing attached, creator and last user proven dead (and, with --type, orphaned objects of the other kinds)')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Lay out C structs from a header exactly as gcc does (like pahole); lint; check a segment')
            [CompletionResult]::new('key', 'key', [CompletionResultType]::ParameterValue, 'Compute an ftok(3) key and show the bits it was made from')
            [CompletionResult]::new('limits', 'limits', [CompletionResultType]::ParameterValue, 'Show the system''s IPC limits and usage, every kind (like `ipcs -l`)')
            break
        }
        'shmctl;ls' {
            [CompletionResult]::new('--kind', '--kind', [CompletionResultType]::ParameterName, 'Only these IPC kinds, comma-separated: shm, sem, msg, pshm, psem, pmq, or all (default: shm)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Only objects owned by USER (a name or a uid); an ordinary user''s gc considers its own by default')
            [CompletionResult]::new('--older-than', '--older-than', [CompletionResultType]::ParameterName, 'Only objects with no activity (attach, detach, operation, send, receive, change) for DURATION (90s, 10m, 2h, 7d; at most 36525d, 100 years)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Only objects with this key (0x51, 81, or key:N; System V kinds)')
            [CompletionResult]::new('--pid', '--pid', [CompletionResultType]::ParameterName, 'Only objects PID created, last used, has attached, holds open or waits on')
            [CompletionResult]::new('--sort', '--sort', [CompletionResultType]::ParameterName, 'Sort each table by a column (its header name, case-insensitive); a leading `-` sorts in reverse (--sort=-size: largest first)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Columns of each table, comma-separated header names (case-insensitive); a leading + adds to the defaults; each kind''s table shows those it has. Columns: KEY, ID, NAME, OWNER, UID, GROUP, GID, CUID, CGID, PERMS, MODE, SIZE, NATTCH, STATUS, CPID, CREATOR, LPID, LAST, NSEMS, WAITERS, LAST-OP, MSGS, BYTES, SENDER, RECEIVER, VALUE, QSIZE, NOTIFY, HELD, AGE, IDLE, CTIME, ATIME, DTIME, OTIME, STIME, RTIME, MTIME, RSS, SWAP, ORPHAN, WHY')
            [CompletionResult]::new('--columns', '--columns', [CompletionResultType]::ParameterName, 'Columns of each table, comma-separated header names (case-insensitive); a leading + adds to the defaults; each kind''s table shows those it has. Columns: KEY, ID, NAME, OWNER, UID, GROUP, GID, CUID, CGID, PERMS, MODE, SIZE, NATTCH, STATUS, CPID, CREATOR, LPID, LAST, NSEMS, WAITERS, LAST-OP, MSGS, BYTES, SENDER, RECEIVER, VALUE, QSIZE, NOTIFY, HELD, AGE, IDLE, CTIME, ATIME, DTIME, OTIME, STIME, RTIME, MTIME, RSS, SWAP, ORPHAN, WHY')
            [CompletionResult]::new('--view', '--view', [CompletionResultType]::ParameterName, 'Named columns: pids (ipcs -p), times (ipcs -t), creators (ipcs -c), or summary, one line per kind (ipcs -u)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format (default: table)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write to FILE atomically (a temporary file renamed into place), mode 0644, e.g. into node_exporter''s textfile directory. FILE must be a regular file or absent: a symbolic link, device, FIFO, socket or directory is refused')
            [CompletionResult]::new('--ipc-ns', '--ipc-ns', [CompletionResultType]::ParameterName, 'Work in another IPC namespace (a container''s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Every kind: shm, then SysV semaphore sets and message queues, POSIX shared memory, named semaphores and message queues (one table per kind)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every kind: shm, then SysV semaphore sets and message queues, POSIX shared memory, named semaphores and message queues (one table per kind)')
            [CompletionResult]::new('--orphans', '--orphans', [CompletionResultType]::ParameterName, 'Only orphans: what gc would remove (for shm: nothing attached, creator and last user proven dead)')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Reverse the order of each table (with --sort, of its column; else the kernel''s)')
            [CompletionResult]::new('--reverse', '--reverse', [CompletionResultType]::ParameterName, 'Reverse the order of each table (with --sort, of its column; else the kernel''s)')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Sizes in bytes, not 4.0 KiB (as lsipc -b, ipcs --bytes)')
            [CompletionResult]::new('--bytes', '--bytes', [CompletionResultType]::ParameterName, 'Sizes in bytes, not 4.0 KiB (as lsipc -b, ipcs --bytes)')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Every column even on a narrow terminal (a table on a terminal leaves out the columns that would wrap its rows, and says which)')
            [CompletionResult]::new('--wide', '--wide', [CompletionResultType]::ParameterName, 'Every column even on a narrow terminal (a table on a terminal leaves out the columns that would wrap its rows, and says which)')
            [CompletionResult]::new('--no-headers', '--no-headers', [CompletionResultType]::ParameterName, 'Leave out the header lines (and the kinds'' titles)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON for scripts (for ls the same as --format json)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only what was asked for: no notes, no per-item success lines')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only what was asked for: no notes, no per-item success lines')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain more: how segments were enumerated, what each step did')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain more: how segments were enumerated, what each step did')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Every IPC namespace on the machine, each container''s and pod''s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl''s own')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Every IPC namespace on the machine, each container''s and pod''s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl''s own')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'shmctl;stat' {
            [CompletionResult]::new('--ipc-ns', '--ipc-ns', [CompletionResultType]::ParameterName, 'Work in another IPC namespace (a container''s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON for scripts (for ls the same as --format json)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only what was asked for: no notes, no per-item success lines')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only what was asked for: no notes, no per-item success lines')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain more: how segments were enumerated, what each step did')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain more: how segments were enumerated, what each step did')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Every IPC namespace on the machine, each container''s and pod''s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl''s own')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Every IPC namespace on the machine, each container''s and pod''s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl''s own')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'shmctl;create' {
            [CompletionResult]::new('--kind', '--kind', [CompletionResultType]::ParameterName, 'What to create: shm (a System V segment, the default), sem (a semaphore set), msg (a message queue), pshm (POSIX shared memory), psem (a named semaphore) or pmq (a POSIX message queue)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'shm and pshm: size in bytes; suffixes K/KiB (1024), KB (1000), M, G')
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'shm and pshm: size in bytes; suffixes K/KiB (1024), KB (1000), M, G')
            [CompletionResult]::new('--nsems', '--nsems', [CompletionResultType]::ParameterName, 'sem: the number of semaphores in the set (1 to kernel.sem''s SEMMSL)')
            [CompletionResult]::new('--value', '--value', [CompletionResultType]::ParameterName, 'sem and psem: the initial value of every semaphore (sem: at most kernel.sem''s SEMVMX, psem: at most SEM_VALUE_MAX); 0 without it')
            [CompletionResult]::new('--qbytes', '--qbytes', [CompletionResultType]::ParameterName, 'msg: the most bytes the queue may hold (msg_qbytes; above kernel.msgmnb needs CAP_SYS_RESOURCE); suffixes as for --size')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'pshm, psem, pmq: the object''s name, `/NAME` (one path component)')
            [CompletionResult]::new('--maxmsg', '--maxmsg', [CompletionResultType]::ParameterName, 'pmq: the most messages the queue holds (default fs.mqueue.msg_default)')
            [CompletionResult]::new('--msgsize', '--msgsize', [CompletionResultType]::ParameterName, 'pmq: the largest message in bytes (default fs.mqueue.msgsize_default); suffixes as for --size')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'System V kinds: create with this key (0x hex or decimal); an existing one is returned if big enough')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'System V kinds: create with this key (0x hex or decimal); an existing one is returned if big enough')
            [CompletionResult]::new('--ftok', '--ftok', [CompletionResultType]::ParameterName, 'System V kinds: create with the key ftok(PATH, PROJ) gives')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Permission bits, octal (POSIX objects get exactly these: the umask does not apply)')
            [CompletionResult]::new('--mode', '--mode', [CompletionResultType]::ParameterName, 'Permission bits, octal (POSIX objects get exactly these: the umask does not apply)')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Fill a new segment with this file''s bytes (size from the file unless --size is larger; at most kernel.shmmax). A pipe or device needs --size, and holding more is an error')
            [CompletionResult]::new('--from-archive', '--from-archive', [CompletionResultType]::ParameterName, 'Restore a segment saved by --archive (its .json): bytes, size, mode, owner, and the key if it is free (if not, only with --private, under a new private key)')
            [CompletionResult]::new('--ipc-ns', '--ipc-ns', [CompletionResultType]::ParameterName, 'Work in another IPC namespace (a container''s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter')
            [CompletionResult]::new('--private', '--private', [CompletionResultType]::ParameterName, 'System V kinds: create with IPC_PRIVATE, a new object that only its id names (the default)')
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'Fail if an object with the key or name exists (IPC_EXCL, O_EXCL)')
            [CompletionResult]::new('--exclusive', '--exclusive', [CompletionResultType]::ParameterName, 'Fail if an object with the key or name exists (IPC_EXCL, O_EXCL)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON for scripts (for ls the same as --format json)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only what was asked for: no notes, no per-item success lines')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only what was asked for: no notes, no per-item success lines')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain more: how segments were enumerated, what each step did')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain more: how segments were enumerated, what each step did')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Every IPC namespace on the machine, each container''s and pod''s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl''s own')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Every IPC namespace on the machine, each container''s and pod''s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl''s own')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'shmctl;attach' {
            [CompletionResult]::new('--schema', '--schema', [CompletionResultType]::ParameterName, 'The C header declaring the segment''s type (for --set; at most 16 MiB, exit 1 beyond)')
            [CompletionResult]::new('--debug-info', '--debug-info', [CompletionResultType]::ParameterName, 'Decode with a program''s own DWARF instead of a header: FILE (its executable, shared library or separate .debug file), PID (its /proc/PID/exe), or auto (a process that has the segment attached, else its live creator); a stripped binary''s debug file is found by build-id or .gnu_debuglink under --debug-root. Never fetched from a network')
            [CompletionResult]::new('--debug-root', '--debug-root', [CompletionResultType]::ParameterName, 'Where separate debug files are installed (ROOT/.build-id/xx/….debug, ROOT/DIR/NAME)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'The segment''s type (for --set)')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'The segment''s type (for --set)')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Write FIELD=VALUE (repeatable; implies --rw): integers in range, strings that fit with their NUL, true/false, enum names. Nothing is written unless every value fits')
            [CompletionResult]::new('--ipc-ns', '--ipc-ns', [CompletionResultType]::ParameterName, 'Work in another IPC namespace (a container''s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter')
            [CompletionResult]::new('--hold', '--hold', [CompletionResultType]::ParameterName, 'Stay attached until SIGINT or SIGTERM, then detach (the default)')
            [CompletionResult]::new('--exec', '--exec', [CompletionResultType]::ParameterName, 'Stay attached while the command after `--` runs; exit with its status')
            [CompletionResult]::new('--rw', '--rw', [CompletionResultType]::ParameterName, 'Attach read-write (read-only otherwise)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Attach even where kernel.shm_rmid_forced=1 would destroy an unattached segment at the detach')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON for scripts (for ls the same as --format json)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only what was asked for: no notes, no per-item success lines')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only what was asked for: no notes, no per-item success lines')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain more: how segments were enumerated, what each step did')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain more: how segments were enumerated, what each step did')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Every IPC namespace on the machine, each container''s and pod''s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl''s own')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Every IPC namespace on the machine, each container''s and pod''s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl''s own')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'shmctl;dump' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the hex dump: auto (on a terminal, unless NO_COLOR is set), always, never')
            [CompletionResult]::new('--offset', '--offset', [CompletionResultType]::ParameterName, 'Start at this offset (suffixes K, M …)')
            [CompletionResult]::new('--length', '--length', [CompletionResultType]::ParameterName, 'At most this many bytes (hex and raw)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'hex (the default), raw, or with --schema table (the default) or json')
            [CompletionResult]::new('--schema', '--schema', [CompletionResultType]::ParameterName, 'Decode with the struct declarations of this C header (at most 16 MiB: a larger one is refused, exit 1)')
            [CompletionResult]::new('--debug-info', '--debug-info', [CompletionResultType]::ParameterName, 'Decode with a program''s own DWARF instead of a header: FILE (its executable, shared library or separate .debug file), PID (its /proc/PID/exe), or auto (a process that has the segment attached, else its live creator); a stripped binary''s debug file is found by build-id or .gnu_debuglink under --debug-root. Never fetched from a network')
            [CompletionResult]::new('--debug-root', '--debug-root', [CompletionResultType]::ParameterName, 'Where separate debug files are installed (ROOT/.build-id/xx/….debug, ROOT/DIR/NAME)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'The type to decode the segment as (with --schema or --debug-info)')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'The type to decode the segment as (with --schema or --debug-info)')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Decode N consecutive records (an array of the type)')
            [CompletionResult]::new('--expect', '--expect', [CompletionResultType]::ParameterName, 'Fail (exit 1) unless FIELD has VALUE, e.g. version=3 (repeatable)')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep watching: every INTERVAL (500ms, 2s; 10ms to 36525d) print only what changed (hex lines, or fields with --schema), until SIGINT/SIGTERM')
            [CompletionResult]::new('--ipc-ns', '--ipc-ns', [CompletionResultType]::ParameterName, 'Work in another IPC namespace (a container''s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter')
            [CompletionResult]::new('--no-squeeze', '--no-squeeze', [CompletionResultType]::ParameterName, 'Show identical lines instead of squeezing them to `*`')
            [CompletionResult]::new('--partial', '--partial', [CompletionResultType]::ParameterName, 'Decode what fits when the type is larger than the segment (never reading past it)')
            [CompletionResult]::new('--hex', '--hex', [CompletionResultType]::ParameterName, 'Integers in hex')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Attach even where kernel.shm_rmid_forced=1 would destroy an unattached segment')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON for scripts (for ls the same as --format json)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only what was asked for: no notes, no per-item success lines')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only what was asked for: no notes, no per-item success lines')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain more: how segments were enumerated, what each step did')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain more: how segments were enumerated, what each step did')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Every IPC namespace on the machine, each container''s and pod''s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl''s own')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Every IPC namespace on the machine, each container''s and pod''s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl''s own')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'shmctl;rm' {
            [CompletionResult]::new('--kind', '--kind', [CompletionResultType]::ParameterName, 'With --all: these IPC kinds, comma-separated: shm, sem, msg, pshm, psem, pmq, or all')
            [CompletionResult]::new('--archive', '--archive', [CompletionResultType]::ParameterName, 'Before removing, save each object to DIR: a segment''s or POSIX object''s bytes, a queue''s messages (copied, not received), a set''s values; an object whose archive cannot be written is not removed')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'How long to wait for another shmctl run removing in the same IPC namespace to finish (0 = do not wait); then fail (exit 1) naming the run that holds the lock')
            [CompletionResult]::new('--ipc-ns', '--ipc-ns', [CompletionResultType]::ParameterName, 'Work in another IPC namespace (a container''s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Every object of the kinds --kind names (default shm) that the caller may remove (every one, as root), like `ipcrm --all`, through the same safe sequence: what is in use (attached, waited on, held open, a live last sender or receiver) is kept and listed with its reason unless --force. It does not judge whether creators are alive: that is `gc`''s job')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every object of the kinds --kind names (default shm) that the caller may remove (every one, as root), like `ipcrm --all`, through the same safe sequence: what is in use (attached, waited on, held open, a live last sender or receiver) is kept and listed with its reason unless --force. It does not judge whether creators are alive: that is `gc`''s job')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Also remove what is in use: attached segments (marked, they vanish at their last detach), semaphore sets with waiters, queues whose last sender or receiver lives, POSIX objects that are mapped or open')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Also remove what is in use: attached segments (marked, they vanish at their last detach), semaphore sets with waiters, queues whose last sender or receiver lives, POSIX objects that are mapped or open')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Show what would be removed, remove nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be removed, remove nothing')
            [CompletionResult]::new('--drain', '--drain', [CompletionResultType]::ParameterName, 'With --archive: allow receiving a queue''s messages where they cannot be copied (a POSIX queue, whose messages can only be read by taking them; a SysV queue on a kernel without MSG_COPY)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON for scripts (for ls the same as --format json)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only what was asked for: no notes, no per-item success lines')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only what was asked for: no notes, no per-item success lines')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain more: how segments were enumerated, what each step did')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain more: how segments were enumerated, what each step did')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Every IPC namespace on the machine, each container''s and pod''s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl''s own')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Every IPC namespace on the machine, each container''s and pod''s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl''s own')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'shmctl;gc' {
            [CompletionResult]::new('--kind', '--kind', [CompletionResultType]::ParameterName, 'Only these IPC kinds, comma-separated: shm, sem, msg, pshm, psem, pmq, or all (default: shm)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Only objects owned by USER (a name or a uid); an ordinary user''s gc considers its own by default')
            [CompletionResult]::new('--older-than', '--older-than', [CompletionResultType]::ParameterName, 'Only objects with no activity (attach, detach, operation, send, receive, change) for DURATION (90s, 10m, 2h, 7d; at most 36525d, 100 years)')
            [CompletionResult]::new('--exclude-key', '--exclude-key', [CompletionResultType]::ParameterName, 'Never remove the object with this key (repeatable)')
            [CompletionResult]::new('--archive', '--archive', [CompletionResultType]::ParameterName, 'Before removing, save each object to DIR: a segment''s or POSIX object''s bytes, a queue''s messages (copied, not received), a set''s values; an object whose archive cannot be written is not removed')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'How long to wait for another shmctl run removing in the same IPC namespace to finish (0 = do not wait); then fail (exit 1) naming the run that holds the lock')
            [CompletionResult]::new('--ipc-ns', '--ipc-ns', [CompletionResultType]::ParameterName, 'Work in another IPC namespace (a container''s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Show what would be removed and why, remove nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be removed and why, remove nothing')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Remove without asking (needed when there is no terminal to ask on)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Remove without asking (needed when there is no terminal to ask on)')
            [CompletionResult]::new('--include-unknown', '--include-unknown', [CompletionResultType]::ParameterName, 'Also remove what cannot be proven in use for want of evidence: a creator or last user that reads as pid 0 (another PID namespace), processes or tasks that cannot be inspected')
            [CompletionResult]::new('--drain', '--drain', [CompletionResultType]::ParameterName, 'With --archive: allow receiving a queue''s messages where they cannot be copied (a POSIX queue, whose messages can only be read by taking them; a SysV queue on a kernel without MSG_COPY)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON for scripts (for ls the same as --format json)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only what was asked for: no notes, no per-item success lines')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only what was asked for: no notes, no per-item success lines')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain more: how segments were enumerated, what each step did')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain more: how segments were enumerated, what each step did')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Every IPC namespace on the machine, each container''s and pod''s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl''s own')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Every IPC namespace on the machine, each container''s and pod''s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl''s own')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'shmctl;schema' {
            [CompletionResult]::new('--debug-info', '--debug-info', [CompletionResultType]::ParameterName, 'Lay out the types of a program''s DWARF instead of a header''s: FILE (an executable, shared library or .debug file; a stripped one''s debug file is found by build-id or .gnu_debuglink under --debug-root), or PID (its /proc/PID/exe)')
            [CompletionResult]::new('--debug-root', '--debug-root', [CompletionResultType]::ParameterName, 'Where separate debug files are installed (ROOT/.build-id/xx/….debug, ROOT/DIR/NAME)')
            [CompletionResult]::new('--compare-debug-info', '--compare-debug-info', [CompletionResultType]::ParameterName, 'Lay the --type out from the header and from FILE''s DWARF and report every difference (a member missing, moved, resized, retyped, a bitfield moved, the size): exit 1 on any')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Only this type (a struct/union tag or typedef name)')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Only this type (a struct/union tag or typedef name)')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'The ABI to lay out for (default: this machine''s)')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Compare the type''s size with this segment''s (needs --type when the file has several)')
            [CompletionResult]::new('--ipc-ns', '--ipc-ns', [CompletionResultType]::ParameterName, 'Work in another IPC namespace (a container''s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter')
            [CompletionResult]::new('--lint', '--lint', [CompletionResultType]::ParameterName, 'Report shared-memory pitfalls: pointers, types without a fixed width, implicit padding, bool and enum sizes, no version or magic field (exit 1 when any)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON for scripts (for ls the same as --format json)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only what was asked for: no notes, no per-item success lines')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only what was asked for: no notes, no per-item success lines')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain more: how segments were enumerated, what each step did')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain more: how segments were enumerated, what each step did')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Every IPC namespace on the machine, each container''s and pod''s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl''s own')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Every IPC namespace on the machine, each container''s and pod''s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl''s own')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'shmctl;key' {
            [CompletionResult]::new('--ipc-ns', '--ipc-ns', [CompletionResultType]::ParameterName, 'Work in another IPC namespace (a container''s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON for scripts (for ls the same as --format json)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only what was asked for: no notes, no per-item success lines')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only what was asked for: no notes, no per-item success lines')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain more: how segments were enumerated, what each step did')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain more: how segments were enumerated, what each step did')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Every IPC namespace on the machine, each container''s and pod''s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl''s own')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Every IPC namespace on the machine, each container''s and pod''s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl''s own')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'shmctl;limits' {
            [CompletionResult]::new('--ipc-ns', '--ipc-ns', [CompletionResultType]::ParameterName, 'Work in another IPC namespace (a container''s): a pid, or a namespace file like /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a mount namespace, which this does not enter')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Sizes in bytes, not 4.0 KiB (as ipcs -l --bytes)')
            [CompletionResult]::new('--bytes', '--bytes', [CompletionResultType]::ParameterName, 'Sizes in bytes, not 4.0 KiB (as ipcs -l --bytes)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON for scripts (for ls the same as --format json)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only what was asked for: no notes, no per-item success lines')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only what was asked for: no notes, no per-item success lines')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain more: how segments were enumerated, what each step did')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain more: how segments were enumerated, what each step did')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Every IPC namespace on the machine, each container''s and pod''s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl''s own')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Every IPC namespace on the machine, each container''s and pod''s (ls, stat, gc): found through /proc and bind-mounted namespace files, named by their cgroups, entered with setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl''s own')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
