//! dbt's `{% materialization name, default|adapter='x', supported_languages=[...] %}` blocks: each
//! becomes the macro `materialization_<name>_<adapter>` (dbt's name for it), its header and
//! `{% endmaterialization %}` rewritten in place so line numbers hold; what the block declared
//! (name, adapter, languages, its original text for the manifest) is kept as a `Materialization`.

use std::sync::OnceLock;

use regex::Regex;

use crate::error::{Error, Result};

/// One `{% materialization %}` block of a macro file.
#[derive(Debug, Clone, PartialEq)]
pub struct Materialization {
    /// What `materialized:` names (`table`, `audited_table`).
    pub name: String,
    /// `default`, or the adapter type it is for (`duckdb`).
    pub adapter: String,
    pub languages: Vec<String>,
    /// The block as written, `{% materialization … %}` to `{% endmaterialization %}` (the manifest's `macro_sql`).
    pub sql: String,
}

impl Materialization {
    /// dbt's macro name: `materialization_<name>_<adapter>`.
    pub fn macro_name(&self) -> String {
        macro_name(&self.name, &self.adapter)
    }
}

pub fn macro_name(name: &str, adapter: &str) -> String {
    format!("materialization_{name}_{adapter}")
}

fn header_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\{%(-?)\s*materialization\s+(\w+)((?s:[^%]|%[^}])*?)(-?)%\}").expect("static regex compiles"))
}

fn end_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\{%(-?)\s*endmaterialization\s*(-?)%\}").expect("static regex compiles"))
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].bytes().filter(|b| *b == b'\n').count() + 1
}

/// Rewrites every materialization block of `text` (file `rel`) into a macro; returns the new text
/// and the blocks found. A block's arguments are dbt's: `default`, `adapter='…'`, `supported_languages=[…]`.
pub fn rewrite(rel: &str, text: &str) -> Result<(String, Vec<Materialization>)> {
    let mut out = String::with_capacity(text.len());
    let mut found = vec![];
    let mut last = 0;
    for c in header_re().captures_iter(text) {
        let whole = c.get(0).map(|g| (g.start(), g.end())).unwrap_or((0, 0));
        let at = format!("{rel}:{}", line_of(text, whole.0));
        let name = c[2].to_string();
        let (adapter, languages) = arguments(&name, &c[3]).map_err(|m| Error::project(&at, m))?;
        let end = end_re()
            .find_at(text, whole.1)
            .ok_or_else(|| Error::project(&at, format!("materialization '{name}' is not closed with `{{% endmaterialization %}}`")))?;
        // dbt's block lexer reads `{%-` with the whitespace before it, so its `macro_sql` starts there.
        let start = if c[1].is_empty() { whole.0 } else { text[..whole.0].trim_end().len() };
        let m = Materialization { name, adapter, languages, sql: text[start..end.end()].to_string() };
        // The header's newlines stay inside the tag, so every later line keeps its number.
        let newlines = "\n".repeat(c[3].matches('\n').count());
        let langs = m.languages.iter().map(|l| format!("'{l}'")).collect::<Vec<_>>().join(", ");
        out.push_str(&text[last..whole.0]);
        out.push_str(&format!("{{%{} macro {}(supported_languages=[{langs}]){newlines} {}%}}", &c[1], m.macro_name(), &c[4]));
        last = whole.1;
        found.push(m);
    }
    out.push_str(&text[last..]);
    let out = end_re().replace_all(&out, "{%${1} endmacro ${2}%}").into_owned();
    Ok((out, found))
}

/// The adapter and languages of a header's argument text (`, adapter='duckdb', supported_languages=['sql']`).
fn arguments(name: &str, text: &str) -> std::result::Result<(String, Vec<String>), String> {
    let (mut adapter, mut languages) = ("default".to_string(), vec!["sql".to_string()]);
    for arg in split_top(text).into_iter().skip(1) {
        let (key, value) = match arg.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim())),
            None => (arg.trim(), None),
        };
        match (key, value) {
            ("default", None) => {}
            ("adapter", Some(v)) => adapter = unquote(v).ok_or_else(|| format!("materialization '{name}': adapter must be a string, got {v}"))?,
            ("supported_languages", Some(v)) => {
                let inner = v.strip_prefix('[').and_then(|v| v.strip_suffix(']'));
                let inner = inner.ok_or_else(|| format!("materialization '{name}': supported_languages must be a list, got {v}"))?;
                languages = split_top(inner).iter().filter(|s| !s.trim().is_empty()).map(|s| unquote(s.trim()).unwrap_or_else(|| s.trim().to_string())).collect();
            }
            (other, _) => return Err(format!("materialization '{name}' received unknown argument '{other}'.")),
        }
    }
    Ok((adapter, languages))
}

fn unquote(v: &str) -> Option<String> {
    let q = v.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    v.strip_prefix(q).and_then(|s| s.strip_suffix(q)).map(String::from)
}

/// Splits on commas outside quotes and brackets.
fn split_top(text: &str) -> Vec<String> {
    let (mut parts, mut current, mut depth, mut quote) = (vec![], String::new(), 0usize, None::<char>);
    for ch in text.chars() {
        match (quote, ch) {
            (Some(q), _) if ch == q => quote = None,
            (None, '\'' | '"') => quote = Some(ch),
            (None, '[' | '(') => depth += 1,
            (None, ']' | ')') => depth = depth.saturating_sub(1),
            (None, ',') if depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(ch);
    }
    parts.push(current);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_become_dbt_named_macros_on_the_same_lines() {
        let text = "{% materialization audited, default %}\nx\n{% endmaterialization %}\n{%- materialization table, adapter='duckdb',\n supported_languages=['sql', 'python'] -%}y{%- endmaterialization -%}";
        let (out, found) = rewrite("macros/m.sql", text).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].macro_name(), found[0].languages.clone()), ("materialization_audited_default".to_string(), vec!["sql".to_string()]));
        assert_eq!(found[1].macro_name(), "materialization_table_duckdb");
        assert_eq!(found[1].languages, ["sql", "python"]);
        assert_eq!(found[0].sql, "{% materialization audited, default %}\nx\n{% endmaterialization %}");
        assert!(found[1].sql.starts_with("\n{%- materialization table"), "{:?}", found[1].sql);
        assert!(out.starts_with("{% macro materialization_audited_default(supported_languages=['sql']) %}\nx\n{% endmacro %}"), "{out}");
        assert!(out.contains("{%- macro materialization_table_duckdb(supported_languages=['sql', 'python'])\n -%}y{%- endmacro -%}"), "{out}");
        assert_eq!(out.lines().count(), text.lines().count());
    }

    #[test]
    fn unknown_arguments_and_unclosed_blocks_are_errors_with_their_line() {
        let e = rewrite("m.sql", "\n{% materialization x, flavour='y' %}{% endmaterialization %}").unwrap_err().to_string();
        assert_eq!(e, "m.sql:2: materialization 'x' received unknown argument 'flavour'.");
        let e = rewrite("m.sql", "{% materialization x, default %}").unwrap_err().to_string();
        assert!(e.contains("m.sql:1") && e.contains("endmaterialization"), "{e}");
    }
}
