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

/// A small /proc file (stat, comm) read whole: one open and reads until the end, without
/// the metadata call and the growing probe reads of `fs::read_to_string` (a listing
/// probes thousands of pids). Not UTF-8 (a command name may be anything) is lossy.
pub fn read_small(path: impl AsRef<std::path::Path>) -> io::Result<String> {
    read_whole(path, 1024)
}

/// A /proc file read whole with reads of `chunk` bytes or more: a process's maps (tens of
/// lines) in two or three reads, not the dozen a growing buffer makes.
pub fn read_whole(path: impl AsRef<std::path::Path>, chunk: usize) -> io::Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut bytes = Vec::with_capacity(chunk);
    loop {
        if bytes.len() == bytes.capacity() {
            bytes.reserve(chunk.max(bytes.len()));
        }
        let start = bytes.len();
        let spare = bytes.capacity() - start;
        bytes.resize(start + spare, 0);
        let n = loop {
            match file.read(&mut bytes[start..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        bytes.truncate(start + n);
        if n == 0 {
            break;
        }
    }
    Ok(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
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

/// One line of `/proc/PID/mountinfo`: `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS…] -
/// FSTYPE SOURCE SUPEROPTIONS` (paths as the kernel escapes them, `\040` for a space).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mount<'a> {
    pub root: &'a str,
    pub point: &'a str,
    pub fstype: &'a str,
    pub super_options: &'a str,
}

/// The mounts of a mountinfo text, in its order; a line not of that shape is passed over.
pub fn mounts(mountinfo: &str) -> impl Iterator<Item = Mount<'_>> {
    mountinfo.lines().filter_map(|line| {
        let (mount, fs) = line.split_once(" - ")?;
        let mut fields = mount.split(' ');
        let root = fields.nth(3)?;
        let point = fields.next()?;
        let mut fs = fs.split(' ');
        let fstype = fs.next()?;
        Some(Mount {
            root,
            point,
            fstype,
            super_options: fs.nth(1).unwrap_or(""),
        })
    })
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

    #[test]
    fn small_files_are_read_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        let text = "x".repeat(5000) + "\u{e9}";
        std::fs::write(&path, &text).expect("write");
        assert_eq!(
            read_small(path.to_str().expect("utf-8")).expect("read"),
            text
        );
        std::fs::write(&path, b"comm (\xff)").expect("write");
        assert_eq!(
            read_small(path.to_str().expect("utf-8")).expect("read"),
            "comm (\u{fffd})"
        );
        assert!(read_small("/proc/self/stat").expect("stat").contains(')'));
        assert!(read_small(dir.path().join("missing").to_str().expect("utf-8")).is_err());
    }

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
