//! The writer half of the classic System V shared-memory pair (the reader is
//! examples/reader.rs; the layout both use is examples/shared_data.h).
//!
//! ```sh
//! cargo run --example writer -- --messages 5            # terminal 1
//! cargo run --example reader -- --messages 5            # terminal 2 (either may start first)
//! ```
//!
//! The writer creates the segment for `ftok(PATH, 65)`, lays a `struct Channel` over it and
//! hands N messages to the reader one at a time through two process-shared POSIX semaphores:
//! it waits on `consumed` (the slot is free), writes the message and posts `filled`. Once the
//! reader has consumed the last one, it posts `filled` once more with `ready` false (the end of
//! the stream, for a reader that does not know N), destroys the semaphores, detaches and
//! removes the segment — also on an error and on SIGINT/SIGTERM, even while it waits for a
//! reader that never comes.
//!
//! Exit status: 0 when the reader has consumed every message, 1 on an error, 128 + the signal
//! number when stopped by a signal (130 for SIGINT, 143 for SIGTERM).
mod channel;

use channel::{ftok, os_error, sem_post, Channel, SHARED_DATA_VERSION};
use std::ffi::{c_int, OsString};
use std::io;
use std::path::PathBuf;
use std::process::ExitCode;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const USAGE: &str = "\
usage: writer [--messages N] [--path PATH]

Sends N messages (\"Message #1 from Writer\", ...) to examples/reader through System V
shared memory, one at a time, then removes the segment.

  --messages N  how many messages to send (default 5)
  --path PATH   an existing file or directory: the key is ftok(PATH, 65) (default /tmp)
  -h, --help    this text

Exit status: 0 once the reader has consumed every message, 1 on an error,
130 on SIGINT and 143 on SIGTERM (the segment is removed in every case).
";

/// The segment's mode while the writer sets it up. The owner-execute bit means nothing to
/// shared memory (only `SHM_EXEC` checks it); here it tells a reader that finds the segment
/// early that the semaphores do not exist yet. The writer sets [`MODE_READY`] once they do.
const MODE_SETTING_UP: c_int = 0o700;
const MODE_READY: u16 = 0o600;

/// `ipc_perm.mode` is `unsigned short` on x86-64 and `unsigned int` on aarch64 (generic, so
/// that neither target sees a conversion to its own type).
fn perm_mode<T: From<u16>>(mode: u16) -> T {
    T::from(mode)
}

/// How long one `sem_timedwait` waits before the writer looks at the signal flag again. A
/// signal normally ends the wait at once (EINTR, see [`wait_or_signal`]); this bounds the wait
/// when it lands between the look and the wait.
const WAIT_SLICE_NS: libc::c_long = 500_000_000;

struct Options {
    messages: u32,
    path: PathBuf,
}

enum Outcome {
    /// The reader consumed every message.
    Delivered,
    /// A signal stopped the writer after it had written `sent` messages.
    Stopped { signal: usize, sent: u32 },
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("writer: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let Some(options) = parse_args(std::env::args_os().skip(1))? else {
        print!("{USAGE}");
        return Ok(ExitCode::SUCCESS);
    };
    // Before the segment exists: from here on SIGINT and SIGTERM only set the flag (to the
    // signal's number), and the writer removes the segment before it exits.
    let signal = Arc::new(AtomicUsize::new(0));
    for sig in [libc::SIGINT, libc::SIGTERM] {
        signal_hook::flag::register_usize(sig, Arc::clone(&signal), sig as usize)
            .map_err(|e| format!("installing the handler for signal {sig}: {e}"))?;
    }
    let key = ftok(&options.path)?;
    let id = create(key)?;
    eprintln!(
        "writer: shm id {id}, key {:#010x}, {} bytes; sending {} message(s)",
        key,
        std::mem::size_of::<Channel>(),
        options.messages
    );
    let outcome = attach_and_send(id, options.messages, &signal);
    // Whatever happened above, the segment goes: nothing else would remove it.
    let outcome = both(outcome, remove(id))?;
    Ok(match outcome {
        Outcome::Delivered => {
            eprintln!(
                "writer: the reader consumed all {} message(s); removed shm id {id}",
                options.messages
            );
            ExitCode::SUCCESS
        }
        Outcome::Stopped { signal, sent } => {
            let name = if signal == libc::SIGINT as usize {
                "SIGINT"
            } else {
                "SIGTERM"
            };
            eprintln!(
                "writer: stopped by {name} after sending {sent} of {} message(s); removed shm id {id}",
                options.messages
            );
            ExitCode::from(128 + signal as u8)
        }
    })
}

fn parse_args(mut args: impl Iterator<Item = OsString>) -> Result<Option<Options>, String> {
    let mut options = Options {
        messages: 5,
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
                options.messages = text
                    .to_str()
                    .and_then(|t| t.parse().ok())
                    .filter(|n| (1..=i32::MAX as u32).contains(n))
                    .ok_or_else(|| {
                        format!(
                            "--messages: {text:?} is not a number from 1 to {}",
                            i32::MAX
                        )
                    })?;
            }
            Some("--path") => options.path = PathBuf::from(value("--path")?),
            _ => return Err(format!("unexpected argument {arg:?}\n\n{USAGE}")),
        }
    }
    Ok(Some(options))
}

