//! `/proc/sysvipc/sem` and `/proc/sysvipc/msg`: the fallback enumeration of semaphore sets
//! and message queues; and the reader of every `/proc/sysvipc` file (shm's too, in
//! [`super::procfs`]).
//!
//! Parsed by the header line, so that older kernels' column sets still read: `key` is
//! printed signed (0xdeadbeef as -559038737), `perms` in octal, uids as full 32-bit values.
use std::io;

use crate::objects::{MsgQueue, SemSet};

const SYSVIPC_SEM: &str = "/proc/sysvipc/sem";
const SYSVIPC_MSG: &str = "/proc/sysvipc/msg";

/// A line of /proc/sysvipc/sem or /proc/sysvipc/msg that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file} line {line}: {problem}")]
pub struct ParseError {
    pub file: &'static str,
    pub line: usize,
    pub problem: String,
}

/// One data line, split into fields, with typed access to the columns the header named.
pub(super) struct Row<'a> {
    file: &'static str,
    line: usize,
    fields: Vec<&'a str>,
}

impl Row<'_> {
    fn bad(&self, problem: String) -> ParseError {
        ParseError {
            file: self.file,
            line: self.line,
            problem,
        }
    }

    fn field(&self, column: usize) -> Result<&str, ParseError> {
        self.fields
            .get(column)
            .copied()
            .ok_or_else(|| self.bad(format!("missing column {}", column + 1)))
    }

    pub(super) fn num<T: std::str::FromStr>(&self, column: usize) -> Result<T, ParseError> {
        let raw = self.field(column)?;
        raw.parse()
            .map_err(|_| self.bad(format!("`{raw}` is not a number")))
    }

    /// `key` is printed as a signed int: reinterpret it as the u32 it is.
    pub(super) fn key(&self, column: usize) -> Result<u32, ParseError> {
        Ok(self.num::<i32>(column)? as u32)
    }

    pub(super) fn octal(&self, column: usize) -> Result<u32, ParseError> {
        let raw = self.field(column)?;
        u32::from_str_radix(raw, 8).map_err(|_| self.bad(format!("`{raw}` is not octal")))
    }
}

/// The columns of a file: where each required name is, where each optional one is (if the
/// kernel prints it), and the non-empty data rows.
pub(super) struct Table<'a> {
    pub columns: Vec<usize>,
    pub optional: Vec<Option<usize>>,
    pub rows: Vec<Row<'a>>,
}

