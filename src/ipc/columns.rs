//! The columns of `ls`, as data: one definition each — header, the kinds that have it,
//! whether it is a number (right-aligned), its cell, its sort key — so that `--columns` and
//! `--sort` work for every kind and the help lists them from here.
use std::cmp::Ordering;

use super::{KeyHex, Kind, Liveness, Object, PidState, Record, Verdict};
use crate::units::{elapsed, Clock, HumanDuration, HumanSize, Perms, PushText};

const ALL: &[Kind] = &Kind::ALL;
const SYSV: &[Kind] = &[Kind::Shm, Kind::Sem, Kind::Msg];
const SHM: &[Kind] = &[Kind::Shm];
const SEM: &[Kind] = &[Kind::Sem];
const MSG: &[Kind] = &[Kind::Msg];
const POSIX: &[Kind] = &[Kind::Pshm, Kind::Psem, Kind::Pmq];

/// How cells are written: the clock that times and ages are shown against, and sizes exact
/// (`--bytes`, as `lsipc -b`) or for people (`4.0 KiB`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cells {
    pub clock: Clock,
    pub exact_sizes: bool,
}

impl Cells {
    pub fn new(clock: Clock) -> Cells {
        Cells {
            clock,
            exact_sizes: false,
        }
    }

    /// A size in bytes: `4096` with `--bytes`, else `4.0 KiB`.
    pub fn size(self, bytes: u64) -> String {
        let mut text = String::new();
        self.put_size(&mut text, bytes);
        text
    }

    /// [`Cells::size`] written into a cell.
    pub fn put_size(self, out: &mut String, bytes: u64) {
        if self.exact_sizes {
            put_int(out, bytes)
        } else {
            HumanSize(bytes).push_to(out)
        }
    }
}

/// How a column orders two records: numbers as numbers, the rest as text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortKey {
    Number(i128),
    Text(String),
}

pub struct Column {
    /// The header, which `--columns` and `--sort` name (case-insensitive).
    pub header: &'static str,
    pub kinds: &'static [Kind],
    /// Right-aligned.
    pub numeric: bool,
    /// Needs /proc/sysvipc/shm (rss, swap): read only when shown.
    pub needs_memory: bool,
    /// What a table shows (outside text escaped by the renderer), written as `cells` says.
    pub cell: fn(&Record, Cells, &mut String),
    pub key: fn(&Record) -> SortKey,
}

impl std::fmt::Debug for Column {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.header)
    }
}

impl PartialEq for Column {
    fn eq(&self, other: &Column) -> bool {
        self.header == other.header
    }
}

impl Column {
    pub fn has(&self, kind: Kind) -> bool {
        self.kinds.contains(&kind)
    }

    /// Shows (or sorts by) an orphan's evidence: the records must carry it.
    pub fn needs_evidence(&self) -> bool {
        self.header == "WHY"
    }

    /// Orders two records by this column; ties keep the kernel's order (a stable sort).
    pub fn compare(&self, a: &Record, b: &Record) -> Ordering {
        (self.key)(a).cmp(&(self.key)(b))
    }
}

fn num(v: impl Into<i128>) -> SortKey {
    SortKey::Number(v.into())
}

fn text(v: impl Into<String>) -> SortKey {
    SortKey::Text(v.into())
}

/// Writes a value's text into a cell.
fn put(out: &mut String, value: impl std::fmt::Display) {
    use std::fmt::Write;
    // Writing into a String cannot fail.
    let _ = write!(out, "{value}");
}

/// Writes an integer into a cell (itoa: the cell path formats 100,000 of them).
fn put_int(out: &mut String, value: impl itoa::Integer) {
    out.push_str(itoa::Buffer::new().format(value));
}

fn time_cell(unix: i64, clock: Clock) -> String {
    if unix == 0 {
        "-".to_string()
    } else {
        clock.wall_time(unix)
    }
}

/// A recorded pid as a cell: `6871 dead`, `0 unknown`, `never`.
fn pid_cell(p: &PidState) -> String {
    match p.state {
        Liveness::Never => "never".to_string(),
        Liveness::Unknown => "0 unknown".to_string(),
        state => format!("{} {}", p.pid, state.as_str()),
    }
}

/// The verdict in a word or two: evidence codes joined by `+`, or the reason's code.
pub fn why(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Orphan { evidence } => evidence
            .iter()
            .map(|e| e.code)
            .collect::<Vec<_>>()
            .join("+"),
        Verdict::Kept(reason) => reason.code.to_string(),
    }
}

