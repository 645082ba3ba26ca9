//! User and group names, looked up once per id (NSS can be slow: LDAP, sssd).
use std::collections::HashMap;
use std::ffi::{CStr, CString};
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

/// Calls a reentrant NSS function, growing the string buffer on ERANGE.
fn with_buffer<T>(
    mut call: impl FnMut(&mut Vec<libc::c_char>) -> Result<Option<T>, i32>,
) -> Option<T> {
    let mut buf = vec![0 as libc::c_char; 1024];
    loop {
        match call(&mut buf) {
            Ok(found) => return found,
            Err(libc::ERANGE) if buf.len() < 1 << 20 => {
                let len = buf.len() * 2;
                buf.resize(len, 0);
            }
            Err(_) => return None,
        }
    }
}

fn user_name(uid: u32) -> Option<String> {
    with_buffer(|buf| {
        // SAFETY: passwd is plain data; getpwuid_r fills it with pointers into `buf`.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call; `buf.len()` is its true size.
        let rc =
            unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result) };
        if rc != 0 {
            return Err(rc);
        }
        if result.is_null() {
            return Ok(None);
        }
        // SAFETY: on success pw_name points to a NUL-terminated string inside `buf`.
        Ok(Some(
            unsafe { CStr::from_ptr(pwd.pw_name) }
                .to_string_lossy()
                .into_owned(),
        ))
    })
}

fn group_name(gid: u32) -> Option<String> {
    with_buffer(|buf| {
        // SAFETY: group is plain data; getgrgid_r fills it with pointers into `buf`.
        let mut grp: libc::group = unsafe { std::mem::zeroed() };
        let mut result = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call; `buf.len()` is its true size.
        let rc =
            unsafe { libc::getgrgid_r(gid, &mut grp, buf.as_mut_ptr(), buf.len(), &mut result) };
        if rc != 0 {
            return Err(rc);
        }
        if result.is_null() {
            return Ok(None);
        }
        // SAFETY: on success gr_name points to a NUL-terminated string inside `buf`.
        Ok(Some(
            unsafe { CStr::from_ptr(grp.gr_name) }
                .to_string_lossy()
                .into_owned(),
        ))
    })
}

/// A user name's uid.
/// A `--user` value: a uid, or a user name to look up.
pub fn parse_user(user: &str) -> Result<u32, String> {
    if let Ok(uid) = user.parse::<u32>() {
        return Ok(uid);
    }
    uid_of(user).ok_or_else(|| format!("no such user `{user}`"))
}

pub fn uid_of(name: &str) -> Option<u32> {
    let name = CString::new(name).ok()?;
    with_buffer(|buf| {
        // SAFETY: passwd is plain data; getpwnam_r fills it with pointers into `buf`.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call; `buf.len()` is its true size.
        let rc = unsafe {
            libc::getpwnam_r(
                name.as_ptr(),
                &mut pwd,
                buf.as_mut_ptr(),
                buf.len(),
                &mut result,
            )
        };
        if rc != 0 {
            return Err(rc);
        }
        Ok((!result.is_null()).then_some(pwd.pw_uid))
    })
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
