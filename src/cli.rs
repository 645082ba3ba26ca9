//! The command line, as clap derive types only (they also feed man pages and completions).
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::ipc::select::{self, Selector};
use crate::units;

/// Inspect, decode and safely clean up System V shared memory.
#[derive(Debug, Parser)]
#[command(
    name = "shmctl",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(
    after_help = "Exit status: 0 success, 1 failure or refusal, 2 usage error, \
    3 no such segment, 4 permission denied."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Print JSON for scripts (for ls the same as --format json)
    #[arg(long, global = true)]
    pub json: bool,
    /// Print only what was asked for: no notes, no per-item success lines
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Explain more: how segments were enumerated, what each step did
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Work in another IPC namespace (a container's): a pid, or a namespace file like
    /// /proc/PID/ns/ipc (needs CAP_SYS_ADMIN). System V objects only: POSIX ones live in a
    /// mount namespace, which this does not enter
    #[arg(long, global = true, value_name = "PID|PATH")]
    pub ipc_ns: Option<String>,
    /// Every IPC namespace on the machine, each container's and pod's (ls, stat, gc): found
    /// through /proc and bind-mounted namespace files, named by their cgroups, entered with
    /// setns (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE). POSIX objects only in shmctl's own
    #[arg(short = 'A', long, global = true, conflicts_with = "ipc_ns")]
    pub all_namespaces: bool,
    /// `shmctl --color WHEN dump …`, as earlier versions took it: dump's own --color now
    #[arg(long, hide = true, value_enum, value_name = "WHEN")]
    pub color: Option<ColorChoice>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List shared memory segments (like `ipcs -m`), with the creator's liveness; --all for
    /// every IPC kind
    Ls(LsArgs),
    /// Show everything about IPC objects: every field, the processes behind them, liveness
    Stat(StatArgs),
    /// Create a segment (like `ipcmk -M`), or with --kind any other IPC object (`ipcmk -S/-Q`)
    Create(CreateArgs),
    /// Remove IPC objects safely; ones in use only with --force (like `ipcrm`)
    Rm(RmArgs),
    /// Remove orphaned segments: nothing attached, creator and last user proven dead (and,
    /// with --type, orphaned objects of the other kinds)
    Gc(GcArgs),
    /// Show a segment's bytes: hex, raw, or decoded field by field with a C header
    Dump(DumpArgs),
    /// Attach to a segment and hold it (gc leaves it alone), run a command, or set fields
    Attach(AttachArgs),
    /// Lay out C structs from a header exactly as gcc does (like pahole); lint; check a segment
    Schema(SchemaArgs),
    /// Compute an ftok(3) key and show the bits it was made from
    Key(KeyArgs),
    /// Write the man pages or shell completions into a directory (for packagers)
    #[command(hide = true)]
    Generate(GenerateArgs),
    /// Show the system's IPC limits and usage, every kind (like `ipcs -l`)
    Limits(LimitsArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for people (the default)
    Table,
    Json,
    /// node_exporter textfile metrics: counts and bytes per owner, orphans, limits
    Prometheus,
    /// Like `lsipc --raw`: cells separated by one space, blanks inside a cell as \x20
    Raw,
    /// Like `lsipc --export`: NAME="value" pairs, one object per line, for the shell's eval
    Export,
}

/// `ls --view`: the columns of `ipcs -p`, `-t`, `-c` and the totals of `ipcs -u`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum View {
    /// Who created and last used each object (`ipcs -p`)
    Pids,
    /// Every time each object records (`ipcs -t`)
    Times,
    /// Creator and owner, uids and gids (`ipcs -c`)
    Creators,
    /// One line per kind: objects, orphans, bytes, content (`ipcs -u`)
    Summary,
}

/// Which objects a listing or a clean-up considers (`ls`, `gc`).
#[derive(Debug, Clone, Args)]
pub struct Filters {
    /// Only these IPC kinds, comma-separated: shm, sem, msg, pshm, psem, pmq, or all
    /// (default: shm)
    #[arg(long = "kind", alias = "type", value_name = "KINDS", value_parser = kinds_parser(), hide_possible_values = true)]
    pub kinds: Option<crate::objects::Kinds>,
    /// Only objects owned by USER (a name or a uid); an ordinary user's gc considers its own
    /// by default
    #[arg(long, value_name = "USER", value_parser = crate::sys::users::parse_user)]
    pub user: Option<u32>,
    /// Only objects with no activity (attach, detach, operation, send, receive, change) for
    /// DURATION (90s, 10m, 2h, 7d; at most 36525d, 100 years)
    #[arg(long, value_name = "DURATION", value_parser = units::parse_duration)]
    pub older_than: Option<units::Age>,
}

/// How `rm` and `gc` remove: `--archive`, `--drain`, `--wait`.
#[derive(Debug, Clone, Args)]
pub struct Removing {
    /// Before removing, save each object to DIR: a segment's or POSIX object's bytes, a
    /// queue's messages (copied, not received), a set's values; an object whose archive
    /// cannot be written is not removed
    #[arg(long, value_name = "DIR")]
    pub archive: Option<PathBuf>,
    /// With --archive: allow receiving a queue's messages where they cannot be copied (a
    /// POSIX queue, whose messages can only be read by taking them; a SysV queue on a kernel
    /// without MSG_COPY)
    #[arg(long, requires = "archive")]
    pub drain: bool,
    /// How long to wait for another shmctl run removing in the same IPC namespace to finish
    /// (0 = do not wait); then fail (exit 1) naming the run that holds the lock
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_wait)]
    pub wait: std::time::Duration,
}

