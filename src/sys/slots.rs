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

/// How [`enumerate`] knows the `*_STAT_ANY` loop saw every object.
pub enum Expected<F: FnOnce() -> Result<usize, SysError>> {
    /// The count `*_INFO` gave with the highest index (free for sets and queues).
    Count(usize),
    /// The highest index came from IPC_INFO, which names a slot in use: when that slot
    /// answered, `*_STAT_ANY` works and the loop is complete. Only otherwise is `count` asked
    /// (SHM_INFO walks every segment to sum its pages: a third of the loop's own time).
    HighestInUse(F),
}

/// A count `*_INFO` already gave.
pub type Counted = Expected<fn() -> Result<usize, SysError>>;

/// Every object of a kind, in slot order. `stat_slot(index, any)` is `*_STAT_ANY` (or with
/// `any` false `*_STAT`) on a slot; `expected` says how to tell the loop saw them all.
///
/// A kernel without `*_STAT_ANY` answers EINVAL for every slot, an object created or removed
/// during the loop makes the counts differ, and a glibc older than 2.28 does not pass the
/// buffer for SEM_STAT_ANY (EFAULT): then /proc, which is complete, and at last `*_STAT`.
pub fn enumerate<T, F: FnOnce() -> Result<usize, SysError>>(
    max_index: i32,
    expected: Expected<F>,
    stat_slot: impl Fn(i32, bool) -> Result<T, SysError>,
    procfs: impl FnOnce() -> std::io::Result<Vec<T>>,
    id_of: impl Fn(&T) -> i32,
) -> Result<(Vec<T>, Source), SysError> {
    let room = match expected {
        Expected::Count(n) => n.min(MAX_ROOM),
        Expected::HighestInUse(_) => room(max_index),
    };
    let mut objects = Vec::with_capacity(room);
    let source = each(
        max_index,
        expected,
        stat_slot,
        procfs,
        id_of,
        &mut |object| objects.push(object),
    )?;
    Ok((objects, source))
}

/// At most one IPCMNI's worth of room is taken up front: with ipcmni_extend a single object
/// may sit at index 16 million.
const MAX_ROOM: usize = 32_768;

/// Room for every slot up to `max_index`, the highest in use.
pub fn room(max_index: i32) -> usize {
    usize::try_from(max_index)
        .map_or(0, |m| m + 1)
        .min(MAX_ROOM)
}

