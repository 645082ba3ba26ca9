//! Every IPC namespace on the machine (`--all-namespaces`): found through the processes in
//! /proc and the namespace files bind-mounted anywhere, named after the container they
//! belong to from the cgroup path conventions of the runtimes (never by asking a runtime).
use std::path::PathBuf;

use crate::sys::{self, nsfs};

/// The most pids a namespace is shown with.
pub const PIDS_SHOWN: usize = 8;

/// One IPC namespace and what names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    /// Its inode (`ipc:[INODE]`).
    pub ino: u64,
    /// The namespace shmctl runs in (listed first).
    pub current: bool,
    /// Every process in it but shmctl itself, in pid order.
    pub pids: Vec<i32>,
    /// Namespace files bind-mounted to it (`unshare --ipc=FILE`, `ip netns`-style tools).
    pub mounts: Vec<PathBuf>,
    /// The container or pod it belongs to, if its first process's cgroup tells.
    pub container: Option<Container>,
    /// Its first process's UTS hostname, when that process has a UTS namespace of its own.
    pub hostname: Option<String>,
}

/// A container, as its cgroup path names it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Container {
    /// docker, containerd, cri-o, podman, systemd-nspawn, lxc, or "cri" (a Kubernetes
    /// runtime whose cgroup leaf is a bare id); None for a layout none of them uses.
    pub runtime: Option<&'static str>,
    /// The container id (64 hex digits for the OCI runtimes).
    pub id: Option<String>,
    /// The Kubernetes pod UID.
    pub pod_uid: Option<String>,
    /// The machine name (systemd-nspawn, lxc), else the UTS hostname when it is the
    /// container's own (a pod's hostname is the pod's name).
    pub name: Option<String>,
    /// The cgroup path it was read from.
    pub cgroup: String,
}

impl Namespace {
    /// The label a person reads: `docker 3f2a1b2c4d5e (web)`, `pod 6d1f… containerd …`.
    pub fn label(&self) -> String {
        let Some(c) = &self.container else {
            return match (&self.hostname, self.current) {
                (_, true) => "shmctl's own".to_string(),
                (Some(name), false) => format!("hostname {name}"),
                (None, false) => "no container".to_string(),
            };
        };
        let mut parts = Vec::new();
        if let Some(uid) = &c.pod_uid {
            parts.push(format!("pod {uid}"));
        }
        match (c.runtime, &c.id) {
            (Some(runtime), Some(id)) => parts.push(format!("{runtime} {}", short_id(id))),
            (Some(runtime), None) => parts.push(runtime.to_string()),
            (None, _) => parts.push(format!("cgroup {}", c.cgroup)),
        }
        if let Some(name) = &c.name {
            parts.push(format!("({name})"));
        }
        parts.join(" ")
    }
}

/// A 64-digit container id as `docker ps` shows it: its first 12 digits.
fn short_id(id: &str) -> &str {
    if id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        &id[..12]
    } else {
        id
    }
}

/// What a sweep found: the namespaces (ours first, then by inode) and the processes whose
/// namespace could not be read.
#[derive(Debug, Default)]
pub struct Found {
    pub namespaces: Vec<Namespace>,
    /// Processes whose `/proc/PID/ns/ipc` we may not read (another user's, without
    /// CAP_SYS_PTRACE): their namespaces, if other, are not in the list.
    pub unreadable: Vec<i32>,
}

