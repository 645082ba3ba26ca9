//! Facts about processes: does a pid exist, when did it start, what is its command line.
use rustc_hash::FxHashMap as HashMap;

use crate::model::Presence;

/// `kill(pid, 0)`: ESRCH proves the pid is free; success or EPERM mean it exists
/// (a process hidden by `hidepid` is hidden, not dead).
pub fn exists(pid: i32) -> bool {
    if pid <= 0 {
        // 0 and negative pids name process groups to kill(2): never probe them.
        return true;
    }
    // No signal: only the existence and permission checks; nothing is sent.
    let probe = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None);
    probe != Err(nix::errno::Errno::ESRCH)
}

/// What one read of /proc/PID/stat says about a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskStat {
    /// Field 3: `R`, `S`, `D`, `Z` (zombie), `X` (being reaped), …
    pub state: char,
    /// Field 20: the threads of its process (the thread group) not yet released.
    pub threads: u64,
    /// Field 22: the start time in clock ticks since boot.
    pub start_ticks: u64,
}

impl TaskStat {
    /// Its whole process has exited and awaits its parent's wait (a zombie): no task of it
    /// runs, it has no memory, it can neither hold nor attach anything. A thread-group
    /// leader that called pthread_exit is in state Z too while its other threads run on:
    /// `threads` counts them, and that process is alive.
    pub fn exited(&self) -> bool {
        matches!(self.state, 'Z' | 'X') && self.threads <= 1
    }
}

/// Parses /proc/PID/stat. The command name in field 2 may contain spaces and parentheses,
/// so fields are counted after the *last* `)`.
pub fn parse_stat(stat: &str) -> Option<TaskStat> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // After ")" come field 3 (state) onwards: field 20 is the 18th of them, 22 the 20th.
    let fields: Vec<&str> = rest.split_ascii_whitespace().take(20).collect();
    let mut state = fields.first()?.chars();
    let (Some(letter), None) = (state.next(), state.next()) else {
        return None;
    };
    if !letter.is_ascii_alphabetic() {
        return None;
    }
    Some(TaskStat {
        state: letter,
        threads: fields.get(17)?.parse().ok()?,
        start_ticks: fields.get(19)?.parse().ok()?,
    })
}

/// The directory to read a process's maps and descriptors from (`dir` is `/proc/PID`): its
/// own, unless its main thread called pthread_exit while other threads run on. That
/// thread's maps and fd are then empty (it released them), though the process still maps
/// and holds everything: a live thread's `/proc/PID/task/TID/` shows it.
pub fn live_task_dir(dir: &std::path::Path, pid: i32) -> std::path::PathBuf {
    let leader_left = super::procfs::read_small(dir.join("stat"))
        .ok()
        .and_then(|stat| parse_stat(&stat))
        .is_some_and(|t| matches!(t.state, 'Z' | 'X') && t.threads > 1);
    if leader_left {
        let tasks = dir.join("task");
        if let Ok(entries) = std::fs::read_dir(&tasks) {
            for entry in entries.flatten() {
                let tid = entry.file_name();
                if tid
                    .to_str()
                    .and_then(|t| t.parse::<i32>().ok())
                    .is_some_and(|t| t != pid)
                {
                    return tasks.join(tid);
                }
            }
        }
    }
    dir.to_path_buf()
}

/// Converts boot-relative ticks to Unix time: start = (REALTIME − BOOTTIME) + ticks / HZ.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    boot_epoch: f64,
    ticks_per_second: f64,
}

impl Clock {
    pub fn new() -> Clock {
        use nix::time::{clock_gettime, ClockId};
        // Neither clock can fail on Linux; were one to, both read as 0 (no offset).
        let read = |clock| {
            clock_gettime(clock).map_or(0.0, |ts| ts.tv_sec() as f64 + ts.tv_nsec() as f64 / 1e9)
        };
        let boot_epoch = read(ClockId::CLOCK_REALTIME) - read(ClockId::CLOCK_BOOTTIME);
        let hz = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK);
        Clock {
            boot_epoch,
            ticks_per_second: match hz {
                Ok(Some(hz)) if hz > 0 => hz as f64,
                _ => 100.0,
            },
        }
    }

    pub fn unix_time(&self, ticks: u64) -> f64 {
        self.boot_epoch + ticks as f64 / self.ticks_per_second
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

/// Probes each pid once per run: 10,000 segments left by one crashed daemon cost one probe.
#[derive(Debug, Default)]
pub struct ProcessTable {
    clock: Clock,
    seen: HashMap<i32, Presence>,
    /// The pid asked last, and its answer: the creator and last user of a segment, and of
    /// the segments after it, are most often one process.
    last: Option<(i32, Presence)>,
}

impl ProcessTable {
    #[cfg(test)]
    pub fn new() -> ProcessTable {
        ProcessTable::default()
    }

    /// pid 0 (and below) names no process: it is never probed.
    pub fn presence(&mut self, pid: i32) -> Presence {
        if pid <= 0 {
            return Presence::Present { started: None };
        }
        if let Some((last, presence)) = self.last {
            if last == pid {
                return presence;
            }
        }
        let clock = self.clock;
        let presence = *self.seen.entry(pid).or_insert_with(|| probe(pid, &clock));
        self.last = Some((pid, presence));
        presence
    }
}

/// One look at a pid: kill(pid, 0), then one read of /proc/PID/stat for both its start
/// time and its state. The pid may be a thread's id (a queue's lrpid can be): its stat is
/// that thread's, with its process's thread count.
fn probe(pid: i32, clock: &Clock) -> Presence {
    if !exists(pid) {
        return Presence::Absent;
    }
    let stat = super::procfs::read_small(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| parse_stat(&stat));
    match stat {
        Some(stat) if stat.exited() => Presence::Exited {
            started: clock.unix_time(stat.start_ticks),
        },
        Some(stat) => Presence::Present {
            started: Some(clock.unix_time(stat.start_ticks)),
        },
        // It exited (and was reaped) between the two looks.
        None if !exists(pid) => Presence::Absent,
        None => Presence::Present { started: None },
    }
}

/// The command line, arguments joined by spaces, as the process wrote it (text renderers
/// escape it, JSON keeps it); a kernel thread's `[comm]`.
pub fn cmdline(pid: i32) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let args: Vec<String> = raw
        .split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    if args.is_empty() {
        return comm(pid).map(|c| format!("[{c}]"));
    }
    Some(args.join(" "))
}

