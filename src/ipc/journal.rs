//! The removal journal: what a run killed between "mode 000" and "removed or restored"
//! would otherwise leave closed forever.
//!
//! Before the removal sequence sets an object's mode to 000, it appends a `begin` line —
//! the object's kind, id or path, what identifies it, and its original mode — written
//! before the mode changes (not fsynced: see [`Journal::begin`]);
//! when the sequence ends (removed, gone, or the mode restored) it appends an `end` line.
//! Every run that removes (not a dry run) reads the journal right after taking the lock and
//! restores the mode of each object that a `begin` without `end` names, if that object
//! still exists, has the same identity and is still at mode 000. The journal lives beside
//! the lock, in a directory only its user can write, and is emptied when a run ends.
use std::fs::File;
use std::io::{self, Seek, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Kind, Object};
#[cfg(test)]
use crate::model::Segment;

/// What a `begin` line records: enough to find the object again and to be sure it is the
/// same one (ids carry a sequence number; keys, creators and sizes do not change; a POSIX
/// object is its device and inode), and the mode to give back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub kind: Kind,
    /// SysV: the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i32>,
    /// POSIX: the file's path, as bytes (a name need not be UTF-8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<u8>>,
    /// POSIX: the name as shown (`/name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub key: u32,
    #[serde(default)]
    pub cuid: u32,
    /// shm: the creator pid.
    #[serde(default)]
    pub cpid: i32,
    /// shm: the size; sem: the number of semaphores.
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub dev: u64,
    #[serde(default)]
    pub ino: u64,
    /// The permission bits to restore.
    pub mode: u32,
}

/// What the journal said a killed run had left at mode 000, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub entry: Entry,
    /// Why restoring its mode failed (it is then still at 000, and stays journalled).
    pub error: Option<crate::sys::SysError>,
}

/// Which object a line is about (what `end` names).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Target {
    pub kind: Kind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<u8>>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
enum Line {
    Begin(Entry),
    End(Target),
}

impl Entry {
    pub fn of_object(o: &Object) -> Entry {
        let blank = Entry {
            kind: o.kind(),
            id: None,
            path: None,
            name: None,
            key: 0,
            cuid: 0,
            cpid: 0,
            size: 0,
            dev: 0,
            ino: 0,
            mode: o.perms(),
        };
        match o {
            Object::Shm(s) => Entry {
                id: Some(s.id),
                key: s.key,
                cuid: s.cuid,
                cpid: s.cpid,
                size: s.size,
                ..blank
            },
            Object::Sem(s) => Entry {
                id: Some(s.id),
                key: s.key,
                cuid: s.cuid,
                size: s.nsems,
                ..blank
            },
            Object::Msg(q) => Entry {
                id: Some(q.id),
                key: q.key,
                cuid: q.cuid,
                ..blank
            },
            Object::Posix(p) => Entry {
                path: Some(p.path.as_os_str().as_bytes().to_vec()),
                name: Some(p.name.clone()),
                dev: p.dev,
                ino: p.ino,
                ..blank
            },
        }
    }

    pub fn target(&self) -> Target {
        Target {
            kind: self.kind,
            id: self.id,
            path: self.path.clone(),
        }
    }

    pub fn path(&self) -> Option<PathBuf> {
        use std::os::unix::ffi::OsStringExt;
        self.path
            .clone()
            .map(|p| PathBuf::from(std::ffi::OsString::from_vec(p)))
    }

    /// Whether `object` is the one this entry names.
    pub fn names_object(&self, o: &Object) -> bool {
        let now = Entry::of_object(o);
        self.kind == now.kind
            && (
                self.id, &self.path, self.key, self.cuid, self.cpid, self.size, self.dev, self.ino,
            ) == (
                now.id, &now.path, now.key, now.cuid, now.cpid, now.size, now.dev, now.ino,
            )
    }

    /// How reports name it: `shm 5 key 0x00001234`, `pshm /data`.
    pub fn label(&self) -> String {
        match (self.id, &self.name) {
            (Some(id), _) => format!("{} {id} key {}", self.kind, crate::model::KeyHex(self.key)),
            (None, Some(name)) => format!("{} {name}", self.kind),
            (None, None) => self.kind.to_string(),
        }
    }
}

