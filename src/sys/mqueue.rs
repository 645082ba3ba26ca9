//! Receiving a POSIX queue's messages for an archive, and putting them back.
use std::ffi::CString;
use std::io;

/// An open queue descriptor, closed on drop.
struct Queue(libc::mqd_t);

impl Drop for Queue {
    fn drop(&mut self) {
        // SAFETY: the descriptor was returned by mq_open and is closed once.
        unsafe { libc::mq_close(self.0) };
    }
}

fn open(name: &str, flags: libc::c_int) -> io::Result<Queue> {
    let name = CString::new(name).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    // SAFETY: a NUL-terminated name; without O_CREAT mq_open reads no further arguments.
    let mq = unsafe { libc::mq_open(name.as_ptr(), flags) };
    if mq == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(Queue(mq))
}

fn message_size(q: &Queue) -> io::Result<usize> {
    // SAFETY: mq_attr is plain data; all-zero is a valid value for it.
    let mut attr: libc::mq_attr = unsafe { std::mem::zeroed() };
    // SAFETY: a live descriptor and a writable mq_attr.
    if unsafe { libc::mq_getattr(q.0, &mut attr) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(attr.mq_msgsize.max(1) as usize)
}

/// Receives every message (priority, bytes) without waiting, highest priority first —
/// the order mq_receive gives.
pub fn drain(name: &str) -> io::Result<Vec<(u32, Vec<u8>)>> {
    let q = open(name, libc::O_RDONLY | libc::O_NONBLOCK)?;
    let size = message_size(&q)?;
    let mut buf = vec![0u8; size];
    let mut out = Vec::new();
    loop {
        let mut priority: libc::c_uint = 0;
        // SAFETY: `buf` is writable for `size` bytes, which is the queue's mq_msgsize.
        let n = unsafe { libc::mq_receive(q.0, buf.as_mut_ptr().cast(), size, &mut priority) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EAGAIN) {
                return Ok(out);
            }
            return Err(e);
        }
        out.push((priority, buf[..n as usize].to_vec()));
    }
}

/// Sends messages back (after an archive that could not be written), without waiting. On
/// failure, how many were sent back before it, and why the next one was not.
pub fn send_back(name: &str, messages: &[(u32, Vec<u8>)]) -> Result<(), (usize, io::Error)> {
    let q = open(name, libc::O_WRONLY | libc::O_NONBLOCK).map_err(|e| (0, e))?;
    for (sent, (priority, body)) in messages.iter().enumerate() {
        // SAFETY: `body` is readable for its length.
        let rc = unsafe { libc::mq_send(q.0, body.as_ptr().cast(), body.len(), *priority) };
        if rc != 0 {
            return Err((sent, io::Error::last_os_error()));
        }
    }
    Ok(())
}
