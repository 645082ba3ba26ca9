//! Which tasks are blocked on a message queue or a semaphore set.
//!
//! A queue keeps no count of the tasks blocked on it (a set does: semncnt and semzcnt). The
//! kernel shows what each task sleeps in: `/proc/PID/task/TID/syscall` is `running`, or `-1 SP
//! PC` outside a system call, or the call's number and its six arguments in hex (then SP and
//! PC); for msgsnd, msgrcv, semop and semtimedop the first argument is the id (KERNEL-NOTES
//! §11). Reading it takes ptrace access (another user's task needs CAP_SYS_PTRACE): a task
//! that cannot be read might be blocked on anything, and is counted, not guessed.
//!
//! Only tasks in our IPC namespace count (an id names one object per namespace), judged per
//! task: threads may sit in different namespaces, and a thread-group leader that called
//! pthread_exit has no namespace left while its other threads run on.
//!
//! The numbers are the architecture's. x86-64 and aarch64 are known; elsewhere every task is
//! uninspectable. A 32-bit program's task uses its own table: on x86-64 an i386 task is
//! decoded (the multiplexer `ipc` 117, or msgsnd 400, msgrcv 401, semtimedop_time64 420, all
//! checked on Linux 6.18), on aarch64 an AArch32 task in a system call is uninspectable. The
//! program's ELF header (`/proc/PID/task/TID/exe`) tells which table a task uses.
use rustc_hash::FxHashMap as HashMap;
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::objects::{IpcCall, Waiter};

/// What a task's syscall file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskCall {
    /// On a CPU right now: not blocked.
    Running,
    /// Not in a system call.
    Outside,
    /// In system call `nr` (sleeping or stopped there), with its six arguments.
    In { nr: i64, args: [u64; 6] },
}

/// Parses `/proc/PID/task/TID/syscall`.
pub fn parse_syscall(text: &str) -> Option<TaskCall> {
    let mut fields = text.split_ascii_whitespace();
    let first = fields.next()?;
    if first == "running" {
        return Some(TaskCall::Running);
    }
    let nr: i64 = first.parse().ok()?;
    if nr < 0 {
        return Some(TaskCall::Outside);
    }
    let mut args = [0u64; 6];
    for arg in &mut args {
        *arg = u64::from_str_radix(fields.next()?.strip_prefix("0x")?, 16).ok()?;
    }
    Some(TaskCall::In { nr, args })
}

/// Which system call table a task's numbers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Abi {
    Native,
    /// The 32-bit table this architecture runs (i386 on x86-64, AArch32 on aarch64).
    Compat,
    /// A program for another machine: its numbers mean nothing known.
    Foreign,
}

/// What a task in a system call waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Blocked {
    On(IpcCall, i32),
    Elsewhere,
    /// Its numbers cannot be read here.
    Unknown,
}

/// An id argument: an `int` in a 64-bit register (the upper half is not the id's).
fn id_arg(arg: u64) -> i32 {
    arg as u32 as i32
}

fn decode(abi: Abi, nr: i64, args: &[u64; 6]) -> Blocked {
    match abi {
        Abi::Native => arch::native(nr).map_or(Blocked::Elsewhere, |call| {
            Blocked::On(call, id_arg(args[0]))
        }),
        Abi::Compat => arch::compat(nr, args),
        Abi::Foreign => Blocked::Unknown,
    }
}

#[cfg(target_arch = "x86_64")]
mod arch {
    use super::Blocked;
    use crate::objects::IpcCall;

    pub const KNOWN: bool = true;
    /// EM_X86_64 (x32 programs too: their numbers carry bit 30).
    pub const NATIVE_MACHINE: u16 = 62;
    /// EM_386.
    pub const COMPAT_MACHINE: Option<u16> = Some(3);
    const X32_BIT: i64 = 0x4000_0000;

    pub fn native(nr: i64) -> Option<IpcCall> {
        match nr & !X32_BIT {
            69 => Some(IpcCall::Msgsnd),
            70 => Some(IpcCall::Msgrcv),
            65 => Some(IpcCall::Semop),
            220 => Some(IpcCall::Semtimedop),
            _ => None,
        }
    }

