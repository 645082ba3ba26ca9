//! The hex formatter (pure; writes to any `io::Write`): `hexdump -C` lines, identical lines
//! squeezed to `*` as `hexdump -C` and `xxd -a` do. A whole chunk is formatted into one
//! buffer from lookup tables and written once.
use std::io::{self, Write};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Colours by kind of byte (as hexyl does): NUL, printable ASCII, ASCII whitespace and
/// control, and everything else.
const GRAY: &[u8] = b"\x1b[90m";
const CYAN: &[u8] = b"\x1b[36m";
const GREEN: &[u8] = b"\x1b[32m";
const YELLOW: &[u8] = b"\x1b[33m";
const RESET: &[u8] = b"\x1b[0m";

fn colour(b: u8) -> &'static [u8] {
    match b {
        0 => GRAY,
        0x21..=0x7e => CYAN,
        0x01..=0x20 | 0x7f => GREEN,
        _ => YELLOW,
    }
}

pub struct HexDumper {
    squeeze: bool,
    color: bool,
    previous: Option<[u8; 16]>,
    squeezing: bool,
    buffer: Vec<u8>,
}

impl HexDumper {
    pub fn new(squeeze: bool, color: bool) -> HexDumper {
        HexDumper {
            squeeze,
            color,
            previous: None,
            squeezing: false,
            buffer: Vec::with_capacity(1 << 20),
        }
    }

    /// Formats `bytes`, starting at `offset` (relative to the segment's start), and writes.
    /// Lines are 16 bytes; only the last chunk of a dump may end with a short line.
    pub fn chunk(&mut self, out: &mut dyn Write, offset: u64, bytes: &[u8]) -> io::Result<()> {
        self.buffer.clear();
        for (i, line) in bytes.chunks(16).enumerate() {
            self.line(offset + (i * 16) as u64, line);
        }
        out.write_all(&self.buffer)
    }

    fn line(&mut self, offset: u64, bytes: &[u8]) {
        if self.squeeze
            && bytes.len() == 16
            && self.previous.as_ref().is_some_and(|p| p[..] == *bytes)
        {
            if !self.squeezing {
                self.buffer.extend_from_slice(b"*\n");
                self.squeezing = true;
            }
            return;
        }
        self.squeezing = false;
        if let Ok(full) = <[u8; 16]>::try_from(bytes) {
            self.previous = Some(full);
        }
        let buffer = &mut self.buffer;
        // At least 8 digits, more past 4 GiB (as hexdump's `%08x`).
        let width = (16 - offset.leading_zeros() as usize / 4).max(8);
        for i in (0..width).rev() {
            buffer.push(HEX[((offset >> (i * 4)) & 0xf) as usize]);
        }
        buffer.extend_from_slice(b"  ");
        for i in 0..16 {
            match bytes.get(i) {
                Some(&b) if self.color => {
                    buffer.extend_from_slice(colour(b));
                    buffer.extend_from_slice(&[HEX[(b >> 4) as usize], HEX[(b & 0xf) as usize]]);
                    buffer.extend_from_slice(RESET);
                    buffer.push(b' ');
                }
                Some(&b) => buffer.extend_from_slice(&[
                    HEX[(b >> 4) as usize],
                    HEX[(b & 0xf) as usize],
                    b' ',
                ]),
                None => buffer.extend_from_slice(b"   "),
            }
            if i == 7 {
                buffer.push(b' ');
            }
        }
        buffer.extend_from_slice(b" |");
        for &b in bytes {
            let shown = if (0x20..0x7f).contains(&b) { b } else { b'.' };
            if self.color {
                buffer.extend_from_slice(colour(b));
                buffer.push(shown);
                buffer.extend_from_slice(RESET);
            } else {
                buffer.push(shown);
            }
        }
        buffer.extend_from_slice(b"|\n");
    }

    /// The closing line: the offset just past the data.
    pub fn end(&mut self, out: &mut dyn Write, offset: u64) -> io::Result<()> {
        writeln!(out, "{offset:08x}")
    }
}

/// Standard base64 (RFC 4648, with padding), for a queue's messages in an archive.
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_squeeze_like_hexdump_c() {
        let mut out = Vec::new();
        let mut dumper = HexDumper::new(true, false);
        let data: Vec<u8> = b"Hello, world!\n\0\x01"
            .iter()
            .copied()
            .chain([0u8; 48])
            .chain(*b"end")
            .collect();
        // Squeezing carries across chunks.
        dumper.chunk(&mut out, 0, &data[..32]).expect("write");
        dumper.chunk(&mut out, 32, &data[32..]).expect("write");
        dumper.end(&mut out, data.len() as u64).expect("write");
        let expected = "00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0a 00 01  |Hello, world!...|\n\
                        00000010  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n\
                        *\n\
                        00000040  65 6e 64                                          |end|\n\
                        00000043\n";
        assert_eq!(String::from_utf8(out).expect("utf-8"), expected);
    }

    #[test]
    fn colour_marks_kinds_of_bytes_and_only_when_asked() {
        let mut out = Vec::new();
        HexDumper::new(false, true)
            .chunk(&mut out, 0, b"A\0\n\xff")
            .expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(
            text.contains("\x1b[36m41\x1b[0m") && text.contains("\x1b[90m00\x1b[0m"),
            "{text:?}"
        );
        assert!(
            text.contains("\x1b[32m0a\x1b[0m") && text.contains("\x1b[33mff\x1b[0m"),
            "{text:?}"
        );
        let mut plain = Vec::new();
        HexDumper::new(false, false)
            .chunk(&mut plain, 0, b"A\0\n\xff")
            .expect("write");
        assert!(!plain.contains(&0x1b));
    }

    #[test]
    fn offsets_past_4_gib_keep_every_digit() {
        let mut out = Vec::new();
        HexDumper::new(false, false)
            .chunk(&mut out, 0x1_2345_6780, b"A")
            .expect("write");
        assert!(
            String::from_utf8_lossy(&out).starts_with("123456780  41 "),
            "{}",
            String::from_utf8_lossy(&out)
        );
    }

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
