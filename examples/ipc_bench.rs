//! ipc_bench: what moving a payload (1 MiB by default) from one process to another
//! really costs, per round, over five local transports:
//!
//! * `shm+sem`      a System V segment holding the payload and two process-shared POSIX
//!   semaphores; the sender copies the payload in and posts, the receiver copies it out,
//!   checks it and posts back;
//! * `pipe`         two `pipe(2)`s, data one way and a 1-byte ack the other;
//! * `unix-socket`  `UnixStream::pair()`;
//! * `tcp-loopback` a connection on 127.0.0.1 with `TCP_NODELAY`;
//! * `mqueue`       two POSIX message queues, the payload in chunks of `mq_msgsize`.
//!
//! One round is a full delivery: from the moment the sender starts handing over the
//! payload until it holds the receiver's acknowledgement, which the receiver sends only
//! after the whole payload sits in its own buffer and its stamps (the round number in the
//! first and last 8 bytes and in a word of every 4 KiB page) have been checked. Stale or
//! partial data fails the run, so no transport can win by not delivering.
//!
//! Each transport runs in a forked child (the benchmark is single-threaded, which is
//! checked before every fork). The segment is marked IPC_RMID and the queue names are
//! unlinked before the fork, so nothing is left behind even if a process is killed.
//!
//! ```text
//! cargo run --release --example ipc_bench
//! cargo run --release --example ipc_bench -- --size 64K --rounds 500
//! cargo run --release --example ipc_bench -- --json
//! ```

use std::ffi::{c_int, CString};
use std::fs::File;
use std::io::{self, Read, Write};
use std::marker::PhantomData;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde::Serialize;

const DEFAULT_SIZE: usize = 1 << 20;
const DEFAULT_ROUNDS: usize = 200;
const DEFAULT_WARMUP: usize = 20;
const MIN_SIZE: usize = 16;
const MAX_SIZE: usize = 1 << 30;
const MAX_ROUNDS: usize = 1_000_000;

/// The receiver's acknowledgement byte.
const ACK: u8 = 0x06;
/// Stamp spacing: one checked word per page of payload.
const PAGE: usize = 4096;
/// How often a sender blocked on a semaphore or queue checks that the receiver still lives.
const POLL: Duration = Duration::from_millis(500);

const USAGE: &str = "\
ipc_bench: time moving a payload between two processes over local IPC transports

USAGE:
    cargo run --release --example ipc_bench -- [OPTIONS]

OPTIONS:
    --size SIZE      payload per round: bytes, or with a K/M suffix (KiB/MiB)
                     [default: 1M; 16 bytes to 1024M]
    --rounds N       measured rounds per transport [default: 200]
    --warmup N       unmeasured warm-up rounds before them [default: 20]
    --cpus A,B       pin the sender to CPU A and the receiver to CPU B (A may equal B)
                     [default: unpinned, wherever the scheduler puts them]
    --json           print a JSON document instead of the table
    -h, --help       print this help

A round is a full delivery: the sender hands over the whole payload and waits for the
receiver, which copies it into its own buffer, checks it and acknowledges with one byte
(or a semaphore post for shared memory). Reported: median, p10 and p90 per round in
milliseconds, and throughput from the median in GB/s (10^9 bytes per second).

Transports: shm+sem (System V segment + process-shared POSIX semaphores), pipe,
unix-socket, tcp-loopback (127.0.0.1 only), mqueue (POSIX message queue).
";

fn main() -> ExitCode {
    let args = std::env::args_os()
        .skip(1)
        .map(|arg| {
            arg.into_string()
                .map_err(|arg| format!("argument {arg:?} is not valid UTF-8"))
        })
        .collect::<Result<Vec<String>, String>>();
    let opts = match args.and_then(|args| parse_args(args.into_iter())) {
        Ok(Command::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Run(opts)) => opts,
        Err(msg) => {
            eprintln!("ipc_bench: {msg}");
            eprintln!("Try 'cargo run --example ipc_bench -- --help' for usage.");
            return ExitCode::from(2);
        }
    };
    // Counted before pinning, which would narrow it to one.
    let cpus_online = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    if let Some((sender_cpu, receiver_cpu)) = opts.cpus {
        // Pin to B first only to find out now whether B is usable; the receivers re-pin.
        if let Err(msg) = pin_to(receiver_cpu).and_then(|()| pin_to(sender_cpu)) {
            eprintln!("ipc_bench: --cpus: {msg}");
            return ExitCode::from(2);
        }
    }
    let bench = Bench::new(&opts, cpus_online);

    let transports: [(&'static str, BenchFn); 5] = [
        ("shm+sem", bench_shm),
        ("pipe", bench_pipe),
        ("unix-socket", bench_unix),
        ("tcp-loopback", bench_tcp),
        ("mqueue", bench_mqueue),
    ];
    let mut rows = Vec::new();
    let mut failed = false;
    for (name, run) in transports {
        let outcome = match run(&bench) {
            Ok(measured) => {
                Outcome::Measured(Stats::of(measured.samples_ms, bench.size), measured.detail)
            }
            Err(Failure::Unavailable(why)) => Outcome::Error(format!("unavailable: {why}")),
            Err(Failure::Failed(why)) => {
                eprintln!("ipc_bench: {name}: {why}");
                failed = true;
                Outcome::Error(format!("failed: {why}"))
            }
        };
        rows.push((name, outcome));
    }

    let printed = if opts.json {
        print_json(&bench, &rows)
    } else {
        print_table(&bench, &rows)
    };
    if let Err(err) = printed {
        eprintln!("ipc_bench: writing the results: {err}");
        return ExitCode::FAILURE;
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

// ---------------------------------------------------------------------------------------
// Command line

struct Options {
    size: usize,
    rounds: usize,
    warmup: usize,
    /// (sender CPU, receiver CPU)
    cpus: Option<(usize, usize)>,
    json: bool,
}

enum Command {
    Run(Options),
    Help,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut opts = Options {
        size: DEFAULT_SIZE,
        rounds: DEFAULT_ROUNDS,
        warmup: DEFAULT_WARMUP,
        cpus: None,
        json: false,
    };
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_string(), Some(value.to_string()))
            }
            _ => (arg.clone(), None),
        };
        match flag.as_str() {
            "-h" | "--help" | "--json" if inline.is_some() => {
                return Err(format!("{flag} takes no value"));
            }
            "-h" | "--help" => return Ok(Command::Help),
            "--json" => opts.json = true,
            "--size" => opts.size = parse_size(&value_of(&flag, inline, &mut args)?)?,
            "--rounds" => {
                opts.rounds = parse_count(&flag, &value_of(&flag, inline, &mut args)?, 1)?;
            }
            "--warmup" => {
                opts.warmup = parse_count(&flag, &value_of(&flag, inline, &mut args)?, 0)?;
            }
            "--cpus" => opts.cpus = Some(parse_cpus(&value_of(&flag, inline, &mut args)?)?),
            _ if arg.starts_with('-') => return Err(format!("unknown option '{arg}'")),
            _ => return Err(format!("unexpected argument '{arg}'")),
        }
    }
    Ok(Command::Run(opts))
}

