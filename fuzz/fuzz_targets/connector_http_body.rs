//! One HTTP answer judged by every provider: the input is `STATUS RETRY-AFTER\n` then the body (see
//! `source_bitcoin::fuzzing::split_answer`), so the corpus files stay readable.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (status, retry_after, body) = source_bitcoin::fuzzing::split_answer(data);
    let _ = source_bitcoin::fuzzing::answer(status, retry_after.as_deref(), body);
});
