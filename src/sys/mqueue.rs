//! Receiving a POSIX queue's messages for an archive, and putting them back.
//!
//! A queue is opened by its name byte for byte (a name need not be UTF-8), and only used
//! once the descriptor is known to be the queue that was listed and judged: on Linux an
//! `mqd_t` is a file descriptor, whose device and inode fstat gives.
use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;

use super::error::{Cause, SysError};

/// The code of a queue that is not the one judged (removed and created again since).
pub const CHANGED: &str = "changed";

/// Which queue was judged: the device and inode of its file in /dev/mqueue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    pub dev: u64,
    pub ino: u64,
}

/// An open queue descriptor, closed on drop.
struct Queue(libc::mqd_t);

impl Drop for Queue {
    fn drop(&mut self) {
        // SAFETY: the descriptor was returned by mq_open and is closed once.
        unsafe { libc::mq_close(self.0) };
    }
}

/// Opens the queue `name` (`/name`, as mq_open takes it) and checks that it is `judged`.
fn open(name: &OsStr, flags: libc::c_int, judged: Identity) -> Result<Queue, SysError> {
    let c_name = CString::new(name.as_bytes()).map_err(|_| {
        SysError::other(
            "mq_open",
            super::error::FAILED,
            "the name contains a NUL byte",
        )
    })?;
    // SAFETY: a NUL-terminated name; without O_CREAT mq_open reads no further arguments.
    let mq = unsafe { libc::mq_open(c_name.as_ptr(), flags | libc::O_CLOEXEC) };
    if mq == -1 {
        return Err(SysError::last("mq_open"));
    }
    let q = Queue(mq);
    let found = identity(&q)?;
    if found != judged {
        return Err(SysError {
            op: "identity check",
            cause: Cause::Other {
                code: CHANGED,
                text: format!(
                    "the queue under this name is not the one judged (device {} inode {}, \
                     listed as device {} inode {}): it changed since, nothing was taken",
                    found.dev, found.ino, judged.dev, judged.ino
                ),
            },
        });
    }
    Ok(q)
}

/// The device and inode of an open queue.
fn identity(q: &Queue) -> Result<Identity, SysError> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: on Linux an mqd_t is a file descriptor; `st` is written by a successful call.
    if unsafe { libc::fstat(q.0, st.as_mut_ptr()) } != 0 {
        return Err(SysError::last("fstat"));
    }
    // SAFETY: fstat succeeded, so it filled `st`.
    let st = unsafe { st.assume_init() };
    #[allow(clippy::unnecessary_cast)] // st_dev's and st_ino's types differ between targets
    Ok(Identity {
        dev: st.st_dev as u64,
        ino: st.st_ino as u64,
    })
}

fn message_size(q: &Queue) -> Result<usize, SysError> {
    // SAFETY: mq_attr is plain data; all-zero is a valid value for it.
    let mut attr: libc::mq_attr = unsafe { std::mem::zeroed() };
    // SAFETY: a live descriptor and a writable mq_attr.
    if unsafe { libc::mq_getattr(q.0, &mut attr) } != 0 {
        return Err(SysError::last("mq_getattr"));
    }
    Ok(attr.mq_msgsize.max(1) as usize)
}

/// Receives every message (priority, bytes) of the queue `name` without waiting, highest
/// priority first — the order mq_receive gives — if it is still the queue `judged`;
/// otherwise takes nothing.
pub fn drain(name: &OsStr, judged: Identity) -> Result<Vec<(u32, Vec<u8>)>, SysError> {
    let q = open(name, libc::O_RDONLY | libc::O_NONBLOCK, judged)?;
    let size = message_size(&q)?;
    let mut buf = vec![0u8; size];
    let mut out = Vec::new();
    loop {
        let mut priority: libc::c_uint = 0;
        // SAFETY: `buf` is writable for `size` bytes, which is the queue's mq_msgsize.
        let n = unsafe { libc::mq_receive(q.0, buf.as_mut_ptr().cast(), size, &mut priority) };
        if n < 0 {
            let e = SysError::last("mq_receive");
            if e.errno() == Some(libc::EAGAIN) {
                return Ok(out);
            }
            return Err(e);
        }
        out.push((priority, buf[..n as usize].to_vec()));
    }
}

