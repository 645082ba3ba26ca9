//! System V semaphore sets: semctl.
//!
//! glibc's `semctl` is variadic (`union semun` as the fourth argument); every call here passes
//! a pointer there, which is how a `union semun` of pointer size travels on LP64 targets.
// c_ulong is u64 on LP64 but not on every target: keep the casts.
#![allow(clippy::unnecessary_cast)]
use std::mem::MaybeUninit;

use libc::{c_int, c_void};

use super::SysError;
use crate::objects::{SemLimits, SemSet, SemUsage, Semaphore};

use super::slots;
/// How the list of sets was obtained (the same three ways as for shared memory).
pub use super::slots::Source;

// <linux/sem.h> commands, numbered here as for shared memory in shm.rs.
const IPC_INFO: c_int = 3;
const GETPID: c_int = 11;
const GETNCNT: c_int = 14;
const GETZCNT: c_int = 15;
const GETALL: c_int = 13;
const SETALL: c_int = 17;
const SEM_STAT: c_int = 18;
const SEM_INFO: c_int = 19;
const SEM_STAT_ANY: c_int = 20;

/// `struct seminfo` (IPC_INFO and SEM_INFO): ten ints.
#[repr(C)]
#[derive(Default)]
struct SemInfoRaw {
    semmap: c_int,
    semmni: c_int,
    semmns: c_int,
    semmnu: c_int,
    semmsl: c_int,
    semopm: c_int,
    semume: c_int,
    semusz: c_int,
    semvmx: c_int,
    semaem: c_int,
}

/// semctl(2) with a pointer (or null) as the `union semun` argument.
fn semctl(
    id: c_int,
    semnum: c_int,
    cmd: c_int,
    arg: *mut c_void,
    op: &'static str,
) -> Result<c_int, SysError> {
    // SAFETY: `arg` is null for commands that ignore it, or points to a live, writable buffer
    // at least as large as what the kernel reads or writes for `cmd` (semid_ds, seminfo, or
    // the set's nsems unsigned shorts for GETALL and SETALL), as each caller below ensures.
    let rc = unsafe { libc::semctl(id, semnum, cmd, arg) };
    if rc < 0 {
        Err(SysError::last(op))
    } else {
        Ok(rc)
    }
}

fn set_from(id: i32, ds: &libc::semid_ds) -> SemSet {
    let perm = &ds.sem_perm;
    SemSet {
        id,
        key: perm.__key as u32,
        uid: perm.uid,
        gid: perm.gid,
        cuid: perm.cuid,
        cgid: perm.cgid,
        mode: super::perm_mode(perm.mode),
        nsems: ds.sem_nsems as u64,
        otime: ds.sem_otime,
        ctime: ds.sem_ctime,
        sems: None,
    }
}

fn stat_raw(id: c_int, cmd: c_int, op: &'static str) -> Result<(c_int, libc::semid_ds), SysError> {
    let mut ds = MaybeUninit::<libc::semid_ds>::zeroed();
    let rc = semctl(id, 0, cmd, ds.as_mut_ptr().cast(), op)?;
    // SAFETY: the buffer was zeroed (a valid semid_ds: plain integers) and the kernel then
    // filled it.
    Ok((rc, unsafe { ds.assume_init() }))
}

/// SEM_STAT / SEM_STAT_ANY on a slot index; the set carries the full id the slot holds.
fn stat_slot(index: i32, any: bool) -> Result<SemSet, SysError> {
    let (cmd, op) = if any {
        (SEM_STAT_ANY, "semctl(SEM_STAT_ANY)")
    } else {
        (SEM_STAT, "semctl(SEM_STAT)")
    };
    let (id, ds) = stat_raw(index, cmd, op)?;
    Ok(set_from(id, &ds))
}

