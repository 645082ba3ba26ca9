//! Sizes, durations and times: parsing what people type, formatting what tables show.

/// `4096`, `4K`/`4KiB` = 4096, `4KB` = 4000, likewise M, G, T (util-linux's convention).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, suffix) = t.split_at(split);
    let bad = || {
        format!("`{text}` is not a size: use bytes (4096) or a suffix: 4K, 4KiB (4096), 4KB (4000), M, G, T")
    };
    if digits.is_empty() {
        return Err(bad());
    }
    let number: u64 = digits.parse().map_err(|_| bad())?;
    let suffix = suffix.trim();
    let upper = suffix.to_ascii_uppercase();
    let (unit, rest) = upper.split_at(upper.len().min(1));
    let power = match unit {
        "" => return Ok(number),
        "K" => 1,
        "M" => 2,
        "G" => 3,
        "T" => 4,
        _ => return Err(bad()),
    };
    let base: u64 = match rest {
        "" | "IB" => 1024,
        "B" => 1000,
        _ => return Err(bad()),
    };
    base.checked_pow(power)
        .and_then(|m| number.checked_mul(m))
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// A duration from the command line (`--older-than`, `--follow`), in whole seconds, at most
/// [`Age::MAX`]: 36525 days (100 years). Nothing on a running system has been idle longer
/// (the Unix epoch itself is younger), so a longer value can only be a mistake, and it is
/// refused rather than allowed to wrap into a negative age that turns the filter off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Age(u32);

impl Age {
    /// The longest duration accepted, in days.
    pub const MAX_DAYS: u32 = 36_525;
    /// The longest duration accepted: 36525 days (3,155,760,000 s, fits in u32 and i64).
    pub const MAX: Age = Age(Age::MAX_DAYS * 86_400);

    /// `secs` seconds, or None beyond [`Age::MAX`].
    pub fn from_secs(secs: u64) -> Option<Age> {
        u32::try_from(secs)
            .ok()
            .filter(|&s| s <= Age::MAX.0)
            .map(Age)
    }

    pub fn secs(self) -> i64 {
        i64::from(self.0)
    }

    pub fn as_duration(self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.0))
    }

    /// Whether something last active at `last` has been idle for at least this long at `now`.
    pub fn has_passed(self, last: i64, now: i64) -> bool {
        elapsed(now, last) >= self.secs()
    }
}

fn too_long(text: &str) -> String {
    format!(
        "`{text}` is longer than anything can be idle: at most {}d (100 years)",
        Age::MAX_DAYS
    )
}

/// `90s`, `10m`, `2h`, `7d`, `1w`, combinations `1h30m`; a bare number is seconds. At most
/// [`Age::MAX`]; every step is checked, so no value wraps.
pub fn parse_duration(text: &str) -> Result<Age, String> {
    let bad =
        || format!("`{text}` is not a duration: use 90s, 10m, 2h, 7d or combinations like 1h30m");
    let t = text.trim();
    if t.is_empty() {
        return Err(bad());
    }
    let secs = if t.bytes().all(|b| b.is_ascii_digit()) {
        // All digits: only too many of them can fail.
        t.parse::<u64>().map_err(|_| too_long(text))?
    } else {
        let mut total: u64 = 0;
        let mut digits = String::new();
        for c in t.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let unit = match c {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                'w' => 604_800,
                _ => return Err(bad()),
            };
            if digits.is_empty() {
                return Err(bad());
            }
            let n: u64 = digits.parse().map_err(|_| too_long(text))?;
            digits.clear();
            total = n
                .checked_mul(unit)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(|| too_long(text))?;
        }
        if !digits.is_empty() {
            return Err(bad());
        }
        total
    };
    Age::from_secs(secs).ok_or_else(|| too_long(text))
}

/// A polling interval: `500ms`, or a duration (`1s`, `2m`). At least 10 ms, at most
/// [`Age::MAX`].
pub fn parse_interval(text: &str) -> Result<std::time::Duration, String> {
    let interval = match text.trim().strip_suffix("ms") {
        Some(ms) if !ms.is_empty() && ms.bytes().all(|b| b.is_ascii_digit()) => {
            let ms = ms.parse::<u64>().map_err(|_| too_long(text))?;
            let interval = std::time::Duration::from_millis(ms);
            if interval > Age::MAX.as_duration() {
                return Err(too_long(text));
            }
            interval
        }
        Some(_) => return Err(format!("`{text}` is not an interval: use 500ms, 1s, 2m")),
        None => parse_duration(text)?.as_duration(),
    };
    if interval < std::time::Duration::from_millis(10) {
        return Err(format!("`{text}` is too short: at least 10ms"));
    }
    Ok(interval)
}

