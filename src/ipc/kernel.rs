//! The running kernel, for every kind: listing, looking one object up by its selector,
//! and the three operations the removal sequence needs ([`super::removal::Kernel`]).
use super::removal::Kernel;
use super::select::Selector;
use super::{noun, Kind, Object};
use crate::error::{Error, Result};
use crate::objects::SemSet;
use crate::sys::{self, msg, posix, sem, shm, SysError};

/// A semaphore set with its semaphores when they can be read. Without read permission, or
/// when reading them fails for another reason, the set is still there: it is kept as
/// `unreadable` rather than silently left out.
fn with_semaphores(mut set: SemSet) -> std::result::Result<SemSet, SysError> {
    match sem::semaphores(set.id, set.nsems) {
        Ok(sems) => set.sems = Some(sems),
        Err(e) if e.is_gone() => return Err(e),
        Err(_) => set.sems = None,
    }
    Ok(set)
}

fn listing(kind: Kind) -> impl FnOnce(SysError) -> Error {
    move |e| Error::sys(format!("listing {}", kind.title()), e)
}

/// Every object of `kind` in this namespace, in the kernel's order (POSIX: by name).
pub fn list(kind: Kind) -> Result<Vec<Object>> {
    Ok(match kind {
        Kind::Shm => shm::enumerate_as(Object::Shm).map_err(listing(kind))?.0,
        Kind::Sem => sem::enumerate()
            .map_err(listing(kind))?
            .0
            .into_iter()
            .filter_map(|set| with_semaphores(set).ok())
            .map(Object::Sem)
            .collect(),
        Kind::Msg => msg::enumerate()
            .map_err(listing(kind))?
            .0
            .into_iter()
            .map(Object::Msg)
            .collect(),
        Kind::Pshm | Kind::Psem | Kind::Pmq => posix::list(kind)
            .map_err(|e| Error::io(format!("listing {}", kind.title()), e))?
            .into_iter()
            .map(Object::posix)
            .collect(),
    })
}

/// [`list`], each object handed to `sink` as it is found: segments as their slots answer
/// (gc removes each a few dozen slots later, while the kernel's object is still in the
/// cache); the other kinds listed first.
pub fn each(kind: Kind, sink: &mut dyn FnMut(Object)) -> Result<()> {
    match kind {
        Kind::Shm => shm::each(&mut |segment| sink(Object::Shm(segment)))
            .map(drop)
            .map_err(listing(kind)),
        _ => {
            list(kind)?.into_iter().for_each(sink);
            Ok(())
        }
    }
}

fn posix_error(what: String) -> impl FnOnce(std::io::Error) -> Error {
    move |e| match e.kind() {
        // A custom message says more ("no mqueue filesystem is mounted on /dev/mqueue").
        std::io::ErrorKind::NotFound if e.get_ref().is_some() => {
            Error::NotFound(format!("{what}: {e}"))
        }
        std::io::ErrorKind::NotFound => Error::NotFound(format!("{what}: no such object")),
        std::io::ErrorKind::InvalidInput => Error::Usage(format!("{what}: {e}")),
        _ => Error::io(what, e),
    }
}

/// Turns selectors into objects (fresh facts), enumerating the segments at most once
/// however many keys are named.
#[derive(Debug, Default)]
pub struct Resolver {
    segments: Option<Vec<crate::model::Segment>>,
    sets: Option<Vec<SemSet>>,
    queues: Option<Vec<crate::objects::MsgQueue>>,
}