/// Finds every IPC namespace: those of the processes in /proc (deduplicated by inode) and
/// those only a bind mount holds. Each is named from its first process's cgroup (and, when
/// that process is in a UTS namespace of its own, its hostname).
pub fn discover() -> std::io::Result<Found> {
    let ours = sys::ipc_namespace_of("self")?;
    let mut by_ino: std::collections::BTreeMap<u64, Namespace> = std::collections::BTreeMap::new();
    let mut found = Found::default();
    let blank = |ino: u64| Namespace {
        ino,
        current: ino == ours,
        pids: Vec::new(),
        mounts: Vec::new(),
        container: None,
        hostname: None,
    };
    // Ours comes first even if no other process is in it; shmctl itself is not listed.
    by_ino.insert(ours, blank(ours));
    for pid in nsfs::pids()? {
        // EACCES without ptrace access (another user's process, without CAP_SYS_PTRACE),
        // ENOENT once it has exited.
        match sys::ipc_namespace_of(pid) {
            Ok(ino) => by_ino
                .entry(ino)
                .or_insert_with(|| blank(ino))
                .pids
                .push(pid),
            Err(e) if matches!(e.raw_os_error(), Some(libc::EACCES | libc::EPERM)) => {
                found.unreadable.push(pid)
            }
            // Exited since the directory was read (or a kernel thread of another kind).
            Err(_) => {}
        }
    }
    // The mount table is read after /proc: a namespace that lost its last process in
    // between but is bind-mounted is still found.
    if let Ok(text) = nsfs::mountinfo() {
        for (ino, path) in parse_nsfs_mounts(&text) {
            by_ino
                .entry(ino)
                .or_insert_with(|| blank(ino))
                .mounts
                .push(path);
        }
    }
    let uts = nsfs::UtsHome::open();
    for ns in by_ino.values_mut() {
        ns.pids.sort_unstable();
        ns.pids.dedup();
        if let (false, Some(&pid)) = (ns.current, ns.pids.first()) {
            ns.hostname = uts.as_ref().and_then(|home| home.hostname_of(pid));
            ns.container = nsfs::cgroup_of(pid).ok().and_then(|t| parse_cgroup(&t));
            if let Some(c) = ns.container.as_mut().filter(|c| c.name.is_none()) {
                c.name.clone_from(&ns.hostname);
            }
        }
    }
    found.unreadable.sort_unstable();
    let (mut current, others): (Vec<Namespace>, Vec<Namespace>) =
        by_ino.into_values().partition(|ns| ns.current);
    current.extend(others);
    found.namespaces = current;
    Ok(found)
}

/// The paths where a namespace file of an IPC namespace is bind-mounted, from mountinfo
/// (`ID PARENT MAJ:MIN ROOT MOUNTPOINT … - nsfs SOURCE OPTIONS` with ROOT `ipc:[INODE]`).
pub fn parse_nsfs_mounts(mountinfo: &str) -> Vec<(u64, PathBuf)> {
    sys::procfs::mounts(mountinfo)
        .filter(|m| m.fstype == "nsfs")
        .filter_map(|m| {
            let ino = m
                .root
                .strip_prefix("ipc:[")?
                .strip_suffix(']')?
                .parse()
                .ok()?;
            Some((ino, PathBuf::from(unescape_mount_path(m.point))))
        })
        .collect()
}

