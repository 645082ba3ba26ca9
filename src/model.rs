//! Plain values: what the kernel says about segments and processes. No syscalls here.
use std::borrow::Cow;

use serde::Serialize;

pub const SHM_DEST: u32 = 0o1000;
pub const SHM_LOCKED: u32 = 0o2000;

/// One segment, as `shmid_ds` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub id: i32,
    pub key: u32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    /// The whole mode as the kernel reports it: `0777` bits plus SHM_DEST and SHM_LOCKED.
    pub mode: u32,
    pub size: u64,
    pub nattch: u64,
    pub cpid: i32,
    pub lpid: i32,
    /// Unix seconds; 0 means "never".
    pub atime: i64,
    pub dtime: i64,
    pub ctime: i64,
}

impl Segment {
    pub fn perms(&self) -> u32 {
        self.mode & 0o777
    }

    pub fn is_marked_for_destruction(&self) -> bool {
        self.mode & SHM_DEST != 0
    }

    pub fn is_locked(&self) -> bool {
        self.mode & SHM_LOCKED != 0
    }

    /// Status words, as `ipcs -m` shows them.
    pub fn status(&self) -> Vec<&'static str> {
        let mut status = Vec::new();
        if self.is_marked_for_destruction() {
            status.push("dest");
        }
        if self.is_locked() {
            status.push("locked");
        }
        status
    }

    /// The earliest the segment can have been created: min of the non-zero ctime, atime,
    /// dtime (creation precedes every attach, and an IPC_SET moves ctime later).
    pub fn creation_bound(&self) -> Option<i64> {
        [self.ctime, self.atime, self.dtime]
            .into_iter()
            .filter(|&t| t > 0)
            .min()
    }

    /// The latest activity: max of ctime, atime, dtime.
    pub fn last_activity(&self) -> i64 {
        self.ctime.max(self.atime).max(self.dtime)
    }

    /// The facts that name one segment across the removal sequence. ctime is left out:
    /// our own IPC_SET moves it.
    pub fn same_identity(&self, other: &Segment) -> bool {
        (
            self.id, self.key, self.cuid, self.size, self.cpid, self.lpid, self.atime, self.dtime,
        ) == (
            other.id,
            other.key,
            other.cuid,
            other.size,
            other.cpid,
            other.lpid,
            other.atime,
            other.dtime,
        )
    }
}

/// Resident and swapped bytes (from /proc/sysvipc/shm).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SegmentMemory {
    pub rss: u64,
    pub swap: u64,
}

/// SHM_INFO: what the namespace uses now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ShmUsage {
    pub used_segments: u64,
    pub used_pages: u64,
    pub rss_pages: u64,
    pub swap_pages: u64,
}

/// IPC_INFO: the namespace's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ShmLimits {
    pub max_segment_bytes: u64,
    pub min_segment_bytes: u64,
    pub max_segments: u64,
    pub max_segments_per_process: u64,
    pub max_total_pages: u64,
}

/// What probing a pid found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Presence {
    /// `kill(pid, 0)` failed with ESRCH: no process has this pid.
    Absent,
    /// A process has this pid; its start time (Unix seconds) when it could be read.
    Present { started: Option<f64> },
    /// The pid is a zombie: its process has exited (every thread of it) and waits for its
    /// parent to reap it. It holds no memory: it can neither attach nor be attached.
    Exited { started: f64 },
}

impl Presence {
    /// The start time of the process behind the pid, when known.
    pub fn started(self) -> Option<f64> {
        match self {
            Presence::Absent => None,
            Presence::Present { started } => started,
            Presence::Exited { started } => Some(started),
        }
    }
}

/// What a segment's cpid or lpid says about the process behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Liveness {
    Alive,
    Dead,
    /// A zombie: it exited and its parent has not reaped it yet. As good as dead.
    Exited,
    /// The pid now belongs to a process started after the segment: the original is dead.
    Reused,
    /// pid 0 with evidence of use: a process in another PID namespace.
    Unknown,
    /// lpid only: nothing ever attached.
    Never,
}

impl Liveness {
    pub fn as_str(self) -> &'static str {
        match self {
            Liveness::Alive => "alive",
            Liveness::Dead => "dead",
            Liveness::Exited => "exited",
            Liveness::Reused => "reused",
            Liveness::Unknown => "unknown",
            Liveness::Never => "never",
        }
    }
}

/// A process that has the segment mapped (one entry per mapping).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attacher {
    pub pid: i32,
    pub comm: String,
    pub address: u64,
    pub length: u64,
    pub writable: bool,
}

/// An ftok(3) key and the bits it was made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FtokKey {
    pub key: u32,
    pub inode: u64,
    pub device: u64,
    pub proj: u8,
}

impl FtokKey {
    /// glibc: `(st_ino & 0xffff) | ((st_dev & 0xff) << 16) | ((proj & 0xff) << 24)`.
    pub fn from_parts(inode: u64, device: u64, proj: u8) -> FtokKey {
        let key =
            (inode & 0xffff) as u32 | (((device & 0xff) as u32) << 16) | (u32::from(proj) << 24);
        FtokKey {
            key,
            inode,
            device,
            proj,
        }
    }
}

