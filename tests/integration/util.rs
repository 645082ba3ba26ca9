//! Runs the built binary inside a private IPC namespace, and real helper processes beside it.
//!
//! The namespace is held by `unshare --ipc sleep infinity` (with `--user --map-root-user`
//! when not root); every command enters it with `nsenter`. The multithreaded test process
//! itself never changes namespace, so tests neither see the host's segments nor each other's.
//!
//! [`Ns::with_mounts`] adds a private mount namespace whose /dev has its own /dev/shm (tmpfs)
//! and /dev/mqueue (the new IPC namespace's mqueue filesystem), for POSIX shared memory,
//! semaphores and message queues: the host's /dev/shm and /dev/mqueue are never touched.
use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The binary under test; `SHMCTL_TEST_BIN` overrides it when the test binary runs copied
/// elsewhere (CI runs the suite a second time as an ordinary user).
pub fn shmctl_bin() -> &'static str {
    static BIN: OnceLock<String> = OnceLock::new();
    BIN.get_or_init(|| {
        std::env::var("SHMCTL_TEST_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_shmctl").to_string())
    })
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and touches no memory.
    unsafe { libc::geteuid() == 0 }
}

/// Where the system forbids namespaces: say why and skip — unless CI demands that nothing
/// be skipped for that reason (`SHMCTL_TEST_REQUIRE_NS=1`).
pub fn skip(why: &str) {
    if std::env::var_os("SHMCTL_TEST_REQUIRE_NS").is_some() {
        panic!("SHMCTL_TEST_REQUIRE_NS is set but the test cannot run: {why}");
    }
    say_skipped(why);
}

/// One line on the terminal saying a test did not run, written past the test harness's
/// capture (which takes only `print!`/`eprint!`): visible in `cargo test`'s normal output.
pub fn say_skipped(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {why}");
}

/// A test (or part of one) that cannot run for want of an optional tool: one visible line,
/// or a failure where CI installs every tool and requires them (`SHMCTL_TEST_REQUIRE_TOOLS=1`).
pub fn without_tool(why: &str) {
    if std::env::var_os("SHMCTL_TEST_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
        panic!("SHMCTL_TEST_REQUIRE_TOOLS=1, but {why}");
    }
    say_skipped(why);
}

/// Whether `tool` is an executable on PATH.
pub fn on_path(tool: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            std::fs::metadata(dir.join(tool))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

/// A test that needs real root (a second uid, a sysctl): true, with a note, when the
/// namespace is a user namespace. CI runs as root, where these always run.
pub fn root_only(ns: &Ns, why: &str) -> bool {
    if ns.is_user_ns() {
        eprintln!("SKIPPED as an ordinary user: {why}");
    }
    ns.is_user_ns()
}

/// The C helper (tests/helpers/shm-helper.c, embedded so that the test binary can run from
/// a copy), compiled once per test run into the target's scratch directory, or into the
/// temporary directory when that is not writable (an ordinary user running CI's copy).
pub fn helper_path() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let name = format!("shm-helper-{}", std::process::id());
        let target = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let dir = [target.to_path_buf(), std::env::temp_dir()]
            .into_iter()
            .find(|dir| std::fs::write(dir.join(format!("{name}.c")), HELPER_SOURCE).is_ok())
            .expect("no writable directory for the test helper");
        let source = dir.join(format!("{name}.c"));
        let out = dir.join(&name);
        let status = Command::new("cc")
            .args(["-O2", "-Wall", "-o"])
            .arg(&out)
            .arg(&source)
            .args(["-pthread", "-lrt"])
            .status()
            .expect("a C compiler (cc) is needed to build the test helper");
        assert!(status.success(), "compiling the test helper failed");
        std::fs::remove_file(source).ok();
        out
    })
}

const HELPER_SOURCE: &str = include_str!("../helpers/shm-helper.c");

pub struct Ns {
    holder: Child,
    /// The commands' TMPDIR (mode 1777, like /tmp): what shmctl writes there (an ordinary
    /// user's lock directory) stays out of the host's /tmp.
    scratch: tempfile::TempDir,
    user_ns: bool,
    /// A process inside the namespaces, for nsenter: the holder itself, or with a private
    /// PID namespace the holder's child (pid 1 there).
    target: u32,
    pid_ns: bool,
}

