//! Checks of the distribution packaging under packaging/ and `[package.metadata.deb]`:
//! the systemd units pass `systemd-analyze verify`, the RPM spec parses with `rpmspec -P`,
//! the PKGBUILD is valid bash, every package format installs the same files at the same
//! version, and the Kubernetes DaemonSet has what the node-wide gc needs.
//!
//! External tools (systemd-analyze, rpmspec, python3 with PyYAML) are optional: a check whose
//! tool is missing prints SKIPPED, unless SHMCTL_TEST_REQUIRE_PACKAGING_TOOLS=1 (set by
//! .ci/run), in which case a missing tool is a failure.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    let path = root().join(rel);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Whether `tool` with `probe` succeeds; if not, one visible line says what was not checked
/// and what is missing (`missing`), or the test fails when tools are required (CI).
fn have_tool(tool: &str, probe: &[&str], what: &str, missing: &str) -> bool {
    let ok = Command::new(tool)
        .args(probe)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        let required = [
            "SHMCTL_TEST_REQUIRE_PACKAGING_TOOLS",
            "SHMCTL_TEST_REQUIRE_TOOLS",
        ]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|v| v == "1"));
        if required {
            panic!("{what} not checked: {missing}, and tools are required (CI installs them)");
        }
        // Past the test harness's capture: one line in the normal output.
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "SKIPPED: {what}: {missing}");
    }
    ok
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The double-quoted strings of a line, in order (no escapes are used in our asset lines).
fn quoted(line: &str) -> Vec<String> {
    line.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// `[package.metadata.deb]` assets of Cargo.toml as (source, destination, mode), parsed by hand.
fn deb_assets() -> Vec<(String, String, String)> {
    let cargo = read("Cargo.toml");
    let mut in_section = false;
    let mut in_assets = false;
    let mut assets = Vec::new();
    for line in cargo.lines() {
        let t = line.trim();
        if t.starts_with('[') && !in_assets {
            in_section = t == "[package.metadata.deb]";
            continue;
        }
        if !in_section {
            continue;
        }
        if !in_assets {
            if t.starts_with("assets") && t.contains('=') {
                in_assets = true;
            }
            continue;
        }
        if t == "]" {
            in_assets = false;
            continue;
        }
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let q = quoted(t);
        assert_eq!(q.len(), 3, "asset line is not [src, dest, mode]: {t}");
        assets.push((q[0].clone(), q[1].clone(), q[2].clone()));
    }
    assert!(
        !assets.is_empty(),
        "no assets found in [package.metadata.deb]"
    );
    assets
}

/// One installed file's destination in a form comparable across distributions: no leading
/// '/', merged /usr, the zsh completion directory of Debian, and every man page (gzipped or
/// not, named or installed by glob into the directory) as `usr/share/man/man1/*`.
fn normalise(dest: &str) -> String {
    let d = dest.trim_start_matches('/');
    let d = match d.strip_prefix("lib/") {
        Some(rest) => format!("usr/lib/{rest}"),
        None => d.to_string(),
    };
    let d = d.replace(
        "usr/share/zsh/site-functions/",
        "usr/share/zsh/vendor-completions/",
    );
    if let Some(rest) = d.strip_prefix("usr/share/man/") {
        let section = rest.split('/').next().unwrap_or_default();
        return format!("usr/share/man/{section}/*");
    }
    d
}

fn deb_destinations() -> BTreeSet<String> {
    deb_assets().iter().map(|(_, d, _)| normalise(d)).collect()
}

/// Destinations of `install` commands (not `install -d`) in `body`, with `prefix` removed.
fn raw_install_destinations(body: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in body.lines() {
        let t = line.trim();
        let Some(args) = t.strip_prefix("install ") else {
            continue;
        };
        let words: Vec<&str> = args.split_whitespace().collect();
        if words
            .iter()
            .any(|w| w.starts_with('-') && !w.starts_with("--") && w.contains('d'))
        {
            continue; // install -d: a directory, not a file
        }
        let last = words.last().expect("install with no arguments");
        let last = last.trim_matches('"').trim_matches('\'');
        let dest = last
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("install destination {last:?} is not under {prefix}"));
        out.push(dest.to_string());
    }
    out
}

