//! node_exporter textfile metrics (`ls --format prometheus`): what a fleet alerts on.
use std::collections::BTreeMap;
use std::io::Write;

use super::entries::List;
use crate::ipc::{Kind, Object, Record};
use crate::model::Limits;
use std::io::Result;

#[derive(Default)]
struct PerOwner {
    segments: u64,
    bytes: u64,
    orphans: u64,
    orphan_bytes: u64,
}

/// A per-owner metric: its name, its help text, and how to count it.
type OwnerMetric = (&'static str, &'static str, fn(&PerOwner) -> u64);

/// A label value with `\`, `"` and newlines escaped, as the exposition format wants.
pub(super) fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

pub(super) fn family(out: &mut dyn Write, name: &str, help: &str) -> Result<()> {
    writeln!(out, "# HELP {name} {help}")?;
    writeln!(out, "# TYPE {name} gauge")?;
    Ok(())
}

/// Metrics of every listed kind: segments (when shm was listed, with `limits` when they
/// could be read), the other kinds by type and owner.
pub fn metrics(
    out: &mut dyn Write,
    lists: &[List],
    limits: Option<&Limits>,
    now: i64,
) -> Result<()> {
    if let Some(segments) = lists.iter().find(|l| l.kind == Kind::Shm) {
        segment_metrics(out, segments.records, limits)?;
    }
    let others: Vec<&List> = lists.iter().filter(|l| l.kind != Kind::Shm).collect();
    if !others.is_empty() {
        object_metrics(out, &others)?;
    }
    family(
        out,
        "shmctl_last_run_timestamp_seconds",
        "When these metrics were written (Unix seconds).",
    )?;
    writeln!(out, "shmctl_last_run_timestamp_seconds {now}")?;
    Ok(())
}

/// Per kind and owner: objects, bytes (queued bytes, POSIX file sizes), orphans.
fn object_metrics(out: &mut dyn Write, others: &[&List]) -> Result<()> {
    let mut counts: BTreeMap<(Kind, String), PerOwner> = BTreeMap::new();
    for list in others {
        for r in list.records {
            let entry = counts.entry((list.kind, r.owner_text())).or_default();
            entry.segments += 1;
            entry.bytes += r.object.bytes();
            if r.verdict.is_orphan() {
                entry.orphans += 1;
                entry.orphan_bytes += r.object.bytes();
            }
        }
    }
    let metrics: [OwnerMetric; 3] = [
        (
            "shmctl_ipc_objects",
            "IPC objects other than shm segments (sem, msg, pshm, psem, pmq), by type and owner.",
            |o| o.segments,
        ),
        (
            "shmctl_ipc_object_bytes",
            "Bytes they hold (queued message bytes, POSIX object sizes), by type and owner.",
            |o| o.bytes,
        ),
        (
            "shmctl_ipc_orphan_objects",
            "Of those, orphans by the rules of shmctl gc --kind (without its age filter), by type and owner.",
            |o| o.orphans,
        ),
    ];
    for (name, help, value) in metrics {
        family(out, name, help)?;
        for ((kind, owner), c) in &counts {
            writeln!(
                out,
                "{name}{{type=\"{kind}\",owner=\"{}\"}} {}",
                label(owner),
                value(c)
            )?;
        }
    }
    Ok(())
}

fn segment_metrics(out: &mut dyn Write, records: &[Record], limits: Option<&Limits>) -> Result<()> {
    let mut owners: BTreeMap<String, PerOwner> = BTreeMap::new();
    let (mut attached, mut marked) = (0u64, 0u64);
    for r in records {
        let Object::Shm(s) = &r.object else { continue };
        let entry = owners.entry(r.owner_text()).or_default();
        entry.segments += 1;
        entry.bytes += s.size;
        if r.verdict.is_orphan() {
            entry.orphans += 1;
            entry.orphan_bytes += s.size;
        }
        attached += u64::from(s.nattch > 0);
        marked += u64::from(s.is_marked_for_destruction());
    }
    let per_owner: [OwnerMetric; 4] = [
        ("shmctl_segments", "System V shared memory segments, by owner.", |o| o.segments),
        ("shmctl_segment_bytes", "Bytes in System V shared memory segments, by owner.", |o| o.bytes),
        (
            "shmctl_orphan_segments",
            "Orphaned segments (nothing attached, creator and last user dead: what shmctl gc removes), by owner.",
            |o| o.orphans,
        ),
        ("shmctl_orphan_bytes", "Bytes in orphaned segments, by owner.", |o| o.orphan_bytes),
    ];
    for (name, help, value) in per_owner {
        family(out, name, help)?;
        for (owner, counts) in &owners {
            writeln!(
                out,
                "{name}{{owner=\"{}\"}} {}",
                label(owner),
                value(counts)
            )?;
        }
    }
    family(
        out,
        "shmctl_attached_segments",
        "Segments with at least one attachment.",
    )?;
    writeln!(out, "shmctl_attached_segments {attached}")?;
    family(
        out,
        "shmctl_marked_segments",
        "Segments marked for destruction, waiting for their last detach.",
    )?;
    writeln!(out, "shmctl_marked_segments {marked}")?;
    if let Some(l) = limits {
        family(
            out,
            "shmctl_segments_max",
            "The namespace's limit on segments (kernel.shmmni).",
        )?;
        writeln!(out, "shmctl_segments_max {}", l.shm.max_segments)?;
        family(
            out,
            "shmctl_pages_used",
            "Pages of shared memory in use (SHM_INFO shm_tot).",
        )?;
        writeln!(out, "shmctl_pages_used {}", l.usage.used_pages)?;
        // "No limit" is ULONG_MAX - 2^24: leave the series out rather than export a fake.
        if l.shm.max_total_pages < 1 << 53 {
            family(
                out,
                "shmctl_pages_max",
                "The namespace's limit on pages of shared memory (kernel.shmall).",
            )?;
            writeln!(out, "shmctl_pages_max {}", l.shm.max_total_pages)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exposition format escapes exactly `\`, `"` and line feed in a label value; every
    /// other character (a tab, an ESC) is legal as it is, and an `ls -b` style `\x1b` would
    /// be an invalid escape to Prometheus' parser.
    #[test]
    fn label_values_follow_the_exposition_format() {
        assert_eq!(label("root"), "root");
        assert_eq!(label("a\\b"), "a\\\\b");
        assert_eq!(label("say \"hi\""), "say \\\"hi\\\"");
        assert_eq!(
            label("evil\nshmctl_segments{owner=\"x\"} 9"),
            "evil\\nshmctl_segments{owner=\\\"x\\\"} 9"
        );
        assert_eq!(label("\x1b[31m\t"), "\x1b[31m\t");
    }
}
