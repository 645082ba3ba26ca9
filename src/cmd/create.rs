//! `create`: a System V segment (here), semaphore set or message queue (`sysv`), or a POSIX
//! shared memory object, named semaphore or message queue (`posix`).
use std::io::Write;

use crate::cli::CreateArgs;
use crate::error::{Error, Exit, Result};
use crate::model::{key_hex, Created, NewObject};
use crate::objects::Kind;
use crate::render;
use crate::sys::shm::{Access, Attachment};
use crate::sys::{ftok, shm, users::Names, SysError};
use crate::units::perms_string;

use super::input::Source;
use super::Context;

mod posix;
mod sysv;

pub fn run(ctx: Context, args: &CreateArgs, out: &mut dyn Write) -> Result<Exit> {
    if let Some(record) = &args.from_archive {
        let (created, note) = crate::ipc::archive::restore(record, args.private)?;
        if let Some(note) = note {
            render::note(ctx.quiet, &note);
        }
        return show(ctx, &created, out);
    }
    let kind = args.kind.unwrap_or(Kind::Shm);
    check_options(kind, args)?;
    let created = match kind {
        Kind::Shm => segment(args)?,
        Kind::Sem => sysv::semaphore_set(ctx, args, key(args)?)?,
        Kind::Msg => sysv::queue(ctx, args, key(args)?)?,
        Kind::Pshm | Kind::Psem | Kind::Pmq => posix::create(ctx, kind, args)?,
    };
    show(ctx, &created, out)
}

/// Refuses options that mean nothing to `kind`, and asks for those it cannot do without:
/// a usage error (exit 2), before anything is created.
fn check_options(kind: Kind, args: &CreateArgs) -> Result<()> {
    use Kind::{Msg, Pmq, Psem, Pshm, Sem, Shm};
    const SYSV: &[Kind] = &[Shm, Sem, Msg];
    let applies: [(&str, bool, &[Kind]); 11] = [
        ("--size", args.size.is_some(), &[Shm, Pshm]),
        ("--key", args.key.is_some(), SYSV),
        ("--ftok", args.ftok.is_some(), SYSV),
        ("--private", args.private, SYSV),
        ("--from", args.from.is_some(), &[Shm]),
        ("--nsems", args.nsems.is_some(), &[Sem]),
        ("--value", args.value.is_some(), &[Sem, Psem]),
        ("--qbytes", args.qbytes.is_some(), &[Msg]),
        ("--name", args.name.is_some(), &[Pshm, Psem, Pmq]),
        ("--maxmsg", args.maxmsg.is_some(), &[Pmq]),
        ("--msgsize", args.msgsize.is_some(), &[Pmq]),
    ];
    for (option, given, kinds) in applies {
        if given && !kinds.contains(&kind) {
            let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
            return Err(Error::Usage(format!(
                "{option} does not apply to --kind {kind} (only to {})",
                kinds.join(", ")
            )));
        }
    }
    let needs: &[(&str, bool)] = match kind {
        Shm => &[("--size", args.size.is_some() || args.from.is_some())],
        Sem => &[("--nsems", args.nsems.is_some())],
        Msg => &[],
        Pshm => &[
            ("--name", args.name.is_some()),
            ("--size", args.size.is_some()),
        ],
        Psem | Pmq => &[("--name", args.name.is_some())],
    };
    match needs.iter().find(|(_, given)| !given) {
        Some((option, _)) => Err(Error::Usage(format!("--kind {kind} needs {option}"))),
        None => Ok(()),
    }
}

/// The key of a System V object: `--key`, `--ftok`, or IPC_PRIVATE.
fn key(args: &CreateArgs) -> Result<u32> {
    Ok(match (&args.key, &args.ftok) {
        (Some(key), _) => *key,
        (None, Some((path, proj))) => {
            ftok::ftok(path, *proj)
                .map_err(|e| crate::ipc::select::ftok_error(path, e))?
                .key
        }
        (None, None) => 0, // IPC_PRIVATE
    })
}

fn segment(args: &CreateArgs) -> Result<Created> {
    let mut from = args.from.as_deref().map(Source::open).transpose()?;
    // check_options requires --size unless --from.
    let size = match (&from, args.size) {
        (Some(Source { len: Some(len), .. }), size) => size.unwrap_or(0).max(*len),
        (Some(_), Some(size)) => size,
        (Some(source), None) => {
            return Err(Error::Usage(format!(
                "--from {} is not a regular file (a pipe or a device): how much it holds is \
                 known only by reading it, so give --size (at most that many bytes are read)",
                source.name
            )))
        }
        (None, Some(size)) => size,
        (None, None) => return Err(Error::Usage("--size is required".to_string())),
    };
    if let (Some(source), Ok(limits)) = (&from, shm::limits()) {
        if size > limits.max_segment_bytes {
            return Err(Error::Failed(format!(
                "--from {}: {size} bytes is more than a segment may hold here \
                 (kernel.shmmax {})",
                source.name, limits.max_segment_bytes
            )));
        }
    }
    let key = key(args)?;
    let exclusive = args.exclusive || from.is_some();
    let (id, size, created) = create(key, size, args.mode, exclusive)?;
    if let Some(source) = &mut from {
        fill(id, size, source)?;
    }
    Ok(Created {
        object: NewObject::Segment { id, key, size },
        created,
    })
}

/// How much of a `--from` file is held in memory at once.
const CHUNK: usize = 1 << 20;