fn value_of(
    flag: &str,
    inline: Option<String>,
    rest: &mut impl Iterator<Item = String>,
) -> Result<String, String> {
    match inline.or_else(|| rest.next()) {
        Some(value) if !value.is_empty() => Ok(value),
        _ => Err(format!("{flag} needs a value")),
    }
}

/// Bytes, or a number with a K/KiB or M/MiB suffix (any case), in binary multiples.
fn parse_size(text: &str) -> Result<usize, String> {
    let bad = || format!("invalid size '{text}': expected bytes or a number with K or M");
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, suffix) = text.split_at(split);
    if digits.is_empty() {
        return Err(bad());
    }
    let unit: usize = match suffix.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        _ => return Err(bad()),
    };
    let size = digits
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .filter(|n| (MIN_SIZE..=MAX_SIZE).contains(n))
        .ok_or_else(|| {
            format!("invalid size '{text}': must be between {MIN_SIZE} bytes and 1024M")
        })?;
    Ok(size)
}

fn parse_count(flag: &str, text: &str, min: usize) -> Result<usize, String> {
    text.parse::<usize>()
        .ok()
        .filter(|n| (min..=MAX_ROUNDS).contains(n))
        .ok_or_else(|| {
            format!("invalid {flag} '{text}': expected a number from {min} to {MAX_ROUNDS}")
        })
}

fn parse_cpus(text: &str) -> Result<(usize, usize), String> {
    let cpu = |part: &str| {
        part.trim()
            .parse::<usize>()
            .ok()
            .filter(|&n| n < libc::CPU_SETSIZE as usize)
    };
    match text.split_once(',') {
        Some((a, b)) => cpu(a).zip(cpu(b)),
        None => None,
    }
    .ok_or_else(|| format!("invalid --cpus '{text}': expected two CPU numbers, e.g. 0,1"))
}

