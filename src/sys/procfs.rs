//! `/proc/sysvipc/shm` and the namespace's sysctls.
use rustc_hash::FxHashMap as HashMap;
use std::io;

use crate::model::{Segment, SegmentMemory};

const SYSVIPC_SHM: &str = "/proc/sysvipc/shm";

/// A line of /proc/sysvipc/shm that could not be read.
pub use super::sysvproc::ParseError;

/// One parsed line: the segment and its memory use (absent on kernels that print 14 columns).
pub type ProcLine = (Segment, Option<SegmentMemory>);

const SHM_COLUMNS: [&str; 14] = [
    "key", "shmid", "perms", "size", "cpid", "lpid", "nattch", "uid", "gid", "cuid", "cgid",
    "atime", "dtime", "ctime",
];

/// Parses the file by its header line (see [`super::sysvproc`]); `perms` is the whole mode,
/// including SHM_DEST/SHM_LOCKED.
pub fn parse_shm(text: &str) -> Result<Vec<ProcLine>, ParseError> {
    let table = super::sysvproc::table(SYSVIPC_SHM, text, &SHM_COLUMNS, &["rss", "swap"])?;
    let c = &table.columns;
    table
        .rows
        .iter()
        .map(|row| {
            let segment = Segment {
                key: row.key(c[0])?,
                id: row.num(c[1])?,
                mode: row.octal(c[2])?,
                size: row.num(c[3])?,
                cpid: row.num(c[4])?,
                lpid: row.num(c[5])?,
                nattch: row.num(c[6])?,
                uid: row.num(c[7])?,
                gid: row.num(c[8])?,
                cuid: row.num(c[9])?,
                cgid: row.num(c[10])?,
                atime: row.num(c[11])?,
                dtime: row.num(c[12])?,
                ctime: row.num(c[13])?,
            };
            let memory = match (table.optional[0], table.optional[1]) {
                (Some(rss), Some(swap)) => Some(SegmentMemory {
                    rss: row.num(rss)?,
                    swap: row.num(swap)?,
                }),
                _ => None,
            };
            Ok((segment, memory))
        })
        .collect()
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
/// Every process under `proc` (`/proc`, or a test's fake tree) but `skip` (our own): its pid
/// and its directory. The one walk of /proc every scan (attachers, holders, blocked tasks)
/// makes.
pub fn processes(
    proc: &std::path::Path,
    skip: i32,
) -> io::Result<impl Iterator<Item = (i32, std::path::PathBuf)>> {
    Ok(std::fs::read_dir(proc)?.flatten().filter_map(move |entry| {
        let pid = entry.file_name().to_str()?.parse::<i32>().ok()?;
        (pid != skip).then(|| (pid, entry.path()))
    }))
}

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
