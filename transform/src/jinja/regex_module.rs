//! `modules.re`: Python's `re` functions over the regex crate (`match`, `search`, `fullmatch`, `sub`,
//! `findall`, `split`, `compile`, `escape`, the `I`/`M`/`S`/`X` flags). Patterns the regex crate cannot
//! run (look-around, back-references) are an error naming the pattern.

use std::sync::Arc;

use minijinja::value::{from_args, Kwargs, Object, ObjectRepr};
use minijinja::{Error, ErrorKind, State, Value};
use regex::{Regex, RegexBuilder};

pub const FLAGS: &[(&str, i64)] = &[("I", 2), ("IGNORECASE", 2), ("M", 8), ("MULTILINE", 8), ("S", 16), ("DOTALL", 16), ("X", 64), ("VERBOSE", 64)];

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

fn build(pattern: &str, flags: i64) -> Result<Regex, Error> {
    RegexBuilder::new(pattern)
        .case_insensitive(flags & 2 != 0)
        .multi_line(flags & 8 != 0)
        .dot_matches_new_line(flags & 16 != 0)
        .ignore_whitespace(flags & 64 != 0)
        .build()
        .map_err(|e| invalid(format!("modules.re: cannot use pattern {pattern:?}: {e}")))
}

/// Python's `\1` / `\g<name>` replacement syntax in the regex crate's `${1}` / `${name}` spelling.
fn replacement(repl: &str) -> String {
    let mut out = String::new();
    let mut chars = repl.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek().copied()) {
            ('\\', Some(d)) if d.is_ascii_digit() => {
                let mut n = String::new();
                while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                    n.push(d);
                    chars.next();
                }
                out.push_str(&format!("${{{n}}}"));
            }
            ('\\', Some('g')) => {
                chars.next();
                let name: String = chars.by_ref().skip_while(|c| *c == '<').take_while(|c| *c != '>').collect();
                out.push_str(&format!("${{{name}}}"));
            }
            ('\\', Some('n')) => {
                chars.next();
                out.push('\n');
            }
            ('\\', Some('\\')) => {
                chars.next();
                out.push('\\');
            }
            ('$', _) => out.push_str("$$"),
            (c, _) => out.push(c),
        }
    }
    out
}

/// A match: `group(n)`, `groups()`, `groupdict()`, `start()`, `end()`, `span()`.
#[derive(Debug)]
struct Match {
    groups: Vec<Option<(usize, usize, String)>>,
    names: Vec<Option<String>>,
}

impl Match {
    fn value(re: &Regex, caps: regex::Captures) -> Value {
        let groups = (0..caps.len()).map(|i| caps.get(i).map(|m| (m.start(), m.end(), m.as_str().to_string()))).collect();
        let names = re.capture_names().map(|n| n.map(String::from)).collect();
        Value::from_object(Match { groups, names })
    }
    fn group(&self, key: &Value) -> Result<Value, Error> {
        let i = match key.as_str() {
            Some(name) => self.names.iter().position(|n| n.as_deref() == Some(name)).ok_or_else(|| invalid(format!("no such group: {name}")))?,
            None => usize::try_from(key.clone()).map_err(|_| invalid("group index must be an integer"))?,
        };
        let g = self.groups.get(i).ok_or_else(|| invalid("no such group"))?;
        Ok(g.as_ref().map(|(_, _, s)| Value::from(s.clone())).unwrap_or(Value::from(())))
    }
}

