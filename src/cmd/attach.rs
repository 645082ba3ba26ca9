use std::io::Write;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::cli::AttachArgs;
use crate::encode;
use crate::error::{Error, Exit, Result};
use crate::model::key_hex;
use crate::render;
use crate::sys::shm::{self, Access, Attachment};
use crate::sys::{self, lock::Interrupts};

use super::types::Types;
use super::Context;

pub fn run(ctx: Context, args: &AttachArgs, out: &mut dyn Write) -> Result<Exit> {
    let segment = super::segment(&args.segment)?;
    let purpose = match (args.exec, args.set.is_empty()) {
        (true, _) => "hold it while the command runs",
        (false, false) => "set its fields",
        (false, true) => "hold it",
    };
    super::read::refuse_destroying_attach(&segment, args.force, purpose)?;
    let types = Types::for_segment(ctx, args.schema.as_deref(), &args.debug, &segment)?;
    let writes = match &types {
        Some(types) => planned_writes(args, types, segment.size)?,
        None => Vec::new(),
    };
    let access = if args.rw || !writes.is_empty() {
        Access::ReadWrite
    } else {
        Access::ReadOnly
    };
    let mut attachment = Attachment::new(segment.id, segment.size, access)
        .map_err(|e| Error::sys(format!("attaching shm {}", segment.id), e))?;
    for (path, write) in &writes {
        apply(&mut attachment, write).map_err(|e| Error::sys(format!("setting {path}"), e))?;
    }
    if !writes.is_empty() && !ctx.quiet {
        writeln!(
            out,
            "set {} field(s) of shm {} key {}",
            writes.len(),
            segment.id,
            key_hex(segment.key)
        )
        .map_err(Error::output)?;
    }
    let nattch = shm::stat(segment.id).map_or(0, |s| s.nattch);
    let mode = if access == Access::ReadWrite {
        "read-write"
    } else {
        "read-only"
    };
    if args.exec {
        render::note(
            ctx.quiet,
            &format!(
                "holding shm {} {mode} (nattch {nattch}) while {} runs",
                segment.id, args.command[0]
            ),
        );
        let status = run_command(&args.command)?;
        drop(attachment);
        return Ok(Exit::Status(status));
    }
    if !writes.is_empty() && !args.hold {
        return Ok(Exit::Success); // set and go
    }
    render::note(
        ctx.quiet,
        &format!(
            "holding shm {} {mode} (nattch {nattch}); SIGINT or SIGTERM detaches",
            segment.id
        ),
    );
    out.flush().map_err(Error::output)?;
    let mut signals =
        Signals::new([SIGINT, SIGTERM]).map_err(|e| Error::io("waiting for signals", e))?;
    let signal = signals.forever().next();
    drop(attachment);
    if !ctx.quiet {
        let how = signal.map_or("signal".to_string(), |s| format!("signal {s}"));
        writeln!(out, "detached from shm {} ({how})", segment.id).map_err(Error::output)?;
    }
    Ok(Exit::Success)
}

/// Every `--set`, encoded before anything is written: one value that does not fit and
/// nothing changes.
fn planned_writes(
    args: &AttachArgs,
    types: &Types,
    segment_size: u64,
) -> Result<Vec<(String, encode::Write)>> {
    let type_name = args.type_name.as_deref().unwrap_or_default();
    let (layouts, id) = types.find(type_name)?;
    let program = types.program();
    let fields = layouts.fields(id);
    let mut writes = Vec::new();
    for set in &args.set {
        let (path, value) = set
            .split_once('=')
            .ok_or_else(|| Error::Usage(format!("--set `{set}` is not FIELD=VALUE")))?;
        let field = fields.iter().find(|f| f.path == path).ok_or_else(|| {
            let known: Vec<&str> = fields.iter().map(|f| f.path.as_str()).collect();
            Error::Usage(format!(
                "--set: no field `{path}` in {type_name}; fields: {}",
                known.join(", ")
            ))
        })?;
        let write = encode::encode(program, &layouts, field, value)
            .map_err(|e| Error::Failed(format!("--set {path}: {e}")))?;
        if write.offset + write.bytes.len() as u64 > segment_size {
            return Err(Error::Failed(format!(
                "--set {path}: the field lies past the end of the segment ({segment_size} bytes)"
            )));
        }
        writes.push((path.to_string(), write));
    }
    Ok(writes)
}

/// Writes the bytes; for a bitfield, keeps the other bits of the bytes it shares.
fn apply(attachment: &mut Attachment, write: &encode::Write) -> Result<(), sys::SysError> {
    let offset = write.offset as usize;
    let bytes = match &write.mask {
        None => write.bytes.clone(),
        Some(mask) => {
            let mut current = vec![0u8; mask.len()];
            attachment.read_at(offset, &mut current);
            current
                .iter()
                .zip(mask)
                .zip(&write.bytes)
                .map(|((c, m), b)| (c & !m) | (b & m))
                .collect()
        }
    };
    attachment.write_at(offset, &bytes)
}

/// Runs CMD to its end, passing SIGINT/SIGTERM on to it; its exit status (128 + signal
/// when a signal ended it).
fn run_command(command: &[String]) -> Result<u8> {
    use std::os::unix::process::ExitStatusExt;
    let interrupts = Interrupts::catch().map_err(|e| Error::io("catching signals", e))?;
    let mut child = std::process::Command::new(&command[0])
        .args(&command[1..])
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                Error::NotFound(format!("{}: command not found", command[0]))
            }
            _ => Error::io(format!("running {}", command[0]), e),
        })?;
    let mut forwarded = None;
    loop {
        if let Some(status) = child
            .try_wait()
            .map_err(|e| Error::io("waiting for the command", e))?
        {
            let code = status
                .code()
                .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
            return Ok(u8::try_from(code & 0xff).unwrap_or(1));
        }
        if let Some(signal) = interrupts.pending() {
            if forwarded != Some(signal) {
                sys::process::signal(child.id() as i32, signal).ok();
                forwarded = Some(signal);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
