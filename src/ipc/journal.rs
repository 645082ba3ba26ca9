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
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Seek, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap as HashMap;
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
    #[serde(default, skip_serializing_if = "is_zero")]
    pub key: u32,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cuid: u32,
    /// shm: the creator pid.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cpid: i32,
    /// shm: the size; sem: the number of semaphores.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub size: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dev: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ino: u64,
    /// The permission bits to restore.
    pub mode: u32,
}

/// Identity fields that are 0 (a queue's size, a SysV object's device) are left out of the
/// line: they read back as 0.
fn is_zero<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
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

#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
enum Line {
    Begin(Entry),
    End(Target),
}

/// A [`Line`] to write, borrowing what it names. [`LineOut::write`] writes serde's JSON of
/// a [`Line`] by hand (a gc of 10,000 objects writes 20,000 lines; serde was a fifth of its
/// time in user space); a test holds the two equal.
#[derive(Debug, Serialize)]
#[serde(tag = "op", rename_all = "lowercase")]
enum LineOut<'a> {
    Begin(&'a Entry),
    End(&'a Target),
}

impl LineOut<'_> {
    /// The line and its newline.
    fn write(&self, buf: &mut Vec<u8>) {
        use crate::json::{int, string};
        let (head, id, path) = match self {
            LineOut::Begin(e) => (line_head(true, e.kind), e.id, &e.path),
            LineOut::End(t) => (line_head(false, t.kind), t.id, &t.path),
        };
        // Room for every field of a SysV line at once (a path's bytes take up to four each).
        buf.reserve(160 + path.as_ref().map_or(0, |p| 4 * p.len()));
        buf.extend_from_slice(head);
        if let Some(id) = id {
            buf.extend_from_slice(b",\"id\":");
            int(buf, id);
        }
        if let Some(path) = path {
            buf.extend_from_slice(b",\"path\":[");
            for (i, &b) in path.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                int(buf, b);
            }
            buf.push(b']');
        }
        if let LineOut::Begin(e) = self {
            if let Some(name) = &e.name {
                buf.extend_from_slice(b",\"name\":");
                string(buf, name);
            }
            // What is 0 is left out, as serde leaves it out (see `is_zero`).
            fn nonzero<T: itoa::Integer + Default + PartialEq>(
                buf: &mut Vec<u8>,
                key: &[u8],
                v: T,
            ) {
                if v != T::default() {
                    buf.extend_from_slice(key);
                    int(buf, v);
                }
            }
            nonzero(buf, b",\"key\":", e.key);
            nonzero(buf, b",\"cuid\":", e.cuid);
            nonzero(buf, b",\"cpid\":", e.cpid);
            nonzero(buf, b",\"size\":", e.size);
            nonzero(buf, b",\"dev\":", e.dev);
            nonzero(buf, b",\"ino\":", e.ino);
            buf.extend_from_slice(b",\"mode\":");
            int(buf, e.mode);
        }
        buf.extend_from_slice(b"}\n");
    }
}