impl Target {
    pub fn of_object(o: &Object) -> Target {
        Entry::of_object(o).target()
    }
}

/// Folds journal lines into the entries still open: memory and time grow with the entries
/// left open, not with the journal's length (a killed run of 100,000 objects wrote 200,000
/// lines).
#[derive(Default)]
struct Unfinished {
    open: std::collections::HashMap<Target, (u64, Entry)>,
    lines: u64,
}

impl Unfinished {
    fn read(&mut self, line: &str) {
        if line.trim().is_empty() {
            return;
        }
        self.lines += 1;
        // A line cut short by a kill mid-write (or any damage) is skipped, not fatal.
        match serde_json::from_str::<Line>(line) {
            Ok(Line::Begin(entry)) => {
                self.open.insert(entry.target(), (self.lines, entry));
            }
            Ok(Line::End(target)) => {
                self.open.remove(&target);
            }
            Err(_) => {}
        }
    }

    fn into_entries(self) -> Vec<Entry> {
        let mut open: Vec<(u64, Entry)> = self.open.into_values().collect();
        open.sort_unstable_by_key(|(line, _)| *line);
        open.into_iter().map(|(_, entry)| entry).collect()
    }
}

/// The journal file of one IPC namespace, opened by the holder of its lock.
#[derive(Debug)]
pub struct Journal {
    /// Opened with O_APPEND: every write goes to the end, whatever was read before.
    file: File,
    pub path: PathBuf,
    /// Lines were written since it was last emptied.
    written: bool,
    /// `end` lines not written yet: they go out with the next `begin` (one write for both),
    /// or before the journal is read or emptied.
    pending: Vec<u8>,
    /// What this run began and has not ended (kept when the journal is emptied at the end).
    open: std::collections::HashMap<Target, (u64, Entry)>,
    begun: u64,
}

impl Journal {
    /// Opens (creating) `DIR/ipc-NS.journal`; `dir` is the checked lock directory.
    pub fn open(dir: &Path, ns: u64) -> Result<Journal, crate::sys::lock::LockError> {
        let path = dir.join(format!("ipc-{ns}.journal"));
        let file = crate::sys::lock::open_private_append(&path)?;
        Ok(Journal {
            file,
            path,
            written: false,
            pending: Vec::new(),
            open: std::collections::HashMap::new(),
            begun: 0,
        })
    }