/// A value parser that also names the values a shell should complete (column headers,
/// kinds): the parsing stays `parse`'s, with its messages; the help does not list them
/// (each option's help says what it takes).
#[derive(Clone)]
pub struct Completing<P> {
    parse: P,
    values: fn() -> Vec<String>,
}

impl<P: clap::builder::TypedValueParser> clap::builder::TypedValueParser for Completing<P> {
    type Value = P::Value;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Self::Value, clap::Error> {
        self.parse.parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            (self.values)()
                .into_iter()
                .map(clap::builder::PossibleValue::new),
        ))
    }
}

/// `--sort`, `--columns`: the column headers, as a shell completes them (lower case).
fn column_values() -> Vec<String> {
    crate::ipc::columns::names()
        .iter()
        .map(|h| h.to_lowercase())
        .collect()
}

/// `--kind`: every kind, and `all` where a list is taken.
fn kind_values() -> Vec<String> {
    crate::objects::Kind::ALL
        .iter()
        .map(|k| k.as_str().to_string())
        .collect()
}

fn kinds_values() -> Vec<String> {
    let mut values = kind_values();
    values.push("all".to_string());
    values
}

fn sort_parser(
) -> Completing<impl clap::builder::TypedValueParser<Value = crate::ipc::columns::Sort>> {
    Completing {
        parse: crate::ipc::columns::Sort::parse,
        values: column_values,
    }
}

fn columns_parser(
) -> Completing<impl clap::builder::TypedValueParser<Value = crate::ipc::columns::Choice>> {
    Completing {
        parse: crate::ipc::columns::Choice::parse,
        values: column_values,
    }
}

fn kinds_parser() -> Completing<impl clap::builder::TypedValueParser<Value = crate::objects::Kinds>>
{
    Completing {
        parse: crate::objects::Kinds::parse,
        values: kinds_values,
    }
}

fn kind_parser() -> Completing<impl clap::builder::TypedValueParser<Value = crate::objects::Kind>> {
    Completing {
        parse: crate::objects::Kind::parse,
        values: kind_values,
    }
}

fn columns_help() -> String {
    format!(
        "Columns of each table, comma-separated header names (case-insensitive); a leading + \
         adds to the defaults; each kind's table shows those it has. Columns: {}",
        crate::ipc::columns::names().join(", ")
    )
}

