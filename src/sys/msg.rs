//! System V message queues: msgctl, and msgrcv to read (MSG_COPY) or drain a queue.
// msglen_t and msgqnum_t are u64 on LP64 but not on every target: keep the casts.
#![allow(clippy::unnecessary_cast)]
use std::mem::MaybeUninit;

use libc::{c_int, c_long};

use super::SysError;
use crate::objects::{Message, MsgLimits, MsgQueue, MsgUsage};

use super::slots;
/// How the list of queues was obtained (the same three ways as for shared memory).
pub use super::slots::Source;

// <linux/msg.h> commands, numbered here as for shared memory in shm.rs.
const IPC_INFO: c_int = 3;
const MSG_STAT: c_int = 11;
const MSG_INFO: c_int = 12;
const MSG_STAT_ANY: c_int = 13;
/// msgrcv: copy the message at position `msgtyp` without removing it (Linux ≥ 3.8, and only
/// with CONFIG_CHECKPOINT_RESTORE; ENOSYS otherwise).
const MSG_COPY: c_int = 0o40000;

/// `struct msginfo` (IPC_INFO and MSG_INFO).
#[repr(C)]
#[derive(Default)]
struct MsgInfoRaw {
    msgpool: c_int,
    msgmap: c_int,
    msgmax: c_int,
    msgmnb: c_int,
    msgmni: c_int,
    msgssz: c_int,
    msgtql: c_int,
    msgseg: libc::c_ushort,
}

fn msgctl(
    id: c_int,
    cmd: c_int,
    buf: *mut libc::msqid_ds,
    op: &'static str,
) -> Result<c_int, SysError> {
    // SAFETY: `buf` is null for commands that ignore it, or points to a live, writable buffer
    // at least as large as the structure the kernel reads or writes for `cmd` (msqid_ds, or
    // msginfo cast by the callers below).
    let rc = unsafe { libc::msgctl(id, cmd, buf) };
    if rc < 0 {
        Err(SysError::last(op))
    } else {
        Ok(rc)
    }
}

fn queue_from(id: i32, ds: &libc::msqid_ds) -> MsgQueue {
    let perm = &ds.msg_perm;
    MsgQueue {
        id,
        key: perm.__key as u32,
        uid: perm.uid,
        gid: perm.gid,
        cuid: perm.cuid,
        cgid: perm.cgid,
        mode: super::perm_mode(perm.mode),
        bytes: ds.__msg_cbytes as u64,
        messages: ds.msg_qnum as u64,
        max_bytes: ds.msg_qbytes as u64,
        lspid: ds.msg_lspid,
        lrpid: ds.msg_lrpid,
        stime: ds.msg_stime,
        rtime: ds.msg_rtime,
        ctime: ds.msg_ctime,
    }
}

fn stat_raw(id: c_int, cmd: c_int, op: &'static str) -> Result<(c_int, libc::msqid_ds), SysError> {
    let mut ds = MaybeUninit::<libc::msqid_ds>::zeroed();
    let rc = msgctl(id, cmd, ds.as_mut_ptr(), op)?;
    // SAFETY: the buffer was zeroed (a valid msqid_ds: plain integers) and the kernel then
    // filled it.
    Ok((rc, unsafe { ds.assume_init() }))
}

/// MSG_STAT / MSG_STAT_ANY on a slot index; the queue carries the full id the slot holds.
fn stat_slot(index: i32, any: bool) -> Result<MsgQueue, SysError> {
    let (cmd, op) = if any {
        (MSG_STAT_ANY, "msgctl(MSG_STAT_ANY)")
    } else {
        (MSG_STAT, "msgctl(MSG_STAT)")
    };
    let (id, ds) = stat_raw(index, cmd, op)?;
    Ok(queue_from(id, &ds))
}

/// The fresh facts of one queue by id (see [`slots::stat`]).
pub fn stat(id: i32) -> Result<MsgQueue, SysError> {
    slots::stat(
        id,
        "msgctl(IPC_STAT)",
        |index| stat_slot(index, true),
        |q| q.id,
        |id| {
            let (_, ds) = stat_raw(id, libc::IPC_STAT, "msgctl(IPC_STAT)")?;
            Ok(queue_from(id, &ds))
        },
    )
}

fn info(cmd: c_int, op: &'static str) -> Result<(i32, MsgInfoRaw), SysError> {
    let mut raw = MsgInfoRaw::default();
    let rc = msgctl(0, cmd, (&mut raw as *mut MsgInfoRaw).cast(), op)?;
    Ok((rc, raw))
}

