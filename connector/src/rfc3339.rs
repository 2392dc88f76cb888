//! RFC 3339 text of UTC times, both ways, fast: the connector writes a time in every record and reads one
//! back as each record's cursor. The canonical form it writes (`2024-04-07T15:24:51.021Z`, years 0–9999) has
//! a hand-written path, byte-identical to chrono's `to_rfc3339_opts(SecondsFormat::AutoSi, true)` and to
//! what `DateTime::parse_from_rfc3339` reads; every other text goes through chrono.
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

/// The longest canonical text: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
pub const LONGEST: usize = 30;

/// UTC RFC 3339 with only as many sub-second digits as needed (none, 3, 6 or 9).
pub fn format(t: DateTime<Utc>) -> String {
    let mut buf = [0u8; LONGEST];
    let text = write(t, &mut buf).and_then(|n| std::str::from_utf8(&buf[..n]).ok());
    text.map_or_else(
        || t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        str::to_string,
    )
}

/// Writes `t` in the canonical form into `buf`, returning its length; `None` where chrono writes something
/// else (a year outside 0–9999, a leap second).
pub fn write(t: DateTime<Utc>, buf: &mut [u8; LONGEST]) -> Option<usize> {
    let nanos = t.timestamp_subsec_nanos();
    if nanos >= 1_000_000_000 {
        return None;
    }
    let secs = t.timestamp();
    let (year, month, day) = civil(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400) as u32;
    if !(0..=9999).contains(&year) {
        return None;
    }
    digits(&mut buf[0..4], year as u32);
    buf[4] = b'-';
    digits(&mut buf[5..7], month);
    buf[7] = b'-';
    digits(&mut buf[8..10], day);
    buf[10] = b'T';
    digits(&mut buf[11..13], rem / 3600);
    buf[13] = b':';
    digits(&mut buf[14..16], rem / 60 % 60);
    buf[16] = b':';
    digits(&mut buf[17..19], rem % 60);
    let mut end = 19;
    let (fraction, width) = match nanos {
        0 => (0, 0),
        n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
        n if n % 1_000 == 0 => (n / 1_000, 6),
        n => (n, 9),
    };
    if width > 0 {
        buf[19] = b'.';
        digits(&mut buf[20..20 + width], fraction);
        end = 20 + width;
    }
    buf[end] = b'Z';
    Some(end + 1)
}

/// Reads RFC 3339 text (any offset; chrono's rules), the canonical UTC form without chrono's parser.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    parse_canonical(text.as_bytes()).or_else(|| {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    })
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` exactly (seconds below 60); `None` for anything else.
fn parse_canonical(b: &[u8]) -> Option<DateTime<Utc>> {
    if b.len() < 20 || b.len() > LONGEST || b[b.len() - 1] != b'Z' {
        return None;
    }
    let seps = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if seps.iter().any(|&(i, c)| b[i] != c) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    let nanos = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', frac @ ..] if (1..=9).contains(&frac.len()) => {
            num(20..20 + frac.len())? * 10u32.pow(9 - frac.len() as u32)
        }
        _ => return None,
    };
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if second >= 60 {
        return None;
    }
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?
        .and_hms_nano_opt(hour, minute, second, nanos)
        .map(|t| t.and_utc())
}

/// `00`, `01`, … `99`: two digits per lookup.
const PAIRS: [u8; 200] = {
    let mut table = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        table[2 * i] = b'0' + (i / 10) as u8;
        table[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    table
};

/// Writes `value` as exactly `out.len()` decimal digits (zero-padded), two at a time.
fn digits(out: &mut [u8], mut value: u32) {
    let mut end = out.len();
    while end >= 2 {
        let pair = (value % 100) as usize * 2;
        out[end - 2..end].copy_from_slice(&PAIRS[pair..pair + 2]);
        value /= 100;
        end -= 2;
    }
    if end == 1 {
        out[0] = b'0' + (value % 10) as u8;
    }
}

/// (year, month, day) of a day counted from 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn formats_like_chrono() {
        let samples = [
            0i64,
            1,
            999,
            1_000,
            1_367_107_200_000,
            1_700_000_000_021,
            253_402_300_799_999,
            -62_167_219_200_000,
            -62_167_219_200_001,
            253_402_300_800_000,
            -1,
            951_782_400_000,
        ];
        for ms in samples {
            let t = Utc.timestamp_millis_opt(ms).unwrap();
            assert_eq!(
                format(t),
                t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                "{ms}"
            );
        }
        for nanos in [1u32, 1_000, 123_456_789, 500_000_000] {
            let t = Utc.timestamp_opt(1_700_000_000, nanos).unwrap();
            assert_eq!(
                format(t),
                t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                "{nanos}"
            );
        }
    }

    #[test]
    fn parses_like_chrono() {
        for text in [
            "2024-04-07T15:24:51.021Z",
            "2024-04-07T15:24:51Z",
            "2024-02-29T00:00:00.5Z",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-04-07T24:00:00Z",
            "2024-04-07T15:24:60Z",
            "2024-04-07t15:24:51z",
            "2024-04-07T15:24:51.1234567891Z",
            "2024-04-07T15:24:51+01:00",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999Z",
            "2024-04-07T15:24:5xZ",
            "2024-04-07",
            "",
        ] {
            let chrono = DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|t| t.with_timezone(&Utc));
            assert_eq!(parse(text), chrono, "{text}");
        }
    }
}