/// Finds the columns by the header line; a required one missing is an error.
pub(super) fn table<'a>(
    file: &'static str,
    text: &'a str,
    names: &[&str],
    optional: &[&str],
) -> Result<Table<'a>, ParseError> {
    let mut lines = text.lines().enumerate();
    let header: Vec<&str> = match lines.next() {
        Some((_, h)) => h.split_ascii_whitespace().collect(),
        None => {
            return Ok(Table {
                columns: Vec::new(),
                optional: Vec::new(),
                rows: Vec::new(),
            })
        }
    };
    let columns = names
        .iter()
        .map(|name| {
            header
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| ParseError {
                    file,
                    line: 1,
                    problem: format!("no `{name}` column in the header"),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let optional = optional
        .iter()
        .map(|name| header.iter().position(|h| h == name))
        .collect();
    let rows = lines
        .map(|(n, line)| Row {
            file,
            line: n + 1,
            fields: line.split_ascii_whitespace().collect(),
        })
        .filter(|row| !row.fields.is_empty())
        .collect();
    Ok(Table {
        columns,
        optional,
        rows,
    })
}

const SEM_COLUMNS: [&str; 10] = [
    "key", "semid", "perms", "nsems", "uid", "gid", "cuid", "cgid", "otime", "ctime",
];

/// Parses /proc/sysvipc/sem. `sems` is None: the file does not show the semaphores.
pub fn parse_sem(text: &str) -> Result<Vec<SemSet>, ParseError> {
    let Table {
        columns: c, rows, ..
    } = table(SYSVIPC_SEM, text, &SEM_COLUMNS, &[])?;
    rows.iter()
        .map(|row| {
            Ok(SemSet {
                key: row.key(c[0])?,
                id: row.num(c[1])?,
                mode: row.octal(c[2])?,
                nsems: row.num(c[3])?,
                uid: row.num(c[4])?,
                gid: row.num(c[5])?,
                cuid: row.num(c[6])?,
                cgid: row.num(c[7])?,
                otime: row.num(c[8])?,
                ctime: row.num(c[9])?,
                sems: None,
            })
        })
        .collect()
}

const MSG_COLUMNS: [&str; 14] = [
    "key", "msqid", "perms", "cbytes", "qnum", "lspid", "lrpid", "uid", "gid", "cuid", "cgid",
    "stime", "rtime", "ctime",
];

/// Parses /proc/sysvipc/msg. The file has no qbytes column: `max_bytes` is 0.
pub fn parse_msg(text: &str) -> Result<Vec<MsgQueue>, ParseError> {
    let Table {
        columns: c, rows, ..
    } = table(SYSVIPC_MSG, text, &MSG_COLUMNS, &[])?;
    rows.iter()
        .map(|row| {
            Ok(MsgQueue {
                key: row.key(c[0])?,
                id: row.num(c[1])?,
                mode: row.octal(c[2])?,
                bytes: row.num(c[3])?,
                messages: row.num(c[4])?,
                lspid: row.num(c[5])?,
                lrpid: row.num(c[6])?,
                uid: row.num(c[7])?,
                gid: row.num(c[8])?,
                cuid: row.num(c[9])?,
                cgid: row.num(c[10])?,
                stime: row.num(c[11])?,
                rtime: row.num(c[12])?,
                ctime: row.num(c[13])?,
                max_bytes: 0,
            })
        })
        .collect()
}

fn invalid(e: ParseError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// Every semaphore set of the namespace we are in, from /proc.
pub fn read_sem() -> io::Result<Vec<SemSet>> {
    parse_sem(&std::fs::read_to_string(SYSVIPC_SEM)?).map_err(invalid)
}

/// Every message queue of the namespace we are in, from /proc (`max_bytes` 0).
pub fn read_msg() -> io::Result<Vec<MsgQueue>> {
    parse_msg(&std::fs::read_to_string(SYSVIPC_MSG)?).map_err(invalid)
}

/// Guard of the tests that create semaphore sets or message queues: the outer run
/// re-executes the test through `unshare --ipc` (see [`super::in_private_namespace`]); the
/// inner run refuses (panics) in the initial namespace or pid 1's, and unless `file`
/// (`/proc/sysvipc/sem` or `msg`) lists no object yet, so that the host's objects are never
/// touched and the counts the tests check are exact.
#[cfg(test)]
pub(crate) fn in_private_namespace(test: &str, file: &str) -> bool {
    // The outer run re-executes the test in a private IPC namespace; the inner run checks
    // that it really is one before it creates anything.
    if !super::in_private_namespace(test) {
        return false;
    }
    // The initial IPC namespace has a fixed inode number (PROC_IPC_INIT_INO); pid 1's link
    // is unreadable in some sandboxes, so it is only a second check.
    let ours = super::ipc_namespace_of("thread-self").expect("our IPC namespace");
    assert_ne!(
        ours, 0xEFFF_FFFF,
        "refusing: this is the initial IPC namespace"
    );
    if let Ok(init) = super::ipc_namespace_of("1") {
        assert_ne!(ours, init, "refusing: this is pid 1's IPC namespace");
    }
    let text = std::fs::read_to_string(file).expect("read /proc/sysvipc");
    assert_eq!(
        text.lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .count(),
        0,
        "refusing: {file} is not empty, this is not a fresh IPC namespace"
    );
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEM: &str =
        "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime
-1462666873          0   640          3     0     0     0     0          0 1795676568
 -559038737      32769   600        250 100000  1000     0     0 1795676600 1795676568
";

    const MSG: &str = "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime
-626345018          0   644           0          0     0     0     0     0     0     0          0          0 1795676568
 222951420      65537   620         300          3  4242  4243 100000 65534  1000  1001 1795676590 1795676595 1795676568
";

    #[test]
    fn sem_signed_keys_octal_perms_big_uids() {
        let sets = parse_sem(SEM).expect("parses");
        assert_eq!(sets.len(), 2);
        let first = &sets[0];
        assert_eq!(first.key, (-1462666873i32) as u32);
        assert_eq!((first.id, first.mode, first.nsems), (0, 0o640, 3));
        assert_eq!((first.otime, first.ctime), (0, 1795676568));
        assert_eq!(first.sems, None);
        let second = &sets[1];
        assert_eq!(second.key, 0xdead_beef);
        assert_eq!((second.id, second.nsems), (32769, 250));
        assert_eq!((second.uid, second.gid), (100_000, 1000));
        assert_eq!(second.otime, 1795676600);
    }

    #[test]
    fn msg_all_columns_and_no_qbytes() {
        let queues = parse_msg(MSG).expect("parses");
        assert_eq!(queues.len(), 2);
        assert_eq!(queues[0].key, (-626345018i32) as u32);
        assert_eq!(queues[0].mode, 0o644);
        let q = &queues[1];
        assert_eq!((q.key, q.id, q.mode), (222951420, 65537, 0o620));
        assert_eq!((q.bytes, q.messages, q.max_bytes), (300, 3, 0));
        assert_eq!((q.lspid, q.lrpid), (4242, 4243));
        assert_eq!((q.uid, q.gid, q.cuid, q.cgid), (100_000, 65534, 1000, 1001));
        assert_eq!(
            (q.stime, q.rtime, q.ctime),
            (1795676590, 1795676595, 1795676568)
        );
    }

    #[test]
    fn columns_found_by_name_not_position() {
        let sem = "semid key nsems perms ctime otime uid gid cuid cgid extra\n\
                   7 -1 2 600 100 50 1 2 3 4 9\n";
        let sets = parse_sem(sem).expect("parses");
        assert_eq!((sets[0].id, sets[0].key, sets[0].nsems), (7, u32::MAX, 2));
        assert_eq!((sets[0].otime, sets[0].ctime), (50, 100));
        assert_eq!((sets[0].cuid, sets[0].cgid), (3, 4));

        let msg = "msqid key perms qnum cbytes lrpid lspid uid gid cuid cgid ctime rtime stime\n\
                   3 99 600 1 10 20 21 0 0 0 0 300 200 100\n";
        let q = &parse_msg(msg).expect("parses")[0];
        assert_eq!((q.id, q.key, q.messages, q.bytes), (3, 99, 1, 10));
        assert_eq!((q.lspid, q.lrpid), (21, 20));
        assert_eq!((q.stime, q.rtime, q.ctime), (100, 200, 300));
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let bad = SEM.replace("  640 ", "  6x0 ");
        let err = parse_sem(&bad).expect_err("bad perms");
        assert_eq!((err.file, err.line), (SYSVIPC_SEM, 2));
        assert!(err.problem.contains("octal"), "{err}");

        let short = "key msqid perms cbytes qnum lspid lrpid uid gid cuid cgid stime rtime ctime\n\
                     1 2 600 0 0\n";
        let err = parse_msg(short).expect_err("short line");
        assert_eq!((err.file, err.line), (SYSVIPC_MSG, 2));
        assert!(err.problem.contains("missing column"), "{err}");

        let err = parse_msg("key msqid perms\n").expect_err("short header");
        assert!(err.problem.contains("cbytes"), "{err}");
        assert!(err.to_string().starts_with("/proc/sysvipc/msg line 1"));

        let err = parse_sem(
            "key semid perms nsems uid gid cuid cgid otime ctime\n1 x 600 1 0 0 0 0 0 0\n",
        )
        .expect_err("bad id");
        assert!(err.problem.contains("not a number"), "{err}");
    }

    #[test]
    fn empty_files_are_empty_lists() {
        assert!(parse_sem("").expect("ok").is_empty());
        assert!(parse_msg("").expect("ok").is_empty());
        let header = MSG.lines().next().expect("header");
        assert!(parse_msg(&format!("{header}\n\n")).expect("ok").is_empty());
    }
}
