//! Rewrites list and dict literals in a template so they build mutable values: `[a, b]` becomes
//! `__list([a, b])` and `{k: v}` becomes `__dict({k: v})` (see `mutable.rs`). Uses minijinja's own
//! tokenizer, so strings, comments and `{% raw %}` are left alone; lines do not move.

use minijinja::machinery::{tokenize, Token};
use minijinja::syntax::SyntaxConfig;

/// Words after which `[` opens a list rather than indexing a value.
const KEYWORDS: &[&str] = &["and", "or", "not", "in", "is", "if", "else", "elif", "for", "set", "do", "with", "call", "filter", "return"];

/// True when the token ends a value, so a following `[` subscripts it.
fn ends_value(t: &Token) -> bool {
    match t {
        Token::Ident(name) => !KEYWORDS.contains(name),
        Token::Str(_) | Token::String(_) | Token::Int(_) | Token::Int128(_) | Token::Float(_) => true,
        Token::ParenClose | Token::BracketClose | Token::BraceClose => true,
        _ => false,
    }
}

/// The rewritten source; the input unchanged when it does not tokenize (minijinja reports why).
pub fn rewrite(source: &str) -> String {
    let mut inserts: Vec<(usize, &'static str)> = vec![];
    // For each open bracket or brace: whether it is a literal we wrap.
    let mut open: Vec<bool> = vec![];
    let mut prev: Option<Token> = None;
    for item in tokenize(source, false, SyntaxConfig::default()) {
        let Ok((token, span)) = item else { return source.to_string() };
        let (start, end) = (span.start_offset as usize, span.end_offset as usize);
        match token {
            Token::BracketOpen => {
                let literal = !prev.as_ref().is_some_and(ends_value);
                if literal {
                    inserts.push((start, "__list("));
                }
                open.push(literal);
            }
            Token::BraceOpen => {
                inserts.push((start, "__dict("));
                open.push(true);
            }
            Token::BracketClose | Token::BraceClose if open.pop() == Some(true) => inserts.push((end, ")")),
            Token::VariableStart | Token::BlockStart | Token::VariableEnd | Token::BlockEnd => open.clear(),
            _ => {}
        }
        prev = Some(token);
    }
    if inserts.is_empty() {
        return source.to_string();
    }
    let mut out = String::with_capacity(source.len() + inserts.len() * 8);
    let mut at = 0;
    for (pos, text) in inserts {
        out.push_str(&source[at..pos]);
        out.push_str(text);
        at = pos;
    }
    out.push_str(&source[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_literals_not_subscripts() {
        assert_eq!(rewrite("{% set x = [] %}{{ y[0] }}"), "{% set x = __list([]) %}{{ y[0] }}");
        assert_eq!(rewrite("{% do d.update({k: [1, [2]]}) %}"), "{% do d.update(__dict({k: __list([1, __list([2])])})) %}");
        assert_eq!(rewrite("{% if a in ['x', 'y'] %}[not code]{% endif %}"), "{% if a in __list(['x', 'y']) %}[not code]{% endif %}");
        assert_eq!(rewrite("{{ f(x)[1] }} {{ '[' ~ s ~ ']' }} {# [c] #}"), "{{ f(x)[1] }} {{ '[' ~ s ~ ']' }} {# [c] #}");
        assert_eq!(rewrite("{% macro m(a=[], b={}) %}{% endmacro %}"), "{% macro m(a=__list([]), b=__dict({})) %}{% endmacro %}");
        assert_eq!(rewrite("{% raw %}{{ [1] }}{% endraw %}"), "{% raw %}{{ [1] }}{% endraw %}");
        assert_eq!(rewrite("{{ [1][0] }}"), "{{ __list([1])[0] }}");
        assert_eq!(rewrite("{{ unclosed"), "{{ unclosed");
    }
}
