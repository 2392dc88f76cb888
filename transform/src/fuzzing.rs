//! Entry points for the transform fuzz targets (`fuzz/`) and their corpus replay test
//! (`tests/fuzz_corpus.rs`): each feeds untrusted bytes through one parser as a command would — a
//! source's output through the sync message parser, files through the project loader (YAML + Jinja),
//! text through the selection grammar — and checks what must hold whatever the input (no panic, and
//! the invariants asserted here). Nothing is printed. Not an API.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use duckdb::arrow::record_batch::RecordBatch;
use serde_json::json;

use crate::compile::{self, Manifest, Options};
use crate::project::RelationName;
use crate::select;
use crate::sync::airbyte::Lines;
use crate::sync::parser::{self, Item};
use crate::sync::raw_tables::RawTable;

/// The tables of the sync target: one column of every type, and a second stream.
fn tables() -> HashMap<String, RawTable> {
    let rel = |name: &str| RelationName { database: "fuzz".into(), schema: "raw".into(), identifier: name.into() };
    let all = json!({"properties": {
        "i": {"type": "integer"}, "f": {"type": ["null", "number"]}, "b": {"type": "boolean"}, "s": {"type": "string"},
        "t": {"type": "string", "format": "date-time"}, "j": {"type": ["object", "null"]}, "a": {"type": "array"}}});
    let other = json!({"properties": {"id": {"type": "integer"}, "name": {"type": "string"}}});
    HashMap::from([("all".to_string(), RawTable::new(rel("all"), &all)), ("other".to_string(), RawTable::new(rel("other"), &other))])
}

/// A source's stdout through the sync parser. Every batch holds rows of a configured stream with
/// one column per table column, and rows + unknown + invalid never exceed the lines read.
pub fn sync_messages(data: &[u8]) -> Result<usize, String> {
    parse_output(data, &mut |_, _| {})
}

/// As `sync_messages`, keeping the batches (stream, rows) for a test to look into.
pub fn sync_rows(data: &[u8]) -> Result<Vec<(String, RecordBatch)>, String> {
    let mut kept = vec![];
    parse_output(data, &mut |stream, batch| kept.push((stream.to_string(), batch.clone())))?;
    Ok(kept)
}

/// Parses `data` as a source's output into the fuzz tables, handing each batch to `on_rows`; the
/// rows in all, or the first error the parser reported.
fn parse_output(data: &[u8], on_rows: &mut dyn FnMut(&str, &RecordBatch)) -> Result<usize, String> {
    let tables = tables();
    let widths: HashMap<String, usize> = tables.iter().map(|(n, t)| (n.clone(), t.column_names().len())).collect();
    let mut lines = Lines::new(Path::new("fuzz-source"), Cursor::new(data.to_vec()));
    let (mut rows, mut failure) = (0usize, None);
    let mut emit = |item: crate::error::Result<Item>| {
        match item {
            Ok(Item::Rows(stream, batch)) => {
                assert_eq!(batch.num_columns(), widths[&stream], "a batch of `{stream}` has every column");
                rows += batch.num_rows();
                on_rows(&stream, &batch);
            }
            Ok(_) => {}
            Err(e) => failure = Some(e.to_string()),
        }
        true
    };
    let parsed = parser::parse(&mut lines, tables, 1, &mut emit, false);
    let unknown: u64 = parsed.unknown.values().sum();
    assert!(rows as u64 + unknown + parsed.invalid_lines <= lines.line, "more rows than lines");
    failure.map_or(Ok(rows), Err)
}

/// A scratch directory of this process, emptied for each input.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("transform-fuzz-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    dir
}

const PROFILES: &str = "fuzz:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ':memory:'\n      threads: 1\n";
const PROJECT: &str = "name: fuzz\nprofile: fuzz\nconfig-version: 2\n";

/// Project files from one input: `--- <path>` lines start a file (`models/m.sql` before the first).
/// Paths stay inside the project (plain relative names only).
fn write_files(root: &Path, text: &str) {
    let mut files: Vec<(String, String)> = vec![("models/m.sql".into(), String::new())];
    for line in text.split_inclusive('\n') {
        match line.strip_prefix("--- ") {
            Some(path) => files.push((path.trim().to_string(), String::new())),
            None => files.last_mut().map_or((), |f| f.1.push_str(line)),
        }
    }
    let plain = |p: &str| !p.is_empty() && p.len() < 100 && p.split('/').all(|c| !c.is_empty() && c != ".." && c.chars().all(|ch| ch.is_ascii_alphanumeric() || "._-".contains(ch)));
    for (path, body) in files.into_iter().filter(|(p, _)| plain(p) && p != "profiles.yml") {
        let full = root.join(&path);
        if let Some(dir) = full.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = std::fs::write(full, body);
    }
}

/// A project made of the input's files (plus a profile, and a dbt_project.yml unless given) through
/// the loader and the parse-time render, then each node compiled (no warehouse).
pub fn project(data: &[u8]) -> Result<usize, String> {
    let text = std::str::from_utf8(data).map_err(|e| e.to_string())?;
    let root = scratch("project");
    std::fs::write(root.join("profiles.yml"), PROFILES).map_err(|e| e.to_string())?;
    std::fs::write(root.join("dbt_project.yml"), PROJECT).map_err(|e| e.to_string())?;
    write_files(&root, text);
    let opts = Options { project_dir: root.clone(), profiles_dir: Some(root.clone()), command: "compile".into(), ..Default::default() };
    let m = compile::load(&opts, false).map_err(|e| e.to_string())?;
    let ids: Vec<String> = m.project.nodes.keys().cloned().collect();
    for id in &ids {
        let _ = m.compile(id);
    }
    Ok(ids.len())
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::create_dir_all(to);
    for entry in std::fs::read_dir(from).into_iter().flatten().flatten() {
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst);
        } else {
            let _ = std::fs::copy(&src, &dst);
        }
    }
}

/// The test fixture project (tests/fixtures/jaffle), loaded once.
fn fixture() -> &'static Manifest {
    static M: OnceLock<Manifest> = OnceLock::new();
    M.get_or_init(|| {
        let root = scratch("select");
        copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/jaffle"), &root);
        let opts = Options { project_dir: root.clone(), profiles_dir: Some(root), command: "ls".into(), ..Default::default() };
        compile::load(&opts, false).unwrap_or_else(|e| unreachable!("the fixture project loads: {e}"))
    })
}

/// `--select` (the first line) and `--exclude` (the second) on the fixture project. What is selected
/// is a subset of its nodes and sources.
pub fn selection(data: &[u8]) -> Result<usize, String> {
    let text = std::str::from_utf8(data).map_err(|e| e.to_string())?;
    let mut parts = text.splitn(2, '\n');
    let arg = |p: Option<&str>| p.map(|s| vec![s.to_string()]).unwrap_or_default();
    let (sel, excl) = (arg(parts.next()), arg(parts.next()));
    let m = fixture();
    let items = select::items(&m.project);
    let s = select::resolve(&items, &m.dag, &select::Request::plain(&sel, &excl)).map_err(|e| e.to_string())?;
    assert!(s.ids.iter().all(|id| items.iter().any(|i| &i.unique_id == id)), "only known nodes are selected");
    Ok(s.ids.len())
}