pub fn comm(pid: i32) -> Option<String> {
    let raw = super::procfs::read_small(format!("/proc/{pid}/comm")).ok()?;
    Some(raw.trim_end_matches('\n').to_string())
}

/// Sends `signal` to `pid` (forwarding a SIGINT/SIGTERM to a command we run).
pub fn signal(pid: i32, signal: i32) -> std::io::Result<()> {
    if pid <= 0 {
        // 0 and negative pids name process groups to kill(2): never signal them.
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("pid {pid} names no single process"),
        ));
    }
    let signal = nix::sys::signal::Signal::try_from(signal)?;
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal)?;
    Ok(())
}

/// Capability numbers (linux/capability.h).
pub const CAP_FOWNER: u32 = 3;
pub const CAP_SYS_ADMIN: u32 = 21;

/// The effective capability set of this process (`CapEff:` of /proc/self/status).
pub fn effective_capabilities() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_cap_eff(&status)
}

pub fn parse_cap_eff(status: &str) -> Option<u64> {
    let line = status.lines().find_map(|l| l.strip_prefix("CapEff:"))?;
    u64::from_str_radix(line.trim(), 16).ok()
}

/// The effective uid of this process.
pub fn effective_uid() -> u32 {
    nix::unistd::geteuid().as_raw()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_after_last_paren() {
        let stat = "4242 (evil) name) (x) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 50";
        assert_eq!(
            parse_stat(stat),
            Some(TaskStat {
                state: 'S',
                threads: 1,
                start_ticks: 987654
            })
        );
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(parse_stat("1 (x) S 1 2"), None);
        let no_state = "1 (x)  1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20";
        assert_eq!(parse_stat(no_state), None);
        let long_state = "1 (x) SZ 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654";
        assert_eq!(parse_stat(long_state), None);
    }

    /// Lines as this kernel (6.18) prints them: a zombie; a thread-group leader that called
    /// pthread_exit while another thread runs (Z, 2 threads); that other thread, looked up
    /// by its tid; a process being reaped.
    #[test]
    fn zombies_and_leaders_that_left_early() {
        let zombie = "16204 (z) Z 16202 16202 8658 0 -1 4227148 96 0 0 0 0 0 0 0 20 0 1 0 879012 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        let zombie = parse_stat(zombie).expect("parses");
        assert!(zombie.exited());
        assert_eq!(zombie.start_ticks, 879012);
        let leader = "16037 (z) Z 1 16022 8658 0 -1 4227084 129 0 0 0 0 0 0 0 20 0 2 0 878934 0 0 18446744073709551615";
        assert!(!parse_stat(leader).expect("parses").exited());
        let thread = "16039 (z) S 1 16022 8658 0 -1 4194368 129 0 0 0 0 0 0 0 20 0 2 0 879034 9437184 222 18446744073709551615";
        assert!(!parse_stat(thread).expect("parses").exited());
        let reaped = "77 (a b) X 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5000";
        assert!(parse_stat(reaped).expect("parses").exited());
        let running = "77 (a) R 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5000";
        assert!(!parse_stat(running).expect("parses").exited());
    }

    #[test]
    fn capabilities_from_status() {
        let status = "Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t0000000000200008\n";
        let caps = parse_cap_eff(status).expect("CapEff");
        assert_ne!(caps & (1 << CAP_SYS_ADMIN), 0);
        assert_ne!(caps & (1 << CAP_FOWNER), 0);
        assert_eq!(parse_cap_eff("Name: x"), None);
    }

    #[test]
    fn own_process_is_present_with_a_start_time() {
        let mut table = ProcessTable::new();
        let me = std::process::id() as i32;
        match table.presence(me) {
            Presence::Present { started: Some(t) } => {
                let now = crate::sys::now_unix() as f64;
                assert!(
                    t <= now + 1.0 && t > now - 86_400.0 * 365.0,
                    "start {t} now {now}"
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn reaped_child_is_absent() {
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("spawn true");
        let pid = child.id() as i32;
        child.wait().expect("wait");
        // The pid could be reused within the test run, but not this fast in practice; if it
        // were, Present is the safe answer and the assertion names it.
        assert_eq!(
            ProcessTable::new().presence(pid),
            Presence::Absent,
            "pid {pid} reused?"
        );
    }
}