#[derive(Debug, Clone, Args)]
pub struct LsArgs {
    /// Every kind: shm, then SysV semaphore sets and message queues, POSIX shared memory,
    /// named semaphores and message queues (one table per kind)
    #[arg(long, short, conflicts_with = "kinds")]
    pub all: bool,
    #[command(flatten)]
    pub filters: Filters,
    /// Only objects with this key (0x51, 81, or key:N; System V kinds)
    #[arg(long, value_name = "KEY", allow_hyphen_values = true,
          value_parser = select::parse_key_filter)]
    pub key: Option<u32>,
    /// Only objects PID created, last used, has attached, holds open or waits on
    #[arg(long, value_name = "PID", value_parser = clap::value_parser!(i32).range(1..))]
    pub pid: Option<i32>,
    /// Only orphans: what gc would remove (for shm: nothing attached, creator and last user
    /// proven dead)
    #[arg(long)]
    pub orphans: bool,
    /// Sort each table by a column (its header name, case-insensitive); a leading `-`
    /// sorts in reverse (--sort=-size: largest first)
    #[arg(long, value_name = "COLUMN", allow_hyphen_values = true,
          value_parser = sort_parser(), hide_possible_values = true)]
    pub sort: Option<crate::ipc::columns::Sort>,
    /// Reverse the order of each table (with --sort, of its column; else the kernel's)
    #[arg(long, short)]
    pub reverse: bool,
    #[arg(long, short = 'o', value_name = "LIST", help = columns_help(),
          value_parser = columns_parser(), hide_possible_values = true)]
    pub columns: Option<crate::ipc::columns::Choice>,
    /// Named columns: pids (ipcs -p), times (ipcs -t), creators (ipcs -c), or summary, one
    /// line per kind (ipcs -u)
    #[arg(long, value_enum, value_name = "VIEW", conflicts_with = "columns")]
    pub view: Option<View>,
    /// Sizes in bytes, not 4.0 KiB (as lsipc -b, ipcs --bytes)
    #[arg(long, short)]
    pub bytes: bool,
    /// Every column even on a narrow terminal (a table on a terminal leaves out the
    /// columns that would wrap its rows, and says which)
    #[arg(long, short)]
    pub wide: bool,
    /// Leave out the header lines (and the kinds' titles)
    #[arg(long)]
    pub no_headers: bool,
    /// Output format (default: table)
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write to FILE atomically (a temporary file renamed into place), mode 0644, e.g. into
    /// node_exporter's textfile directory. FILE must be a regular file or absent: a symbolic
    /// link, device, FIFO, socket or directory is refused
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct StatArgs {
    /// Objects: 42 (shm id), 0x5a00c062 or key:N (shm key), ftok:PATH:PROJ, sem:ID, msg:ID,
    /// pshm:NAME, psem:NAME, pmq:NAME
    #[arg(required = true, value_name = "SEG", value_parser = select::parse)]
    pub segments: Vec<Selector>,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("key_source").args(["key", "ftok", "private"]))]
