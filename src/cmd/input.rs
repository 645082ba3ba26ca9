//! Files named on the command line (headers, `create --from`) are data of unknown size: a
//! device such as /dev/zero, a pipe or a huge file never ends as far as a reader can tell, so
//! every read here is bounded (DESIGN.md "What shmctl trusts").
use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// The largest header read: far beyond any real one, small enough to hold at once.
pub const HEADER_LIMIT: u64 = 16 << 20;

/// Opens `path` for reading (a missing file is "not found").
pub fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            Error::NotFound(format!("{} does not exist", path.display()))
        }
        _ => Error::io(format!("reading {}", path.display()), e),
    })
}

/// A C header's text: at most [`HEADER_LIMIT`] bytes, refused (exit 1) as soon as more
/// arrive, whatever the file is.
pub fn read_header(path: &Path) -> Result<String> {
    let file = open(path)?;
    let mut bytes = Vec::new();
    file.take(HEADER_LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    if bytes.len() as u64 > HEADER_LIMIT {
        return Err(Error::Failed(format!(
            "{} is larger than 16 MiB: not read further (no header is that large)",
            path.display()
        )));
    }
    // gcc takes bytes that are not UTF-8 in comments (Latin-1 names of authors): each becomes
    // U+FFFD, which the lexer skips in a comment and names anywhere else.
    Ok(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// A `create --from` file, opened: its length when it is a regular file; otherwise (a pipe,
/// a device) only reading tells, so `--size` must bound it.
pub struct Source {
    pub file: File,
    /// A regular file's size, from the open file (not the path, which may change).
    pub len: Option<u64>,
    pub name: String,
}

impl Source {
    pub fn open(path: &Path) -> Result<Source> {
        let file = open(path)?;
        let name = path.display().to_string();
        let meta = file
            .metadata()
            .map_err(|e| Error::io(format!("reading {name}"), e))?;
        let t = meta.file_type();
        if t.is_dir() {
            return Err(Error::Usage(format!("--from {name} is a directory")));
        }
        // A block device's size is not its st_size: like a pipe, it is read to --size.
        let len = t.is_file().then_some(meta.len());
        Ok(Source { file, len, name })
    }

    /// Reads what fills `buf`, up to its end or the file's; 0 at the end.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            match self.file.read(&mut buf[done..]) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io(format!("reading {}", self.name), e)),
            }
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_up_to_the_limit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let at = dir.path().join("at.h");
        std::fs::write(&at, vec![b' '; HEADER_LIMIT as usize]).expect("write");
        assert_eq!(read_header(&at).map(|t| t.len()).ok(), Some(16 << 20));
        let over = dir.path().join("over.h");
        std::fs::write(&over, vec![b' '; HEADER_LIMIT as usize + 1]).expect("write");
        let err = read_header(&over).expect_err("over");
        assert!(err.to_string().contains("larger than 16 MiB"), "{err}");
        assert!(read_header(Path::new("/dev/zero")).is_err());
        let missing = read_header(&dir.path().join("missing.h")).expect_err("missing");
        assert!(matches!(missing, Error::NotFound(_)));
        let binary = dir.path().join("binary.h");
        std::fs::write(&binary, b"\xff\xfe").expect("write");
        // Read (gcc takes such bytes in comments); the lexer names them anywhere else.
        assert_eq!(read_header(&binary).expect("read"), "\u{fffd}\u{fffd}");
    }

    /// A failed read names the file it read; only a failed write of the result says
    /// "writing output" (there is no blanket conversion from io::Error any more).
    #[test]
    fn a_read_error_names_its_file_not_the_output() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = read_header(dir.path()).expect_err("a directory is not a header");
        let text = err.to_string();
        assert!(
            text.contains(&format!("reading {}", dir.path().display())),
            "{text}"
        );
        assert!(!text.contains("writing output"), "{text}");
        let broken = std::io::Error::from_raw_os_error(libc::EPIPE);
        assert!(Error::output(broken).is_broken_pipe());
    }

    #[test]
    fn sources_know_their_length_only_when_regular() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("data");
        std::fs::write(&file, b"12345").expect("write");
        assert_eq!(Source::open(&file).map(|s| s.len).ok(), Some(Some(5)));
        assert_eq!(
            Source::open(Path::new("/dev/zero")).map(|s| s.len).ok(),
            Some(None)
        );
        assert!(matches!(Source::open(dir.path()), Err(Error::Usage(_))));
        let mut zero = Source::open(Path::new("/dev/zero")).expect("open");
        let mut buf = [1u8; 100];
        assert_eq!(zero.read(&mut buf).ok(), Some(100));
        assert!(buf.iter().all(|&b| b == 0));
    }
}