/// mountinfo writes space, tab, newline and backslash in a path as `\040`, `\011`, `\012`
/// and `\134`.
fn unescape_mount_path(path: &str) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStringExt;
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match octal {
            Some(d) => {
                let value = d.iter().fold(0u32, |v, b| v * 8 + u32::from(b - b'0'));
                out.push(u8::try_from(value).unwrap_or(b'?'));
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    std::ffi::OsString::from_vec(out)
}

/// The container a `/proc/PID/cgroup` names, by the runtimes' path conventions; a process
/// in no container (the root cgroup, a system service, a user session) gives None, and a
/// path no convention explains gives a container with only `cgroup`.
///
/// The unified hierarchy's line (`0::PATH`) is read first, else the systemd or memory
/// controller's (cgroup v1).
pub fn parse_cgroup(text: &str) -> Option<Container> {
    let lines: Vec<(&str, &str)> = text
        .lines()
        .filter_map(|l| {
            let mut f = l.splitn(3, ':');
            let (_, controllers, path) = (f.next()?, f.next()?, f.next()?);
            Some((controllers, path))
        })
        .collect();
    let pick = |want: &dyn Fn(&str) -> bool| {
        lines
            .iter()
            .find(|(c, p)| want(c) && *p != "/")
            .map(|(_, p)| *p)
    };
    let path = pick(&|c| c.is_empty())
        .or_else(|| pick(&|c| c == "name=systemd"))
        .or_else(|| pick(&|c| c.split(',').any(|c| c == "memory")))
        .or_else(|| pick(&|_| true))?;
    let mut c = Container {
        cgroup: path.to_string(),
        ..Container::default()
    };
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    // A pod's: kubepods[-QOS]-pod<UID with _>.slice (systemd) or pod<UID> (cgroupfs).
    let in_kubepods = segments.iter().any(|s| s.starts_with("kubepods"));
    if in_kubepods {
        c.pod_uid = segments.iter().find_map(|s| pod_uid(s));
    }
    // The innermost segment that names a container wins (nested runtimes: the inner one).
    for (i, s) in segments.iter().enumerate().rev() {
        if let Some((runtime, id)) = container_id(s) {
            c.runtime = Some(runtime);
            c.id = Some(id.to_string());
            break;
        }
        if let Some(name) = machine_name(s) {
            c.runtime = Some("systemd-nspawn");
            c.name = Some(name);
            break;
        }
        if let Some(name) = lxc_name(&segments, i) {
            c.runtime = Some("lxc");
            c.name = Some(name.to_string());
            break;
        }
        // cgroupfs drivers: /docker/<id>, /kubepods/…/pod<uid>/<id>, /libpod_parent/…/<id>.
        if is_container_id(s) && i > 0 {
            let parent = segments[i - 1];
            let runtime = if parent == "docker" {
                Some("docker")
            } else if in_kubepods && pod_uid(parent).is_some() {
                Some("cri")
            } else if segments[..i].contains(&"libpod_parent") {
                Some("podman")
            } else {
                None
            };
            if let Some(runtime) = runtime {
                c.runtime = Some(runtime);
                c.id = Some(s.to_string());
                break;
            }
        }
    }
    if c.runtime.is_none() && c.pod_uid.is_none() && !looks_contained(&segments) {
        // A service, a session or a slice of the host: not a container.
        return None;
    }
    Some(c)
}

/// `<prefix><64 hex>.scope` of the systemd cgroup drivers; the runtime's monitor
/// (`crio-conmon-…`, `libpod-conmon-…`) is not the container.
fn container_id(segment: &str) -> Option<(&'static str, &str)> {
    const PREFIXES: [(&str, &str); 4] = [
        ("docker-", "docker"),
        ("cri-containerd-", "containerd"),
        ("crio-", "cri-o"),
        ("libpod-", "podman"),
    ];
    let stem = segment.strip_suffix(".scope").unwrap_or(segment);
    PREFIXES.iter().find_map(|(prefix, runtime)| {
        let id = stem.strip_prefix(prefix)?;
        is_container_id(id).then_some((*runtime, id))
    })
}

fn is_container_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The pod UID in `pod<UID>` (cgroupfs) or `kubepods-…-pod<UID, _ for ->.slice` (systemd).
fn pod_uid(segment: &str) -> Option<String> {
    let stem = segment.strip_suffix(".slice").unwrap_or(segment);
    let at = stem.rfind("pod")?;
    if at > 0 && !stem[..at].ends_with('-') {
        return None;
    }
    let uid = stem[at + 3..].replace('_', "-");
    let uuid = uid.len() == 36
        && uid.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
    uuid.then_some(uid)
}

/// systemd-machined's `machine-NAME.scope` or nspawn's `systemd-nspawn@NAME.service`, the
/// name unescaped (`\x2d` is `-`).
fn machine_name(segment: &str) -> Option<String> {
    let name = segment
        .strip_prefix("machine-")
        .and_then(|s| s.strip_suffix(".scope"))
        .or_else(|| {
            segment
                .strip_prefix("systemd-nspawn@")
                .and_then(|s| s.strip_suffix(".service"))
        })?;
    (!name.is_empty()).then(|| unescape_systemd(name))
}

/// `\xNN` escapes of systemd unit names.
fn unescape_systemd(name: &str) -> String {
    let mut out = Vec::with_capacity(name.len());
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i..i + 4)
            .filter(|e| e.starts_with(b"\\x"))
            .and_then(|e| std::str::from_utf8(&e[2..]).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(b) => {
                out.push(b);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// LXC's `lxc.payload.NAME` (4.x and later) or `/lxc/NAME` (older).
fn lxc_name<'a>(segments: &[&'a str], i: usize) -> Option<&'a str> {
    let s = segments[i];
    if let Some(name) = s.strip_prefix("lxc.payload.") {
        return (!name.is_empty()).then_some(name);
    }
    (i == 1 && segments[0] == "lxc").then_some(s)
}