pub struct CreateArgs {
    /// What to create: shm (a System V segment, the default), sem (a semaphore set), msg (a
    /// message queue), pshm (POSIX shared memory), psem (a named semaphore) or pmq (a POSIX
    /// message queue)
    #[arg(long, value_name = "KIND", value_parser = kind_parser(), hide_possible_values = true)]
    pub kind: Option<crate::objects::Kind>,
    /// shm and pshm: size in bytes; suffixes K/KiB (1024), KB (1000), M, G
    #[arg(long, short, value_name = "SIZE", value_parser = units::parse_size,
          required_unless_present_any = ["from_archive", "from", "kind"])]
    pub size: Option<u64>,
    /// sem: the number of semaphores in the set (1 to kernel.sem's SEMMSL)
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = parse_count)]
    pub nsems: Option<u64>,
    /// sem and psem: the initial value of every semaphore (sem: at most kernel.sem's SEMVMX,
    /// psem: at most SEM_VALUE_MAX); 0 without it
    #[arg(long, value_name = "V", allow_hyphen_values = true, value_parser = parse_value)]
    pub value: Option<u32>,
    /// msg: the most bytes the queue may hold (msg_qbytes; above kernel.msgmnb needs
    /// CAP_SYS_RESOURCE); suffixes as for --size
    #[arg(long, value_name = "SIZE", allow_hyphen_values = true, value_parser = parse_qbytes)]
    pub qbytes: Option<u64>,
    /// pshm, psem, pmq: the object's name, `/NAME` (one path component)
    #[arg(long, value_name = "/NAME")]
    pub name: Option<String>,
    /// pmq: the most messages the queue holds (default fs.mqueue.msg_default)
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = parse_count)]
    pub maxmsg: Option<u64>,
    /// pmq: the largest message in bytes (default fs.mqueue.msgsize_default); suffixes as for
    /// --size
    #[arg(long, value_name = "SIZE", allow_hyphen_values = true, value_parser = parse_qbytes)]
    pub msgsize: Option<u64>,
    /// System V kinds: create with this key (0x hex or decimal); an existing one is returned
    /// if big enough
    #[arg(long, short, value_name = "KEY", value_parser = parse_create_key)]
    pub key: Option<u32>,
    /// System V kinds: create with the key ftok(PATH, PROJ) gives
    #[arg(long, value_name = "PATH:PROJ", value_parser = parse_ftok)]
    pub ftok: Option<(PathBuf, u8)>,
    /// System V kinds: create with IPC_PRIVATE, a new object that only its id names (the
    /// default)
    #[arg(long)]
    pub private: bool,
    /// Permission bits, octal (POSIX objects get exactly these: the umask does not apply)
    #[arg(long, short, value_name = "MODE", default_value = "0600", value_parser = units::parse_mode)]
    pub mode: u32,
    /// Fail if an object with the key or name exists (IPC_EXCL, O_EXCL)
    #[arg(long, short = 'x')]
    pub exclusive: bool,
    /// Fill a new segment with this file's bytes (size from the file unless --size is larger;
    /// at most kernel.shmmax). A pipe or device needs --size, and holding more is an error
    #[arg(long, value_name = "FILE", conflicts_with = "from_archive")]
    pub from: Option<PathBuf>,
    /// Restore a segment saved by --archive (its .json): bytes, size, mode, owner, and the
    /// key if it is free (if not, only with --private, under a new private key)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["key", "ftok", "size", "mode", "exclusive", "kind"])]
    pub from_archive: Option<PathBuf>,
}

/// `--nsems`, `--maxmsg`: a whole number from 1.
fn parse_count(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(0) => Err("must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a whole number from 1")),
    }
}

/// `--value`: a whole number from 0.
fn parse_value(text: &str) -> Result<u32, String> {
    text.trim().parse::<u32>().map_err(|_| {
        format!(
            "`{text}` is not a semaphore value: a whole number from 0 to {}",
            i32::MAX
        )
    })
}

/// `--qbytes`, `--msgsize`: a size from 1 byte.
fn parse_qbytes(text: &str) -> Result<u64, String> {
    match units::parse_size(text)? {
        0 => Err("must be at least 1 byte".to_string()),
        n => Ok(n),
    }
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Objects: 42 (shm id), 0x5a00c062 or key:N (shm key), ftok:PATH:PROJ, sem:ID, msg:ID,
    /// sem:0xKEY, msg:key:N, pshm:NAME, psem:NAME, pmq:NAME
    #[arg(required_unless_present = "all", value_name = "SEG", value_parser = select::parse)]
    pub segments: Vec<Selector>,
    /// Every object of the kinds --kind names (default shm) that the caller may remove
    /// (every one, as root), like `ipcrm --all`, through the same safe sequence: what is in
    /// use (attached, waited on, held open, a live last sender or receiver) is kept and
    /// listed with its reason unless --force. It does not judge whether creators are alive:
    /// that is `gc`'s job
    #[arg(long, short = 'a', conflicts_with = "segments")]
    pub all: bool,
    /// With --all: these IPC kinds, comma-separated: shm, sem, msg, pshm, psem, pmq, or all
    #[arg(long = "kind", value_name = "KINDS", value_parser = kinds_parser(), hide_possible_values = true)]
    pub kinds: Option<crate::objects::Kinds>,
    /// Also remove what is in use: attached segments (marked, they vanish at their last
    /// detach), semaphore sets with waiters, queues whose last sender or receiver lives,
    /// POSIX objects that are mapped or open
    #[arg(long, short)]
    pub force: bool,
    /// Show what would be removed, remove nothing
    #[arg(long, short = 'n')]
    pub dry_run: bool,
    #[command(flatten)]
    pub removing: Removing,
}

