//! Where a program's debug information is: in the binary itself, or in a separate file
//! found by its build-id (`ROOT/.build-id/xx/rest.debug`) or its `.gnu_debuglink` (beside
//! the binary, in `.debug/` there, or under `ROOT` + the binary's directory), the CRC the
//! link records checked. Nothing is ever fetched from the network.
use std::path::{Path, PathBuf};

use object::{Object, ObjectSection};

/// The debug root distributions install separate debug files under.
pub const DEFAULT_ROOT: &str = "/usr/lib/debug";

/// How a debug file was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The binary holds its own DWARF.
    Itself,
    BuildId(String),
    DebugLink(String),
}

impl Found {
    pub fn how(&self) -> String {
        match self {
            Found::Itself => "its own .debug_info".to_string(),
            Found::BuildId(id) => format!("build-id {id}"),
            Found::DebugLink(name) => format!(".gnu_debuglink {name}"),
        }
    }
}

/// The bytes of the file with DWARF for `binary` (whose bytes are `data`, and whose path
/// as its process saw it is `shown_path`: where the link's places are), with the file's
/// path and how it was found; else what was looked for, for the error.
pub fn debug_file(
    data: &[u8],
    shown_path: &Path,
    root: &Path,
) -> Result<(Vec<u8>, PathBuf, Found), String> {
    let file = object::File::parse(data).map_err(|e| format!("not an ELF file: {e}"))?;
    if file
        .section_by_name(".debug_info")
        .is_some_and(|s| s.size() > 0)
    {
        return Ok((data.to_vec(), shown_path.to_path_buf(), Found::Itself));
    }
    let mut looked = Vec::new();
    if let Ok(Some(id)) = file.build_id() {
        let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
        if hex.len() > 2 {
            let path = root
                .join(".build-id")
                .join(&hex[..2])
                .join(format!("{}.debug", &hex[2..]));
            match read_with_dwarf(&path) {
                Some(bytes) => return Ok((bytes, path, Found::BuildId(hex))),
                None => looked.push(path.display().to_string()),
            }
        }
    }
    if let Ok(Some((name, crc))) = file.gnu_debuglink() {
        let name = String::from_utf8_lossy(name).into_owned();
        // A link is a file name; one that climbs out of the places it is looked for in is
        // not followed.
        if !name.contains('/') && name != ".." && name != "." {
            let dir = shown_path.parent().unwrap_or(Path::new("/"));
            let relative = dir.strip_prefix("/").unwrap_or(dir);
            for path in [
                dir.join(&name),
                dir.join(".debug").join(&name),
                root.join(relative).join(&name),
            ] {
                match read_with_dwarf(&path) {
                    Some(bytes) if crc32fast::hash(&bytes) == crc => {
                        return Ok((bytes, path, Found::DebugLink(name)))
                    }
                    Some(_) => looked.push(format!("{} (its CRC differs)", path.display())),
                    None => looked.push(path.display().to_string()),
                }
            }
        }
    }
    Err(if looked.is_empty() {
        format!(
            "{} has no DWARF, and neither a build-id nor a .gnu_debuglink to find a separate \
             debug file by",
            shown_path.display()
        )
    } else {
        format!(
            "{} has no DWARF and no separate debug file was found (looked for {})",
            shown_path.display(),
            looked.join(", ")
        )
    })
}

/// A regular file's bytes, if it exists and has a `.debug_info`.
fn read_with_dwarf(path: &Path) -> Option<Vec<u8>> {
    let bytes = super::read_file(path).ok()?;
    let file = object::File::parse(&*bytes).ok()?;
    file.section_by_name(".debug_info")
        .is_some_and(|s| s.size() > 0)
        .then_some(bytes)
}