/// The fresh facts of one set by id (see [`slots::stat`]).
pub fn stat(id: i32) -> Result<SemSet, SysError> {
    slots::stat(
        id,
        "semctl(IPC_STAT)",
        |index| stat_slot(index, true),
        |s| s.id,
        |id| {
            let (_, ds) = stat_raw(id, libc::IPC_STAT, "semctl(IPC_STAT)")?;
            Ok(set_from(id, &ds))
        },
    )
}

/// SEM_INFO: the highest slot index in use (or -1 / 0 when none) and the usage counters.
fn usage_raw() -> Result<(i32, SemUsage), SysError> {
    let mut raw = SemInfoRaw::default();
    let max_index = semctl(
        0,
        0,
        SEM_INFO,
        (&mut raw as *mut SemInfoRaw).cast(),
        "semctl(SEM_INFO)",
    )?;
    Ok((
        max_index,
        SemUsage {
            sets: raw.semusz.max(0) as u64,
            semaphores: raw.semaem.max(0) as u64,
        },
    ))
}

/// SEM_INFO: sets and semaphores in use in this namespace.
pub fn usage() -> Result<SemUsage, SysError> {
    Ok(usage_raw()?.1)
}

/// IPC_INFO: the namespace's limits (`kernel.sem`).
pub fn limits() -> Result<SemLimits, SysError> {
    let mut raw = SemInfoRaw::default();
    semctl(
        0,
        0,
        IPC_INFO,
        (&mut raw as *mut SemInfoRaw).cast(),
        "semctl(IPC_INFO)",
    )?;
    Ok(SemLimits {
        max_sets: raw.semmni.max(0) as u64,
        max_per_set: raw.semmsl.max(0) as u64,
        max_total: raw.semmns.max(0) as u64,
        max_ops_per_call: raw.semopm.max(0) as u64,
        max_value: raw.semvmx.max(0) as u64,
    })
}

/// Every semaphore set of this IPC namespace, in slot order; `sems` is None (see
/// [`semaphores`]).
pub fn enumerate() -> Result<(Vec<SemSet>, Source), SysError> {
    let (max_index, usage) = usage_raw()?;
    slots::enumerate(
        max_index,
        slots::Counted::Count(usage.sets as usize),
        stat_slot,
        super::sysvproc::read_sem,
        |o: &SemSet| o.id,
    )
}

/// The semaphores of a set: GETALL for the values, then GETPID, GETNCNT and GETZCNT of each.
/// Needs read permission on the set (EACCES otherwise).
///
/// `nsems` is what the caller knows of the set; the buffer for GETALL is sized from a fresh
/// [`stat`] as well, since the kernel writes as many values as the set has.
pub fn semaphores(id: i32, nsems: u64) -> Result<Vec<Semaphore>, SysError> {
    let actual = stat(id)?.nsems;
    let count = usize::try_from(actual.max(nsems))
        .map_err(|_| SysError::new("semctl(GETALL)", libc::EOVERFLOW))?;
    // The number of semaphores never changes after semget, and the full id names one set:
    // if it was removed since, GETALL fails (EINVAL/EIDRM) instead of writing another set's.
    let mut values = vec![0u16; count];
    semctl(id, 0, GETALL, values.as_mut_ptr().cast(), "semctl(GETALL)")?;
    values.truncate(actual as usize);
    let mut sems = Vec::with_capacity(values.len());
    for (num, value) in values.into_iter().enumerate() {
        let num = num as c_int;
        let none = std::ptr::null_mut();
        sems.push(Semaphore {
            value: u32::from(value),
            pid: semctl(id, num, GETPID, none, "semctl(GETPID)")?,
            ncnt: semctl(id, num, GETNCNT, none, "semctl(GETNCNT)")? as u32,
            zcnt: semctl(id, num, GETZCNT, none, "semctl(GETZCNT)")? as u32,
        });
    }
    Ok(sems)
}