/// Pins the calling process (it has one thread) to one CPU.
fn pin_to(cpu: usize) -> Result<(), String> {
    // SAFETY: cpu_set_t is a plain bit array, for which all-zero bytes are the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `cpu` < CPU_SETSIZE (checked when parsing), so the bit lies inside `set`.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: `set` is a valid cpu_set_t of the size passed; pid 0 means this process.
    let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    if rc != 0 {
        return Err(os_error(&format!("pinning to CPU {cpu}")));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The payload, its stamps, and the round loop shared by every transport

struct Bench {
    size: usize,
    warmup: usize,
    rounds: usize,
    cpus: Option<(usize, usize)>,
    cpus_online: usize,
    /// (offset, salt): the 8 bytes at `offset` carry `round ^ salt`. The first and last
    /// 8 bytes carry the plain round number; one word per page carries it salted.
    marks: Vec<(usize, u64)>,
}

impl Bench {
    fn new(opts: &Options, cpus_online: usize) -> Bench {
        let size = opts.size;
        let mut marks = vec![(0, 0)];
        let mut page = 1;
        while page * PAGE + 8 <= size - 8 {
            marks.push((page * PAGE, (page as u64) << 32));
            page += 1;
        }
        marks.push((size - 8, 0));
        Bench {
            size,
            warmup: opts.warmup,
            rounds: opts.rounds,
            cpus: opts.cpus,
            cpus_online,
            marks,
        }
    }

    /// Rounds numbered 1..=total; round 0 never appears, so a zeroed buffer never passes.
    fn all_rounds(&self) -> std::ops::RangeInclusive<u64> {
        1..=(self.warmup + self.rounds) as u64
    }

    fn is_measured(&self, round: u64) -> bool {
        round > self.warmup as u64
    }

    fn payload(&self) -> Vec<u8> {
        (0..self.size).map(|i| (i % 251) as u8).collect()
    }

    fn stamp(&self, buf: &mut [u8], round: u64) {
        for &(offset, salt) in &self.marks {
            buf[offset..offset + 8].copy_from_slice(&(round ^ salt).to_le_bytes());
        }
    }

    /// The receiver's check: every stamp carries this round. Touches every page.
    fn check(&self, buf: &[u8], round: u64) -> Result<(), String> {
        for &(offset, salt) in &self.marks {
            let mut word = [0u8; 8];
            word.copy_from_slice(&buf[offset..offset + 8]);
            let found = u64::from_le_bytes(word);
            if found != round ^ salt {
                return Err(format!(
                    "round {round}: bytes {offset}..{} hold {found:#x}, expected {:#x}",
                    offset + 8,
                    round ^ salt
                ));
            }
        }
        std::hint::black_box(buf);
        Ok(())
    }
}

struct Measured {
    samples_ms: Vec<f64>,
    detail: String,
}

enum Failure {
    /// The transport does not exist here (e.g. no mqueue support): a row, not a failure.
    Unavailable(String),
    Failed(String),
}

impl From<String> for Failure {
    fn from(msg: String) -> Failure {
        Failure::Failed(msg)
    }
}

type BenchFn = fn(&Bench) -> Result<Measured, Failure>;

fn os_error(what: &str) -> String {
    format!("{what}: {}", io::Error::last_os_error())
}

fn io_context<T>(result: io::Result<T>, what: &str) -> Result<T, String> {
    result.map_err(|err| format!("{what}: {err}"))
}

fn last_errno() -> c_int {
    io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn ms_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}

// ---------------------------------------------------------------------------------------
// Processes

/// The forked receiver, killed and reaped on drop unless it already exited.
struct ChildProc {
    pid: libc::pid_t,
    status: Option<c_int>,
}

impl ChildProc {
    /// The exit status if the child has terminated, without blocking.
    fn poll(&mut self) -> Option<c_int> {
        if self.status.is_none() {
            let mut status = 0;
            // SAFETY: `status` is a valid out-pointer; `pid` is our unreaped child.
            let rc = unsafe { libc::waitpid(self.pid, &mut status, libc::WNOHANG) };
            if rc == self.pid {
                self.status = Some(status);
            }
        }
        self.status
    }

    fn ensure_alive(&mut self) -> Result<(), String> {
        match self.poll() {
            Some(_) => Err("the receiver exited mid-round".to_string()),
            None => Ok(()),
        }
    }

    fn wait(&mut self) -> Result<c_int, String> {
        while self.status.is_none() {
            let mut status = 0;
            // SAFETY: `status` is a valid out-pointer; `pid` is our unreaped child.
            let rc = unsafe { libc::waitpid(self.pid, &mut status, 0) };
            if rc == self.pid {
                self.status = Some(status);
            } else if last_errno() != libc::EINTR {
                return Err(os_error("waitpid"));
            }
        }
        Ok(self.status.unwrap_or(0))
    }
}

impl Drop for ChildProc {
    fn drop(&mut self) {
        if self.status.is_none() {
            // SAFETY: `pid` is our own child and has not been reaped, so it names no other
            // process.
            unsafe { libc::kill(self.pid, libc::SIGKILL) };
            let _ = self.wait();
        }
    }
}

fn describe_status(status: c_int) -> String {
    if libc::WIFEXITED(status) {
        format!("exit status {}", libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        format!("killed by signal {}", libc::WTERMSIG(status))
    } else {
        format!("wait status {status:#x}")
    }
}

fn succeeded(status: c_int) -> bool {
    libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0
}

/// fork() only copies the calling thread, so the child of a multi-threaded process may
/// only do async-signal-safe work. The child here runs ordinary Rust (it allocates), which
/// is sound only because this program never starts a second thread; check that.
fn ensure_single_threaded() -> Result<(), String> {
    match std::fs::read_dir("/proc/self/task") {
        Ok(tasks) => match tasks.count() {
            1 => Ok(()),
            n => Err(format!(
                "the process has {n} threads; the benchmark forks and must be single-threaded"
            )),
        },
        Err(_) => Ok(()),
    }
}

/// Forks: the child runs `receiver` and exits; the parent runs `sender`, then reaps the
/// child. Each side drops the other's closure (and the descriptors it owns) first, so a
/// dead peer shows up as EOF or EPIPE.
fn fork_run<T>(
    name: &str,
    bench: &Bench,
    receiver: impl FnOnce() -> Result<(), String>,
    sender: impl FnOnce(&mut ChildProc) -> Result<T, String>,
) -> Result<T, String> {
    ensure_single_threaded()?;
    let _ = io::stdout().flush();
    let _ = io::stderr().flush();
    let parent = std::process::id();
    // SAFETY: the process is single-threaded (checked above), so the child is a complete
    // copy in which ordinary Rust code, allocation included, is sound. The child leaves
    // through _exit below and never returns into the caller.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(os_error("fork"));
    }
    if pid == 0 {
        drop(sender);
        // SAFETY: PR_SET_PDEATHSIG with a valid signal number only sets a process
        // attribute: if the benchmark dies, the receiver dies with it instead of blocking.
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) };
        let code = if std::os::unix::process::parent_id() != parent {
            1 // the parent died before PR_SET_PDEATHSIG took effect
        } else {
            let pinned = match bench.cpus {
                Some((_, cpu)) => pin_to(cpu),
                None => Ok(()),
            };
            match panic::catch_unwind(AssertUnwindSafe(|| pinned.and_then(|()| receiver()))) {
                Ok(Ok(())) => 0,
                Ok(Err(msg)) => {
                    eprintln!("ipc_bench: {name} receiver: {msg}");
                    1
                }
                Err(_) => 101,
            }
        };
        let _ = io::stderr().flush();
        // SAFETY: _exit ends the child at once, without running destructors or atexit
        // handlers that belong to the parent's resources (segment, queue names).
        unsafe { libc::_exit(code) }
    }
    drop(receiver);
    let mut child = ChildProc { pid, status: None };
    match sender(&mut child) {
        Ok(value) => {
            let status = child.wait()?;
            if succeeded(status) {
                Ok(value)
            } else {
                Err(format!(
                    "the receiver ended with {}",
                    describe_status(status)
                ))
            }
        }
        Err(msg) => {
            // Give the receiver a moment to exit on its own: its status explains more.
            let deadline = Instant::now() + Duration::from_secs(1);
            while child.poll().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            match child.status {
                Some(status) => Err(format!("{msg} (receiver: {})", describe_status(status))),
                None => Err(msg), // dropping `child` kills it
            }
        }
    }
}