/// MSG_INFO: the highest slot index in use (or 0 when none) and the usage counters.
fn usage_raw() -> Result<(i32, MsgUsage), SysError> {
    let (max_index, raw) = info(MSG_INFO, "msgctl(MSG_INFO)")?;
    Ok((
        max_index,
        MsgUsage {
            queues: raw.msgpool.max(0) as u64,
            messages: raw.msgmap.max(0) as u64,
            bytes: raw.msgtql.max(0) as u64,
        },
    ))
}

/// MSG_INFO: queues, messages and bytes in use in this namespace.
pub fn usage() -> Result<MsgUsage, SysError> {
    Ok(usage_raw()?.1)
}

/// IPC_INFO: the namespace's limits (`kernel.msgmni`, `kernel.msgmax`, `kernel.msgmnb`).
pub fn limits() -> Result<MsgLimits, SysError> {
    let (_, raw) = info(IPC_INFO, "msgctl(IPC_INFO)")?;
    Ok(MsgLimits {
        max_queues: raw.msgmni.max(0) as u64,
        max_message_bytes: raw.msgmax.max(0) as u64,
        max_queue_bytes: raw.msgmnb.max(0) as u64,
    })
}

/// Every message queue of this IPC namespace, in slot order. /proc has no qbytes:
/// `max_bytes` is 0 when the list comes from there.
pub fn enumerate() -> Result<(Vec<MsgQueue>, Source), SysError> {
    let (max_index, usage) = usage_raw()?;
    slots::enumerate(
        max_index,
        slots::Counted::Count(usage.queues as usize),
        stat_slot,
        super::sysvproc::read_msg,
        |o: &MsgQueue| o.id,
    )
}

/// IPC_SET: owner uid/gid and the permission bits (the kernel keeps only `mode & 0777`).
///
/// IPC_SET writes the queue's qbytes too: it is set back to what [`stat`] reads now (which
/// needs no read permission). Raising it above `kernel.msgmnb` needs CAP_SYS_RESOURCE, so a
/// queue whose qbytes root raised gives EPERM to its unprivileged owner.
pub fn set_owner_mode(id: i32, uid: u32, gid: u32, mode: u32) -> Result<(), SysError> {
    let max_bytes = stat(id)?.max_bytes;
    set(id, uid, gid, mode, max_bytes)
}

/// IPC_SET of the queue's qbytes, owner and mode left as they are. Raising it above
/// `kernel.msgmnb` needs CAP_SYS_RESOURCE (EPERM otherwise).
pub fn set_max_bytes(id: i32, max_bytes: u64) -> Result<(), SysError> {
    let queue = stat(id)?;
    set(id, queue.uid, queue.gid, queue.mode, max_bytes)
}

/// msgget(2): the queue with `key` (0 is IPC_PRIVATE); `flags` are IPC_CREAT, IPC_EXCL and
/// the permission bits.
pub fn get(key: u32, flags: c_int) -> Result<i32, SysError> {
    // SAFETY: msgget takes plain integers and touches no memory of ours.
    let id = unsafe { libc::msgget(key as libc::key_t, flags) };
    if id < 0 {
        Err(SysError::last("msgget"))
    } else {
        Ok(id)
    }
}

fn set(id: i32, uid: u32, gid: u32, mode: u32, max_bytes: u64) -> Result<(), SysError> {
    // SAFETY: msqid_ds is plain integers, for which all-zero is a valid value; IPC_SET reads
    // only the four fields set below.
    let mut ds: libc::msqid_ds = unsafe { std::mem::zeroed() };
    ds.msg_qbytes = max_bytes as libc::msglen_t;
    ds.msg_perm.uid = uid;
    ds.msg_perm.gid = gid;
    ds.msg_perm.mode = super::perm_bits(mode);
    msgctl(id, libc::IPC_SET, &mut ds, "msgctl(IPC_SET)").map(drop)
}

/// IPC_RMID: destroys the queue and its messages at once; blocked senders and receivers wake
/// with EIDRM.
pub fn remove(id: i32) -> Result<(), SysError> {
    msgctl(id, libc::IPC_RMID, std::ptr::null_mut(), "msgctl(IPC_RMID)").map(drop)
}

/// Whether an error of [`copy_messages`] means the kernel cannot copy messages (ENOSYS: built
/// without CONFIG_CHECKPOINT_RESTORE).
pub fn is_unsupported(e: &SysError) -> bool {
    e.errno() == Some(libc::ENOSYS)
}

/// A `struct msgbuf { long mtype; char mtext[size]; }` that grows when a message is larger.
struct Receiver {
    id: i32,
    /// mtype in the first word, the text after it; words keep it aligned for `long`.
    buf: Vec<c_long>,
    size: usize,
}

