use std::fmt;

/// A failed system call: which operation, and the errno it returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SysError {
    pub op: &'static str,
    pub errno: i32,
}

impl SysError {
    pub fn new(op: &'static str, errno: i32) -> Self {
        SysError { op, errno }
    }

    /// The last errno of this thread, attributed to `op`.
    pub fn last(op: &'static str) -> Self {
        SysError::new(op, super::errno())
    }

    /// EINVAL or EIDRM on an id: the segment no longer exists (or never did).
    pub fn is_gone(&self) -> bool {
        self.errno == libc::EINVAL || self.errno == libc::EIDRM
    }

    pub fn is_permission(&self) -> bool {
        self.errno == libc::EPERM || self.errno == libc::EACCES
    }

    /// The errno's symbolic name, as scripts match on it (`"EPERM"`).
    pub fn code(&self) -> &'static str {
        errno_name(self.errno)
    }

    /// The errno's text, lower-case as in `strerror` ("permission denied").
    pub fn text(&self) -> String {
        let text = std::io::Error::from_raw_os_error(self.errno).to_string();
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

pub fn errno_name(errno: i32) -> &'static str {
    match errno {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::ESRCH => "ESRCH",
        libc::EINTR => "EINTR",
        libc::EIO => "EIO",
        libc::EBADF => "EBADF",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EFAULT => "EFAULT",
        libc::EEXIST => "EEXIST",
        libc::ENOTDIR => "ENOTDIR",
        libc::EINVAL => "EINVAL",
        libc::ENFILE => "ENFILE",
        libc::EMFILE => "EMFILE",
        libc::ENOSPC => "ENOSPC",
        libc::EROFS => "EROFS",
        libc::ERANGE => "ERANGE",
        libc::ENOSYS => "ENOSYS",
        libc::EIDRM => "EIDRM",
        libc::EOVERFLOW => "EOVERFLOW",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::EDQUOT => "EDQUOT",
        _ => "EUNKNOWN",
    }
}