/// Distinct holding processes; `?` marks a count that may be short.
fn held_cell(r: &Record) -> String {
    match (
        crate::objects::holding_processes(&r.holders),
        r.holders_complete,
    ) {
        (n, true) => n.to_string(),
        (0, false) => "?".to_string(),
        (n, false) => format!("{n}+?"),
    }
}

fn shm(r: &Record) -> Option<&crate::model::Segment> {
    match &r.object {
        Object::Shm(s) => Some(s),
        _ => None,
    }
}

fn posix(r: &Record) -> Option<&crate::objects::PosixObject> {
    match &r.object {
        Object::Posix(p) => Some(p),
        _ => None,
    }
}

/// The waiters a set, a queue or a named semaphore counts (None when unknown).
fn waiters(r: &Record) -> Option<u64> {
    match &r.object {
        Object::Sem(s) => s.waiters(),
        Object::Msg(_) => Some(r.waiters.len() as u64),
        Object::Posix(p) => p.semaphore.map(|v| u64::from(v.waiters)),
        Object::Shm(_) => None,
    }
}

fn or_question<T: ToString>(v: Option<T>) -> String {
    v.map_or("?".to_string(), |v| v.to_string())
}

/// A time of the object's, by its name (`atime`, `otime` …): 0 when it has none.
fn time_of(r: &Record, name: &str) -> i64 {
    match (&r.object, name) {
        (Object::Shm(s), "atime") => s.atime,
        (Object::Shm(s), "dtime") => s.dtime,
        (Object::Shm(s), "ctime") => s.ctime,
        (Object::Sem(s), "otime") => s.otime,
        (Object::Sem(s), "ctime") => s.ctime,
        (Object::Msg(q), "stime") => q.stime,
        (Object::Msg(q), "rtime") => q.rtime,
        (Object::Msg(q), "ctime") => q.ctime,
        (Object::Posix(p), "atime") => p.atime,
        (Object::Posix(p), "mtime") => p.mtime,
        (Object::Posix(p), "ctime") => p.ctime,
        _ => 0,
    }
}

macro_rules! time_column {
    ($header:literal, $name:literal, $kinds:expr) => {
        Column {
            header: $header,
            kinds: $kinds,
            numeric: true,
            needs_memory: false,
            cell: |r, cells, out| out.push_str(&time_cell(time_of(r, $name), cells.clock)),
            key: |r| num(time_of(r, $name)),
        }
    };
}