/// The holder's setup with [`Ns::with_mounts`], run by `sh` in the new namespaces before it
/// becomes `sleep`. /dev itself is rebuilt on a tmpfs rather than creating /dev/mqueue in
/// it: /dev is usually the host's devtmpfs, where a mkdir (as root) would show on the host
/// even from a private mount namespace, and which a user namespace may not write at all.
/// The new /dev is staged on a tmpfs at /dev/shm, filled with bind mounts of the old /dev's
/// entries (symlinks copied), then moved over /dev; /dev/shm and /dev/mqueue get fresh
/// mounts. Bind mounts keep device nodes usable even in a user namespace, where a tmpfs
/// is nodev. `mount -n`: never write /run/mount/utab (the host's file; denied to a user
/// namespace, which makes mount fail after mounting).
const MOUNTS_SCRIPT: &str = r#"set -e
mount -n -t tmpfs -o mode=755 tmpfs /dev/shm
for old in /dev/* /dev/.[!.]*; do
    name=${old#/dev/}
    new=/dev/shm/$name
    case $name in shm|mqueue) continue ;; esac
    if [ -L "$old" ]; then
        ln -s "$(readlink "$old")" "$new"
    elif [ -d "$old" ]; then
        mkdir "$new"
        mount -n --rbind "$old" "$new" || rmdir "$new"
    elif [ -e "$old" ]; then
        : >"$new"
        mount -n --bind "$old" "$new" || rm "$new"
    fi
done
mkdir /dev/shm/shm /dev/shm/mqueue
mount -n --move /dev/shm /dev
mount -n -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -n -t mqueue mqueue /dev/mqueue
mount -n -t tmpfs -o mode=755 tmpfs /run
mkdir -m 1777 /run/lock
exec sleep infinity"#;

/// The holder's setup without [`Ns::with_mounts`]: only /run is private (a tmpfs), so that
/// the removal lock and journal (`/run/shmctl/`) are the namespace's own, never the host's.
const RUN_SCRIPT: &str = r#"set -e
mount -n -t tmpfs -o mode=755 tmpfs /run
mkdir -m 1777 /run/lock
exec sleep infinity"#;

fn ns_inode(pid: &str) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(format!("/proc/{pid}/ns/ipc"))
        .ok()
        .map(|m| m.ino())
}

impl Ns {
    /// A fresh IPC namespace, or None (after [`skip`]) where the system forbids it.
    pub fn new() -> Option<Ns> {
        Ns::start(false, false)
    }

    /// A fresh IPC namespace with its own PID namespace (and /proc), where pid numbers
    /// can be steered through /proc/sys/kernel/ns_last_pid.
    pub fn with_pid_namespace() -> Option<Ns> {
        Ns::start(true, false)
    }

    /// A fresh IPC namespace with a private mount namespace whose /dev/shm is a new tmpfs
    /// (mode 1777) and whose /dev/mqueue is the new IPC namespace's mqueue filesystem; the
    /// rest of /dev is the host's, bound (see [`MOUNTS_SCRIPT`]). Commands run with the
    /// mount namespace's root as their working directory: pass absolute paths.
    pub fn with_mounts() -> Option<Ns> {
        Ns::start(false, true)
    }

    /// [`Ns::with_mounts`] and [`Ns::with_pid_namespace`] together.
    pub fn with_mounts_and_pids() -> Option<Ns> {
        Ns::start(true, true)
    }

    fn start(pid_ns: bool, mount_ns: bool) -> Option<Ns> {
        let user_ns = !is_root();
        let mut cmd = Command::new("unshare");
        if user_ns {
            cmd.args(["--user", "--map-root-user"]);
        }
        cmd.arg("--ipc");
        if pid_ns {
            cmd.args(["--pid", "--fork", "--mount-proc"]);
        }
        // Always a private mount namespace: /run (the lock and journal) is its own tmpfs.
        cmd.args(["--mount", "--propagation", "private"]);
        let script = if mount_ns { MOUNTS_SCRIPT } else { RUN_SCRIPT };
        cmd.args(["--", "sh", "-c", script]);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut holder = match cmd.spawn() {
            Ok(child) => child,
            Err(e) => {
                skip(&format!("cannot run unshare: {e}"));
                return None;
            }
        };
        // unshare execs sleep once the namespace exists (with mounts, sh execs it once they
        // are done): wait for the link to change and for sleep.
        let ours = ns_inode("self");
        let pid = holder.id().to_string();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = holder.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = holder.stderr.take() {
                    std::io::Read::read_to_string(&mut e, &mut err).ok();
                }
                let what = if mount_ns {
                    "unshare --ipc --mount with /dev/shm and /dev/mqueue mounts"
                } else {
                    "unshare --ipc"
                };
                skip(&format!("{what} failed ({status}): {}", err.trim()));
                return None;
            }
            // With --fork the sleeper is unshare's child.
            let target = if pid_ns {
                std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
                    .unwrap_or_default()
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_string()
            } else {
                pid.clone()
            };
            let comm = std::fs::read_to_string(format!("/proc/{target}/comm")).unwrap_or_default();
            if comm.trim() == "sleep" && ns_inode(&target) != ours {
                let target = target.parse().expect("pid");
                let scratch = tempfile::tempdir().expect("a scratch directory");
                std::fs::set_permissions(
                    scratch.path(),
                    std::os::unix::fs::PermissionsExt::from_mode(0o1777),
                )
                .expect("chmod 1777");
                return Some(Ns {
                    scratch,
                    holder,
                    user_ns,
                    target,
                    pid_ns,
                });
            }
            assert!(Instant::now() < deadline, "namespace holder did not start");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// A process inside the namespaces (for `--ipc-ns`).
    pub fn pid(&self) -> u32 {
        self.target
    }

    pub fn is_user_ns(&self) -> bool {
        self.user_ns
    }

    /// A command that runs `program` inside the namespace, with a clean environment.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new("nsenter");
        cmd.arg("--target").arg(self.target.to_string());
        if self.user_ns {
            cmd.args(["--user", "--preserve-credentials"]);
        }
        if self.pid_ns {
            cmd.arg("--pid");
        }
        // Entering a mount namespace moves to its root: keep the test's directory.
        let cwd = std::env::current_dir().expect("current directory");
        cmd.arg("--mount").arg(format!("--wd={}", cwd.display()));
        cmd.arg("--ipc").arg("--").arg(program);
        cmd.env("TZ", "UTC")
            .env("LC_ALL", "C")
            .env("TMPDIR", self.scratch.path())
            .env_remove("XDG_RUNTIME_DIR")
            .env_remove("NO_COLOR")
            .env_remove("SHMCTL_COLOR");
        cmd
    }

    /// A command in the namespace's mount namespace (its private /run) but in the test's IPC
    /// and PID namespaces: shmctl run "from outside" (`--ipc-ns`). Root only.
    pub fn outside_command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new("nsenter");
        let cwd = std::env::current_dir().expect("current directory");
        cmd.arg("--target")
            .arg(self.target.to_string())
            .arg("--mount")
            .arg(format!("--wd={}", cwd.display()))
            .arg("--")
            .arg(program);
        cmd.env("TMPDIR", self.scratch.path())
            .env_remove("XDG_RUNTIME_DIR");
        cmd
    }

    pub fn shmctl(&self, args: &[&str]) -> Output {
        self.command(shmctl_bin())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run shmctl")
    }

    /// Runs shmctl as another user (root only: through setpriv).
    pub fn shmctl_as(&self, uid: u32, args: &[&str]) -> Output {
        let mut cmd = self.command("setpriv");
        cmd.arg(format!("--reuid={uid}"))
            .arg(format!("--regid={uid}"))
            .arg("--clear-groups")
            .arg("--")
            .arg(shmctl_bin());
        cmd.args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run setpriv shmctl")
    }

    /// Runs shmctl, expects exit 0, parses stdout as JSON.
    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.shmctl(args);
        assert_success(&out, args);
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", text(&out.stdout)))
    }

    /// The segments `ls --json` reports.
    pub fn segments(&self) -> Vec<Value> {
        self.json(&["ls", "--json"])["segments"]
            .as_array()
            .expect("segments list")
            .clone()
    }

    /// Runs the helper to completion; returns the ids it printed.
    pub fn run_helper(&self, args: &[&str]) -> Vec<i32> {
        ids(&self.run_helper_output(args))
    }

    /// Runs the helper to completion; returns what it printed.
    pub fn run_helper_output(&self, args: &[&str]) -> String {
        let out = self
            .command(helper_path())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run helper");
        let stdout = text(&out.stdout);
        assert!(
            out.status.success(),
            "helper {args:?} failed: {stdout}{}",
            text(&out.stderr)
        );
        stdout
    }

    /// Starts the helper with `hold` at the end: returns once it is ready.
    pub fn spawn_helper(&self, args: &[&str]) -> Helper {
        spawn_helper_from(self.command(helper_path()), args)
    }

    /// [`Ns::spawn_helper`] in this IPC namespace but outside its PID (and mount) namespace:
    /// with [`Ns::with_pid_namespace`], a process that shares the segments yet that no
    /// command run by [`Ns::command`] can see.
    pub fn spawn_helper_outside_pid_namespace(&self, args: &[&str]) -> Helper {
        let mut cmd = Command::new("nsenter");
        cmd.arg("--target").arg(self.target.to_string());
        if self.user_ns {
            cmd.args(["--user", "--preserve-credentials"]);
        }
        cmd.arg("--ipc").arg("--").arg(helper_path());
        spawn_helper_from(cmd, args)
    }

    /// A container of sorts inside the test's namespaces: the helper in an IPC namespace of
    /// its own (and, given a hostname, a UTS namespace with that name), as a container
    /// runtime would start it. Returns the helper and its pid in the test's PID namespace.
    pub fn spawn_container(&self, hostname: Option<&str>, args: &[&str]) -> (Helper, i32) {
        self.spawn_container_with(hostname, &[], args)
    }

    /// [`Ns::spawn_container`] with `wrapper` (a command and its arguments, such as
    /// `setpriv …`) run between the namespaces' set-up and the helper.
    pub fn spawn_container_with(
        &self,
        hostname: Option<&str>,
        wrapper: &[&str],
        args: &[&str],
    ) -> (Helper, i32) {
        let mut cmd = self.command("unshare");
        cmd.arg("--ipc");
        if hostname.is_some() {
            cmd.arg("--uts");
        }
        cmd.args(["--", "sh", "-c"]);
        match hostname {
            Some(name) => cmd
                .arg(r#""$1" sethostname "$2" && shift 2 && echo "pid=$$" && exec "$@""#)
                .arg("sh")
                .arg(helper_path())
                .arg(name),
            None => cmd.arg(r#"echo "pid=$$" && exec "$@""#).arg("sh"),
        };
        cmd.args(wrapper).arg(helper_path());
        let helper = spawn_helper_from(cmd, args);
        let pid = pids(&helper.lines.join("\n"))[0];
        (helper, pid)
    }

    /// The helper in the IPC namespace of `pid` (a process of [`Ns::spawn_container`]), and
    /// its pid in the test's PID namespace.
    pub fn spawn_beside(&self, pid: i32, args: &[&str]) -> (Helper, i32) {
        let mut cmd = self.command("nsenter");
        cmd.args(["--target", &pid.to_string(), "--ipc", "--", "sh", "-c"])
            .arg(r#"echo "pid=$$" && exec "$@""#)
            .arg("sh")
            .arg(helper_path());
        let helper = spawn_helper_from(cmd, args);
        let pid = pids(&helper.lines.join("\n"))[0];
        (helper, pid)
    }

    /// SIGKILL to a process by its pid inside the namespace (its PID namespace, if any: a
    /// [`Helper::pid`] there is nsenter's, outside); waits until it has gone or is a zombie.
    pub fn kill(&self, pid: i32) {
        let status = self
            .command("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill -KILL {pid}");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let out = self
                .command("cat")
                .arg(format!("/proc/{pid}/stat"))
                .output()
                .expect("cat");
            let stat = text(&out.stdout);
            if stat.is_empty() || stat.rsplit(')').next().is_some_and(|s| s.starts_with(" Z")) {
                return;
            }
            assert!(Instant::now() < deadline, "{pid} outlived SIGKILL");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Sets a sysctl of this IPC namespace (root only).
    pub fn sysctl(&self, name: &str, value: &str) {
        let path = format!("/proc/sys/{}", name.replace('.', "/"));
        let status = self
            .command("sh")
            .args(["-c", &format!("echo {value} > {path}")])
            .status()
            .expect("sh");
        assert!(status.success(), "setting {name}");
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        if self.pid_ns {
            // Killing a PID namespace's pid 1 kills every process in it.
            // SAFETY: kill has no memory effects; the target is our namespace's pid 1.
            unsafe { libc::kill(self.target as i32, libc::SIGKILL) };
        }
        self.holder.kill().ok();
        self.holder.wait().ok();
    }
}

/// Runs `helper` (a command for the helper binary) with `args` and `hold`: returns once it
/// printed "ready".
fn spawn_helper_from(mut helper: Command, args: &[&str]) -> Helper {
    let mut child = helper
        .args(args)
        .arg("hold")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn helper");
    let mut lines: Vec<String> = Vec::new();
    let reader = BufReader::new(child.stdout.take().expect("stdout"));
    for line in reader.lines() {
        let line = line.expect("read helper");
        if line == "ready" {
            break;
        }
        assert!(!line.starts_with("error"), "helper {args:?}: {line}");
        lines.push(line);
    }
    let ids = ids(&lines.join("\n"));
    Helper {
        pid: child.id() as i32,
        stdin: child.stdin.take(),
        child,
        ids,
        lines,
    }
}

/// A helper process holding segments (attached or not) until released or killed.
pub struct Helper {
    child: Child,
    stdin: Option<ChildStdin>,
    pub pid: i32,
    pub ids: Vec<i32>,
    /// Everything it printed before "ready" ("id=N", "pid=N", "waiting", …).
    pub lines: Vec<String>,
}

impl Helper {
    pub fn id(&self) -> i32 {
        self.ids[0]
    }

    /// SIGKILL: a crash, with no chance to detach or clean up.
    pub fn crash(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }

    /// Lets it exit normally (detaching on exit).
    pub fn release(mut self) {
        drop(self.stdin.take());
        self.child.wait().expect("wait");
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// The `pid=N` lines a helper printed.
pub fn pids(stdout: &str) -> Vec<i32> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("pid="))
        .map(|p| p.parse().expect("pid"))
        .collect()
}

fn ids(stdout: &str) -> Vec<i32> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("id="))
        .map(|id| id.parse().expect("id"))
        .collect()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A command's stdout as JSON (a failure says what it was, stderr too).
pub fn doc(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            text(&out.stdout),
            text(&out.stderr)
        )
    })
}

pub fn assert_success(out: &Output, what: &[&str]) {
    assert!(
        out.status.success(),
        "{what:?} exited {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
}

pub fn assert_exit(out: &Output, code: i32, what: &[&str]) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what:?}\nstdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// [`assert_exit`], and stderr says `needle`.
pub fn assert_fails_saying(out: &Output, code: i32, what: &[&str], needle: &str) {
    assert_exit(out, code, what);
    assert!(
        text(&out.stderr).contains(needle),
        "{what:?}: {}",
        text(&out.stderr)
    );
}

/// The run ended by `signal`: killed by it, or — through nsenter, which reports its child's
/// death by a signal — exit 128 + signal.
pub fn assert_ended_by(out: &Output, signal: i32, what: &str) {
    use std::os::unix::process::ExitStatusExt;
    assert!(
        out.status.signal() == Some(signal) || out.status.code() == Some(128 + signal),
        "{what}: {:?} {}",
        out.status,
        text(&out.stderr)
    );
}

/// The segment with this id in an `ls --json`/`stat --json` list.
pub fn by_id(segments: &[Value], id: i32) -> &Value {
    segments
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no segment {id} in {segments:?}"))
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// A file written into a temporary directory of its own, removed when this is dropped; `path`
/// is how shmctl is given it.
pub struct TempFile {
    _dir: tempfile::TempDir,
    pub path: String,
}

pub fn temp_file(name: &str, contents: &str) -> TempFile {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    std::fs::write(&path, contents).expect("write");
    let path = path.to_str().expect("utf-8").to_string();
    TempFile { _dir: dir, path }
}

/// splitmix64: the generators' seeded randomness.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// 0..n (0 for n = 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// lo..=hi
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// The pid of `launcher`'s only child (nsenter forks the command into the PID namespace).
pub fn child_of(launcher: u32) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let children =
            std::fs::read_to_string(format!("/proc/{launcher}/task/{launcher}/children"))
                .unwrap_or_default();
        if let Some(pid) = children.split_whitespace().next() {
            return pid.parse().expect("pid");
        }
        assert!(Instant::now() < deadline, "{launcher} started nothing");
        std::thread::sleep(Duration::from_micros(200));
    }
}