/// An absolute CLOCK_REALTIME deadline `POLL` from now, for sem_timedwait and mq_timed*.
fn poll_deadline() -> libc::timespec {
    // SAFETY: timespec is plain integers, for which all-zero bytes are a valid value.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: `ts` is a valid out-pointer and CLOCK_REALTIME always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
    ts.tv_sec += POLL.as_secs() as libc::time_t;
    ts.tv_nsec += POLL.subsec_nanos() as libc::c_long;
    if ts.tv_nsec >= 1_000_000_000 {
        ts.tv_sec += 1;
        ts.tv_nsec -= 1_000_000_000;
    }
    ts
}

// ---------------------------------------------------------------------------------------
// 1. System V shared memory + process-shared POSIX semaphores

/// Segment layout: the two semaphores on separate cache lines, the payload page-aligned.
const SEM_FULL_OFFSET: usize = 0;
const SEM_ACK_OFFSET: usize = 64;
const PAYLOAD_OFFSET: usize = PAGE;
const _: () = assert!(std::mem::size_of::<libc::sem_t>() <= SEM_ACK_OFFSET - SEM_FULL_OFFSET);
const _: () = assert!(SEM_ACK_OFFSET + std::mem::size_of::<libc::sem_t>() <= PAYLOAD_OFFSET);

/// An attached IPC_PRIVATE segment, already marked IPC_RMID: it lives while attached (here
/// and, after fork, in the child) and the kernel removes it at the last detach, however
/// the processes end. Drop detaches.
struct ShmSegment {
    addr: *mut u8,
    len: usize,
}

impl ShmSegment {
    fn create(len: usize) -> Result<ShmSegment, String> {
        // SAFETY: shmget takes only scalar arguments.
        let id = unsafe { libc::shmget(libc::IPC_PRIVATE, len, libc::IPC_CREAT | 0o600) };
        if id < 0 {
            return Err(os_error(&format!("shmget({len} bytes)")));
        }
        // SAFETY: `id` is the segment just created; a null address lets the kernel choose
        // where to map it.
        let addr = unsafe { libc::shmat(id, std::ptr::null(), 0) };
        let attach_error = (addr as isize == -1).then(|| os_error("shmat"));
        // Remove it now, attached or not: "when done" that no error path can skip.
        // SAFETY: IPC_RMID ignores the buffer argument, so null is fine.
        let rc = unsafe { libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()) };
        let remove_error = (rc != 0).then(|| os_error("shmctl(IPC_RMID)"));
        if let Some(err) = attach_error {
            return Err(err);
        }
        let segment = ShmSegment {
            addr: addr.cast::<u8>(),
            len,
        };
        match remove_error {
            Some(err) => Err(err), // dropping `segment` detaches it
            None => Ok(segment),
        }
    }

    fn at(&self, offset: usize) -> *mut u8 {
        assert!(offset < self.len, "offset {offset} outside the segment");
        self.addr.wrapping_add(offset)
    }
}

impl Drop for ShmSegment {
    fn drop(&mut self) {
        // SAFETY: `addr` came from a successful shmat and is detached only here.
        unsafe { libc::shmdt(self.addr.cast::<libc::c_void>()) };
    }
}

/// The two semaphores inside the segment; destroyed on drop (in the parent, after the
/// child has been reaped), which must happen before the segment is detached.
struct SemPair<'seg> {
    full: *mut libc::sem_t,
    ack: *mut libc::sem_t,
    _segment: PhantomData<&'seg ShmSegment>,
}

impl<'seg> SemPair<'seg> {
    fn init(segment: &'seg ShmSegment) -> Result<SemPair<'seg>, String> {
        let full = segment.at(SEM_FULL_OFFSET).cast::<libc::sem_t>();
        let ack = segment.at(SEM_ACK_OFFSET).cast::<libc::sem_t>();
        // SAFETY: `full` points into the attached segment, is page-aligned and has room
        // for a sem_t (checked at compile time); pshared = 1 because two processes use it.
        if unsafe { libc::sem_init(full, 1, 0) } != 0 {
            return Err(os_error("sem_init"));
        }
        // SAFETY: as above, 64 bytes further on, still inside the header page.
        if unsafe { libc::sem_init(ack, 1, 0) } != 0 {
            let err = os_error("sem_init");
            // SAFETY: `full` was initialised just above and nobody waits on it.
            unsafe { libc::sem_destroy(full) };
            return Err(err);
        }
        Ok(SemPair {
            full,
            ack,
            _segment: PhantomData,
        })
    }
}

impl Drop for SemPair<'_> {
    fn drop(&mut self) {
        // SAFETY: initialised by `init`; the child that shared it has been reaped by now
        // (fork_run returns only after that), so nobody waits on it.
        unsafe { libc::sem_destroy(self.full) };
        // SAFETY: as above.
        unsafe { libc::sem_destroy(self.ack) };
    }
}

