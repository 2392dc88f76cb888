//! dbt's `modules` context: the parts of Python's `datetime`, `re` and `pytz` that projects call
//! (`modules.datetime.datetime.now()`, `modules.datetime.date(2024, 1, 1)`, `modules.re.sub(...)`,
//! `modules.pytz.utc`), and the datetime values they return (also `run_started_at`): they compare
//! with `<`/`==`, and `+`/`-` with timedeltas work as in Python through `py_ops.rs`. Only UTC time
//! zones exist.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};
use minijinja::value::{from_args, DynObject, Kwargs, Object, ObjectRepr};
use minijinja::{Error, ErrorKind, State, Value};

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

/// Python's strftime directives in chrono's spelling (`%f` is microseconds in Python).
fn chrono_format(fmt: &str) -> String {
    fmt.replace("%f", "%6f")
}

/// A `datetime.datetime` (naive, or UTC-aware) or a `datetime.date`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum When {
    Date(NaiveDate),
    Naive(NaiveDateTime),
    Utc(DateTime<Utc>),
}

impl When {
    pub fn value(self) -> Value {
        Value::from_object(self)
    }
    fn naive(&self) -> NaiveDateTime {
        match self {
            When::Date(d) => d.and_hms_opt(0, 0, 0).unwrap_or_default(),
            When::Naive(n) => *n,
            When::Utc(u) => u.naive_utc(),
        }
    }
    fn with(&self, n: NaiveDateTime) -> When {
        match self {
            When::Date(_) => When::Date(n.date()),
            When::Naive(_) => When::Naive(n),
            When::Utc(_) => When::Utc(n.and_utc()),
        }
    }
}

impl fmt::Display for When {
    /// Python's `str()`: `2024-01-02`, `2024-01-02 03:04:05.000006+00:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.naive();
        let time = if n.nanosecond() / 1000 == 0 { n.format("%Y-%m-%d %H:%M:%S").to_string() } else { n.format("%Y-%m-%d %H:%M:%S%.6f").to_string() };
        match self {
            When::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            When::Naive(_) => write!(f, "{time}"),
            When::Utc(_) => write!(f, "{time}+00:00"),
        }
    }
}

