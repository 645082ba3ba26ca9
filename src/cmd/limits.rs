use std::io::Write;

use crate::cli::LimitsArgs;
use crate::error::{Error, Exit, Result};
use crate::model::Limits;
use crate::objects::{Kind, OtherLimits};
use crate::render;
use crate::sys::{self, msg, posix, sem, shm};

use super::Context;

pub fn run(ctx: Context, args: &LimitsArgs, out: &mut dyn Write) -> Result<Exit> {
    let limits = Limits {
        shm: shm::limits().map_err(|e| Error::sys("reading limits", e))?,
        usage: shm::usage().map_err(|e| Error::sys("reading usage", e))?.1,
        page_size: sys::page_size(),
    };
    let count = |kinds: &[Kind]| -> Option<u64> {
        let mut n = 0;
        for &kind in kinds {
            if !posix::mounted(kind) {
                return None;
            }
            n += posix::list(kind).ok()?.len() as u64;
        }
        Some(n)
    };
    let others = OtherLimits {
        sem: sem::limits().ok(),
        sem_usage: sem::usage().ok(),
        msg: msg::limits().ok(),
        msg_usage: msg::usage().ok(),
        mqueue: posix::mqueue_limits().ok(),
        mqueue_count: count(&[Kind::Pmq]),
        shm_fs: posix::shm_fs().ok(),
        shm_fs_count: count(&[Kind::Pshm, Kind::Psem]),
    };
    if ctx.json {
        render::json::limits(out, &limits, &others).map_err(Error::output)?;
    } else {
        render::table::limits(out, &limits, &others, args.bytes).map_err(Error::output)?;
    }
    Ok(Exit::Success)
}
