//! The error type of every command, and the exit codes of DESIGN.md.
use crate::sys::SysError;

/// The documented exit codes, and the two ways a command ends otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Success,
    /// An operation failed or was refused; in a batch, failures of mixed kinds.
    Failure,
    Usage,
    NotFound,
    PermissionDenied,
    /// `attach --exec`: the command's own status.
    Status(u8),
    /// A signal stopped the run after its report was written: the process dies of it, so
    /// that the caller (a shell, systemd) sees it.
    Signal(i32),
}

impl Exit {
    /// The exit code of a batch from each item's: 0 if all succeeded, else the common
    /// failure code, or 1 when the failures were of different kinds; a signal wins.
    pub fn merge(codes: impl IntoIterator<Item = Exit>) -> Exit {
        let mut merged = Exit::Success;
        for code in codes.into_iter().filter(|&c| c != Exit::Success) {
            merged = match (merged, code) {
                (Exit::Signal(_), _) => merged,
                (_, Exit::Signal(_)) => code,
                (Exit::Success, _) => code,
                (same, code) if same == code => same,
                _ => Exit::Failure,
            };
        }
        merged
    }

    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::Usage => 2,
            Exit::NotFound => 3,
            Exit::PermissionDenied => 4,
            Exit::Status(code) => code,
            Exit::Signal(signal) => 128u8.saturating_add(u8::try_from(signal).unwrap_or(0)),
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit.code())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{what}: {err}")]
    Sys { what: String, err: SysError },
    #[error("{what}: {err}")]
    Io { what: String, err: std::io::Error },
    #[error("{0}")]
    Failed(String),
    /// Refused for want of permission or trust (exit 4).
    #[error("{0}")]
    Denied(String),
    #[error(transparent)]
    Schema(#[from] crate::schema::SchemaError),
}

impl Error {
    pub fn sys(what: impl Into<String>, source: SysError) -> Error {
        Error::Sys {
            what: what.into(),
            err: source,
        }
    }

    /// A failed write of the command's result (standard output, or the buffer `--output`
    /// fills). Every other file operation names its own file.
    pub fn output(source: std::io::Error) -> Error {
        Error::io("writing output", source)
    }

    pub fn io(what: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            what: what.into(),
            err: source,
        }
    }

    pub fn exit(&self) -> Exit {
        match self {
            Error::Usage(_) => Exit::Usage,
            Error::NotFound(_) => Exit::NotFound,
            Error::Denied(_) => Exit::PermissionDenied,
            Error::Sys { err, .. } if err.is_permission() => Exit::PermissionDenied,
            Error::Io { err, .. } if err.kind() == std::io::ErrorKind::PermissionDenied => {
                Exit::PermissionDenied
            }
            Error::Io { err, .. } if err.kind() == std::io::ErrorKind::NotFound => Exit::NotFound,
            _ => Exit::Failure,
        }
    }

    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { err, .. } if err.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_exit_codes() {
        assert_eq!(Exit::merge([]), Exit::Success);
        assert_eq!(Exit::merge([Exit::Success, Exit::Success]), Exit::Success);
        assert_eq!(
            Exit::merge([Exit::Success, Exit::NotFound, Exit::NotFound]),
            Exit::NotFound
        );
        assert_eq!(
            Exit::merge([Exit::PermissionDenied, Exit::Success]),
            Exit::PermissionDenied
        );
        assert_eq!(
            Exit::merge([Exit::NotFound, Exit::PermissionDenied]),
            Exit::Failure
        );
    }

    #[test]
    fn errno_decides_exit_code() {
        let eperm = Error::sys("remove 5", SysError::new("shmctl(IPC_RMID)", libc::EPERM));
        assert_eq!(eperm.exit(), Exit::PermissionDenied);
        let einval = Error::sys("stat 5", SysError::new("shmctl(IPC_STAT)", libc::ENOMEM));
        assert_eq!(einval.exit(), Exit::Failure);
        assert!(
            eperm
                .to_string()
                .contains("operation not permitted (EPERM)"),
            "{eperm}"
        );
    }
}
