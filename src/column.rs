//! The columns of `ls`: their header names, how they sort.
use std::cmp::Ordering;

use crate::model::{SegmentRecord, Verdict};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Key,
    Id,
    Owner,
    Uid,
    Group,
    Gid,
    Cuid,
    Cgid,
    Perms,
    Mode,
    Size,
    Nattch,
    Status,
    Cpid,
    Creator,
    Lpid,
    Last,
    Age,
    Idle,
    Ctime,
    Atime,
    Dtime,
    Rss,
    Swap,
    /// yes/no: the gc policy's verdict.
    Orphan,
    /// The verdict's evidence codes, or the reason it is kept.
    Why,
}

pub const ALL: [Column; 26] = [
    Column::Key,
    Column::Id,
    Column::Owner,
    Column::Uid,
    Column::Group,
    Column::Gid,
    Column::Cuid,
    Column::Cgid,
    Column::Perms,
    Column::Mode,
    Column::Size,
    Column::Nattch,
    Column::Status,
    Column::Cpid,
    Column::Creator,
    Column::Lpid,
    Column::Last,
    Column::Age,
    Column::Idle,
    Column::Ctime,
    Column::Atime,
    Column::Dtime,
    Column::Rss,
    Column::Swap,
    Column::Orphan,
    Column::Why,
];

pub const DEFAULT: [Column; 11] = [
    Column::Key,
    Column::Id,
    Column::Owner,
    Column::Perms,
    Column::Size,
    Column::Nattch,
    Column::Status,
    Column::Cpid,
    Column::Creator,
    Column::Lpid,
    Column::Age,
];

impl Column {
    pub fn header(self) -> &'static str {
        match self {
            Column::Key => "KEY",
            Column::Id => "ID",
            Column::Owner => "OWNER",
            Column::Uid => "UID",
            Column::Group => "GROUP",
            Column::Gid => "GID",
            Column::Cuid => "CUID",
            Column::Cgid => "CGID",
            Column::Perms => "PERMS",
            Column::Mode => "MODE",
            Column::Size => "SIZE",
            Column::Nattch => "NATTCH",
            Column::Status => "STATUS",
            Column::Cpid => "CPID",
            Column::Creator => "CREATOR",
            Column::Lpid => "LPID",
            Column::Last => "LAST",
            Column::Age => "AGE",
            Column::Idle => "IDLE",
            Column::Ctime => "CTIME",
            Column::Atime => "ATIME",
            Column::Dtime => "DTIME",
            Column::Rss => "RSS",
            Column::Swap => "SWAP",
            Column::Orphan => "ORPHAN",
            Column::Why => "WHY",
        }
    }

    pub fn parse(name: &str) -> Result<Column, String> {
        ALL.into_iter()
            .find(|c| c.header().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                let names: Vec<&str> = ALL.iter().map(|c| c.header()).collect();
                format!("unknown column `{name}`; columns: {}", names.join(", "))
            })
    }

    /// `KEY,ID,SIZE` replaces the defaults; `+RSS,SWAP` adds to them.
    pub fn parse_list(list: &str) -> Result<Vec<Column>, String> {
        let (mut columns, list) = match list.strip_prefix('+') {
            Some(rest) => (DEFAULT.to_vec(), rest),
            None => (Vec::new(), list),
        };
        for name in list.split(',').filter(|n| !n.trim().is_empty()) {
            let column = Column::parse(name)?;
            if !columns.contains(&column) {
                columns.push(column);
            }
        }
        if columns.is_empty() {
            return Err("no columns given".to_string());
        }
        Ok(columns)
    }

    pub fn is_numeric(self) -> bool {
        !matches!(
            self,
            Column::Key
                | Column::Owner
                | Column::Group
                | Column::Perms
                | Column::Status
                | Column::Creator
                | Column::Last
                | Column::Orphan
                | Column::Why
        )
    }

    /// Needs /proc/sysvipc/shm (rss, swap).
    pub fn needs_memory(self) -> bool {
        matches!(self, Column::Rss | Column::Swap)
    }

    /// Orders two records by this column; ties keep the kernel's order (stable sort).
    pub fn compare(self, a: &SegmentRecord, b: &SegmentRecord) -> Ordering {
        let (x, y) = (&a.segment, &b.segment);
        match self {
            Column::Key => x.key.cmp(&y.key),
            Column::Id => x.id.cmp(&y.id),
            Column::Owner => a.owner_name.cmp(&b.owner_name).then(x.uid.cmp(&y.uid)),
            Column::Uid => x.uid.cmp(&y.uid),
            Column::Group => a.group_name.cmp(&b.group_name).then(x.gid.cmp(&y.gid)),
            Column::Gid => x.gid.cmp(&y.gid),
            Column::Cuid => x.cuid.cmp(&y.cuid),
            Column::Cgid => x.cgid.cmp(&y.cgid),
            Column::Perms | Column::Mode => x.perms().cmp(&y.perms()),
            Column::Size => x.size.cmp(&y.size),
            Column::Nattch => x.nattch.cmp(&y.nattch),
            Column::Status => x.status().cmp(&y.status()),
            Column::Cpid => x.cpid.cmp(&y.cpid),
            Column::Creator => a.creator_state.as_str().cmp(b.creator_state.as_str()),
            Column::Lpid => x.lpid.cmp(&y.lpid),
            Column::Last => a.last_state.as_str().cmp(b.last_state.as_str()),
            // Oldest first: an earlier creation bound is a greater age.
            Column::Age => y.creation_bound().cmp(&x.creation_bound()),
            Column::Idle => y.last_activity().cmp(&x.last_activity()),
            Column::Ctime => x.ctime.cmp(&y.ctime),
            Column::Atime => x.atime.cmp(&y.atime),
            Column::Dtime => x.dtime.cmp(&y.dtime),
            Column::Rss => a.memory.map(|m| m.rss).cmp(&b.memory.map(|m| m.rss)),
            Column::Swap => a.memory.map(|m| m.swap).cmp(&b.memory.map(|m| m.swap)),
            Column::Orphan => b.verdict.is_orphan().cmp(&a.verdict.is_orphan()),
            Column::Why => why(&a.verdict).cmp(&why(&b.verdict)),
        }
    }
}

/// The verdict in a word or two: evidence codes joined by `+`, or the reason's code.
pub fn why(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Orphan { evidence } => evidence
            .iter()
            .map(|e| e.code)
            .collect::<Vec<_>>()
            .join("+"),
        Verdict::Kept(reason) => reason.code.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_case_insensitive_and_plus_extends() {
        assert_eq!(Column::parse("nattch"), Ok(Column::Nattch));
        assert_eq!(
            Column::parse_list("key,Id"),
            Ok(vec![Column::Key, Column::Id])
        );
        let extended = Column::parse_list("+rss,swap").expect("ok");
        assert_eq!(extended.len(), DEFAULT.len() + 2);
        assert_eq!(extended.last(), Some(&Column::Swap));
        assert!(Column::parse_list("key,bogus")
            .expect_err("bad")
            .contains("unknown column `bogus`"));
        assert!(Column::parse_list("").is_err());
    }

    #[test]
    fn every_column_round_trips_its_header() {
        for c in ALL {
            assert_eq!(Column::parse(c.header()), Ok(c));
        }
    }
}
