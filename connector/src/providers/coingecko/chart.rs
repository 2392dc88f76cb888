//! A market chart body read straight into its three series, without a JSON tree: the hot path of long
//! backfills (a 90-day hourly window is 2,160 points × 3 series). Only the plain shape is read here — every
//! point `[number, number | null, …]`; any other body (or a point of another shape) is not this fast path's
//! to judge, and the stream reads it through the JSON tree instead, with the same result. The commonest
//! body of all is read faster still by hand (`chart_scan.rs`), into these same types.
use std::fmt;

use chrono::{DateTime, TimeZone, Utc};
use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::Deserialize;

use crate::record::Field;

/// The series of `/coins/{id}/market_chart/range`.
#[derive(Deserialize)]
pub struct Chart {
    pub prices: Vec<Point>,
    #[serde(default)]
    pub market_caps: Vec<Point>,
    #[serde(default)]
    pub total_volumes: Vec<Point>,
}

/// One `[ms, value]` point: 16 bytes (a dense page holds 3 × 213,000 of them), so a null value is kept as
/// NaN, which no JSON number reads as.
pub struct Point {
    pub ms: f64,
    value: f64,
}

impl Point {
    pub fn new(ms: f64, value: Option<f64>) -> Point {
        Point {
            ms,
            value: value.unwrap_or(f64::NAN),
        }
    }

    /// The value, `None` for null.
    pub fn value(&self) -> Option<f64> {
        (!self.value.is_nan()).then_some(self.value)
    }
}

impl<'de> Deserialize<'de> for Point {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(PointVisitor)
    }
}

struct PointVisitor;

impl<'de> Visitor<'de> for PointVisitor {
    type Value = Point;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a [ms, value] point")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Point, A::Error> {
        let ms: f64 = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let value: Option<f64> = seq.next_element::<Option<f64>>()?.flatten();
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Point::new(ms, value))
    }
}

/// The point's time as epoch milliseconds and as a time (`None` outside chrono's range), as
/// `record::from_unix_millis` reads it.
pub fn time(point: &Point) -> Option<(i64, DateTime<Utc>)> {
    let ms = point.ms.round() as i64;
    Utc.timestamp_millis_opt(ms).single().map(|t| (ms, t))
}

/// The value of the point at `ms` in `series`: usually at the same index, else searched for.
pub fn value_at(series: &[Point], i: usize, ms: i64) -> Option<f64> {
    // `ms` is a valid time already, so a point at the same millisecond is one too.
    let matches = |p: &&Point| p.ms.round() as i64 == ms;
    series
        .get(i)
        .filter(matches)
        .or_else(|| series.iter().find(matches))
        .and_then(Point::value)
}

/// A float field, or null: what `record::num` makes of a number.
pub fn number(value: Option<f64>) -> Field {
    value.map_or(Field::Null, Field::Float)
}
