//! Receiving a POSIX queue's messages for an archive, and putting them back.
//!
//! A queue is opened by its name byte for byte (a name need not be UTF-8), and only used
//! once the descriptor is known to be the queue that was listed and judged: on Linux an
//! `mqd_t` is a file descriptor, whose device and inode fstat gives.
use std::ffi::{CStr, CString, OsStr};
use std::os::unix::ffi::OsStrExt;

use nix::errno::Errno;
use nix::mqueue::{self as mq, MQ_OFlag, MqdT};
use nix::sys::stat::Mode;

use super::error::{Cause, SysError};

/// The code of a queue that is not the one judged (removed and created again since).
pub const CHANGED: &str = "changed";

/// Which queue was judged: the device and inode of its file in /dev/mqueue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    pub dev: u64,
    pub ino: u64,
}

/// Opens the queue `name` (`/name`, as mq_open takes it), checks that it is `judged`, runs
/// `body` on it and closes it.
fn with_queue<T>(
    name: &OsStr,
    flags: MQ_OFlag,
    judged: Identity,
    body: impl FnOnce(&MqdT) -> T,
) -> Result<T, SysError> {
    let c_name = CString::new(name.as_bytes()).map_err(|_| {
        SysError::other(
            "mq_open",
            super::error::FAILED,
            "the name contains a NUL byte",
        )
    })?;
    // Without O_CREAT neither a mode nor attributes are read.
    let mqd = mq::mq_open(
        c_name.as_c_str(),
        flags | MQ_OFlag::O_CLOEXEC,
        Mode::empty(),
        None,
    )
    .map_err(SysError::nix("mq_open"))?;
    let result = check(&mqd, judged).map(|()| body(&mqd));
    // Nothing was written through it that a failed close could lose.
    mq::mq_close(mqd).ok();
    result
}

/// mq_open(`name`, O_CREAT|O_EXCL|O_RDWR, `mode`, {`max_messages`, `message_bytes`}), given
/// exactly the permission bits `mode` (fchmod: the umask does not narrow them), closed
/// again. EEXIST when one has the name; EINVAL when the attributes are beyond the limits
/// (fs.mqueue.msg_max and msgsize_max, unless CAP_SYS_RESOURCE).
pub fn create(
    name: &CStr,
    mode: u32,
    max_messages: u64,
    message_bytes: u64,
) -> Result<(), SysError> {
    let member = |n: u64| {
        mq::mq_attr_member_t::try_from(n).map_err(|_| {
            SysError::other(
                "mq_open",
                super::error::FAILED,
                format!("{n} is beyond what mq_attr holds"),
            )
        })
    };
    let attr = mq::MqAttr::new(0, member(max_messages)?, member(message_bytes)?, 0);
    let perms = Mode::from_bits_truncate((mode & 0o777) as libc::mode_t);
    let mqd = mq::mq_open(
        name,
        MQ_OFlag::O_CREAT | MQ_OFlag::O_EXCL | MQ_OFlag::O_RDWR | MQ_OFlag::O_CLOEXEC,
        perms,
        Some(&attr),
    )
    .map_err(SysError::nix("mq_open"))?;
    let chmod = nix::sys::stat::fchmod(&mqd, perms).map_err(SysError::nix("fchmod"));
    mq::mq_close(mqd).ok();
    if chmod.is_err() {
        mq::mq_unlink(name).ok();
    }
    chmod
}

/// Opens an existing queue read and write (the access creating it gives): its maximum
/// number of messages and message size. ENOENT when there is none, EACCES without the
/// permission.
pub fn open(name: &CStr) -> Result<(u64, u64), SysError> {
    let mqd = mq::mq_open(
        name,
        MQ_OFlag::O_RDWR | MQ_OFlag::O_CLOEXEC,
        Mode::empty(),
        None,
    )
    .map_err(SysError::nix("mq_open"))?;
    let attr = mq::mq_getattr(&mqd).map_err(SysError::nix("mq_getattr"));
    mq::mq_close(mqd).ok();
    let attr = attr?;
    let count = |n: mq::mq_attr_member_t| u64::try_from(n).unwrap_or(0);
    Ok((count(attr.maxmsg()), count(attr.msgsize())))
}