pub fn key_hex(key: u32) -> String {
    KeyHex(key).to_string()
}

/// A key that displays as `0x5a00c062` (always 8 digits) without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyHex(pub u32);

impl KeyHex {
    /// `{:#010x}` by hand: 0x and eight lowercase digits.
    fn digits(self) -> [u8; 10] {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = *b"0x00000000";
        for (i, byte) in text[2..].iter_mut().enumerate() {
            *byte = HEX[((self.0 >> (28 - 4 * i)) & 0xf) as usize];
        }
        text
    }
}

impl crate::units::PushText for KeyHex {
    fn push_to(&self, out: &mut String) {
        out.extend(self.digits().iter().map(|&b| char::from(b)));
    }
}

impl std::fmt::Display for KeyHex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(std::str::from_utf8(&self.digits()).map_err(|_| std::fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_hex_is_hash_010x() {
        for key in [0, 1, 0x51, 0xdead_beef, 0x0abc_def0, u32::MAX, 0x8000_0000] {
            assert_eq!(KeyHex(key).to_string(), format!("{key:#010x}"));
        }
    }

    pub(crate) fn segment() -> Segment {
        Segment {
            id: 1,
            key: 0x1234,
            uid: 1000,
            gid: 1000,
            cuid: 1000,
            cgid: 1000,
            mode: 0o600,
            size: 4096,
            nattch: 0,
            cpid: 100,
            lpid: 0,
            atime: 0,
            dtime: 0,
            ctime: 1_000_000,
        }
    }

    #[test]
    fn creation_bound_ignores_zero_times() {
        let mut s = segment();
        assert_eq!(s.creation_bound(), Some(1_000_000));
        s.atime = 999_990; // attached before our IPC_SET moved ctime
        assert_eq!(s.creation_bound(), Some(999_990));
        s.ctime = 0;
        s.atime = 0;
        assert_eq!(s.creation_bound(), None);
        assert_eq!(s.last_activity(), 0);
    }

    #[test]
    fn identity_ignores_ctime_and_mode() {
        let a = segment();
        let mut b = a.clone();
        b.ctime += 5;
        b.mode = 0;
        assert!(a.same_identity(&b));
        b.atime = 7;
        assert!(!a.same_identity(&b));
    }

    #[test]
    fn status_words() {
        let mut s = segment();
        assert!(s.status().is_empty());
        s.mode |= SHM_DEST | SHM_LOCKED;
        assert_eq!(s.status(), ["dest", "locked"]);
        assert_eq!(s.perms(), 0o600);
    }

    #[test]
    fn ftok_bits() {
        let k = FtokKey::from_parts(0x12345, 0x803, b'A');
        assert_eq!(k.key, 0x4103_2345);
        assert_eq!(key_hex(k.key), "0x41032345");
        assert_eq!(key_hex(0), "0x00000000");
    }
}

/// Why a segment is kept: one stable code (`attached`, `creator_alive` …) and a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub code: &'static str,
    /// Fixed texts are not allocated: a gc over 10,000 orphans makes 30,000 of these.
    pub text: Cow<'static, str>,
}

impl Reason {
    pub fn new(code: &'static str, text: impl Into<Cow<'static, str>>) -> Reason {
        Reason {
            code,
            text: text.into(),
        }
    }
}

/// The gc policy's judgement of one segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every condition holds; the evidence says why (`nattch_zero`, `creator_dead` …).
    Orphan {
        evidence: Vec<Reason>,
    },
    Kept(Reason),
}

impl Verdict {
    pub fn is_orphan(&self) -> bool {
        matches!(self, Verdict::Orphan { .. })
    }
}

/// What `create` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub object: NewObject,
    /// False when an existing object with the key or name was returned.
    pub created: bool,
}

/// The object `create` made or found, by kind: the System V ones by id and key, the POSIX
/// ones by name (`/name`) and the file that backs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewObject {
    Segment {
        id: i32,
        key: u32,
        size: u64,
    },
    /// `value`: what every semaphore was set to (`--value`); None when left as it was.
    Set {
        id: i32,
        key: u32,
        nsems: u64,
        value: Option<u32>,
    },
    Queue {
        id: i32,
        key: u32,
        max_bytes: u64,
    },
    PosixShm {
        name: String,
        path: std::path::PathBuf,
        size: u64,
    },
    /// `value`: the semaphore's value as read from its file, when it could be read.
    PosixSem {
        name: String,
        path: std::path::PathBuf,
        value: Option<u32>,
    },
    PosixQueue {
        name: String,
        path: std::path::PathBuf,
        max_messages: u64,
        max_message_bytes: u64,
    },
}

/// What `limits` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub shm: ShmLimits,
    pub usage: ShmUsage,
    pub page_size: u64,
}
