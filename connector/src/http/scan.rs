//! A quick structural pass over a 2xx body, so that the common answer — a balanced JSON object or array
//! without an error envelope's keys (`status`, `error`, `message`, `reason`) at its top level — is not
//! parsed twice (here, then by its stream). It follows strings and brackets only; anything else (not
//! starting with `{` or `[`, unbalanced, truncated, trailing bytes, an envelope key) is left to the full
//! parse in `answer.rs`. The tokens between the brackets are checked by the stream's own parse.

/// Bytes that matter to the pass: quotes, backslashes, brackets, braces, commas and colons.
const STRUCTURAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = matches!(
            i as u8,
            b'"' | b'\\' | b'{' | b'}' | b'[' | b']' | b',' | b':'
        );
        i += 1;
    }
    table
};

/// True when `body` is balanced JSON structure whose top level holds none of the envelope's keys.
pub fn plain(body: &[u8]) -> bool {
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start.filter(|&i| matches!(body[i], b'{' | b'[')) else {
        return false;
    };
    let top_object = body[start] == b'{';
    let mut depth = 0usize;
    // At depth 1 of the top object: the next string is a key (after `{` or `,`).
    let mut expect_key = false;
    let mut i = start;
    while i < body.len() {
        // Deep inside (a market chart's points), eight bytes at a time while no string starts and the
        // depth cannot fall to 1 within them: only the brackets are counted.
        if depth >= 2 {
            if let Some(word) = body.get(i..i + 8) {
                let v = u64::from_le_bytes(word.try_into().unwrap_or_default());
                // `| 0x20` turns `[` into `{` and `]` into `}`, and no other byte into either.
                let folded = v | 0x2020_2020_2020_2020;
                let opens = lanes(lanes_equal(folded, b'{'));
                let closes = lanes(lanes_equal(folded, b'}'));
                if lanes_equal(v, b'"') == 0 && depth > closes + 1 {
                    depth = depth + opens - closes;
                    i += 8;
                    continue;
                }
            }
        }
        let b = body[i];
        if !STRUCTURAL[usize::from(b)] {
            if depth == 0 && !b.is_ascii_whitespace() {
                return false;
            }
            i += 1;
            continue;
        }
        match b {
            b'"' => {
                let Some(end) = string_end(body, i + 1) else {
                    return false;
                };
                if expect_key && depth == 1 && top_object && envelope_key(&body[i + 1..end]) {
                    return false;
                }
                expect_key = false;
                i = end;
            }
            b'{' | b'[' => {
                depth += 1;
                expect_key = depth == 1 && b == b'{';
            }
            b'}' | b']' => {
                if depth == 0 {
                    return false;
                }
                depth -= 1;
                if depth == 0 {
                    return body[i + 1..].iter().all(u8::is_ascii_whitespace);
                }
            }
            b',' => expect_key = depth == 1 && top_object,
            _ => {}
        }
        i += 1;
    }
    false
}

/// One high bit per byte of `v` equal to `c` (exact: no carry crosses a byte).
fn lanes_equal(v: u64, c: u8) -> u64 {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let x = v ^ (0x0101_0101_0101_0101 * u64::from(c));
    !(((x & LOW7) + LOW7) | x) & !LOW7
}

/// How many bytes a [`lanes_equal`] mask marks (a sum of eight 0/1 bytes, without a popcount).
fn lanes(mask: u64) -> usize {
    ((mask >> 7).wrapping_mul(0x0101_0101_0101_0101) >> 56) as usize
}

/// The index of the quote closing the string whose text starts at `from`.
fn string_end(body: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i < body.len() {
        match body[i] {
            b'"' => return Some(i),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    None
}

/// A key `envelope_error` reads (as written, without escapes: an escaped one goes to the full parse).
fn envelope_key(key: &[u8]) -> bool {
    matches!(key, b"status" | b"error" | b"message" | b"reason") || key.contains(&b'\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_balanced_bodies_without_envelope_keys_are_plain() {
        for body in [
            r#"{"prices":[[1,2],[3,4.5]],"market_caps":[]}"#,
            r#" [ {"status": "inner keys are data"}, "a\"b]" ] "#,
            r#"{"data":{"error":null},"x":"{["}"#,
            r#"{"prices":[[1367107200000,91199.99999999999],[1367193600000,null]],"total_volumes":[[[[1]]]]}"#,
            r#"[[[[[[[[1,2,3,4,5,6,7,8]]]]]]]]"#,
            "[]",
        ] {
            assert!(plain(body.as_bytes()), "{body}");
        }
        for body in [
            r#"{"status":{"error_code":429}}"#,
            r#"{"data":1,"error":"x"}"#,
            r#"{"data":1, "message" : "x"}"#,
            r#"{"st\u0061tus":1}"#,
            r#"{"prices":[[1,2]"#,
            r#"{"prices":[[1367107200000,91199.99999999999]]],"error":1}"#,
            r#"{"prices":[[1367107200000,91199.99999999999]],"error":1}"#,
            r#"[[[[[[[[1,2,3,4,5,6,7,8]]]]]]]]]"#,
            r#"[[[[[[[[1,2,3,4,5,6,7,8]]]]]]]"#,
            r#"{"a":"unterminated}"#,
            r#"{"a":1}}"#,
            r#"{"a":1} x"#,
            "<html></html>",
            "",
            "12",
        ] {
            assert!(!plain(body.as_bytes()), "{body}");
        }
    }
}
