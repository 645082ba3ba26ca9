use std::io::Write;

use crate::error::{Error, Exit, Result};
use crate::model::Limits;
use crate::render;
use crate::sys::{self, shm};

use super::Context;

pub fn run(ctx: Context, out: &mut dyn Write) -> Result<Exit> {
    let limits = Limits {
        shm: shm::limits().map_err(|e| Error::sys("reading limits", e))?,
        usage: shm::usage().map_err(|e| Error::sys("reading usage", e))?.1,
        page_size: sys::page_size(),
    };
    if ctx.json {
        render::json::limits(out, &limits)?;
    } else {
        render::table::limits(out, &limits)?;
    }
    Ok(Exit::Success)
}
