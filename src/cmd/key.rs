use std::io::Write;

use crate::cli::KeyArgs;
use crate::error::{Error, Exit, Result};
use crate::render;
use crate::sys::ftok;

use super::Context;

pub fn run(ctx: Context, args: &KeyArgs, out: &mut dyn Write) -> Result<Exit> {
    let key = ftok::ftok(&args.path, args.proj).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            Error::NotFound(format!("ftok: {} does not exist", args.path.display()))
        }
        _ => Error::io(format!("ftok: {}", args.path.display()), e),
    })?;
    if ctx.json {
        render::json::key(out, &key).map_err(Error::output)?;
    } else {
        render::table::key(out, &key).map_err(Error::output)?;
    }
    Ok(Exit::Success)
}