/// `now - then` in seconds, saturating: times come from files anyone may touch (a POSIX
/// object's mtime can be set to any 64-bit value), so the difference must not overflow.
pub fn elapsed(now: i64, then: i64) -> i64 {
    now.saturating_sub(then)
}

/// `4.0 KiB`, `1.5 MiB`, `512 B`.
pub fn human_size(bytes: u64) -> String {
    HumanSize(bytes).to_string()
}

/// A size for people that displays as [`human_size`] says, without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanSize(pub u64);

/// A value's text appended to a string in place: what a table's cells are made with
/// (10,000 rows of them; `write!` was a sixth of `ls`'s instructions).
pub trait PushText {
    fn push_to(&self, out: &mut String);
}

/// ASCII bytes onto a string (each one char, no validation pass).
fn push_ascii(out: &mut String, text: &[u8]) {
    out.extend(text.iter().map(|&b| char::from(b)));
}

impl HumanSize {
    const UNITS: [&'static str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

    /// What `{:.1}` shows of the f64 size, in floating point.
    fn push_float(self, out: &mut String) {
        use std::fmt::Write;
        let mut value = self.0 as f64 / 1024.0;
        let mut unit = 0;
        while value >= 1024.0 && unit < Self::UNITS.len() - 1 {
            value /= 1024.0;
            unit += 1;
        }
        // Writing into a String cannot fail.
        let _ = write!(out, "{value:.1} {}", Self::UNITS[unit]);
    }
}

impl PushText for HumanSize {
    fn push_to(&self, out: &mut String) {
        let bytes = self.0;
        if bytes < 1024 {
            out.push_str(itoa::Buffer::new().format(bytes));
            return out.push_str(" B");
        }
        // Below 2^53 the f64 is the size exactly and each division by 1024 is exact: `{:.1}`
        // rounds bytes / 1024^k to tenths, half to even, which integers do without `fmt`.
        if bytes >= 1 << 53 {
            return self.push_float(out);
        }
        let unit = ((63 - bytes.leading_zeros()) / 10 - 1).min(5) as usize;
        let shift = 10 * (unit as u32 + 1);
        let scaled = u128::from(bytes) * 10;
        let (mut tenths, rest) = (scaled >> shift, scaled & ((1 << shift) - 1));
        let half = 1u128 << (shift - 1);
        if rest > half || (rest == half && tenths % 2 == 1) {
            tenths += 1;
        }
        let mut digits = itoa::Buffer::new();
        out.push_str(digits.format(tenths / 10));
        out.push('.');
        out.push(char::from(b'0' + (tenths % 10) as u8));
        out.push(' ');
        out.push_str(Self::UNITS[unit]);
    }
}

impl std::fmt::Display for HumanSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut text = String::with_capacity(16);
        self.push_to(&mut text);
        f.write_str(&text)
    }
}

/// `45s`, `5m12s`, `1h30m`, `3d4h`: the two largest units; negative (a time in the future)
/// with a `-`. Every i64, i64::MIN included, has a text.
pub fn human_duration(secs: i64) -> String {
    HumanDuration(secs).to_string()
}

/// A duration that displays as [`human_duration`] says, without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub i64);

impl PushText for HumanDuration {
    fn push_to(&self, out: &mut String) {
        let secs = self.0.unsigned_abs();
        let units = [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")];
        let Some(first) = units.iter().position(|&(u, _)| secs >= u) else {
            return out.push_str("0s");
        };
        if self.0 < 0 {
            out.push('-');
        }
        let mut digits = itoa::Buffer::new();
        let (u1, c1) = units[first];
        out.push_str(digits.format(secs / u1));
        out.push_str(c1);
        if let Some(&(u2, c2)) = units.get(first + 1) {
            let rest = secs % u1 / u2;
            if rest > 0 {
                out.push_str(digits.format(rest));
                out.push_str(c2);
            }
        }
    }
}

impl std::fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut text = String::with_capacity(16);
        self.push_to(&mut text);
        f.write_str(&text)
    }
}

