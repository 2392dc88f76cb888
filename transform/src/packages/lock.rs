//! `package-lock.yml` in dbt's format: every resolved package (direct and transitive) pinned to a hub
//! version or a git commit, with its project name, and the `sha1_hash` of the packages.yml it came from.

use serde_json::{Map, Value as Json};

/// One pinned package as dbt writes it (`to_dict()` plus `name`); keys are written sorted.
pub type LockEntry = Map<String, Json>;

/// The YAML text, byte for byte what dbt writes (PyYAML, sorted keys, indented list).
pub fn render(entries: &[LockEntry], sha1_hash: &str) -> String {
    let mut out = String::from("packages:\n");
    for entry in entries {
        let mut keys: Vec<&String> = entry.keys().collect();
        keys.sort();
        for (i, k) in keys.into_iter().enumerate() {
            let bullet = if i == 0 { "  - " } else { "    " };
            out.push_str(&format!("{bullet}{k}: {}\n", scalar(&entry[k])));
        }
    }
    out.push_str(&format!("sha1_hash: {sha1_hash}\n"));
    out
}

/// The lock's `sha1_hash`, if it has one.
pub fn recorded_hash(doc: &Json) -> Option<&str> {
    doc.get("sha1_hash").and_then(Json::as_str)
}

fn scalar(v: &Json) -> String {
    match v {
        Json::String(s) => string(s),
        Json::Array(items) => format!("[{}]", items.iter().map(scalar).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

/// A string plain when YAML would read it back as the same string, else single-quoted (PyYAML's choice).
fn string(s: &str) -> String {
    let special_start = s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`~ ".contains(c));
    let yaml11_words = ["y", "n", "yes", "no", "on", "off", "true", "false", "null"];
    let reads_back = matches!(serde_yaml::from_str::<Json>(s), Ok(Json::String(ref t)) if t == s);
    let plain = !s.is_empty()
        && !special_start
        && reads_back
        && !yaml11_words.contains(&s.to_ascii_lowercase().as_str())
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(' ')
        && !s.ends_with(':')
        && s.chars().all(|c| !c.is_control());
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_dbts_lock_file() {
        let entries: Vec<LockEntry> = [
            json!({"local": "../tiny_utils", "name": "tiny_utils"}),
            json!({"git": "file:///tmp/ref/gitrepo", "revision": "58181b71eea23426fdcb0f01f73ed5d8b5941a40", "name": "tiny_dates"}),
            json!({"package": "acme/tiny_hub", "version": "1.1.0", "name": "tiny_hub"}),
        ]
        .into_iter()
        .map(|v| v.as_object().cloned().unwrap())
        .collect();
        // What dbt 1.10 wrote for the same packages.
        let want = "packages:\n  - local: ../tiny_utils\n    name: tiny_utils\n  - git: file:///tmp/ref/gitrepo\n    name: tiny_dates\n    revision: 58181b71eea23426fdcb0f01f73ed5d8b5941a40\n  - name: tiny_hub\n    package: acme/tiny_hub\n    version: 1.1.0\nsha1_hash: abc\n";
        assert_eq!(render(&entries, "abc"), want);
    }

    #[test]
    fn quotes_what_would_not_read_back() {
        assert_eq!(string("{{ env_var('T') }}"), "'{{ env_var(''T'') }}'");
        assert_eq!(string("1.0"), "'1.0'");
        assert_eq!(string("yes"), "'yes'");
        assert_eq!(string(""), "''");
        assert_eq!(string("main"), "main");
        assert_eq!(string("https://github.com/dbt-labs/dbt-utils.git"), "https://github.com/dbt-labs/dbt-utils.git");
    }
}
