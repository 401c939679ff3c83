//! `key=value` parameters for computations: parsing, bounds, and errors that
//! name the parameter. Every size a user can set is bounded here, so a bad or
//! oversized value is an error, never a panic or an out-of-memory.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::RangeInclusive;

use super::ParamSpec;

#[derive(Debug, Clone, PartialEq)]
pub enum ParamError {
    /// An argument without `=`, or with an empty key.
    Malformed { arg: String },
    /// The same key given twice.
    Duplicate { name: String },
    /// A key the computation does not read.
    Unknown { name: String, known: Vec<String> },
    /// A value that does not parse as the expected kind.
    Invalid {
        name: String,
        value: String,
        expected: String,
    },
    /// A value that parses but lies outside the allowed bounds.
    OutOfRange {
        name: String,
        value: String,
        range: String,
    },
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamError::Malformed { arg } => {
                write!(f, "argument `{arg}`: expected key=value")
            }
            ParamError::Duplicate { name } => write!(f, "parameter `{name}` given twice"),
            ParamError::Unknown { name, known } => {
                if known.is_empty() {
                    write!(
                        f,
                        "unknown parameter `{name}` (this computation takes none)"
                    )
                } else {
                    write!(
                        f,
                        "unknown parameter `{name}`{} (known: {})",
                        crate::suggest::hint(name, known.iter().map(String::as_str)),
                        known.join(", ")
                    )
                }
            }
            ParamError::Invalid {
                name,
                value,
                expected,
            } => write!(f, "parameter `{name}`: `{value}` is not {expected}"),
            ParamError::OutOfRange { name, value, range } => {
                write!(f, "parameter `{name}`: {value} is out of range {range}")
            }
        }
    }
}

impl std::error::Error for ParamError {}

/// Parsed `key=value` pairs; getters record which keys were read so that
/// [`Params::finish`] can reject the rest.
#[derive(Debug, Clone, Default)]
pub struct Params {
    values: BTreeMap<String, String>,
    read: BTreeSet<String>,
}

impl Params {
    pub fn parse<S: AsRef<str>>(args: &[S]) -> Result<Self, ParamError> {
        let mut values = BTreeMap::new();
        for arg in args {
            let arg = arg.as_ref();
            let Some((key, value)) = arg.split_once('=') else {
                return Err(ParamError::Malformed { arg: arg.into() });
            };
            let key = key.trim();
            if key.is_empty() {
                return Err(ParamError::Malformed { arg: arg.into() });
            }
            if values
                .insert(key.to_string(), value.trim().to_string())
                .is_some()
            {
                return Err(ParamError::Duplicate { name: key.into() });
            }
        }
        Ok(Params {
            values,
            read: BTreeSet::new(),
        })
    }

    /// The raw value of `name`, if given; marks it as read.
    pub fn raw(&mut self, name: &str) -> Option<String> {
        self.read.insert(name.to_string());
        self.values.get(name).cloned()
    }

    pub fn usize(
        &mut self,
        name: &str,
        default: usize,
        range: RangeInclusive<usize>,
    ) -> Result<usize, ParamError> {
        Ok(self.u64(
            name,
            default as u64,
            *range.start() as u64..=*range.end() as u64,
        )? as usize)
    }

    pub fn u64(
        &mut self,
        name: &str,
        default: u64,
        range: RangeInclusive<u64>,
    ) -> Result<u64, ParamError> {
        self.bounded(name, default, range, "a non-negative whole number", |_| {
            true
        })
    }

    /// A finite number within `range`.
    pub fn f64(
        &mut self,
        name: &str,
        default: f64,
        range: RangeInclusive<f64>,
    ) -> Result<f64, ParamError> {
        self.bounded(name, default, range, "a finite number", |v| v.is_finite())
    }

    fn bounded<T>(
        &mut self,
        name: &str,
        default: T,
        range: RangeInclusive<T>,
        expected: &str,
        valid: impl Fn(&T) -> bool,
    ) -> Result<T, ParamError>
    where
        T: std::str::FromStr + PartialOrd + fmt::Display,
    {
        let Some(raw) = self.raw(name) else {
            return Ok(default);
        };
        let value: T = match raw.parse() {
            Ok(v) if valid(&v) => v,
            _ => {
                return Err(ParamError::Invalid {
                    name: name.into(),
                    value: raw,
                    expected: expected.into(),
                });
            }
        };
        if !range.contains(&value) {
            return Err(ParamError::OutOfRange {
                name: name.into(),
                value: raw,
                range: format!("{}..={}", range.start(), range.end()),
            });
        }
        Ok(value)
    }

    /// One of a fixed set of words.
    pub fn choice(
        &mut self,
        name: &str,
        default: &'static str,
        options: &[&'static str],
    ) -> Result<&'static str, ParamError> {
        let Some(raw) = self.raw(name) else {
            return Ok(default);
        };
        options
            .iter()
            .copied()
            .find(|o| *o == raw)
            .ok_or_else(|| ParamError::Invalid {
                name: name.into(),
                value: raw,
                expected: format!("one of {}", options.join(", ")),
            })
    }

    /// Reject every given key that `specs` does not list.
    pub fn reject_unlisted(&self, specs: &[ParamSpec]) -> Result<(), ParamError> {
        self.reject_unknown(specs, |key| specs.iter().any(|s| s.name == key))
    }

    /// Reject every given key that no getter read.
    pub fn finish(&self, specs: &[ParamSpec]) -> Result<(), ParamError> {
        self.reject_unknown(specs, |key| self.read.contains(key))
    }

    fn reject_unknown(
        &self,
        specs: &[ParamSpec],
        known: impl Fn(&str) -> bool,
    ) -> Result<(), ParamError> {
        match self.values.keys().find(|k| !known(k.as_str())) {
            None => Ok(()),
            Some(name) => Err(ParamError::Unknown {
                name: name.clone(),
                known: specs.iter().map(|s| s.name.to_string()).collect(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_bounds() {
        let mut p = Params::parse(&["h=4", "gamma=0.5", "mode=mac"]).unwrap();
        assert_eq!(p.usize("h", 1, 1..=256).unwrap(), 4);
        assert_eq!(p.usize("w", 5, 1..=256).unwrap(), 5);
        assert_eq!(p.f64("gamma", 1.0, -10.0..=10.0).unwrap(), 0.5);
        assert_eq!(p.choice("mode", "all", &["all", "mac"]).unwrap(), "mac");
        assert!(p.finish(&[]).is_ok());
    }

    #[test]
    fn errors_name_the_parameter() {
        let mut p = Params::parse(&["h=300"]).unwrap();
        let e = p.usize("h", 1, 1..=256).unwrap_err();
        assert!(e.to_string().contains("`h`"), "{e}");
        let mut p = Params::parse(&["gamma=nan"]).unwrap();
        assert!(
            p.f64("gamma", 1.0, -1.0..=1.0)
                .unwrap_err()
                .to_string()
                .contains("`gamma`")
        );
        let mut p = Params::parse(&["h=-1"]).unwrap();
        assert!(matches!(
            p.usize("h", 1, 1..=9),
            Err(ParamError::Invalid { .. })
        ));
        assert!(matches!(
            Params::parse(&["h"]),
            Err(ParamError::Malformed { .. })
        ));
        assert!(matches!(
            Params::parse(&["h=1", "h=2"]),
            Err(ParamError::Duplicate { .. })
        ));
        let p = Params::parse(&["zzz=1"]).unwrap();
        assert!(p.finish(&[]).unwrap_err().to_string().contains("`zzz`"));
    }
}
