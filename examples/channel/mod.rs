//! What the writer and reader examples share: `struct Channel` of examples/shared_data.h
//! mirrored in Rust, the key, and the error text.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;

/// `SHARED_DATA_VERSION` of examples/shared_data.h: the layout both sides were built for.
pub const SHARED_DATA_VERSION: u32 = 1;

/// `struct SharedData` of examples/shared_data.h: one message.
#[repr(C)]
pub struct SharedData {
    /// [`SHARED_DATA_VERSION`], written by the writer before anything else.
    pub version: u32,
    /// The message's number: 1, 2, ... N.
    pub counter: i32,
    /// The text, NUL-terminated.
    pub message: [u8; 100],
    /// 1 when the writer has put a message here, 0 once the reader has consumed it.
    pub ready: u8,
    /// Explicit padding: always 0.
    pub reserved: [u8; 3],
}

/// `struct Channel` of examples/shared_data.h: the whole segment.
#[repr(C)]
pub struct Channel {
    /// Posted by the writer when `data` holds a message (starts at 0).
    pub filled: libc::sem_t,
    /// Posted by the reader when it has taken the message (starts at 1: the slot is free).
    pub consumed: libc::sem_t,
    pub data: SharedData,
}

// The layout gcc gives examples/shared_data.h (`shmctl schema examples/shared_data.h`).
#[cfg(all(
    target_os = "linux",
    target_env = "gnu",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
const _: () = {
    assert!(std::mem::size_of::<SharedData>() == 112);
    assert!(std::mem::offset_of!(SharedData, counter) == 0x04);
    assert!(std::mem::offset_of!(SharedData, message) == 0x08);
    assert!(std::mem::offset_of!(SharedData, ready) == 0x6c);
    assert!(std::mem::offset_of!(SharedData, reserved) == 0x6d);
    assert!(std::mem::size_of::<Channel>() == 176);
    assert!(std::mem::offset_of!(Channel, consumed) == 0x20);
    assert!(std::mem::offset_of!(Channel, data) == 0x40);
};

pub fn os_error(what: &str) -> String {
    format!("{what}: {}", io::Error::last_os_error())
}

pub fn ftok(path: &std::path::Path) -> Result<libc::key_t, String> {
    let c_path = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| format!("--path {path:?} contains a NUL byte"))?;
    // SAFETY: c_path is a NUL-terminated string that outlives the call.
    let key = unsafe { libc::ftok(c_path.as_ptr(), 65) };
    if key == -1 {
        return Err(os_error(&format!("ftok({path:?}, 65)")));
    }
    Ok(key)
}

pub fn sem_post(sem: *mut libc::sem_t, name: &str) -> Result<(), String> {
    // SAFETY: sem points to a semaphore initialised (by the writer) in the attached segment.
    if unsafe { libc::sem_post(sem) } == -1 {
        return Err(os_error(&format!("sem_post({name})")));
    }
    Ok(())
}
