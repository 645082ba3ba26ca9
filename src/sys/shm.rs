//! System V shared memory syscalls: shmget, shmctl, shmat/shmdt.
// c_ulong and shmatt_t are u64 on LP64 but not on every target: keep the casts.
#![allow(clippy::unnecessary_cast)]
use std::mem::MaybeUninit;

use libc::c_int;

use super::slots::{self, Source};
use super::SysError;
use crate::model::{Segment, ShmLimits, ShmUsage};

// <linux/shm.h> commands the libc crate does not export for every target.
const IPC_INFO: c_int = 3;
const SHM_STAT: c_int = 13;
const SHM_INFO: c_int = 14;
const SHM_STAT_ANY: c_int = 15;

/// `struct shminfo` (IPC_INFO): all `unsigned long`.
#[repr(C)]
#[derive(Default)]
struct ShmInfoRaw {
    shmmax: libc::c_ulong,
    shmmin: libc::c_ulong,
    shmmni: libc::c_ulong,
    shmseg: libc::c_ulong,
    shmall: libc::c_ulong,
    unused: [libc::c_ulong; 4],
}

/// `struct shm_info` (SHM_INFO).
#[repr(C)]
#[derive(Default)]
struct ShmUsageRaw {
    used_ids: c_int,
    shm_tot: libc::c_ulong,
    shm_rss: libc::c_ulong,
    shm_swp: libc::c_ulong,
    swap_attempts: libc::c_ulong,
    swap_successes: libc::c_ulong,
}

fn shmctl(
    id: c_int,
    cmd: c_int,
    buf: *mut libc::shmid_ds,
    op: &'static str,
) -> Result<c_int, SysError> {
    // SAFETY: `buf` points to a live, writable buffer at least as large as the structure the
    // kernel writes for `cmd` (shmid_ds, or the larger-or-equal info structs cast by callers).
    let rc = unsafe { libc::shmctl(id, cmd, buf) };
    if rc < 0 {
        Err(SysError::last(op))
    } else {
        Ok(rc)
    }
}

fn segment_from(id: i32, ds: &libc::shmid_ds) -> Segment {
    let perm = &ds.shm_perm;
    Segment {
        id,
        key: perm.__key as u32,
        uid: perm.uid,
        gid: perm.gid,
        cuid: perm.cuid,
        cgid: perm.cgid,
        mode: super::perm_mode(perm.mode),
        size: ds.shm_segsz as u64,
        nattch: ds.shm_nattch as u64,
        cpid: ds.shm_cpid,
        lpid: ds.shm_lpid,
        atime: ds.shm_atime,
        dtime: ds.shm_dtime,
        ctime: ds.shm_ctime,
    }
}

fn stat_raw(id: c_int, cmd: c_int, op: &'static str) -> Result<(c_int, libc::shmid_ds), SysError> {
    let mut ds = MaybeUninit::<libc::shmid_ds>::zeroed();
    let rc = shmctl(id, cmd, ds.as_mut_ptr(), op)?;
    // SAFETY: the call succeeded, so the kernel filled the structure; it was zeroed before.
    Ok((rc, unsafe { ds.assume_init() }))
}

/// IPC_STAT: needs read permission on the segment (or CAP_IPC_OWNER).
fn ipc_stat(id: i32) -> Result<Segment, SysError> {
    let (_, ds) = stat_raw(id, libc::IPC_STAT, "shmctl(IPC_STAT)")?;
    Ok(segment_from(id, &ds))
}

/// SHM_STAT / SHM_STAT_ANY on a slot index; returns the full id the slot holds.
fn stat_slot(index: i32, any: bool) -> Result<Segment, SysError> {
    let (cmd, op) = if any {
        (SHM_STAT_ANY, "shmctl(SHM_STAT_ANY)")
    } else {
        (SHM_STAT, "shmctl(SHM_STAT)")
    };
    let (id, ds) = stat_raw(index, cmd, op)?;
    Ok(segment_from(id, &ds))
}

/// The fresh facts of one segment by id (see [`slots::stat`]).
pub fn stat(id: i32) -> Result<Segment, SysError> {
    slots::stat(
        id,
        "shmctl(IPC_STAT)",
        |index| stat_slot(index, true),
        |s| s.id,
        ipc_stat,
    )
}

/// SHM_INFO: usage counters, and the highest slot index in use (or -1).
pub fn usage() -> Result<(i32, ShmUsage), SysError> {
    let mut raw = ShmUsageRaw::default();
    let max_index = shmctl(
        0,
        SHM_INFO,
        (&mut raw as *mut ShmUsageRaw).cast(),
        "shmctl(SHM_INFO)",
    )?;
    Ok((
        max_index,
        ShmUsage {
            used_segments: raw.used_ids.max(0) as u64,
            used_pages: raw.shm_tot as u64,
            rss_pages: raw.shm_rss as u64,
            swap_pages: raw.shm_swp as u64,
        },
    ))
}