/// [`enumerate`], each object handed to `sink` as soon as its slot answers: a caller that
/// acts on each (gc) does so while the kernel's object is still in the cache.
///
/// When the loop turns out incomplete, the fallback's objects follow, but for those the
/// loop already handed over (by full id: a slot reused meanwhile is a new object).
pub fn each<T, F: FnOnce() -> Result<usize, SysError>>(
    max_index: i32,
    expected: Expected<F>,
    stat_slot: impl Fn(i32, bool) -> Result<T, SysError>,
    procfs: impl FnOnce() -> std::io::Result<Vec<T>>,
    id_of: impl Fn(&T) -> i32,
    sink: &mut dyn FnMut(T),
) -> Result<Source, SysError> {
    let mut seen: Vec<i32> = Vec::new();
    let mut complete = true;
    let mut highest_answered = false;
    for index in 0..=max_index {
        match stat_slot(index, true) {
            Ok(object) => {
                seen.push(id_of(&object));
                highest_answered = index == max_index;
                sink(object);
            }
            Err(e) if e.is_gone() => continue,
            Err(_) => {
                complete = false;
                break;
            }
        }
    }
    let complete = complete
        && match expected {
            Expected::Count(n) => seen.len() == n,
            Expected::HighestInUse(_) if highest_answered => true,
            Expected::HighestInUse(count) => count().is_ok_and(|n| seen.len() == n),
        };
    if complete {
        return Ok(Source::StatAny);
    }
    let seen: std::collections::HashSet<i32> = seen.into_iter().collect();
    let mut rest = |object: T| {
        if !seen.contains(&id_of(&object)) {
            sink(object);
        }
    };
    if let Ok(objects) = procfs() {
        objects.into_iter().for_each(&mut rest);
        return Ok(Source::Procfs);
    }
    for index in 0..=max_index {
        match stat_slot(index, false) {
            Ok(object) => rest(object),
            Err(e) if e.is_gone() || e.is_permission() => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(Source::Stat)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// A fake slot table: `Some(v)` in use, `None` free; `any` false always answers.
    fn slots(table: &[Option<u32>]) -> impl Fn(i32, bool) -> Result<u32, SysError> + '_ {
        move |index, _any| table[index as usize].ok_or_else(|| SysError::new("stat", libc::EINVAL))
    }

    /// /proc lists every object: those the loop saw, and 99, which it did not.
    fn from_proc() -> std::io::Result<Vec<u32>> {
        Ok(vec![1, 99])
    }

    fn id(v: &u32) -> i32 {
        *v as i32
    }

    #[test]
    fn the_highest_slot_answering_needs_no_count() {
        let asked = Cell::new(false);
        let table = [Some(1), None, Some(3)];
        let count = || {
            asked.set(true);
            Ok(2)
        };
        let got = enumerate(
            2,
            Expected::HighestInUse(count),
            slots(&table),
            from_proc,
            id,
        );
        assert_eq!(got.expect("list"), (vec![1, 3], Source::StatAny));
        assert!(
            !asked.get(),
            "SHM_INFO asked although the highest slot answered"
        );
    }

    #[test]
    fn a_silent_highest_slot_is_checked_against_the_count() {
        // Removed during the loop, or a kernel without *_STAT_ANY (every slot EINVAL).
        let table = [Some(1), None, None];
        let listed = enumerate(
            2,
            Expected::HighestInUse(|| Ok(1)),
            slots(&table),
            from_proc,
            id,
        );
        assert_eq!(listed.expect("list"), (vec![1], Source::StatAny));
        let differs = enumerate(
            2,
            Expected::HighestInUse(|| Ok(2)),
            slots(&table),
            from_proc,
            id,
        );
        assert_eq!(differs.expect("list"), (vec![1, 99], Source::Procfs));
        let unknown = || Err(SysError::new("shmctl(SHM_INFO)", libc::EPERM));
        let failed = enumerate(
            2,
            Expected::HighestInUse(unknown),
            slots(&table),
            from_proc,
            id,
        );
        assert_eq!(failed.expect("list"), (vec![1, 99], Source::Procfs));
        // An empty namespace: IPC_INFO says 0, slot 0 is free, SHM_INFO counts none.
        let empty = [None];
        let none = enumerate(
            0,
            Expected::HighestInUse(|| Ok(0)),
            slots(&empty),
            from_proc,
            id,
        );
        assert_eq!(none.expect("list"), (vec![], Source::StatAny));
    }

    #[test]
    fn a_count_that_differs_falls_back_to_proc_then_stat() {
        let table = [Some(1), Some(2)];
        let fine = enumerate(1, Counted::Count(2), slots(&table), from_proc, id);
        assert_eq!(fine.expect("list"), (vec![1, 2], Source::StatAny));
        let differs = enumerate(1, Counted::Count(3), slots(&table), from_proc, id);
        assert_eq!(differs.expect("list"), (vec![1, 2, 99], Source::Procfs));
        let no_proc = || Err(std::io::Error::from_raw_os_error(libc::ENOENT));
        let stat = enumerate(1, Counted::Count(3), slots(&table), no_proc, id);
        assert_eq!(stat.expect("list"), (vec![1, 2], Source::Stat));
    }

    #[test]
    fn each_hands_over_as_it_goes_and_the_fallback_only_what_the_loop_missed() {
        let table = [Some(1), None, Some(3), None];
        let handed = std::cell::RefCell::new(Vec::new());
        // The sink sees slot 0's object before slot 2 is asked.
        let asked = Cell::new(0);
        let stat = |index: i32, any: bool| {
            asked.set(asked.get() + 1);
            if index == 2 {
                assert_eq!(*handed.borrow(), vec![1]);
            }
            slots(&table)(index, any)
        };
        let source = each(
            3,
            Expected::HighestInUse(|| Ok(3)),
            stat,
            || Ok(vec![3, 1, 7]),
            id,
            &mut |v| handed.borrow_mut().push(v),
        );
        // The highest slot is free and the count says 3: /proc, but only 7 is new.
        assert_eq!(source.expect("each"), Source::Procfs);
        assert_eq!(*handed.borrow(), vec![1, 3, 7]);
        assert_eq!(asked.get(), 4);
    }
}
