//! Which processes have a segment attached now, from `/proc/*/maps`.
use rustc_hash::FxHashMap as HashMap;
use std::io;

use crate::model::Attacher;

/// A SysV shm line of /proc/PID/maps:
/// `7f15…-7f15… rw-s 00000000 00:01 32774  /SYSV5a00c062 (deleted)`.
/// The inode column is the full shmid; the device is not fixed, so it is not checked.
pub fn parse_maps_line(line: &str) -> Option<(i32, u64, u64, bool)> {
    let mut fields = line.split_ascii_whitespace();
    let range = fields.next()?;
    let perms = fields.next()?;
    let _offset = fields.next()?;
    let _device = fields.next()?;
    let inode = fields.next()?;
    let path = fields.next()?;
    if !path.starts_with("/SYSV") {
        return None;
    }
    let (start, end) = range.split_once('-')?;
    let start = u64::from_str_radix(start, 16).ok()?;
    let end = u64::from_str_radix(end, 16).ok()?;
    let shmid = inode.parse::<i32>().ok()?;
    Some((
        shmid,
        start,
        end.checked_sub(start)?,
        perms.as_bytes().get(1) == Some(&b'w'),
    ))
}

/// The attachments found, by shmid, and whether every process could be looked at.
#[derive(Debug, Default)]
pub struct AttachScan {
    pub by_id: HashMap<i32, Vec<Attacher>>,
    /// False when some process's maps or namespace could not be read (another user's
    /// process without CAP_SYS_PTRACE): the lists may then miss attachers.
    pub complete: bool,
}

impl AttachScan {
    pub fn attachers(&self, shmid: i32) -> &[Attacher] {
        self.by_id.get(&shmid).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Reads every process's maps once. Only processes in our IPC namespace count: a shmid is
/// unique per namespace, not per machine.
pub fn scan() -> io::Result<AttachScan> {
    let our_ns = super::ipc_namespace_of("self")?;
    let mut result = AttachScan {
        by_id: HashMap::default(),
        complete: true,
    };
    for (pid, dir) in super::procfs::processes(std::path::Path::new("/proc"), 0)? {
        // A leader that called pthread_exit has neither ns links nor maps: a live thread has.
        let dir = super::process::live_task_dir(&dir, pid);
        let ns = exited_is_none(
            std::fs::metadata(dir.join("ns/ipc")).map(|m| std::os::unix::fs::MetadataExt::ino(&m)),
        );
        let maps = exited_is_none(super::procfs::read_whole(dir.join("maps"), 16 * 1024));
        match (ns, maps) {
            (Ok(Some(ns)), Ok(Some(maps))) if ns == our_ns => {
                let mut comm = None;
                for line in maps.lines().filter(|l| l.contains("/SYSV")) {
                    let Some((shmid, address, length, writable)) = parse_maps_line(line) else {
                        continue;
                    };
                    let comm =
                        comm.get_or_insert_with(|| super::process::comm(pid).unwrap_or_default());
                    result.by_id.entry(shmid).or_default().push(Attacher {
                        pid,
                        comm: comm.clone(),
                        address,
                        length,
                        writable,
                    });
                }
            }
            (Ok(_), Ok(_)) => {} // another namespace, or the process exited
            _ => result.complete = false,
        }
    }
    Ok(result)
}

/// The shmids one process has attached (`ls --pid`): None when it is not in our IPC
/// namespace (its shmids name other segments) or has exited; an error when its maps cannot be
/// read (another user's process without CAP_SYS_PTRACE).
pub fn attached_by(pid: i32) -> io::Result<Option<Vec<i32>>> {
    let our_ns = super::ipc_namespace_of("self")?;
    let dir = std::path::PathBuf::from(format!("/proc/{pid}"));
    let dir = super::process::live_task_dir(&dir, pid);
    let ns = exited_is_none(
        std::fs::metadata(dir.join("ns/ipc")).map(|m| std::os::unix::fs::MetadataExt::ino(&m)),
    )?;
    if ns != Some(our_ns) {
        return Ok(None);
    }
    let Some(maps) = exited_is_none(super::procfs::read_whole(dir.join("maps"), 16 * 1024))? else {
        return Ok(None);
    };
    let mut ids: Vec<i32> = maps
        .lines()
        .filter_map(parse_maps_line)
        .map(|(shmid, ..)| shmid)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(Some(ids))
}

/// A process that exited while we looked is no error: it simply has nothing attached.
fn exited_is_none<T>(result: io::Result<T>) -> io::Result<Option<T>> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ESRCH) => {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sysv_lines_only() {
        let line = "7f15a0000000-7f15a0001000 rw-s 00000000 00:01 32774                      /SYSV5a00c062 (deleted)";
        assert_eq!(
            parse_maps_line(line),
            Some((32774, 0x7f15a0000000, 4096, true))
        );
        let ro = "7f15a0000000-7f15a0002000 r--s 00000000 00:05 0 /SYSV00000000 (deleted)";
        assert_eq!(parse_maps_line(ro), Some((0, 0x7f15a0000000, 8192, false)));
        let lib = "7f15a0000000-7f15a0001000 r-xp 00000000 08:01 1234 /usr/lib/libc.so.6";
        assert_eq!(parse_maps_line(lib), None);
        assert_eq!(
            parse_maps_line("7f15a0000000-7f15a0001000 rw-p 00000000 00:00 0"),
            None
        );
        assert_eq!(parse_maps_line("zz-7f rw-s 0 00:01 1 /SYSV00000001"), None);
    }
}