    /// i386: `ipc(call, first, …)` (the call in the low 16 bits, the version above them; the
    /// id is `first`) or the direct calls of Linux 5.1 on (the id first).
    pub fn compat(nr: i64, args: &[u64; 6]) -> Blocked {
        let (call, id) = match nr {
            117 => match args[0] & 0xffff {
                1 => (IpcCall::Semop, args[1]),
                4 => (IpcCall::Semtimedop, args[1]),
                11 => (IpcCall::Msgsnd, args[1]),
                12 => (IpcCall::Msgrcv, args[1]),
                _ => return Blocked::Elsewhere,
            },
            400 => (IpcCall::Msgsnd, args[0]),
            401 => (IpcCall::Msgrcv, args[0]),
            420 => (IpcCall::Semtimedop, args[0]),
            _ => return Blocked::Elsewhere,
        };
        Blocked::On(call, super::id_arg(id))
    }

    #[cfg(test)]
    pub fn native_nr(call: IpcCall) -> i64 {
        match call {
            IpcCall::Msgsnd => 69,
            IpcCall::Msgrcv => 70,
            IpcCall::Semop => 65,
            IpcCall::Semtimedop => 220,
        }
    }
}

#[cfg(target_arch = "aarch64")]
mod arch {
    use super::Blocked;
    use crate::objects::IpcCall;

    pub const KNOWN: bool = true;
    /// EM_AARCH64.
    pub const NATIVE_MACHINE: u16 = 183;
    /// EM_ARM: AArch32 programs, whose numbers are not decoded here.
    pub const COMPAT_MACHINE: Option<u16> = Some(40);

    pub fn native(nr: i64) -> Option<IpcCall> {
        match nr {
            189 => Some(IpcCall::Msgsnd),
            188 => Some(IpcCall::Msgrcv),
            193 => Some(IpcCall::Semop),
            192 => Some(IpcCall::Semtimedop),
            _ => None,
        }
    }

    pub fn compat(_nr: i64, _args: &[u64; 6]) -> Blocked {
        Blocked::Unknown
    }

    #[cfg(test)]
    pub fn native_nr(call: IpcCall) -> i64 {
        match call {
            IpcCall::Msgsnd => 189,
            IpcCall::Msgrcv => 188,
            IpcCall::Semop => 193,
            IpcCall::Semtimedop => 192,
        }
    }
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
mod arch {
    use super::Blocked;
    use crate::objects::IpcCall;

    /// This architecture's numbers are not known: every task is uninspectable.
    pub const KNOWN: bool = false;
    pub const NATIVE_MACHINE: u16 = 0;
    pub const COMPAT_MACHINE: Option<u16> = None;

    pub fn native(_nr: i64) -> Option<IpcCall> {
        None
    }

    pub fn compat(_nr: i64, _args: &[u64; 6]) -> Blocked {
        Blocked::Unknown
    }
}

/// The ELF machine of a program's header (e_machine, in the header's byte order).
fn elf_machine(header: &[u8]) -> Option<u16> {
    if header.len() < 20 || &header[..4] != b"\x7fELF" {
        return None;
    }
    let bytes = [header[18], header[19]];
    match header[5] {
        1 => Some(u16::from_le_bytes(bytes)),
        2 => Some(u16::from_be_bytes(bytes)),
        _ => None,
    }
}

fn abi_of(machine: Option<u16>) -> Abi {
    match machine {
        Some(m) if m == arch::NATIVE_MACHINE => Abi::Native,
        Some(m) if Some(m) == arch::COMPAT_MACHINE => Abi::Compat,
        _ => Abi::Foreign,
    }
}

/// The tasks found blocked, by the id they wait on, and those that could not be looked at.
#[derive(Debug, Default)]
pub struct WaiterScan {
    queues: HashMap<i32, Vec<Waiter>>,
    sets: HashMap<i32, Vec<Waiter>>,
    /// Tasks (by tid) in our IPC namespace, or perhaps in it, whose system call could not be
    /// read: any of them may be blocked on any object. Sorted, without repeats.
    pub uninspected: Vec<i32>,
    /// Why some tasks could not even be seen (/proc unreadable, or mounted with hidepid).
    pub unseen: Option<&'static str>,
}

impl WaiterScan {
    /// A scan that could not be made.
    pub fn failed() -> WaiterScan {
        WaiterScan {
            unseen: Some("/proc could not be read"),
            ..WaiterScan::default()
        }
    }

