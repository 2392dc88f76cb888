//! Python's `+`/`-` on dates, datetimes and timedeltas (`run_started_at - modules.datetime.timedelta(days=1)`),
//! which minijinja's operators have no hook for. In a template that mentions `datetime`, `timedelta`
//! or `run_started_at`, each `a + b` / `a - b` (found with minijinja's own parser) is rewritten on the
//! same line to `__py_binop('+', a, b)`; that function does the date arithmetic and hands every other
//! pair of operands back to minijinja's operator.

use minijinja::machinery::ast::{CallArg, Expr, Stmt};
use minijinja::machinery::{parse, tokenize, Span, Token};
use minijinja::syntax::SyntaxConfig;
use minijinja::{Error, State, Value};

/// Words that make a template a candidate: datetimes only come from these.
const TRIGGERS: &[&str] = &["datetime", "timedelta", "run_started_at"];

/// The rewritten source, or the source unchanged (nothing to do, or minijinja will report the error).
pub fn rewrite(source: &str) -> String {
    if !TRIGGERS.iter().any(|t| source.contains(t)) {
        return source.to_string();
    }
    let Ok(ast) = parse(source, "<template>", SyntaxConfig::default()) else { return source.to_string() };
    let mut spans = vec![];
    stmt(&ast, &mut spans);
    if spans.is_empty() {
        return source.to_string();
    }
    let Ok(tokens) = tokenize(source, false, SyntaxConfig::default()).collect::<Result<Vec<_>, _>>() else { return source.to_string() };
    let mut edits: Vec<(usize, i64, String)> = vec![];
    for (span, op) in spans {
        let (start, end) = (span.start_offset as usize, span.end_offset as usize);
        let Some((op_start, op_end)) = operator(&tokens, start, end, op) else { return source.to_string() };
        let len = (end - start) as i64;
        // At one offset: outer prefixes before inner ones, inner closings before outer ones.
        edits.push((start, -len, format!("__py_binop('{op}', ")));
        edits.push((op_start, 0, format!("\u{0}{}", op_end - op_start)));
        edits.push((end, len, ")".into()));
    }
    edits.sort_by_key(|(at, order, _)| (*at, *order));
    let mut out = String::with_capacity(source.len() + edits.len() * 8);
    let mut at = 0;
    for (pos, _, text) in edits {
        out.push_str(&source[at..pos]);
        at = pos;
        match text.strip_prefix('\u{0}') {
            Some(skip) => {
                out.push(',');
                at = pos + skip.parse::<usize>().unwrap_or(0);
            }
            None => out.push_str(&text),
        }
    }
    out.push_str(&source[at..]);
    out
}

/// The `+`/`-` token joining a binary operation in `start..end`: the last one outside brackets that
/// follows an operand (a unary minus follows an operator).
fn operator(tokens: &[(Token, Span)], start: usize, end: usize, op: char) -> Option<(usize, usize)> {
    let mut depth = 0i32;
    let mut prev_operand = false;
    let mut found = None;
    for (t, s) in tokens.iter().filter(|(_, s)| s.start_offset as usize >= start && (s.end_offset as usize) <= end) {
        match t {
            Token::ParenOpen | Token::BracketOpen | Token::BraceOpen => depth += 1,
            Token::ParenClose | Token::BracketClose | Token::BraceClose => depth -= 1,
            Token::Plus | Token::Minus if depth == 0 && prev_operand && (op == '+') == matches!(t, Token::Plus) => {
                found = Some((s.start_offset as usize, s.end_offset as usize));
            }
            _ => {}
        }
        prev_operand = matches!(
            t,
            Token::Ident(_) | Token::Str(_) | Token::String(_) | Token::Int(_) | Token::Int128(_) | Token::Float(_) | Token::ParenClose | Token::BracketClose | Token::BraceClose
        );
    }
    found
}

