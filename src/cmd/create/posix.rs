//! `create --kind pshm|psem|pmq`: shm_open, sem_open and mq_open with O_CREAT, as
//! util-linux 2.41's `ipcmk` does, with an existing name returned (unless `--exclusive`).
use crate::cli::CreateArgs;
use crate::error::{Error, Result};
use crate::model::{Created, NewObject};
use crate::objects::{Kind, PosixObject};
use crate::render;
use crate::sys::{mqueue, posix, psem, SysError};

use super::super::Context;
use super::owner_text;

/// glibc's SEM_VALUE_MAX: the largest value sem_open takes (EINVAL above).
const SEM_VALUE_MAX: u32 = i32::MAX as u32;

/// How often a name that exists when creating, but not when opening (removed in between),
/// is tried again.
const ATTEMPTS: usize = 3;

pub fn create(ctx: Context, kind: Kind, args: &CreateArgs) -> Result<Created> {
    if let Some(why) = posix::unavailable(kind) {
        return Err(Error::Failed(format!(
            "cannot create a {kind} object here: {why}"
        )));
    }
    // check_options asks for --name.
    let given = args.name.as_deref().unwrap_or_default();
    let bare = posix::normalise_name(kind, given).map_err(|e| Error::Usage(e.to_string()))?;
    let name = format!("/{bare}");
    let c_name = posix::c_name(bare).map_err(|e| Error::sys(format!("creating {name}"), e))?;
    let make: Box<dyn Fn() -> Result<(), SysError>> = match kind {
        Kind::Pshm => {
            let size = args.size.unwrap_or(0);
            if size == 0 {
                return Err(Error::Usage(
                    "--size must be at least 1 byte for --kind pshm".to_string(),
                ));
            }
            if i64::try_from(size).is_err() {
                return Err(Error::Usage(format!(
                    "--size {size} is more than a file may hold"
                )));
            }
            Box::new(move || posix::create_shm(bare, size, args.mode))
        }
        Kind::Psem => {
            let value = args.value.unwrap_or(0);
            if value > SEM_VALUE_MAX {
                return Err(Error::Usage(format!(
                    "--value {value} is more than a named semaphore holds (SEM_VALUE_MAX \
                     {SEM_VALUE_MAX})"
                )));
            }
            let c_name = c_name.clone();
            Box::new(move || psem::create(&c_name, args.mode, value))
        }
        _ => {
            let (max_messages, max_message_bytes) = queue_size(args)?;
            let c_name = c_name.clone();
            Box::new(move || mqueue::create(&c_name, args.mode, max_messages, max_message_bytes))
        }
    };
    let open = || -> Result<(), SysError> {
        match kind {
            Kind::Pshm => posix::open_shm(bare).map(drop),
            Kind::Psem => psem::open(&c_name),
            _ => mqueue::open(&c_name).map(drop),
        }
    };

    let mut created = None;
    for _ in 0..ATTEMPTS {
        match make() {
            Ok(()) => created = Some(true),
            Err(e) if e.errno() == Some(libc::EEXIST) && !args.exclusive => match open() {
                Ok(()) => created = Some(false),
                // Removed since: try creating it again.
                Err(e) if e.errno() == Some(libc::ENOENT) => continue,
                Err(e) => return Err(explain(kind, &name, args, e)),
            },
            Err(e) => return Err(explain(kind, &name, args, e)),
        }
        break;
    }
    let Some(created) = created else {
        return Err(Error::Failed(format!(
            "{name} kept appearing and vanishing: another process creates and removes it"
        )));
    };
    let object = posix::stat(kind, bare).map_err(|e| Error::io(format!("reading {name}"), e))?;
    if created && kind == Kind::Psem && object.mode != args.mode & 0o777 {
        // sem_open gives the mode less the umask; --mode means the bits given.
        if let Err(e) = posix::set_mode(&object.path, object.dev, object.ino, args.mode & 0o777) {
            // Ours unless the name already stands for another file (NotFound): that one stays.
            if e.kind() != std::io::ErrorKind::NotFound {
                posix::unlink(&object.path).ok();
            }
            return Err(Error::io(
                format!("setting the mode of {name} (not created)"),
                e,
            ));
        }
    }
    if !created {
        left_alone(ctx, kind, &name, args);
    }
    Ok(Created {
        object: new_object(kind, name, object, &c_name, args)?,
        created,
    })
}

