//! SEG selectors: `42` (id), `0x5a00c062` / `key:N` (key), `ftok:PATH:PROJ`, and for the
//! other kinds `sem:ID`, `msg:ID` (or `sem:0x51`, `msg:key:81` by key, as `ipcrm -S/-Q`),
//! `pshm:NAME`, `psem:NAME`, `pmq:NAME`.
use std::fmt;
use std::path::PathBuf;

use crate::error::Error;
use crate::objects::Kind;

const FORMS: &str =
    "accepted forms: 42 (a shm id), 0x5a00c062 or key:N (a key, decimal or 0x hex), \
                     ftok:PATH:PROJ (the key ftok(3) gives), sem:ID, msg:ID, sem:0xKEY, \
                     msg:key:N, pshm:NAME, psem:NAME, pmq:NAME";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Id(i32),
    Key(u32),
    Ftok {
        path: PathBuf,
        proj: u8,
    },
    /// `sem:ID`, `msg:ID`: a SysV semaphore set or message queue by id.
    SysV {
        kind: Kind,
        id: i32,
    },
    /// `sem:0x51`, `msg:key:81`: a SysV semaphore set or message queue by key.
    SysVKey {
        kind: Kind,
        key: u32,
    },
    /// `pshm:NAME`, `psem:NAME`, `pmq:NAME`: a POSIX object by name, kept as `/NAME`.
    Posix {
        kind: Kind,
        name: String,
    },
}

impl Selector {
    /// The kind of object the selector names.
    pub fn kind(&self) -> Kind {
        match self {
            Selector::Id(_) | Selector::Key(_) | Selector::Ftok { .. } => Kind::Shm,
            Selector::SysV { kind, .. }
            | Selector::SysVKey { kind, .. }
            | Selector::Posix { kind, .. } => *kind,
        }
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Id(id) => write!(f, "id {id}"),
            Selector::Key(key) => write!(f, "key {}", crate::model::key_hex(*key)),
            Selector::Ftok { path, proj } => write!(f, "ftok:{}:{proj}", path.display()),
            Selector::SysV { kind, id } => write!(f, "{kind}:{id}"),
            Selector::SysVKey { kind, key } => {
                write!(f, "{kind}:{}", crate::model::key_hex(*key))
            }
            Selector::Posix { kind, name } => write!(f, "{kind}:{name}"),
        }
    }
}

/// ftok(3) of a path that cannot be read, in the terms every command uses (`create --ftok`,
/// an `ftok:` selector): a missing path is "not found".
pub fn ftok_error(path: &std::path::Path, e: std::io::Error) -> Error {
    match e.kind() {
        std::io::ErrorKind::NotFound => {
            Error::NotFound(format!("ftok: {} does not exist", path.display()))
        }
        _ => Error::io(format!("ftok: {}", path.display()), e),
    }
}

/// Parses one SEG argument; the error names the accepted forms.
pub fn parse(text: &str) -> Result<Selector, String> {
    let malformed = |why: &str| format!("`{text}` is not a segment: {why}; {FORMS}");
    if let Some(rest) = text.strip_prefix("ftok:") {
        let (path, proj) = rest
            .rsplit_once(':')
            .ok_or_else(|| malformed("ftok needs PATH:PROJ"))?;
        if path.is_empty() {
            return Err(malformed("ftok needs a PATH"));
        }
        let proj = parse_proj(proj).map_err(|e| malformed(&e))?;
        return Ok(Selector::Ftok {
            path: PathBuf::from(path),
            proj,
        });
    }
    if let Some((prefix, rest)) = text.split_once(':') {
        if let Ok(kind @ (Kind::Sem | Kind::Msg)) = Kind::parse(prefix) {
            if let Some(key) = key_of(rest) {
                let key = key.map_err(|why| malformed(&why))?;
                if key == 0 {
                    return Err(key_zero(text, kind));
                }
                return Ok(Selector::SysVKey { kind, key });
            }
            return match rest.parse::<i32>() {
                Ok(id) if id >= 0 && rest.bytes().all(|b| b.is_ascii_digit()) => {
                    Ok(Selector::SysV { kind, id })
                }
                _ => Err(malformed(&format!("the {kind} id is not a number"))),
            };
        }
        if let Ok(kind @ (Kind::Pshm | Kind::Psem | Kind::Pmq)) = Kind::parse(prefix) {
            // One rule for names, the one the files are looked up with.
            let bare = crate::sys::posix::normalise_name(kind, rest)
                .map_err(|e| malformed(&e.to_string()))?;
            return Ok(Selector::Posix {
                kind,
                name: format!("/{bare}"),
            });
        }
    }
    let key = key_of(text).transpose().map_err(|why| malformed(&why))?;
    match key {
        Some(0) => Err(key_zero(text, Kind::Shm)),
        Some(key) => Ok(Selector::Key(key)),
        None if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => text
            .parse::<i32>()
            .map(Selector::Id)
            .map_err(|_| malformed("the id is out of range")),
        None => Err(malformed("not an id, a key or an ftok")),
    }
}