fn stmts(list: &[Stmt<'_>], out: &mut Vec<(Span, char)>) {
    list.iter().for_each(|s| stmt(s, out));
}

fn stmt(s: &Stmt<'_>, out: &mut Vec<(Span, char)>) {
    match s {
        Stmt::Template(t) => stmts(&t.children, out),
        Stmt::EmitExpr(e) => expr(&e.expr, out),
        Stmt::ForLoop(f) => {
            expr(&f.iter, out);
            f.filter_expr.iter().for_each(|e| expr(e, out));
            stmts(&f.body, out);
            stmts(&f.else_body, out);
        }
        Stmt::IfCond(i) => {
            expr(&i.expr, out);
            stmts(&i.true_body, out);
            stmts(&i.false_body, out);
        }
        Stmt::WithBlock(w) => {
            w.assignments.iter().for_each(|(_, e)| expr(e, out));
            stmts(&w.body, out);
        }
        Stmt::Set(x) => expr(&x.expr, out),
        Stmt::SetBlock(b) => stmts(&b.body, out),
        Stmt::AutoEscape(a) => stmts(&a.body, out),
        Stmt::FilterBlock(f) => stmts(&f.body, out),
        Stmt::Block(b) => stmts(&b.body, out),
        Stmt::Macro(m) => {
            m.defaults.iter().for_each(|e| expr(e, out));
            stmts(&m.body, out);
        }
        Stmt::CallBlock(c) => {
            expr(&c.call.expr, out);
            args(&c.call.args, out);
            stmts(&c.macro_decl.body, out);
        }
        Stmt::Do(d) => {
            expr(&d.call.expr, out);
            args(&d.call.args, out);
        }
        _ => {}
    }
}

fn args(list: &[CallArg<'_>], out: &mut Vec<(Span, char)>) {
    for a in list {
        match a {
            CallArg::Pos(e) | CallArg::Kwarg(_, e) | CallArg::PosSplat(e) | CallArg::KwargSplat(e) => expr(e, out),
        }
    }
}

fn expr(e: &Expr<'_>, out: &mut Vec<(Span, char)>) {
    use minijinja::machinery::ast::BinOpKind;
    match e {
        Expr::BinOp(b) => {
            match b.op {
                BinOpKind::Add => out.push((b.span(), '+')),
                BinOpKind::Sub => out.push((b.span(), '-')),
                _ => {}
            }
            expr(&b.left, out);
            expr(&b.right, out);
        }
        Expr::Slice(s) => [Some(&s.expr), s.start.as_ref(), s.stop.as_ref(), s.step.as_ref()].into_iter().flatten().for_each(|x| expr(x, out)),
        Expr::UnaryOp(u) => expr(&u.expr, out),
        Expr::Compare(c) => {
            expr(&c.expr, out);
            c.ops.iter().for_each(|o| expr(&o.expr, out));
        }
        Expr::IfExpr(i) => [Some(&i.test_expr), Some(&i.true_expr), i.false_expr.as_ref()].into_iter().flatten().for_each(|x| expr(x, out)),
        Expr::Filter(f) => {
            f.expr.iter().for_each(|x| expr(x, out));
            args(&f.args, out);
        }
        Expr::Test(t) => {
            expr(&t.expr, out);
            args(&t.args, out);
        }
        Expr::GetAttr(g) => expr(&g.expr, out),
        Expr::GetItem(g) => {
            expr(&g.expr, out);
            expr(&g.subscript_expr, out);
        }
        Expr::Call(c) => {
            expr(&c.expr, out);
            args(&c.args, out);
        }
        Expr::List(l) => l.items.iter().for_each(|x| expr(x, out)),
        Expr::Tuple(t) => t.items.iter().for_each(|x| expr(x, out)),
        Expr::Map(m) => m.keys.iter().chain(m.values.iter()).for_each(|x| expr(x, out)),
        _ => {}
    }
}

/// `__py_binop(op, a, b)`: date/datetime ± timedelta, datetime − datetime, timedelta ± timedelta;
/// anything else is minijinja's own `a + b` / `a - b`.
pub fn binop(state: &State, op: &str, a: Value, b: Value) -> Result<Value, Error> {
    if let Some(v) = super::modules::arithmetic(op, &a, &b)? {
        return Ok(v);
    }
    let expr = state.env().compile_expression(if op == "+" { "a + b" } else { "a - b" })?;
    expr.eval(minijinja::context! { a => a, b => b })
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn only_additions_and_subtractions_in_datetime_templates_are_rewritten() {
        assert_eq!(rewrite("{{ a - b }}"), "{{ a - b }}");
        assert_eq!(rewrite("{{ run_started_at - d }}"), "{{ __py_binop('-', run_started_at , d) }}");
        assert_eq!(rewrite("{# datetime #}{{ a - b - c }}"), "{# datetime #}{{ __py_binop('-', __py_binop('-', a , b) , c) }}");
        assert_eq!(rewrite("{# datetime #}{{ (a) + -b * 2 }}"), "{# datetime #}{{ __py_binop('+', (a) , -b * 2) }}");
        assert_eq!(rewrite("{# datetime #}{% set x = f(a + [1]) ~ 'x-y' %}"), "{# datetime #}{% set x = f(__py_binop('+', a , [1])) ~ 'x-y' %}");
    }
}