/// RFC 3339 in UTC, `2026-11-26T04:46:02Z`, computed directly (civil-from-days) because
/// listing 10,000 segments formats 30,000 times.
pub fn rfc3339_utc(unix: i64) -> String {
    Rfc3339(unix).to_string()
}

/// A Unix time that displays as RFC 3339 UTC without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rfc3339(pub i64);

impl std::fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let (h, min, sec) = (secs / 3600, secs % 3600 / 60, secs % 60);
        if !(0..=9999).contains(&y) {
            return write!(f, "{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{sec:02}Z");
        }
        // Digits in place: `ls --json` writes 30,000 of these.
        let mut text = *b"0000-00-00T00:00:00Z";
        let mut put = |at: usize, width: usize, mut v: u64| {
            for i in (at..at + width).rev() {
                text[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, 4, y as u64);
        put(5, 2, u64::from(m));
        put(8, 2, u64::from(d));
        put(11, 2, h as u64);
        put(14, 2, min as u64);
        put(17, 2, sec as u64);
        f.write_str(std::str::from_utf8(&text).map_err(|_| std::fmt::Error)?)
    }
}

/// Howard Hinnant's algorithm: days since 1970-01-01 to (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// What time-dependent text is rendered against: the moment ages count from ("3m ago") and
/// the zone wall-clock times are shown in. Commands render with [`Clock::local`]; tests fix
/// both, so that their output does not depend on when and where they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub now: i64,
    pub zone: Zone,
}

impl Clock {
    /// `now` in the machine's zone (`TZ`, else /etc/localtime).
    pub fn local(now: i64) -> Clock {
        Clock {
            now,
            zone: Zone::Local,
        }
    }

    /// A wall-clock time for people, `2026-11-26 05:46:02 +01:00`.
    pub fn wall_time(self, unix: i64) -> String {
        let Some(utc) = chrono::DateTime::from_timestamp(unix, 0) else {
            return unix.to_string();
        };
        const FORMAT: &str = "%Y-%m-%d %H:%M:%S %:z";
        match self.zone {
            Zone::Local => utc.with_timezone(&chrono::Local).format(FORMAT).to_string(),
            Zone::Utc => utc.format(FORMAT).to_string(),
        }
    }
}

/// Where wall-clock times are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    Local,
    Utc,
}

/// An octal mode, `0600`, `600` or `0o600`, at most 0777.
pub fn parse_mode(text: &str) -> Result<u32, String> {
    let digits = text.strip_prefix("0o").unwrap_or(text);
    match u32::from_str_radix(digits, 8) {
        Ok(mode) if mode <= 0o777 && !digits.is_empty() => Ok(mode),
        _ => Err(format!(
            "`{text}` is not a permission mode: use octal 0000–0777, like 0600"
        )),
    }
}

/// `rw-r-----` from the 0777 bits.
pub fn perms_string(mode: u32) -> String {
    Perms(mode).to_string()
}

/// Permission bits that display as `rw-r-----` without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Perms(pub u32);

impl Perms {
    fn letters(self) -> [u8; 9] {
        let mut text = [b'-'; 9];
        for (i, shift) in [6, 3, 0].into_iter().enumerate() {
            let bits = (self.0 >> shift) & 7;
            for (j, (bit, letter)) in [(4, b'r'), (2, b'w'), (1, b'x')].into_iter().enumerate() {
                if bits & bit != 0 {
                    text[i * 3 + j] = letter;
                }
            }
        }
        text
    }
}

impl PushText for Perms {
    fn push_to(&self, out: &mut String) {
        push_ascii(out, &self.letters());
    }
}