fn install_destinations(body: &str, prefix: &str) -> BTreeSet<String> {
    raw_install_destinations(body, prefix)
        .iter()
        .map(|d| normalise(d))
        .collect()
}

#[test]
fn deb_assets_exist_and_cover_everything() {
    let assets = deb_assets();
    for (src, dest, mode) in &assets {
        assert!(
            mode == "755" || mode == "644",
            "unexpected mode {mode} for {src}"
        );
        if src.starts_with("target/release/") {
            assert_eq!(dest, "usr/bin/shmctl");
            assert_eq!(mode, "755");
            continue;
        }
        if let Some(dir) = src.strip_suffix("/*.1") {
            let pages: Vec<_> = fs::read_dir(root().join(dir))
                .expect("reading the man page directory")
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().ends_with(".1"))
                .collect();
            assert!(pages.len() >= 2, "no man pages matched {src}");
            assert_eq!(dest, "usr/share/man/man1/");
            continue;
        }
        assert!(root().join(src).is_file(), "asset {src} does not exist");
    }
    let want = [
        "usr/bin/shmctl",
        "usr/share/man/man1/*",
        "usr/share/bash-completion/completions/shmctl",
        "usr/share/zsh/vendor-completions/_shmctl",
        "usr/share/fish/vendor_completions.d/shmctl.fish",
        "usr/lib/systemd/system/shmctl-gc.service",
        "usr/lib/systemd/system/shmctl-gc.timer",
        "usr/share/doc/shmctl/README.md",
    ];
    let want: BTreeSet<String> = want.iter().map(|s| s.to_string()).collect();
    assert_eq!(deb_destinations(), want);
}

/// The units' directives (not comments), as (key, value).
fn directives(unit: &str) -> Vec<(String, String)> {
    unit.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && !l.starts_with(';') && !l.starts_with('['))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

