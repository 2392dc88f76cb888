//! dbt's `modules` context: the parts of Python's `datetime`, `re` and `pytz` that projects call
//! (`modules.datetime.datetime.now()`, `modules.datetime.date(2024, 1, 1)`, `modules.re.sub(...)`,
//! `modules.pytz.utc`), and the datetime values they return (also `run_started_at`). Only UTC time
//! zones exist, and datetimes cannot be added to (Jinja's `+` here knows numbers, strings and lists).

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};
use minijinja::value::{from_args, Kwargs, Object, ObjectRepr};
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

impl Object for Delta {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let d = self.0;
        Some(Value::from(match key.as_str()? {
            "days" => d.num_days(),
            "seconds" => (d - Duration::days(d.num_days())).num_seconds(),
            "microseconds" => (d - Duration::seconds(d.num_seconds())).num_microseconds().unwrap_or(0),
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
                NaiveDateTime::parse_from_str(&s, &chrono_format(&fmt))
                    .or_else(|_| NaiveDate::parse_from_str(&s, &chrono_format(&fmt)).map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default()))
                    .map(|n| When::Naive(n).value())
                    .map_err(|e| invalid(format!("time data '{s}' does not match format '{fmt}' ({e})")))
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
    fn re_functions_run_on_the_regex_crate() {
        assert_eq!(render(r"{{ modules.re.sub('[^a-z0-9]+', '_', 'Hello World!'.lower()) }} {{ modules.re.match('(\\w+)-(\\d+)', 'abc-12').group(2) }} {{ modules.re.search('x', 'abc') is none }}"), "hello_world_ 12 True");
        assert_eq!(render(r"{{ modules.re.sub('(a)(b)', '\\2\\1', 'abab', count=1) }} {{ modules.re.findall('\\d', 'a1b2') }} {{ modules.re.compile('B', modules.re.I).search('abc').start() }}"), "baab ['1', '2'] 1");
        assert!(render("{{ modules.re.sub('(?<=a)b', 'x', 'ab') }}").contains("cannot use pattern"));
    }
}
