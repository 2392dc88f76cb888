//! Source rewrites before minijinja sees a file: dbt's `{% test %}` blocks become `test_<name>`
//! macros (line numbers preserved), `{% materialization %}` blocks dbt's `materialization_<name>_<adapter>`
//! macros (`materializations.rs`), `{% docs %}` blocks are extracted from markdown, and `{% snapshot %}`
//! blocks outside `snapshots/` are rejected with file:line.

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
    if let Some(m) = re(&UNSUPPORTED, r"\{%-?\s*(snapshot)\b").captures(text) {
        let at = m.get(0).map(|g| g.start()).unwrap_or(0);
        return Err(Error::project(
            format!("{rel}:{}", line_of(text, at)),
            format!("`{{% {} %}}` blocks are not supported by transform", &m[1]),
        ));
    }
    let (text, materializations) = super::materializations::rewrite(rel, text)?;
    let source = re(&TEST, r"\{%(-?)\s*test\s+(\w+)\s*\(").replace_all(&text, "{%${1} macro test_${2}(");
    let source = re(&ENDTEST, r"\{%(-?)\s*endtest\s*(-?)%\}").replace_all(&source, "{%${1} endmacro ${2}%}").into_owned();
    let macro_re = re(&MACRO, r"\{%(-?)\s*macro\s+(\w+)\s*\(");
    let starts: Vec<(String, usize)> = macro_re.captures_iter(&source).map(|c| (c[2].to_string(), c.get(0).map(|g| g.start()).unwrap_or(0))).collect();
    let macros = starts.iter().map(|(name, at)| (name.clone(), line_of(&source, *at))).collect();
    // Jinja lets a macro take extra arguments when its body reads `kwargs` or `varargs`.
    static CATCH_ALL: OnceLock<Regex> = OnceLock::new();
    let catch_all = starts
        .iter()
        .enumerate()
        .filter(|(i, (_, at))| {
            let end = starts.get(i + 1).map(|(_, e)| *e).unwrap_or(source.len());
            re(&CATCH_ALL, r"\b(kwargs|varargs)\b").is_match(&source[*at..end])
        })
        .map(|(_, (name, at))| (name.clone(), parameters(&source[*at..])))
        .collect();
    // Mangle definitions so every call, even within this file, goes through the global MacroCaller
    // (which gives each call its own `return()` slot).
    let source = macro_re.replace_all(&source, "{%${1} macro __m_${2}(").into_owned();
    Ok(MacroFile { path: rel.to_string(), package: package.to_string(), source, macros, catch_all, materializations })
}

/// The parameter names of the macro definition `text` starts with (`{% macro m(a, b=[1, 2]) %}`).
fn parameters(text: &str) -> Vec<String> {
    let Some(open) = text.find('(') else { return vec![] };
    let (mut depth, mut quote, mut parts, mut current) = (0usize, None::<char>, vec![], String::new());
    for c in text[open + 1..].chars() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')') if depth == 0 => break,
            (None, ')' | ']' | '}') => depth = depth.saturating_sub(1),
            (None, ',') if depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        if depth == 0 && quote.is_none() && c != '\'' && c != '"' {
            current.push(c);
        }
    }
    parts.push(current);
    parts.iter().map(|p| p.split('=').next().unwrap_or("").trim().to_string()).filter(|p| !p.is_empty()).collect()
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
    fn catch_all_macros_know_their_parameters() {
        let f = macro_file("p", "m.sql", "{% macro a(x, y=[1, 2], z={'k': (1, 2)}) %}{{ kwargs }}{% endmacro %}{% macro b(x) %}{% endmacro %}").unwrap();
        assert_eq!(f.catch_all, vec![("a".to_string(), vec!["x".to_string(), "y".to_string(), "z".to_string()])]);
    }

    #[test]
    fn materializations_are_macros_and_snapshots_are_rejected_with_line() {
        let f = macro_file("p", "macros/m.sql", "x\n{% materialization foo, default %}y{% endmaterialization %}").unwrap();
        assert_eq!(f.macros, vec![("materialization_foo_default".to_string(), 2)]);
        assert_eq!(f.macro_sql("materialization_foo_default").as_deref(), Some("{% materialization foo, default %}y{% endmaterialization %}"));
        let err = macro_file("p", "macros/m.sql", "x\n{% snapshot s %}").unwrap_err().to_string();
        assert!(err.contains("macros/m.sql:2") && err.contains("snapshot"), "{err}");
    }
}
