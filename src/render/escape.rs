//! Outside text (object names, process names and command lines, user and group names, paths)
//! made safe for a terminal and for line-oriented readers, as GNU `ls -b` does: a name with a
//! newline cannot split a row or forge a "removed …" line, and an escape sequence is shown, not
//! obeyed. JSON never goes through here: it keeps the real text (serde escapes it).
use std::borrow::Cow;

/// `\n`, `\t`, `\r`, `\\` for a backslash, and `\xNN` for every other control character: the
/// C0 controls (ESC is `\x1b`), DEL, and the C1 controls U+0080–U+009F. Borrows when nothing
/// needs escaping.
pub fn escape(text: &str) -> Cow<'_, str> {
    // Nearly all text is printable ASCII without a backslash: a byte scan decides it.
    if text.bytes().all(plain_ascii) {
        return Cow::Borrowed(text);
    }
    let Some(first) = text.find(needs_escape) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\\' => out.push_str("\\\\"),
            // Every control character is below U+00A0: two hex digits.
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`escape`] for text already owned: the same string back when nothing needs escaping.
pub fn escape_owned(text: String) -> String {
    match escape(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(escaped) => escaped,
    }
}

/// A byte that is printable ASCII and not a backslash: shown as it is.
pub fn plain_ascii(b: u8) -> bool {
    (0x20..0x7f).contains(&b) && b != b'\\'
}

/// `char::is_control` is exactly C0, DEL and C1 (general category Cc).
fn needs_escape(c: char) -> bool {
    c == '\\' || c.is_control()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_ls_b() {
        assert_eq!(escape("a\nb"), "a\\nb");
        assert_eq!(escape("\t\r"), "\\t\\r");
        assert_eq!(escape("back\\slash"), "back\\\\slash");
        assert_eq!(escape("\x1b[31mred"), "\\x1b[31mred");
        assert_eq!(escape("\0\x01\x07\x1f\x7f"), "\\x00\\x01\\x07\\x1f\\x7f");
        assert_eq!(escape("\u{80}\u{85}\u{9f}"), "\\x80\\x85\\x9f");
        // Printable text, including the first character past C1, is left alone.
        assert_eq!(escape("\u{a0}é日本 /x-y_z.1"), "\u{a0}é日本 /x-y_z.1");
        assert_eq!(escape("/evil\nremoved shm 0"), "/evil\\nremoved shm 0");
    }

    #[test]
    fn borrows_when_there_is_nothing_to_escape() {
        assert!(matches!(escape("/data"), Cow::Borrowed("/data")));
        assert!(matches!(escape(""), Cow::Borrowed("")));
        let owned = String::from("plain");
        let ptr = owned.as_ptr();
        let back = escape_owned(owned);
        assert_eq!(back.as_ptr(), ptr, "the same allocation");
        assert_eq!(escape_owned("a\tb".to_string()), "a\\tb");
    }

    #[test]
    fn every_control_character_is_escaped_and_nothing_else() {
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            let text = c.to_string();
            let shown = escape(&text);
            if c.is_control() || c == '\\' {
                assert!(shown.starts_with('\\'), "{c:?}");
                assert!(!shown.chars().any(char::is_control), "{c:?}");
            } else {
                assert_eq!(shown, text, "{c:?}");
            }
        }
    }
}
