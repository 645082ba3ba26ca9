//! ftok(3), computed the way glibc does so that we can show the bits it used.
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::model::FtokKey;

/// glibc: `(st_ino & 0xffff) | ((st_dev & 0xff) << 16) | ((proj & 0xff) << 24)`.
pub fn ftok(path: &Path, proj: u8) -> std::io::Result<FtokKey> {
    let meta = std::fs::metadata(path)?;
    Ok(FtokKey::from_parts(meta.ino(), meta.dev(), proj))
}