fn sem_post(sem: *mut libc::sem_t) -> Result<(), String> {
    // SAFETY: `sem` is an initialised semaphore in the attached segment.
    if unsafe { libc::sem_post(sem) } != 0 {
        return Err(os_error("sem_post"));
    }
    Ok(())
}

/// The receiver's wait: it needs no timeout, PR_SET_PDEATHSIG ends it if the sender dies.
fn sem_wait(sem: *mut libc::sem_t) -> Result<(), String> {
    loop {
        // SAFETY: `sem` is an initialised semaphore in the attached segment.
        if unsafe { libc::sem_wait(sem) } == 0 {
            return Ok(());
        }
        if last_errno() != libc::EINTR {
            return Err(os_error("sem_wait"));
        }
    }
}

/// The sender's wait: a semaphore never reports that its peer died, so wake up now and
/// then and check.
fn sem_wait_watching(sem: *mut libc::sem_t, child: &mut ChildProc) -> Result<(), String> {
    loop {
        let deadline = poll_deadline();
        // SAFETY: `sem` is an initialised semaphore in the attached segment and
        // `deadline` a valid timespec.
        if unsafe { libc::sem_timedwait(sem, &deadline) } == 0 {
            return Ok(());
        }
        match last_errno() {
            libc::EINTR => {}
            libc::ETIMEDOUT => child.ensure_alive()?,
            _ => return Err(os_error("sem_timedwait")),
        }
    }
}

fn bench_shm(bench: &Bench) -> Result<Measured, Failure> {
    let size = bench.size;
    let segment = ShmSegment::create(PAYLOAD_OFFSET + size)?;
    let sems = SemPair::init(&segment)?;
    let shared = segment.at(PAYLOAD_OFFSET);
    let mut payload = bench.payload();

    let samples_ms = fork_run(
        "shm+sem",
        bench,
        || {
            let mut local = vec![0u8; size];
            for round in bench.all_rounds() {
                sem_wait(sems.full)?;
                // SAFETY: `shared` has `size` bytes inside the segment (inherited across
                // fork), `local` has `size` bytes, they do not overlap, and the sender does
                // not touch the payload until we post `ack`.
                unsafe { std::ptr::copy_nonoverlapping(shared, local.as_mut_ptr(), size) };
                bench.check(&local, round)?;
                sem_post(sems.ack)?;
            }
            Ok(())
        },
        |child| {
            let mut samples = Vec::with_capacity(bench.rounds);
            for round in bench.all_rounds() {
                bench.stamp(&mut payload, round);
                let start = Instant::now();
                // SAFETY: as for the receiver; the receiver reads the payload only between
                // our post of `full` and its post of `ack`.
                unsafe { std::ptr::copy_nonoverlapping(payload.as_ptr(), shared, size) };
                sem_post(sems.full)?;
                sem_wait_watching(sems.ack, child)?;
                if bench.is_measured(round) {
                    samples.push(ms_since(start));
                }
            }
            Ok(samples)
        },
    )?;
    drop(sems);
    Ok(Measured {
        samples_ms,
        detail: format!(
            "one IPC_PRIVATE segment of {} bytes (2 sem_t + payload), a copy in and a copy out",
            PAYLOAD_OFFSET + size
        ),
    })
}

// ---------------------------------------------------------------------------------------
// 2.-4. Byte streams: pipe, Unix socket, TCP on loopback

/// Sends each round's payload with `write_all` and waits for the 1-byte ack.
fn stream_sender(
    bench: &Bench,
    mut data: impl Write,
    mut acks: impl Read,
) -> Result<Vec<f64>, String> {
    let mut payload = bench.payload();
    let mut samples = Vec::with_capacity(bench.rounds);
    for round in bench.all_rounds() {
        bench.stamp(&mut payload, round);
        let start = Instant::now();
        io_context(data.write_all(&payload), "sending the payload")?;
        let mut ack = [0u8; 1];
        io_context(acks.read_exact(&mut ack), "waiting for the ack")?;
        let elapsed = ms_since(start);
        if ack[0] != ACK {
            return Err(format!("round {round}: ack byte {:#04x}", ack[0]));
        }
        if bench.is_measured(round) {
            samples.push(elapsed);
        }
    }
    Ok(samples)
}

/// Receives each round's payload with `read_exact` into its own buffer, checks, acks.
fn stream_receiver(bench: &Bench, mut data: impl Read, mut acks: impl Write) -> Result<(), String> {
    let mut local = vec![0u8; bench.size];
    for round in bench.all_rounds() {
        io_context(data.read_exact(&mut local), "receiving the payload")?;
        bench.check(&local, round)?;
        io_context(acks.write_all(&[ACK]), "sending the ack")?;
    }
    Ok(())
}