/// Every column, in the order the help lists them.
pub static COLUMNS: &[Column] = &[
    Column {
        header: "KEY",
        kinds: SYSV,
        numeric: false,
        needs_memory: false,
        cell: |r, _, out| {
            if let Some(k) = r.object.key() {
                KeyHex(k).push_to(out)
            }
        },
        key: |r| num(r.object.key().unwrap_or_default()),
    },
    Column {
        header: "ID",
        kinds: SYSV,
        numeric: true,
        needs_memory: false,
        cell: |r, _, out| {
            if let Some(id) = r.object.id() {
                put_int(out, id)
            }
        },
        key: |r| num(r.object.id().unwrap_or_default()),
    },
    Column {
        header: "NAME",
        kinds: POSIX,
        numeric: false,
        needs_memory: false,
        cell: |r, _, out| out.push_str(r.object.name().unwrap_or_default()),
        key: |r| text(r.object.name().unwrap_or_default()),
    },
    Column {
        header: "OWNER",
        kinds: ALL,
        numeric: false,
        needs_memory: false,
        cell: |r, _, out| match r.owner_name.as_deref() {
            Some(name) => out.push_str(name),
            None => put_int(out, r.object.owner().uid),
        },
        key: |r| text(r.owner_text()),
    },
    Column {
        header: "UID",
        kinds: ALL,
        numeric: true,
        needs_memory: false,
        cell: |r, _, out| put_int(out, r.object.owner().uid),
        key: |r| num(r.object.owner().uid),
    },
    Column {
        header: "GROUP",
        kinds: ALL,
        numeric: false,
        needs_memory: false,
        cell: |r, _, out| match r.group_name.as_deref() {
            Some(name) => out.push_str(name),
            None => put_int(out, r.object.owner().gid),
        },
        key: |r| text(r.group_text()),
    },
    Column {
        header: "GID",
        kinds: ALL,
        numeric: true,
        needs_memory: false,
        cell: |r, _, out| put_int(out, r.object.owner().gid),
        key: |r| num(r.object.owner().gid),
    },
    Column {
        header: "CUID",
        kinds: SYSV,
        numeric: true,
        needs_memory: false,
        cell: |r, _, out| put_int(out, r.object.owner().cuid),
        key: |r| num(r.object.owner().cuid),
    },
    Column {
        header: "CGID",
        kinds: SYSV,
        numeric: true,
        needs_memory: false,
        cell: |r, _, out| put_int(out, r.object.owner().cgid),
        key: |r| num(r.object.owner().cgid),
    },
    Column {
        header: "PERMS",
        kinds: ALL,
        numeric: false,
        needs_memory: false,
        cell: |r, _, out| Perms(r.object.perms()).push_to(out),
        key: |r| num(r.object.perms()),
    },
    Column {
        header: "MODE",
        kinds: ALL,
        numeric: true,
        needs_memory: false,
        cell: |r, _, out| put(out, format_args!("{:04o}", r.object.perms())),
        key: |r| num(r.object.perms()),
    },
    Column {
        header: "SIZE",
        kinds: &[Kind::Shm, Kind::Pshm, Kind::Psem],
        numeric: true,
        needs_memory: false,
        cell: |r, cells, out| cells.put_size(out, r.object.bytes()),
        key: |r| num(r.object.bytes()),
    },
    Column {
        header: "NATTCH",
        kinds: SHM,
        numeric: true,
        needs_memory: false,
        cell: |r, _, out| put_int(out, r.object.attachments()),
        key: |r| num(r.object.attachments()),
    },
    Column {
        header: "STATUS",
        kinds: SHM,
        numeric: false,
        needs_memory: false,
        cell: |r, _, out| match shm(r).map(|s| (s.is_marked_for_destruction(), s.is_locked())) {
            Some((true, true)) => out.push_str("dest,locked"),
            Some((true, false)) => out.push_str("dest"),
            Some((false, true)) => out.push_str("locked"),
            _ => out.push('-'),
        },
        key: |r| text(shm(r).map(|s| s.status().join(",")).unwrap_or_default()),
    },
    Column {
        header: "CPID",
        kinds: SHM,
        numeric: true,
        needs_memory: false,
        cell: |r, _, out| put_int(out, shm(r).map_or(0, |s| s.cpid)),
        key: |r| num(shm(r).map_or(0, |s| s.cpid)),
    },
    Column {
        header: "CREATOR",
        kinds: SHM,
        numeric: false,
        needs_memory: false,
        cell: |r, _, out| out.push_str(r.state("creator").as_str()),
        key: |r| text(r.state("creator").as_str()),
    },
    Column {
        header: "LPID",
        kinds: SHM,
        numeric: true,
        needs_memory: false,
        cell: |r, _, out| put_int(out, shm(r).map_or(0, |s| s.lpid)),
        key: |r| num(shm(r).map_or(0, |s| s.lpid)),
    },
    Column {
        header: "LAST",
        kinds: SHM,
        numeric: false,
        needs_memory: false,
        cell: |r, _, out| out.push_str(r.state("last_user").as_str()),
        key: |r| text(r.state("last_user").as_str()),
    },
    Column {
        header: "NSEMS",
        kinds: SEM,
        numeric: true,
        needs_memory: false,
        cell: |r, _, out| {
            if let Object::Sem(s) = &r.object {
                put_int(out, s.nsems)
            }
        },
        key: |r| match &r.object {
            Object::Sem(s) => num(s.nsems),
            _ => num(0),
        },
    },
    Column {
        header: "WAITERS",
        kinds: &[Kind::Sem, Kind::Msg, Kind::Psem],
        numeric: true,
        needs_memory: false,
        cell: |r, _, out| out.push_str(&or_question(waiters(r))),
        key: |r| num(waiters(r).unwrap_or_default()),
    },
    Column {
        header: "LAST-OP",
        kinds: SEM,
        numeric: false,
        needs_memory: false,
        cell: |r, _, out| {
            out.push_str(&{
                let last: Vec<String> = r.pids.iter().map(pid_cell).collect();
                if last.is_empty() {
                    "-".to_string()
                } else {
                    last.join(", ")
                }
            })
        },
        key: |r| text(r.pids.iter().map(pid_cell).collect::<Vec<_>>().join(",")),
    },
    Column {
        header: "MSGS",
        kinds: MSG,
        numeric: true,
        needs_memory: false,
        cell: |r, _, out| {
            if let Object::Msg(q) = &r.object {
                put_int(out, q.messages)
            }
        },
        key: |r| match &r.object {
            Object::Msg(q) => num(q.messages),
            _ => num(0),
        },
    },
    Column {
        header: "BYTES",
        kinds: MSG,
        numeric: true,
        needs_memory: false,
        cell: |r, _, out| put_int(out, r.object.bytes()),
        key: |r| num(r.object.bytes()),
    },
    Column {
        header: "SENDER",
        kinds: MSG,
        numeric: false,
        needs_memory: false,
        cell: |r, _, out| out.push_str(&r.pid("sender").map_or("-".to_string(), pid_cell)),
        key: |r| text(r.pid("sender").map_or(String::new(), pid_cell)),
    },
    Column {
        header: "RECEIVER",
        kinds: MSG,
        numeric: false,
        needs_memory: false,
        cell: |r, _, out| out.push_str(&r.pid("receiver").map_or("-".to_string(), pid_cell)),
        key: |r| text(r.pid("receiver").map_or(String::new(), pid_cell)),
    },
    Column {
        header: "VALUE",
        kinds: &[Kind::Psem],
        numeric: true,
        needs_memory: false,
        cell: |r, _, out| {
            out.push_str(&or_question(
                posix(r).and_then(|p| p.semaphore).map(|v| v.value),
            ))
        },
        key: |r| num(posix(r).and_then(|p| p.semaphore).map_or(0, |v| v.value)),
    },
    Column {
        header: "QSIZE",
        kinds: &[Kind::Pmq],
        numeric: true,
        needs_memory: false,
        cell: |r, _, out| {
            out.push_str(&or_question(
                posix(r).and_then(|p| p.queue).map(|q| q.qsize),
            ))
        },
        key: |r| num(posix(r).and_then(|p| p.queue).map_or(0, |q| q.qsize)),
    },
    Column {
        header: "NOTIFY",
        kinds: &[Kind::Pmq],
        numeric: true,
        needs_memory: false,
        cell: |r, _, out| match posix(r).and_then(|p| p.queue) {
            Some(q) if q.notify_pid != 0 => put_int(out, q.notify_pid),
            Some(_) => out.push('-'),
            None => out.push('?'),
        },
        key: |r| num(posix(r).and_then(|p| p.queue).map_or(0, |q| q.notify_pid)),
    },
    Column {
        header: "HELD",
        kinds: POSIX,
        numeric: true,
        needs_memory: false,
        cell: |r, _, out| out.push_str(&held_cell(r)),
        key: |r| num(r.holders.len() as u64),
    },
    Column {
        header: "AGE",
        kinds: ALL,
        numeric: true,
        needs_memory: false,
        cell: |r, cells, out| match &r.object {
            Object::Shm(s) => match s.creation_bound() {
                Some(t) => HumanDuration(elapsed(cells.clock.now, t)).push_to(out),
                None => out.push('-'),
            },
            o => HumanDuration(elapsed(cells.clock.now, o.created())).push_to(out),
        },
        // Oldest first: an earlier creation is a greater age.
        key: |r| num(-i128::from(r.object.created())),
    },
    Column {
        header: "IDLE",
        kinds: ALL,
        numeric: true,
        needs_memory: false,
        cell: |r, cells, out| {
            HumanDuration(elapsed(cells.clock.now, r.object.last_activity())).push_to(out)
        },
        key: |r| num(-i128::from(r.object.last_activity())),
    },
    time_column!("CTIME", "ctime", ALL),
    time_column!(
        "ATIME",
        "atime",
        &[Kind::Shm, Kind::Pshm, Kind::Psem, Kind::Pmq]
    ),
    time_column!("DTIME", "dtime", SHM),
    time_column!("OTIME", "otime", SEM),
    time_column!("STIME", "stime", MSG),
    time_column!("RTIME", "rtime", MSG),
    time_column!("MTIME", "mtime", POSIX),
    Column {
        header: "RSS",
        kinds: SHM,
        numeric: true,
        needs_memory: true,
        cell: |r, cells, out| match r.memory {
            Some(m) => cells.put_size(out, m.rss),
            None => out.push('-'),
        },
        key: |r| num(r.memory.map_or(0, |m| m.rss)),
    },
    Column {
        header: "SWAP",
        kinds: SHM,
        numeric: true,
        needs_memory: true,
        cell: |r, cells, out| match r.memory {
            Some(m) => cells.put_size(out, m.swap),
            None => out.push('-'),
        },
        key: |r| num(r.memory.map_or(0, |m| m.swap)),
    },
    Column {
        header: "ORPHAN",
        kinds: ALL,
        numeric: false,
        needs_memory: false,
        cell: |r, _, out| out.push_str(if r.verdict.is_orphan() { "yes" } else { "no" }),
        // Orphans first.
        key: |r| num(i128::from(!r.verdict.is_orphan())),
    },
    Column {
        header: "WHY",
        kinds: ALL,
        numeric: false,
        needs_memory: false,
        cell: |r, _, out| out.push_str(&why(&r.verdict)),
        key: |r| text(why(&r.verdict)),
    },
];

