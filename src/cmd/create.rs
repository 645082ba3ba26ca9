use std::io::Write;

use crate::cli::CreateArgs;
use crate::error::{Error, Exit, Result};
use crate::model::{key_hex, Created};
use crate::render;
use crate::sys::shm::{Access, Attachment};
use crate::sys::{ftok, shm, users::Names, SysError};
use crate::units::perms_string;

use super::input::Source;
use super::Context;

pub fn run(ctx: Context, args: &CreateArgs, out: &mut dyn Write) -> Result<Exit> {
    if let Some(record) = &args.from_archive {
        let (created, note) = crate::ipc::archive::restore(record, args.private)?;
        if let Some(note) = note {
            render::note(ctx.quiet, &note);
        }
        return show(ctx, &created, out);
    }
    let mut from = args.from.as_deref().map(Source::open).transpose()?;
    // clap requires --size unless --from or --from-archive.
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
    let key = match (&args.key, &args.ftok) {
        (Some(key), _) => *key,
        (None, Some((path, proj))) => {
            ftok::ftok(path, *proj)
                .map_err(|e| crate::ipc::select::ftok_error(path, e))?
                .key
        }
        (None, None) => 0, // IPC_PRIVATE
    };
    let exclusive = args.exclusive || from.is_some();
    let created = create(key, size, args.mode, exclusive)?;
    if let Some(source) = &mut from {
        fill(created.id, size, source)?;
    }
    show(ctx, &created, out)
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
    if created.created {
        render::note(ctx.quiet, &orphan_note(created.id));
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

fn create(key: u32, size: u64, mode: u32, exclusive: bool) -> Result<Created> {
    let flags = libc::IPC_CREAT | libc::IPC_EXCL | mode as i32;
    match shm::get(key, size, flags) {
        Ok(id) => Ok(Created {
            id,
            key,
            size,
            created: true,
        }),
        Err(e) if e.errno() == Some(libc::EEXIST) && !exclusive => {
            // As shmget does without IPC_EXCL: the existing segment, if it is large enough and
            // the caller has the access it asks for. The kernel checks the permission bits
            // given in the flags; with none it checks nothing, so mode 0 asks for read. Execute
            // bits mean nothing to a segment and are not asked for.
            let access = match mode & 0o666 {
                0 => 0o400,
                bits => bits,
            };
            let id = shm::get(key, size, access as i32).map_err(|e| match e.errno() {
                Some(libc::EINVAL) => Error::Failed(format!(
                    "a segment with key {} exists but is smaller than {size} bytes",
                    key_hex(key)
                )),
                Some(libc::EACCES) => not_yours(key, mode, access, e),
                _ => explain(key, size, e),
            })?;
            let size = shm::stat(id).map(|s| s.size).unwrap_or(size);
            Ok(Created {
                id,
                key,
                size,
                created: false,
            })
        }
        Err(e) => Err(explain(key, size, e)),
    }
}

/// EACCES on an existing key: whose segment it is, and what was asked for.
fn not_yours(key: u32, mode: u32, access: u32, e: SysError) -> Error {
    let owner = shm::enumerate()
        .ok()
        .and_then(|(segments, _)| segments.into_iter().find(|s| s.key == key))
        .map_or_else(
            || "another user".to_string(),
            |s| {
                let name = Names::default().user(s.uid);
                let name = name
                    .as_deref()
                    .map_or_else(|| s.uid.to_string(), String::from);
                format!(
                    "{name} (uid {}) with mode {:04o} {}",
                    s.uid,
                    s.perms(),
                    perms_string(s.perms())
                )
            },
        );
    let asked = if mode & 0o666 == 0 {
        "the least any use needs".to_string()
    } else {
        format!("from --mode {mode:04o}")
    };
    Error::sys(
        format!(
            "a segment with key {} exists, owned by {owner}, and this user lacks the access \
             asked for ({}, {asked})",
            key_hex(key),
            perms_string(access),
        ),
        e,
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