impl Receiver {
    fn new(id: i32, size: usize) -> Receiver {
        let mut receiver = Receiver {
            id,
            buf: Vec::new(),
            size: 0,
        };
        receiver.resize(size);
        receiver
    }

    fn resize(&mut self, size: usize) {
        let word = std::mem::size_of::<c_long>();
        self.size = size;
        self.buf = vec![0; 1 + size.div_ceil(word)];
    }

    /// One msgrcv; None at ENOMSG (no message there). On E2BIG the buffer grows to the bytes
    /// the queue holds (no message is larger) and the call is repeated.
    fn receive(
        &mut self,
        msgtyp: c_long,
        flags: c_int,
        op: &'static str,
    ) -> Result<Option<Message>, SysError> {
        loop {
            // SAFETY: `buf` holds a `long` followed by at least `size` bytes, all initialised
            // (MSG_COPY also reads the buffer); the kernel writes at most that much.
            let n = unsafe {
                libc::msgrcv(
                    self.id,
                    self.buf.as_mut_ptr().cast(),
                    self.size,
                    msgtyp,
                    flags,
                )
            };
            if n >= 0 {
                let bytes = self.buf[1..]
                    .iter()
                    .flat_map(|word| word.to_ne_bytes())
                    .take(n as usize)
                    .collect();
                return Ok(Some(Message {
                    mtype: self.buf[0] as i64,
                    bytes,
                }));
            }
            let e = SysError::last(op);
            match e.errno() {
                Some(libc::ENOMSG) => return Ok(None),
                Some(libc::E2BIG) => {
                    let queued = usize::try_from(stat(self.id)?.bytes).unwrap_or(usize::MAX);
                    if queued <= self.size {
                        return Err(e);
                    }
                    self.resize(queued);
                }
                _ => return Err(e),
            }
        }
    }
}

/// Every message of the queue, in order, WITHOUT removing any: msgrcv with MSG_COPY at
/// positions 0, 1, 2, … until ENOMSG. Needs read permission on the queue.
///
/// `max_message_bytes` sizes the buffer (pass `limits()?.max_message_bytes`); a larger message
/// grows it. Fails with ENOSYS (see [`is_unsupported`]) on kernels without
/// CONFIG_CHECKPOINT_RESTORE. The kernel copies at most msgmax bytes, so a message sent before
/// msgmax was lowered below its size fails with EINVAL. Messages received by another process
/// meanwhile shift the positions: the copy may then miss or repeat one.
pub fn copy_messages(id: i32, max_message_bytes: usize) -> Result<Vec<Message>, SysError> {
    let mut receiver = Receiver::new(id, max_message_bytes);
    let mut messages = Vec::new();
    for index in 0.. {
        match receiver.receive(index, MSG_COPY | libc::IPC_NOWAIT, "msgrcv(MSG_COPY)")? {
            Some(message) => messages.push(message),
            None => break,
        }
    }
    Ok(messages)
}