#[test]
fn systemd_units_are_hardened_but_see_the_host() {
    let service = read("packaging/systemd/shmctl-gc.service");
    let timer = read("packaging/systemd/shmctl-gc.timer");
    let dirs = directives(&service);
    let get = |k: &str| -> Vec<&str> {
        dirs.iter()
            .filter(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    assert_eq!(
        get("ExecStart"),
        ["/usr/bin/shmctl -A gc --yes --older-than 1h --json"],
        "every container's IPC namespace and the host's"
    );
    for (k, v) in [
        ("Type", "oneshot"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("NoNewPrivileges", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateNetwork", "yes"),
        ("ProtectKernelModules", "yes"),
        ("ProtectKernelLogs", "yes"),
        ("ProtectControlGroups", "yes"),
        ("RestrictAddressFamilies", "AF_UNIX"),
        ("LockPersonality", "yes"),
        ("MemoryDenyWriteExecute", "yes"),
        ("RestrictRealtime", "yes"),
        ("SystemCallArchitectures", "native"),
        ("RuntimeDirectory", "shmctl"),
        ("RuntimeDirectoryMode", "0755"),
        ("RuntimeDirectoryPreserve", "yes"),
        (
            "CapabilityBoundingSet",
            "CAP_SYS_ADMIN CAP_SYS_PTRACE CAP_IPC_OWNER CAP_DAC_READ_SEARCH CAP_FOWNER",
        ),
    ] {
        assert_eq!(get(k), [v], "{k}= in shmctl-gc.service");
    }
    // These would blind gc to the host's segments or processes; each absence is explained.
    for k in ["PrivateIPC", "ProtectProc", "PrivatePIDs"] {
        assert!(
            get(k).is_empty(),
            "{k}= must not be set in shmctl-gc.service"
        );
        assert!(
            service.lines().any(|l| l.starts_with('#') && l.contains(k)),
            "shmctl-gc.service must say why {k}= is absent"
        );
    }
    for cap in [
        "CAP_SYS_ADMIN",
        "CAP_SYS_PTRACE",
        "CAP_IPC_OWNER",
        "CAP_DAC_READ_SEARCH",
    ] {
        assert!(
            service
                .lines()
                .any(|l| l.starts_with('#') && l.contains(cap)),
            "shmctl-gc.service must say why it keeps {cap}"
        );
    }
    let tdirs = directives(&timer);
    for (k, v) in [
        ("OnCalendar", "hourly"),
        ("Persistent", "true"),
        ("RandomizedDelaySec", "5m"),
        ("WantedBy", "timers.target"),
    ] {
        assert!(
            tdirs.iter().any(|(key, val)| key == k && val == v),
            "{k}={v} in shmctl-gc.timer"
        );
    }
}

#[test]
fn systemd_analyze_verify_units() {
    if !have_tool(
        "systemd-analyze",
        &["--version"],
        "the systemd units",
        "systemd-analyze is not installed (systemd)",
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = env!("CARGO_BIN_EXE_shmctl");
    let service = read("packaging/systemd/shmctl-gc.service");
    let rewritten = service.replace("ExecStart=/usr/bin/shmctl ", &format!("ExecStart={bin} "));
    assert_ne!(rewritten, service, "ExecStart=/usr/bin/shmctl not found");
    fs::write(dir.path().join("shmctl-gc.service"), rewritten).expect("writing the service");
    fs::copy(
        root().join("packaging/systemd/shmctl-gc.timer"),
        dir.path().join("shmctl-gc.timer"),
    )
    .expect("copying the timer");
    // Documentation=man:shmctl-gc(1) is checked against the repository's man pages.
    let man1 = dir.path().join("man/man1");
    fs::create_dir_all(&man1).expect("man dir");
    for entry in fs::read_dir(root().join("man")).expect("man/") {
        let entry = entry.expect("man/ entry");
        fs::copy(entry.path(), man1.join(entry.file_name())).expect("copying a man page");
    }
    let have_man = Command::new("man")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let mut cmd = Command::new("systemd-analyze");
    cmd.arg("verify")
        .env("MANPATH", dir.path().join("man"))
        .env("SYSTEMD_LOG_COLOR", "0");
    if !have_man {
        cmd.arg("--man=no");
    }
    cmd.arg(dir.path().join("shmctl-gc.service"))
        .arg(dir.path().join("shmctl-gc.timer"));
    let out = run(&mut cmd);
    let all = text(&out);
    let tmp = dir.path().to_string_lossy().to_string();
    let ours: Vec<&str> = all
        .lines()
        .filter(|l| l.contains("shmctl") || l.contains(&tmp))
        .collect();
    assert!(
        ours.is_empty(),
        "systemd-analyze verify complains about our units:\n{all}"
    );
    if !out.status.success() {
        // Only unrelated host noise is tolerated, and only if there is some to explain it.
        assert!(
            !all.trim().is_empty(),
            "systemd-analyze verify failed silently ({})",
            out.status
        );
        eprintln!("systemd-analyze verify: unrelated host messages ignored:\n{all}");
    }
}

#[test]
fn rpm_spec_version_and_parse() {
    let spec = read("packaging/rpm/shmctl.spec");
    let field = |name: &str| -> String {
        spec.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .unwrap_or_else(|| panic!("no {name}: in the spec"))
            .trim()
            .to_string()
    };
    assert_eq!(field("Name"), "shmctl");
    assert_eq!(field("Version"), VERSION, "spec Version vs Cargo.toml");
    assert_eq!(field("License"), env!("CARGO_PKG_LICENSE"));
    assert!(spec.contains("cargo build --release --locked"));
    assert!(
        spec.lines()
            .any(|l| l.starts_with("%doc") && l.contains("README.md")),
        "README.md is not %doc"
    );

    if !have_tool(
        "rpmspec",
        &["--version"],
        "the RPM spec",
        "rpmspec is not installed (rpm)",
    ) {
        return;
    }
    let buildroot = "/SHMCTL_BUILDROOT";
    let out = run(Command::new("rpmspec")
        .arg("-P")
        .arg("--define")
        .arg(format!("buildroot {buildroot}"))
        .arg(root().join("packaging/rpm/shmctl.spec")));
    let parsed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "rpmspec -P failed ({}):\n{}",
        out.status,
        text(&out)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.to_lowercase().contains("warning") && !stderr.to_lowercase().contains("error"),
        "rpmspec -P warned:\n{stderr}"
    );
    // The same files as the .deb (the README goes in by %doc).
    let mut want = deb_destinations();
    want.remove("usr/share/doc/shmctl/README.md");
    assert_eq!(
        install_destinations(&parsed, &format!("{buildroot}/")),
        want
    );
    // Every installed file is in %files (man pages by glob).
    let files = parsed
        .split("\n%files")
        .nth(1)
        .expect("no %files in the parsed spec");
    for dest in raw_install_destinations(&parsed, &format!("{buildroot}/")) {
        let listed = if let Some(dir) = dest.strip_suffix('/') {
            files.contains(&format!("/{dir}/shmctl.1*"))
                && files.contains(&format!("/{dir}/shmctl-*.1*"))
        } else {
            files.lines().any(|l| l.trim() == format!("/{dest}"))
        };
        assert!(listed, "{dest} is installed but not in %files:\n{files}");
    }
}

#[test]
fn pkgbuild_syntax_version_and_files() {
    let path = root().join("packaging/arch/PKGBUILD");
    let out = run(Command::new("bash").arg("-n").arg(&path));
    assert!(out.status.success(), "bash -n PKGBUILD:\n{}", text(&out));
    let pkgbuild = read("packaging/arch/PKGBUILD");
    let var = |name: &str| -> String {
        pkgbuild
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name}= in the PKGBUILD"))
            .trim_matches(|c| c == '\'' || c == '"')
            .to_string()
    };
    assert_eq!(var("pkgname"), "shmctl");
    assert_eq!(var("pkgver"), VERSION, "PKGBUILD pkgver vs Cargo.toml");
    assert!(var("pkgrel").parse::<u32>().is_ok(), "pkgrel");
    for f in ["build()", "check()", "package()"] {
        assert!(pkgbuild.contains(f), "PKGBUILD has no {f}");
    }
    assert!(var("depends").contains("glibc"));
    assert!(var("makedepends").contains("cargo"));

    // package()'s body: from its opening line to the next line that is just "}".
    let body: String = pkgbuild
        .lines()
        .skip_while(|l| !l.starts_with("package()"))
        .skip(1)
        .take_while(|l| *l != "}")
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!body.is_empty(), "empty package()");
    assert_eq!(install_destinations(&body, "$pkgdir/"), deb_destinations());
}

/// The DaemonSet's interesting properties, extracted by python3 + PyYAML as JSON.
const DAEMONSET_PY: &str = r#"
import json, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
ds = [d for d in docs if d.get("kind") == "DaemonSet"]
assert len(ds) == 1, "expected exactly one DaemonSet, found %d" % len(ds)
ds = ds[0]
pod = ds["spec"]["template"]["spec"]
def container(c):
    sc = c.get("securityContext") or {}
    caps = sc.get("capabilities") or {}
    return {
        "name": c["name"],
        "image": c.get("image", ""),
        "command": " ".join(map(str, (c.get("command") or []) + (c.get("args") or []))),
        "cap_add": caps.get("add") or [],
        "cap_drop": caps.get("drop") or [],
        "mounts": {m["name"]: m["mountPath"] for m in c.get("volumeMounts") or []},
        "ports": [p.get("containerPort") for p in c.get("ports") or []],
    }
print(json.dumps({
    "kind": ds["kind"],
    "hostIPC": pod.get("hostIPC"),
    "hostPID": pod.get("hostPID"),
    "selector_matches": all(
        ds["spec"]["template"]["metadata"]["labels"].get(k) == v
        for k, v in ds["spec"]["selector"]["matchLabels"].items()),
    "containers": [container(c) for c in pod["containers"]],
    "volumes": {v["name"]: sorted(k for k in v if k != "name") for v in pod.get("volumes") or []},
}))
"#;

#[test]
fn kubernetes_daemonset() {
    if !have_tool(
        "python3",
        &["-c", "import yaml"],
        "the Kubernetes DaemonSet",
        "python3 cannot import yaml: PyYAML is not installed (python3-yaml, or pip install pyyaml)",
    ) {
        return;
    }
    let out = run(Command::new("python3")
        .arg("-c")
        .arg(DAEMONSET_PY)
        .arg(root().join("packaging/kubernetes/daemonset.yaml")));
    assert!(
        out.status.success(),
        "loading daemonset.yaml:\n{}",
        text(&out)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("python's JSON");
    assert_eq!(v["kind"], "DaemonSet");
    assert_eq!(v["hostIPC"], true, "hostIPC");
    assert_eq!(v["hostPID"], true, "hostPID");
    assert_eq!(v["selector_matches"], true, "selector vs template labels");
    let containers = v["containers"].as_array().expect("containers");
    let strs = |c: &serde_json::Value, k: &str| -> Vec<String> {
        c[k].as_array()
            .expect("array")
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect()
    };
    let main = containers
        .iter()
        .find(|c| c["name"] == "shmctl")
        .expect("a container named shmctl");
    let cmd = main["command"].as_str().expect("command");
    // Every pod's IPC namespace, cleaned and measured.
    assert!(cmd.contains("shmctl -A gc --yes"), "main command: {cmd}");
    assert!(
        cmd.contains("shmctl -A ls --format prometheus --output /textfile/"),
        "main command: {cmd}"
    );
    assert!(
        main["image"]
            .as_str()
            .is_some_and(|i| i.ends_with(&format!(":{VERSION}"))),
        "image tag should be the crate version: {}",
        main["image"]
    );
    let add = strs(main, "cap_add");
    for cap in ["SYS_ADMIN", "SYS_PTRACE", "IPC_OWNER"] {
        assert!(add.iter().any(|c| c == cap), "{cap} not added: {add:?}");
    }
    assert_eq!(strs(main, "cap_drop"), ["ALL"]);

    let exporter = containers
        .iter()
        .find(|c| {
            c["image"]
                .as_str()
                .is_some_and(|i| i.contains("node-exporter"))
        })
        .expect("a node-exporter container");
    let ecmd = exporter["command"].as_str().expect("exporter args");
    assert!(
        ecmd.contains("--collector.textfile.directory=/textfile"),
        "node-exporter args: {ecmd}"
    );
    assert!(
        exporter["ports"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p == 9100)),
        "node-exporter port 9100"
    );

    // Both mount the same volume at /textfile, and it is an emptyDir.
    let volume_at = |c: &serde_json::Value| -> Option<String> {
        c["mounts"]
            .as_object()?
            .iter()
            .find(|(_, path)| path.as_str() == Some("/textfile"))
            .map(|(name, _)| name.clone())
    };
    let shared = volume_at(main).expect("shmctl container mounts /textfile");
    assert_eq!(
        volume_at(exporter).as_deref(),
        Some(shared.as_str()),
        "node-exporter mounts the same /textfile volume"
    );
    assert_eq!(
        v["volumes"][&shared],
        serde_json::json!(["emptyDir"]),
        "the /textfile volume is an emptyDir"
    );
}

#[test]
fn dockerfile_copies_the_binary() {
    let docker = read("packaging/kubernetes/Dockerfile");
    assert!(docker.lines().any(|l| l.starts_with("FROM debian:")));
    assert!(docker.contains("COPY target/release/shmctl /usr/bin/shmctl"));
}
