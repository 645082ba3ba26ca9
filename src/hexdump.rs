//! The hex formatter (pure; writes to any `io::Write`): `hexdump -C` lines, identical lines
//! squeezed to `*` as `hexdump -C` and `xxd -a` do.
use std::io::{self, Write};

const HEX: &[u8; 16] = b"0123456789abcdef";

pub struct HexDumper {
    squeeze: bool,
    previous: Option<[u8; 16]>,
    squeezing: bool,
    line: Vec<u8>,
}

impl HexDumper {
    pub fn new(squeeze: bool) -> HexDumper {
        HexDumper {
            squeeze,
            previous: None,
            squeezing: false,
            line: Vec::with_capacity(80),
        }
    }

    /// One line of up to 16 bytes at `offset` (relative to the segment's start).
    pub fn line(&mut self, out: &mut dyn Write, offset: u64, bytes: &[u8]) -> io::Result<()> {
        if self.squeeze
            && bytes.len() == 16
            && self.previous.as_ref().is_some_and(|p| p[..] == *bytes)
        {
            if !self.squeezing {
                out.write_all(b"*\n")?;
                self.squeezing = true;
            }
            return Ok(());
        }
        self.squeezing = false;
        if bytes.len() == 16 {
            let mut previous = [0u8; 16];
            previous.copy_from_slice(bytes);
            self.previous = Some(previous);
        }
        let line = &mut self.line;
        line.clear();
        for shift in (0..8).rev() {
            line.push(HEX[((offset >> (shift * 4)) & 0xf) as usize]);
        }
        line.extend_from_slice(b"  ");
        for i in 0..16 {
            match bytes.get(i) {
                Some(b) => {
                    line.push(HEX[(b >> 4) as usize]);
                    line.push(HEX[(b & 0xf) as usize]);
                    line.push(b' ');
                }
                None => line.extend_from_slice(b"   "),
            }
            if i == 7 {
                line.push(b' ');
            }
        }
        line.extend_from_slice(b" |");
        line.extend(
            bytes
                .iter()
                .map(|&b| if (0x20..0x7f).contains(&b) { b } else { b'.' }),
        );
        line.extend_from_slice(b"|\n");
        out.write_all(line)
    }

    /// The closing line: the offset just past the data.
    pub fn end(&mut self, out: &mut dyn Write, offset: u64) -> io::Result<()> {
        writeln!(out, "{offset:08x}")
    }
}

/// Standard base64 (RFC 4648, with padding), for `dump --json` without a schema.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_squeeze_like_hexdump_c() {
        let mut out = Vec::new();
        let mut dumper = HexDumper::new(true);
        let data: Vec<u8> = b"Hello, world!\n\0\x01"
            .iter()
            .copied()
            .chain([0u8; 48])
            .chain(*b"end")
            .collect();
        let mut offset = 0;
        for chunk in data.chunks(16) {
            dumper.line(&mut out, offset, chunk).expect("write");
            offset += chunk.len() as u64;
        }
        dumper.end(&mut out, offset).expect("write");
        let expected = "00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0a 00 01  |Hello, world!...|\n\
                        00000010  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n\
                        *\n\
                        00000040  65 6e 64                                          |end|\n\
                        00000043\n";
        assert_eq!(String::from_utf8(out).expect("utf-8"), expected);
    }

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
