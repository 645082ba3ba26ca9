//! glibc named semaphores: sem_open, which only libc offers. The semaphore lives on as its
//! file in /dev/shm (`sem.NAME`) after it is closed.
use std::ffi::CStr;

use super::SysError;

/// sem_open(`name`, O_CREAT|O_EXCL, `mode`, `value`): a new semaphore, closed again.
/// EEXIST when one has the name.
pub fn create(name: &CStr, mode: u32, value: u32) -> Result<(), SysError> {
    // SAFETY: `name` is a NUL-terminated string alive for the call; with O_CREAT sem_open
    // reads its two variadic arguments, the mode and the value, as C passes them after the
    // default promotions (unsigned int each).
    let sem = unsafe {
        libc::sem_open(
            name.as_ptr(),
            libc::O_CREAT | libc::O_EXCL,
            mode as libc::c_uint,
            value as libc::c_uint,
        )
    };
    close(sem, "sem_open")
}

/// sem_open(`name`, 0): opens an existing semaphore (read and write, as glibc always opens
/// one) and closes it. ENOENT when there is none, EACCES without the permission.
pub fn open(name: &CStr) -> Result<(), SysError> {
    // SAFETY: `name` is a NUL-terminated string alive for the call; without O_CREAT
    // sem_open reads no variadic argument.
    let sem = unsafe { libc::sem_open(name.as_ptr(), 0) };
    close(sem, "sem_open")
}

fn close(sem: *mut libc::sem_t, op: &'static str) -> Result<(), SysError> {
    if sem == libc::SEM_FAILED {
        return Err(SysError::last(op));
    }
    // SAFETY: `sem` is a semaphore sem_open just returned, closed once, here; nothing
    // waits on it through this process.
    if unsafe { libc::sem_close(sem) } < 0 {
        return Err(SysError::last("sem_close"));
    }
    Ok(())
}
