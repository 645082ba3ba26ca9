//! The test infrastructure for the other IPC kinds, end to end with the system's own tools
//! (ls, cat, ipcs, lsipc) and not shmctl: `Ns::with_mounts` and the helper's semaphore,
//! message queue and POSIX operations.
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::*;

/// Runs `program args` inside the namespace; its stdout (asserting exit 0).
fn run(ns: &Ns, program: &str, args: &[&str]) -> String {
    let out = ns.command(program).args(args).output().expect(program);
    let mut what = vec![program];
    what.extend_from_slice(args);
    assert_success(&out, &what);
    text(&out.stdout)
}

/// The rows of `ipcs -s -i ID` as (semnum, value, ncount).
fn sem_rows(ns: &Ns, id: i32) -> Vec<(u32, i64, u32)> {
    let out = run(ns, "ipcs", &["-s", "-i", &id.to_string()]);
    out.lines()
        .skip_while(|l| !l.starts_with("semnum"))
        .skip(1)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            match cols[..] {
                [num, value, ncount, ..] => {
                    Some((num.parse().ok()?, value.parse().ok()?, ncount.parse().ok()?))
                }
                _ => None,
            }
        })
        .collect()
}

/// The `ipcs` line of the object with this key ("0x0000005e …").
fn ipcs_line(listing: &str, key: &str) -> Vec<String> {
    listing
        .lines()
        .find(|l| l.starts_with(key))
        .unwrap_or_else(|| panic!("no {key} in\n{listing}"))
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// A JSON field as text: lsipc prints numbers as strings in some versions.
fn field(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

#[test]
fn posix_objects_live_in_the_namespace_s_own_dev_shm_and_dev_mqueue() {
    let Some(ns) = Ns::with_mounts() else { return };
    let tag = format!("kinds-smoke-{}", std::process::id());
    let (shm, sem, mq) = (
        format!("{tag}-shm"),
        format!("{tag}-sem"),
        format!("{tag}-mq"),
    );
    let helper = ns.spawn_helper(&[
        "pshm",
        &format!("/{shm}"),
        "4096",
        "0640",
        "pshmmap",
        "pshmwrite",
        "hello",
        "close",
        "psem",
        &format!("/{sem}"),
        "3",
        "0600",
        "mq",
        &format!("/{mq}"),
        "0600",
        "mqsend",
        "one",
        "mqsend",
        "two",
    ]);
    assert_eq!(helper.lines, ["created", "mapped", "created", "created"]);

    let listing = run(&ns, "ls", &["-la", "/dev/shm"]);
    let shm_line = ipcs_line(&listing, "-rw-r-----");
    assert_eq!(
        (shm_line[4].as_str(), shm_line[8].as_str()),
        ("4096", shm.as_str()),
        "{listing}"
    );
    assert!(listing.contains(&format!("sem.{sem}")), "{listing}");
    assert!(run(&ns, "cat", &[&format!("/dev/shm/{shm}")]).starts_with("hello\0"));
    let status = run(&ns, "cat", &[&format!("/dev/mqueue/{mq}")]);
    assert!(status.starts_with("QSIZE:6 "), "{status}");

    // The helper keeps the segment mapped after closing its fd, and the semaphore mapped:
    // glibc's sem_open creates it under a temporary name and links it, so its mapping
    // shows as "/dev/shm/sem.XXXXXX (deleted)", with the inode of sem.NAME.
    let maps = run(&ns, "cat", &[&format!("/proc/{}/maps", helper.pid)]);
    assert!(maps.contains(&format!("/dev/shm/{shm}\n")), "{maps}");
    let inode = run(&ns, "stat", &["-c", "%i", &format!("/dev/shm/sem.{sem}")]);
    assert!(
        maps.lines()
            .any(|l| l.contains(" /dev/shm/sem.")
                && l.split_whitespace().nth(4) == Some(inode.trim())),
        "no mapping of inode {inode}: {maps}"
    );

    // The rebuilt /dev still has working devices.
    run(
        &ns,
        "sh",
        &["-c", "echo x >/dev/null && head -c1 /dev/zero >/dev/null"],
    );

    // None of it reached the host.
    let host = |dir: &str| -> Vec<String> {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(
        !host("/dev/shm").iter().any(|name| name.contains(&tag)),
        "the host's /dev/shm has the namespace's objects: {:?}",
        host("/dev/shm")
    );
    assert!(!host("/dev/mqueue").iter().any(|name| name.contains(&tag)));
}

#[test]
fn semaphore_sets_and_message_queues_show_in_ipcs_and_lsipc() {
    let Some(ns) = Ns::with_mounts() else { return };
    let helper = ns.spawn_helper(&[
        "semcreate",
        "0x5e",
        "3",
        "0600",
        "semset",
        "0",
        "1",
        "semop",
        "1",
        "3",
        "semop",
        "1",
        "-1",
        "semwait",
        "2",
        "msgcreate",
        "0x3e",
        "0640",
        "msgsend",
        "1",
        "hello",
        "msgsend",
        "2",
        "world",
    ]);
    let [semid, msqid] = helper.ids[..] else {
        panic!("ids: {:?}", helper.lines)
    };
    assert_eq!(
        pids(&helper.lines.join("\n")).len(),
        1,
        "{:?}",
        helper.lines
    );
    assert!(helper.lines.iter().any(|l| l == "waiting"));

    let sems = run(&ns, "ipcs", &["-s"]);
    assert_eq!(ipcs_line(&sems, "0x0000005e")[1], semid.to_string());
    assert_eq!(
        sem_rows(&ns, semid),
        [(0, 1, 0), (1, 2, 0), (2, 0, 1)],
        "values set, and one waiter on semaphore 2"
    );
    let queues = run(&ns, "ipcs", &["-q"]);
    let queue = ipcs_line(&queues, "0x0000003e");
    assert_eq!(
        (queue[1].as_str(), queue[4].as_str(), queue[5].as_str()),
        (msqid.to_string().as_str(), "10", "2"),
        "id, used-bytes, messages"
    );

    let doc: Value = serde_json::from_str(&run(&ns, "lsipc", &["-s", "--json"])).expect("json");
    let set = &doc["semaphores"][0];
    assert_eq!(
        (field(&set["key"]), field(&set["id"]), field(&set["nsems"])),
        ("0x0000005e".into(), semid.to_string(), "3".into()),
        "{doc}"
    );
    let doc: Value = serde_json::from_str(&run(&ns, "lsipc", &["-q", "--json"])).expect("json");
    assert_eq!(field(&doc["messages"][0]["msgs"]), "2", "{doc}");

    let received = ns.run_helper_output(&["msguse", &msqid.to_string(), "msgrecv"]);
    assert_eq!(received, "received=hello\n");
    assert_eq!(ipcs_line(&run(&ns, "ipcs", &["-q"]), "0x0000003e")[5], "1");
}

#[test]
fn a_semaphore_waiter_dies_with_its_helper() {
    let Some(ns) = Ns::with_mounts() else { return };
    let helper = ns.spawn_helper(&["semcreate", "0x77", "1", "0600", "semwait", "0"]);
    let semid = helper.id();
    let waiter = pids(&helper.lines.join("\n"))[0];
    assert_eq!(sem_rows(&ns, semid), [(0, 0, 1)]);

    helper.crash();
    let deadline = Instant::now() + Duration::from_secs(5);
    while sem_rows(&ns, semid) != [(0, 0, 0)] {
        assert!(Instant::now() < deadline, "the waiter outlived its helper");
        std::thread::sleep(Duration::from_millis(10));
    }
    // Gone, or a zombie until its new parent reaps it. The semaphore lets go of a killed
    // waiter before the waiter has finished exiting (still `R`, its memory already freed),
    // so give it the same few seconds.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{waiter}/stat")).unwrap_or_default();
        if stat.is_empty() || stat.rsplit(')').next().is_some_and(|s| s.starts_with(" Z")) {
            break;
        }
        assert!(Instant::now() < deadline, "the waiter did not exit: {stat}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn mounts_and_a_pid_namespace_together() {
    let Some(ns) = Ns::with_mounts_and_pids() else {
        return;
    };
    let helper = ns.spawn_helper(&["mq", "/test1", "0600", "mqsend", "hi", "pid"]);
    let pid = pids(&helper.lines.join("\n"))[0];
    // Its own /proc: pid 1 is the holder, and the helper's pid is that namespace's.
    assert_eq!(run(&ns, "cat", &["/proc/1/comm"]), "sleep\n");
    let comm = run(&ns, "cat", &[&format!("/proc/{pid}/comm")]);
    assert!(comm.starts_with("shm-helper"), "{comm}");
    let status = run(&ns, "cat", &["/dev/mqueue/test1"]);
    assert!(status.starts_with("QSIZE:2 "), "{status}");
}
