//! `ls --output FILE`: a temporary file nobody can predict or plant, next to the target, renamed
//! over it; links are never followed and special files never replaced. Every path is under
//! the test's own TempDir, or inside the namespace's private /dev.
use std::fs;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output};

use crate::util::*;

fn ls_output(ns: &Ns, target: &Path) -> Output {
    ns.shmctl(&[
        "ls",
        "--format",
        "prometheus",
        "--output",
        target.to_str().expect("utf-8"),
    ])
}

fn refused(out: &Output, what: &str) {
    assert_exit(out, 2, &[what]);
    let err = text(&out.stderr);
    assert!(
        err.contains("not a regular file") || err.contains("symbolic link"),
        "{what}: {err}"
    );
    assert!(out.stdout.is_empty(), "{what}: {}", text(&out.stdout));
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn output_never_follows_a_planted_link() {
    // A private PID namespace: shmctl's pid is small there, so the old predictable temporary
    // name (`.NAME.PID.tmp`) is among the links planted below.
    let Some(ns) = Ns::with_mounts_and_pids() else {
        return;
    };
    ns.run_helper(&["create", "0x1", "4096", "0600"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let victim = dir.path().join("victim");
    fs::write(&victim, "precious\n").expect("victim");

    // The target itself a link (to a file, and dangling): refused, nothing changes.
    let link = dir.path().join("link.prom");
    std::os::unix::fs::symlink(&victim, &link).expect("symlink");
    refused(&ls_output(&ns, &link), "a symlink target");
    let dangling = dir.path().join("dangling.prom");
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).expect("symlink");
    refused(&ls_output(&ns, &dangling), "a dangling symlink target");
    assert!(fs::symlink_metadata(&link).expect("link").is_symlink());
    assert!(
        !dir.path().join("nowhere").exists(),
        "the dangling link was not followed"
    );

    // Links at every name the old code would have chosen for its temporary file.
    let target = dir.path().join("shmctl.prom");
    for pid in 1..=3000 {
        let planted = dir.path().join(format!(".shmctl.prom.{pid}.tmp"));
        std::os::unix::fs::symlink(&victim, planted).expect("plant");
    }
    let before = names(dir.path());
    let out = ls_output(&ns, &target);
    assert_success(&out, &["ls --output beside planted links"]);
    assert_eq!(fs::read_to_string(&victim).expect("victim"), "precious\n");
    let written = fs::symlink_metadata(&target).expect("target");
    assert!(written.file_type().is_file(), "a regular file, not a link");
    assert!(fs::read_to_string(&target)
        .expect("metrics")
        .contains("shmctl_segments"));
    // Nothing left behind, nothing planted removed: the only new name is the target.
    let mut expected = before;
    expected.push("shmctl.prom".to_string());
    expected.sort();
    assert_eq!(names(dir.path()), expected);

    // Replacing an existing regular file works and keeps it readable by node_exporter (0644)
    // whatever the umask.
    fs::write(&target, "old\n").expect("old");
    let out = ns
        .command("sh")
        .arg("-c")
        .arg("umask 077; exec \"$0\" ls --format prometheus --output \"$1\"")
        .arg(shmctl_bin())
        .arg(&target)
        .output()
        .expect("sh");
    assert_success(&out, &["ls --output under umask 077"]);
    let meta = fs::metadata(&target).expect("target");
    assert_eq!(meta.permissions().mode() & 0o7777, 0o644);
    assert!(fs::read_to_string(&target)
        .expect("metrics")
        .contains("shmctl_segments"));
}

#[test]
fn output_refuses_special_files_and_leaves_them_alone() {
    let Some(ns) = Ns::with_mounts() else { return };
    let dir = tempfile::tempdir().expect("tempdir");

    let fifo = dir.path().join("fifo.prom");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    refused(&ls_output(&ns, &fifo), "a FIFO");
    assert!(fs::symlink_metadata(&fifo)
        .expect("fifo")
        .file_type()
        .is_fifo());

    let directory = dir.path().join("dir.prom");
    fs::create_dir(&directory).expect("dir");
    refused(&ls_output(&ns, &directory), "a directory");
    assert!(fs::symlink_metadata(&directory).expect("dir").is_dir());
    let with_slash = format!("{}/", directory.display());
    refused(&ls_output(&ns, Path::new(&with_slash)), "a directory/");

    let socket = dir.path().join("socket.prom");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).expect("bind");
    refused(&ls_output(&ns, &socket), "a socket");
    assert!(fs::symlink_metadata(&socket)
        .expect("socket")
        .file_type()
        .is_socket());

    // Only our own files in the directory: nothing written beside the refused targets.
    assert_eq!(names(dir.path()), ["dir.prom", "fifo.prom", "socket.prom"]);

    // A character device, as seen inside the private mount namespace (its /dev is a tmpfs
    // whose null is a bind mount): refused, and still a character device there.
    let out = ls_output(&ns, Path::new("/dev/null"));
    refused(&out, "/dev/null");
    let kind = ns
        .command("stat")
        .args(["-c", "%F", "/dev/null"])
        .output()
        .expect("stat");
    assert_eq!(text(&kind.stdout).trim(), "character special file");

    // As root, a device node made in that private /dev (never on the host), which a rename
    // could replace: refused and untouched.
    if !ns.is_user_ns() {
        let made = ns
            .command("mknod")
            .args(["/dev/shmctl-test-null", "c", "1", "3"])
            .status()
            .expect("mknod");
        assert!(made.success());
        let out = ls_output(&ns, Path::new("/dev/shmctl-test-null"));
        refused(&out, "a character device");
        let kind = ns
            .command("stat")
            .args(["-c", "%F %t:%T", "/dev/shmctl-test-null"])
            .output()
            .expect("stat");
        assert_eq!(text(&kind.stdout).trim(), "character special file 1:3");
        let listed = ns.command("ls").args(["-a", "/dev"]).output().expect("ls");
        assert!(
            !text(&listed.stdout).contains(".tmp"),
            "no temporary file left in /dev: {}",
            text(&listed.stdout)
        );
    }
}
