//! The reader half of the classic System V shared-memory pair (the writer is
//! examples/writer.rs; the layout both use is examples/shared_data.h).
//!
//! ```sh
//! cargo run --example writer -- --messages 5            # terminal 1
//! cargo run --example reader -- --messages 5            # terminal 2 (either may start first)
//! ```
//!
//! The reader finds the writer's segment for `ftok(PATH, 65)` (waiting up to 10 s for it to
//! appear and be set up), attaches, and for each message waits on `filled`, prints the
//! message on a line of its own, clears `ready` and posts `consumed`. It stops after message
//! N (`--messages N`) or when the writer ends the stream (a post of `filled` with `ready`
//! false: the writer has finished or was stopped, and removes the segment).
//!
//! Exit status: 0 when it has read message N (or, without `--messages`, when the writer ended
//! the stream), 1 on an error or when the writer ended the stream before message N.
//!
//! A writer killed with SIGKILL cannot end the stream: the reader then waits until it is
//! stopped itself, and `shmctl gc` removes the segment that is left.
mod channel;

use channel::{ftok, os_error, sem_post, Channel, SHARED_DATA_VERSION};
use std::ffi::{c_int, OsString};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::ptr;
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: reader [--messages N] [--path PATH]

Prints the messages examples/writer sends through System V shared memory, one per line.

  --messages N  stop after message N (default: when the writer ends the stream)
  --path PATH   an existing file or directory: the key is ftok(PATH, 65) (default /tmp)
  -h, --help    this text

Waits up to 10 s for the writer's segment. Exit status: 0 once message N has been read
(without --messages: once the writer ends the stream), 1 on an error or when the writer
ends the stream before message N.
";

/// The owner-execute bit the writer keeps in the segment's mode until it has initialised
/// the semaphores (see examples/writer.rs).
const MODE_SETTING_UP: u32 = 0o100;
/// The mode bit of a segment marked for removal (`SHM_DEST` in <linux/shm.h>; not in `libc`).
const SHM_DEST: u32 = 0o1000;

/// `ipc_perm.mode` is `unsigned short` on x86-64 and `unsigned int` on aarch64 (generic, so
/// that neither target sees a conversion to its own type).
fn perm_mode<T: Into<u32>>(mode: T) -> u32 {
    mode.into()
}

/// How long the reader waits for the writer's segment, and how often it looks.
const FIND_TIMEOUT: Duration = Duration::from_secs(10);
const FIND_INTERVAL: Duration = Duration::from_millis(20);

struct Options {
    messages: Option<u32>,
    path: PathBuf,
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("reader: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let Some(options) = parse_args(std::env::args_os().skip(1))? else {
        print!("{USAGE}");
        return Ok(ExitCode::SUCCESS);
    };
    let key = ftok(&options.path)?;
    let id = find(key)?;
    // SAFETY: a null address lets the kernel choose where to map the segment.
    let addr = unsafe { libc::shmat(id, ptr::null(), 0) };
    if addr as isize == -1 {
        return Err(os_error(&format!("shmat(shm id {id})")));
    }
    let ended = receive(addr.cast::<Channel>(), options.messages);
    // SAFETY: addr is where shmat attached the segment; nothing uses it after this.
    let detached = if unsafe { libc::shmdt(addr) } == -1 {
        Err(os_error("shmdt"))
    } else {
        Ok(())
    };
    let ended = match (ended, detached) {
        (Ok(ended), Ok(())) => ended,
        (Err(e), Ok(())) | (Ok(_), Err(e)) => return Err(e),
        (Err(e), Err(also)) => return Err(format!("{e}; then {also}")),
    };
    match (ended, options.messages) {
        (Ended::StreamEnd { received }, Some(expected)) => {
            eprintln!(
                "reader: the writer ended the stream after {received} message(s) here, before \
                 message #{expected}"
            );
            Ok(ExitCode::FAILURE)
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

enum Ended {
    /// Message N (`--messages N`) has been read.
    LastMessage,
    /// The writer ended the stream after this many messages (to this reader).
    StreamEnd { received: u32 },
}

fn parse_args(mut args: impl Iterator<Item = OsString>) -> Result<Option<Options>, String> {
    let mut options = Options {
        messages: None,
        path: PathBuf::from("/tmp"),
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| format!("{name} needs a value\n\n{USAGE}"))
        };
        match arg.to_str() {
            Some("-h" | "--help") => return Ok(None),
            Some("--messages") => {
                let text = value("--messages")?;
                let n = text
                    .to_str()
                    .and_then(|t| t.parse().ok())
                    .filter(|n| (1..=i32::MAX as u32).contains(n))
                    .ok_or_else(|| {
                        format!(
                            "--messages: {text:?} is not a number from 1 to {}",
                            i32::MAX
                        )
                    })?;
                options.messages = Some(n);
            }
            Some("--path") => options.path = PathBuf::from(value("--path")?),
            _ => return Err(format!("unexpected argument {arg:?}\n\n{USAGE}")),
        }
    }
    Ok(Some(options))
}

/// The writer's segment for `key`, once it exists and the writer has set it up: the reader
/// may start first, so it looks again every [`FIND_INTERVAL`] for up to [`FIND_TIMEOUT`].
fn find(key: libc::key_t) -> Result<c_int, String> {
    let deadline = Instant::now() + FIND_TIMEOUT;
    loop {
        // SAFETY: shmget takes no pointers.
        let id = unsafe { libc::shmget(key, 0, 0) };
        if id == -1 {
            let err = io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::ENOENT) {
                return Err(format!("shmget(key {key:#010x}): {err}"));
            }
        } else if let Some(ds) = stat(id)? {
            let size = std::mem::size_of::<Channel>();
            if ds.shm_segsz < size {
                return Err(format!(
                    "shm id {id} (key {key:#010x}) is {} bytes, smaller than a Channel ({size} \
                     bytes): not the writer's segment",
                    ds.shm_segsz
                ));
            }
            // Removed already (the writer has finished), or still being set up: not yet.
            let mode = perm_mode(ds.shm_perm.mode);
            if mode & (SHM_DEST | MODE_SETTING_UP) == 0 {
                return Ok(id);
            }
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "no writer's segment for key {key:#010x} after {} s: start the writer with the \
                 same --path",
                FIND_TIMEOUT.as_secs()
            ));
        }
        std::thread::sleep(FIND_INTERVAL);
    }
}

