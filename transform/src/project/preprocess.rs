//! Source rewrites before minijinja sees a file: dbt's `{% test %}` blocks become `test_<name>`
//! macros (line numbers preserved), `{% docs %}` blocks are extracted from markdown, and tags
//! outside the supported subset (materialization, snapshot) are rejected with file:line.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;

use crate::error::{Error, Result};
use super::nodes::MacroFile;

fn re(cell: &'static OnceLock<Regex>, pat: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pat).expect("static regex compiles"))
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].bytes().filter(|b| *b == b'\n').count() + 1
}

/// Rewrites test blocks and lists the macros a file defines (name, line).
pub fn macro_file(package: &str, rel: &str, text: &str) -> Result<MacroFile> {
    static UNSUPPORTED: OnceLock<Regex> = OnceLock::new();
    static TEST: OnceLock<Regex> = OnceLock::new();
    static ENDTEST: OnceLock<Regex> = OnceLock::new();
    static MACRO: OnceLock<Regex> = OnceLock::new();
    if let Some(m) = re(&UNSUPPORTED, r"\{%-?\s*(materialization|snapshot)\b").captures(text) {
        let at = m.get(0).map(|g| g.start()).unwrap_or(0);
        return Err(Error::project(
            format!("{rel}:{}", line_of(text, at)),
            format!("`{{% {} %}}` blocks are not supported by transform", &m[1]),
        ));
    }
    let source = re(&TEST, r"\{%(-?)\s*test\s+(\w+)\s*\(").replace_all(text, "{%${1} macro test_${2}(");
    let source = re(&ENDTEST, r"\{%(-?)\s*endtest\s*(-?)%\}").replace_all(&source, "{%${1} endmacro ${2}%}").into_owned();
    let macro_re = re(&MACRO, r"\{%(-?)\s*macro\s+(\w+)\s*\(");
    let macros = macro_re
        .captures_iter(&source)
        .map(|c| (c[2].to_string(), line_of(&source, c.get(0).map(|g| g.start()).unwrap_or(0))))
        .collect();
    // Mangle definitions so every call, even within this file, goes through the global MacroCaller
    // (which gives each call its own `return()` slot).
    let source = macro_re.replace_all(&source, "{%${1} macro __m_${2}(").into_owned();
    Ok(MacroFile { path: rel.to_string(), package: package.to_string(), source, macros })
}

/// `{% docs name %}...{% enddocs %}` blocks of a markdown file.
pub fn docs_blocks(text: &str, rel: &str) -> Result<HashMap<String, String>> {
    static DOCS: OnceLock<Regex> = OnceLock::new();
    let re = re(&DOCS, r"(?s)\{%-?\s*docs\s+([\w.]+)\s*-?%\}(.*?)\{%-?\s*enddocs\s*-?%\}");
    let out: HashMap<String, String> = re.captures_iter(text).map(|c| (c[1].to_string(), c[2].trim().to_string())).collect();
    if out.is_empty() && text.contains("{% docs") {
        return Err(Error::project(rel, "a `{% docs %}` block is not closed with `{% enddocs %}`"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_blocks_become_macros_on_the_same_lines() {
        let f = macro_file("p", "macros/t.sql", "\n{% test positive(model, column_name) %}\nselect 1\n{% endtest %}").unwrap();
        assert_eq!(f.macros, vec![("test_positive".to_string(), 2)]);
        assert!(f.source.contains("{% endmacro %}"));
    }

    #[test]
    fn materializations_are_rejected_with_line() {
        let err = macro_file("p", "macros/m.sql", "x\n{% materialization foo, default %}").unwrap_err().to_string();
        assert!(err.contains("macros/m.sql:2") && err.contains("materialization"), "{err}");
    }
}
