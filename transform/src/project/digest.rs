//! Hex digests: dbt's sha256 file checksums and the lower-case hex its md5 test ids use. A leaf:
//! it imports nothing of the project, so every module may use it.

/// Hex sha256 of some bytes (dbt's `FileHash.from_contents`).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}

/// Lower-case hex of a digest (one table lookup per nibble: every node id and checksum goes through it).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0xf) as usize] as char);
    }
    out
}
