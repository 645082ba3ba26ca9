//! `--all-namespaces`: each namespace's header line, its JSON entry around the command's
//! own document, and the metrics of every namespace merged into one exposition.
use std::io::{Result, Write};

use serde::Serialize;

use super::json::{ErrorJson, Unresolved};
use super::prometheus::{family, label};
use crate::ipc::namespaces::{Container, Namespace, PIDS_SHOWN};

/// What became of one namespace in a sweep.
#[derive(Debug, Clone, Copy)]
pub enum State<'a> {
    /// The command ran there.
    Swept,
    /// Its last process exited (and no bind mount held it) before the sweep reached it.
    Gone,
    /// It could not be entered, for this reason.
    Skipped(&'a str),
    /// The command failed there.
    Failed(&'a ErrorJson),
    /// A signal stopped the sweep before it.
    NotReached,
}

impl State<'_> {
    fn code(&self) -> &'static str {
        match self {
            State::Swept => "swept",
            State::Gone => "gone",
            State::Skipped(_) => "skipped",
            State::Failed(_) => "failed",
            State::NotReached => "not_reached",
        }
    }
}

/// The line above a namespace's output: `IPC namespace 4026532281: docker 3f2a1b2c4d5e
/// (web-1), pids 1234 1240`, and what became of it when the command did not run there.
pub fn header(out: &mut dyn Write, ns: &Namespace, state: State) -> Result<()> {
    write!(
        out,
        "IPC namespace {}: {}",
        ns.ino,
        super::escape(&ns.label())
    )?;
    if !ns.pids.is_empty() {
        let shown: Vec<String> = ns
            .pids
            .iter()
            .take(PIDS_SHOWN)
            .map(i32::to_string)
            .collect();
        let more = ns.pids.len().saturating_sub(PIDS_SHOWN);
        write!(out, ", pids {}", shown.join(" "))?;
        if more > 0 {
            write!(out, " and {more} more")?;
        }
    }
    for path in &ns.mounts {
        write!(
            out,
            ", bound at {}",
            super::escape(&path.display().to_string())
        )?;
    }
    match state {
        State::Swept => writeln!(out),
        State::Gone => writeln!(out, ": gone (its last process exited during the sweep)"),
        State::Skipped(why) => writeln!(out, ": skipped ({})", super::escape(why)),
        State::Failed(e) => writeln!(out, ": failed ({})", super::escape(&e.text)),
        State::NotReached => writeln!(out, ": not reached (interrupted)"),
    }
}

/// `ls --format raw` of one namespace, for a sweep: an `IPC_NS` column first (named on
/// each table's header row, the first of a block, unless there are none), so that every
/// row says where it is; no header line of its own, which would break the format.
pub fn raw_rows(out: &mut dyn Write, ino: u64, text: &[u8], headers: bool) -> Result<()> {
    let mut first = true;
    for line in text.split_inclusive(|&b| b == b'\n') {
        if line == b"\n" {
            out.write_all(line)?;
            first = true;
            continue;
        }
        if first && headers {
            out.write_all(b"IPC_NS ")?;
        } else {
            write!(out, "{ino} ")?;
        }
        first = false;
        out.write_all(line)?;
    }
    Ok(())
}

/// `ls --format export` of one namespace, for a sweep: `IPC_NS="INODE"` first on every
/// line, and nothing else added (each line stays safe for the shell's `eval`).
pub fn export_rows(out: &mut dyn Write, ino: u64, text: &[u8]) -> Result<()> {
    for line in text.split_inclusive(|&b| b == b'\n') {
        if line != b"\n" {
            write!(out, "IPC_NS=\"{ino}\" ")?;
        }
        out.write_all(line)?;
    }
    Ok(())
}

#[derive(Serialize)]
struct ContainerJson<'a> {
    runtime: Option<&'a str>,
    id: Option<&'a str>,
    pod_uid: Option<&'a str>,
    name: Option<&'a str>,
    cgroup: &'a str,
}

impl<'a> From<&'a Container> for ContainerJson<'a> {
    fn from(c: &'a Container) -> Self {
        ContainerJson {
            runtime: c.runtime,
            id: c.id.as_deref(),
            pod_uid: c.pod_uid.as_deref(),
            name: c.name.as_deref(),
            cgroup: &c.cgroup,
        }
    }
}