#[derive(Debug, Clone, Args)]
pub struct GcArgs {
    /// Show what would be removed and why, remove nothing
    #[arg(long, short = 'n', conflicts_with = "yes")]
    pub dry_run: bool,
    /// Remove without asking (needed when there is no terminal to ask on)
    #[arg(long, short)]
    pub yes: bool,
    #[command(flatten)]
    pub filters: Filters,
    /// Never remove the object with this key (repeatable)
    #[arg(long, value_name = "KEY", value_parser = parse_exclude_key)]
    pub exclude_key: Vec<u32>,
    /// Also remove what cannot be proven in use for want of evidence: a creator or last user
    /// that reads as pid 0 (another PID namespace), processes or tasks that cannot be
    /// inspected
    #[arg(long)]
    pub include_unknown: bool,
    #[command(flatten)]
    pub removing: Removing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DumpFormat {
    /// offset, 16 bytes, ASCII (like hexdump -C); identical lines squeezed to `*`
    Hex,
    /// the bytes themselves, for `> file`
    Raw,
    /// decoded fields (with --schema): Offset | Field | Type | Size | Value
    Table,
    Json,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("decoder").args(["schema", "debug_info"])))]
pub struct DumpArgs {
    /// The segment: 42 (id), 0x5a00c062 or key:N (key), ftok:PATH:PROJ
    #[arg(value_name = "SEG", value_parser = select::parse)]
    pub segment: Selector,
    /// Colour the hex dump: auto (on a terminal, unless NO_COLOR is set), always, never
    #[arg(long, value_enum, value_name = "WHEN")]
    pub color: Option<ColorChoice>,
    /// Start at this offset (suffixes K, M …)
    #[arg(long, value_name = "N", value_parser = units::parse_size, default_value = "0")]
    pub offset: u64,
    /// At most this many bytes (hex and raw)
    #[arg(long, value_name = "N", value_parser = units::parse_size)]
    pub length: Option<u64>,
    /// hex (the default), raw, or with --schema table (the default) or json
    #[arg(long, value_enum)]
    pub format: Option<DumpFormat>,
    /// Show identical lines instead of squeezing them to `*`
    #[arg(long)]
    pub no_squeeze: bool,
    /// Decode with the struct declarations of this C header (at most 16 MiB: a larger one
    /// is refused, exit 1)
    #[arg(long, value_name = "FILE", requires = "type_name")]
    pub schema: Option<PathBuf>,
    #[command(flatten)]
    pub debug: DebugInfoArgs,
    /// The type to decode the segment as (with --schema or --debug-info)
    #[arg(long = "type", short = 't', value_name = "TYPE", requires = "decoder")]
    pub type_name: Option<String>,
    /// Decode N consecutive records (an array of the type)
    #[arg(long, value_name = "N", default_value_t = 1, requires = "decoder")]
    pub count: u64,
    /// Decode what fits when the type is larger than the segment (never reading past it)
    #[arg(long, requires = "decoder")]
    pub partial: bool,
    /// Fail (exit 1) unless FIELD has VALUE, e.g. version=3 (repeatable)
    #[arg(long, value_name = "FIELD=VALUE", requires = "decoder")]
    pub expect: Vec<String>,
    /// Integers in hex
    #[arg(long)]
    pub hex: bool,
    /// Attach even where kernel.shm_rmid_forced=1 would destroy an unattached segment
    #[arg(long)]
    pub force: bool,
    /// Keep watching: every INTERVAL (500ms, 2s; 10ms to 36525d) print only what changed (hex
    /// lines, or fields with --schema), until SIGINT/SIGTERM
    #[arg(long, value_name = "INTERVAL", value_parser = units::parse_interval, conflicts_with = "expect")]
    pub follow: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("decoder").args(["schema", "debug_info"])))]