impl Resolver {
    pub fn resolve(&mut self, selector: &Selector) -> Result<Object> {
        let not_found =
            |what: String| Error::NotFound(format!("no {} has {what}", noun(selector.kind())));
        let key = match selector {
            Selector::Id(id) => {
                return shm::stat(*id).map(Object::Shm).map_err(|e| match e {
                    e if e.is_gone() => not_found(format!("id {id}")),
                    e => Error::sys(format!("segment {id}"), e),
                })
            }
            Selector::SysV { kind, id } => {
                let found = match kind {
                    Kind::Sem => sem::stat(*id).and_then(with_semaphores).map(Object::Sem),
                    _ => msg::stat(*id).map(Object::Msg),
                };
                return found.map_err(|e| match e {
                    e if e.is_gone() => not_found(format!("id {id}")),
                    e => Error::sys(format!("{kind}:{id}"), e),
                });
            }
            Selector::SysVKey { kind, key } => {
                let found = match kind {
                    Kind::Sem => {
                        if self.sets.is_none() {
                            self.sets = Some(sem::enumerate().map_err(listing(*kind))?.0);
                        }
                        let set = self.sets.iter().flatten().find(|s| s.key == *key);
                        match set.cloned().map(with_semaphores) {
                            Some(Ok(set)) => Some(Object::Sem(set)),
                            Some(Err(e)) if !e.is_gone() => {
                                return Err(Error::sys(selector.to_string(), e))
                            }
                            _ => None,
                        }
                    }
                    _ => {
                        if self.queues.is_none() {
                            self.queues = Some(msg::enumerate().map_err(listing(*kind))?.0);
                        }
                        let queues = self.queues.iter().flatten();
                        queues
                            .filter(|q| q.key == *key)
                            .cloned()
                            .map(Object::Msg)
                            .next()
                    }
                };
                return found
                    .ok_or_else(|| not_found(format!("key {}", crate::model::key_hex(*key))));
            }
            Selector::Posix { kind, name } => {
                return posix::stat(*kind, name)
                    .map(Object::posix)
                    .map_err(posix_error(format!("{kind}:{name}")))
            }
            Selector::Key(key) => *key,
            Selector::Ftok { path, proj } => {
                sys::ftok::ftok(path, *proj)
                    .map_err(|e| super::select::ftok_error(path, e))?
                    .key
            }
        };
        if self.segments.is_none() {
            let (segments, _) = shm::enumerate().map_err(listing(Kind::Shm))?;
            self.segments = Some(segments);
        }
        self.segments
            .iter()
            .flatten()
            .find(|s| s.key == key)
            .cloned()
            .map(Object::Shm)
            .ok_or_else(|| Error::NotFound(format!("no shared memory segment has {selector}")))
    }
}

/// A file operation's failure in the kernel layer's terms (the errno kept as it was, or
/// the message of an error that has none).
fn io_sys(op: &'static str, e: std::io::Error) -> SysError {
    SysError::io(op, &e)
}

/// The running kernel.
#[derive(Debug, Default)]
pub struct Running;

impl Kernel for Running {
    fn stat(&mut self, target: &Object) -> std::result::Result<Object, SysError> {
        match target {
            Object::Shm(s) => shm::stat(s.id).map(Object::Shm),
            Object::Sem(s) => sem::stat(s.id).and_then(with_semaphores).map(Object::Sem),
            Object::Msg(q) => msg::stat(q.id).map(Object::Msg),
            // By its path: the name as shown may stand for another object.
            Object::Posix(p) => posix::stat_path(p.kind, &p.path)
                .map(Object::posix)
                .map_err(|e| io_sys("stat", e)),
        }
    }

    fn set_mode(&mut self, target: &Object, mode: u32) -> std::result::Result<(), SysError> {
        let o = target.owner();
        match target {
            Object::Shm(s) => shm::set_owner_mode(s.id, o.uid, o.gid, mode),
            Object::Sem(s) => sem::set_owner_mode(s.id, o.uid, o.gid, mode),
            Object::Msg(q) => msg::set_owner_mode(q.id, o.uid, o.gid, mode),
            // Only the file it names: another under the name is left alone (gone).
            Object::Posix(p) => {
                posix::set_mode(&p.path, p.dev, p.ino, mode).map_err(|e| io_sys("chmod", e))
            }
        }
    }

    fn remove(&mut self, target: &Object) -> std::result::Result<(), SysError> {
        match target {
            Object::Shm(s) => shm::remove(s.id),
            Object::Sem(s) => sem::remove(s.id),
            Object::Msg(q) => msg::remove(q.id),
            Object::Posix(p) => posix::unlink(&p.path).map_err(|e| io_sys("unlink", e)),
        }
    }
}
