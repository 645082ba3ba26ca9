//! `--archive DIR` (rm, gc) and `create --from-archive` (DESIGN.md "Archive").
//!
//! Order: attach read-only → copy → write and fsync both files and the directory → the
//! removal sequence expecting nattch 1 (ours) → IPC_RMID → detach. The attachment keeps the
//! segment alive until the copy is safe; if the archive cannot be written nothing is removed.
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::model::{Created, KeyHex, Reason, Segment, SegmentRecord};
use crate::removal::{self, Kernel, Outcome, Removal, Request};
use crate::render;
use crate::sys::shm::{self, Access, Attachment};
use crate::sys::{self, SysError};

const CHUNK: usize = 1 << 20;

/// Archives `plan` into `dir`, then removes it. `check` is the caller's verdict (gc's
/// policy, or rm's "anything"); it is shown the segment without our own attachment.
pub fn remove_with_archive(
    dir: &Path,
    plan: &SegmentRecord,
    request: Request,
    check: &dyn Fn(&Segment) -> Result<(), Reason>,
    shm_rmid_forced: Option<u32>,
) -> Removal {
    let seg = &plan.segment;
    let failed = |error: SysError, text: String| {
        Removal::from(Outcome::Failed {
            id: seg.id,
            segment: Some(seg.clone()),
            error,
            text,
        })
    };
    if shm_rmid_forced == Some(1) {
        return failed(
            SysError::new("archive", libc::EOPNOTSUPP),
            "not archived: archiving attaches, and with kernel.shm_rmid_forced=1 detaching would \
             destroy the segment even if the archive failed"
                .to_string(),
        );
    }
    let attachment = match Attachment::new(seg.id, seg.size, Access::ReadOnly) {
        Ok(a) => a,
        Err(e) if e.is_gone() => return Removal::from(Outcome::Gone { id: seg.id }),
        Err(e) => return failed(e, format!("cannot attach segment {} to archive it", seg.id)),
    };
    // Our attach changed atime, lpid and nattch: the sequence starts from fresh facts.
    let attached = match shm::stat(seg.id) {
        Ok(s) => s,
        Err(e) if e.is_gone() => return Removal::from(Outcome::Gone { id: seg.id }),
        Err(e) => return failed(e, format!("cannot read segment {}", seg.id)),
    };
    let files = match write_archive(dir, plan, &attachment) {
        Ok(files) => files,
        Err(e) => {
            return failed(
                SysError::new("archive", e.errno),
                format!("not removed: {}", e.text),
            )
        }
    };

    // Our attach made us the last user and moved atime: judge on the planned facts for
    // those, unless someone else came and went meanwhile (then it changed).
    let me = std::process::id() as i32;
    let discounting = |s: &Segment| {
        if s.cpid != seg.cpid || s.dtime != seg.dtime || (s.lpid != me && s.lpid != seg.lpid) {
            return Err(Reason::new(
                "changed",
                "used by another process since the plan",
            ));
        }
        let view = Segment {
            lpid: seg.lpid,
            atime: seg.atime,
            ..s.clone()
        };
        check(&view)
    };
    let request = Request {
        expected_nattch: 1,
        ..request
    };
    let outcome = removal::remove_segment(&mut Kernel, attached, request, &discounting);
    drop(attachment); // the last detach destroys the segment
    if !matches!(outcome, Outcome::Removed { .. }) {
        // The files would describe a segment that is still there.
        std::fs::remove_file(&files.0).ok();
        std::fs::remove_file(&files.1).ok();
        return Removal::from(outcome);
    }
    // Report it as planned: the nattch of 1 seen at removal was our own attachment.
    let outcome = Outcome::Removed {
        segment: seg.clone(),
        marked: false,
    };
    Removal {
        outcome,
        evidence: Vec::new(),
        archive: Some(files.1),
    }
}

/// Why an archive could not be written: the errno (for the report's code) and a text.
struct ArchiveError {
    errno: i32,
    text: String,
}

impl ArchiveError {
    fn at(path: &Path, e: io::Error) -> ArchiveError {
        ArchiveError {
            errno: e.raw_os_error().unwrap_or(libc::EIO),
            text: format!("{}: {e}", path.display()),
        }
    }
}