/// `key:N` or `0x…`: Some(the key, or why it is not one), None when `text` is not written
/// as a key at all.
fn key_of(text: &str) -> Option<Result<u32, String>> {
    if let Some(rest) = text.strip_prefix("key:") {
        Some(parse_key(rest).ok_or_else(|| "the key is not a 32-bit number".to_string()))
    } else if text.starts_with("0x") || text.starts_with("0X") {
        Some(parse_key(text).ok_or_else(|| "the key is not a 32-bit hex number".to_string()))
    } else {
        None
    }
}

/// `ls --key`: `0x51`, `81` or `key:81`. Key 0 is accepted here: as a filter it lists the
/// private objects.
pub fn parse_key_filter(text: &str) -> Result<u32, String> {
    let bare = text.strip_prefix("key:").unwrap_or(text);
    parse_key(bare).ok_or_else(|| {
        format!("`{text}` is not a key: a 32-bit number, decimal or 0x hex (0x51, 81, key:81)")
    })
}

/// Key 0 is not a name: every private object shares it.
fn key_zero(text: &str, kind: Kind) -> String {
    let (objects, by_id) = match kind {
        Kind::Sem => ("semaphore set", "sem:ID"),
        Kind::Msg => ("message queue", "msg:ID"),
        _ => ("segment", "its id"),
    };
    format!(
        "`{text}` names key 0 (IPC_PRIVATE), which every private {objects} shares{}: select \
         it by {by_id} instead",
        if kind == Kind::Shm {
            " and every segment marked for destruction"
        } else {
            ""
        }
    )
}

/// A key: decimal (also negative, as /proc/sysvipc prints it) or 0x hex.
fn parse_key(text: &str) -> Option<u32> {
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return u32::from_str_radix(hex, 16).ok();
    }
    text.parse::<u32>()
        .ok()
        .or_else(|| text.parse::<i32>().ok().map(|k| k as u32))
}