pub struct AttachArgs {
    /// The segment: 42 (id), 0x5a00c062 or key:N (key), ftok:PATH:PROJ
    #[arg(value_name = "SEG", value_parser = select::parse)]
    pub segment: Selector,
    /// Stay attached until SIGINT or SIGTERM, then detach (the default)
    #[arg(long, conflicts_with = "exec")]
    pub hold: bool,
    /// Stay attached while the command after `--` runs; exit with its status
    #[arg(long, requires = "command")]
    pub exec: bool,
    /// The command for --exec
    #[arg(last = true, value_name = "CMD", requires = "exec")]
    pub command: Vec<String>,
    /// Attach read-write (read-only otherwise)
    #[arg(long)]
    pub rw: bool,
    /// The C header declaring the segment's type (for --set; at most 16 MiB, exit 1 beyond)
    #[arg(long, value_name = "FILE", requires = "type_name")]
    pub schema: Option<PathBuf>,
    #[command(flatten)]
    pub debug: DebugInfoArgs,
    /// The segment's type (for --set)
    #[arg(long = "type", short = 't', value_name = "TYPE", requires = "decoder")]
    pub type_name: Option<String>,
    /// Write FIELD=VALUE (repeatable; implies --rw): integers in range, strings that fit with
    /// their NUL, true/false, enum names. Nothing is written unless every value fits.
    #[arg(long, value_name = "FIELD=VALUE", requires = "decoder")]
    pub set: Vec<String>,
    /// Attach even where kernel.shm_rmid_forced=1 would destroy an unattached segment at the
    /// detach
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TargetArg {
    #[value(name = "x86_64", alias = "x86-64")]
    X86_64,
    #[value(name = "aarch64", alias = "arm64")]
    Aarch64,
}

/// `--debug-info` and where separate debug files are looked for.
#[derive(Debug, Clone, Args)]
pub struct DebugInfoArgs {
    /// Decode with a program's own DWARF instead of a header: FILE (its executable, shared
    /// library or separate .debug file), PID (its /proc/PID/exe), or auto (a process that
    /// has the segment attached, else its live creator); a stripped binary's debug file is
    /// found by build-id or .gnu_debuglink under --debug-root. Never fetched from a network
    #[arg(long, value_name = "FILE|PID|auto", requires = "type_name")]
    pub debug_info: Option<String>,
    #[command(flatten)]
    pub root: DebugRoot,
}

/// `--debug-root`, wherever debug information is read.
#[derive(Debug, Clone, Args)]
pub struct DebugRoot {
    /// Where separate debug files are installed (ROOT/.build-id/xx/….debug, ROOT/DIR/NAME)
    #[arg(
        long = "debug-root",
        value_name = "DIR",
        env = "SHMCTL_DEBUG_ROOT",
        default_value = crate::debuginfo::find::DEFAULT_ROOT
    )]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// A C header with the struct declarations (system #includes are skipped; at most 16 MiB:
    /// a larger one is refused, exit 1)
    #[arg(required_unless_present = "debug_info", conflicts_with = "debug_info")]
    pub file: Option<PathBuf>,
    /// Lay out the types of a program's DWARF instead of a header's: FILE (an executable,
    /// shared library or .debug file; a stripped one's debug file is found by build-id or
    /// .gnu_debuglink under --debug-root), or PID (its /proc/PID/exe)
    #[arg(long, value_name = "FILE|PID", conflicts_with_all = ["target", "compare_debug_info"])]
    pub debug_info: Option<String>,
    #[command(flatten)]
    pub debug_root: DebugRoot,
    /// Lay the --type out from the header and from FILE's DWARF and report every difference
    /// (a member missing, moved, resized, retyped, a bitfield moved, the size): exit 1 on any
    #[arg(long, value_name = "FILE", requires = "type_name", conflicts_with_all = ["check", "lint"])]
    pub compare_debug_info: Option<PathBuf>,
    /// Only this type (a struct/union tag or typedef name)
    #[arg(long = "type", short = 't', value_name = "TYPE")]
    pub type_name: Option<String>,
    /// The ABI to lay out for (default: this machine's)
    #[arg(long, value_enum, value_name = "ARCH")]
    pub target: Option<TargetArg>,
    /// Compare the type's size with this segment's (needs --type when the file has several)
    #[arg(long, value_name = "SEG", value_parser = select::parse)]
    pub check: Option<Selector>,
    /// Report shared-memory pitfalls: pointers, types without a fixed width, implicit
    /// padding, bool and enum sizes, no version or magic field (exit 1 when any)
    #[arg(long, conflicts_with = "check")]
    pub lint: bool,
}

#[derive(Debug, Args)]
pub struct KeyArgs {
    /// An existing file or directory
    pub path: PathBuf,
    /// Project id: 1–255, 0x hex, or one character like A
    #[arg(value_parser = select::parse_proj)]
    pub proj: u8,
}