/// `DIR/shm-<id>-<key_hex>.bin` and `.json`, created new (never overwriting), fsynced, and
/// the directory fsynced after them. On failure the files this call created are removed.
fn write_archive(
    dir: &Path,
    plan: &SegmentRecord,
    attachment: &Attachment,
) -> Result<(PathBuf, PathBuf), ArchiveError> {
    let seg = &plan.segment;
    let stem = format!("shm-{}-{}", seg.id, KeyHex(seg.key));
    let bin = dir.join(format!("{stem}.bin"));
    let json = dir.join(format!("{stem}.json"));
    let mut created = Vec::new();
    let result = (|| {
        let mut file = create_new(&bin).map_err(|e| ArchiveError::at(&bin, e))?;
        created.push(bin.clone());
        let mut buf = vec![0u8; CHUNK.min(attachment.len().max(1))];
        let mut offset = 0;
        while offset < attachment.len() {
            let n = attachment.read_at(offset, &mut buf);
            file.write_all(&buf[..n])
                .map_err(|e| ArchiveError::at(&bin, e))?;
            offset += n;
        }
        file.sync_all().map_err(|e| ArchiveError::at(&bin, e))?;

        let record = render::json::archive_record(plan, &format!("{stem}.bin"), sys::now_unix())
            .map_err(|e| ArchiveError {
                errno: libc::EIO,
                text: e.to_string(),
            })?;
        let mut file = create_new(&json).map_err(|e| ArchiveError::at(&json, e))?;
        created.push(json.clone());
        file.write_all(&record)
            .map_err(|e| ArchiveError::at(&json, e))?;
        file.sync_all().map_err(|e| ArchiveError::at(&json, e))?;
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| ArchiveError::at(dir, e))
    })();
    match result {
        Ok(()) => Ok((bin, json)),
        Err(e) => {
            for path in created {
                std::fs::remove_file(path).ok();
            }
            Err(e)
        }
    }
}

fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// What restoring needs from an archive's `.json`.
#[derive(Debug, Deserialize)]
struct ArchiveRecord {
    bin: String,
    segment: ArchivedSegment,
}

#[derive(Debug, Deserialize)]
struct ArchivedSegment {
    key: u32,
    mode: u32,
    size: u64,
    owner: ArchivedOwner,
}

#[derive(Debug, Deserialize)]
struct ArchivedOwner {
    uid: u32,
    gid: u32,
}

/// `create --from-archive FILE`: the bytes, size, mode, the owner (as root) and the key
/// when it is free; a taken key only with `private`, under a new private key.
pub fn restore(record_path: &Path, private: bool) -> Result<(Created, Option<String>)> {
    let text = std::fs::read(record_path)
        .map_err(|e| Error::io(format!("reading {}", record_path.display()), e))?;
    let record: ArchiveRecord = serde_json::from_slice(&text).map_err(|e| {
        Error::Failed(format!(
            "{} is not a shmctl archive record: {e}",
            record_path.display()
        ))
    })?;
    let bin_path = record_path
        .parent()
        .unwrap_or(Path::new("."))
        .join(&record.bin);
    let mut bin = File::open(&bin_path)
        .map_err(|e| Error::io(format!("reading {}", bin_path.display()), e))?;
    let bin_len = bin
        .metadata()
        .map_err(|e| Error::io(bin_path.display().to_string(), e))?
        .len();
    let seg = &record.segment;
    if bin_len != seg.size {
        return Err(Error::Failed(format!(
            "archive damaged: {} has {bin_len} bytes, the record says {}",
            bin_path.display(),
            seg.size
        )));
    }

    // Created 0600 so that we can fill it; the archived mode is set once it holds the bytes.
    let flags = libc::IPC_CREAT | libc::IPC_EXCL | 0o600;
    let mut note = None;
    let (id, key) = match shm::get(seg.key, seg.size, flags) {
        Ok(id) => (id, seg.key),
        Err(e) if e.errno == libc::EEXIST && private => {
            note = Some(format!(
                "key {} is taken: restored under a new private key",
                KeyHex(seg.key)
            ));
            (
                shm::get(0, seg.size, flags).map_err(|e| Error::sys("creating the segment", e))?,
                0,
            )
        }
        Err(e) if e.errno == libc::EEXIST => {
            return Err(Error::Failed(format!(
                "key {} is taken by another segment; --private restores under a new private key",
                KeyHex(seg.key)
            )))
        }
        Err(e) => return Err(Error::sys("creating the segment", e)),
    };
    let filled = (|| -> Result<()> {
        let mut attachment = Attachment::new(id, seg.size, Access::ReadWrite)
            .map_err(|e| Error::sys("attaching to fill it", e))?;
        let mut buf = vec![0u8; CHUNK];
        let mut offset = 0;
        loop {
            let n = bin
                .read(&mut buf)
                .map_err(|e| Error::io(bin_path.display().to_string(), e))?;
            if n == 0 {
                break;
            }
            attachment
                .write_at(offset, &buf[..n])
                .map_err(|e| Error::sys("filling the segment", e))?;
            offset += n;
        }
        // Root gives it back to its owner; anyone else keeps it.
        let (uid, gid) = if sys::process::effective_uid() == 0 {
            (seg.owner.uid, seg.owner.gid)
        } else {
            let now = shm::stat(id).map_err(|e| Error::sys("reading the new segment", e))?;
            (now.uid, now.gid)
        };
        shm::set_owner_mode(id, uid, gid, seg.mode)
            .map_err(|e| Error::sys("restoring the owner and mode", e))
    })();
    if let Err(e) = filled {
        // A half-restored segment is worse than none.
        shm::remove(id).ok();
        return Err(e);
    }
    Ok((
        Created {
            id,
            key,
            size: seg.size,
            created: true,
        },
        note,
    ))
}