impl Object for Match {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }
    fn call_method(self: &Arc<Self>, _: &mut State<'_, '_>, method: &str, args: &[Value]) -> Result<Value, Error> {
        let span = |i: usize| self.groups.get(i).and_then(|g| g.as_ref()).map(|(s, e, _)| (*s as i64, *e as i64)).unwrap_or((-1, -1));
        let (which,): (Option<Value>,) = if method == "groups" || method == "groupdict" { (None,) } else { from_args(args)? };
        let index = which.as_ref().and_then(|v| v.as_i64()).unwrap_or(0) as usize;
        match method {
            "group" => self.group(&which.unwrap_or(Value::from(0))),
            "groups" => Ok(Value::from(self.groups.iter().skip(1).map(|g| g.as_ref().map(|(_, _, s)| Value::from(s.clone())).unwrap_or(Value::from(()))).collect::<Vec<_>>())),
            "groupdict" => Ok(super::mutable::map(self.names.iter().enumerate().filter_map(|(i, n)| {
                let v = self.groups.get(i)?.as_ref().map(|(_, _, s)| Value::from(s.clone())).unwrap_or(Value::from(()));
                Some((n.clone()?, v))
            }))),
            "start" => Ok(Value::from(span(index).0)),
            "end" => Ok(Value::from(span(index).1)),
            "span" => Ok(Value::from(vec![Value::from(span(index).0), Value::from(span(index).1)])),
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

/// `re.compile(pattern, flags)`: the same functions, with the pattern bound.
#[derive(Debug)]
struct Compiled {
    pattern: String,
    flags: i64,
}

impl Object for Compiled {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "pattern" => Some(Value::from(self.pattern.clone())),
            "flags" => Some(Value::from(self.flags)),
            _ => None,
        }
    }
    fn call_method(self: &Arc<Self>, _: &mut State<'_, '_>, method: &str, args: &[Value]) -> Result<Value, Error> {
        let mut all = vec![Value::from(self.pattern.clone())];
        all.extend_from_slice(args);
        apply(method, &all, self.flags)
    }
}

/// `modules.re.<method>(...)`.
pub fn call(method: &str, args: &[Value]) -> Result<Value, Error> {
    apply(method, args, 0)
}

fn apply(method: &str, args: &[Value], bound_flags: i64) -> Result<Value, Error> {
    let (pattern, rest, kwargs): (String, &[Value], Kwargs) = from_args(args)?;
    let flag_arg = |pos: usize| -> Result<i64, Error> {
        Ok(rest.get(pos).and_then(Value::as_i64).or(kwargs.get::<Option<i64>>("flags")?).unwrap_or(0) | bound_flags)
    };
    let text = |i: usize| rest.get(i).and_then(|v| v.as_str()).map(String::from).ok_or_else(|| invalid(format!("re.{method}: expected a string argument")));
    let out = match method {
        "escape" => Value::from(regex::escape(&pattern)),
        "compile" => Value::from_object(Compiled { pattern, flags: flag_arg(0)? }),
        "match" | "search" | "fullmatch" => {
            let s = text(0)?;
            let anchored = match method {
                "match" => format!(r"\A(?:{pattern})"),
                "fullmatch" => format!(r"\A(?:{pattern})\z"),
                _ => pattern,
            };
            let re = build(&anchored, flag_arg(1)?)?;
            re.captures(&s).map(|c| Match::value(&re, c)).unwrap_or(Value::from(()))
        }
        "sub" => {
            let (repl, s) = (text(0)?, text(1)?);
            let count = rest.get(2).and_then(Value::as_i64).or(kwargs.get::<Option<i64>>("count")?).unwrap_or(0);
            let re = build(&pattern, flag_arg(3)?)?;
            Value::from(re.replacen(&s, count.max(0) as usize, replacement(&repl).as_str()).into_owned())
        }
        "findall" => {
            let s = text(0)?;
            let re = build(&pattern, flag_arg(1)?)?;
            let found = re.captures_iter(&s).map(|c| match c.len() {
                1 => Value::from(c[0].to_string()),
                2 => Value::from(c.get(1).map(|m| m.as_str()).unwrap_or("").to_string()),
                n => Value::from((1..n).map(|i| Value::from(c.get(i).map(|m| m.as_str()).unwrap_or("").to_string())).collect::<Vec<_>>()),
            });
            Value::from(found.collect::<Vec<_>>())
        }
        "split" => {
            let s = text(0)?;
            let re = build(&pattern, flag_arg(2)?)?;
            Value::from(re.split(&s).map(|p| Value::from(p.to_string())).collect::<Vec<_>>())
        }
        _ => return Err(Error::from(ErrorKind::UnknownMethod)),
    };
    kwargs.assert_all_used()?;
    Ok(out)
}