/// semget(2): the set with `key` (0 is IPC_PRIVATE) of `nsems` semaphores; `flags` are
/// IPC_CREAT, IPC_EXCL and the permission bits.
pub fn get(key: u32, nsems: c_int, flags: c_int) -> Result<i32, SysError> {
    // SAFETY: semget takes plain integers and touches no memory of ours.
    let id = unsafe { libc::semget(key as libc::key_t, nsems, flags) };
    if id < 0 {
        Err(SysError::last("semget"))
    } else {
        Ok(id)
    }
}

/// SETALL: every semaphore of the set to `value` (at most kernel.sem's SEMVMX, ERANGE
/// otherwise). Needs write permission on the set.
pub fn set_all(id: i32, value: u16) -> Result<(), SysError> {
    let nsems = usize::try_from(stat(id)?.nsems)
        .map_err(|_| SysError::new("semctl(SETALL)", libc::EOVERFLOW))?;
    // The kernel reads one value per semaphore of the set, whose number never changes: a
    // stale id fails (EINVAL/EIDRM) rather than naming a set of another size.
    let mut values = vec![value; nsems];
    semctl(id, 0, SETALL, values.as_mut_ptr().cast(), "semctl(SETALL)").map(drop)
}

/// IPC_SET: owner uid/gid and the permission bits (the kernel keeps only `mode & 0777`).
pub fn set_owner_mode(id: i32, uid: u32, gid: u32, mode: u32) -> Result<(), SysError> {
    // SAFETY: semid_ds is plain integers, for which all-zero is a valid value; IPC_SET
    // reads only the three fields set below.
    let mut ds: libc::semid_ds = unsafe { std::mem::zeroed() };
    ds.sem_perm.uid = uid;
    ds.sem_perm.gid = gid;
    ds.sem_perm.mode = super::perm_bits(mode);
    semctl(
        id,
        0,
        libc::IPC_SET,
        (&mut ds as *mut libc::semid_ds).cast(),
        "semctl(IPC_SET)",
    )
    .map(drop)
}