/// --maxmsg and --msgsize, each defaulting to the namespace's fs.mqueue default.
fn queue_size(args: &CreateArgs) -> Result<(u64, u64)> {
    if let (Some(max_messages), Some(bytes)) = (args.maxmsg, args.msgsize) {
        return Ok((max_messages, bytes));
    }
    let limits = posix::mqueue_limits().map_err(|e| {
        Error::io(
            "reading the defaults of --maxmsg and --msgsize (/proc/sys/fs/mqueue)",
            e,
        )
    })?;
    Ok((
        args.maxmsg.unwrap_or(limits.default_messages),
        args.msgsize.unwrap_or(limits.default_message_bytes),
    ))
}

/// An existing object is returned as it is: say which options were not applied to it.
fn left_alone(ctx: Context, kind: Kind, name: &str, args: &CreateArgs) {
    let ignored: Vec<&str> = [
        ("--value", args.value.is_some()),
        ("--maxmsg", args.maxmsg.is_some()),
        ("--msgsize", args.msgsize.is_some()),
    ]
    .into_iter()
    .filter(|&(_, given)| given)
    .map(|(option, _)| option)
    .collect();
    if !ignored.is_empty() {
        render::note(
            ctx.quiet,
            &format!(
                "{kind} {name} exists and was left as it is ({} not applied)",
                ignored.join(", ")
            ),
        );
    }
}

fn new_object(
    kind: Kind,
    name: String,
    object: PosixObject,
    c_name: &std::ffi::CStr,
    args: &CreateArgs,
) -> Result<NewObject> {
    Ok(match kind {
        Kind::Pshm => {
            let wanted = args.size.unwrap_or(0);
            if object.size < wanted {
                return Err(Error::Failed(format!(
                    "a pshm object {name} exists but is smaller than {wanted} bytes"
                )));
            }
            NewObject::PosixShm {
                name,
                path: object.path,
                size: object.size,
            }
        }
        Kind::Psem => NewObject::PosixSem {
            name,
            path: object.path,
            value: object.semaphore.map(|s| s.value),
        },
        _ => {
            let (max_messages, max_message_bytes) = mqueue::open(c_name)
                .map_err(|e| Error::sys(format!("reading the attributes of {name}"), e))?;
            NewObject::PosixQueue {
                name,
                path: object.path,
                max_messages,
                max_message_bytes,
            }
        }
    })
}

fn explain(kind: Kind, name: &str, args: &CreateArgs, e: SysError) -> Error {
    let owner = || {
        posix::normalise_name(kind, name)
            .ok()
            .and_then(|bare| posix::stat(kind, bare).ok())
            .map(|o| (o.uid, o.mode))
    };
    let what = match e.errno() {
        Some(libc::EEXIST) => {
            format!("a {kind} object {name} exists (--exclusive only creates new ones)")
        }
        Some(libc::EACCES) => match owner() {
            Some(owner) => format!(
                "a {kind} object {name} exists, owned by {}, and this user may not open it \
                 for reading and writing",
                owner_text(Some(owner))
            ),
            None => format!("creating the {kind} object {name}"),
        },
        Some(libc::EINVAL) if kind == Kind::Pmq => {
            let (max_messages, bytes) = queue_size(args).unwrap_or((0, 0));
            let limits = posix::mqueue_limits()
                .map(|l| {
                    format!(
                        " (fs.mqueue.msg_max {}, msgsize_max {}; beyond them takes \
                         CAP_SYS_RESOURCE)",
                        l.max_messages, l.max_message_bytes
                    )
                })
                .unwrap_or_default();
            format!(
                "cannot create {name} with --maxmsg {max_messages} and --msgsize {bytes}: \
                 outside the limits{limits}"
            )
        }
        Some(libc::ENOSPC) if kind == Kind::Pmq => {
            "no room: the maximum number of queues (fs.mqueue.queues_max) is reached".to_string()
        }
        Some(libc::EMFILE) if kind == Kind::Pmq => format!(
            "cannot create {name}: the queues' memory limit (RLIMIT_MSGQUEUE, `ulimit -q`) or \
             the descriptor limit is reached"
        ),
        Some(libc::ENOSPC) => format!("cannot create {name}: /dev/shm is full"),
        _ => format!("creating the {kind} object {name}"),
    };
    Error::sys(what, e)
}