impl Object for When {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }
    /// `<`, `==`, `max()`, `sort` between dates and datetimes, by their instant.
    fn custom_cmp(self: &Arc<Self>, other: &DynObject) -> Option<std::cmp::Ordering> {
        Some(self.naive().cmp(&other.downcast_ref::<When>()?.naive()))
    }
    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let n = self.naive();
        Some(Value::from(match key.as_str()? {
            "year" => n.year() as i64,
            "month" => n.month() as i64,
            "day" => n.day() as i64,
            "hour" => n.hour() as i64,
            "minute" => n.minute() as i64,
            "second" => n.second() as i64,
            "microsecond" => (n.nanosecond() / 1000) as i64,
            "tzinfo" => return Some(if matches!(**self, When::Utc(_)) { Value::from_object(Utc_) } else { Value::from(()) }),
            _ => return None,
        }))
    }
    fn call_method(self: &Arc<Self>, _: &mut State<'_, '_>, method: &str, args: &[Value]) -> Result<Value, Error> {
        let n = self.naive();
        match method {
            "strftime" => {
                let (fmt,): (String,) = from_args(args)?;
                Ok(Value::from(n.format(&chrono_format(&fmt)).to_string()))
            }
            "isoformat" => Ok(Value::from(match **self {
                When::Date(d) => d.format("%Y-%m-%d").to_string(),
                When::Naive(_) => n.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
                When::Utc(_) => n.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string(),
            })),
            "date" => Ok(When::Date(n.date()).value()),
            "timestamp" => Ok(Value::from(n.and_utc().timestamp_micros() as f64 / 1e6)),
            "weekday" => Ok(Value::from(n.weekday().num_days_from_monday())),
            "isoweekday" => Ok(Value::from(n.weekday().number_from_monday())),
            "replace" => {
                let (kwargs,): (Kwargs,) = from_args(args)?;
                replace(self, n, &kwargs)
            }
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

fn replace(w: &When, n: NaiveDateTime, kwargs: &Kwargs) -> Result<Value, Error> {
    let get = |k: &str, cur: u32| kwargs.get::<Option<u32>>(k).map(|v| v.unwrap_or(cur));
    let date = NaiveDate::from_ymd_opt(get("year", n.year() as u32)? as i32, get("month", n.month())?, get("day", n.day())?)
        .ok_or_else(|| invalid("replace(): day is out of range for month"))?;
    let time = date
        .and_hms_micro_opt(get("hour", n.hour())?, get("minute", n.minute())?, get("second", n.second())?, get("microsecond", n.nanosecond() / 1000)?)
        .ok_or_else(|| invalid("replace(): time out of range"))?;
    kwargs.assert_all_used()?;
    Ok(w.with(time).value())
}

/// Python's `datetime.strptime`: fields the format lacks default to 1900-01-01 00:00:00.
fn strptime(s: &str, fmt: &str) -> Result<NaiveDateTime, chrono::ParseError> {
    let mut p = chrono::format::Parsed::new();
    chrono::format::parse(&mut p, s, chrono::format::StrftimeItems::new(&chrono_format(fmt)))?;
    // Each setter fails only when the field is already set (to another value): ignoring that keeps it.
    if p.year().is_none() && p.year_mod_100().is_none() && p.isoyear().is_none() {
        let _ = p.set_year(1900);
    }
    if p.month().is_none() && p.ordinal().is_none() && p.isoweek().is_none() && p.week_from_sun().is_none() && p.week_from_mon().is_none() {
        let _ = p.set_month(1);
    }
    if p.day().is_none() && p.ordinal().is_none() && p.weekday().is_none() {
        let _ = p.set_day(1);
    }
    if p.hour_div_12().is_none() {
        let _ = p.set_hour(0);
    }
    if p.minute().is_none() {
        let _ = p.set_minute(0);
    }
    if p.second().is_none() {
        let _ = p.set_second(0);
    }
    p.to_naive_datetime_with_offset(0)
}

/// `timedelta(days=, seconds=, microseconds=, milliseconds=, minutes=, hours=, weeks=)`.
fn delta(kwargs: &Kwargs) -> Result<Duration, Error> {
    let mut total = Duration::zero();
    for (unit, micros) in [("weeks", 604_800_000_000f64), ("days", 86_400_000_000.0), ("hours", 3_600_000_000.0), ("minutes", 60_000_000.0), ("seconds", 1_000_000.0), ("milliseconds", 1_000.0), ("microseconds", 1.0)] {
        if let Some(v) = kwargs.get::<Option<f64>>(unit)? {
            total += Duration::microseconds((v * micros).round() as i64);
        }
    }
    kwargs.assert_all_used()?;
    Ok(total)
}

/// A `timedelta`: `.days`, `.seconds`, `.total_seconds()`.
#[derive(Debug)]
struct Delta(Duration);

impl Delta {
    /// Python's normalized fields: `days` (floored, may be negative), `seconds` and `microseconds` (>= 0).
    fn parts(&self) -> (i64, i64, i64) {
        let micros = self.0.num_microseconds().unwrap_or(0);
        let (days, rest) = (micros.div_euclid(86_400_000_000), micros.rem_euclid(86_400_000_000));
        (days, rest / 1_000_000, rest % 1_000_000)
    }
}

impl fmt::Display for Delta {
    /// Python's `str()`: `1 day, 2:00:00`, `-1 day, 23:00:00`, `0:00:00.500000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (days, secs, micros) = self.parts();
        if days != 0 {
            write!(f, "{days} day{}, ", if days.abs() == 1 { "" } else { "s" })?;
        }
        write!(f, "{}:{:02}:{:02}", secs / 3600, secs % 3600 / 60, secs % 60)?;
        if micros != 0 {
            write!(f, ".{micros:06}")?;
        }
        Ok(())
    }
}

/// Python's date arithmetic, for `__py_binop` (`py_ops.rs`): date/datetime ± timedelta, datetime −
/// datetime, timedelta ± timedelta. None when no operand is one of these.
pub fn arithmetic(op: &str, a: &Value, b: &Value) -> Result<Option<Value>, Error> {
    let (wa, wb) = (a.downcast_object_ref::<When>(), b.downcast_object_ref::<When>());
    let (da, db) = (a.downcast_object_ref::<Delta>(), b.downcast_object_ref::<Delta>());
    if wa.is_none() && wb.is_none() && da.is_none() && db.is_none() {
        return Ok(None);
    }
    let delta = |d: Duration| Some(Value::from_object(Delta(d)));
    Ok(match (op, wa, wb, da, db) {
        ("+", Some(w), None, None, Some(d)) | ("+", None, Some(w), Some(d), None) => Some(shift(w, d, 1)?.value()),
        ("-", Some(w), None, None, Some(d)) => Some(shift(w, d, -1)?.value()),
        ("-", Some(x), Some(y), None, None) if std::mem::discriminant(x) == std::mem::discriminant(y) => delta(x.naive() - y.naive()),
        ("+", None, None, Some(x), Some(y)) => delta(x.0 + y.0),
        ("-", None, None, Some(x), Some(y)) => delta(x.0 - y.0),
        _ => return Err(invalid(format!("unsupported operand type(s) for {op}: '{}' and '{}'", py_type(a), py_type(b)))),
    })
}

fn py_type(v: &Value) -> &'static str {
    match (v.downcast_object_ref::<When>(), v.downcast_object_ref::<Delta>()) {
        (Some(When::Date(_)), _) => "datetime.date",
        (Some(_), _) => "datetime.datetime",
        (_, Some(_)) => "datetime.timedelta",
        _ if v.is_number() => "int",
        _ if v.kind() == minijinja::value::ValueKind::String => "str",
        _ => "object",
    }
}