#[derive(Serialize)]
struct NamespaceJson<'a> {
    ipc_ns: u64,
    current: bool,
    container: Option<ContainerJson<'a>>,
    hostname: Option<&'a str>,
    pids: &'a [i32],
    pid_count: usize,
    mounts: Vec<String>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a ErrorJson>,
}

/// One entry of `"namespaces"`: the namespace's own keys, then those of `document` (the
/// command's JSON there, `{"schema_version":1,…}`) but its schema version.
pub fn json_entry(out: &mut Vec<u8>, ns: &Namespace, state: State, document: &[u8]) -> Result<()> {
    let entry = NamespaceJson {
        ipc_ns: ns.ino,
        current: ns.current,
        container: ns.container.as_ref().map(ContainerJson::from),
        hostname: ns.hostname.as_deref(),
        pids: &ns.pids[..ns.pids.len().min(PIDS_SHOWN)],
        pid_count: ns.pids.len(),
        mounts: ns.mounts.iter().map(|p| p.display().to_string()).collect(),
        status: state.code(),
        reason: match state {
            State::Skipped(why) => Some(why),
            _ => None,
        },
        error: match state {
            State::Failed(e) => Some(e),
            _ => None,
        },
    };
    let start = out.len();
    serde_json::to_writer(&mut *out, &entry)?;
    let doc = document.trim_ascii();
    if !doc.is_empty() {
        // `{…}` becomes `{…,` + the document's keys + `}`.
        out.truncate(out.len() - 1);
        match inner_keys(doc) {
            Some([]) => {}
            Some(keys) => {
                out.push(b',');
                out.extend_from_slice(keys);
            }
            // Not one of ours (it cannot happen): kept whole rather than lost.
            None => {
                out.extend_from_slice(b",\"result\":");
                out.extend_from_slice(doc);
            }
        }
        out.push(b'}');
    }
    debug_assert!(out[start..].ends_with(b"}"));
    Ok(())
}

/// The keys of one of shmctl's own JSON documents, without its braces and schema version:
/// `{"schema_version":1,"segments":[…]}` gives `"segments":[…]`.
fn inner_keys(document: &[u8]) -> Option<&[u8]> {
    const HEAD: &[u8] = b"{\"schema_version\":1";
    let rest = document.strip_prefix(HEAD)?.strip_suffix(b"}")?;
    Some(rest.strip_prefix(b",").unwrap_or(rest))
}

/// What a gc sweep did in every namespace together (after each namespace's own report).
pub fn gc_total(
    out: &mut dyn Write,
    quiet: bool,
    dry_run: bool,
    tally: crate::ipc::removal::Tally,
    (swept, found): (usize, usize),
) -> Result<()> {
    if quiet {
        return Ok(());
    }
    let removed = if dry_run {
        format!("would remove {}", tally.removed)
    } else {
        format!("{} removed", tally.removed)
    };
    writeln!(
        out,
        "total: {removed}, {} kept, {} failed in {swept} of {found} IPC namespace(s)",
        tally.kept, tally.failed
    )
}

#[derive(Serialize)]
struct TotalJson {
    removed: usize,
    kept: usize,
    failed: usize,
}

/// The keys after `"namespaces"`, and the document's closing brace: the processes whose
/// namespace could not be read; for gc whether it was a dry run and the totals; for stat
/// the selectors that named nothing in any namespace.
pub fn json_tail(
    out: &mut Vec<u8>,
    unreadable: &[i32],
    gc: Option<(crate::ipc::removal::Tally, bool)>,
    stat_failed: Option<&[Unresolved]>,
) -> Result<()> {
    out.extend_from_slice(b",\"unreadable_pids\":");
    serde_json::to_writer(&mut *out, unreadable)?;
    if let Some((t, dry_run)) = gc {
        out.extend_from_slice(if dry_run {
            b",\"dry_run\":true,\"total\":"
        } else {
            b",\"dry_run\":false,\"total\":"
        });
        let total = TotalJson {
            removed: t.removed,
            kept: t.kept,
            failed: t.failed,
        };
        serde_json::to_writer(&mut *out, &total)?;
    }
    if let Some(failed) = stat_failed {
        out.extend_from_slice(b",\"failed\":");
        serde_json::to_writer(&mut *out, failed)?;
    }
    out.extend_from_slice(b"}\n");
    Ok(())
}

