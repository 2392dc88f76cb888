//! Replays every file of the connector's fuzz corpora (`fuzz/corpus/connector_*/`, grown by `scripts/fuzz.sh`)
//! through the functions the fuzz targets call, as a normal test: no libFuzzer, no nightly, no time-bound
//! fuzzing in CI, yet every input that ever found a crash (kept in the corpus) stays a regression test.
use std::path::PathBuf;

use source_bitcoin::fuzzing;

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{target}: the corpus is (nearly) empty");
    files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).expect("corpus file");
            (path, bytes)
        })
        .collect()
}

/// The target's text input, as the fuzz target reads it (only UTF-8 inputs reach the parser).
fn text(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok()
}

#[test]
fn config_corpus_replays_without_a_panic() {
    let mut accepted = 0;
    for (_, bytes) in corpus("connector_config") {
        if let Some(text) = text(&bytes) {
            accepted += usize::from(fuzzing::config(text).is_ok());
        }
    }
    assert!(accepted > 0, "some corpus config is valid");
}

#[test]
fn catalog_corpus_replays_without_a_panic() {
    for (_, bytes) in corpus("connector_catalog") {
        if let Some(text) = text(&bytes) {
            let _ = fuzzing::catalog(text);
        }
    }
}

#[test]
fn state_corpus_replays_without_a_panic_and_checkpoints_read_back() {
    for (path, bytes) in corpus("connector_state") {
        if let Some(text) = text(&bytes) {
            if let Err(e) = fuzzing::state(text) {
                assert!(!e.contains("does not read back"), "{}: {e}", path.display());
            }
        }
    }
}

#[test]
fn http_body_corpus_replays_without_a_panic() {
    let mut judged = 0;
    for (_, bytes) in corpus("connector_http_body") {
        let (status, retry_after, body) = fuzzing::split_answer(&bytes);
        judged += fuzzing::answer(status, retry_after.as_deref(), body).len();
    }
    assert!(judged > 0);
}

#[test]
fn an_answer_is_split_into_status_retry_after_and_body() {
    assert_eq!(
        fuzzing::split_answer(b"429 5\n{}"),
        (429, Some("5".to_string()), &b"{}"[..])
    );
    assert_eq!(fuzzing::split_answer(b"{}"), (200, None, &b"{}"[..]));
    let outcomes = fuzzing::answer(429, Some("1"), br#"{"status":{"error_code":429}}"#);
    assert_eq!(outcomes.len(), 6, "one per provider");
    assert!(outcomes.iter().all(Result::is_err));
}
