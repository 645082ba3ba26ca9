//! `--output FILE`: the whole result written at once, for node_exporter's textfile directory
//! (DESIGN.md "What shmctl trusts"). The directory may be shared with others, so the target is
//! never followed or replaced unless it is a regular file, and the temporary file beside it is
//! created with O_EXCL|O_NOFOLLOW under an unpredictable name.
use std::fs::{self, File, OpenOptions, Permissions};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The written file's mode, whatever the umask: readable by node_exporter, which runs as its
/// own user (`File::create` gave this under the usual umask 022, and less under a strict one).
pub const MODE: u32 = 0o644;

/// The target's directory, after refusing a target that exists and is not a regular file. A
/// symbolic link is refused too (lstat): it is neither followed nor replaced.
pub fn check_target(path: &Path) -> Result<PathBuf> {
    let shown = path.display();
    if path.as_os_str().is_empty() || path.as_os_str().as_bytes().ends_with(b"/") {
        return Err(Error::Usage(format!(
            "--output `{shown}` names a directory, not a regular file"
        )));
    }
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_file() => {}
        Ok(meta) => {
            let t = meta.file_type();
            let what = if t.is_symlink() {
                return Err(Error::Usage(format!(
                    "--output {shown} is a symbolic link: shmctl neither follows nor replaces \
                     one; name the file itself"
                )));
            } else if t.is_dir() {
                "a directory"
            } else if t.is_fifo() {
                "a FIFO"
            } else if t.is_socket() {
                "a socket"
            } else if t.is_char_device() {
                "a character device"
            } else if t.is_block_device() {
                "a block device"
            } else {
                "a special file"
            };
            return Err(Error::Usage(format!(
                "--output {shown} is {what}, not a regular file: refusing to replace it"
            )));
        }
        // Absent, or under something that is not a directory (said below).
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) if e.raw_os_error() == Some(libc::ENOTDIR) => {}
        Err(e) => return Err(Error::io(format!("--output {shown}"), e)),
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    match fs::metadata(&dir) {
        Ok(meta) if meta.is_dir() => Ok(dir),
        Ok(_) => Err(Error::Usage(format!(
            "--output {shown}: {} is not a directory",
            dir.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::NotFound(format!(
            "--output {shown}: the directory {} does not exist",
            dir.display()
        ))),
        Err(e) => Err(Error::io(format!("--output {shown}"), e)),
    }
}

/// Writes `contents` to `path` atomically: a new temporary file in the same directory (mode
/// [`MODE`]), fsynced, renamed over the target, then the directory fsynced — a reader never
/// sees half a file, and a crash leaves the old file or the new one.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<()> {
    // Checked again right before writing: the caller checked before computing anything.
    let dir = check_target(path)?;
    let failed = |e| Error::io(format!("writing {}", path.display()), e);
    let mut temp = tempfile::Builder::new()
        .prefix(".shmctl-output.")
        .suffix(".tmp")
        .make_in(&dir, |name| {
            OpenOptions::new()
                .write(true)
                .create_new(true) // O_CREAT|O_EXCL
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                .mode(0o600)
                .open(name)
        })
        .map_err(failed)?;
    temp.as_file()
        .set_permissions(Permissions::from_mode(MODE))
        .map_err(failed)?;
    temp.write_all(contents).map_err(failed)?;
    temp.as_file().sync_all().map_err(failed)?;
    // A failed rename drops the temporary file, which removes it.
    temp.persist(path).map_err(|e| failed(e.error))?;
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(format!("syncing {}", dir.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Exit;

    #[test]
    fn targets_that_name_no_regular_file_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(
            check_target(Path::new("")).map_err(|e| e.exit()),
            Err(Exit::Usage)
        );
        let slash = format!("{}/x/", dir.path().display());
        assert_eq!(
            check_target(Path::new(&slash)).map_err(|e| e.exit()),
            Err(Exit::Usage)
        );
        let missing = dir.path().join("no/such/dir/file.prom");
        assert_eq!(
            check_target(&missing).map_err(|e| e.exit()),
            Err(Exit::NotFound)
        );
        let file = dir.path().join("plain");
        fs::write(&file, "x").expect("write");
        let under_file = file.join("file.prom");
        assert_eq!(
            check_target(&under_file).map_err(|e| e.exit()),
            Err(Exit::Usage)
        );
        assert_eq!(check_target(&file).ok(), Some(dir.path().to_path_buf()));
        assert_eq!(
            check_target(Path::new("relative.prom")).ok(),
            Some(PathBuf::from("."))
        );
    }

    #[test]
    fn writes_the_whole_file_with_its_mode_and_nothing_beside_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("out.prom");
        write_atomically(&target, b"one\n").expect("write");
        write_atomically(&target, b"two\n").expect("replace");
        assert_eq!(fs::read(&target).expect("read"), b"two\n");
        let mode = fs::metadata(&target).expect("meta").permissions().mode();
        assert_eq!(mode & 0o7777, MODE);
        assert_eq!(fs::read_dir(dir.path()).expect("dir").count(), 1);
    }
}
