//! dbt's version specifiers (`>=1.2.0`, `<2.0.0`, `1.3.3`, `0.1.4a1`) and how it intersects them
//! into one range and picks a version. The rules are dbt's own (dbt_common.semver), not Cargo's:
//! a prerelease sorts before its release, and prereleases are installed only when asked for.

use std::cmp::Ordering;
use std::fmt;
use std::sync::OnceLock;

use regex::Regex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Matcher {
    Gt,
    Ge,
    Lt,
    Le,
    Exact,
}

impl Matcher {
    fn text(self) -> &'static str {
        match self {
            Matcher::Gt => ">",
            Matcher::Ge => ">=",
            Matcher::Lt => "<",
            Matcher::Le => "<=",
            Matcher::Exact => "=",
        }
    }
    fn is_lower(self) -> bool {
        matches!(self, Matcher::Gt | Matcher::Ge)
    }
    fn is_upper(self) -> bool {
        matches!(self, Matcher::Lt | Matcher::Le)
    }
}

/// One bound: a matcher and a version.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    pub matcher: Matcher,
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub prerelease: Option<String>,
    pub build: Option<String>,
}

fn version_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let num = r"(0|[1-9]\d*)";
        let alnum = r"(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)";
        let pattern = format!(
            r"^(?P<m>>=|>|<=|<|=)?(?P<major>{num})\.(?P<minor>{num})\.(?P<patch>{num})(?:-?(?P<pre>{alnum}(?:\.{alnum})*))?(?:\+(?P<build>[0-9A-Za-z-]*(?:\.[0-9A-Za-z-]*)*))?$"
        );
        Regex::new(&pattern).expect("static regex compiles")
    })
}

impl Spec {
    /// Parses `>=1.2.3`, `1.0.0-rc1`, `0.1.4a1` (the hyphen before a prerelease is optional).
    pub fn parse(text: &str) -> Result<Spec, String> {
        let c = version_regex().captures(text).ok_or_else(|| format!("\"{text}\" is not a valid semantic version."))?;
        let num = |k: &str| c.name(k).and_then(|m| m.as_str().parse::<u64>().ok()).unwrap_or(0);
        let matcher = match c.name("m").map(|m| m.as_str()) {
            Some(">") => Matcher::Gt,
            Some(">=") => Matcher::Ge,
            Some("<") => Matcher::Lt,
            Some("<=") => Matcher::Le,
            _ => Matcher::Exact,
        };
        Ok(Spec {
            matcher,
            major: num("major"),
            minor: num("minor"),
            patch: num("patch"),
            prerelease: c.name("pre").map(|m| m.as_str().to_string()),
            build: c.name("build").map(|m| m.as_str().to_string()),
        })
    }

    /// The version without its matcher (`1.2.0-rc1`).
    pub fn version_text(&self) -> String {
        let mut s = format!("{}.{}.{}", self.major, self.minor, self.patch);
        if let Some(p) = &self.prerelease {
            s.push_str(&format!("-{p}"));
        }
        if let Some(b) = &self.build {
            s.push_str(&format!("+{b}"));
        }
        s
    }

    fn to_range(&self) -> Range {
        match self.matcher {
            Matcher::Exact => Range { start: Some(self.clone()), end: Some(self.clone()) },
            m if m.is_lower() => Range { start: Some(self.clone()), end: None },
            _ => Range { start: None, end: Some(self.clone()) },
        }
    }

    /// dbt's comparison: versions first, then the matchers decide ties (`<1.0.0` is below `>=1.0.0`).
    pub fn compare(&self, other: &Spec) -> Ordering {
        let numbers = (self.major, self.minor, self.patch).cmp(&(other.major, other.minor, other.patch));
        if numbers != Ordering::Equal {
            return numbers;
        }
        match (&self.prerelease, &other.prerelease) {
            (None, None) => {}
            // A release is above its prereleases, except as an exclusive upper bound.
            (None, Some(_)) if self.matcher == Matcher::Lt => return Ordering::Less,
            (None, Some(_)) => return Ordering::Greater,
            (Some(_), None) => return Ordering::Less,
            (Some(a), Some(b)) => match prerelease_cmp(a, b) {
                Ordering::Equal => {}
                o => return o,
            },
        }
        let (a, b) = (self.matcher, other.matcher);
        if (a == Matcher::Ge && b == Matcher::Le) || (a == Matcher::Le && b == Matcher::Ge) {
            return Ordering::Equal;
        }
        if (a == Matcher::Lt && b == Matcher::Le) || (b == Matcher::Gt && a == Matcher::Ge) || (a.is_upper() && b.is_lower()) {
            return Ordering::Less;
        }
        if (b == Matcher::Lt && a == Matcher::Le) || (a == Matcher::Gt && b == Matcher::Ge) || (a.is_lower() && b.is_upper()) {
            return Ordering::Greater;
        }
        Ordering::Equal
    }
}

impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.matcher.text(), self.version_text())
    }
}

/// Dot-separated parts: numbers numerically and below words; ties are broken by the text's length.
fn prerelease_cmp(a: &str, b: &str) -> Ordering {
    for (x, y) in a.split('.').zip(b.split('.')) {
        let o = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(i), Ok(j)) if x.bytes().all(|c| c.is_ascii_digit()) && y.bytes().all(|c| c.is_ascii_digit()) => i.cmp(&j),
            _ if x.bytes().all(|c| c.is_ascii_digit()) => Ordering::Less,
            _ if y.bytes().all(|c| c.is_ascii_digit()) => Ordering::Greater,
            _ => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

/// A range between two optional bounds (None: unbounded).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Range {
    pub start: Option<Spec>,
    pub end: Option<Spec>,
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = [&self.start, &self.end].iter().filter_map(|b| b.as_ref().map(Spec::to_string)).collect();
        if parts.is_empty() {
            write!(f, "ANY")
        } else {
            write!(f, "{}", parts.join(", "))
        }
    }
}

struct Incompatible;

fn exact_with(bound: &Spec, exact: &Spec, keep_on_tie: Matcher, wanted: Ordering) -> Result<Spec, Incompatible> {
    let o = bound.compare(exact);
    if o == wanted || (o == Ordering::Equal && bound.matcher == keep_on_tie) {
        Ok(exact.clone())
    } else {
        Err(Incompatible)
    }
}

fn lower(a: &Option<Spec>, b: &Option<Spec>) -> Result<Option<Spec>, Incompatible> {
    Ok(match (a, b) {
        (_, None) => a.clone(),
        (None, _) => b.clone(),
        (Some(x), Some(y)) if x.matcher == Matcher::Exact => Some(exact_with(y, x, Matcher::Ge, Ordering::Less)?),
        (Some(x), Some(y)) if y.matcher == Matcher::Exact => Some(exact_with(x, y, Matcher::Ge, Ordering::Less)?),
        (Some(x), Some(y)) => Some(if x.compare(y) == Ordering::Less { y.clone() } else { x.clone() }),
    })
}

fn upper(a: &Option<Spec>, b: &Option<Spec>) -> Result<Option<Spec>, Incompatible> {
    Ok(match (a, b) {
        (_, None) => a.clone(),
        (None, _) => b.clone(),
        (Some(x), Some(y)) if x.matcher == Matcher::Exact => Some(exact_with(y, x, Matcher::Le, Ordering::Greater)?),
        (Some(x), Some(y)) if y.matcher == Matcher::Exact => Some(exact_with(x, y, Matcher::Le, Ordering::Greater)?),
        (Some(x), Some(y)) => Some(if x.compare(y) == Ordering::Greater { y.clone() } else { x.clone() }),
    })
}

impl Range {
    fn reduce(&self, other: &Range) -> Result<Range, Incompatible> {
        let exact = |r: &Range| r.start.as_ref().is_some_and(|s| s.matcher == Matcher::Exact);
        let (start, end) = if exact(self) && exact(other) {
            match (&self.start, &other.start) {
                (Some(a), Some(b)) if a.compare(b) == Ordering::Equal => (Some(a.clone()), Some(a.clone())),
                _ => return Err(Incompatible),
            }
        } else {
            (lower(&self.start, &other.start)?, upper(&self.end, &other.end)?)
        };
        if let (Some(s), Some(e)) = (&start, &end) {
            if s.compare(e) == Ordering::Greater {
                return Err(Incompatible);
            }
        }
        Ok(Range { start, end })
    }

    /// Whether `version` (an exact version) lies in the range.
    pub fn contains(&self, version: &Spec) -> bool {
        reduce(&[Some(version.clone()), self.start.clone(), self.end.clone()]).is_ok()
    }
}

/// Intersects the bounds (None: unbounded) into one range, as dbt's `reduce_versions`.
fn reduce(specs: &[Option<Spec>]) -> Result<Range, Incompatible> {
    let mut specs: Vec<&Spec> = specs.iter().flatten().collect();
    let Some(last) = specs.pop() else { return Ok(Range::default()) };
    let mut range = last.to_range();
    for s in specs {
        range = range.reduce(&s.to_range())?;
    }
    Ok(range)
}

/// The range all the requested version strings allow, or dbt's error when they exclude each other.
pub fn reduce_versions(requested: &[Spec]) -> Result<Range, String> {
    let specs: Vec<Option<Spec>> = requested.iter().cloned().map(Some).collect();
    reduce(&specs).map_err(|_| {
        let list: Vec<String> = requested.iter().map(|s| format!("'{s}'")).collect();
        format!("Could not find a satisfactory version from options: [{}]", list.join(", "))
    })
}