    /// What a killed run left: the entries that began and never ended. Read line by line,
    /// whatever its length (it is ours, in a directory only we can write).
    pub fn unfinished(&mut self) -> io::Result<Vec<Entry>> {
        use std::io::BufRead;
        self.flush()?;
        self.file.rewind()?;
        let mut open = Unfinished::default();
        let mut reader = io::BufReader::new(&self.file);
        let mut line = Vec::new();
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            // Damage (invalid UTF-8) loses the line it damaged, not the rest.
            open.read(&String::from_utf8_lossy(&line));
        }
        Ok(open.into_entries())
    }

    /// Queues one line; with `now`, writes it and every queued line in one write.
    fn append(&mut self, line: &Line, now: bool) -> io::Result<()> {
        serde_json::to_writer(&mut self.pending, line).map_err(io::Error::other)?;
        self.pending.push(b'\n');
        self.written = true;
        if now {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            self.file.write_all(&self.pending)?;
            self.pending.clear();
        }
        Ok(())
    }

    /// Records that `entry`'s mode is about to become 000; in the file (the kernel's page
    /// cache) before it returns. Not fsynced: `write` already outlives a killed run, which
    /// is what the journal is for, and a machine that crashes takes every IPC object with
    /// it — a synced line would name objects that no longer exist. (One fdatasync per
    /// object was a fifth of gc's system calls.)
    pub fn begin(&mut self, entry: &Entry) -> io::Result<()> {
        self.append(&Line::Begin(entry.clone()), true)?;
        self.begun += 1;
        self.open
            .insert(entry.target(), (self.begun, entry.clone()));
        Ok(())
    }

    /// What this run began and did not end, in the order it began them.
    pub fn left_open(&self) -> Vec<Entry> {
        let mut open: Vec<&(u64, Entry)> = self.open.values().collect();
        open.sort_unstable_by_key(|(n, _)| *n);
        open.into_iter().map(|(_, e)| e.clone()).collect()
    }

    /// Records that the sequence on `target` ended (removed, gone or restored). Written with
    /// the next `begin`, not synced: a lost `end` only makes the next run look at an object
    /// that is fine.
    pub fn end(&mut self, target: &Target) -> io::Result<()> {
        self.open.remove(target);
        self.append(&Line::End(target.clone()), false)
    }

    /// Empties the journal but for `keep` (entries that still need restoring).
    pub fn reset(&mut self, keep: &[Entry]) -> io::Result<()> {
        if !self.written && keep.is_empty() && self.file.metadata()?.len() == 0 {
            return Ok(());
        }
        self.pending.clear();
        self.open.clear();
        self.file.set_len(0)?;
        self.written = false;
        for entry in keep {
            self.append(&Line::Begin(entry.clone()), false)?;
        }
        self.flush()?;
        self.file.sync_data()
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        // Queued end lines; losing them would only make the next run look at fine objects.
        self.flush().ok();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The entries whose sequence did not end, in the order they began.
    fn unfinished(text: &str) -> Vec<Entry> {
        let mut open = Unfinished::default();
        for line in text.lines() {
            open.read(line);
        }
        open.into_entries()
    }

    fn segment(id: i32) -> Segment {
        Segment {
            id,
            mode: 0o640,
            cpid: 77,
            ..super::super::fixtures::segment()
        }
    }

    #[test]
    fn a_begin_without_end_is_unfinished() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut journal = Journal::open(dir.path(), 1).expect("open");
        journal
            .begin(&Entry::of_object(&Object::Shm(segment(5))))
            .expect("begin");
        journal
            .begin(&Entry::of_object(&Object::Shm(segment(6))))
            .expect("begin");
        journal
            .end(&Target::of_object(&Object::Shm(segment(5))))
            .expect("end");
        drop(journal);
        let mut again = Journal::open(dir.path(), 1).expect("reopen");
        let open = again.unfinished().expect("read");
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].id, Some(6));
        assert_eq!(open[0].mode, 0o640);
        assert!(open[0].names_object(&Object::Shm(segment(6))));
        assert!(!open[0].names_object(&Object::Shm(Segment {
            cpid: 78,
            ..segment(6)
        })));
        again.reset(&open).expect("reset");
        assert_eq!(again.unfinished().expect("read"), open);
        again.reset(&[]).expect("reset");
        assert!(again.unfinished().expect("read").is_empty());
    }

    #[test]
    fn damaged_lines_are_skipped() {
        let text = format!(
            "{}\n{{\"op\":\"begin\",\"kind\":\"shm\",\"id\"\n\u{fffd}garbage\n",
            serde_json::to_string(&Line::Begin(Entry::of_object(&Object::Shm(segment(3)))))
                .expect("json")
        );
        let open = unfinished(&text);
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].id, Some(3));
    }

    #[test]
    fn a_posix_path_need_not_be_utf8() {
        use std::os::unix::ffi::OsStrExt;
        let object = Object::Posix(crate::objects::PosixObject {
            kind: Kind::Pshm,
            name: "/\u{fffd}".into(),
            raw_name: std::ffi::OsStr::from_bytes(b"/\xff").into(),
            path: PathBuf::from(std::ffi::OsStr::from_bytes(b"/dev/shm/\xff")),
            dev: 1,
            ino: 2,
            uid: 0,
            gid: 0,
            mode: 0o600,
            size: 0,
            atime: 0,
            mtime: 0,
            ctime: 0,
            queue: None,
            semaphore: None,
        });
        let line = serde_json::to_string(&Line::Begin(Entry::of_object(&object))).expect("json");
        let open = unfinished(&line);
        assert_eq!(open.len(), 1);
        assert!(open[0].names_object(&object));
        assert_eq!(
            open[0].path().expect("path").as_os_str().as_bytes(),
            b"/dev/shm/\xff"
        );
    }
}
