//! --select / --exclude text through dbt's selection grammar on the fixture project.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = transform::fuzzing::selection(data);
});