/// Refuses a queue that is not the one judged (removed and created again since).
fn check(mqd: &MqdT, judged: Identity) -> Result<(), SysError> {
    let found = identity(mqd)?;
    if found == judged {
        return Ok(());
    }
    Err(SysError {
        op: "identity check",
        cause: Cause::Other {
            code: CHANGED,
            text: format!(
                "the queue under this name is not the one judged (device {} inode {}, \
                 listed as device {} inode {}): it changed since, nothing was taken",
                found.dev, found.ino, judged.dev, judged.ino
            ),
        },
    })
}

/// The device and inode of an open queue (on Linux an mqd_t is a file descriptor).
fn identity(mqd: &MqdT) -> Result<Identity, SysError> {
    let st = nix::sys::stat::fstat(mqd).map_err(SysError::nix("fstat"))?;
    #[allow(clippy::unnecessary_cast)] // st_dev's and st_ino's types differ between targets
    Ok(Identity {
        dev: st.st_dev as u64,
        ino: st.st_ino as u64,
    })
}

/// Receives every message (priority, bytes) of the queue `name` without waiting, highest
/// priority first — the order mq_receive gives — if it is still the queue `judged`;
/// otherwise takes nothing.
pub fn drain(name: &OsStr, judged: Identity) -> Result<Vec<(u32, Vec<u8>)>, SysError> {
    let flags = MQ_OFlag::O_RDONLY | MQ_OFlag::O_NONBLOCK;
    with_queue(name, flags, judged, |mqd| {
        let attr = mq::mq_getattr(mqd).map_err(SysError::nix("mq_getattr"))?;
        // mq_receive needs room for the queue's largest message: mq_msgsize.
        let mut buf = vec![0u8; usize::try_from(attr.msgsize()).unwrap_or(0).max(1)];
        let mut out = Vec::new();
        loop {
            let mut priority = 0;
            match mq::mq_receive(mqd, &mut buf, &mut priority) {
                Ok(n) => out.push((priority, buf[..n].to_vec())),
                Err(Errno::EAGAIN) => return Ok(out),
                Err(errno) => return Err(SysError::nix("mq_receive")(errno)),
            }
        }
    })?
}

/// Sends messages back to the queue `name` (after an archive that could not be written),
/// without waiting, if it is still the queue `judged`. On failure, how many were sent back
/// before it, and why the next one was not.
pub fn send_back(
    name: &OsStr,
    judged: Identity,
    messages: &[(u32, Vec<u8>)],
) -> Result<(), (usize, SysError)> {
    let flags = MQ_OFlag::O_WRONLY | MQ_OFlag::O_NONBLOCK;
    with_queue(name, flags, judged, |mqd| {
        for (sent, (priority, body)) in messages.iter().enumerate() {
            mq::mq_send(mqd, body, *priority)
                .map_err(|errno| (sent, SysError::nix("mq_send")(errno)))?;
        }
        Ok(())
    })
    .map_err(|e| (0, e))?
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Creates the queue `name` (in the test's private IPC namespace) holding `messages`.
    fn create(name: &[u8], messages: &[&[u8]]) -> Identity {
        let c_name = CString::new(name).expect("no NUL");
        let attr = mq::MqAttr::new(0, 10, 8192, 0);
        let flags = MQ_OFlag::O_CREAT | MQ_OFlag::O_EXCL | MQ_OFlag::O_RDWR;
        let mqd = mq::mq_open(
            c_name.as_c_str(),
            flags,
            Mode::S_IRUSR | Mode::S_IWUSR,
            Some(&attr),
        )
        .expect("mq_open");
        for body in messages {
            mq::mq_send(&mqd, body, 1).expect("mq_send");
        }
        let found = identity(&mqd).expect("fstat");
        mq::mq_close(mqd).expect("mq_close");
        found
    }

    fn unlink(name: &[u8]) {
        let c_name = CString::new(name).expect("no NUL");
        mq::mq_unlink(c_name.as_c_str()).expect("mq_unlink");
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
