//! What the three System V kinds share: enumeration by slot index and stat by full id.
//!
//! Each kind numbers its objects `id = seq << 15 | index` and answers `*_STAT_ANY` (no
//! permission needed, Linux ≥ 4.17) and `*_STAT` on a slot index with the full id the slot
//! holds, and `IPC_STAT` on a full id.
use super::SysError;

/// How a list of objects was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `*_INFO` + `*_STAT_ANY`: complete, no permission needed (Linux ≥ 4.17).
    StatAny,
    /// /proc/sysvipc/*: complete.
    Procfs,
    /// `*_INFO` + `*_STAT`: only the objects we may read.
    Stat,
}

/// Every object of a kind, in slot order. `stat_slot(index, any)` is `*_STAT_ANY` (or with
/// `any` false `*_STAT`) on a slot; `expected` is the count `*_INFO` gave with `max_index`.
///
/// A kernel without `*_STAT_ANY` answers EINVAL for every slot, an object created or removed
/// during the loop makes the counts differ, and a glibc older than 2.28 does not pass the
/// buffer for SEM_STAT_ANY (EFAULT): then /proc, which is complete, and at last `*_STAT`.
pub fn enumerate<T>(
    max_index: i32,
    expected: usize,
    stat_slot: impl Fn(i32, bool) -> Result<T, SysError>,
    procfs: impl FnOnce() -> std::io::Result<Vec<T>>,
) -> Result<(Vec<T>, Source), SysError> {
    let mut objects = Vec::with_capacity(expected);
    let mut complete = true;
    for index in 0..=max_index {
        match stat_slot(index, true) {
            Ok(object) => objects.push(object),
            Err(e) if e.is_gone() => continue,
            Err(_) => {
                complete = false;
                break;
            }
        }
    }
    if complete && objects.len() == expected {
        return Ok((objects, Source::StatAny));
    }
    if let Ok(objects) = procfs() {
        return Ok((objects, Source::Procfs));
    }
    objects.clear();
    for index in 0..=max_index {
        match stat_slot(index, false) {
            Ok(object) => objects.push(object),
            Err(e) if e.is_gone() || e.is_permission() => continue,
            Err(e) => return Err(e),
        }
    }
    Ok((objects, Source::Stat))
}

/// The fresh facts of one object by full id, without read permission where the kernel allows
/// it (`*_STAT_ANY` on the id's slot, checked against the full id), else `ipc_stat`.
///
/// A stale id fails with EINVAL ("gone") rather than naming a newer object in its slot.
pub fn stat<T>(
    id: i32,
    op: &'static str,
    stat_slot: impl Fn(i32) -> Result<T, SysError>,
    id_of: impl Fn(&T) -> i32,
    ipc_stat: impl FnOnce(i32) -> Result<T, SysError>,
) -> Result<T, SysError> {
    if id < 0 {
        return Err(SysError::new(op, libc::EINVAL));
    }
    // Default slot width is 15 bits (IPCMNI 32768); `ipcmni_extend` makes it 24.
    for mask in [0x7fff, 0xff_ffff] {
        match stat_slot(id & mask) {
            Ok(object) if id_of(&object) == id => return Ok(object),
            _ => continue,
        }
    }
    ipc_stat(id)
}
