//! User and group names, looked up once per id (NSS can be slow: LDAP, sssd).
use rustc_hash::FxHashMap as HashMap;
use std::rc::Rc;

#[derive(Debug, Default)]
pub struct Names {
    users: HashMap<u32, Option<Rc<str>>>,
    groups: HashMap<u32, Option<Rc<str>>>,
}

impl Names {
    #[cfg(test)]
    pub fn new() -> Names {
        Names::default()
    }

    pub fn user(&mut self, uid: u32) -> Option<Rc<str>> {
        let name = self
            .users
            .entry(uid)
            .or_insert_with(|| user_name(uid).map(Rc::from));
        name.clone()
    }

    pub fn group(&mut self, gid: u32) -> Option<Rc<str>> {
        let name = self
            .groups
            .entry(gid)
            .or_insert_with(|| group_name(gid).map(Rc::from));
        name.clone()
    }
}

// NSS lookups through nix (getpwuid_r, getgrgid_r, getpwnam_r, growing the buffer on
// ERANGE). A failed lookup (an unreachable LDAP server) shows no name, as an unknown id does.
fn user_name(uid: u32) -> Option<String> {
    let user = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid));
    user.ok().flatten().map(|u| u.name)
}

fn group_name(gid: u32) -> Option<String> {
    let group = nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(gid));
    group.ok().flatten().map(|g| g.name)
}

/// A `--user` value: a uid, or a user name to look up.
pub fn parse_user(user: &str) -> Result<u32, String> {
    if let Ok(uid) = user.parse::<u32>() {
        return Ok(uid);
    }
    uid_of(user).ok_or_else(|| format!("no such user `{user}`"))
}

/// A user name's uid.
pub fn uid_of(name: &str) -> Option<u32> {
    // A name with a NUL byte names no one (None).
    let user = nix::unistd::User::from_name(name).ok().flatten()?;
    Some(user.uid.as_raw())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_resolves_both_ways() {
        let mut names = Names::new();
        assert_eq!(names.user(0).as_deref(), Some("root"));
        assert_eq!(names.group(0).as_deref(), Some("root"));
        assert_eq!(uid_of("root"), Some(0));
        assert_eq!(uid_of("no-such-user-shmctl"), None);
        assert_eq!(names.user(4_000_000_000), None);
    }
}