/// The segment's `shmid_ds`, or None when it was removed since `shmget` found it.
fn stat(id: c_int) -> Result<Option<libc::shmid_ds>, String> {
    // SAFETY: shmid_ds is plain old data; all zeroes is a valid value.
    let mut ds: libc::shmid_ds = unsafe { std::mem::zeroed() };
    // SAFETY: ds is a writable shmid_ds.
    if unsafe { libc::shmctl(id, libc::IPC_STAT, &mut ds) } == -1 {
        let err = io::Error::last_os_error();
        return match err.raw_os_error() {
            Some(libc::EIDRM | libc::EINVAL) => Ok(None),
            _ => Err(format!("shmctl(IPC_STAT) of shm id {id}: {err}")),
        };
    }
    Ok(Some(ds))
}

/// Prints messages until message `expected`, or until the writer ends the stream.
fn receive(channel: *mut Channel, expected: Option<u32>) -> Result<Ended, String> {
    // SAFETY: channel points to an attached Channel; `&raw mut` reads nothing and makes no
    // reference (the writer changes the same memory).
    let (filled, consumed) = unsafe { (&raw mut (*channel).filled, &raw mut (*channel).consumed) };
    // SAFETY: as above; the writer wrote the version before it published the segment.
    let version = unsafe { (&raw const (*channel).data.version).read() };
    if version != SHARED_DATA_VERSION {
        return Err(format!(
            "the segment holds a version {version} Channel; this reader knows version \
             {SHARED_DATA_VERSION} (examples/shared_data.h): rebuild one of the two"
        ));
    }
    let mut stdout = io::stdout().lock();
    let mut received = 0;
    loop {
        sem_wait(filled, "filled")?;
        // SAFETY: channel points to an attached Channel, and the writer does not touch `data`
        // until we post `consumed`.
        let (ready, counter, message) = unsafe {
            (
                (&raw const (*channel).data.ready).read() != 0,
                (&raw const (*channel).data.counter).read(),
                (&raw const (*channel).data.message).read(),
            )
        };
        if !ready {
            // The writer's end of the stream: nothing more will come.
            return Ok(Ended::StreamEnd { received });
        }
        let text = message.split(|&b| b == 0).next().unwrap_or(&message);
        writeln!(stdout, "{}", String::from_utf8_lossy(text))
            .and_then(|()| stdout.flush())
            .map_err(|e| format!("writing to stdout: {e}"))?;
        received += 1;
        // SAFETY: as above; the writer reads `data` again only after our post.
        unsafe { (&raw mut (*channel).data.ready).write(0) };
        sem_post(consumed, "consumed")?;
        if expected.is_some_and(|n| i64::from(counter) >= i64::from(n)) {
            return Ok(Ended::LastMessage);
        }
    }
}

fn sem_wait(sem: *mut libc::sem_t, name: &str) -> Result<(), String> {
    loop {
        // SAFETY: sem points to a semaphore the writer initialised in the attached segment
        // before it set MODE_READY.
        if unsafe { libc::sem_wait(sem) } == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EINTR) {
            return Err(format!("sem_wait({name}): {err}"));
        }
    }
}