fn pipe() -> Result<(File, File), String> {
    let mut fds: [c_int; 2] = [-1, -1];
    // SAFETY: `fds` is an array of two c_ints for pipe() to fill.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(os_error("pipe"));
    }
    // SAFETY: pipe() succeeded, so the descriptor is open and owned by nobody else.
    let read = unsafe { OwnedFd::from_raw_fd(fds[0]) };
    // SAFETY: as above.
    let write = unsafe { OwnedFd::from_raw_fd(fds[1]) };
    Ok((File::from(read), File::from(write)))
}

fn bench_pipe(bench: &Bench) -> Result<Measured, Failure> {
    let (data_rx, data_tx) = pipe()?;
    let (ack_rx, ack_tx) = pipe()?;
    // SAFETY: F_GETPIPE_SZ only reads the capacity of an open pipe.
    let capacity = unsafe { libc::fcntl(data_tx.as_raw_fd(), libc::F_GETPIPE_SZ) };
    let samples_ms = fork_run(
        "pipe",
        bench,
        move || stream_receiver(bench, data_rx, ack_tx),
        move |_| stream_sender(bench, data_tx, ack_rx),
    )?;
    Ok(Measured {
        samples_ms,
        detail: format!("two pipe(2)s, pipe buffer {capacity} bytes (the default)"),
    })
}

fn bench_unix(bench: &Bench) -> Result<Measured, Failure> {
    let (sender_end, receiver_end) = io_context(UnixStream::pair(), "socketpair")?;
    let samples_ms = fork_run(
        "unix-socket",
        bench,
        move || stream_receiver(bench, &receiver_end, &receiver_end),
        move |_| stream_sender(bench, &sender_end, &sender_end),
    )?;
    Ok(Measured {
        samples_ms,
        detail: "UnixStream::pair(), AF_UNIX SOCK_STREAM, default buffers".to_string(),
    })
}

fn bench_tcp(bench: &Bench) -> Result<Measured, Failure> {
    // Loopback only: the listener never accepts anything from another address.
    let listener = io_context(
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)),
        "binding 127.0.0.1:0",
    )?;
    let addr = io_context(listener.local_addr(), "local_addr")?;
    let sender_end = io_context(TcpStream::connect(addr), "connecting over loopback")?;
    let (receiver_end, peer) = io_context(listener.accept(), "accepting over loopback")?;
    drop(listener);
    if peer != io_context(sender_end.local_addr(), "local_addr")? {
        return Err(Failure::Failed(format!("unexpected peer {peer}")));
    }
    io_context(sender_end.set_nodelay(true), "TCP_NODELAY")?;
    io_context(receiver_end.set_nodelay(true), "TCP_NODELAY")?;
    let samples_ms = fork_run(
        "tcp-loopback",
        bench,
        move || stream_receiver(bench, &receiver_end, &receiver_end),
        move |_| stream_sender(bench, &sender_end, &sender_end),
    )?;
    Ok(Measured {
        samples_ms,
        detail: format!("{addr}, TCP_NODELAY on both ends, default buffers"),
    })
}

// ---------------------------------------------------------------------------------------
// 5. POSIX message queues

/// An open queue. Its name is unlinked as soon as both queues exist (the descriptors stay
/// valid and are inherited by the child), and at the latest on drop.
struct MessageQueue {
    fd: libc::mqd_t,
    name: CString,
    linked: bool,
}

impl MessageQueue {
    fn create(name: String, depth: usize, msgsize: usize) -> Result<MessageQueue, Failure> {
        let name = CString::new(name).map_err(|err| Failure::Failed(err.to_string()))?;
        // SAFETY: mq_attr is plain integers (and padding), for which zero bytes are valid.
        let mut attr: libc::mq_attr = unsafe { std::mem::zeroed() };
        attr.mq_maxmsg = depth as libc::c_long;
        attr.mq_msgsize = msgsize as libc::c_long;
        // SAFETY: `name` is NUL-terminated; with O_CREAT the variadic arguments are the
        // mode and a pointer to a valid mq_attr, which mq_open only reads.
        let fd = unsafe {
            libc::mq_open(
                name.as_ptr(),
                libc::O_RDWR | libc::O_CREAT | libc::O_EXCL,
                0o600 as libc::mode_t,
                &raw mut attr,
            )
        };
        if fd == -1 {
            let errno = last_errno();
            let err = os_error(&format!("mq_open({})", name.to_string_lossy()));
            return Err(match errno {
                libc::ENOSYS | libc::EACCES | libc::EPERM => Failure::Unavailable(err),
                _ => Failure::Failed(err),
            });
        }
        Ok(MessageQueue {
            fd,
            name,
            linked: true,
        })
    }

    fn unlink(&mut self) -> Result<(), String> {
        if self.linked {
            self.linked = false;
            // SAFETY: `name` is NUL-terminated.
            if unsafe { libc::mq_unlink(self.name.as_ptr()) } != 0 {
                return Err(os_error("mq_unlink"));
            }
        }
        Ok(())
    }

    /// Blocking send, for the receiver (PR_SET_PDEATHSIG covers a dead sender).
    fn send(&self, msg: &[u8]) -> Result<(), String> {
        loop {
            // SAFETY: `msg` is valid for reads of its length; `fd` is an open queue.
            let rc = unsafe { libc::mq_send(self.fd, msg.as_ptr().cast(), msg.len(), 0) };
            if rc == 0 {
                return Ok(());
            }
            if last_errno() != libc::EINTR {
                return Err(os_error("mq_send"));
            }
        }
    }

