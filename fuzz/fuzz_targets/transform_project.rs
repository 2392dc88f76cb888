//! Project files (YAML + Jinja) through the loader and the parse-time render.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = transform::fuzzing::project(data);
});
