//! JSON written straight into a byte buffer, byte for byte what serde_json writes, for the
//! documents written thousands of times a run (`ls --json` entries, removal journal lines);
//! tests hold each writer equal to serde's.

pub fn int(buf: &mut Vec<u8>, value: impl itoa::Integer) {
    buf.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

pub fn opt_int(buf: &mut Vec<u8>, value: Option<impl itoa::Integer>) {
    match value {
        Some(v) => int(buf, v),
        None => buf.extend_from_slice(b"null"),
    }
}

/// A JSON string as serde_json writes it: `"` and `\` backslashed, `\b \f \n \r \t`, every
/// other control character below U+0020 as `\u00xx`; the rest (DEL, all of Unicode) as is.
pub fn string(buf: &mut Vec<u8>, text: &str) {
    buf.push(b'"');
    let bytes = text.as_bytes();
    // Nearly every string needs nothing escaped: one check (it vectorizes), one copy.
    if bytes.iter().fold(true, |plain, &b| {
        plain & (b >= 0x20 && b != b'"' && b != b'\\')
    }) {
        buf.extend_from_slice(bytes);
        buf.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                buf.extend_from_slice(&bytes[start..i]);
                buf.extend_from_slice(b"\\u00");
                buf.push(HEX[usize::from(b >> 4)]);
                buf.push(HEX[usize::from(b & 0xf)]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        buf.extend_from_slice(&bytes[start..i]);
        buf.extend_from_slice(escaped);
        start = i + 1;
    }
    buf.extend_from_slice(&bytes[start..]);
    buf.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_exactly_as_serde_json_escapes_them() {
        let mut every_byte: String = (0u8..0x80).map(char::from).collect();
        every_byte.push_str("é日本\u{7f}\u{85}\u{2028}𝄞\"\\/");
        for text in [
            "",
            "plain",
            "\"",
            "\\",
            "a\nb\tc\rd\u{8}e\u{c}f",
            "\u{0}\u{1f}",
            every_byte.as_str(),
        ] {
            let mut ours = Vec::new();
            string(&mut ours, text);
            let theirs = serde_json::to_vec(text).expect("serde");
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs)
            );
        }
    }
}
