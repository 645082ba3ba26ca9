//! Reading a segment's bytes while disturbing it as little as possible (DESIGN.md "Looking
//! never writes"): through `/proc/PID/map_files/…` of a process that maps it (nattch, lpid
//! and atime untouched), else a read-only attachment held only while reading.
use std::fs::File;
use std::os::unix::fs::FileExt;

use crate::error::{Error, Result};
use crate::model::Segment;
use crate::sys::shm::{Access, Attachment};
use crate::sys::{maps, procfs};

enum Source {
    /// Another process's mapping, read with pread.
    MapFiles(File),
    Attached(Attachment),
}

/// Where `kernel.shm_rmid_forced=1` and nothing is attached, our own detach would destroy the
/// segment (KERNEL-NOTES §3): refused unless `force`. Every command that attaches to look or
/// hold (`dump`, `attach`) asks here; `purpose` says what the attachment is for.
pub fn refuse_destroying_attach(segment: &Segment, force: bool, purpose: &str) -> Result<()> {
    if force || segment.nattch > 0 || procfs::shm_rmid_forced().ok() != Some(1) {
        return Ok(());
    }
    Err(Error::Failed(format!(
        "shm {} has nothing attached and kernel.shm_rmid_forced=1 in this namespace: attaching to \
         {purpose} would destroy it at the detach. --force attaches anyway (and destroys it)",
        segment.id
    )))
}

pub struct SegmentReader {
    source: Source,
    size: u64,
    /// How it reads, for people: a note when it changed what `stat` shows.
    pub how: String,
    pub disturbed: bool,
}

impl SegmentReader {
    /// `force`: attach even where `kernel.shm_rmid_forced=1` makes the detach destroy it.
    pub fn open(segment: &Segment, force: bool) -> Result<SegmentReader> {
        let size = segment.size;
        if segment.nattch > 0 {
            if let Ok(scan) = maps::scan() {
                for attacher in scan.attachers(segment.id) {
                    let path = format!(
                        "/proc/{}/map_files/{:x}-{:x}",
                        attacher.pid,
                        attacher.address,
                        attacher.address + attacher.length
                    );
                    if let Ok(file) = File::open(&path) {
                        let how = format!("read through pid {}'s mapping ({path})", attacher.pid);
                        return Ok(SegmentReader {
                            source: Source::MapFiles(file),
                            size,
                            how,
                            disturbed: false,
                        });
                    }
                }
            }
        }
        refuse_destroying_attach(segment, force, "read it")?;
        let attachment = Attachment::new(segment.id, size, Access::ReadOnly).map_err(|e| {
            Error::sys(
                format!("attaching shm {} read-only to read it", segment.id),
                e,
            )
        })?;
        let how = format!(
            "attached read-only to shm {}: its lpid and atime now name this process (no readable mapping of another process)",
            segment.id
        );
        Ok(SegmentReader {
            source: Source::Attached(attachment),
            size,
            how,
            disturbed: true,
        })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Fills `buf` from `offset`; returns how many bytes (fewer at the segment's end, never
    /// past it).
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let want = buf.len().min(self.size.saturating_sub(offset) as usize);
        let buf = &mut buf[..want];
        match &self.source {
            Source::Attached(a) => Ok(a.read_at(offset as usize, buf)),
            Source::MapFiles(file) => {
                let mut done = 0;
                while done < buf.len() {
                    let n = file
                        .read_at(&mut buf[done..], offset + done as u64)
                        .map_err(|e| Error::io("reading the segment through map_files", e))?;
                    if n == 0 {
                        break;
                    }
                    done += n;
                }
                Ok(done)
            }
        }
    }
}
