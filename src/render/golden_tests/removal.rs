//! `rm` and `gc`: what was (or would be) removed, kept and why, what failed, what a killed
//! run had left; and the archive record of each kind.
use std::path::PathBuf;

use super::{name, not_found, pshm, record, scene, text, verdict, NOW};
use crate::ipc::archive::{stamp, ArchivedMessage};
use crate::ipc::fixtures::{self, T};
use crate::ipc::journal::{Entry, Restored};
use crate::ipc::policy::{self, Caller, Policy};
use crate::ipc::removal::{Outcome, Removal};
use crate::ipc::{KeyHex, Kind, Object, Reason, Verdict};
use crate::model::Segment;
use crate::render::golden::{check, check_json, check_pretty_json};
use crate::render::{entries, objects, RemovalView, Report};
use crate::sys::SysError;
use crate::units::Age;

/// `gc --kind all --older-than 1h` as root.
fn gc_policy() -> Policy {
    Policy {
        older_than: Age::from_secs(3600),
        ..Policy::default()
    }
}

const ARCHIVE: &str = "/var/lib/shmctl/archive";

/// Where `--archive` puts an object's record (`archive::base_name`).
fn archive_json(o: &Object) -> PathBuf {
    let stem = match (o.id(), o.key()) {
        (Some(id), Some(key)) => format!("{}-{id}-{}", o.kind(), KeyHex(key)),
        _ => format!(
            "{}-{}",
            o.kind(),
            o.name().unwrap_or_default().trim_start_matches('/')
        ),
    };
    PathBuf::from(format!("{ARCHIVE}/{stem}-{}.json", stamp(o.created())))
}

/// gc's plan: what it keeps (first, as gc reports them), and the orphans with their
/// evidence.
fn gc_plan() -> (Vec<Removal>, Vec<(Object, Vec<Reason>)>) {
    let (mut kept, mut orphans) = (Vec::new(), Vec::new());
    for t in scene() {
        match verdict(&gc_policy(), &t) {
            Verdict::Orphan { evidence } => orphans.push((t.object, evidence)),
            Verdict::Kept(reason) => kept.push(Removal::new(t.object, Outcome::Kept(reason))),
        }
    }
    (kept, orphans)
}

/// What happened to each orphan in `gc --yes --archive DIR`: removed and archived, not
/// archived (shm_rmid_forced), refused, gone meanwhile, changed meanwhile.
fn gc_outcome(o: &Object) -> Outcome {
    let label = o.label();
    match o.selector().as_str() {
        "6" => Outcome::Failed {
            error: Box::new(SysError::new("archive", libc::EOPNOTSUPP)),
            text: "not removed: not archived: archiving attaches, and with \
                   kernel.shm_rmid_forced=1 detaching could destroy the segment"
                .to_string(),
        },
        "sem:8" => Outcome::Failed {
            error: Box::new(SysError::new("IPC_SET", libc::EPERM)),
            text: format!(
                "{label}: {}",
                policy::permission_text(o, name(o.owner().uid).as_deref())
            ),
        },
        "pshm:/x" => Outcome::Gone,
        "psem:/gate" => Outcome::Kept(Reason::new(
            "changed",
            "changed during removal (it was written to or replaced); mode restored to 0600",
        )),
        _ => Outcome::Removed { marked: false },
    }
}

/// What a killed run had left at mode 000: one restored, one that could not be.
fn restored() -> Vec<Restored> {
    let segment = Object::Shm(Segment {
        id: 11,
        key: 0x2a,
        mode: 0o640,
        ..fixtures::segment()
    });
    let stuck = Object::posix(pshm("/stuck", T));
    vec![
        Restored {
            entry: Entry::of_object(&segment),
            error: None,
        },
        Restored {
            entry: Entry::of_object(&stuck),
            error: Some(SysError::new("chmod", libc::EPERM)),
        },
    ]
}

const GC_VIEW: RemovalView = RemovalView {
    quiet: false,
    list_kept: false,
    summary: true,
};

#[test]
fn gc_dry_run_report() {
    let (mut items, orphans) = gc_plan();
    items.extend(orphans.into_iter().map(|(object, evidence)| Removal {
        evidence,
        ..Removal::new(object, Outcome::WouldRemove)
    }));
    let report = Report {
        dry_run: true,
        items: &items,
        unresolved: &[],
        restored: &[],
    };
    check(
        "gc-dry-run.txt",
        &text(|out| objects::removal(out, &report, GC_VIEW)),
    );
    check_json(
        "gc-dry-run.json",
        &text(|out| entries::removal(out, &report)),
    );
}

