//! The evidence one run gathers, once: user and group names, each pid's liveness (probed
//! once per run however many objects recorded it), who maps or holds which POSIX object
//! (one walk of every process), which task is blocked on which set or queue (one walk of
//! every task). Each scan is made only when a verdict first needs it, and made again when
//! the removal sequence asks for fresh facts ([`Survey::refresh`]).
use super::policy::{self, Evidence, HolderFacts, Policy, WaiterFacts};
use super::{msg, sem, shm, Detail, Kind, Object, PidState, Reason, Record, Verdict};
use crate::model::SegmentMemory;
use crate::sys::holders::HolderScan;
use crate::sys::maps::AttachScan;
use crate::sys::process::ProcessTable;
use crate::sys::users::Names;
use crate::sys::waiters::WaiterScan;
use crate::sys::{self, posix};
use std::rc::Rc;

#[derive(Debug, Default)]
pub struct Survey {
    names: Names,
    processes: ProcessTable,
    holders: Option<Option<HolderScan>>,
    tasks: Option<WaiterScan>,
}

impl Survey {
    /// Forgets what `kind`'s verdict reads from /proc (the holders of POSIX objects, the
    /// blocked tasks of sets and queues): the removal sequence judges on fresh facts, read
    /// again when next needed. Pids are not probed again: a dead pid stays dead, and a live
    /// one keeps the object anyway.
    pub fn refresh(&mut self, kind: Kind) {
        match kind {
            Kind::Shm => {}
            Kind::Sem | Kind::Msg => self.tasks = None,
            Kind::Pshm | Kind::Psem | Kind::Pmq => self.holders = None,
        }
    }

    fn holder_scan(holders: &mut Option<Option<HolderScan>>) -> Option<&HolderScan> {
        holders
            .get_or_insert_with(|| {
                let devices: Vec<u64> = [posix::SHM_DIR, posix::MQUEUE_DIR]
                    .into_iter()
                    .filter_map(|dir| sys::holders::device_of(std::path::Path::new(dir)))
                    .collect();
                sys::holders::scan(&devices).ok()
            })
            .as_ref()
    }

    fn task_scan(tasks: &mut Option<WaiterScan>) -> &WaiterScan {
        tasks.get_or_insert_with(|| sys::waiters::scan().unwrap_or_else(|_| WaiterScan::failed()))
    }

    /// Judges `object` with everything this run knows (and probes what it does not yet).
    fn judge(
        &mut self,
        policy: &Policy,
        object: &Object,
        now: i64,
        want_evidence: bool,
    ) -> Verdict {
        let owner = self.refused_owner(&policy.caller, object);
        let Survey {
            processes,
            holders,
            tasks,
            ..
        } = self;
        let mut presence = |pid: i32| processes.presence(pid);
        let mut waiters = || {
            let scan = Self::task_scan(tasks);
            let waiting = match object {
                Object::Sem(set) => scan.on_set(set.id),
                Object::Msg(queue) => scan.on_queue(queue.id),
                _ => &[],
            };
            WaiterFacts {
                waiters: waiting.to_vec(),
                uninspected: scan.uninspected.len(),
                unseen: scan.unseen,
            }
        };
        let mut holding = || match (Self::holder_scan(holders), object) {
            (Some(scan), Object::Posix(p)) => HolderFacts {
                holders: scan.holders_of(p).to_vec(),
                uninspected: scan.uninspected.len(),
                failed: false,
            },
            (Some(_), _) => HolderFacts::default(),
            (None, _) => HolderFacts {
                failed: true,
                ..HolderFacts::default()
            },
        };
        let mut ev = Evidence {
            owner_name: owner.as_deref(),
            presence: &mut presence,
            waiters: &mut waiters,
            holders: &mut holding,
            now,
            want_evidence,
        };
        policy::judge(policy, object, &mut ev)
    }

    /// The policy's verdict on `object`, with its evidence.
    pub fn verdict(&mut self, policy: &Policy, object: &Object, now: i64) -> Verdict {
        self.judge(policy, object, now, true)
    }

    /// [`Survey::verdict`]; without `evidence`, an orphan's carries none (a report that
    /// shows no evidence needs none).
    pub fn verdict_with(
        &mut self,
        policy: &Policy,
        object: &Object,
        now: i64,
        evidence: bool,
    ) -> Verdict {
        self.judge(policy, object, now, evidence)
    }