    /// The tasks blocked in msgsnd or msgrcv on queue `id`.
    pub fn on_queue(&self, id: i32) -> &[Waiter] {
        self.queues.get(&id).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The tasks blocked in semop or semtimedop on set `id`.
    pub fn on_set(&self, id: i32) -> &[Waiter] {
        self.sets.get(&id).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The sets some task of process `pid` is blocked on.
    pub fn sets_waited_on_by(&self, pid: i32) -> Vec<i32> {
        let mut ids: Vec<i32> = self
            .sets
            .iter()
            .filter(|(_, waiters)| waiters.iter().any(|w| w.pid == pid))
            .map(|(&id, _)| id)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// True when every task could be looked at.
    pub fn complete(&self) -> bool {
        self.unseen.is_none() && self.uninspected.is_empty()
    }
}

/// Why a task could not be read.
enum Missed {
    /// It exited while we looked (or has no memory: a zombie, a kernel thread): it waits on
    /// nothing.
    Exited,
    /// We may not look (EACCES/EPERM, or something else went wrong): it might wait on any.
    Uninspectable,
}

fn classify(e: &io::Error) -> Missed {
    if e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ESRCH) {
        Missed::Exited
    } else {
        Missed::Uninspectable
    }
}

/// Reads every task of every process once (but our own process).
pub fn scan() -> io::Result<WaiterScan> {
    let ours = super::ipc_namespace_of("self")?;
    let mut result = scan_proc(Path::new("/proc"), ours, std::process::id() as i32)?;
    let hidden = std::fs::read_to_string("/proc/self/mountinfo")
        .map(|m| proc_hides_processes(&m))
        .unwrap_or(true);
    if hidden && !may_ptrace_all() {
        result.unseen = Some("/proc hides other users' processes (hidepid)");
    }
    Ok(result)
}

/// Whether the proc filesystem on /proc hides processes we may not ptrace: a `hidepid=`
/// other than `0`/`off` among its options (the last mount on /proc is the one seen).
fn proc_hides_processes(mountinfo: &str) -> bool {
    let Some(options) = super::procfs::mounts(mountinfo)
        .filter(|m| m.point == "/proc" && m.fstype == "proc")
        .last()
        .map(|m| m.super_options)
    else {
        return false;
    };
    options
        .split(',')
        .filter_map(|o| o.strip_prefix("hidepid="))
        .any(|value| value != "0" && value != "off")
}

/// CAP_SYS_PTRACE in our effective set: hidepid hides nothing from us then.
fn may_ptrace_all() -> bool {
    const CAP_SYS_PTRACE: u32 = 19;
    super::process::effective_capabilities().is_some_and(|caps| caps & (1 << CAP_SYS_PTRACE) != 0)
}

fn scan_proc(proc: &Path, our_ns: u64, skip: i32) -> io::Result<WaiterScan> {
    let mut result = WaiterScan::default();
    for (pid, dir) in super::procfs::processes(proc, skip)? {
        let tasks = match std::fs::read_dir(dir.join("task")) {
            Ok(tasks) => tasks,
            Err(e) => {
                if let Missed::Uninspectable = classify(&e) {
                    result.uninspected.push(pid);
                }
                continue;
            }
        };
        // Every thread runs the same program: its table is read once.
        let mut abi = None;
        let mut comm: Option<String> = None;
        for task in tasks {
            let Ok(task) = task else {
                result.uninspected.push(pid);
                continue;
            };
            let Some(tid) = number(&task.file_name()) else {
                continue;
            };
            match inspect(&task.path(), our_ns, &mut abi) {
                Ok(None) | Err(Missed::Exited) => {}
                Err(Missed::Uninspectable) => result.uninspected.push(tid),
                Ok(Some((call, id))) => {
                    let comm = comm
                        .get_or_insert_with(|| {
                            std::fs::read_to_string(dir.join("comm"))
                                .map(|c| c.trim_end_matches('\n').to_string())
                                .unwrap_or_default()
                        })
                        .clone();
                    let by_id = if call.on_queue() {
                        &mut result.queues
                    } else {
                        &mut result.sets
                    };
                    by_id.entry(id).or_default().push(Waiter {
                        pid,
                        tid,
                        comm,
                        call,
                    });
                }
            }
        }
    }
    result.uninspected.sort_unstable();
    result.uninspected.dedup();
    Ok(result)
}

fn number(name: &std::ffi::OsStr) -> Option<i32> {
    name.to_str().and_then(|s| s.parse::<i32>().ok())
}

/// What one task (`/proc/PID/task/TID`) waits on, if it is in our namespace and blocked in
/// one of the calls.
fn inspect(
    task: &Path,
    our_ns: u64,
    abi: &mut Option<Abi>,
) -> Result<Option<(IpcCall, i32)>, Missed> {
    let ns = std::fs::metadata(task.join("ns/ipc")).map_err(|e| classify(&e))?;
    if ns.ino() != our_ns {
        return Ok(None);
    }
    if !arch::KNOWN {
        return Err(Missed::Uninspectable);
    }
    let text = std::fs::read_to_string(task.join("syscall")).map_err(|e| classify(&e))?;
    let TaskCall::In { nr, args } = parse_syscall(&text).ok_or(Missed::Uninspectable)? else {
        return Ok(None);
    };
    let abi = match *abi {
        Some(abi) => abi,
        None => {
            // No program (ENOENT): a kernel thread, or a task past its exit: no user call.
            let found = abi_of(read_machine(task)?);
            *abi = Some(found);
            found
        }
    };
    match decode(abi, nr, &args) {
        Blocked::On(call, id) => Ok(Some((call, id))),
        Blocked::Elsewhere => Ok(None),
        Blocked::Unknown => Err(Missed::Uninspectable),
    }
}

fn read_machine(task: &Path) -> Result<Option<u16>, Missed> {
    let mut header = [0u8; 20];
    let mut file = std::fs::File::open(task.join("exe")).map_err(|e| classify(&e))?;
    let mut filled = 0;
    while filled < header.len() {
        match file.read(&mut header[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return Err(Missed::Uninspectable),
        }
    }
    Ok(elf_machine(&header[..filled]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syscall_lines() {
        assert_eq!(parse_syscall("running\n"), Some(TaskCall::Running));
        assert_eq!(
            parse_syscall("-1 0x7ffd5c9a1e38 0x7f2b1c0e5df2\n"),
            Some(TaskCall::Outside)
        );
        // A task blocked in msgrcv(5, buf, 16, 0, 0) on x86-64, as 6.18 prints it.
        let line = "70 0x5 0x7ffd5c9a1e40 0x10 0x0 0x0 0x0 0x7ffd5c9a1e38 0x7f2b1c0e5df2\n";
        assert_eq!(
            parse_syscall(line),
            Some(TaskCall::In {
                nr: 70,
                args: [5, 0x7ffd5c9a1e40, 0x10, 0, 0, 0]
            })
        );
        // A kernel thread.
        assert_eq!(
            parse_syscall("0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0"),
            Some(TaskCall::In {
                nr: 0,
                args: [0; 6]
            })
        );
        assert_eq!(parse_syscall(""), None);
        assert_eq!(parse_syscall("70 0x5 0x1"), None, "truncated");
        assert_eq!(parse_syscall("70 5 1 2 3 4 5 6 7"), None, "not hex");
        assert_eq!(parse_syscall("seventy 0x5"), None);
    }

    #[test]
    fn ids_are_the_low_32_bits() {
        assert_eq!(id_arg(0x0000_0000_0000_8005), 0x8005);
        assert_eq!(id_arg(0xffff_ffff_0000_0007), 7);
        assert_eq!(id_arg(0xffff_ffff_ffff_ffff), -1);
    }

    #[test]
    fn elf_headers() {
        let mut le = [0u8; 20];
        le[..4].copy_from_slice(b"\x7fELF");
        le[5] = 1;
        le[18] = 62;
        assert_eq!(elf_machine(&le), Some(62));
        let mut be = le;
        be[5] = 2;
        (be[18], be[19]) = (0, 22);
        assert_eq!(elf_machine(&be), Some(22));
        assert_eq!(elf_machine(&le[..10]), None);
        assert_eq!(elf_machine(b"#!/bin/sh\nexec true\n"), None);
        assert_eq!(abi_of(None), Abi::Foreign);
        assert_eq!(abi_of(Some(0xfffe)), Abi::Foreign);
    }

    #[test]
    fn hidepid_in_mountinfo() {
        let plain = "22 27 0:21 / /proc rw,relatime shared:12 - proc proc rw\n";
        assert!(!proc_hides_processes(plain));
        let hidden = "22 27 0:21 / /proc rw,nosuid - proc proc rw,hidepid=invisible\n";
        assert!(proc_hides_processes(hidden));
        assert!(proc_hides_processes(
            "1 0 0:5 / /proc rw - proc proc rw,gid=4,hidepid=2"
        ));
        assert!(!proc_hides_processes(
            "1 0 0:5 / /proc rw - proc proc rw,hidepid=0"
        ));
        // The last mount on /proc is the one seen; other mount points do not count.
        let remounted =
            format!("{hidden}40 22 0:50 / /proc rw master:3 - proc proc rw,hidepid=off\n");
        assert!(!proc_hides_processes(&remounted));
        let elsewhere = "50 27 0:60 / /mnt/proc rw - proc proc rw,hidepid=2\n";
        assert!(!proc_hides_processes(&format!("{plain}{elsewhere}")));
        assert!(!proc_hides_processes(""));
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn x86_64_numbers() {
        let args = [5, 0x1000, 0x10, 0, 0, 0];
        assert_eq!(
            decode(Abi::Native, 70, &args),
            Blocked::On(IpcCall::Msgrcv, 5)
        );
        assert_eq!(
            decode(Abi::Native, 69, &args),
            Blocked::On(IpcCall::Msgsnd, 5)
        );
        assert_eq!(
            decode(Abi::Native, 65, &args),
            Blocked::On(IpcCall::Semop, 5)
        );
        assert_eq!(
            decode(Abi::Native, 220, &args),
            Blocked::On(IpcCall::Semtimedop, 5)
        );
        // x32 carries bit 30.
        assert_eq!(
            decode(Abi::Native, 0x4000_0000 | 70, &args),
            Blocked::On(IpcCall::Msgrcv, 5)
        );
        assert_eq!(decode(Abi::Native, 0, &args), Blocked::Elsewhere);
        assert_eq!(decode(Abi::Native, 202, &args), Blocked::Elsewhere); // futex
                                                                         // i386, as this kernel showed them: ipc(MSGRCV | version 1 << 16, id 0, …),
                                                                         // ipc(SEMOP, id 1, …), msgrcv(1, …), semtimedop_time64(3, …).
        let ipc = |call, id| [call, id, 0x10, 0, 0x804b000, 0];
        assert_eq!(
            decode(Abi::Compat, 117, &ipc(0x1000c, 0)),
            Blocked::On(IpcCall::Msgrcv, 0)
        );
        assert_eq!(
            decode(Abi::Compat, 117, &ipc(1, 1)),
            Blocked::On(IpcCall::Semop, 1)
        );
        assert_eq!(
            decode(Abi::Compat, 117, &ipc(11, 4)),
            Blocked::On(IpcCall::Msgsnd, 4)
        );
        assert_eq!(
            decode(Abi::Compat, 117, &ipc(4, 2)),
            Blocked::On(IpcCall::Semtimedop, 2)
        );
        assert_eq!(decode(Abi::Compat, 117, &ipc(21, 2)), Blocked::Elsewhere); // shmat
        assert_eq!(
            decode(Abi::Compat, 401, &[1, 0x804b000, 16, 0, 0, 0]),
            Blocked::On(IpcCall::Msgrcv, 1)
        );
        assert_eq!(
            decode(Abi::Compat, 400, &[1, 0, 0, 0, 0, 0]),
            Blocked::On(IpcCall::Msgsnd, 1)
        );
        assert_eq!(
            decode(Abi::Compat, 420, &[3, 0x804b000, 1, 0, 0, 0]),
            Blocked::On(IpcCall::Semtimedop, 3)
        );
        // The native numbers mean something else to an i386 task (70 is setreuid16).
        assert_eq!(decode(Abi::Compat, 70, &args), Blocked::Elsewhere);
        assert_eq!(decode(Abi::Foreign, 70, &args), Blocked::Unknown);
    }

    #[cfg(target_arch = "aarch64")]
    #[test]
    fn aarch64_numbers() {
        let args = [5, 0x1000, 0x10, 0, 0, 0];
        assert_eq!(
            decode(Abi::Native, 188, &args),
            Blocked::On(IpcCall::Msgrcv, 5)
        );
        assert_eq!(
            decode(Abi::Native, 189, &args),
            Blocked::On(IpcCall::Msgsnd, 5)
        );
        assert_eq!(
            decode(Abi::Native, 193, &args),
            Blocked::On(IpcCall::Semop, 5)
        );
        assert_eq!(
            decode(Abi::Native, 192, &args),
            Blocked::On(IpcCall::Semtimedop, 5)
        );
        assert_eq!(decode(Abi::Native, 98, &args), Blocked::Elsewhere); // futex
        assert_eq!(decode(Abi::Compat, 302, &args), Blocked::Unknown);
    }

    /// A fake /proc: each task's ns/ipc is a hard link to one of two files (ours, another
    /// namespace), `exe` a file with an ELF header.
    struct FakeProc {
        dir: tempfile::TempDir,
        ours: std::path::PathBuf,
        theirs: std::path::PathBuf,
    }

    impl FakeProc {
        fn new() -> FakeProc {
            let dir = tempfile::tempdir().expect("tempdir");
            let ours = dir.path().join("ns-ours");
            let theirs = dir.path().join("ns-theirs");
            std::fs::write(&ours, "").expect("write");
            std::fs::write(&theirs, "").expect("write");
            FakeProc { dir, ours, theirs }
        }

        fn our_ns(&self) -> u64 {
            std::fs::metadata(&self.ours).expect("stat").ino()
        }

        fn proc(&self) -> std::path::PathBuf {
            self.dir.path().join("proc")
        }

        /// A task; `syscall` None leaves the file out, `machine` None leaves `exe` out.
        fn task(
            &self,
            pid: i32,
            tid: i32,
            ours: bool,
            syscall: Option<&str>,
            machine: Option<u16>,
        ) {
            let pid_dir = self.proc().join(pid.to_string());
            let task = pid_dir.join("task").join(tid.to_string());
            std::fs::create_dir_all(task.join("ns")).expect("mkdir");
            std::fs::write(pid_dir.join("comm"), format!("app{pid}\n")).expect("comm");
            let ns = if ours { &self.ours } else { &self.theirs };
            std::fs::hard_link(ns, task.join("ns/ipc")).expect("link");
            if let Some(text) = syscall {
                std::fs::write(task.join("syscall"), text).expect("syscall");
            }
            if let Some(machine) = machine {
                let mut header = vec![0u8; 64];
                header[..4].copy_from_slice(b"\x7fELF");
                header[4] = 2;
                header[5] = 1;
                header[18..20].copy_from_slice(&machine.to_le_bytes());
                std::fs::write(task.join("exe"), header).expect("exe");
            }
        }
    }

    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    fn blocked(call: IpcCall, id: i32) -> String {
        format!(
            "{} {id:#x} 0x7ffd0000 0x10 0x0 0x0 0x0 0x7ffd0000 0x7f000000\n",
            arch::native_nr(call)
        )
    }

    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    #[test]
    fn a_fake_proc_scanned() {
        let fake = FakeProc::new();
        let native = Some(arch::NATIVE_MACHINE);
        let msgrcv = blocked(IpcCall::Msgrcv, 5);
        // A process blocked in msgrcv on queue 5 in its main thread, another thread running.
        fake.task(10, 10, true, Some(&msgrcv), native);
        fake.task(10, 11, true, Some("running\n"), native);
        // The same call in another IPC namespace names another queue.
        fake.task(20, 20, false, Some(&msgrcv), native);
        // A thread in semop on set 5 (a set's id space is not a queue's), and one in msgsnd
        // on queue 7, of a process whose leader left (no namespace, no program).
        fake.task(30, 31, true, Some(&blocked(IpcCall::Semop, 5)), native);
        fake.task(30, 32, true, Some(&blocked(IpcCall::Msgsnd, 7)), native);
        // Unreadable (a directory stands in for a file we may not read).
        fake.task(40, 40, true, None, native);
        std::fs::create_dir(fake.proc().join("40/task/40/syscall")).expect("mkdir");
        // In a system call but without a program: a kernel thread.
        fake.task(
            50,
            50,
            true,
            Some("0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0"),
            None,
        );
        // Exited between the listing and the look: no syscall file.
        fake.task(60, 60, true, None, native);
        // A program for another machine, in some system call: its numbers are unknown.
        fake.task(70, 70, true, Some(&msgrcv), Some(0xfffe));
        // Outside any system call; and ourselves (skipped).
        fake.task(80, 80, true, Some("-1 0x7ffd 0x7f00\n"), native);
        fake.task(90, 90, true, Some(&msgrcv), native);
        std::fs::create_dir(fake.proc().join("self")).expect("not a pid");

        let scan = scan_proc(&fake.proc(), fake.our_ns(), 90).expect("scan");
        let on = |w: &[Waiter]| -> Vec<(i32, i32, IpcCall)> {
            w.iter().map(|w| (w.pid, w.tid, w.call)).collect()
        };
        assert_eq!(on(scan.on_queue(5)), [(10, 10, IpcCall::Msgrcv)]);
        assert_eq!(scan.on_queue(5)[0].comm, "app10");
        assert_eq!(on(scan.on_set(5)), [(30, 31, IpcCall::Semop)]);
        assert_eq!(on(scan.on_queue(7)), [(30, 32, IpcCall::Msgsnd)]);
        assert!(scan.on_queue(6).is_empty() && scan.on_set(7).is_empty());
        assert_eq!(scan.uninspected, [40, 70]);
        assert!(!scan.complete());
        assert!(!WaiterScan::failed().complete());
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn an_i386_task_in_the_ipc_multiplexer() {
        let fake = FakeProc::new();
        // ipc(MSGRCV, 4, …) and, natively numbered 70 but meaning setreuid16, nothing.
        fake.task(
            10,
            10,
            true,
            Some("117 0x1000c 0x4 0x10 0x0 0x804b000 0x0 0xff00 0x8049"),
            Some(3),
        );
        fake.task(11, 11, true, Some(&blocked(IpcCall::Msgrcv, 5)), Some(3));
        let scan = scan_proc(&fake.proc(), fake.our_ns(), -1).expect("scan");
        assert_eq!(scan.on_queue(4)[0].pid, 10);
        assert!(scan.on_queue(5).is_empty());
        assert!(scan.complete());
    }

    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    #[test]
    fn elsewhere_every_task_is_uninspectable() {
        let fake = FakeProc::new();
        fake.task(10, 10, true, Some("running\n"), None);
        fake.task(20, 20, false, Some("running\n"), None);
        let scan = scan_proc(&fake.proc(), fake.our_ns(), -1).expect("scan");
        assert_eq!(scan.uninspected, [10]);
    }

    /// This test process, in this namespace, as the kernel shows it: it is running (reading
    /// its own files) and waits on nothing; and scan() leaves it out.
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    #[test]
    fn our_own_tasks_wait_on_nothing() {
        let me = std::process::id() as i32;
        let ours = crate::sys::ipc_namespace_of("self").expect("ns");
        let all = scan_proc(Path::new("/proc"), ours, -1).expect("scan");
        assert!(!all.uninspected.contains(&me), "{:?}", all.uninspected);
        assert!(scan().expect("scan").uninspected.iter().all(|&t| t != me));
    }
}
