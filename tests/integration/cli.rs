//! Bad input of each kind: the documented exit code and a message that helps.
use crate::util::*;

fn run(args: &[&str]) -> std::process::Output {
    std::process::Command::new(shmctl_bin())
        .args(args)
        .env("LC_ALL", "C")
        .output()
        .expect("run shmctl")
}

fn expect(args: &[&str], code: i32, message: &str) {
    let out = run(args);
    assert_exit(&out, code, args);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(message),
        "{args:?}: expected {message:?} in stderr:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn usage_errors_exit_2_with_the_accepted_forms() {
    expect(&["stat", "banana"], 2, "accepted forms");
    expect(&["rm", "0xZZ"], 2, "accepted forms");
    expect(&["rm", "ftok:/tmp"], 2, "accepted forms");
    expect(&["stat", "0x0"], 2, "IPC_PRIVATE");
    expect(&["rm", "key:0"], 2, "IPC_PRIVATE");
    expect(&["stat", "sem:x"], 2, "accepted forms");
    expect(&["rm", "pshm:a/b"], 2, "one path component");
    expect(&["ls", "--type", "shm,pipe"], 2, "unknown kind");
    expect(&["ls", "--kind", "shm,pipe"], 2, "unknown kind");
    // Refused before anything is listed, so safe outside a namespace.
    expect(&["gc", "--kind", "sem", "--yes"], 2, "needs --older-than");
    expect(&["create", "--size", "4X"], 2, "is not a size");
    expect(&["create", "--size", "4096", "--key", "0"], 2, "--private");
    expect(
        &["create", "--size", "4096", "--mode", "0999"],
        2,
        "not a permission mode",
    );
    expect(
        &["create", "--size", "4096", "--key", "0x1", "--private"],
        2,
        "cannot be used with",
    );
    expect(&["create"], 2, "--size");
    expect(&["ls", "--older-than", "soon"], 2, "is not a duration");
    expect(
        &["ls", "--columns", "KEY,BOGUS"],
        2,
        "unknown column `BOGUS`",
    );
    expect(&["ls", "--sort", "nope"], 2, "unknown column `nope`");
    expect(&["ls", "--user", "no-such-user-here"], 2, "no such user");
    expect(&["ls", "--format", "yaml"], 2, "invalid value");
    expect(&["key", "/tmp", "0"], 2, "out of range");
    expect(&["key", "/tmp", "AB"], 2, "one character");
    expect(&["rm"], 2, "SEG");
    expect(&["frobnicate"], 2, "unrecognized subcommand");
}

#[test]
fn missing_paths_exit_3() {
    expect(&["key", "/no/such/path", "1"], 3, "does not exist");
}

#[test]
fn errors_have_the_tool_prefix() {
    let out = run(&["key", "/no/such/path", "1"]);
    assert!(
        text(&out.stderr).starts_with("shmctl: error: "),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn help_and_version() {
    let out = run(&["--help"]);
    assert_success(&out, &["--help"]);
    let help = text(&out.stdout);
    for sub in ["ls", "stat", "create", "rm", "key", "limits", "Exit status"] {
        assert!(help.contains(sub), "{sub} in help");
    }
    let out = run(&["--version"]);
    assert_eq!(
        text(&out.stdout),
        format!("shmctl {}\n", env!("CARGO_PKG_VERSION"))
    );
}