/// The labels that say which namespace a series counts: `ipc_ns`, and when known
/// `container` (its id, else its name), `pod_uid` and `name`.
fn labels_of(ns: &Namespace) -> String {
    let mut labels = format!("ipc_ns=\"{}\"", ns.ino);
    let c = ns.container.as_ref();
    let mut add = |key: &str, value: Option<&str>| {
        if let Some(v) = value {
            labels.push_str(&format!(",{key}=\"{}\"", label(v)));
        }
    };
    add(
        "container",
        c.and_then(|c| c.id.as_deref().or(c.name.as_deref())),
    );
    add("pod_uid", c.and_then(|c| c.pod_uid.as_deref()));
    add(
        "name",
        c.and_then(|c| c.name.as_deref()).or(ns.hostname.as_deref()),
    );
    labels
}

/// One metric family: its HELP and TYPE lines and its samples, in the order seen.
struct Family {
    name: String,
    help: Option<String>,
    kind: Option<String>,
    samples: Vec<String>,
}

/// The metrics each namespace's `ls --format prometheus` wrote, merged into one exposition:
/// each family once (HELP and TYPE once, as the format wants), each sample with its
/// namespace's labels first. `shmctl_last_run_timestamp_seconds` is the sweep's, once. Then
/// how many namespaces the sweep found, by what became of them.
pub fn metrics(out: &mut dyn Write, parts: &[(&Namespace, State, &[u8])]) -> Result<()> {
    const RUN: &str = "shmctl_last_run_timestamp_seconds";
    let mut families: Vec<Family> = Vec::new();
    for (ns, _, text) in parts {
        let labels = labels_of(ns);
        let text = String::from_utf8_lossy(text);
        for line in text.lines() {
            let (name, comment) = match line.strip_prefix("# ") {
                Some(c) => (c.split(' ').nth(1).unwrap_or(""), Some(c)),
                None => (line.split(['{', ' ']).next().unwrap_or(""), None),
            };
            if name.is_empty() {
                continue;
            }
            let at = match families.iter().position(|f| f.name == name) {
                Some(at) => at,
                None => {
                    families.push(Family {
                        name: name.to_string(),
                        help: None,
                        kind: None,
                        samples: Vec::new(),
                    });
                    families.len() - 1
                }
            };
            let family = &mut families[at];
            match comment {
                Some(c) if c.starts_with("HELP ") => {
                    family.help.get_or_insert_with(|| line.to_string());
                }
                Some(c) if c.starts_with("TYPE ") => {
                    family.kind.get_or_insert_with(|| line.to_string());
                }
                Some(_) => {}
                // When the metrics were written is the sweep's: one sample, no labels.
                None if name == RUN => {
                    if family.samples.is_empty() {
                        family.samples.push(line.to_string());
                    }
                }
                None => {
                    let rest = &line[name.len()..];
                    let sample = match rest.strip_prefix('{') {
                        Some(inner) => format!("{name}{{{labels},{inner}"),
                        None => format!("{name}{{{labels}}}{rest}"),
                    };
                    family.samples.push(sample);
                }
            }
        }
    }
    let write = |out: &mut dyn Write, f: &Family| -> Result<()> {
        for line in [&f.help, &f.kind].into_iter().flatten().chain(&f.samples) {
            writeln!(out, "{line}")?;
        }
        Ok(())
    };
    for f in families.iter().filter(|f| f.name != RUN) {
        write(out, f)?;
    }
    family(
        out,
        "shmctl_ipc_namespaces",
        "IPC namespaces found by --all-namespaces, by what became of them (swept, gone, \
         skipped, failed, not_reached).",
    )?;
    for code in ["swept", "gone", "skipped", "failed", "not_reached"] {
        let n = parts.iter().filter(|(_, s, _)| s.code() == code).count();
        writeln!(out, "shmctl_ipc_namespaces{{status=\"{code}\"}} {n}")?;
    }
    for f in families.iter().filter(|f| f.name == RUN) {
        write(out, f)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(ino: u64, container: Option<Container>) -> Namespace {
        Namespace {
            ino,
            current: container.is_none(),
            pids: vec![1, 2],
            mounts: Vec::new(),
            container,
            hostname: None,
        }
    }

    #[test]
    fn raw_and_export_rows_say_their_namespace_and_nothing_else() {
        let raw = b"KEY ID\n0x1 0\n0x2 1\n\nKEY NSEMS\n0x3 2\n";
        let mut out = Vec::new();
        raw_rows(&mut out, 9, raw, true).expect("write");
        assert_eq!(
            String::from_utf8_lossy(&out),
            "IPC_NS KEY ID\n9 0x1 0\n9 0x2 1\n\nIPC_NS KEY NSEMS\n9 0x3 2\n"
        );
        let mut out = Vec::new();
        raw_rows(&mut out, 9, b"0x1 0\n", false).expect("write");
        assert_eq!(String::from_utf8_lossy(&out), "9 0x1 0\n");
        let mut out = Vec::new();
        export_rows(
            &mut out,
            9,
            b"KIND=\"shm\" ID=\"0\"\nKIND=\"sem\" ID=\"1\"\n",
        )
        .expect("write");
        assert_eq!(
            String::from_utf8_lossy(&out),
            "IPC_NS=\"9\" KIND=\"shm\" ID=\"0\"\nIPC_NS=\"9\" KIND=\"sem\" ID=\"1\"\n"
        );
    }

    #[test]
    fn a_namespace_entry_wraps_the_commands_own_keys() {
        let mut out = Vec::new();
        let doc = b"{\"schema_version\":1,\"segments\":[{\"id\":0}],\"x\":true}\n";
        json_entry(&mut out, &ns(7, None), State::Swept, doc).expect("write");
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v["ipc_ns"], 7);
        assert_eq!(v["segments"][0]["id"], 0);
        assert_eq!(v["x"], true);
        assert_eq!(v["status"], "swept");
        assert!(v.get("schema_version").is_none(), "{v}");
        let mut out = Vec::new();
        json_entry(&mut out, &ns(8, None), State::Gone, b"").expect("write");
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(
            (v["status"].as_str(), v["pid_count"].as_u64()),
            (Some("gone"), Some(2))
        );
    }

    #[test]
    fn metrics_of_every_namespace_merge_into_one_exposition() {
        let ours = ns(1, None);
        let pod = ns(
            2,
            Some(Container {
                runtime: Some("containerd"),
                id: Some("abc".into()),
                pod_uid: Some("u-1".into()),
                name: Some("web \"1\"".into()),
                cgroup: "/kubepods".into(),
            }),
        );
        let text = "# HELP shmctl_segments S.\n# TYPE shmctl_segments gauge\nshmctl_segments{owner=\"root\"} 2\n# HELP shmctl_attached_segments A.\n# TYPE shmctl_attached_segments gauge\nshmctl_attached_segments 0\n# HELP shmctl_last_run_timestamp_seconds W.\n# TYPE shmctl_last_run_timestamp_seconds gauge\nshmctl_last_run_timestamp_seconds 9\n";
        let mut out = Vec::new();
        metrics(
            &mut out,
            &[
                (&ours, State::Swept, text.as_bytes()),
                (&pod, State::Swept, text.as_bytes()),
                (&ns(3, None), State::Gone, b""),
            ],
        )
        .expect("write");
        let out = String::from_utf8(out).expect("utf-8");
        assert_eq!(
            out.matches("# TYPE shmctl_segments gauge").count(),
            1,
            "{out}"
        );
        assert!(
            out.contains("shmctl_segments{ipc_ns=\"1\",owner=\"root\"} 2"),
            "{out}"
        );
        assert!(
            out.contains(
                "shmctl_segments{ipc_ns=\"2\",container=\"abc\",pod_uid=\"u-1\",name=\"web \\\"1\\\"\",owner=\"root\"} 2"
            ),
            "{out}"
        );
        assert!(out.contains("shmctl_attached_segments{ipc_ns=\"2\",container=\"abc\",pod_uid=\"u-1\",name=\"web \\\"1\\\"\"} 0"), "{out}");
        assert_eq!(
            out.matches("shmctl_last_run_timestamp_seconds 9").count(),
            1,
            "{out}"
        );
        assert!(
            out.contains("shmctl_ipc_namespaces{status=\"gone\"} 1"),
            "{out}"
        );
        // Both namespaces' samples of a family sit together, after its one TYPE line.
        let first = out.find("shmctl_segments{ipc_ns=\"1\"").expect("ns 1");
        let second = out.find("shmctl_segments{ipc_ns=\"2\"").expect("ns 2");
        let next_family = out.find("# HELP shmctl_attached_segments").expect("family");
        assert!(first < second && second < next_family, "{out}");
    }
}
