//! Output: tables and text for people, JSON for scripts. Nothing else prints.
pub mod json;
pub mod objects;
pub mod prometheus;
pub mod table;

/// A remark on stderr that is not the command's result (`-q` silences it).
pub fn note(quiet: bool, text: &str) {
    if !quiet {
        eprintln!("shmctl: note: {text}");
    }
}

/// An error on stderr, with its causes.
pub fn error(err: &dyn std::error::Error) {
    eprintln!("shmctl: error: {err}");
    let mut source = err.source();
    while let Some(cause) = source {
        eprintln!("  caused by: {cause}");
        source = cause.source();
    }
}

/// Writes `contents` to `path` atomically: a temporary file in the same directory, fsynced,
/// renamed over the target — a reader (node_exporter) never sees half a file.
pub fn write_atomically(path: &std::path::Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        std::fs::remove_file(&temp).ok();
    }
    result
}