    /// Blocking receive into `buf` (at least mq_msgsize long); returns the message length.
    fn receive(&self, buf: &mut [u8]) -> Result<usize, String> {
        loop {
            // SAFETY: `buf` is valid for writes of its length; `fd` is an open queue.
            let n = unsafe {
                libc::mq_receive(
                    self.fd,
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    std::ptr::null_mut(),
                )
            };
            if n >= 0 {
                return Ok(n as usize);
            }
            if last_errno() != libc::EINTR {
                return Err(os_error("mq_receive"));
            }
        }
    }

    /// The sender's send: wakes up now and then to check that the receiver lives.
    fn send_watching(&self, msg: &[u8], child: &mut ChildProc) -> Result<(), String> {
        loop {
            let deadline = poll_deadline();
            // SAFETY: `msg` is valid for reads of its length, `fd` is an open queue and
            // `deadline` a valid timespec.
            let rc = unsafe {
                libc::mq_timedsend(self.fd, msg.as_ptr().cast(), msg.len(), 0, &deadline)
            };
            if rc == 0 {
                return Ok(());
            }
            match last_errno() {
                libc::EINTR => {}
                libc::ETIMEDOUT => child.ensure_alive()?,
                _ => return Err(os_error("mq_timedsend")),
            }
        }
    }

    fn receive_watching(&self, buf: &mut [u8], child: &mut ChildProc) -> Result<usize, String> {
        loop {
            let deadline = poll_deadline();
            // SAFETY: `buf` is valid for writes of its length, `fd` is an open queue and
            // `deadline` a valid timespec.
            let n = unsafe {
                libc::mq_timedreceive(
                    self.fd,
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    std::ptr::null_mut(),
                    &deadline,
                )
            };
            if n >= 0 {
                return Ok(n as usize);
            }
            match last_errno() {
                libc::EINTR => {}
                libc::ETIMEDOUT => child.ensure_alive()?,
                _ => return Err(os_error("mq_timedreceive")),
            }
        }
    }
}

impl Drop for MessageQueue {
    fn drop(&mut self) {
        let _ = self.unlink();
        // SAFETY: `fd` is an open queue descriptor, closed only here.
        unsafe { libc::mq_close(self.fd) };
    }
}

fn read_proc_number(path: &str) -> Option<usize> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Message size and queue depth within the system limits: /proc/sys/fs/mqueue (what an
/// unprivileged process may ask for) and RLIMIT_MSGQUEUE (bytes per user for all queues).
fn mqueue_geometry(size: usize) -> (usize, usize) {
    let msgsize_max = read_proc_number("/proc/sys/fs/mqueue/msgsize_max").unwrap_or(8192);
    let msg_max = read_proc_number("/proc/sys/fs/mqueue/msg_max").unwrap_or(10);
    let msgsize = msgsize_max.clamp(1, size);
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid out-pointer.
    let budget = if unsafe { libc::getrlimit(libc::RLIMIT_MSGQUEUE, &mut limit) } == 0
        && limit.rlim_cur != libc::RLIM_INFINITY
    {
        // The kernel charges about msgsize + 64 bytes per message slot; keep a margin
        // for the ack queue and for queues others may own.
        (limit.rlim_cur as usize / 2) / (msgsize + 128)
    } else {
        usize::MAX
    };
    (msgsize, msg_max.min(budget).max(1))
}

fn bench_mqueue(bench: &Bench) -> Result<Measured, Failure> {
    let size = bench.size;
    let (chunk, depth) = mqueue_geometry(size);
    let pid = std::process::id();
    let mut data = MessageQueue::create(format!("/shmctl-bench-{pid}-data"), depth, chunk)?;
    let mut acks = MessageQueue::create(format!("/shmctl-bench-{pid}-ack"), 1, 1)?;
    data.unlink()?;
    acks.unlink()?;

    let mut payload = bench.payload();
    let samples_ms = fork_run(
        "mqueue",
        bench,
        || {
            let mut local = vec![0u8; size];
            let mut tail = vec![0u8; chunk];
            for round in bench.all_rounds() {
                let mut offset = 0;
                while offset < size {
                    let want = chunk.min(size - offset);
                    let got = if want == chunk {
                        data.receive(&mut local[offset..offset + chunk])?
                    } else {
                        // mq_receive wants a buffer of at least mq_msgsize bytes.
                        let got = data.receive(&mut tail)?;
                        let take = got.min(want);
                        local[offset..offset + take].copy_from_slice(&tail[..take]);
                        got
                    };
                    if got != want {
                        return Err(format!(
                            "round {round}: message of {got} bytes at offset {offset}, expected {want}"
                        ));
                    }
                    offset += got;
                }
                bench.check(&local, round)?;
                acks.send(&[ACK])?;
            }
            Ok(())
        },
        |child| {
            let mut samples = Vec::with_capacity(bench.rounds);
            let mut ack = [0u8; 1];
            for round in bench.all_rounds() {
                bench.stamp(&mut payload, round);
                let start = Instant::now();
                for piece in payload.chunks(chunk) {
                    data.send_watching(piece, child)?;
                }
                let got = acks.receive_watching(&mut ack, child)?;
                let elapsed = ms_since(start);
                if got != 1 || ack[0] != ACK {
                    return Err(format!("round {round}: bad ack"));
                }
                if bench.is_measured(round) {
                    samples.push(elapsed);
                }
            }
            Ok(samples)
        },
    )?;
    Ok(Measured {
        samples_ms,
        detail: format!(
            "{} messages of up to {chunk} bytes per round, queue depth {depth}, ack on a second queue",
            size.div_ceil(chunk)
        ),
    })
}

// ---------------------------------------------------------------------------------------
// Results

struct Stats {
    median_ms: f64,
    p10_ms: f64,
    p90_ms: f64,
    gbps: f64,
}

impl Stats {
    fn of(mut samples_ms: Vec<f64>, size: usize) -> Stats {
        samples_ms.sort_by(f64::total_cmp);
        let median_ms = percentile(&samples_ms, 0.5);
        Stats {
            median_ms,
            p10_ms: percentile(&samples_ms, 0.1),
            p90_ms: percentile(&samples_ms, 0.9),
            gbps: size as f64 / (median_ms / 1e3) / 1e9,
        }
    }
}

/// Linear interpolation between closest ranks, over sorted samples.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = p * (sorted.len() - 1) as f64;
    let low = rank.floor() as usize;
    let high = rank.ceil() as usize;
    sorted[low] + (sorted[high] - sorted[low]) * (rank - low as f64)
}