/// True when `version` satisfies every bound (dbt's `versions_compatible`).
pub fn compatible(version: &Spec, bounds: &[Spec]) -> bool {
    if bounds.is_empty() {
        return true;
    }
    let all: Vec<Option<Spec>> = std::iter::once(version.clone()).chain(bounds.iter().cloned()).map(Some).collect();
    reduce(&all).is_ok()
}

/// The versions allowed to install (releases, or prereleases too), sorted oldest first.
pub fn installable(versions: &[String], prerelease: bool) -> Vec<String> {
    let mut parsed: Vec<(Spec, &String)> =
        versions.iter().filter_map(|v| Spec::parse(v).ok().map(|s| (s, v))).filter(|(s, _)| prerelease || s.prerelease.is_none()).collect();
    parsed.sort_by(|a, b| a.0.compare(&b.0));
    parsed.into_iter().map(|(_, v)| v.clone()).collect()
}

/// The newest of `available` inside `range` (dbt's `resolve_to_specific_version`).
pub fn newest_in(range: &Range, available: &[String]) -> Option<String> {
    let mut best: Option<(Spec, &String)> = None;
    for v in available {
        let Ok(spec) = Spec::parse(v) else { continue };
        if range.contains(&spec) && best.as_ref().is_none_or(|(b, _)| b.compare(&spec) == Ordering::Less) {
            best = Some((spec, v));
        }
    }
    best.map(|(_, v)| v.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs(list: &[&str]) -> Vec<Spec> {
        list.iter().map(|s| Spec::parse(s).unwrap()).collect()
    }
    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_dbt_version_strings() {
        let s = Spec::parse(">=1.2.3").unwrap();
        assert_eq!((s.matcher, s.major, s.minor, s.patch), (Matcher::Ge, 1, 2, 3));
        assert_eq!(Spec::parse("0.1.4a1").unwrap().prerelease.as_deref(), Some("a1"));
        assert_eq!(Spec::parse("1.0.0-rc.1+build.5").unwrap().to_string(), "=1.0.0-rc.1+build.5");
        assert!(Spec::parse("1.0").is_err());
        assert!(Spec::parse("01.0.0").is_err());
        assert_eq!(Spec::parse("1.0").unwrap_err(), "\"1.0\" is not a valid semantic version.");
    }

    #[test]
    fn ranges_intersect_like_dbt() {
        let r = reduce_versions(&specs(&[">=1.0.0", "<2.0.0", ">=1.1.0"])).unwrap();
        assert_eq!(r.to_string(), ">=1.1.0, <2.0.0");
        assert_eq!(reduce_versions(&specs(&["1.3.3", ">=1.0.0"])).unwrap().to_string(), "=1.3.3, =1.3.3");
        assert_eq!(reduce_versions(&[]).unwrap().to_string(), "ANY");
        let err = reduce_versions(&specs(&[">=2.0.0", "<1.0.0"])).unwrap_err();
        assert_eq!(err, "Could not find a satisfactory version from options: ['>=2.0.0', '<1.0.0']");
        assert!(reduce_versions(&specs(&["1.0.0", "1.0.1"])).is_err());
        assert!(reduce_versions(&specs(&["<1.0.0", ">=1.0.0"])).is_err());
    }

    #[test]
    fn picks_the_newest_release_in_range() {
        let available = strings(&["0.9.0", "1.0.0", "1.1.0", "1.2.0-rc1", "2.0.0"]);
        let range = reduce_versions(&specs(&[">=1.0.0", "<2.0.0"])).unwrap();
        assert_eq!(installable(&available, false), strings(&["0.9.0", "1.0.0", "1.1.0", "2.0.0"]));
        assert_eq!(newest_in(&range, &installable(&available, false)).as_deref(), Some("1.1.0"));
        assert_eq!(newest_in(&range, &installable(&available, true)).as_deref(), Some("1.2.0-rc1"));
        // `<2.0.0` excludes 2.0.0's prereleases too.
        let pre = strings(&["2.0.0-b1"]);
        assert_eq!(newest_in(&range, &pre), None);
    }

    #[test]
    fn prereleases_sort_before_their_release() {
        let mut v = strings(&["1.0.0", "1.0.0-rc1", "1.0.0-b2", "1.0.0-b10", "0.9.9"]);
        v = installable(&v, true);
        assert_eq!(v, strings(&["0.9.9", "1.0.0-b10", "1.0.0-b2", "1.0.0-rc1", "1.0.0"]));
        assert!(compatible(&Spec::parse("1.10.23").unwrap(), &specs(&[">=1.3.0", "<3.0.0"])));
        assert!(!compatible(&Spec::parse("1.10.23").unwrap(), &specs(&[">=9.0.0"])));
    }
}
