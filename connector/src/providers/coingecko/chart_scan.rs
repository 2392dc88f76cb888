//! The market chart's common body read by hand, a few instructions per byte (serde's visitor path spent
//! ~2,400 instructions per record): an object of up to the three known series, each point
//! `[number, number | null]`. Anything else — an unknown or repeated key, an escape, a third item, a
//! string — is `None`, and the stream reads the body with serde (`chart.rs`) instead, which gives the
//! same points.
use super::chart::{Chart, Point};

/// `10^0 ..= 10^19` (the most fraction digits of an exact form), each exactly an `f64`.
const POW10: [f64; 20] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19,
];

/// The same as integers.
const POW10_INT: [u64; 20] = {
    let mut table = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// The chart of a plain body, or `None` to leave it to serde.
pub fn read(body: &[u8]) -> Option<Chart> {
    let mut s = Scanner { b: body, i: 0 };
    let mut series: [Option<Vec<Point>>; 3] = [None, None, None];
    s.eat(b'{')?;
    loop {
        let slot = match s.key()? {
            b"prices" => 0,
            b"market_caps" => 1,
            b"total_volumes" => 2,
            _ => return None,
        };
        s.eat(b':')?;
        if series[slot].is_some() {
            return None;
        }
        series[slot] = Some(s.series()?);
        match s.next()? {
            b',' => continue,
            b'}' => break,
            _ => return None,
        }
    }
    s.skip_ws();
    if s.i != body.len() {
        return None;
    }
    let [prices, caps, volumes] = series;
    Some(Chart {
        prices: prices?,
        market_caps: caps.unwrap_or_default(),
        total_volumes: volumes.unwrap_or_default(),
    })
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    fn skip_ws(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.i += 1;
        }
    }

    /// The next byte after any whitespace, consumed.
    fn next(&mut self) -> Option<u8> {
        self.skip_ws();
        let c = *self.b.get(self.i)?;
        self.i += 1;
        Some(c)
    }

    fn eat(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    /// A key without escapes.
    fn key(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.i;
        let len = self.b[start..].iter().position(|&c| c == b'"')?;
        let key = &self.b[start..start + len];
        self.i = start + len + 1;
        (!key.iter().any(|&c| c == b'\\' || c < 0x20)).then_some(key)
    }

    /// `[point, …]`.
    fn series(&mut self) -> Option<Vec<Point>> {
        self.eat(b'[')?;
        // A 90-day hourly window: 2,160 points.
        let mut points = Vec::with_capacity(self.b.len().saturating_sub(self.i).min(65_536) / 64);
        self.skip_ws();
        if self.b.get(self.i) == Some(&b']') {
            self.i += 1;
            return Some(points);
        }
        loop {
            points.push(self.point()?);
            match self.next()? {
                b',' => continue,
                b']' => return Some(points),
                _ => return None,
            }
        }
    }

    /// `[ms, value | null]`.
    fn point(&mut self) -> Option<Point> {
        self.eat(b'[')?;
        let ms = self.number()?;
        self.eat(b',')?;
        self.skip_ws();
        let value = if self.b[self.i..].starts_with(b"null") {
            self.i += 4;
            None
        } else {
            Some(self.number()?)
        };
        self.eat(b']')?;
        Some(Point::new(ms, value))
    }

    /// A JSON number read into an `f64` as serde_json reads it with `float_roundtrip` (which this crate
    /// turns on): correctly rounded. The common forms are computed exactly — an integer of at most 19 digits
    /// (`n as f64`, serde's own conversion), or digits making at most 2^53 over at most 10^22 (one exact
    /// division) — and every other number (an exponent, more digits) is parsed by `f64::from_str`, correctly
    /// rounded too. Not JSON's grammar (`01`, `1.`, `-`) or out of range: `None`.
    fn number(&mut self) -> Option<f64> {
        self.skip_ws();
        let start = self.i;
        let negative = self.b.get(self.i) == Some(&b'-');
        self.i += usize::from(negative);
        let (int, int_digits) = self.digits();
        if int_digits == 0 || (int_digits > 1 && self.b[self.i - int_digits] == b'0') {
            return None;
        }
        let (mut fraction, mut fraction_digits) = (0, 0);
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            (fraction, fraction_digits) = self.digits();
            if fraction_digits == 0 {
                return None;
            }
        }
        let exponent = matches!(self.b.get(self.i), Some(b'e' | b'E'));
        if exponent {
            self.i += 1;
            self.i += usize::from(matches!(self.b.get(self.i), Some(b'+' | b'-')));
            if self.digits().1 == 0 {
                return None;
            }
        }
        let exact = (!exponent && int_digits + fraction_digits <= 19).then(|| {
            let significand = int * POW10_INT[fraction_digits] + fraction;
            match fraction_digits {
                0 => Some(significand as f64),
                k if significand <= 1 << 53 => Some(significand as f64 / POW10[k]),
                _ => None,
            }
        });
        let value = match exact.flatten() {
            Some(v) if negative => -v,
            Some(v) => v,
            // The token is ASCII digits and signs: valid UTF-8.
            None => std::str::from_utf8(&self.b[start..self.i])
                .ok()?
                .parse::<f64>()
                .ok()?,
        };
        value.is_finite().then_some(value)
    }

    /// The decimal digits at the cursor: their value (wrapping past 20 digits, then refused by the caller)
    /// and their count. Eight at a time while eight follow (a market chart's times have 13).
    fn digits(&mut self) -> (u64, usize) {
        let start = self.i;
        let mut value = 0u64;
        while let Some(eight) = self.b.get(self.i..self.i + 8).and_then(eight_digits) {
            value = value.wrapping_mul(100_000_000).wrapping_add(eight);
            self.i += 8;
        }
        while let Some(&c @ b'0'..=b'9') = self.b.get(self.i) {
            value = value.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
            self.i += 1;
        }
        (value, self.i - start)
    }
}

