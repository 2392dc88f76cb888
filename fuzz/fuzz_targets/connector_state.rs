//! The connector's `--state` parser and per-stream state on arbitrary text (a checkpoint must read back).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = source_bitcoin::fuzzing::state(text);
    }
});