/// `w + sign·d`; a date moves by whole days only (Python uses `timedelta.days`).
fn shift(w: &When, d: &Delta, sign: i32) -> Result<When, Error> {
    let step = match w {
        When::Date(_) => Duration::days(d.parts().0),
        _ => d.0,
    };
    let moved = if sign < 0 { w.naive().checked_sub_signed(step) } else { w.naive().checked_add_signed(step) };
    moved.map(|n| w.with(n)).ok_or_else(|| invalid("date value out of range"))
}

impl Object for Delta {
    fn custom_cmp(self: &Arc<Self>, other: &DynObject) -> Option<std::cmp::Ordering> {
        Some(self.0.cmp(&other.downcast_ref::<Delta>()?.0))
    }
    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let (days, seconds, micros) = self.parts();
        Some(Value::from(match key.as_str()? {
            "days" => days,
            "seconds" => seconds,
            "microseconds" => micros,
            _ => return None,
        }))
    }
    fn call_method(self: &Arc<Self>, _: &mut State<'_, '_>, method: &str, _: &[Value]) -> Result<Value, Error> {
        match method {
            "total_seconds" => Ok(Value::from(self.0.num_microseconds().unwrap_or(0) as f64 / 1e6)),
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

/// pytz's UTC zone (the only zone: `pytz.timezone('UTC')`).
#[derive(Debug)]
struct Utc_;
impl Object for Utc_ {
    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UTC")
    }
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        (key.as_str()? == "zone").then(|| Value::from("UTC"))
    }
}

fn is_utc(tz: &Value) -> bool {
    tz.downcast_object_ref::<Utc_>().is_some()
}

/// One callable or namespace of `modules`.
#[derive(Debug, Clone, Copy)]
enum Module {
    Root,
    Datetime,
    DatetimeClass,
    DateClass,
    Timedelta,
    Re,
    Pytz,
}