/// IPC_RMID: destroys the set at once; processes blocked in semop wake with EIDRM.
pub fn remove(id: i32) -> Result<(), SysError> {
    semctl(
        id,
        0,
        libc::IPC_RMID,
        std::ptr::null_mut(),
        "semctl(IPC_RMID)",
    )
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::sysvproc;

    fn semget(key: u32, nsems: c_int) -> i32 {
        // SAFETY: semget takes plain integers and touches no memory of ours.
        let id = unsafe { libc::semget(key as libc::key_t, nsems, libc::IPC_CREAT | 0o600) };
        assert!(id >= 0, "semget: {}", SysError::last("semget"));
        id
    }

    fn semop(id: i32, num: u16, op: i16) -> Result<(), SysError> {
        let mut sop = libc::sembuf {
            sem_num: num,
            sem_op: op,
            sem_flg: 0,
        };
        // SAFETY: one sembuf, alive for the duration of the call.
        if unsafe { libc::semop(id, &mut sop, 1) } < 0 {
            Err(SysError::last("semop"))
        } else {
            Ok(())
        }
    }

    /// Polls the semaphores until `done` holds (a blocked thread shows up in the counts).
    fn wait_for(id: i32, done: impl Fn(&[Semaphore]) -> bool) -> Vec<Semaphore> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let sems = semaphores(id, 3).expect("semaphores");
            if done(&sems) {
                return sems;
            }
            assert!(std::time::Instant::now() < deadline, "timed out: {sems:?}");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    #[test]
    fn semaphore_sets_in_a_private_namespace() {
        if !sysvproc::in_private_namespace(
            "sys::sem::tests::semaphore_sets_in_a_private_namespace",
            "/proc/sysvipc/sem",
        ) {
            return;
        }
        assert_eq!(
            usage().expect("usage"),
            SemUsage {
                sets: 0,
                semaphores: 0
            }
        );
        assert_eq!(enumerate().expect("empty"), (Vec::new(), Source::StatAny));

        let private = semget(0, 3);
        let keyed = semget(0xdead_beef, 1);
        semop(private, 0, 2).expect("sem 0 += 2");
        semop(private, 2, 5).expect("sem 2 += 5");

        let (sets, source) = enumerate().expect("enumerate");
        assert_eq!(source, Source::StatAny);
        assert_eq!(
            sets.iter().map(|s| s.id).collect::<Vec<_>>(),
            [private, keyed]
        );
        let set = &sets[0];
        assert_eq!(
            (set.key, set.nsems, set.mode, set.sems.as_ref()),
            (0, 3, 0o600, None)
        );
        assert!(set.otime > 0 && set.ctime > 0);
        assert_eq!(
            (sets[1].key, sets[1].nsems, sets[1].otime),
            (0xdead_beef, 1, 0)
        );
        assert_eq!(
            sysvproc::read_sem().expect("/proc"),
            sets,
            "/proc/sysvipc/sem says the same"
        );
        assert_eq!(&stat(private).expect("stat"), set);
        assert!(stat(private + 0x8000).expect_err("stale").is_gone());
        assert!(stat(-1).expect_err("negative").is_gone());

        assert_eq!(
            usage().expect("usage"),
            SemUsage {
                sets: 2,
                semaphores: 4
            }
        );
        let limits = limits().expect("limits");
        let sysctl = std::fs::read_to_string("/proc/sys/kernel/sem").expect("kernel.sem");
        let sysctl: Vec<u64> = sysctl
            .split_whitespace()
            .map(|n| n.parse().expect("number"))
            .collect();
        assert_eq!(
            [
                limits.max_per_set,
                limits.max_total,
                limits.max_ops_per_call,
                limits.max_sets
            ],
            sysctl[..]
        );
        assert_eq!(limits.max_value, 32767);

        let me = nix::unistd::getpid().as_raw();
        let sems = semaphores(private, set.nsems).expect("semaphores");
        let plain = |value, pid| Semaphore {
            value,
            pid,
            ncnt: 0,
            zcnt: 0,
        };
        assert_eq!(sems, [plain(2, me), plain(0, 0), plain(5, me)]);
        // A wrong count from the caller neither overflows nor truncates.
        assert_eq!(semaphores(private, 1).expect("fewer"), sems);
        assert_eq!(semaphores(private, 100).expect("more"), sems);

        // One thread waits to decrement sem 1, another for sem 0 to reach zero.
        let down = std::thread::spawn(move || semop(private, 1, -1));
        let zero = std::thread::spawn(move || semop(private, 0, 0));
        let sems = wait_for(private, |s| s[1].ncnt == 1 && s[0].zcnt == 1);
        assert_eq!((sems[0].ncnt, sems[1].zcnt, sems[2].ncnt), (0, 0, 0));
        semop(private, 1, 1).expect("release the decrement");
        semop(private, 0, -2).expect("release the wait for zero");
        down.join().expect("join").expect("decremented");
        zero.join().expect("join").expect("saw zero");
        let sems = wait_for(private, |s| s.iter().all(|s| s.ncnt == 0 && s.zcnt == 0));
        assert_eq!(sems.iter().map(|s| s.value).collect::<Vec<_>>(), [0, 0, 5]);

        set_owner_mode(keyed, 1234, 5678, 0o1640).expect("IPC_SET");
        let changed = stat(keyed).expect("stat");
        assert_eq!(
            (changed.uid, changed.gid, changed.mode),
            (1234, 5678, 0o640)
        );
        assert_eq!((changed.cuid, changed.cgid), (0, 0));

        remove(private).expect("remove");
        assert!(stat(private).expect_err("removed").is_gone());
        assert!(semaphores(private, 3).expect_err("removed").is_gone());
        assert!(remove(private).expect_err("twice").is_gone());
        let (sets, _) = enumerate().expect("enumerate");
        assert_eq!(sets.iter().map(|s| s.id).collect::<Vec<_>>(), [keyed]);
        remove(keyed).expect("remove");
        assert_eq!(usage().expect("usage").sets, 0);
    }
}