/// The columns a kind's table shows by default.
pub fn defaults(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Shm => &[
            "KEY", "ID", "OWNER", "PERMS", "SIZE", "NATTCH", "STATUS", "CPID", "CREATOR", "LPID",
            "AGE",
        ],
        Kind::Sem => &[
            "KEY", "ID", "OWNER", "PERMS", "NSEMS", "WAITERS", "LAST-OP", "IDLE", "ORPHAN",
        ],
        Kind::Msg => &[
            "KEY", "ID", "OWNER", "PERMS", "MSGS", "BYTES", "SENDER", "RECEIVER", "IDLE", "ORPHAN",
        ],
        Kind::Pshm => &["NAME", "OWNER", "PERMS", "SIZE", "HELD", "IDLE", "ORPHAN"],
        Kind::Psem => &[
            "NAME", "OWNER", "PERMS", "VALUE", "WAITERS", "HELD", "IDLE", "ORPHAN",
        ],
        Kind::Pmq => &[
            "NAME", "OWNER", "PERMS", "QSIZE", "NOTIFY", "HELD", "IDLE", "ORPHAN",
        ],
    }
}

/// The column with this header (case-insensitive).
pub fn find(name: &str) -> Result<&'static Column, String> {
    COLUMNS
        .iter()
        .find(|c| c.header.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| format!("unknown column `{name}`; columns: {}", names().join(", ")))
}