/// The value of eight ASCII digits, or `None` when any byte is not a digit (the SWAR check and
/// conversion of simdjson's `parse_eight_digits_unrolled`).
fn eight_digits(bytes: &[u8]) -> Option<u64> {
    let v = u64::from_le_bytes(bytes.try_into().ok()?);
    let high = v & 0xF0F0_F0F0_F0F0_F0F0;
    let over = (v.wrapping_add(0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) >> 4;
    if high | over != 0x3333_3333_3333_3333 {
        return None;
    }
    let v = (v & 0x0F0F_0F0F_0F0F_0F0F).wrapping_mul(2561) >> 8;
    let v = (v & 0x00FF_00FF_00FF_00FF).wrapping_mul(6_553_601) >> 16;
    Some((v & 0x0000_FFFF_0000_FFFF).wrapping_mul(42_949_672_960_001) >> 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The points as serde reads them, bit for bit.
    fn bits(chart: &Chart) -> Vec<Vec<(u64, Option<u64>)>> {
        [&chart.prices, &chart.market_caps, &chart.total_volumes]
            .iter()
            .map(|s| {
                s.iter()
                    .map(|p| (p.ms.to_bits(), p.value().map(f64::to_bits)))
                    .collect()
            })
            .collect()
    }

    fn serde(body: &str) -> Option<Chart> {
        serde_json::from_str::<Chart>(body).ok()
    }

    #[test]
    fn plain_bodies_read_as_serde_reads_them() {
        // Numbers of every form the fast path takes, and a pseudo-random spread of digits.
        let mut numbers: Vec<String> = [
            "0",
            "-0",
            "7",
            "85200",
            "85349.99999999999",
            "0.1",
            "-0.5",
            "1367107200000",
            "135.3",
            "0.000000000000000001",
            "9007199254740992",
            "9007199.254740992",
            "1234567890123456789",
            "91199.99999999999",
            "1370247487960.0297",
            "1.0000000000000002",
            "9007199254740993.0",
            "12345678901234567890",
            "0.000000000000000000001",
            "1e5",
            "-2.5E-3",
            "1E+2",
            "0e0",
            "123456789012345678901234567890.5",
            "1e-400",
            "-0.0",
            "4.35",
            "2.675",
        ]
        .map(String::from)
        .to_vec();
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = (x % 17 + 1) as usize;
            let text = format!("{:017}", x % 100_000_000_000_000_000);
            let (int, frac) = text[17 - digits..].split_at((x >> 40) as usize % digits + 1);
            let int = int.trim_start_matches('0');
            let int = if int.is_empty() { "0" } else { int };
            numbers.push(if frac.is_empty() {
                int.to_string()
            } else {
                format!("{int}.{frac}")
            });
        }
        for chunk in numbers.chunks(7) {
            let points: Vec<String> = chunk
                .iter()
                .enumerate()
                .map(|(i, n)| format!("[{}{i}, {n}]", 1_700_000_000_000u64))
                .collect();
            let body = format!(
                r#"{{"prices":[{}], "market_caps" : [ [1,null],[2,{}] ],"total_volumes":[]}}"#,
                points.join(","),
                chunk[0]
            );
            let fast = read(body.as_bytes()).unwrap_or_else(|| panic!("not read: {body}"));
            assert_eq!(bits(&fast), bits(&serde(&body).unwrap()), "{body}");
        }
    }

    #[test]
    fn eight_digits_at_once() {
        assert_eq!(eight_digits(b"12345678"), Some(12_345_678));
        assert_eq!(eight_digits(b"00000009"), Some(9));
        for bad in [
            b"1234567/",
            b"1234567:",
            b"123.4567",
            b" 1234567",
            b"1234567\xb0",
        ] {
            assert_eq!(eight_digits(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn other_bodies_are_left_to_serde() {
        for body in [
            r#"{"prices":[[1,1e999]]}"#,
            r#"{"prices":[[1,1e]]}"#,
            r#"{"prices":[[1,+1]]}"#,
            r#"{"prices":[[1,.5]]}"#,
            r#"{"prices":[[1,2,3]]}"#,
            r#"{"prices":[[1,"2"]]}"#,
            r#"{"prices":[[01,2]]}"#,
            r#"{"prices":[[1,2.]]}"#,
            r#"{"prices":[[1,-]]}"#,
            r#"{"prices":[[1,2]],"prices":[]}"#,
            r#"{"prices":[[1,2]],"other":1}"#,
            r#"{"pri\u0063es":[[1,2]]}"#,
            r#"{"market_caps":[[1,2]]}"#,
            r#"{"prices":[[1,2]]} x"#,
            r#"{"prices":[[1,2]]"#,
            r#"{"prices":[[1,2],]}"#,
            "[]",
            "",
        ] {
            assert!(read(body.as_bytes()).is_none(), "{body}");
        }
        let chart = read(b" {\"prices\" :[ ] } \n").unwrap();
        assert!(chart.prices.is_empty() && chart.total_volumes.is_empty());
    }
}