/// IPC_INFO: the namespace's limits.
pub fn limits() -> Result<ShmLimits, SysError> {
    let mut raw = ShmInfoRaw::default();
    shmctl(
        0,
        IPC_INFO,
        (&mut raw as *mut ShmInfoRaw).cast(),
        "shmctl(IPC_INFO)",
    )?;
    Ok(ShmLimits {
        max_segment_bytes: raw.shmmax as u64,
        min_segment_bytes: raw.shmmin as u64,
        max_segments: raw.shmmni as u64,
        max_segments_per_process: raw.shmseg as u64,
        max_total_pages: raw.shmall as u64,
    })
}

/// IPC_INFO's answer: the highest slot index in use (0 when none is).
fn highest_index() -> Result<i32, SysError> {
    let mut raw = ShmInfoRaw::default();
    shmctl(
        0,
        IPC_INFO,
        (&mut raw as *mut ShmInfoRaw).cast(),
        "shmctl(IPC_INFO)",
    )
}

/// Every segment of this IPC namespace, in slot order. The highest index comes from
/// IPC_INFO, which costs nothing, not SHM_INFO, which sums every segment's pages; SHM_INFO's
/// count is asked only when the highest slot did not answer.
pub fn enumerate() -> Result<(Vec<Segment>, Source), SysError> {
    enumerate_as(|s| s)
}

/// [`enumerate`], each segment wrapped as the caller keeps it (one vector, no second pass).
pub fn enumerate_as<T>(wrap: impl Fn(Segment) -> T) -> Result<(Vec<T>, Source), SysError> {
    let max_index = highest_index()?;
    let mut objects = Vec::with_capacity(slots::room(max_index));
    let source = each_up_to(max_index, &mut |segment| objects.push(wrap(segment)))?;
    Ok((objects, source))
}

/// [`enumerate`], each segment handed to `sink` as soon as its slot answers.
pub fn each(sink: &mut dyn FnMut(Segment)) -> Result<Source, SysError> {
    each_up_to(highest_index()?, sink)
}

fn each_up_to(max_index: i32, sink: &mut dyn FnMut(Segment)) -> Result<Source, SysError> {
    slots::each(
        max_index,
        slots::Expected::HighestInUse(|| Ok(usage()?.1.used_segments as usize)),
        stat_slot,
        super::procfs::read_segments,
        |s: &Segment| s.id,
        sink,
    )
}

/// shmget(2). `key` 0 is IPC_PRIVATE.
pub fn get(key: u32, size: u64, flags: c_int) -> Result<i32, SysError> {
    // SAFETY: shmget takes plain integers and touches no memory of ours.
    let id = unsafe { libc::shmget(key as libc::key_t, size as libc::size_t, flags) };
    if id < 0 {
        Err(SysError::last("shmget"))
    } else {
        Ok(id)
    }
}

/// IPC_SET: owner uid/gid and the permission bits (the kernel keeps only `mode & 0777`).
pub fn set_owner_mode(id: i32, uid: u32, gid: u32, mode: u32) -> Result<(), SysError> {
    // SAFETY: shmid_ds is plain integers, for which all-zero is a valid value; IPC_SET
    // reads only the three fields set below.
    let mut ds: libc::shmid_ds = unsafe { std::mem::zeroed() };
    ds.shm_perm.uid = uid;
    ds.shm_perm.gid = gid;
    ds.shm_perm.mode = super::perm_bits(mode);
    shmctl(id, libc::IPC_SET, &mut ds, "shmctl(IPC_SET)").map(drop)
}

/// IPC_RMID: destroys the segment, or marks it for destruction at its last detach.
pub fn remove(id: i32) -> Result<(), SysError> {
    shmctl(id, libc::IPC_RMID, std::ptr::null_mut(), "shmctl(IPC_RMID)").map(drop)
}

/// How an [`Attachment`] maps the segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Access {
    #[default]
    ReadOnly,
    ReadWrite,
}

/// A segment attached to this process; detached when dropped.
///
/// Attaching changes the segment's nattch, lpid and atime (and dtime on detach): callers
/// that only look should prefer reading through another process's mapping.
#[derive(Debug)]
pub struct Attachment {
    addr: *mut libc::c_void,
    len: usize,
    access: Access,
}