/// ftok's project id: 1–255 in decimal or 0x hex, or one character like `A`.
pub fn parse_proj(text: &str) -> Result<u8, String> {
    let value = if let Some(hex) = text.strip_prefix("0x") {
        u32::from_str_radix(hex, 16).ok()
    } else if let Ok(n) = text.parse::<u32>() {
        Some(n)
    } else {
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii() => Some(c as u32),
            _ => None,
        }
    };
    match value {
        Some(v @ 1..=255) => Ok(v as u8),
        Some(_) => Err(format!(
            "PROJ `{text}` is out of range: ftok(3) keeps only its low 8 bits and 0 is undefined, so use 1–255"
        )),
        None => Err(format!("PROJ `{text}` is not a number (decimal or 0x hex) or one character")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_keys() {
        assert_eq!(parse("42"), Ok(Selector::Id(42)));
        assert_eq!(parse_key_filter("0x51"), Ok(0x51));
        assert_eq!(parse_key_filter("key:81"), Ok(81));
        assert_eq!(parse_key_filter("0"), Ok(0));
        assert_eq!(parse_key_filter("-1"), Ok(u32::MAX));
        assert!(parse_key_filter("0x1ffffffff").is_err());
        assert!(parse_key_filter("pshm:/x").is_err());
        assert_eq!(parse("0"), Ok(Selector::Id(0)));
        assert_eq!(parse("0x5a00c062"), Ok(Selector::Key(0x5a00c062)));
        assert_eq!(parse("0XFF"), Ok(Selector::Key(255)));
        assert_eq!(parse("key:1509998690"), Ok(Selector::Key(0x5a00c062)));
        assert_eq!(parse("key:0xdeadbeef"), Ok(Selector::Key(0xdeadbeef)));
        assert_eq!(parse("key:-559038737"), Ok(Selector::Key(0xdeadbeef)));
    }

    #[test]
    fn ftok_takes_proj_after_last_colon() {
        assert_eq!(
            parse("ftok:/tmp/a:b:65"),
            Ok(Selector::Ftok {
                path: PathBuf::from("/tmp/a:b"),
                proj: 65
            })
        );
        assert_eq!(
            parse("ftok:/tmp:A"),
            Ok(Selector::Ftok {
                path: PathBuf::from("/tmp"),
                proj: 65
            })
        );
        assert_eq!(
            parse("ftok:/tmp:0x41"),
            Ok(Selector::Ftok {
                path: PathBuf::from("/tmp"),
                proj: 65
            })
        );
    }

    #[test]
    fn other_kinds() {
        assert_eq!(
            parse("sem:3"),
            Ok(Selector::SysV {
                kind: Kind::Sem,
                id: 3
            })
        );
        assert_eq!(parse("msg:0").map(|s| s.kind()), Ok(Kind::Msg));
        assert_eq!(
            parse("sem:0x51"),
            Ok(Selector::SysVKey {
                kind: Kind::Sem,
                key: 0x51
            })
        );
        assert_eq!(
            parse("msg:key:81"),
            Ok(Selector::SysVKey {
                kind: Kind::Msg,
                key: 81
            })
        );
        assert_eq!(
            parse("msg:key:81").map(|s| s.to_string()),
            Ok("msg:0x00000051".to_string())
        );
        for (text, kind, name) in [
            ("pshm:/data", Kind::Pshm, "/data"),
            ("pshm:data", Kind::Pshm, "/data"),
            ("psem:lock", Kind::Psem, "/lock"),
            ("pmq:/q.1", Kind::Pmq, "/q.1"),
        ] {
            let selector = parse(text).expect(text);
            assert_eq!(
                selector,
                Selector::Posix {
                    kind,
                    name: name.to_string()
                }
            );
            assert_eq!(selector.to_string(), format!("{kind}:{name}"));
        }
        assert!(parse("pshm:sem.lock")
            .expect_err("psem")
            .contains("psem:/lock"));
    }

    #[test]
    fn key_zero_refused_with_reason() {
        for text in ["0x0", "key:0", "0x00000000"] {
            let err = parse(text).expect_err(text);
            assert!(err.contains("IPC_PRIVATE"), "{err}");
        }
        for (text, by) in [("sem:0x0", "sem:ID"), ("msg:key:0", "msg:ID")] {
            let err = parse(text).expect_err(text);
            assert!(err.contains("IPC_PRIVATE") && err.contains(by), "{err}");
        }
    }

    #[test]
    fn malformed_show_accepted_forms() {
        for text in [
            "",
            "abc",
            "-1",
            "0xZZ",
            "0x100000000",
            "key:",
            "ftok:/tmp",
            "ftok::1",
            "ftok:/tmp:0",
            "ftok:/tmp:256",
            "ftok:/tmp:AB",
            "99999999999",
            "sem:",
            "sem:x",
            "msg:-1",
            "sem:0x",
            "msg:key:",
            "sem:0x100000000",
            "pshm:",
            "pshm:/",
            "pshm:a/b",
            "pmq:..",
            "pshm:sem.lock",
            "1.5",
        ] {
            let err = parse(text).expect_err(text);
            assert!(err.contains("accepted forms"), "{text}: {err}");
        }
    }
}