#[test]
fn gc_report() {
    let (mut items, orphans) = gc_plan();
    items.extend(orphans.into_iter().map(|(object, evidence)| {
        let outcome = gc_outcome(&object);
        let removed = matches!(outcome, Outcome::Removed { .. });
        Removal {
            // What was removed keeps its evidence (batch::with_evidence) and its archive.
            evidence: if removed { evidence } else { Vec::new() },
            archive: removed.then(|| archive_json(&object).into_boxed_path()),
            ..Removal::new(object, outcome)
        }
    }));
    let restored = restored();
    let report = Report {
        dry_run: false,
        items: &items,
        unresolved: &[],
        restored: &restored,
    };
    // gc -v: the kept ones too.
    let verbose = RemovalView {
        list_kept: true,
        ..GC_VIEW
    };
    check(
        "gc-report.txt",
        &text(|out| objects::removal(out, &report, verbose)),
    );
    check_json(
        "gc-report.json",
        &text(|out| entries::removal(out, &report)),
    );
}

/// `rm --force 5 7 sem:8 sem:9 pmq:/jobs pshm:/evil… sem:99 pshm:/nope` as alice (uid 1000,
/// no capabilities): removed, marked (attached), not hers, a failure, and two selectors
/// that named nothing.
#[test]
fn rm_report() {
    let alice = Caller {
        uid: 1000,
        sys_admin: false,
        fowner: false,
    };
    let scene = scene();
    let object = |selector: &str| {
        scene
            .iter()
            .map(|t| t.object.clone())
            .find(|o| o.selector() == selector)
            .expect(selector)
    };
    let mut items = Vec::new();
    for selector in [
        "5",
        "7",
        "sem:8",
        "sem:9",
        "pmq:/jobs",
        "pshm:/evil\x1b[31m\nname",
    ] {
        let o = object(selector);
        let outcome = if let Some(reason) =
            policy::not_permitted(&alice, &o, name(o.owner().uid).as_deref())
        {
            Outcome::Kept(reason)
        } else if o.kind() == Kind::Pmq {
            Outcome::Failed {
                error: Box::new(SysError::new("chmod", libc::EROFS)),
                text: format!("cannot close {} (mode 000)", o.label()),
            }
        } else {
            Outcome::Removed {
                marked: o.attachments() > 0,
            }
        };
        items.push(Removal::new(o, outcome));
    }
    let unresolved = [
        not_found(Kind::Sem, "sem:99", "no semaphore set has id 99"),
        not_found(Kind::Pshm, "pshm:/nope", "pshm:/nope: no such object"),
    ];
    let report = Report {
        dry_run: false,
        items: &items,
        unresolved: &unresolved,
        restored: &[],
    };
    let view = RemovalView {
        quiet: false,
        list_kept: true,
        summary: false,
    };
    check(
        "rm-report.txt",
        &text(|out| objects::removal(out, &report, view)),
    );
    check_json(
        "rm-report.json",
        &text(|out| entries::removal(out, &report)),
    );
}

#[test]
fn archive_records() {
    let scene = scene();
    let find = |selector: &str| {
        let t = scene
            .iter()
            .find(|t| t.object.selector() == selector)
            .expect(selector);
        // What the archive writes: the `ls` record, judged as root.
        record(&Policy::default(), t)
    };
    let segment = find("5");
    let bin = archive_json(&segment.object).with_extension("bin");
    let bin = bin.file_name().and_then(|n| n.to_str()).expect("name");
    let shm = entries::archive_record(&segment, Some(bin), None, NOW).expect("record");
    check_pretty_json("archive-shm.json", &String::from_utf8(shm).expect("UTF-8"));
    let copied = [
        ArchivedMessage {
            mtype: Some(1),
            priority: None,
            bytes: b"resize 17".to_vec(),
        },
        ArchivedMessage {
            mtype: Some(7),
            priority: None,
            bytes: vec![0, 1, 2, 0xff],
        },
    ];
    let queue = entries::archive_record(&find("msg:10"), None, Some(&copied), NOW).expect("record");
    check_pretty_json(
        "archive-msg.json",
        &String::from_utf8(queue).expect("UTF-8"),
    );
    let drained = [ArchivedMessage {
        mtype: None,
        priority: Some(3),
        bytes: b"job 42".to_vec(),
    }];
    let pmq =
        entries::archive_record(&find("pmq:/jobs"), None, Some(&drained), NOW).expect("record");
    check_pretty_json("archive-pmq.json", &String::from_utf8(pmq).expect("UTF-8"));
}