/// Receives (and so removes) every message of the queue, in order, until it is empty.
/// Needs read permission on the queue.
pub fn drain(id: i32, max_message_bytes: usize) -> Result<Vec<Message>, SysError> {
    let mut receiver = Receiver::new(id, max_message_bytes);
    let mut messages = Vec::new();
    while let Some(message) = receiver.receive(0, libc::IPC_NOWAIT, "msgrcv")? {
        messages.push(message);
    }
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::sysvproc;

    fn msgsnd(id: i32, mtype: i64, text: &[u8]) {
        let word = std::mem::size_of::<c_long>();
        let mut buf: Vec<c_long> = vec![0; 1 + text.len().div_ceil(word)];
        buf[0] = mtype as c_long;
        for (i, chunk) in text.chunks(word).enumerate() {
            let mut bytes = [0u8; 8];
            bytes[..chunk.len()].copy_from_slice(chunk);
            buf[1 + i] = c_long::from_ne_bytes(bytes);
        }
        // SAFETY: `buf` holds the mtype and then text.len() bytes of text.
        let rc = unsafe { libc::msgsnd(id, buf.as_ptr().cast(), text.len(), libc::IPC_NOWAIT) };
        assert_eq!(rc, 0, "msgsnd: {}", SysError::last("msgsnd"));
    }

    fn message(mtype: i64, bytes: &[u8]) -> Message {
        Message {
            mtype,
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn message_queues_in_a_private_namespace() {
        if !sysvproc::in_private_namespace(
            "sys::msg::tests::message_queues_in_a_private_namespace",
            "/proc/sysvipc/msg",
        ) {
            return;
        }
        let zero = MsgUsage {
            queues: 0,
            messages: 0,
            bytes: 0,
        };
        assert_eq!(usage().expect("usage"), zero);
        assert_eq!(enumerate().expect("empty"), (Vec::new(), Source::StatAny));

        let limits = limits().expect("limits");
        let sysctl = |name: &str| -> u64 {
            std::fs::read_to_string(format!("/proc/sys/kernel/{name}"))
                .expect("sysctl")
                .trim()
                .parse()
                .expect("number")
        };
        assert_eq!(
            (
                limits.max_queues,
                limits.max_message_bytes,
                limits.max_queue_bytes
            ),
            (sysctl("msgmni"), sysctl("msgmax"), sysctl("msgmnb"))
        );
        let msgmax = limits.max_message_bytes as usize;

        // SAFETY: msgget takes plain integers and touches no memory of ours.
        let id = unsafe { libc::msgget(0x1234_5678, libc::IPC_CREAT | 0o600) };
        assert!(id >= 0, "msgget: {}", SysError::last("msgget"));
        // SAFETY: as above.
        let other = unsafe { libc::msgget(libc::IPC_PRIVATE, libc::IPC_CREAT | 0o640) };
        assert!(other >= 0);

        let big = vec![0xa5u8; 3000];
        let sent = [
            message(7, b"hello"),
            message(1, b""),
            message(42, &big),
            message(7, b"odd length text"),
        ];
        for m in &sent {
            msgsnd(id, m.mtype, &m.bytes);
        }
        let total: u64 = sent.iter().map(|m| m.bytes.len() as u64).sum();

        let (queues, source) = enumerate().expect("enumerate");
        assert_eq!(source, Source::StatAny);
        assert_eq!(queues.iter().map(|q| q.id).collect::<Vec<_>>(), [id, other]);
        let q = &queues[0];
        let me = nix::unistd::getpid().as_raw();
        assert_eq!(
            (q.key, q.mode, q.messages, q.bytes),
            (0x1234_5678, 0o600, 4, total)
        );
        assert_eq!(
            (q.max_bytes, q.lspid, q.lrpid, q.rtime),
            (sysctl("msgmnb"), me, 0, 0)
        );
        assert!(q.stime > 0);
        assert_eq!(&stat(id).expect("stat"), q);
        assert!(stat(id + 0x8000).expect_err("stale").is_gone());
        let from_proc = sysvproc::read_msg().expect("/proc");
        let without_qbytes: Vec<MsgQueue> = queues
            .iter()
            .map(|q| MsgQueue {
                max_bytes: 0,
                ..q.clone()
            })
            .collect();
        assert_eq!(from_proc, without_qbytes, "/proc/sysvipc/msg says the same");
        assert_eq!(
            usage().expect("usage"),
            MsgUsage {
                queues: 2,
                messages: 4,
                bytes: total
            }
        );

        let copied = match copy_messages(id, msgmax) {
            Err(e) if is_unsupported(&e) => panic!("MSG_COPY unsupported on this kernel: {e}"),
            other => other.expect("copy"),
        };
        assert_eq!(copied, sent);
        // A buffer too small for the big message grows instead of failing.
        assert_eq!(copy_messages(id, 4).expect("copy, small buffer"), sent);
        let after = stat(id).expect("stat");
        assert_eq!(
            (after.messages, after.bytes, after.lrpid, after.rtime),
            (4, total, 0, 0)
        );
        assert!(copy_messages(other, msgmax).expect("empty").is_empty());

        set_owner_mode(other, 1234, 5678, 0o604).expect("IPC_SET");
        let changed = stat(other).expect("stat");
        assert_eq!(
            (changed.uid, changed.gid, changed.mode),
            (1234, 5678, 0o604)
        );
        assert_eq!(changed.max_bytes, queues[1].max_bytes, "qbytes kept");

        assert_eq!(drain(id, 8).expect("drain"), sent);
        let after = stat(id).expect("stat");
        assert_eq!((after.messages, after.bytes, after.lrpid), (0, 0, me));
        assert!(drain(id, msgmax).expect("drain empty").is_empty());
        assert!(copy_messages(id, msgmax).expect("copy empty").is_empty());

        remove(id).expect("remove");
        assert!(stat(id).expect_err("removed").is_gone());
        assert!(copy_messages(id, msgmax).expect_err("removed").is_gone());
        assert!(drain(id, msgmax).expect_err("removed").is_gone());
        remove(other).expect("remove");
        assert_eq!(usage().expect("usage"), zero);
    }
}
