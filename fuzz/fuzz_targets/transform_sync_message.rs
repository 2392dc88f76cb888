//! A source's stdout (any bytes) through the sync message parser.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = transform::fuzzing::sync_messages(data);
});