/// A path no convention explains, but not one of the host's own slices (system.slice,
/// user.slice, init.scope): shown by its cgroup path.
fn looks_contained(segments: &[&str]) -> bool {
    match segments.first() {
        None => false,
        Some(&first) => !matches!(
            first,
            "system.slice" | "user.slice" | "init.scope" | "-.slice" | "machine.slice"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3f2a1b2c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";
    const UID: &str = "6d1f0c2e-8a4b-4c3d-9e2f-0a1b2c3d4e5f";

    fn parsed(text: &str) -> Container {
        parse_cgroup(text).unwrap_or_else(|| panic!("no container in {text}"))
    }

    #[test]
    fn docker_with_either_cgroup_driver() {
        for text in [
            format!("0::/system.slice/docker-{ID}.scope\n"),
            format!("0::/docker/{ID}\n"),
            // cgroup v1: the systemd hierarchy's line.
            format!("12:memory:/docker/{ID}\n1:name=systemd:/docker/{ID}\n0::/\n"),
        ] {
            let c = parsed(&text);
            assert_eq!(c.runtime, Some("docker"), "{text}");
            assert_eq!(c.id.as_deref(), Some(ID), "{text}");
            assert_eq!(c.pod_uid, None);
        }
    }

    #[test]
    fn kubernetes_pods_with_either_cgroup_driver() {
        let systemd_uid = UID.replace('-', "_");
        let cases = [
            (
                format!(
                    "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{systemd_uid}.slice/cri-containerd-{ID}.scope\n"
                ),
                "containerd",
            ),
            (
                format!("0::/kubepods.slice/kubepods-pod{systemd_uid}.slice/crio-{ID}.scope\n"),
                "cri-o",
            ),
            (format!("0::/kubepods/besteffort/pod{UID}/{ID}\n"), "cri"),
            (format!("0::/kubepods/pod{UID}/{ID}\n"), "cri"),
            (
                format!(
                    "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{systemd_uid}.slice/docker-{ID}.scope\n"
                ),
                "docker",
            ),
        ];
        for (text, runtime) in cases {
            let c = parsed(&text);
            assert_eq!(c.runtime, Some(runtime), "{text}");
            assert_eq!(c.id.as_deref(), Some(ID), "{text}");
            assert_eq!(c.pod_uid.as_deref(), Some(UID), "{text}");
        }
        // The pod's own cgroup (no container below it): the pod, no container id.
        let c = parsed(&format!(
            "0::/kubepods.slice/kubepods-pod{systemd_uid}.slice\n"
        ));
        assert_eq!((c.pod_uid.as_deref(), c.id), (Some(UID), None));
    }

    #[test]
    fn podman_cri_o_monitors_and_nested_runtimes() {
        for text in [
            format!("0::/machine.slice/libpod-{ID}.scope\n"),
            format!(
                "0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{ID}.scope/container\n"
            ),
            format!("0::/libpod_parent/libpod-{ID}\n"),
        ] {
            let c = parsed(&text);
            assert_eq!(c.runtime, Some("podman"), "{text}");
            assert_eq!(c.id.as_deref(), Some(ID), "{text}");
        }
        // conmon, the monitor beside a container, is no container.
        assert_eq!(
            parse_cgroup(&format!("0::/machine.slice/libpod-conmon-{ID}.scope\n")),
            None
        );
        // Docker in a Kubernetes pod's container: the innermost names it.
        let other = "a".repeat(64);
        let c = parsed(&format!("0::/kubepods/pod{UID}/{ID}/docker/{other}\n"));
        assert_eq!(
            (c.runtime, c.id.as_deref()),
            (Some("docker"), Some(&other[..]))
        );
    }

    #[test]
    fn machines_by_name() {
        let c = parsed("0::/machine.slice/systemd-nspawn@build\\x2dhost.service/payload\n");
        assert_eq!(
            (c.runtime, c.name.as_deref()),
            (Some("systemd-nspawn"), Some("build-host"))
        );
        let c = parsed("0::/machine.slice/machine-web\\x2d1.scope/payload\n");
        assert_eq!(c.name.as_deref(), Some("web-1"));
        let c = parsed("0::/lxc.payload.db1/init.scope\n");
        assert_eq!((c.runtime, c.name.as_deref()), (Some("lxc"), Some("db1")));
        let c = parsed("0::/lxc/db2\n");
        assert_eq!((c.runtime, c.name.as_deref()), (Some("lxc"), Some("db2")));
    }

    #[test]
    fn the_hosts_own_cgroups_are_no_container_and_unknown_ones_keep_their_path() {
        for text in [
            "0::/\n",
            "0::/init.scope\n",
            "0::/system.slice/sshd.service\n",
            "0::/user.slice/user-1000.slice/session-3.scope\n",
            "",
            "garbage",
        ] {
            assert_eq!(parse_cgroup(text), None, "{text:?}");
        }
        let c = parsed("0::/process_api/28722623d6e350330b76505e5c9d34aa\n");
        assert_eq!(c.runtime, None);
        assert_eq!(c.cgroup, "/process_api/28722623d6e350330b76505e5c9d34aa");
        // A cgroup v1 host whose unified line is the root: the memory controller's path.
        let c = parsed("4:memory:/process_api/abc\n0::/\n");
        assert_eq!(c.cgroup, "/process_api/abc");
    }

    #[test]
    fn bind_mounted_namespace_files_are_found_in_mountinfo() {
        let text = "\
22 1 0:21 / /proc rw,nosuid - proc proc rw
70 46 0:4 ipc:[4026532177] /run/ipc\\040ns/a rw - nsfs nsfs rw
71 46 0:4 net:[4026532180] /run/netns/x rw - nsfs nsfs rw
72 46 0:4 ipc:[4026532190] /tmp/b rw,relatime shared:5 - nsfs nsfs rw
bad line
";
        assert_eq!(
            parse_nsfs_mounts(text),
            vec![
                (4026532177, PathBuf::from("/run/ipc ns/a")),
                (4026532190, PathBuf::from("/tmp/b")),
            ]
        );
    }

    #[test]
    fn labels_say_what_a_person_looks_for() {
        let ns = |container| Namespace {
            ino: 1,
            current: false,
            pids: vec![1],
            mounts: Vec::new(),
            container,
            hostname: None,
        };
        assert_eq!(ns(None).label(), "no container");
        let c = Container {
            runtime: Some("containerd"),
            id: Some(ID.to_string()),
            pod_uid: Some(UID.to_string()),
            name: Some("web-7c9d".to_string()),
            cgroup: String::new(),
        };
        assert_eq!(
            ns(Some(c)).label(),
            format!("pod {UID} containerd 3f2a1b2c4d5e (web-7c9d)")
        );
        let c = Container {
            cgroup: "/x/y".to_string(),
            ..Container::default()
        };
        assert_eq!(ns(Some(c)).label(), "cgroup /x/y");
    }
}