/// Streams a file's bytes into the new segment, never more than `size`; a segment that
/// could not be filled, or whose file holds more, is removed.
fn fill(id: i32, size: u64, source: &mut Source) -> Result<()> {
    let filled = copy(id, size, source);
    if filled.is_err() {
        shm::remove(id).ok();
    }
    filled
}

fn copy(id: i32, size: u64, source: &mut Source) -> Result<()> {
    let failed = |e| Error::sys(format!("filling shm {id}"), e);
    let mut segment = Attachment::new(id, size, Access::ReadWrite).map_err(failed)?;
    let mut buf = vec![0u8; CHUNK.min(segment.len())];
    let mut offset = 0;
    while offset < segment.len() {
        let want = buf.len().min(segment.len() - offset);
        let n = source.read(&mut buf[..want])?;
        if n == 0 {
            return Ok(()); // shorter than the segment: the rest stays zero
        }
        segment.write_at(offset, &buf[..n]).map_err(failed)?;
        offset += n;
    }
    if source.read(&mut [0u8; 1])? > 0 {
        return Err(Error::Failed(format!(
            "--from {} holds more than {size} bytes (--size, or its size when it was opened): \
             not created",
            source.name
        )));
    }
    Ok(())
}

fn show(ctx: Context, created: &Created, out: &mut dyn Write) -> Result<Exit> {
    if let (true, crate::model::NewObject::Segment { id, .. }) = (created.created, &created.object)
    {
        render::note(ctx.quiet, &orphan_note(*id));
    }
    if ctx.json {
        render::json::created(out, created).map_err(Error::output)?;
    } else {
        render::table::created(out, created).map_err(Error::output)?;
    }
    Ok(Exit::Success)
}

/// A new segment that nothing attaches and whose creator (this run) is gone is what gc
/// removes: say so, and how to keep it.
fn orphan_note(id: i32) -> String {
    format!(
        "nothing attaches shm {id} and its creator (this shmctl) exits now, so the next \
         `shmctl gc` removes it as an orphan: keep it attached with `shmctl attach {id}` (or \
         `--exec -- CMD`), or run gc with --older-than"
    )
}

/// The access a call on an existing key asks for: the kernel checks the permission bits
/// given in the flags, and with none it checks nothing, so mode 0 asks for read. Execute
/// bits mean nothing to System V objects and are not asked for.
fn access_asked(mode: u32) -> u32 {
    match mode & 0o666 {
        0 => 0o400,
        bits => bits,
    }
}

/// (id, size, created).
fn create(key: u32, size: u64, mode: u32, exclusive: bool) -> Result<(i32, u64, bool)> {
    let flags = libc::IPC_CREAT | libc::IPC_EXCL | mode as i32;
    match shm::get(key, size, flags) {
        Ok(id) => Ok((id, size, true)),
        Err(e) if e.errno() == Some(libc::EEXIST) && !exclusive => {
            // As shmget does without IPC_EXCL: the existing segment, if it is large enough and
            // the caller has the access it asks for.
            let access = access_asked(mode);
            let id = shm::get(key, size, access as i32).map_err(|e| match e.errno() {
                Some(libc::EINVAL) => Error::Failed(format!(
                    "a segment with key {} exists but is smaller than {size} bytes",
                    key_hex(key)
                )),
                Some(libc::EACCES) => {
                    let owner = shm::enumerate()
                        .ok()
                        .and_then(|(segments, _)| segments.into_iter().find(|s| s.key == key))
                        .map(|s| (s.uid, s.perms()));
                    not_yours("a segment", key, owner, mode, access, e)
                }
                _ => explain(key, size, e),
            })?;
            let size = shm::stat(id).map(|s| s.size).unwrap_or(size);
            Ok((id, size, false))
        }
        Err(e) => Err(explain(key, size, e)),
    }
}

/// EACCES on an existing key: whose object it is (`owner`: uid and permission bits, when
/// known), and what was asked for.
fn not_yours(
    what: &str,
    key: u32,
    owner: Option<(u32, u32)>,
    mode: u32,
    access: u32,
    e: SysError,
) -> Error {
    let asked = if mode & 0o666 == 0 {
        "the least any use needs".to_string()
    } else {
        format!("from --mode {mode:04o}")
    };
    Error::sys(
        format!(
            "{what} with key {} exists, owned by {}, and this user lacks the access \
             asked for ({}, {asked})",
            key_hex(key),
            owner_text(owner),
            perms_string(access),
        ),
        e,
    )
}

/// `alice (uid 1000) with mode 0600 rw-------`, or `another user`.
fn owner_text(owner: Option<(u32, u32)>) -> String {
    let Some((uid, perms)) = owner else {
        return "another user".to_string();
    };
    let name = Names::default().user(uid);
    let name = name
        .as_deref()
        .map_or_else(|| uid.to_string(), String::from);
    format!(
        "{name} (uid {uid}) with mode {:04o} {}",
        perms,
        perms_string(perms)
    )
}

fn explain(key: u32, size: u64, e: SysError) -> Error {
    let what = match e.errno() {
        Some(libc::EEXIST) => format!(
            "a segment with key {} exists (--exclusive and --from only create new ones)",
            key_hex(key)
        ),
        Some(libc::EINVAL) => {
            format!("cannot create {size} bytes: outside the limits (see `shmctl limits`)")
        }
        Some(libc::ENOSPC) => {
            "no room: the maximum number of segments (shmmni) or total pages (shmall) is reached"
                .to_string()
        }
        Some(libc::ENOMEM) => format!("cannot create {size} bytes: out of memory"),
        _ => format!("creating a segment with key {}", key_hex(key)),
    };
    Error::sys(what, e)
}
