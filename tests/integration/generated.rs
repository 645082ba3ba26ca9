//! man/ and completions/ are generated from the command line and committed: regenerate
//! them and fail when they differ. `SHMCTL_UPDATE_GENERATED=1 cargo test` rewrites them.
use std::path::Path;
use std::process::Command;

use crate::util::*;

fn check(what: &str, committed: &str) {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join(committed);
    if std::env::var_os("SHMCTL_UPDATE_GENERATED").is_some() {
        std::fs::remove_dir_all(&committed).ok();
        assert_success(
            &Command::new(shmctl_bin())
                .args(["generate", what])
                .arg(&committed)
                .output()
                .expect("run"),
            &[what],
        );
        return;
    }
    let fresh = tempfile::tempdir().expect("tempdir");
    let out = Command::new(shmctl_bin())
        .args(["generate", what])
        .arg(fresh.path())
        .output()
        .expect("run");
    assert_success(&out, &["generate", what]);
    let mut names: Vec<String> = std::fs::read_dir(fresh.path())
        .expect("read")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut committed_names: Vec<String> = std::fs::read_dir(&committed)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (SHMCTL_UPDATE_GENERATED=1 cargo test writes it)",
                committed.display()
            )
        })
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    committed_names.sort();
    assert_eq!(
        names, committed_names,
        "{what}: other files than committed (SHMCTL_UPDATE_GENERATED=1 cargo test)"
    );
    for name in names {
        let new = std::fs::read(fresh.path().join(&name)).expect("fresh");
        let old = std::fs::read(committed.join(&name)).expect("committed");
        assert!(
            new == old,
            "{what}/{name} is stale: run SHMCTL_UPDATE_GENERATED=1 cargo test and commit"
        );
    }
}

#[test]
fn man_pages_are_current_and_clean() {
    if std::env::var_os("SHMCTL_TEST_BIN").is_some() {
        eprintln!("SKIPPED: the committed files are not beside this copy");
        return;
    }
    check("man", "man");
    // man(1) has nothing to complain about in any page.
    let Ok(pages) = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("man")) else {
        return;
    };
    if Command::new("man").arg("--version").output().is_err() {
        without_tool("man(1) is not installed (man-db): pages not checked with --warnings");
        return;
    }
    for page in pages {
        let page = page.expect("entry").path();
        let out = Command::new("man")
            .args(["--warnings", "-l"])
            .arg(&page)
            .env("MANWIDTH", "80")
            .output()
            .expect("man");
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{}: {}",
            page.display(),
            text(&out.stderr)
        );
    }
}

#[test]
fn completions_are_current() {
    if std::env::var_os("SHMCTL_TEST_BIN").is_some() {
        eprintln!("SKIPPED: the committed files are not beside this copy");
        return;
    }
    check("completions", "completions");
}

#[test]
fn every_subcommand_help_has_examples() {
    for sub in [
        "ls", "stat", "create", "attach", "dump", "rm", "gc", "schema", "key", "limits",
    ] {
        let out = Command::new(shmctl_bin())
            .args([sub, "--help"])
            .output()
            .expect("help");
        assert_success(&out, &[sub, "--help"]);
        let help = text(&out.stdout);
        assert!(
            help.contains("Examples:\n  shmctl "),
            "{sub} --help has no examples:\n{help}"
        );
    }
}

/// What a reader of the pages and a shell user are promised: every page has the global
/// options (the timer runs `gc --json`), no page points at one that does not exist, gc's page
/// explains the policy and its codes, the root page names shmctl(2); completion offers real
/// values, never the hidden `generate`; --color is where it acts.
#[test]
fn pages_and_completions_say_what_they_should() {
    if std::env::var_os("SHMCTL_TEST_BIN").is_some() {
        eprintln!("SKIPPED: the committed files are not beside this copy");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |rel: &str| std::fs::read_to_string(root.join(rel)).expect(rel);
    let main = read("man/shmctl.1");
    for page in std::fs::read_dir(root.join("man")).expect("man") {
        let path = page.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_string();
        let text = std::fs::read_to_string(&path).expect("page");
        if name != "shmctl.1" {
            for global in [
                "\\-\\-json",
                "\\-\\-quiet",
                "\\-\\-verbose",
                "\\-\\-ipc\\-ns",
            ] {
                assert!(text.contains(global), "{name} lacks {global}");
            }
            let sub = name.trim_start_matches("shmctl-").trim_end_matches(".1");
            assert!(
                main.contains(&format!("shmctl\\-{sub}(1)")),
                "shmctl.1 lacks {name}"
            );
        }
        assert_eq!(
            text.contains("\\-\\-color"),
            name == "shmctl-dump.1",
            "--color in {name}"
        );
    }
    assert!(
        !main.contains("shmctl\\-help"),
        "no shmctl-help(1) page exists"
    );
    assert!(
        main.contains("shmctl(2)"),
        "the system call of the same name"
    );
    let gc = read("man/shmctl-gc.1");
    for needed in [
        "ORPHAN POLICY",
        "REASON CODES",
        "EVIDENCE CODES",
        "creator_pid_reused",
        "marked_for_destruction",
        "holders_unknown",
        "never_received",
        "not_owner",
    ] {
        assert!(gc.contains(needed), "shmctl-gc.1 lacks {needed}");
    }
    for file in [
        "completions/shmctl.bash",
        "completions/_shmctl",
        "completions/shmctl.fish",
    ] {
        let text = read(file);
        assert!(
            !text.contains("generate"),
            "{file} offers the hidden generate"
        );
        for value in ["last-op", "pshm", "nattch"] {
            assert!(text.contains(value), "{file} does not complete {value}");
        }
    }
    let bash = read("completions/shmctl.bash");
    let sort = bash.find("--sort)").expect("--sort in bash");
    assert!(
        bash[sort..]
            .lines()
            .nth(1)
            .is_some_and(|l| l.contains("compgen -W \"key id")),
        "bash completes --sort with the columns"
    );
}
