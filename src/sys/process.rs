//! Facts about processes: does a pid exist, when did it start, what is its command line.
use std::collections::HashMap;

use crate::model::Presence;

/// `kill(pid, 0)`: ESRCH proves the pid is free; success or EPERM mean it exists
/// (a process hidden by `hidepid` is hidden, not dead).
fn exists(pid: i32) -> bool {
    if pid <= 0 {
        // 0 and negative pids name process groups to kill(2): never probe them.
        return true;
    }
    // SAFETY: signal 0 performs only the existence and permission checks; nothing is sent.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || super::errno() != libc::ESRCH
}

/// Field 22 of /proc/PID/stat (start time in clock ticks since boot). The command name in
/// field 2 may contain spaces and parentheses, so fields are counted after the *last* `)`.
pub fn parse_start_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // After ")" come field 3 (state) onwards: field 22 is the 20th of them.
    rest.split_ascii_whitespace().nth(19)?.parse().ok()
}

/// Converts boot-relative ticks to Unix time: start = (REALTIME − BOOTTIME) + ticks / HZ.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    boot_epoch: f64,
    ticks_per_second: f64,
}

impl Clock {
    pub fn new() -> Clock {
        let read = |clock: libc::clockid_t| {
            let mut ts = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: `ts` is a valid, writable timespec.
            unsafe { libc::clock_gettime(clock, &mut ts) };
            ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
        };
        let boot_epoch = read(libc::CLOCK_REALTIME) - read(libc::CLOCK_BOOTTIME);
        // SAFETY: sysconf only reads a configuration value.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        Clock {
            boot_epoch,
            ticks_per_second: if hz > 0 { hz as f64 } else { 100.0 },
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
}

impl ProcessTable {
    pub fn new() -> ProcessTable {
        ProcessTable::default()
    }

    /// pid 0 (and below) names no process: it is never probed.
    pub fn presence(&mut self, pid: i32) -> Presence {
        if pid <= 0 {
            return Presence::Present { started: None };
        }
        let clock = self.clock;
        *self.seen.entry(pid).or_insert_with(|| probe(pid, &clock))
    }
}

fn probe(pid: i32, clock: &Clock) -> Presence {
    if !exists(pid) {
        return Presence::Absent;
    }
    let started = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| parse_start_ticks(&stat))
        .map(|ticks| clock.unix_time(ticks));
    if started.is_none() && !exists(pid) {
        // It exited between the two looks.
        return Presence::Absent;
    }
    Presence::Present { started }
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
    let raw = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    Some(raw.trim_end_matches('\n').to_string())
}

/// Sends `signal` to `pid` (forwarding a SIGINT/SIGTERM to a command we run).
pub fn signal(pid: i32, signal: i32) -> std::io::Result<()> {
    if pid <= 0 {
        return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
    }
    // SAFETY: kill with a positive pid affects only that process; no memory is touched.
    if unsafe { libc::kill(pid, signal) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// The effective uid of this process.
pub fn effective_uid() -> u32 {
    // SAFETY: geteuid cannot fail and touches no memory.
    unsafe { libc::geteuid() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_ticks_after_last_paren() {
        let stat = "4242 (evil) name) (x) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 50";
        assert_eq!(parse_start_ticks(stat), Some(987654));
        assert_eq!(parse_start_ticks("garbage"), None);
        assert_eq!(parse_start_ticks("1 (x) S 1 2"), None);
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