/// Keeps the first error, and adds the second one's text to it.
fn both<T>(first: Result<T, String>, then: Result<(), String>) -> Result<T, String> {
    match (first, then) {
        (Ok(value), Ok(())) => Ok(value),
        (Err(e), Ok(())) | (Ok(_), Err(e)) => Err(e),
        (Err(e), Err(also)) => Err(format!("{e}; then {also}")),
    }
}

/// A new segment for `key`, in mode [`MODE_SETTING_UP`]. Never an existing one: the writer
/// zeroes the segment and initialises the semaphores, which would pull them from under
/// whoever uses it.
fn create(key: libc::key_t) -> Result<c_int, String> {
    let size = std::mem::size_of::<Channel>();
    // SAFETY: shmget takes no pointers.
    let id = unsafe {
        libc::shmget(
            key,
            size,
            libc::IPC_CREAT | libc::IPC_EXCL | MODE_SETTING_UP,
        )
    };
    if id != -1 {
        return Ok(id);
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() != Some(libc::EEXIST) {
        return Err(format!("shmget(key {key:#010x}, {size} bytes): {err}"));
    }
    // SAFETY: shmget takes no pointers.
    let existing = unsafe { libc::shmget(key, 0, 0) };
    let (id, rm) = if existing == -1 {
        (String::new(), "shmctl rm KEY".to_string())
    } else {
        (
            format!(" (shm id {existing})"),
            format!("shmctl rm {existing}"),
        )
    };
    Err(format!(
        "a segment with key {key:#010x} already exists{id}: another writer is using it, or one \
         that was killed left it behind; remove it with `{rm}` (or `shmctl gc`), or use another \
         --path"
    ))
}

fn remove(id: c_int) -> Result<(), String> {
    // SAFETY: IPC_RMID reads no buffer, so a null pointer is allowed.
    if unsafe { libc::shmctl(id, libc::IPC_RMID, ptr::null_mut()) } == -1 {
        return Err(os_error(&format!("shmctl(IPC_RMID) of shm id {id}")));
    }
    Ok(())
}

/// Marks the segment as set up: mode [`MODE_READY`], which readers wait for.
fn publish(id: c_int) -> Result<(), String> {
    // SAFETY: shmid_ds is plain old data; all zeroes is a valid value.
    let mut ds: libc::shmid_ds = unsafe { std::mem::zeroed() };
    // SAFETY: ds is a writable shmid_ds.
    if unsafe { libc::shmctl(id, libc::IPC_STAT, &mut ds) } == -1 {
        return Err(os_error(&format!("shmctl(IPC_STAT) of shm id {id}")));
    }
    ds.shm_perm.mode = perm_mode(MODE_READY);
    // SAFETY: ds is a valid shmid_ds, filled in by IPC_STAT.
    if unsafe { libc::shmctl(id, libc::IPC_SET, &mut ds) } == -1 {
        return Err(os_error(&format!("shmctl(IPC_SET) of shm id {id}")));
    }
    Ok(())
}

fn attach_and_send(id: c_int, messages: u32, signal: &AtomicUsize) -> Result<Outcome, String> {
    // SAFETY: a null address lets the kernel choose where to map the segment.
    let addr = unsafe { libc::shmat(id, ptr::null(), 0) };
    if addr as isize == -1 {
        return Err(os_error(&format!("shmat(shm id {id})")));
    }
    let channel = addr.cast::<Channel>();
    let outcome = set_up_and_send(id, channel, messages, signal);
    // SAFETY: addr is where shmat attached the segment; nothing uses it after this.
    let detached = if unsafe { libc::shmdt(addr) } == -1 {
        Err(os_error("shmdt"))
    } else {
        Ok(())
    };
    both(outcome, detached)
}

/// The semaphores of the attached channel. Raw pointers, never references: the reader
/// changes the same memory.
fn semaphores(channel: *mut Channel) -> (*mut libc::sem_t, *mut libc::sem_t) {
    // SAFETY: channel points to an attached Channel; `&raw mut` reads nothing and makes no
    // reference.
    unsafe { (&raw mut (*channel).filled, &raw mut (*channel).consumed) }
}

fn set_up_and_send(
    id: c_int,
    channel: *mut Channel,
    messages: u32,
    signal: &AtomicUsize,
) -> Result<Outcome, String> {
    let (filled, consumed) = semaphores(channel);
    // SAFETY: the segment is size_of::<Channel>() bytes, attached read-write, and no reader
    // uses it yet (it waits for MODE_READY). All zeroes is a valid SharedData; the version
    // says which layout the rest is.
    unsafe {
        ptr::write_bytes(channel, 0, 1);
        (&raw mut (*channel).data.version).write(SHARED_DATA_VERSION);
    }
    sem_init(filled, 0, "filled")?;
    let outcome = sem_init(consumed, 1, "consumed").and_then(|()| {
        let outcome = publish(id).and_then(|()| send(channel, messages, signal));
        // The end of the stream: one more post of `filled` with `ready` 0 (the reader
        // cleared it) wakes a reader that waits for a message that will not come. A reader
        // that has not taken the last message yet takes it first.
        let outcome = both(outcome, sem_post(filled, "filled"));
        both(outcome, sem_destroy(consumed, "consumed"))
    });
    // glibc's sem_destroy changes nothing in the memory, so a reader just woken by the last
    // post still finds a valid semaphore; the segment lives on until it detaches.
    both(outcome, sem_destroy(filled, "filled"))
}

fn send(channel: *mut Channel, messages: u32, signal: &AtomicUsize) -> Result<Outcome, String> {
    let (filled, consumed) = semaphores(channel);
    for i in 1..=messages {
        if !wait_or_signal(consumed, "consumed", signal)? {
            return Ok(stopped(signal, i - 1));
        }
        let mut message = [0u8; 100];
        let text = format!("Message #{i} from Writer");
        // At most 31 bytes ("Message #2147483647 from Writer"): the NUL always fits.
        message[..text.len()].copy_from_slice(text.as_bytes());
        // SAFETY: channel points to an attached Channel, and the reader does not touch `data`
        // until the post of `filled` below (it has posted `consumed`, which we just took).
        unsafe {
            (&raw mut (*channel).data.counter).write(i as i32);
            (&raw mut (*channel).data.message).write(message);
            (&raw mut (*channel).data.ready).write(1);
        }
        sem_post(filled, "filled")?;
    }
    // Done once the reader has taken the last message too.
    if !wait_or_signal(consumed, "consumed", signal)? {
        return Ok(stopped(signal, messages));
    }
    Ok(Outcome::Delivered)
}

fn stopped(signal: &AtomicUsize, sent: u32) -> Outcome {
    Outcome::Stopped {
        signal: signal.load(Ordering::SeqCst),
        sent,
    }
}

fn sem_init(sem: *mut libc::sem_t, value: u32, name: &str) -> Result<(), String> {
    // SAFETY: sem points into the attached segment; pshared 1 because two processes share it.
    if unsafe { libc::sem_init(sem, 1, value) } == -1 {
        return Err(os_error(&format!("sem_init({name}, 1, {value})")));
    }
    Ok(())
}

fn sem_destroy(sem: *mut libc::sem_t, name: &str) -> Result<(), String> {
    // SAFETY: sem points to a semaphore initialised by sem_init in the attached segment.
    if unsafe { libc::sem_destroy(sem) } == -1 {
        return Err(os_error(&format!("sem_destroy({name})")));
    }
    Ok(())
}

/// Waits on `sem`: true once taken, false once SIGINT or SIGTERM has set `signal`.
///
/// Not `sem_wait`: signal-hook installs its handler with SA_RESTART, and the kernel restarts
/// an untimed futex wait after the handler, so `sem_wait` would never return. A timed wait is
/// not restarted: the handler ends it with EINTR at once. It waits in slices of
/// [`WAIT_SLICE_NS`], looking at the flag before each, for a signal that lands between the
/// look and the wait.
fn wait_or_signal(sem: *mut libc::sem_t, name: &str, signal: &AtomicUsize) -> Result<bool, String> {
    loop {
        if signal.load(Ordering::SeqCst) != 0 {
            return Ok(false);
        }
        // SAFETY: timespec is plain old data; all zeroes is a valid value.
        let mut deadline: libc::timespec = unsafe { std::mem::zeroed() };
        // SAFETY: deadline is a writable timespec.
        if unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut deadline) } == -1 {
            return Err(os_error("clock_gettime(CLOCK_REALTIME)"));
        }
        deadline.tv_nsec += WAIT_SLICE_NS;
        if deadline.tv_nsec >= 1_000_000_000 {
            deadline.tv_sec += 1;
            deadline.tv_nsec -= 1_000_000_000;
        }
        // SAFETY: sem points to an initialised semaphore in the attached segment; deadline is
        // a valid timespec that outlives the call.
        if unsafe { libc::sem_timedwait(sem, &deadline) } == 0 {
            return Ok(true);
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::ETIMEDOUT | libc::EINTR) => continue,
            _ => return Err(format!("sem_timedwait({name}): {err}")),
        }
    }
}