/// Every header, for the help and for error messages.
pub fn names() -> Vec<&'static str> {
    COLUMNS.iter().map(|c| c.header).collect()
}

/// `--sort COLUMN` or `--sort=-COLUMN` (reversed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sort {
    pub column: &'static Column,
    pub reverse: bool,
}

impl Sort {
    pub fn parse(text: &str) -> Result<Sort, String> {
        match text.strip_prefix('-') {
            Some(name) => find(name).map(|column| Sort {
                column,
                reverse: true,
            }),
            None => find(text).map(|column| Sort {
                column,
                reverse: false,
            }),
        }
    }
}

/// Sorts one kind's records by `sort` (a stable sort: ties keep the kernel's order, reversed
/// or not), then reverses the whole when `reverse` (`--reverse`) says so.
pub fn order(records: &mut [Record], sort: Option<Sort>, reverse: bool) {
    match sort {
        Some(s) if s.reverse != reverse => records.sort_by(|a, b| s.column.compare(b, a)),
        Some(s) => records.sort_by(|a, b| s.column.compare(a, b)),
        None if reverse => records.reverse(),
        None => {}
    }
}

/// The named column sets of `ls --view` (`ipcs -p`, `-t`, `-c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Pids,
    Times,
    Creators,
}

/// The columns of `preset` for `kind`'s table.
pub fn preset(preset: Preset, kind: Kind) -> Vec<&'static Column> {
    let names: &[&str] = match (preset, kind) {
        (Preset::Pids, Kind::Shm) => &["KEY", "ID", "OWNER", "CPID", "CREATOR", "LPID", "LAST"],
        (Preset::Pids, Kind::Sem) => &["KEY", "ID", "OWNER", "LAST-OP", "WAITERS"],
        (Preset::Pids, Kind::Msg) => &["KEY", "ID", "OWNER", "SENDER", "RECEIVER", "WAITERS"],
        (Preset::Pids, Kind::Pmq) => &["NAME", "OWNER", "NOTIFY", "HELD"],
        (Preset::Pids, _) => &["NAME", "OWNER", "HELD"],
        (Preset::Times, Kind::Shm) => &["KEY", "ID", "OWNER", "ATIME", "DTIME", "CTIME"],
        (Preset::Times, Kind::Sem) => &["KEY", "ID", "OWNER", "OTIME", "CTIME"],
        (Preset::Times, Kind::Msg) => &["KEY", "ID", "OWNER", "STIME", "RTIME", "CTIME"],
        (Preset::Times, _) => &["NAME", "OWNER", "ATIME", "MTIME", "CTIME"],
        (Preset::Creators, Kind::Shm | Kind::Sem | Kind::Msg) => &[
            "KEY", "ID", "PERMS", "CUID", "CGID", "UID", "GID", "OWNER", "GROUP",
        ],
        (Preset::Creators, _) => &["NAME", "PERMS", "UID", "GID", "OWNER", "GROUP"],
    };
    names.iter().filter_map(|name| find(name).ok()).collect()
}