impl Object for Module {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let m = match (**self, key.as_str()?) {
            (Module::Root, "datetime") => Module::Datetime,
            (Module::Root, "re") => Module::Re,
            (Module::Root, "pytz") => Module::Pytz,
            (Module::Datetime, "datetime") => Module::DatetimeClass,
            (Module::Datetime, "date") => Module::DateClass,
            (Module::Datetime, "timedelta") => Module::Timedelta,
            (Module::Pytz, "utc" | "UTC") => return Some(Value::from_object(Utc_)),
            (Module::Re, flag) => return super::regex_module::FLAGS.iter().find(|(n, _)| *n == flag).map(|(_, v)| Value::from(*v)),
            (Module::Datetime, "timezone") => return Some(Value::from_object(Module::Pytz)),
            _ => return None,
        };
        Some(Value::from_object(m))
    }
    fn call(self: &Arc<Self>, _: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        match **self {
            Module::DatetimeClass => {
                let (y, mo, d, rest, kwargs): (i32, u32, u32, &[Value], Kwargs) = from_args(args)?;
                let part = |i: usize, k: &str| -> Result<u32, Error> {
                    Ok(match rest.get(i) {
                        Some(v) => u32::try_from(v.clone()).map_err(|_| invalid(format!("datetime(): {k} must be an integer")))?,
                        None => kwargs.get::<Option<u32>>(k)?.unwrap_or(0),
                    })
                };
                let n = NaiveDate::from_ymd_opt(y, mo, d)
                    .and_then(|date| date.and_hms_micro_opt(part(0, "hour").ok()?, part(1, "minute").ok()?, part(2, "second").ok()?, part(3, "microsecond").ok()?))
                    .ok_or_else(|| invalid("datetime(): value out of range"))?;
                let tz: Option<Value> = kwargs.get("tzinfo")?;
                kwargs.assert_all_used()?;
                Ok(match tz {
                    Some(t) if is_utc(&t) => When::Utc(n.and_utc()),
                    Some(t) if !t.is_none() => return Err(invalid("modules.datetime: only UTC time zones are supported")),
                    _ => When::Naive(n),
                }
                .value())
            }
            Module::DateClass => {
                let (y, m, d): (i32, u32, u32) = from_args(args)?;
                NaiveDate::from_ymd_opt(y, m, d).map(|d| When::Date(d).value()).ok_or_else(|| invalid("date(): day is out of range for month"))
            }
            Module::Timedelta => {
                let (kwargs,): (Kwargs,) = from_args(args)?;
                Ok(Value::from_object(Delta(delta(&kwargs)?)))
            }
            _ => Err(invalid("this module is not callable")),
        }
    }
    fn call_method(self: &Arc<Self>, _: &mut State<'_, '_>, method: &str, args: &[Value]) -> Result<Value, Error> {
        match (**self, method) {
            (Module::DatetimeClass, "now" | "utcnow") => {
                let (tz,): (Option<Value>,) = from_args(args)?;
                let now = Utc::now();
                Ok(if method == "utcnow" || tz.as_ref().is_none_or(|t| t.is_none()) {
                    When::Naive(if method == "utcnow" { now.naive_utc() } else { chrono::Local::now().naive_local() })
                } else if tz.as_ref().is_some_and(is_utc) {
                    When::Utc(now)
                } else {
                    return Err(invalid("modules.datetime: only UTC time zones are supported"));
                }
                .value())
            }
            (Module::DatetimeClass, "strptime") => {
                let (s, fmt): (String, String) = from_args(args)?;
                strptime(&s, &fmt).map(|n| When::Naive(n).value()).map_err(|e| invalid(format!("time data '{s}' does not match format '{fmt}' ({e})")))
            }
            (Module::DatetimeClass | Module::DateClass, "fromisoformat") => {
                let (s,): (String,) = from_args(args)?;
                let parsed = DateTime::parse_from_rfc3339(&s)
                    .map(|d| When::Utc(d.with_timezone(&Utc)))
                    .or_else(|_| NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S%.f").map(When::Naive))
                    .or_else(|_| NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S%.f").map(When::Naive))
                    .or_else(|_| NaiveDate::parse_from_str(&s, "%Y-%m-%d").map(When::Date))
                    .map_err(|_| invalid(format!("Invalid isoformat string: '{s}'")))?;
                Ok(match (**self, parsed) {
                    (Module::DateClass, w) => When::Date(w.naive().date()),
                    (_, w) => w,
                }
                .value())
            }
            (Module::DateClass, "today") => Ok(When::Date(chrono::Local::now().date_naive()).value()),
            (Module::Pytz, "timezone") => {
                let (name,): (String,) = from_args(args)?;
                match name.as_str() {
                    "UTC" | "utc" | "Etc/UTC" => Ok(Value::from_object(Utc_)),
                    other => Err(invalid(format!("modules.pytz.timezone('{other}'): only UTC is supported by transform"))),
                }
            }
            (Module::Re, m) => super::regex_module::call(m, args),
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

/// The `modules` context value.
pub fn modules() -> Value {
    Value::from_object(Module::Root)
}

/// `run_started_at`: a UTC-aware datetime, as in dbt.
pub fn run_started_at(at: DateTime<Utc>) -> Value {
    When::Utc(at).value()
}

#[cfg(test)]
mod tests {
    use crate::jinja::test_render as render;

    #[test]
    fn datetime_and_pytz_as_dbt_code_uses_them() {
        assert_eq!(render("{{ modules.datetime.date(2024, 2, 29).strftime('%Y/%m/%d %A') }} {{ modules.datetime.datetime(2024, 1, 2, 3, 4, 5) }}"), "2024/02/29 Thursday 2024-01-02 03:04:05");
        assert_eq!(
            render("{{ run_started_at }} {{ run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f') }} {{ run_started_at.isoformat() }} {{ run_started_at.year }}"),
            "2024-01-02 03:04:05.000006+00:00 2024-01-02 03:04:05.000006 2024-01-02T03:04:05.000006+00:00 2024"
        );
        assert_eq!(render("{{ modules.datetime.datetime(2024, 1, 2, tzinfo=modules.pytz.timezone('UTC')) }} {{ modules.datetime.timedelta(days=1, hours=2).total_seconds() }}"), "2024-01-02 00:00:00+00:00 93600.0");
        assert!(render("{{ modules.pytz.timezone('Europe/Paris') }}").contains("only UTC is supported"));
    }

    #[test]
    fn date_arithmetic_as_in_python() {
        // Each checked with CPython 3.11.
        let d = "{% set td = modules.datetime.timedelta %}{% set day = modules.datetime.date(2024, 3, 1) %}";
        assert_eq!(render(&format!("{d}{{{{ day - td(days=1) }}}} {{{{ day + td(hours=25) }}}} {{{{ day - td(days=1, hours=1) }}}} {{{{ td(hours=-1) + day }}}}")), "2024-02-29 2024-03-02 2024-02-29 2024-02-29");
        assert_eq!(render(&format!("{d}{{{{ (day - modules.datetime.date(2024, 1, 1)).days }}}} {{{{ day - modules.datetime.date(2024, 1, 1) }}}} {{{{ td(hours=-1) }}}} {{{{ td(days=2, seconds=1.5) }}}}")), "60 60 days, 0:00:00 -1 day, 23:00:00 2 days, 0:00:01.500000");
        assert_eq!(render("{{ (run_started_at - modules.datetime.timedelta(days=1)).strftime('%Y-%m-%d %H') }} {{ run_started_at - modules.datetime.timedelta(minutes=5) < run_started_at }}"), "2024-01-01 03 True");
        assert_eq!(render("{% set n = modules.datetime.datetime(2024, 1, 1, 12) %}{{ n - modules.datetime.datetime(2024, 1, 1) }} {{ 1 + 2 }} {{ 'a' + 'b' }} {{ [1] + [2] }} {{ 5 - 7 }}"), "12:00:00 3 ab [1, 2] -2");
        assert!(render("{{ modules.datetime.date(2024, 1, 1) - 1 }}").contains("unsupported operand type(s) for -: 'datetime.date' and 'int'"));
    }

    #[test]
    fn dates_and_deltas_compare_as_in_python() {
        let d = "{% set a = modules.datetime.date(2024, 1, 2) %}{% set b = modules.datetime.date(2024, 3, 1) %}";
        assert_eq!(render(&format!("{d}{{{{ a < b }}}} {{{{ a == modules.datetime.date(2024, 1, 2) }}}} {{{{ [b, a] | max }}}} {{{{ (a > b) }}}}")), "True True 2024-03-01 False");
        let t = "{% set x = modules.datetime.timedelta(hours=25) %}{% set y = modules.datetime.timedelta(days=1) %}";
        assert_eq!(render(&format!("{t}{{{{ x > y }}}} {{{{ x.days }}}} {{{{ x.seconds }}}}")), "True 1 3600");
        assert_eq!(render("{{ modules.datetime.datetime(2024, 1, 2, 3) < modules.datetime.datetime.strptime('2024-01-02 04', '%Y-%m-%d %H') }}"), "True");
        let p = "{{ modules.datetime.datetime.strptime('2024-01-02', '%Y-%m-%d') }} {{ modules.datetime.datetime.strptime('03:04', '%H:%M') }} {{ modules.datetime.datetime.strptime('24-1-2', '%y-%m-%d') }}";
        assert_eq!(render(p), "2024-01-02 00:00:00 1900-01-01 03:04:00 2024-01-02 00:00:00");
    }

    #[test]
    fn re_functions_run_on_the_regex_crate() {
        assert_eq!(render(r"{{ modules.re.sub('[^a-z0-9]+', '_', 'Hello World!'.lower()) }} {{ modules.re.match('(\\w+)-(\\d+)', 'abc-12').group(2) }} {{ modules.re.search('x', 'abc') is none }}"), "hello_world_ 12 True");
        assert_eq!(render(r"{{ modules.re.sub('(a)(b)', '\\2\\1', 'abab', count=1) }} {{ modules.re.findall('\\d', 'a1b2') }} {{ modules.re.compile('B', modules.re.I).search('abc').start() }}"), "baab ['1', '2'] 1");
        assert!(render("{{ modules.re.sub('(?<=a)b', 'x', 'ab') }}").contains("cannot use pattern"));
    }
}
