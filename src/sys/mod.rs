//! The kernel layer: the only module of the library allowed to use `unsafe`.
//!
//! Everything here turns a syscall or a `/proc` file into a plain value of
//! [`crate::model`]; policy and rendering never call the kernel themselves. Calls that
//! `nix` wraps safely go through it; `unsafe` is left to what only libc offers — System V
//! IPC (msg, sem, shm) and glibc's named semaphores (psem) — each module allowed it by name.

pub mod error;
pub mod ftok;
#[allow(unsafe_code)] // SSSE3 intrinsics
pub mod hexline;
pub mod holders;
pub mod lock;
pub mod maps;
pub mod mqueue;
#[allow(unsafe_code)]
pub mod msg;
pub mod nsfs;
pub mod posix;
pub mod process;
pub mod procfs;
#[allow(unsafe_code)]
pub mod psem;
#[allow(unsafe_code)]
pub mod sem;
#[allow(unsafe_code)]
pub mod shm;
pub mod slots;
pub mod sysvproc;
pub mod users;
pub mod waiters;

pub use error::SysError;

/// The inode of an IPC namespace link (`/proc/PID/ns/ipc`), which names the namespace.
pub fn ipc_namespace_of(pid: impl std::fmt::Display) -> std::io::Result<u64> {
    use std::os::unix::fs::MetadataExt;
    Ok(std::fs::metadata(format!("/proc/{pid}/ns/ipc"))?.ino())
}

/// Enters another IPC namespace (a container's): `/proc/PID/ns/ipc` or a bind-mounted
/// namespace file. Only the IPC namespace changes: pids are still judged in ours. Call it
/// before anything else, while the process has one thread (setns applies per thread).
pub fn enter_ipc_namespace(path: &std::path::Path) -> std::io::Result<()> {
    nsfs::IpcNs::at(path)?.enter()
}

/// `ipc_perm.mode` as a number: it is `unsigned short` on x86-64 and `unsigned int` on
/// aarch64 (generic, so that neither target sees a conversion to its own type).
pub(crate) fn perm_mode<T: Into<u32>>(mode: T) -> u32 {
    mode.into()
}

/// Permission bits for `ipc_perm.mode`, whatever its width on the target.
pub(crate) fn perm_bits<T: From<u16>>(mode: u32) -> T {
    T::from((mode & 0o777) as u16)
}

/// Seconds since the Unix epoch, now.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub(crate) fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// The size of a memory page (4 KiB on x86-64; 16 or 64 KiB on some aarch64 systems).
pub fn page_size() -> u64 {
    match nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE) {
        Ok(Some(size)) if size > 0 => size as u64,
        _ => 4096,
    }
}

#[cfg(test)]
/// Runs the test body in a private IPC namespace: the outer run re-executes this test
/// binary through unshare(1) with a marker variable, the inner run does the work. Returns
/// true in the inner run.
pub(crate) fn in_private_namespace(test: &str) -> bool {
    if std::env::var_os("SHMCTL_UNIT_IN_NS").is_some() {
        return true;
    }
    let exe = std::env::current_exe().expect("test binary");
    let mut cmd = std::process::Command::new("unshare");
    if !nix::unistd::geteuid().is_root() {
        cmd.args(["--user", "--map-root-user"]);
    }
    let out = cmd
        .args(["--ipc", "--"])
        .arg(exe)
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env("SHMCTL_UNIT_IN_NS", "1")
        .output()
        .expect("run unshare");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && stderr.starts_with("unshare:") {
        assert!(
            std::env::var_os("SHMCTL_TEST_REQUIRE_NS").is_none(),
            "namespaces required: {stderr}"
        );
        eprintln!("SKIPPED: no private IPC namespace: {stderr}");
        return false;
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "inner run failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("1 passed"),
        "the inner run did not run the test:\n{stdout}"
    );
    false
}
