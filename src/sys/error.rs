use std::fmt;

/// A failed system call: which operation, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SysError {
    pub op: &'static str,
    pub cause: Cause,
}

/// Why an operation failed: the errno it returned, or — for a failure found without one (a
/// write that stopped short, a record that would not serialise, an object that is not the
/// one judged) — a code of its own and what happened. No errno is ever made up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    Errno(i32),
    /// `code` is snake_case (`changed`, `failed`), never an errno's name.
    Other {
        code: &'static str,
        text: String,
    },
}

/// The code of a failure that has no errno and no more particular code of its own.
pub const FAILED: &str = "failed";

impl SysError {
    pub fn new(op: &'static str, errno: i32) -> Self {
        SysError {
            op,
            cause: Cause::Errno(errno),
        }
    }

    /// A failure with no errno behind it: its own `code` and what happened.
    pub fn other(op: &'static str, code: &'static str, text: impl Into<String>) -> Self {
        SysError {
            op,
            cause: Cause::Other {
                code,
                text: text.into(),
            },
        }
    }

    /// The last errno of this thread, attributed to `op`.
    pub fn last(op: &'static str) -> Self {
        SysError::new(op, super::errno())
    }

    /// An `io::Error` attributed to `op`: its errno, or (an error made in user space, such
    /// as a short write) its message.
    pub fn io(op: &'static str, e: &std::io::Error) -> Self {
        match e.raw_os_error() {
            Some(errno) => SysError::new(op, errno),
            None => SysError::other(op, FAILED, e.to_string()),
        }
    }

    /// A `map_err` for a call made through `nix`: its `Errno`, attributed to `op`.
    pub fn nix(op: &'static str) -> impl FnOnce(nix::errno::Errno) -> SysError {
        move |errno| SysError::new(op, errno as i32)
    }

    /// The errno, when the kernel gave one.
    pub fn errno(&self) -> Option<i32> {
        match self.cause {
            Cause::Errno(errno) => Some(errno),
            Cause::Other { .. } => None,
        }
    }

    /// EINVAL or EIDRM on an id: the segment no longer exists (or never did).
    pub fn is_gone(&self) -> bool {
        matches!(self.errno(), Some(libc::EINVAL | libc::EIDRM))
    }

    pub fn is_permission(&self) -> bool {
        matches!(self.errno(), Some(libc::EPERM | libc::EACCES))
    }

    /// The errno's symbolic name, as scripts match on it (`"EPERM"`), or the code of a
    /// failure without one.
    pub fn code(&self) -> String {
        match self.cause {
            Cause::Errno(errno) => errno_name(errno),
            Cause::Other { code, .. } => code.to_string(),
        }
    }

    /// The errno's text, lower-case as in `strerror` ("permission denied"), or what happened.
    pub fn text(&self) -> String {
        let errno = match &self.cause {
            Cause::Errno(errno) => *errno,
            Cause::Other { text, .. } => return text.clone(),
        };
        let text = std::io::Error::from_raw_os_error(errno).to_string();
        // io::Error appends " (os error N)"; the code already says which errno it is.
        let text = text.split(" (os error").next().unwrap_or(&text);
        let mut chars = text.chars();
        match chars.next() {
            Some(first) => first.to_lowercase().chain(chars).collect(),
            None => String::new(),
        }
    }
}

impl fmt::Display for SysError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed: {} ({})", self.op, self.text(), self.code())
    }
}

impl std::error::Error for SysError {}

/// The errno's symbolic name (`EPERM`, `ENOTEMPTY`), as the C headers spell it; a number no
/// name is known for shows as itself (`errno 999`), never as a name made up for it.
pub fn errno_name(errno: i32) -> String {
    match nix::errno::Errno::from_raw(errno) {
        nix::errno::Errno::UnknownErrno => format!("errno {errno}"),
        known => format!("{known:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_errno_has_its_real_name() {
        for (errno, name) in [
            (libc::EPERM, "EPERM"),
            (libc::ENOTEMPTY, "ENOTEMPTY"),
            (libc::EAGAIN, "EAGAIN"),
            (libc::ETIMEDOUT, "ETIMEDOUT"),
            (libc::ENOMSG, "ENOMSG"),
            (libc::E2BIG, "E2BIG"),
            (libc::ELOOP, "ELOOP"),
            (libc::EOPNOTSUPP, "EOPNOTSUPP"),
        ] {
            assert_eq!(errno_name(errno), name);
            assert_eq!(SysError::new("op", errno).code(), name);
        }
    }

    #[test]
    fn unknown_numbers_get_no_made_up_name() {
        assert_eq!(errno_name(999), "errno 999");
        assert_eq!(errno_name(0), "errno 0");
        assert_eq!(errno_name(-1), "errno -1");
        let e = SysError::new("semop", 999);
        assert_eq!(e.code(), "errno 999");
        assert!(!e.to_string().contains("EUNKNOWN"), "{e}");
    }

    #[test]
    fn a_failure_without_errno_keeps_its_message() {
        let short = std::io::Error::new(std::io::ErrorKind::WriteZero, "wrote 3 of 8 bytes");
        let e = SysError::io("archive", &short);
        assert_eq!((e.errno(), e.code().as_str()), (None, FAILED));
        assert_eq!(e.text(), "wrote 3 of 8 bytes");
        let real = SysError::io("archive", &std::io::Error::from_raw_os_error(libc::ENOSPC));
        assert_eq!(
            (real.errno(), real.code().as_str()),
            (Some(libc::ENOSPC), "ENOSPC")
        );
        assert_eq!(real.text(), "no space left on device");
    }
}