#[derive(Debug, Args)]
pub struct LimitsArgs {
    /// Sizes in bytes, not 4.0 KiB (as ipcs -l --bytes)
    #[arg(long, short)]
    pub bytes: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Generated {
    /// shmctl.1 and one page per subcommand (shmctl-ls.1 …)
    Man,
    /// bash, zsh, fish, elvish and PowerShell
    Completions,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    pub what: Generated,
    /// The directory to write into (created if missing)
    pub dir: PathBuf,
}

/// Examples per subcommand: (command line, what it does). Shown by `--help` and in the
/// man pages' EXAMPLES.
pub const EXAMPLES: &[(&str, &[(&str, &str)])] = &[
    (
        "ls",
        &[
            (
                "shmctl ls",
                "every segment, with its creator's state (alive, dead, exited, reused, unknown)",
            ),
            (
                "shmctl ls --orphans",
                "what gc would remove, with the evidence",
            ),
            (
                "shmctl ls --user postgres --sort size",
                "one owner's segments, smallest first",
            ),
            (
                "shmctl ls --columns +RSS,SWAP,LAST --json",
                "more columns; JSON for scripts",
            ),
            (
                "shmctl ls --all",
                "every IPC kind: segments, semaphore sets, queues, /dev/shm, /dev/mqueue",
            ),
            (
                "shmctl ls --kind sem,pmq --orphans",
                "semaphore sets and POSIX queues nothing uses any more",
            ),
        ],
    ),
    (
        "stat",
        &[
            (
                "shmctl stat 32774",
                "every shmid_ds field, who is attached, whether the creator lives",
            ),
            (
                "shmctl stat ftok:/etc/myapp:A --json",
                "the segment ftok(\"/etc/myapp\", 'A') names",
            ),
            (
                "shmctl stat sem:3 pmq:/jobs",
                "each semaphore's value, last pid and waiters; a queue's state and holders",
            ),
        ],
    ),
    (
        "create",
        &[
            ("shmctl create --size 4K", "a private segment, mode 0600"),
            (
                "shmctl create --size 1MiB --key 0x5a00c062 --mode 0640",
                "a keyed one (returned if it exists)",
            ),
            (
                "shmctl create --from snapshot.bin",
                "a new segment holding a file's bytes",
            ),
            (
                "shmctl create --from-archive /var/tmp/shm/shm-5-0x00001f40.json",
                "restore an archived segment",
            ),
        ],
    ),
    (
        "attach",
        &[
            (
                "shmctl attach 42",
                "hold it (gc leaves it alone) until Ctrl-C",
            ),
            (
                "shmctl attach 42 --exec -- ./run-tests",
                "hold it while a command runs",
            ),
            (
                "shmctl attach 42 --schema shared.h --type SharedData --set ready=true",
                "set a field",
            ),
        ],
    ),
    (
        "dump",
        &[
            ("shmctl dump 42", "hex, like hexdump -C"),
            ("shmctl dump 42 --format raw > segment.bin", "the bytes"),
            (
                "shmctl dump 42 --schema shared.h --type SharedData",
                "every field decoded",
            ),
            (
                "shmctl dump 42 --schema shared.h --type SharedData --expect version=3",
                "fail unless version is 3",
            ),
            ("shmctl dump 42 --follow 500ms", "watch what changes"),
        ],
    ),
    (
        "rm",
        &[
            (
                "shmctl rm 42 0x5a00c062",
                "remove two segments, refusing attached ones",
            ),
            (
                "shmctl rm --force 42",
                "mark an attached one for destruction",
            ),
            (
                "shmctl rm --archive /var/tmp/shm 42",
                "save its bytes first",
            ),
            (
                "shmctl rm msg:5 pshm:/cache",
                "a message queue and a /dev/shm object, refused while in use",
            ),
        ],
    ),
    (
        "gc",
        &[
            ("shmctl gc --dry-run", "the orphans and why each is one"),
            (
                "shmctl gc --yes --older-than 1h --json",
                "remove them (for a timer or CI)",
            ),
            (
                "shmctl gc --yes --user ci --archive /var/tmp/shm",
                "one user's, archived first",
            ),
            (
                "shmctl gc --kind all --older-than 1d --dry-run",
                "every kind's orphans idle for a day",
            ),
        ],
    ),
    (
        "schema",
        &[
            (
                "shmctl schema shared.h",
                "every struct's layout, holes and padding, as gcc lays it out",
            ),
            (
                "shmctl schema shared.h --type SharedData --lint",
                "shared-memory pitfalls",
            ),
            (
                "shmctl schema shared.h --type SharedData --check 42",
                "does the segment have the type's size?",
            ),
            (
                "shmctl schema shared.h --target aarch64 --json",
                "the layout on another ABI",
            ),
        ],
    ),
    (
        "key",
        &[(
            "shmctl key /etc/myapp A",
            "the ftok(3) key and the bits it was made from",
        )],
    ),
    (
        "limits",
        &[(
            "shmctl limits --json",
            "limits and usage, \"unlimited\" as null",
        )],
    ),
];

/// The help text of a subcommand's examples.
pub fn examples_help(name: &str) -> Option<String> {
    let (_, examples) = EXAMPLES.iter().find(|(n, _)| *n == name)?;
    let mut text = String::from("Examples:\n");
    for (command, what) in examples.iter() {
        text.push_str(&format!("  {command}\n      {what}\n"));
    }
    Some(text)
}

/// The command line with the examples attached to each subcommand's `--help`.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    for (name, _) in EXAMPLES {
        if let Some(help) = examples_help(name) {
            cmd = cmd.mut_subcommand(*name, |sub| sub.after_long_help(help));
        }
    }
    cmd
}