impl std::fmt::Display for Perms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Only ASCII was written.
        f.write_str(std::str::from_utf8(&self.letters()).map_err(|_| std::fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The integer sizes are what `{:.1}` of the f64 shows: at every unit's edges, at the
    /// halfway points between tenths (rounded half to even), and at random.
    #[test]
    fn sizes_in_integers_equal_the_floating_point_text() {
        let float = |bytes: u64| {
            let mut text = String::new();
            HumanSize(bytes).push_float(&mut text);
            text
        };
        let mut sizes: Vec<u64> = (1024..300_000).collect();
        for k in 1..=5u32 {
            let unit = 1u64 << (10 * k);
            for tenth in 0..=10_240u64 {
                // Each tenth of a unit, and the halfway point to the next one.
                let at = unit.saturating_mul(10 + tenth) / 10;
                let half = (u128::from(unit) * (20 * u128::from(tenth) + 21) / 20) as u64;
                sizes.extend([
                    at.saturating_sub(1),
                    at,
                    at + 1,
                    half.saturating_sub(1),
                    half,
                    half + 1,
                ]);
            }
            sizes.extend([unit - 1, unit, unit + 1, 1023 * unit, 1024 * unit - 1]);
        }
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            sizes.push(state >> (state % 53));
        }
        sizes.extend([(1 << 53) - 1, 1 << 53, u64::MAX]);
        for bytes in sizes.into_iter().filter(|&b| b >= 1024) {
            assert_eq!(human_size(bytes), float(bytes), "{bytes}");
        }
    }

    /// The digits written in place are what `write!` gives, at every edge of the fast path
    /// (years 0 and 9999, leap days, the epoch) and outside it (negative years, year 10000+,
    /// the extremes of i64).
    #[test]
    fn rfc3339_in_place_equals_the_formatted_text() {
        let reference = |unix: i64| {
            let (y, m, d) = civil_from_days(unix.div_euclid(86_400));
            let secs = unix.rem_euclid(86_400);
            format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
                secs / 3600,
                secs % 3600 / 60,
                secs % 60
            )
        };
        let mut times = vec![
            0,
            1,
            -1,
            86_399,
            951_782_400,     // 2000-02-29
            1_796_297_981,   // 2026-12-03
            -62_167_219_200, // 0000-01-01
            -62_167_219_201,
            253_402_300_799, // 9999-12-31T23:59:59
            253_402_300_800, // 10000-01-01
            i64::MAX / 2,
            i64::MIN / 2,
        ];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            times.push((x % 400_000_000_000) as i64 - 100_000_000_000);
        }
        for t in times {
            assert_eq!(Rfc3339(t).to_string(), reference(t), "{t}");
        }
        assert_eq!(Rfc3339(0).to_string(), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn human_sizes_and_durations_without_allocating_read_as_before() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1024), "1.0 KiB");
        assert_eq!(human_size(u64::MAX), "16.0 EiB");
        assert_eq!(human_duration(0), "0s");
        assert_eq!(human_duration(59), "59s");
        assert_eq!(human_duration(3600), "1h");
        assert_eq!(human_duration(3_725), "1h2m");
        assert_eq!(human_duration(-90), "-1m30s");
        assert_eq!(human_duration(i64::MIN), "-106751991167300d15h");
    }

    #[test]
    fn sizes_follow_util_linux() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("4K"), Ok(4096));
        assert_eq!(parse_size("4k"), Ok(4096));
        assert_eq!(parse_size("4KiB"), Ok(4096));
        assert_eq!(parse_size("4KB"), Ok(4000));
        assert_eq!(parse_size("1MiB"), Ok(1 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("1GB"), Ok(1_000_000_000));
        assert!(parse_size("").is_err());
        assert!(parse_size("K").is_err());
        assert!(parse_size("4X").is_err());
        assert!(parse_size("4KX").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("99999999999T")
            .expect_err("overflow")
            .contains("too large"));
    }

    fn secs(text: &str) -> Result<i64, String> {
        parse_duration(text).map(Age::secs)
    }

    #[test]
    fn durations() {
        assert_eq!(secs("90s"), Ok(90));
        assert_eq!(secs("10m"), Ok(600));
        assert_eq!(secs("2h"), Ok(7200));
        assert_eq!(secs("7d"), Ok(604_800));
        assert_eq!(secs("1h30m"), Ok(5400));
        assert_eq!(secs("45"), Ok(45));
        assert_eq!(secs("0"), Ok(0));
        assert_eq!(secs("0s"), Ok(0));
        for bad in ["", "h", "1x", "1h30", "-5m", "1.5h", "1hh", "+5"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_are_bounded_at_a_hundred_years() {
        assert_eq!(secs("36525d"), Ok(3_155_760_000));
        assert_eq!(secs("3155760000"), Ok(3_155_760_000));
        assert_eq!(secs("36524d23h59m60s"), Ok(3_155_760_000));
        assert_eq!(parse_duration("36525d"), Ok(Age::MAX));
        for too_long in [
            "3155760001",
            "36525d1s",
            "36526d",
            "5218w",
            "4294967296",
            "9223372036854775807",
            "9223372036854775808",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999999999",
            "106751991167301d",
            "213503982334602d",
            "18446744073709551615s1s",
            "1s18446744073709551615s",
            "30500w30500w",
        ] {
            let err = parse_duration(too_long).expect_err(too_long);
            assert!(err.contains("at most 36525d"), "{too_long}: {err}");
        }
        assert_eq!(Age::from_secs(u64::MAX), None);
        assert_eq!(Age::from_secs(3_155_760_000), Some(Age::MAX));
    }

    #[test]
    fn idle_time_saturates() {
        assert_eq!(elapsed(10, 3), 7);
        assert_eq!(elapsed(i64::MAX, i64::MIN), i64::MAX);
        assert_eq!(elapsed(i64::MIN, i64::MAX), i64::MIN);
        assert_eq!(elapsed(0, i64::MIN), i64::MAX);
        assert!(Age::MAX.has_passed(i64::MIN, 1_800_000_000));
        assert!(!Age::MAX.has_passed(i64::MAX, 1_800_000_000));
        assert!(!Age::from_secs(60)
            .expect("60 s")
            .has_passed(1_800_000_000, 1_800_000_000));
        assert!(Age::default().has_passed(1_800_000_000, 1_800_000_000));
    }

    #[test]
    fn intervals() {
        assert_eq!(
            parse_interval("500ms"),
            Ok(std::time::Duration::from_millis(500))
        );
        assert_eq!(parse_interval("2s"), Ok(std::time::Duration::from_secs(2)));
        assert!(parse_interval("5ms").is_err());
        assert!(parse_interval("fast").is_err());
        assert!(parse_interval("ms").is_err());
        assert!(parse_interval("-5ms").is_err());
        assert_eq!(
            parse_interval("3155760000000ms"),
            Ok(Age::MAX.as_duration())
        );
        for too_long in [
            "3155760000001ms",
            "18446744073709551615ms",
            "99999999999999999999ms",
            "36526d",
            "18446744073709551615",
        ] {
            let err = parse_interval(too_long).expect_err(too_long);
            assert!(err.contains("at most 36525d"), "{too_long}: {err}");
        }
    }

    #[test]
    fn human_formats() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(4096), "4.0 KiB");
        assert_eq!(human_size(1536 * 1024), "1.5 MiB");
        assert_eq!(human_size(u64::MAX), "16.0 EiB");
        assert_eq!(human_duration(0), "0s");
        assert_eq!(human_duration(45), "45s");
        assert_eq!(human_duration(312), "5m12s");
        assert_eq!(human_duration(3600), "1h");
        assert_eq!(human_duration(5400), "1h30m");
        assert_eq!(human_duration(3 * 86_400 + 4 * 3600 + 5), "3d4h");
        assert_eq!(human_duration(-90), "-1m30s");
        assert_eq!(human_duration(i64::MAX), "106751991167300d15h");
        assert_eq!(human_duration(i64::MIN), "-106751991167300d15h");
        assert_eq!(human_duration(i64::MIN + 1), "-106751991167300d15h");
    }

    #[test]
    fn rfc3339_matches_chrono() {
        for t in [
            0i64,
            951_782_400,
            1_764_129_731,
            1_795_668_470,
            4_102_444_800,
            -86_401,
        ] {
            let expected = chrono::DateTime::from_timestamp(t, 0)
                .expect("in range")
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string();
            assert_eq!(rfc3339_utc(t), expected, "{t}");
        }
    }

    #[test]
    fn wall_times_in_utc_read_like_local_ones() {
        let utc = Clock {
            now: 0,
            zone: Zone::Utc,
        };
        assert_eq!(utc.wall_time(1_764_129_731), "2025-11-26 04:02:11 +00:00");
        assert_eq!(utc.wall_time(i64::MAX), i64::MAX.to_string());
    }

    #[test]
    fn modes() {
        assert_eq!(parse_mode("0600"), Ok(0o600));
        assert_eq!(parse_mode("644"), Ok(0o644));
        assert_eq!(parse_mode("0o777"), Ok(0o777));
        assert!(parse_mode("1777").is_err());
        assert!(parse_mode("0800").is_err());
        assert!(parse_mode("").is_err());
        assert_eq!(perms_string(0o640), "rw-r-----");
        assert_eq!(perms_string(0o007), "------rwx");
    }
}
