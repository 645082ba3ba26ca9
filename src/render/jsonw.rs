//! JSON written straight into a byte buffer, for the one entry `ls --json` writes 10,000
//! times: a segment's. serde_json escapes every key and goes through `fmt` for every number
//! and time, which was most of the cost of listing; here keys are written as the literals
//! they are, numbers with `itoa`, times and hex keys into the buffer in place. The bytes are
//! exactly serde_json's (a test compares the two on every fixture and on hostile text), so
//! scripts see no difference; every other document still goes through serde.
use std::fmt::Display;
use std::io::Write;

use crate::ipc::{KeyHex, Record};
use crate::json::{int, opt_int, string};
use crate::model::{Reason, Segment, SHM_DEST, SHM_LOCKED};
use crate::units::{Perms, Rfc3339};

/// `,"key":` for a key named at run time (the fields of `segment` write theirs as
/// literals); keys are our own, plain ASCII, never escaped.
fn next(buf: &mut Vec<u8>, key: &str) {
    debug_assert!(key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    buf.extend_from_slice(b",\"");
    buf.extend_from_slice(key.as_bytes());
    buf.extend_from_slice(b"\":");
}

fn boolean(buf: &mut Vec<u8>, value: bool) {
    buf.extend_from_slice(if value { b"true" } else { b"false" });
}

/// A value whose text is ours and plain ASCII (a time, a hex key, permission letters), as
/// a JSON string written in place.
fn shown(buf: &mut Vec<u8>, value: impl Display) {
    buf.push(b'"');
    let start = buf.len();
    // Writing into a Vec cannot fail.
    let _ = write!(buf, "{value}");
    debug_assert!(buf[start..]
        .iter()
        .all(|&b| b.is_ascii_graphic() || b == b' '));
    buf.push(b'"');
}

fn opt_name(buf: &mut Vec<u8>, name: Option<&str>) {
    match name {
        Some(n) => string(buf, n),
        None => buf.extend_from_slice(b"null"),
    }
}

/// `"atime":"…","atime_unix":N` or both null for a time never set.
fn time_pair(buf: &mut Vec<u8>, name: &str, unix_name: &str, unix: i64) {
    next(buf, name);
    if unix == 0 {
        buf.extend_from_slice(b"null");
    } else {
        shown(buf, Rfc3339(unix));
    }
    next(buf, unix_name);
    opt_int(buf, (unix != 0).then_some(unix));
}

fn reason(buf: &mut Vec<u8>, r: &Reason) {
    buf.push(b'{');
    buf.extend_from_slice(b"\"code\":");
    string(buf, r.code);
    buf.extend_from_slice(b",\"text\":");
    string(buf, &r.text);
    buf.push(b'}');
}

/// A segment's `ls` entry (no `stat` detail), byte for byte what serde writes for
/// `EntryJson::Segment`; `with_memory` adds rss/swap (null when unknown).
pub fn segment(buf: &mut Vec<u8>, r: &Record, s: &Segment, with_memory: bool) {
    let o = r.object.owner();
    buf.extend_from_slice(b"{\"type\":\"shm\"");
    buf.extend_from_slice(b",\"id\":");
    int(buf, s.id);
    buf.extend_from_slice(b",\"key\":");
    int(buf, s.key);
    buf.extend_from_slice(b",\"key_hex\":");
    shown(buf, KeyHex(s.key));
    buf.extend_from_slice(b",\"owner\":");
    buf.push(b'{');
    buf.extend_from_slice(b"\"uid\":");
    int(buf, o.uid);
    buf.extend_from_slice(b",\"user\":");
    opt_name(buf, r.owner_name.as_deref());
    buf.extend_from_slice(b",\"gid\":");
    int(buf, o.gid);
    buf.extend_from_slice(b",\"group\":");
    opt_name(buf, r.group_name.as_deref());
    buf.push(b'}');
    buf.extend_from_slice(b",\"creator\":");
    buf.push(b'{');
    buf.extend_from_slice(b"\"uid\":");
    int(buf, s.cuid);
    buf.extend_from_slice(b",\"gid\":");
    int(buf, s.cgid);
    buf.push(b'}');
    buf.extend_from_slice(b",\"mode\":");
    int(buf, s.perms());
    buf.extend_from_slice(b",\"perms\":");
    shown(buf, Perms(s.perms()));
    buf.extend_from_slice(b",\"size\":");
    int(buf, s.size);
    buf.extend_from_slice(b",\"nattch\":");
    int(buf, s.nattch);
    buf.extend_from_slice(b",\"status\":");
    buf.push(b'[');
    let mut first = true;
    for (bit, word) in [(SHM_DEST, "dest"), (SHM_LOCKED, "locked")] {
        if s.mode & bit != 0 {
            if !first {
                buf.push(b',');
            }
            first = false;
            string(buf, word);
        }
    }
    buf.push(b']');
    buf.extend_from_slice(b",\"cpid\":");
    int(buf, s.cpid);
    buf.extend_from_slice(b",\"lpid\":");
    int(buf, s.lpid);
    time_pair(buf, "atime", "atime_unix", s.atime);
    time_pair(buf, "dtime", "dtime_unix", s.dtime);
    time_pair(buf, "ctime", "ctime_unix", s.ctime);
    buf.extend_from_slice(b",\"creator_state\":");
    string(buf, r.state("creator").as_str());
    buf.extend_from_slice(b",\"last_state\":");
    string(buf, r.state("last_user").as_str());
    buf.extend_from_slice(b",\"orphan\":");
    boolean(buf, r.verdict.is_orphan());
    match &r.verdict {
        crate::ipc::Verdict::Orphan { evidence } => {
            buf.extend_from_slice(b",\"evidence\":");
            buf.push(b'[');
            for (i, e) in evidence.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                reason(buf, e);
            }
            buf.push(b']');
        }
        crate::ipc::Verdict::Kept(k) => {
            buf.extend_from_slice(b",\"kept\":");
            reason(buf, k);
        }
    }
    if with_memory {
        buf.extend_from_slice(b",\"rss\":");
        opt_int(buf, r.memory.map(|m| m.rss));
        buf.extend_from_slice(b",\"swap\":");
        opt_int(buf, r.memory.map(|m| m.swap));
    }
    buf.push(b'}');
}