fn parse_create_key(text: &str) -> Result<u32, String> {
    match select::parse(text) {
        Ok(Selector::Key(key)) => Ok(key),
        _ if text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty() => {
            match text.parse::<u32>() {
                Ok(0) => Err("key 0 is IPC_PRIVATE: use --private".to_string()),
                Ok(key) => Ok(key),
                Err(_) => Err(format!("`{text}` is not a 32-bit key")),
            }
        }
        Err(e) if e.contains("IPC_PRIVATE") => {
            Err("key 0 is IPC_PRIVATE: use --private".to_string())
        }
        _ => Err(format!(
            "`{text}` is not a key: use 0x hex (0x5a00c062) or decimal"
        )),
    }
}

/// gc's `--exclude-key`: a key as `create --key` takes it, but key 0 names no one object.
fn parse_exclude_key(text: &str) -> Result<u32, String> {
    parse_create_key(text).map_err(|e| match e.contains("IPC_PRIVATE") {
        true => "key 0 is IPC_PRIVATE, shared by every private object: it cannot name one to \
                 keep (gc keeps an object by its key; give a non-zero key)"
            .to_string(),
        false => e,
    })
}

fn parse_wait(text: &str) -> Result<std::time::Duration, String> {
    units::parse_duration(text).map(units::Age::as_duration)
}

fn parse_ftok(text: &str) -> Result<(PathBuf, u8), String> {
    let (path, proj) = text
        .rsplit_once(':')
        .ok_or_else(|| format!("`{text}` is not PATH:PROJ (a path, a colon, a project id)"))?;
    if path.is_empty() {
        return Err(format!("`{text}` has no PATH before the colon"));
    }
    let proj = select::parse_proj(proj)?;
    Ok((PathBuf::from(path), proj))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_configuration_is_valid() {
        Cli::command().debug_assert();
        command().debug_assert();
    }

    #[test]
    fn every_visible_subcommand_has_examples() {
        for sub in Cli::command()
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
        {
            assert!(
                examples_help(sub.get_name()).is_some(),
                "{} has no examples",
                sub.get_name()
            );
        }
    }

    #[test]
    fn create_keys() {
        assert_eq!(parse_create_key("0x10"), Ok(16));
        assert_eq!(parse_create_key("4242"), Ok(4242));
        assert!(parse_create_key("0")
            .expect_err("private")
            .contains("--private"));
        assert!(parse_create_key("0x0")
            .expect_err("private")
            .contains("--private"));
        assert!(parse_create_key("zz").is_err());
        assert_eq!(parse_ftok("/tmp:A"), Ok((PathBuf::from("/tmp"), 65)));
    }
}
