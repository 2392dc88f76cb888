//! The connector's config parser (`Config::from_json`) on arbitrary text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = source_bitcoin::fuzzing::config(text);
    }
});
