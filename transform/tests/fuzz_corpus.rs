//! Replays every file of the transform fuzz corpora (`fuzz/corpus/transform_*/`, grown by
//! `scripts/fuzz.sh`) through the functions the fuzz targets call, as a normal test: no libFuzzer, no
//! nightly, no time-bound fuzzing in CI, yet every input that ever found a crash stays a regression test.

use std::path::PathBuf;

use duckdb::arrow::array::{Array, AsArray};
use transform::fuzzing;

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(target);
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).map(|e| e.expect("corpus entry").path()).collect();
    files.sort();
    assert!(files.len() >= 3, "{target}: the corpus is (nearly) empty");
    files.into_iter().map(|p| (p.clone(), std::fs::read(&p).expect("corpus file"))).collect()
}

#[test]
fn sync_message_corpus_replays_without_a_panic() {
    let rows: usize = corpus("transform_sync_message").iter().filter_map(|(_, b)| fuzzing::sync_messages(b).ok()).sum();
    assert!(rows > 0, "some corpus output has records");
}

#[test]
fn project_corpus_replays_without_a_panic() {
    let loaded = corpus("transform_project").iter().filter(|(_, b)| fuzzing::project(b).is_ok()).count();
    assert!(loaded > 0, "some corpus project loads");
}

#[test]
fn select_corpus_replays_without_a_panic() {
    let selected: usize = corpus("transform_select").iter().filter_map(|(_, b)| fuzzing::selection(b).ok()).sum();
    assert!(selected > 0, "some corpus selector selects");
}

#[test]
fn the_seed_outputs_parse_as_the_sync_reads_them() {
    // The hand-made seeds: two records of `all` and one of `other` are rows; the hostile lines are not.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/transform_sync_message");
    assert_eq!(fuzzing::sync_messages(&std::fs::read(dir.join("seed-streams")).expect("seed")), Ok(3));
    assert_eq!(fuzzing::sync_messages(&std::fs::read(dir.join("seed-hostile")).expect("seed")), Ok(1));
}

#[test]
fn a_stream_completed_by_its_trace_is_flushed_and_an_id_past_i64_is_nulled_and_noted() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/transform_sync_message");
    let batches = fuzzing::sync_rows(&std::fs::read(dir.join("seed-streams")).expect("seed")).expect("parses");
    let streams: Vec<(&str, usize)> = batches.iter().map(|(s, b)| (s.as_str(), b.num_rows())).collect();
    assert_eq!(streams, [("all", 2), ("other", 1)], "`all` flushed by its STATE, `other` by its STREAM_STATUS COMPLETE");
    let other = &batches[1].1;
    let col = |name: &str| other.column(other.schema().index_of(name).expect("column")).clone();
    assert!(col("id").is_null(0), "9223372036854775808 does not fit BIGINT");
    let meta = col("_airbyte_meta");
    let meta = meta.as_string::<i32>().value(0);
    assert!(meta.contains(r#""field":"id""#) && meta.contains(r#""change":"NULLED""#), "the change is noted: {meta}");
    assert_eq!(col("name").as_string::<i32>().value(0), "\u{e9}\"q", "escapes decoded");
}