/// A line's `{"op":…,"kind":…"` as one literal: the two fields every line starts with.
fn line_head(begin: bool, kind: Kind) -> &'static [u8] {
    macro_rules! heads {
        ($($kind:ident $name:literal),*) => {
            match (begin, kind) {
                $(
                    (true, Kind::$kind) => concat!(r#"{"op":"begin","kind":""#, $name, '"').as_bytes(),
                    (false, Kind::$kind) => concat!(r#"{"op":"end","kind":""#, $name, '"').as_bytes(),
                )*
            }
        };
    }
    heads!(Shm "shm", Sem "sem", Msg "msg", Pshm "pshm", Psem "psem", Pmq "pmq")
}

impl Entry {
    pub fn of_object(o: &Object) -> Entry {
        let f = Facts::of(o);
        Entry {
            kind: f.kind,
            id: f.id,
            path: f.path.map(<[u8]>::to_vec),
            name: f.name.map(str::to_owned),
            key: f.key,
            cuid: f.cuid,
            cpid: f.cpid,
            size: f.size,
            dev: f.dev,
            ino: f.ino,
            mode: f.mode,
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

    /// Whether this is `object`'s entry: `*self == Entry::of_object(object)`, without
    /// building one (gc asks it of every object it closes).
    pub fn is_of(&self, object: &Object) -> bool {
        let f = Facts::of(object);
        self.names(&f) && self.name.as_deref() == f.name && self.mode == f.mode
    }

    /// Whether `object` is the one this entry names.
    pub fn names_object(&self, o: &Object) -> bool {
        self.names(&Facts::of(o))
    }

    /// The fields that say which object it is (all but the name shown and the mode).
    fn names(&self, f: &Facts) -> bool {
        (self.kind, self.id, self.path.as_deref()) == (f.kind, f.id, f.path)
            && (
                self.key, self.cuid, self.cpid, self.size, self.dev, self.ino,
            ) == (f.key, f.cuid, f.cpid, f.size, f.dev, f.ino)
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

/// An object's [`Entry`] fields, borrowed from it: the one mapping from objects to entries,
/// which [`Entry::of_object`] copies and [`Entry::is_of`] compares.
struct Facts<'o> {
    kind: Kind,
    id: Option<i32>,
    path: Option<&'o [u8]>,
    name: Option<&'o str>,
    key: u32,
    cuid: u32,
    cpid: i32,
    size: u64,
    dev: u64,
    ino: u64,
    mode: u32,
}

impl<'o> Facts<'o> {
    fn of(o: &'o Object) -> Facts<'o> {
        let blank = Facts {
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
            Object::Shm(s) => Facts {
                id: Some(s.id),
                key: s.key,
                cuid: s.cuid,
                cpid: s.cpid,
                size: s.size,
                ..blank
            },
            Object::Sem(s) => Facts {
                id: Some(s.id),
                key: s.key,
                cuid: s.cuid,
                size: s.nsems,
                ..blank
            },
            Object::Msg(q) => Facts {
                id: Some(q.id),
                key: q.key,
                cuid: q.cuid,
                ..blank
            },
            Object::Posix(p) => Facts {
                path: Some(p.path.as_os_str().as_bytes()),
                name: Some(&p.name),
                dev: p.dev,
                ino: p.ino,
                ..blank
            },
        }
    }
}

impl Target {
    /// What [`Entry::of_object`]'s target would be, without building the entry.
    pub fn of_object(o: &Object) -> Target {
        let (id, path) = match o {
            Object::Shm(s) => (Some(s.id), None),
            Object::Sem(s) => (Some(s.id), None),
            Object::Msg(q) => (Some(q.id), None),
            Object::Posix(p) => (None, Some(p.path.as_os_str().as_bytes().to_vec())),
        };
        Target {
            kind: o.kind(),
            id,
            path,
        }
    }
}

/// Folds journal lines into the entries still open: memory and time grow with the entries
/// left open, not with the journal's length (a killed run of 100,000 objects wrote 200,000
/// lines).
#[derive(Default)]
struct Unfinished {
    open: HashMap<Target, (u64, Entry)>,
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
    /// What this run began, with the order it began in, in two places: written ahead (oldest
    /// first, the order the batch closes them), the first of them perhaps closed already
    /// (`front_closed`: the one closed last); every other one closed and not ended. A
    /// segment's line is closed in place at the front and forgotten when it is removed,
    /// without a move or a hash (the batch's common path); the map is for what stays closed
    /// a while (sets, queues and POSIX objects until their fresh scan, or a restore that
    /// failed). What is closed is kept when the journal is emptied at the end.
    ahead: VecDeque<Begun>,
    front_closed: bool,
    closed: HashMap<Target, Begun>,
    begun: u64,
}

/// One `begin` line this run wrote.
#[derive(Debug)]
struct Begun {
    /// The order it began in.
    order: u64,
    entry: Entry,
}

impl Begun {
    fn names(&self, target: &Target) -> bool {
        let e = &self.entry;
        e.kind == target.kind && e.id == target.id && e.path == target.path
    }
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
            ahead: VecDeque::new(),
            front_closed: false,
            closed: HashMap::default(),
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
    fn append(&mut self, line: &LineOut, now: bool) -> io::Result<()> {
        line.write(&mut self.pending);
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

    /// Records that `object`'s mode is about to become 000; in the file (the kernel's page
    /// cache) before it returns. Not fsynced: `write` already outlives a killed run, which
    /// is what the journal is for, and a machine that crashes takes every IPC object with
    /// it — a synced line would name objects that no longer exist. (One fdatasync per
    /// object was a fifth of gc's system calls.)
    ///
    /// An entry [`Journal::begin_ahead`] wrote is not written again.
    pub fn begin_object(&mut self, object: &Object) -> io::Result<()> {
        // The common path: the line written ahead for the object the batch closes next (the
        // one closed before it, a set or queue still closed, put aside first). What is
        // written ahead is not among the closed ones — a target is in one place at a time:
        // `begin_ahead` skips what is closed, `begin` takes what it closes out of both — so
        // the map has nothing to give up.
        self.put_aside_last_closed();
        if self.ahead.front().is_some_and(|b| b.entry.is_of(object)) {
            self.front_closed = true;
            return Ok(());
        }
        self.begin(&Entry::of_object(object))
    }

    /// [`Journal::begin_object`] of the object `entry` is made of.
    pub fn begin(&mut self, entry: &Entry) -> io::Result<()> {
        self.put_aside_last_closed();
        let target = entry.target();
        if !self.closed.is_empty() {
            self.closed.remove(&target);
        }
        // The common path: the line written ahead for the object the batch closes next.
        if self.ahead.front().is_some_and(|b| b.entry == *entry) {
            self.front_closed = true;
            return Ok(());
        }
        let begun = match self.take_ahead(&target) {
            Some(begun) if begun.entry == *entry => begun,
            // Not written ahead, or its facts changed since: a new line (the later counts).
            _ => {
                self.append(&LineOut::Begin(entry), true)?;
                self.begun += 1;
                Begun {
                    order: self.begun,
                    entry: entry.clone(),
                }
            }
        };
        self.ahead.push_front(begun);
        self.front_closed = true;
        Ok(())
    }

    /// The entry closed last and not ended yet goes to the map of closed ones.
    fn put_aside_last_closed(&mut self) {
        if std::mem::take(&mut self.front_closed) {
            if let Some(before) = self.ahead.pop_front() {
                self.closed.insert(before.entry.target(), before);
            }
        }
    }

    /// The entry of `target` written ahead and not closed, taken out of the queue (the
    /// batch closes in the order it wrote: nearly always the first).
    fn take_ahead(&mut self, target: &Target) -> Option<Begun> {
        let skip = usize::from(self.front_closed);
        let at = skip + self.ahead.iter().skip(skip).position(|b| b.names(target))?;
        self.ahead.remove(at)
    }

    /// Forgets the entry of `target` closed and not ended; false if there is none.
    fn forget_closed(&mut self, target: &Target) -> bool {
        if self.front_closed && self.ahead.front().is_some_and(|b| b.names(target)) {
            self.front_closed = false;
            self.ahead.pop_front();
            return true;
        }
        !self.closed.is_empty() && self.closed.remove(target).is_some()
    }

    /// Writes the `begin` lines of objects about to be closed, all in one write (with the
    /// `end` lines queued so far), so that a batch costs one write per few dozen objects
    /// instead of one per object. Each is still in the file before its mode changes. An
    /// object whose sequence stops before its mode changes is [`Journal::settle`]d; if a
    /// run is killed first, the next run finds it at its own mode and leaves it alone.
    /// What this run already began is not written again (the batch hands each object
    /// once: one handed twice in one call would only have its line written twice).
    ///
    /// If the write fails, none of them counts as written: each object's own [`begin`]
    /// writes its line again (and its sequence stops before the mode changes if that fails).
    ///
    /// [`begin`]: Journal::begin
    pub fn begin_ahead(&mut self, entries: impl IntoIterator<Item = Entry>) -> io::Result<()> {
        let before = self.ahead.len();
        for entry in entries {
            let target = entry.target();
            let known = self.ahead.iter().take(before).any(|b| b.names(&target))
                || (!self.closed.is_empty() && self.closed.contains_key(&target));
            if known {
                continue;
            }
            LineOut::Begin(&entry).write(&mut self.pending);
            self.begun += 1;
            self.ahead.push_back(Begun {
                order: self.begun,
                entry,
            });
        }
        if self.ahead.len() == before {
            return Ok(());
        }
        self.written = true;
        self.flush().inspect_err(|_| self.ahead.truncate(before))
    }

    /// Ends `target`'s entry if it was written ahead and its mode never changed (kept, or
    /// removed without closing).
    pub fn settle(&mut self, target: &Target) {
        if self.take_ahead(target).is_some() {
            // A lost end line only makes the next run look at an object that is fine.
            self.append(&LineOut::End(target), false).ok();
        }
    }

    /// What this run closed and did not end, in the order it began them.
    pub fn left_open(&self) -> Vec<Entry> {
        let last_closed = self.ahead.front().filter(|_| self.front_closed);
        let mut open: Vec<&Begun> = self.closed.values().chain(last_closed).collect();
        open.sort_unstable_by_key(|b| b.order);
        open.into_iter().map(|b| b.entry.clone()).collect()
    }

    /// Records that the sequence on `target` ended with the object still there (its mode
    /// restored, or never changed). Written with the next `begin`, not synced: a lost `end`
    /// only makes the next run look at an object that is fine.
    pub fn end(&mut self, target: &Target) -> io::Result<()> {
        self.forget(target);
        self.append(&LineOut::End(target), false)
    }

    /// Records that the sequence on `target` ended with the object gone (removed, or removed
    /// by someone else). No line is written: what no longer exists cannot be restored (the
    /// next run restores an entry only if its object still exists with the same identity:
    /// an id carries a sequence number, a POSIX object is its device and inode), so an `end`
    /// line would only save a killed run's successor one look per object — and it was a
    /// tenth of gc's work.
    pub fn gone(&mut self, target: &Target) {
        self.forget(target);
    }

    fn forget(&mut self, target: &Target) {
        if !self.forget_closed(target) {
            self.take_ahead(target);
        }
    }

    /// Empties the journal but for `keep` (entries that still need restoring).
    pub fn reset(&mut self, keep: &[Entry]) -> io::Result<()> {
        if !self.written && keep.is_empty() && self.file.metadata()?.len() == 0 {
            return Ok(());
        }
        self.pending.clear();
        self.ahead.clear();
        self.front_closed = false;
        self.closed.clear();
        self.file.set_len(0)?;
        self.written = false;
        for entry in keep {
            self.append(&LineOut::Begin(entry), false)?;
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

    fn len(journal: &Journal) -> u64 {
        std::fs::metadata(&journal.path).expect("metadata").len()
    }

    #[test]
    fn lines_written_ahead_are_not_written_again_and_only_closed_ones_stay_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut journal = Journal::open(dir.path(), 1).expect("open");
        let entries: Vec<Entry> = (1..=3)
            .map(|id| Entry::of_object(&Object::Shm(segment(id))))
            .collect();
        journal.begin_ahead(entries.clone()).expect("ahead");
        let written = len(&journal);
        assert!(written > 0);
        // In the file before any mode changes: a run killed now leaves all three begun.
        assert_eq!(
            Journal::open(dir.path(), 1)
                .expect("reopen")
                .unfinished()
                .expect("read"),
            entries
        );
        // Closing one written ahead writes nothing; writing ahead again writes nothing.
        journal
            .begin_object(&Object::Shm(segment(1)))
            .expect("begin");
        journal.begin_ahead(entries.clone()).expect("again");
        assert_eq!(len(&journal), written);
        // The same target with other facts is a new line (the later one counts).
        let changed = Entry::of_object(&Object::Shm(Segment {
            size: 99,
            ..segment(2)
        }));
        journal.begin(&changed).expect("begin changed");
        assert!(len(&journal) > written);
        // The third was never closed: settling ends it; settling a closed one does nothing.
        journal.settle(&entries[2].target());
        journal.settle(&entries[0].target());
        assert_eq!(
            journal.left_open(),
            vec![entries[0].clone(), changed.clone()]
        );
        drop(journal);
        let open = Journal::open(dir.path(), 1)
            .expect("reopen")
            .unfinished()
            .expect("read");
        assert_eq!(open, vec![entries[0].clone(), changed]);
    }

    #[test]
    fn what_is_gone_is_forgotten_without_a_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut journal = Journal::open(dir.path(), 1).expect("open");
        let removed = Entry::of_object(&Object::Shm(segment(1)));
        let restored = Entry::of_object(&Object::Shm(segment(2)));
        journal.begin(&removed).expect("begin");
        journal.begin(&restored).expect("begin");
        let written = len(&journal);
        journal.gone(&removed.target());
        journal.flush().expect("flush");
        assert_eq!(len(&journal), written);
        assert_eq!(journal.left_open(), vec![restored.clone()]);
        journal.end(&restored.target()).expect("end");
        journal.flush().expect("flush");
        assert!(len(&journal) > written);
        assert!(journal.left_open().is_empty());
        // A killed run's successor finds the removed one begun, and looks at it in vain.
        drop(journal);
        let open = Journal::open(dir.path(), 1)
            .expect("reopen")
            .unfinished()
            .expect("read");
        assert_eq!(open, vec![removed]);
    }

    /// A batch as gc runs it: lines written ahead 32 at a time; segments closed and gone
    /// at once, queues closed and left open until the end; one whose facts changed since
    /// its line was written gets a new line. What is closed and not ended is left open, in
    /// the order it began, until it ends.
    #[test]
    fn a_batch_of_segments_and_queues_is_followed_line_for_line() {
        use crate::objects::MsgQueue;
        let dir = tempfile::tempdir().expect("tempdir");
        let mut journal = Journal::open(dir.path(), 1).expect("open");
        let object = |i: i32| {
            if i % 2 == 0 {
                Object::Shm(segment(i))
            } else {
                Object::Msg(MsgQueue {
                    id: i,
                    ..super::super::fixtures::queue(0, 0, 0, 0)
                })
            }
        };
        let mut lingering = Vec::new();
        let mut rewritten = None;
        for start in (0..100).step_by(32) {
            let batch: Vec<Entry> = (start..(start + 32).min(100))
                .map(|i| Entry::of_object(&object(i)))
                .collect();
            journal.begin_ahead(batch.clone()).expect("ahead");
            let written = len(&journal);
            let changes = batch.len() > 5;
            for (n, entry) in batch.into_iter().enumerate() {
                let entry = if n == 5 {
                    Entry {
                        key: entry.key.wrapping_add(1),
                        ..entry
                    }
                } else {
                    entry
                };
                journal.begin(&entry).expect("begin");
                if entry.kind == Kind::Shm {
                    journal.gone(&entry.target());
                } else if n == 5 {
                    // Its new line began after every line its batch wrote ahead.
                    rewritten = Some(entry);
                } else {
                    lingering.push(entry);
                }
            }
            lingering.extend(rewritten.take());
            // Only the changed one was written again.
            assert_eq!(len(&journal) > written, changes);
            let again = len(&journal);
            journal.flush().expect("flush");
            assert_eq!(len(&journal), again);
        }
        assert_eq!(journal.left_open(), lingering);
        for entry in &lingering[..10] {
            journal.end(&entry.target()).expect("end");
        }
        assert_eq!(journal.left_open(), lingering[10..]);
        for entry in &lingering[10..] {
            journal.gone(&entry.target());
        }
        assert!(journal.left_open().is_empty());
    }

    #[test]
    fn an_entry_not_written_ahead_is_written_by_its_own_begin() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut journal = Journal::open(dir.path(), 1).expect("open");
        let ahead = Entry::of_object(&Object::Shm(segment(1)));
        let other = Entry::of_object(&Object::Shm(segment(2)));
        journal.begin_ahead(vec![ahead.clone()]).expect("ahead");
        let written = len(&journal);
        journal.begin(&other).expect("begin");
        assert!(len(&journal) > written);
        assert_eq!(journal.left_open(), vec![other]);
    }

    #[test]
    fn lines_are_written_as_serde_writes_them() {
        use std::os::unix::ffi::OsStrExt;
        let posix = |kind, name: &str, path: &[u8]| {
            Object::posix(crate::objects::PosixObject {
                kind,
                name: name.into(),
                raw_name: std::ffi::OsStr::from_bytes(path).into(),
                path: PathBuf::from(std::ffi::OsStr::from_bytes(path)),
                dev: u64::MAX,
                ino: 1 << 40,
                uid: 0,
                gid: 0,
                mode: 0o7777,
                size: 0,
                atime: 0,
                mtime: 0,
                ctime: 0,
                queue: None,
                semaphore: None,
            })
        };
        let objects = [
            Object::Shm(Segment {
                key: u32::MAX,
                cuid: u32::MAX,
                cpid: i32::MIN,
                size: u64::MAX,
                ..segment(i32::MAX)
            }),
            Object::Shm(segment(0)),
            Object::Shm(Segment {
                key: 0,
                cuid: 0,
                cpid: 0,
                size: 0,
                mode: 0,
                ..segment(1)
            }),
            Object::Sem(super::super::fixtures::set(5, vec![])),
            Object::Msg(super::super::fixtures::queue(1, 2, 3, 4)),
            posix(
                Kind::Pshm,
                "/a\"b\\c\n\u{1}é",
                b"/dev/shm/a\"b\\c\n\x01\xc3\xa9",
            ),
            posix(Kind::Psem, "/\u{fffd}", b"/dev/shm/sem.\xff"),
            posix(Kind::Pmq, "/q", b"/dev/mqueue/q"),
        ];
        for object in &objects {
            let entry = Entry::of_object(object);
            let target = entry.target();
            for line in [LineOut::Begin(&entry), LineOut::End(&target)] {
                let mut ours = Vec::new();
                line.write(&mut ours);
                let mut theirs = serde_json::to_vec(&line).expect("serde");
                theirs.push(b'\n');
                assert_eq!(
                    String::from_utf8_lossy(&ours),
                    String::from_utf8_lossy(&theirs)
                );
            }
        }
    }

    #[test]
    fn an_objects_target_is_its_entrys() {
        for object in [
            Object::Shm(segment(4)),
            Object::Sem(super::super::fixtures::set(5, vec![])),
            Object::Msg(super::super::fixtures::queue(1, 2, 3, 4)),
            Object::posix(super::super::fixtures::posix(7)),
        ] {
            assert_eq!(
                Target::of_object(&object),
                Entry::of_object(&object).target()
            );
            let entry = Entry::of_object(&object);
            assert!(entry.is_of(&object));
            for other in [
                Entry {
                    mode: 0,
                    ..entry.clone()
                },
                Entry {
                    key: 9,
                    ..entry.clone()
                },
                Entry {
                    size: 1 << 33,
                    ..entry.clone()
                },
                Entry {
                    dev: entry.dev + 11,
                    ..entry.clone()
                },
                Entry {
                    ino: entry.ino + 13,
                    ..entry.clone()
                },
                Entry {
                    cpid: -1,
                    ..entry.clone()
                },
                Entry {
                    id: entry.id.map(|i| i + 1),
                    path: Some(b"/x".to_vec()),
                    ..entry.clone()
                },
                Entry {
                    cuid: entry.cuid + 1,
                    ..entry.clone()
                },
                Entry {
                    kind: if entry.kind == Kind::Pmq {
                        Kind::Psem
                    } else {
                        Kind::Pmq
                    },
                    ..entry.clone()
                },
                Entry {
                    name: Some("/other".into()),
                    ..entry.clone()
                },
            ] {
                assert!(!other.is_of(&object), "{other:?} is not {object:?}'s");
                // Only a different mode or shown name still names the same object.
                let same_object = other.mode != entry.mode || other.name != entry.name;
                assert_eq!(other.names_object(&object), same_object, "{other:?}");
            }
            assert!(entry.names_object(&object));
        }
    }

    #[test]
    fn damaged_lines_are_skipped() {
        let text = format!(
            "{}\n{{\"op\":\"begin\",\"kind\":\"shm\",\"id\"\n\u{fffd}garbage\n",
            serde_json::to_string(&LineOut::Begin(&Entry::of_object(&Object::Shm(segment(3)))))
                .expect("json")
        );
        let open = unfinished(&text);
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].id, Some(3));
    }

    #[test]
    fn a_posix_path_need_not_be_utf8() {
        use std::os::unix::ffi::OsStrExt;
        let object = Object::posix(crate::objects::PosixObject {
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
        let line =
            serde_json::to_string(&LineOut::Begin(&Entry::of_object(&object))).expect("json");
        let open = unfinished(&line);
        assert_eq!(open.len(), 1);
        assert!(open[0].names_object(&object));
        assert_eq!(
            open[0].path().expect("path").as_os_str().as_bytes(),
            b"/dev/shm/\xff"
        );
    }
}