enum Outcome {
    Measured(Stats, String),
    Error(String),
}

fn human_size(size: usize) -> String {
    if size % (1 << 20) == 0 {
        format!("{} MiB ({size} bytes)", size >> 20)
    } else if size % (1 << 10) == 0 {
        format!("{} KiB ({size} bytes)", size >> 10)
    } else {
        format!("{size} bytes")
    }
}

fn print_table(bench: &Bench, rows: &[(&str, Outcome)]) -> io::Result<()> {
    let cpus = bench.cpus_online;
    let headers = ["transport", "median ms", "p10 ms", "p90 ms", "GB/s"];
    let cells: Vec<Option<[String; 5]>> = rows
        .iter()
        .map(|(name, outcome)| match outcome {
            Outcome::Measured(s, _) => Some([
                name.to_string(),
                format!("{:.3}", s.median_ms),
                format!("{:.3}", s.p10_ms),
                format!("{:.3}", s.p90_ms),
                format!("{:.2}", s.gbps),
            ]),
            Outcome::Error(_) => None,
        })
        .collect();
    let mut widths = headers.map(str::len);
    for row in cells.iter().flatten() {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    for (name, _) in rows {
        widths[0] = widths[0].max(name.len());
    }

    let mut out = io::stdout().lock();
    let placement = match bench.cpus {
        Some((a, b)) => format!("sender on CPU {a}, receiver on CPU {b}"),
        None => "unpinned".to_string(),
    };
    writeln!(
        out,
        "{} per round, {} rounds after {} warm-up, {cpus} CPUs, {placement}",
        human_size(bench.size),
        bench.rounds,
        bench.warmup
    )?;
    writeln!(
        out,
        "round = whole payload delivered into the receiver's buffer, checked, 1-byte ack back"
    )?;
    writeln!(out)?;
    let line = |cols: [&str; 5]| {
        format!(
            "{:<w0$}  {:>w1$}  {:>w2$}  {:>w3$}  {:>w4$}",
            cols[0],
            cols[1],
            cols[2],
            cols[3],
            cols[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
            w4 = widths[4],
        )
    };
    writeln!(out, "{}", line(headers))?;
    for ((name, outcome), row) in rows.iter().zip(&cells) {
        match (outcome, row) {
            (_, Some(row)) => writeln!(out, "{}", line(row.each_ref().map(String::as_str)))?,
            (Outcome::Error(msg), None) => {
                writeln!(out, "{:<w$}  {msg}", name, w = widths[0])?;
            }
            (Outcome::Measured(..), None) => {}
        }
    }
    writeln!(out)?;
    for (name, outcome) in rows {
        if let Outcome::Measured(_, detail) = outcome {
            writeln!(out, "{name}: {detail}")?;
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct JsonReport {
    schema_version: u32,
    size: usize,
    rounds: usize,
    warmup_rounds: usize,
    /// [sender CPU, receiver CPU], or null when unpinned
    cpus: Option<[usize; 2]>,
    results: Vec<JsonRow>,
}

#[derive(Serialize)]
struct JsonRow {
    transport: String,
    median_ms: Option<f64>,
    p10_ms: Option<f64>,
    p90_ms: Option<f64>,
    gbps: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

/// Nanosecond resolution is all a millisecond figure can honestly claim.
fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

fn print_json(bench: &Bench, rows: &[(&str, Outcome)]) -> io::Result<()> {
    let results = rows
        .iter()
        .map(|(name, outcome)| match outcome {
            Outcome::Measured(s, detail) => JsonRow {
                transport: name.to_string(),
                median_ms: Some(round_to(s.median_ms, 6)),
                p10_ms: Some(round_to(s.p10_ms, 6)),
                p90_ms: Some(round_to(s.p90_ms, 6)),
                gbps: Some(round_to(s.gbps, 4)),
                error: None,
                detail: Some(detail.clone()),
            },
            Outcome::Error(msg) => JsonRow {
                transport: name.to_string(),
                median_ms: None,
                p10_ms: None,
                p90_ms: None,
                gbps: None,
                error: Some(msg.clone()),
                detail: None,
            },
        })
        .collect();
    let report = JsonReport {
        schema_version: 1,
        size: bench.size,
        rounds: bench.rounds,
        warmup_rounds: bench.warmup,
        cpus: bench.cpus.map(|(a, b)| [a, b]),
        results,
    };
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &report).map_err(io::Error::other)?;
    writeln!(out)
}