impl Attachment {
    /// shmat(2) at an address of the kernel's choosing. `len` is the segment's size.
    pub fn new(id: i32, len: u64, access: Access) -> Result<Attachment, SysError> {
        let flags = match access {
            Access::ReadOnly => libc::SHM_RDONLY,
            Access::ReadWrite => 0,
        };
        // SAFETY: a null address lets the kernel choose where to map; nothing of ours is
        // overwritten. The mapping stays valid until shmdt in Drop.
        let addr = unsafe { libc::shmat(id, std::ptr::null(), flags) };
        if addr as isize == -1 {
            return Err(SysError::last("shmat"));
        }
        let len = usize::try_from(len).map_err(|_| SysError::new("shmat", libc::EOVERFLOW))?;
        Ok(Attachment { addr, len, access })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    #[cfg(test)]
    pub fn access(&self) -> Access {
        self.access
    }

    /// Copies bytes from `offset` into `buf`; returns how many (0 at or past the end).
    /// Another process may be writing concurrently, so this copies rather than lending a
    /// slice whose contents could change under a Rust reference.
    pub fn read_at(&self, offset: usize, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.len.saturating_sub(offset));
        if n > 0 {
            self.populate(offset, n);
            // SAFETY: offset + n <= len, the segment's size, which the mapping covers; `buf`
            // has room for n bytes and cannot overlap the shared mapping.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    self.addr.cast::<u8>().add(offset),
                    buf.as_mut_ptr(),
                    n,
                )
            };
        }
        n
    }

    /// Maps the pages of `offset..offset + n` in one call (MADV_POPULATE_READ, Linux 5.14)
    /// before they are copied: a SysV segment's mapping faults its pages in one at a time
    /// (no fault-around), and a fault per 4 KiB was a sixth of a dump's time. Where the
    /// kernel cannot, the copy faults them in as before.
    fn populate(&self, offset: usize, n: usize) {
        let page = 4096;
        let start = offset / page * page;
        let end = offset.saturating_add(n).min(self.len);
        // SAFETY: madvise only maps pages of our own mapping, from its start (page
        // aligned, as shmat returns it) up to its end; it touches no memory of ours.
        unsafe {
            libc::madvise(
                self.addr.cast::<u8>().add(start).cast(),
                end - start,
                libc::MADV_POPULATE_READ,
            )
        };
    }

    /// Writes `bytes` at `offset`; fails with EACCES on a read-only attachment and with
    /// EFAULT when the range does not fit inside the segment.
    pub fn write_at(&mut self, offset: usize, bytes: &[u8]) -> Result<(), SysError> {
        if self.access != Access::ReadWrite {
            return Err(SysError::new("write to segment", libc::EACCES));
        }
        let end = offset.checked_add(bytes.len());
        if end.is_none_or(|end| end > self.len) {
            return Err(SysError::new("write to segment", libc::EFAULT));
        }
        // SAFETY: the range was checked to lie within the segment, which is mapped writable.
        unsafe {
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                self.addr.cast::<u8>().add(offset),
                bytes.len(),
            )
        };
        Ok(())
    }
}

impl Drop for Attachment {
    fn drop(&mut self) {
        // SAFETY: `addr` came from a successful shmat and is detached exactly once, here.
        unsafe { libc::shmdt(self.addr) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::sys::in_private_namespace;

    #[test]
    fn attachment_reads_writes_and_detaches_on_drop() {
        if !in_private_namespace("sys::shm::tests::attachment_reads_writes_and_detaches_on_drop") {
            return;
        }
        let id = get(0, 100, libc::IPC_CREAT | 0o600).expect("create");
        {
            let mut rw = Attachment::new(id, 100, Access::ReadWrite).expect("attach rw");
            assert_eq!(stat(id).expect("stat").nattch, 1);
            rw.write_at(10, b"hello").expect("write");
            assert_eq!(
                rw.write_at(98, b"abc").map_err(|e| e.errno()),
                Err(Some(libc::EFAULT)),
                "past the end"
            );

            let ro = Attachment::new(id, 100, Access::default()).expect("attach ro");
            assert_eq!(ro.access(), Access::ReadOnly);
            assert_eq!(stat(id).expect("stat").nattch, 2);
            let mut buf = [0u8; 8];
            assert_eq!(ro.read_at(8, &mut buf), 8);
            assert_eq!(&buf, b"\0\0hello\0");
            assert_eq!(ro.read_at(96, &mut buf), 4, "never past the segment");
            assert_eq!(ro.read_at(200, &mut buf), 0);
            let mut ro = ro;
            assert_eq!(
                ro.write_at(0, b"x").map_err(|e| e.errno()),
                Err(Some(libc::EACCES))
            );
        }
        let after = stat(id).expect("stat");
        assert_eq!(after.nattch, 0, "both detached on drop");
        assert!(after.dtime > 0);
        remove(id).expect("remove");
        assert!(stat(id).expect_err("gone").is_gone());
    }

    #[test]
    fn stat_by_id_rejects_stale_ids() {
        if !in_private_namespace("sys::shm::tests::stat_by_id_rejects_stale_ids") {
            return;
        }
        let first = get(0, 10, libc::IPC_CREAT | 0o600).expect("create");
        remove(first).expect("remove");
        assert!(stat(first).expect_err("removed").is_gone());
        let second = get(0, 10, libc::IPC_CREAT | 0o600).expect("create again");
        assert_eq!(stat(second).expect("fresh").id, second);
        // The same slot with another sequence number names no segment: SHM_STAT_ANY on the
        // slot finds `second`, whose full id differs, and IPC_STAT refuses the stale one.
        let stale = second + 0x8000;
        assert_eq!(stale & 0x7fff, second & 0x7fff);
        assert!(stat(stale).expect_err("stale").is_gone());
        let (all, source) = enumerate().expect("enumerate");
        assert_eq!(source, Source::StatAny);
        assert_eq!(all.iter().map(|s| s.id).collect::<Vec<_>>(), [second]);
    }
}
