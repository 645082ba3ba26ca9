//! `/proc/sysvipc/shm` and the namespace's sysctls.
use std::collections::HashMap;
use std::io;

use crate::model::{Segment, SegmentMemory};

const SYSVIPC_SHM: &str = "/proc/sysvipc/shm";

/// A line of /proc/sysvipc/shm that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("/proc/sysvipc/shm line {line}: {problem}")]
pub struct ParseError {
    pub line: usize,
    pub problem: String,
}

/// One parsed line: the segment and its memory use (absent on kernels that print 14 columns).
pub type ProcLine = (Segment, Option<SegmentMemory>);

/// Parses the file by its header line, so that older kernels' column sets still read.
///
/// Traps handled: `key` is printed signed (0xdeadbeef as -559038737); `perms` is the whole
/// mode in octal including SHM_DEST/SHM_LOCKED; uids are full 32-bit values.
pub fn parse_shm(text: &str) -> Result<Vec<ProcLine>, ParseError> {
    let mut lines = text.lines().enumerate();
    let header: Vec<&str> = match lines.next() {
        Some((_, h)) => h.split_ascii_whitespace().collect(),
        None => return Ok(Vec::new()),
    };
    let column = |name: &str| header.iter().position(|h| *h == name);
    let required = |name: &str| {
        column(name).ok_or_else(|| ParseError {
            line: 1,
            problem: format!("no `{name}` column in the header"),
        })
    };
    let c_key = required("key")?;
    let c_id = required("shmid")?;
    let c_perms = required("perms")?;
    let c_size = required("size")?;
    let c_cpid = required("cpid")?;
    let c_lpid = required("lpid")?;
    let c_nattch = required("nattch")?;
    let c_uid = required("uid")?;
    let c_gid = required("gid")?;
    let c_cuid = required("cuid")?;
    let c_cgid = required("cgid")?;
    let c_atime = required("atime")?;
    let c_dtime = required("dtime")?;
    let c_ctime = required("ctime")?;
    let c_rss = column("rss");
    let c_swap = column("swap");

    let mut out = Vec::new();
    for (n, line) in lines {
        let fields: Vec<&str> = line.split_ascii_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let bad = |problem: String| ParseError {
            line: n + 1,
            problem,
        };
        let get = |c: usize| {
            fields
                .get(c)
                .copied()
                .ok_or_else(|| bad(format!("missing column {}", c + 1)))
        };
        macro_rules! num {
            ($c:expr, $t:ty) => {{
                let raw = get($c)?;
                raw.parse::<$t>()
                    .map_err(|_| bad(format!("`{raw}` is not a number")))?
            }};
        }
        let perms_raw = get(c_perms)?;
        let mode = u32::from_str_radix(perms_raw, 8)
            .map_err(|_| bad(format!("`{perms_raw}` is not octal")))?;
        let seg = Segment {
            key: num!(c_key, i32) as u32,
            id: num!(c_id, i32),
            mode,
            size: num!(c_size, u64),
            cpid: num!(c_cpid, i32),
            lpid: num!(c_lpid, i32),
            nattch: num!(c_nattch, u64),
            uid: num!(c_uid, u32),
            gid: num!(c_gid, u32),
            cuid: num!(c_cuid, u32),
            cgid: num!(c_cgid, u32),
            atime: num!(c_atime, i64),
            dtime: num!(c_dtime, i64),
            ctime: num!(c_ctime, i64),
        };
        let memory = match (c_rss, c_swap) {
            (Some(r), Some(s)) => Some(SegmentMemory {
                rss: num!(r, u64),
                swap: num!(s, u64),
            }),
            _ => None,
        };
        out.push((seg, memory));
    }
    Ok(out)
}

fn read_shm() -> io::Result<Vec<ProcLine>> {
    let text = std::fs::read_to_string(SYSVIPC_SHM)?;
    parse_shm(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Every segment, from /proc (the fallback enumeration).
pub fn read_segments() -> io::Result<Vec<Segment>> {
    Ok(read_shm()?.into_iter().map(|(seg, _)| seg).collect())
}

/// rss and swap of every segment, by id. Read only when they are shown.
pub fn read_memory() -> io::Result<HashMap<i32, SegmentMemory>> {
    Ok(read_shm()?
        .into_iter()
        .filter_map(|(seg, mem)| Some((seg.id, mem?)))
        .collect())
}

/// `kernel.shm_rmid_forced` of the namespace we are in (per IPC namespace).
pub fn shm_rmid_forced() -> io::Result<u32> {
    let text = std::fs::read_to_string("/proc/sys/kernel/shm_rmid_forced")?;
    text.trim()
        .parse()
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "shm_rmid_forced"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODERN: &str = "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap
 -559038737      32769  1600                  4096  1795  1800      2 100000   0     0     0 1795668480 1795668490 1795668470                  4096                     0
          0          3  3644                100000    12     0      1 65534 65534     0     0          0          0 1795668470                     0                  8192
";

    #[test]
    fn parses_signed_keys_full_modes_and_big_uids() {
        let rows = parse_shm(MODERN).expect("parses");
        assert_eq!(rows.len(), 2);
        let (seg, mem) = &rows[0];
        assert_eq!(seg.key, 0xdead_beef);
        assert_eq!(seg.id, 32769);
        assert_eq!(seg.mode, 0o1600);
        assert!(seg.is_marked_for_destruction());
        assert_eq!(seg.uid, 100_000);
        assert_eq!((seg.cpid, seg.lpid, seg.nattch), (1795, 1800, 2));
        assert_eq!(
            (seg.atime, seg.dtime, seg.ctime),
            (1795668480, 1795668490, 1795668470)
        );
        assert_eq!(*mem, Some(SegmentMemory { rss: 4096, swap: 0 }));
        let (seg, mem) = &rows[1];
        assert_eq!(seg.mode, 0o3644);
        assert!(seg.is_locked() && seg.is_marked_for_destruction());
        assert_eq!(mem.map(|m| m.swap), Some(8192));
    }

    #[test]
    fn old_kernels_without_rss_columns() {
        let text = "key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime\n\
                    1234 0 600 4096 10 0 0 0 0 0 0 0 0 100\n";
        let rows = parse_shm(text).expect("parses");
        assert_eq!(rows[0].0.key, 1234);
        assert_eq!(rows[0].1, None);
    }

    #[test]
    fn columns_found_by_name_not_position() {
        let text = "shmid key perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime\n\
                    7 99 600 4096 10 0 0 0 0 0 0 0 0 100\n";
        let rows = parse_shm(text).expect("parses");
        assert_eq!((rows[0].0.id, rows[0].0.key), (7, 99));
    }

    #[test]
    fn garbage_is_an_error_with_the_line() {
        let text = "key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime\n\
                    1234 0 9x9 4096 10 0 0 0 0 0 0 0 0 100\n";
        let err = parse_shm(text).expect_err("bad perms");
        assert_eq!(err.line, 2);
        assert!(err.problem.contains("octal"), "{err}");
        let err = parse_shm("key shmid\n").expect_err("short header");
        assert!(err.problem.contains("perms"));
    }

    #[test]
    fn empty_file_is_empty_list() {
        assert!(parse_shm("").expect("ok").is_empty());
        let header_only = MODERN.lines().next().expect("header");
        assert!(parse_shm(header_only).expect("ok").is_empty());
    }
}
