//! `ls --format prometheus --output FILE`, read back by a real Prometheus parser.
use std::process::Command;

use crate::util::*;

const PARSE: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
samples = {}
for family in text_string_to_metric_families(open(sys.argv[1]).read()):
    assert family.type == "gauge", family
    assert family.documentation, family
    for s in family.samples:
        key = s.name + "".join("|%s=%s" % kv for kv in sorted(s.labels.items()))
        samples[key] = s.value
print(json.dumps(samples))
"#;

/// Whether python3's prometheus_client is there to parse with (if not, says so and the
/// test returns).
pub fn have_parser() -> bool {
    let has_parser = Command::new("python3")
        .args(["-c", "import prometheus_client"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_parser {
        without_tool(
            "python3's prometheus_client is not installed (pip install prometheus-client)",
        );
    }
    has_parser
}

/// The samples prometheus_client reads from `file`: `name|label=value|…` → value.
pub fn parse(file: &std::path::Path) -> serde_json::Value {
    let parsed = Command::new("python3")
        .args(["-c", PARSE])
        .arg(file)
        .output()
        .expect("python3");
    assert_success(&parsed, &["prometheus_client parse"]);
    serde_json::from_slice(&parsed.stdout).expect("json")
}

#[test]
fn metrics_parse_and_count_orphans_per_owner() {
    let Some(ns) = Ns::new() else { return };
    if root_only(&ns, "segments of two owners need a second uid") {
        return;
    }
    if !have_parser() {
        return;
    }
    ns.run_helper(&["create", "0x1", "4096", "0600"]); // root's orphan
    ns.run_helper(&["setuid", "65534", "65534", "create", "0x2", "8192", "0600"]); // nobody's orphan
    let _live = ns.spawn_helper(&["create", "0x3", "16384", "0600", "attach"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("shmctl.prom");
    let out = ns.shmctl(&[
        "ls",
        "--format",
        "prometheus",
        "--output",
        file.to_str().expect("utf-8"),
    ]);
    assert_success(&out, &["ls --format prometheus --output"]);
    assert_eq!(
        text(&out.stdout),
        "",
        "with --output nothing goes to stdout"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left beside it");

    let samples = parse(&file);
    let get = |key: &str| {
        samples[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} missing in {samples}"))
    };
    assert_eq!(get("shmctl_segments|owner=root"), 2.0);
    assert_eq!(get("shmctl_segments|owner=nobody"), 1.0);
    assert_eq!(get("shmctl_segment_bytes|owner=root"), 4096.0 + 16384.0);
    assert_eq!(get("shmctl_orphan_segments|owner=root"), 1.0);
    assert_eq!(get("shmctl_orphan_bytes|owner=nobody"), 8192.0);
    assert_eq!(get("shmctl_attached_segments"), 1.0);
    assert_eq!(get("shmctl_segments_max"), 4096.0);
    assert!(get("shmctl_last_run_timestamp_seconds") > 1.7e9);
}

#[test]
fn metrics_cover_the_other_kinds_when_listed() {
    // A private PID namespace: every task in its /proc can be read, so a queue nobody waits
    // on is an orphan (on the host's, an unreadable task would make it waiters_unknown).
    let Some(ns) = Ns::with_mounts_and_pids() else {
        return;
    };
    ns.run_helper(&["semcreate", "0x56", "1", "0600", "semop", "0", "1"]); // an orphan
    ns.run_helper(&["msgcreate", "0x67", "0600", "msgsend", "1", "12345"]); // an orphan
    let _held = ns.spawn_helper(&["pshm", "/metrics", "300", "0600"]);
    let out = ns.shmctl(&["ls", "--kind", "sem,msg,pshm", "--format", "prometheus"]);
    assert_success(&out, &["ls --type … --format prometheus"]);
    let metrics = text(&out.stdout);
    for line in [
        "shmctl_ipc_objects{type=\"sem\",owner=\"root\"} 1",
        "shmctl_ipc_orphan_objects{type=\"sem\",owner=\"root\"} 1",
        "shmctl_ipc_object_bytes{type=\"msg\",owner=\"root\"} 5",
        "shmctl_ipc_orphan_objects{type=\"msg\",owner=\"root\"} 1",
        "shmctl_ipc_object_bytes{type=\"pshm\",owner=\"root\"} 300",
        "shmctl_ipc_orphan_objects{type=\"pshm\",owner=\"root\"} 0",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "{line} missing:\n{metrics}"
        );
    }
    // shm was not asked for: none of its series.
    assert!(!metrics.contains("shmctl_segments"), "{metrics}");
    assert!(metrics.contains("shmctl_last_run_timestamp_seconds"));
}