/// Sends messages back to the queue `name` (after an archive that could not be written),
/// without waiting, if it is still the queue `judged`. On failure, how many were sent back
/// before it, and why the next one was not.
pub fn send_back(
    name: &OsStr,
    judged: Identity,
    messages: &[(u32, Vec<u8>)],
) -> Result<(), (usize, SysError)> {
    let q = open(name, libc::O_WRONLY | libc::O_NONBLOCK, judged).map_err(|e| (0, e))?;
    for (sent, (priority, body)) in messages.iter().enumerate() {
        // SAFETY: `body` is readable for its length.
        let rc = unsafe { libc::mq_send(q.0, body.as_ptr().cast(), body.len(), *priority) };
        if rc != 0 {
            return Err((sent, SysError::last("mq_send")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Creates the queue `name` (in the test's private IPC namespace) holding `messages`.
    fn create(name: &[u8], messages: &[&[u8]]) -> Identity {
        let c_name = CString::new(name).expect("no NUL");
        // SAFETY: a NUL-terminated name; with O_CREAT mq_open reads a mode and a null
        // attribute pointer (the defaults).
        let mq = unsafe {
            libc::mq_open(
                c_name.as_ptr(),
                libc::O_CREAT | libc::O_EXCL | libc::O_RDWR,
                0o600 as libc::mode_t,
                std::ptr::null::<libc::mq_attr>(),
            )
        };
        assert_ne!(mq, -1, "mq_open: {}", std::io::Error::last_os_error());
        let q = Queue(mq);
        for body in messages {
            // SAFETY: `body` is readable for its length.
            let rc = unsafe { libc::mq_send(q.0, body.as_ptr().cast(), body.len(), 1) };
            assert_eq!(rc, 0, "mq_send: {}", std::io::Error::last_os_error());
        }
        identity(&q).expect("fstat")
    }

    fn unlink(name: &[u8]) {
        let c_name = CString::new(name).expect("no NUL");
        // SAFETY: a NUL-terminated name.
        assert_eq!(unsafe { libc::mq_unlink(c_name.as_ptr()) }, 0);
    }

    #[test]
    fn only_the_queue_judged_is_drained_or_refilled() {
        if !super::super::in_private_namespace(
            "sys::mqueue::tests::only_the_queue_judged_is_drained_or_refilled",
        ) {
            return;
        }
        // A name that is not UTF-8 is opened by its bytes, not by how it shows.
        let name = OsStr::from_bytes(b"/q\xff");
        let listed = create(name.as_bytes(), &[b"one", b"two"]);
        let lookalike = OsStr::from_bytes("/q\u{fffd}".as_bytes());
        let other = create(lookalike.as_bytes(), &[b"not ours"]);
        assert_ne!(listed, other);

        // Removed and created again between the plan and the drain: nothing is taken.
        unlink(name.as_bytes());
        let replaced = create(name.as_bytes(), &[b"new"]);
        let err = drain(name, listed).expect_err("another queue under the name");
        assert_eq!(
            (err.op, err.code().as_str(), err.errno()),
            ("identity check", CHANGED, None)
        );
        assert!(err.text().contains("not the one judged"), "{err}");
        let (sent, err) = send_back(name, listed, &[(0, b"x".to_vec())]).expect_err("refused");
        assert_eq!((sent, err.code().as_str()), (0, CHANGED));
        // Neither the new queue nor its look-alike lost or gained anything.
        assert_eq!(
            drain(name, replaced).expect("drain"),
            [(1, b"new".to_vec())]
        );
        assert_eq!(
            drain(lookalike, other).expect("drain"),
            [(1, b"not ours".to_vec())]
        );

        // The queue judged: drained, and its messages sent back.
        let taken = [(3, b"hi".to_vec()), (1, b"there".to_vec())];
        send_back(name, replaced, &taken).expect("send back");
        assert_eq!(drain(name, replaced).expect("drain"), taken);

        // Failures say which call failed and keep its errno.
        unlink(name.as_bytes());
        let err = drain(name, replaced).expect_err("gone");
        assert_eq!((err.op, err.errno()), ("mq_open", Some(libc::ENOENT)));
        let err = drain(OsStr::from_bytes(b"/a\0b"), replaced).expect_err("NUL");
        assert_eq!(
            (err.op, err.errno(), err.code().as_str()),
            ("mq_open", None, "failed")
        );
        unlink(lookalike.as_bytes());
    }
}