    /// What keeps `object` under `policy`, if anything (the re-check: no evidence built).
    pub fn kept_reason(&mut self, policy: &Policy, object: &Object, now: i64) -> Option<Reason> {
        match self.judge(policy, object, now, false) {
            Verdict::Kept(reason) => Some(reason),
            Verdict::Orphan { .. } => None,
        }
    }

    /// Why `caller` may not remove `object`, if it may not.
    pub fn not_permitted(&mut self, caller: &policy::Caller, object: &Object) -> Option<Reason> {
        let owner = self.refused_owner(caller, object);
        policy::not_permitted(caller, object, owner.as_deref())
    }

    /// The owner's name when `caller` may not remove `object` (it only says why): not
    /// looked up for what the caller may remove.
    fn refused_owner(&mut self, caller: &policy::Caller, object: &Object) -> Option<Rc<str>> {
        let o = object.owner();
        if caller.may_remove(object.kind().is_posix(), o.uid, o.cuid) {
            None
        } else {
            self.names.user(o.uid)
        }
    }

    /// The text of a removal the kernel refused (EPERM): whose object it is, who may.
    pub fn permission_text(&mut self, object: &Object) -> String {
        let owner = self.names.user(object.owner().uid);
        policy::permission_text(object, owner.as_deref())
    }

    /// An object with its verdict and everything `ls` shows about it.
    pub fn record(&mut self, object: Object, policy: &Policy, now: i64) -> Record {
        self.record_judged(object, policy, now, true)
    }

    /// [`Survey::record`]; without `evidence`, an orphan's verdict carries no evidence (a
    /// table that shows no WHY column needs none, and 10,000 orphans' texts cost more
    /// memory than their records).
    pub fn record_judged(
        &mut self,
        object: Object,
        policy: &Policy,
        now: i64,
        evidence: bool,
    ) -> Record {
        let verdict = self.judge(policy, &object, now, evidence);
        let owner = object.owner();
        let processes = &mut self.processes;
        let mut presence = |pid: i32| processes.presence(pid);
        let pids: Vec<PidState> = match &object {
            Object::Shm(s) => shm::pids(s, &mut presence),
            Object::Sem(set) => sem::pids(set, &mut presence),
            Object::Msg(queue) => msg::pids(queue, &mut presence),
            Object::Posix(_) => Vec::new(),
        };
        let (holders, holders_complete) = match &object {
            Object::Posix(p) => match Self::holder_scan(&mut self.holders) {
                Some(scan) => (scan.holders_of(p).to_vec(), scan.complete()),
                None => (Vec::new(), false),
            },
            _ => (Vec::new(), true),
        };
        let (waiters, waiters_complete) = match &object {
            Object::Msg(queue) => {
                let scan = Self::task_scan(&mut self.tasks);
                (scan.on_queue(queue.id).to_vec(), scan.complete())
            }
            _ => (Vec::new(), true),
        };
        Record {
            owner_name: self.names.user(owner.uid),
            group_name: self.names.group(owner.gid),
            object,
            pids,
            holders,
            holders_complete,
            waiters,
            waiters_complete,
            memory: None,
            verdict,
            detail: None,
        }
    }

    /// [`Survey::record`] with what `stat` adds: the live pids' command lines, and for a
    /// segment rss/swap and who is attached (`attachers`, one scan of every process's maps).
    pub fn stat_record(
        &mut self,
        object: Object,
        policy: &Policy,
        now: i64,
        memory: Option<SegmentMemory>,
        attachers: Option<&AttachScan>,
        shm_rmid_forced: Option<u32>,
    ) -> Record {
        let mut record = self.record(object, policy, now);
        // Only a live pid's command line belongs to the process the object recorded.
        let cmdlines = record
            .pids
            .iter()
            .filter(|p| p.state == super::Liveness::Alive)
            .filter_map(|p| Some((*p, sys::process::cmdline(p.pid)?)))
            .collect();
        let mut detail = Detail {
            cmdlines,
            attached_complete: true,
            ..Detail::default()
        };
        if let Object::Shm(segment) = &record.object {
            detail.attachers = attachers
                .map(|scan| scan.attachers(segment.id).to_vec())
                .unwrap_or_default();
            // nattch counts every mapping, wherever it is; the scan sees only this PID
            // namespace's processes, so a complete scan can still find fewer.
            detail.attached_complete = detail.attachers.len() as u64 >= segment.nattch;
            detail.maps_readable = attachers.is_some_and(|s| s.complete);
            detail.shm_rmid_forced = shm_rmid_forced;
            record.memory = memory;
        }
        record.detail = Some(Box::new(detail));
        record
    }
}