/// What `--columns LIST` asks for: the columns named (a leading `+` adds them to each
/// kind's defaults). Which of them a kind's table shows is [`for_kind`]'s business.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub extend: bool,
    pub columns: Vec<&'static Column>,
}

impl Choice {
    pub fn parse(list: &str) -> Result<Choice, String> {
        let (extend, list) = match list.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, list),
        };
        let mut columns: Vec<&'static Column> = Vec::new();
        for name in list.split(',').filter(|n| !n.trim().is_empty()) {
            let column = find(name)?;
            if !columns.contains(&column) {
                columns.push(column);
            }
        }
        if columns.is_empty() && !extend {
            return Err("no columns given".to_string());
        }
        Ok(Choice { extend, columns })
    }
}

/// The columns of `kind`'s table: the defaults (with WHY when orphans are listed), or the
/// choice — those of its columns the kind has.
pub fn for_kind(kind: Kind, choice: Option<&Choice>, why: bool) -> Vec<&'static Column> {
    let defaults = || -> Vec<&'static Column> {
        let mut columns: Vec<&'static Column> = defaults(kind)
            .iter()
            .filter_map(|name| find(name).ok())
            .collect();
        if why {
            columns.extend(find("WHY").ok());
        }
        columns
    };
    match choice {
        None => defaults(),
        Some(choice) => {
            let mut columns = if choice.extend {
                defaults()
            } else {
                Vec::new()
            };
            for &c in choice.columns.iter().filter(|c| c.has(kind)) {
                if !columns.contains(&c) {
                    columns.push(c);
                }
            }
            columns
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_header_is_found_and_every_default_exists() {
        for c in COLUMNS {
            assert_eq!(find(&c.header.to_lowercase()), Ok(c));
        }
        for kind in Kind::ALL {
            for name in defaults(kind) {
                let column = find(name).expect(name);
                assert!(column.has(kind), "{name} for {kind}");
            }
        }
    }

    #[test]
    fn choices_replace_or_extend_per_kind() {
        let choice = Choice::parse("key,Id,name").expect("choice");
        let sem: Vec<&str> = for_kind(Kind::Sem, Some(&choice), false)
            .iter()
            .map(|c| c.header)
            .collect();
        assert_eq!(sem, ["KEY", "ID"]);
        let pmq: Vec<&str> = for_kind(Kind::Pmq, Some(&choice), false)
            .iter()
            .map(|c| c.header)
            .collect();
        assert_eq!(pmq, ["NAME"]);
        let extended = Choice::parse("+rss,swap").expect("choice");
        let shm = for_kind(Kind::Shm, Some(&extended), false);
        assert_eq!(shm.len(), defaults(Kind::Shm).len() + 2);
        assert_eq!(shm.last().map(|c| c.header), Some("SWAP"));
        assert!(Choice::parse("key,bogus")
            .expect_err("bad")
            .contains("unknown column `bogus`"));
        assert!(Choice::parse("").is_err());
    }

    #[test]
    fn every_preset_column_exists_for_its_kind() {
        for p in [Preset::Pids, Preset::Times, Preset::Creators] {
            for kind in Kind::ALL {
                let columns = preset(p, kind);
                assert!(columns.len() >= 3, "{p:?} {kind}");
                for c in columns {
                    assert!(c.has(kind), "{p:?} {kind} {}", c.header);
                }
            }
        }
    }

    #[test]
    fn sorts_parse_with_a_leading_minus_for_reverse() {
        let size = Sort::parse("-size").expect("sort");
        assert_eq!((size.column.header, size.reverse), ("SIZE", true));
        let id = Sort::parse("Id").expect("sort");
        assert_eq!((id.column.header, id.reverse), ("ID", false));
        assert!(Sort::parse("-").is_err());
        assert!(Sort::parse("--size").is_err());
    }
}
