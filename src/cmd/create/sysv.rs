//! `create --kind sem` and `--kind msg`: semget and msgget, as `ipcmk -S` and `ipcmk -Q` do,
//! with an existing key returned (unless `--exclusive`) as shmget returns a segment.
use crate::cli::CreateArgs;
use crate::error::{Error, Result};
use crate::model::{key_hex, Created, NewObject};
use crate::render;
use crate::sys::{msg, sem, SysError};

use super::super::Context;
use super::{access_asked, not_yours};

/// A semaphore set of `--nsems` semaphores, every one set to `--value` when given.
pub fn semaphore_set(ctx: Context, args: &CreateArgs, key: u32) -> Result<Created> {
    // check_options asks for --nsems; the parser refuses 0.
    let nsems = args.nsems.unwrap_or(1);
    let limits = sem::limits().ok();
    if let Some(limits) = &limits {
        if nsems > limits.max_per_set {
            return Err(Error::Usage(format!(
                "--nsems {nsems} is more than a set may hold here (kernel.sem SEMMSL {})",
                limits.max_per_set
            )));
        }
    }
    let count = libc::c_int::try_from(nsems)
        .map_err(|_| Error::Usage(format!("--nsems {nsems} is more than a set may hold")))?;
    let max_value = limits.as_ref().map_or(32767, |l| l.max_value);
    let value = match args.value {
        Some(v) if u64::from(v) > max_value => {
            return Err(Error::Usage(format!(
                "--value {v} is more than a semaphore may hold here (kernel SEMVMX {max_value})"
            )))
        }
        Some(v) => Some(
            u16::try_from(v)
                .map_err(|_| Error::Usage(format!("--value {v} is more than a semaphore holds")))?,
        ),
        None => None,
    };

    let flags = libc::IPC_CREAT | libc::IPC_EXCL | args.mode as i32;
    match sem::get(key, count, flags) {
        Ok(id) => {
            if let Some(value) = value {
                if let Err(e) = sem::set_all(id, value) {
                    // Ours and not yet what was asked for: none is better.
                    sem::remove(id).ok();
                    return Err(Error::sys(
                        format!("setting the semaphores of set {id} to {value} (not created)"),
                        e,
                    ));
                }
            }
            Ok(Created {
                object: NewObject::Set {
                    id,
                    key,
                    nsems,
                    value: value.map(u32::from),
                },
                created: true,
            })
        }
        Err(e) if e.errno() == Some(libc::EEXIST) && !args.exclusive => {
            // semget without IPC_EXCL: the existing set, if it has enough semaphores and the
            // caller has the access it asks for. Its values are left alone.
            let access = access_asked(args.mode);
            let id = sem::get(key, count, access as i32).map_err(|e| match e.errno() {
                Some(libc::EINVAL) => Error::Failed(format!(
                    "a semaphore set with key {} exists but has fewer than {nsems} semaphores",
                    key_hex(key)
                )),
                Some(libc::EACCES) => {
                    let owner = sem::enumerate()
                        .ok()
                        .and_then(|(sets, _)| sets.into_iter().find(|s| s.key == key))
                        .map(|s| (s.uid, s.mode & 0o777));
                    not_yours("a semaphore set", key, owner, args.mode, access, e)
                }
                _ => explain_sem(key, nsems, e),
            })?;
            if let Some(value) = value {
                render::note(
                    ctx.quiet,
                    &format!(
                        "the set with key {} exists: its values were left as they are, not set \
                         to {value}",
                        key_hex(key)
                    ),
                );
            }
            let nsems = sem::stat(id).map_or(nsems, |s| s.nsems);
            Ok(Created {
                object: NewObject::Set {
                    id,
                    key,
                    nsems,
                    value: None,
                },
                created: false,
            })
        }
        Err(e) => Err(explain_sem(key, nsems, e)),
    }
}

fn explain_sem(key: u32, nsems: u64, e: SysError) -> Error {
    let what = match e.errno() {
        Some(libc::EEXIST) => format!(
            "a semaphore set with key {} exists (--exclusive only creates new ones)",
            key_hex(key)
        ),
        Some(libc::EINVAL) => format!(
            "cannot create a set of {nsems} semaphores: outside the limits (see `shmctl limits`)"
        ),
        Some(libc::ENOSPC) => "no room: the maximum number of sets (SEMMNI) or of semaphores \
                               (SEMMNS) is reached"
            .to_string(),
        Some(libc::ENOMEM) => format!("cannot create {nsems} semaphores: out of memory"),
        _ => format!("creating a semaphore set with key {}", key_hex(key)),
    };
    Error::sys(what, e)
}

/// A message queue, holding at most `--qbytes` when given.
pub fn queue(ctx: Context, args: &CreateArgs, key: u32) -> Result<Created> {
    let flags = libc::IPC_CREAT | libc::IPC_EXCL | args.mode as i32;
    let (id, created) = match msg::get(key, flags) {
        Ok(id) => {
            if let Some(qbytes) = args.qbytes {
                if let Err(e) = msg::set_max_bytes(id, qbytes) {
                    msg::remove(id).ok();
                    return Err(qbytes_refused(qbytes, e));
                }
            }
            (id, true)
        }
        Err(e) if e.errno() == Some(libc::EEXIST) && !args.exclusive => {
            let access = access_asked(args.mode);
            let id = msg::get(key, access as i32).map_err(|e| match e.errno() {
                Some(libc::EACCES) => {
                    let owner = msg::enumerate()
                        .ok()
                        .and_then(|(queues, _)| queues.into_iter().find(|q| q.key == key))
                        .map(|q| (q.uid, q.mode & 0o777));
                    not_yours("a message queue", key, owner, args.mode, access, e)
                }
                _ => explain_msg(key, e),
            })?;
            if let Some(qbytes) = args.qbytes {
                render::note(
                    ctx.quiet,
                    &format!(
                        "the queue with key {} exists: its qbytes was left as it is, not set to \
                         {qbytes}",
                        key_hex(key)
                    ),
                );
            }
            (id, false)
        }
        Err(e) => return Err(explain_msg(key, e)),
    };
    let max_bytes = msg::stat(id)
        .map_err(|e| Error::sys(format!("reading message queue {id}"), e))?
        .max_bytes;
    Ok(Created {
        object: NewObject::Queue { id, key, max_bytes },
        created,
    })
}

/// IPC_SET of qbytes refused: above kernel.msgmnb it takes CAP_SYS_RESOURCE (EPERM, exit 4).
fn qbytes_refused(qbytes: u64, e: SysError) -> Error {
    let limit = msg::limits()
        .map(|l| format!(" ({})", l.max_queue_bytes))
        .unwrap_or_default();
    let what = match e.errno() {
        Some(libc::EPERM) => format!(
            "--qbytes {qbytes} is more than kernel.msgmnb{limit} and raising a queue above it \
             needs CAP_SYS_RESOURCE: not created"
        ),
        _ => format!("setting the queue's qbytes to {qbytes}: not created"),
    };
    Error::sys(what, e)
}

fn explain_msg(key: u32, e: SysError) -> Error {
    let what = match e.errno() {
        Some(libc::EEXIST) => format!(
            "a message queue with key {} exists (--exclusive only creates new ones)",
            key_hex(key)
        ),
        Some(libc::ENOSPC) => {
            "no room: the maximum number of message queues (kernel.msgmni) is reached".to_string()
        }
        Some(libc::ENOMEM) => "cannot create a message queue: out of memory".to_string(),
        _ => format!("creating a message queue with key {}", key_hex(key)),
    };
    Error::sys(what, e)
}
