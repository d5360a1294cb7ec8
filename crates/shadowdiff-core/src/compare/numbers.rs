//! Numbers compared by the value their text denotes, exactly, and tolerances checked in exact
//! decimal arithmetic.
//!
//! serde_json keeps each number's text (its `arbitrary_precision` feature), so nothing is rounded
//! on the way in and reports show numbers as they were sent. The rule, which [`key`] implements
//! and README states:
//!
//! - a number written as digits only (`18446744073709551617`) is an integer and compares exactly,
//!   whatever its size;
//! - a number written with a fraction or an exponent (`1.0`, `5e-43`, `59.970000000000006`) is a
//!   double and compares as the double nearest it (correctly rounded), so two texts of one double
//!   are equal (`5e-43` and `5.0e-43`, the shortest form and the 17-digit form);
//! - a double whose value is an integer equals that integer (`1` = `1.0` = `1e0` = `10e-1`,
//!   `18446744073709551616` = `1.8446744073709552e19`);
//! - a double text beyond the range of doubles (rounding to infinity, or to zero while not zero)
//!   compares by its exact decimal value, so `1e400` and `2e400` differ.
//!
//! [`key`] is the canonical form that [`equal`] agrees with, so that the structural hash and the
//! walk never disagree about which numbers are the same.

use std::borrow::Cow;
use std::str::FromStr;

use bigdecimal::BigDecimal;
use serde_json::Number;

use crate::rules::Tolerance;

/// The canonical form of a number's value: two numbers are [`equal`] exactly when their keys are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum NumberKey {
    /// An integral value that fits `i64`, the common case.
    Small(i64),
    /// Any other value compared exactly: `digits × 10^exponent`, the digits without leading or
    /// trailing zeros (so the form is unique).
    Exact {
        /// Whether the value is below zero.
        negative: bool,
        /// The significant digits.
        digits: String,
        /// The power of ten the digits are scaled by.
        exponent: i64,
    },
    /// A value that is not integral, by the bits of the double nearest it.
    Double(u64),
    /// Text that is not a JSON number (a parsed document never holds one), compared as text.
    Text(String),
}

/// The canonical form of `number`'s value.
pub(crate) fn key(number: &Number) -> NumberKey {
    let text = number.as_str();
    if let Some(small) = small_integer(text) {
        return NumberKey::Small(small);
    }
    let exact = || Parts::of(text).map_or_else(|| NumberKey::Text(text.to_string()), |p| p.exact());
    if !text.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) {
        return exact();
    }
    let double = text.parse::<f64>().unwrap_or(f64::NAN);
    if double.is_nan() {
        return NumberKey::Text(text.to_string());
    }
    if double.is_infinite() || (double == 0.0 && !mantissa_is_zero(text)) {
        return exact();
    }
    if double.fract() == 0.0 {
        return integral_double(double);
    }
    NumberKey::Double(double.to_bits())
}

/// Whether the digits before a number text's exponent are all zeros.
fn mantissa_is_zero(text: &str) -> bool {
    text.bytes()
        .take_while(|b| !matches!(b, b'e' | b'E'))
        .all(|b| matches!(b, b'0' | b'-' | b'.'))
}

/// Whether two JSON numbers have the same value under the rule of this module.
pub(crate) fn equal(old: &Number, new: &Number) -> bool {
    old.as_str() == new.as_str() || key(old) == key(new)
}

/// Whether two numbers are close enough to count as equal under `tolerance`, decided in exact
/// decimal arithmetic on the values their texts denote. Numbers too wide to subtract cheaply
/// (more than [`MAX_SPAN`] digit positions between the highest and the lowest digit of the two)
/// are never within a tolerance: a tolerance hides only what it measured.
pub(crate) fn within(tolerance: &Tolerance, old: &Number, new: &Number) -> bool {
    let (Some(a), Some(b)) = (decimal(old.as_str()), decimal(new.as_str())) else {
        return false;
    };
    let gap = (&a - &b).abs();
    match tolerance {
        Tolerance::Absolute(limit) => gap <= *limit,
        Tolerance::Relative(fraction) => {
            let largest = a.abs().max(b.abs());
            gap <= fraction * largest
        }
    }
}

/// The widest span of digit positions, from the highest digit to the lowest of two numbers, that
/// tolerances subtract exactly.
pub const MAX_SPAN: i64 = 10_000;

/// The exact value of a number's text, unless it spans more than [`MAX_SPAN`] digit positions
/// on its own or reaches beyond them (so that any two such values subtract cheaply).
fn decimal(text: &str) -> Option<BigDecimal> {
    let parts = Parts::of(text)?;
    let digits = parts.digits.len() as i64;
    let low = parts.exponent;
    let high = parts.exponent.saturating_add(digits);
    let near = |position: i64| position.abs() <= MAX_SPAN / 2;
    let zero = parts.digits.is_empty();
    if !(zero || near(low) && near(high)) {
        return None;
    }
    BigDecimal::from_str(text).ok()
}

/// `text` as `i64` when it is a plain integer of at most 18 digits, the fast path.
fn small_integer(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The key of a double whose value is an integer: exact, as an integer text of the same value
/// would have.
fn integral_double(double: f64) -> NumberKey {
    // Doubles in [-2^63, 2^63) convert to i64 exactly once they are integral.
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if (-TWO_POW_63..TWO_POW_63).contains(&double) {
        return NumberKey::Small(double as i64);
    }
    // Fixed-precision formatting of a double is exact: these are all of its integer digits.
    let text = format!("{double:.0}");
    Parts::of(&text).map_or(NumberKey::Text(text.clone()), |parts| parts.exact())
}

/// A number's text taken apart: sign, significant digits and the power of ten they scale by.
struct Parts<'t> {
    negative: bool,
    /// Significant digits without leading or trailing zeros; empty for zero.
    digits: Cow<'t, str>,
    /// The value is `digits × 10^exponent`.
    exponent: i64,
}

impl<'t> Parts<'t> {
    /// Takes apart a JSON number (`-?digits(.digits)?([eE][+-]?digits)?`); `None` for other text.
    fn of(text: &'t str) -> Option<Parts<'t>> {
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exponent_text) = match unsigned.find(['e', 'E']) {
            Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
            None => (unsigned, None),
        };
        let (int, fraction) = match mantissa.split_once('.') {
            Some((int, fraction)) => (int, Some(fraction)),
            None => (mantissa, None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(int) || fraction.is_some_and(|f| !all_digits(f)) {
            return None;
        }
        let exponent = match exponent_text {
            Some(e) => exponent_value(e)?,
            None => 0,
        };
        let fraction = fraction.unwrap_or("");
        let digits: Cow<'t, str> = if fraction.is_empty() {
            Cow::Borrowed(int)
        } else {
            Cow::Owned(format!("{int}{fraction}"))
        };
        let leading = digits.bytes().take_while(|&b| b == b'0').count();
        let trailing = digits[leading..]
            .bytes()
            .rev()
            .take_while(|&b| b == b'0')
            .count();
        let significant = match digits {
            Cow::Borrowed(d) => Cow::Borrowed(&d[leading..d.len() - trailing]),
            Cow::Owned(d) => Cow::Owned(d[leading..d.len() - trailing].to_string()),
        };
        Some(Parts {
            negative: negative && !significant.is_empty(),
            exponent: exponent
                .saturating_sub(fraction.len() as i64)
                .saturating_add(trailing as i64),
            digits: significant,
        })
    }

    /// The exact key of these parts: `Small` when the value is an integer that fits `i64`.
    fn exact(&self) -> NumberKey {
        if self.digits.is_empty() {
            return NumberKey::Small(0);
        }
        if self.exponent >= 0 && self.digits.len() as i64 + self.exponent <= 19 {
            let scaled = self.digits.parse::<i64>().ok().and_then(|d| {
                10i64
                    .checked_pow(u32::try_from(self.exponent).ok()?)
                    .and_then(|p| d.checked_mul(p))
            });
            let signed = scaled.map(|v| if self.negative { -v } else { v });
            if let Some(value) = signed {
                return NumberKey::Small(value);
            }
            // -2^63 does not fit as a positive value first.
            if self.negative && self.digits == "9223372036854775808" && self.exponent == 0 {
                return NumberKey::Small(i64::MIN);
            }
        }
        NumberKey::Exact {
            negative: self.negative,
            digits: self.digits.to_string(),
            exponent: self.exponent,
        }
    }
}

/// The value of an exponent's text (`+12`, `-3`, `7`), saturated far beyond any double's range
/// so that arithmetic on it cannot overflow.
fn exponent_value(text: &str) -> Option<i64> {
    const CAP: i64 = i64::MAX / 4;
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude = digits.parse::<i64>().map_or(CAP, |v| v.min(CAP));
    Some(if negative { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn n(text: &str) -> Number {
        match serde_json::from_str(text) {
            Ok(serde_json::Value::Number(n)) => n,
            other => panic!("not a number: {text}: {other:?}"),
        }
    }

    fn same(a: &str, b: &str) -> bool {
        let equal = equal(&n(a), &n(b));
        assert_eq!(equal, key(&n(a)) == key(&n(b)), "{a} {b}");
        equal
    }

    #[test]
    fn one_value_however_written_is_equal() {
        for (a, b) in [
            ("1", "1.0"),
            ("1", "1e0"),
            ("1", "10e-1"),
            ("1", "0.1e1"),
            ("-0", "0"),
            ("-0.0", "0"),
            ("0e10", "0"),
            ("5e-43", "5.0e-43"),
            ("5e-43", "50e-44"),
            ("1.5", "1.50"),
            ("1.5", "15e-1"),
            ("100", "1e2"),
            ("1E+2", "100"),
            ("-7.25", "-725e-2"),
            ("-9223372036854775808", "-9.223372036854775808e18"),
            ("18446744073709551616", "1.8446744073709552e19"),
            ("1e400", "10e399"),
            ("1e-400", "0.1e-399"),
        ] {
            assert!(same(a, b), "{a} = {b}");
        }
    }

    #[test]
    fn different_values_differ() {
        for (a, b) in [
            ("1", "2"),
            ("1.5", "1"),
            ("0.1", "0.2"),
            ("-1", "1"),
            ("-0.5", "0.5"),
            ("1e400", "2e400"),
            ("1e-400", "0"),
            ("1e-400", "2e-400"),
            ("59.97", "59.970000000000006"),
            ("18446744073709551616", "18446744073709551617"),
            ("9007199254740993", "9007199254740992"),
            ("-1", "18446744073709551615"),
            ("100000000000000000001", "1e20"),
            // Written as a double, more precise than a double: it is the double nearest it.
            ("10000000000000001", "10000000000000001.0"),
        ] {
            assert!(!same(a, b), "{a} != {b}");
        }
    }

    #[test]
    fn two_texts_of_one_double_are_equal() {
        assert!(same("0.1", "0.1000000000000000055511151231257827"));
        assert!(same("0.3", "0.29999999999999999"));
        assert!(same("1e300", "1.0000000000000001e300"));
        assert!(same("1.00000000000000001", "1"));
        assert!(same("5e-324", "3e-324"));
    }

    #[test]
    fn text_that_is_not_a_number_is_its_own_key() {
        assert_eq!(
            key(&Number::from_string_unchecked("x".into())),
            NumberKey::Text("x".into())
        );
    }

    proptest! {
        #[test]
        fn shortest_and_seventeen_digit_forms_of_a_double_are_equal(bits in any::<u64>()) {
            let double = f64::from_bits(bits);
            prop_assume!(double.is_finite());
            let shortest = format!("{double:e}");
            let long = format!("{double:.16e}");
            let padded = format!("{double:.20e}");
            prop_assert!(equal(&n(&shortest), &n(&long)), "{} {}", shortest, long);
            prop_assert!(equal(&n(&shortest), &n(&padded)), "{} {}", shortest, padded);
        }

        #[test]
        fn integers_of_any_size_compare_exactly(a in "-?[1-9][0-9]{0,40}", b in "-?[1-9][0-9]{0,40}") {
            prop_assert_eq!(equal(&n(&a), &n(&b)), a == b);
        }

        /// Integers of up to 15 digits, which every double spelling holds exactly.
        #[test]
        fn trailing_zeros_and_exponents_do_not_change_a_value(
            int in "[1-9][0-9]{0,14}",
            zeros in 0usize..20,
        ) {
            let padded = format!("{int}.{}", "0".repeat(zeros.max(1)));
            let scaled = format!("{int}{}e-{zeros}", "0".repeat(zeros));
            prop_assert!(equal(&n(&int), &n(&padded)));
            prop_assert!(equal(&n(&int), &n(&scaled)));
        }
    }

    fn tolerance(text: &str) -> Tolerance {
        match text.strip_suffix('%') {
            Some(percent) => Tolerance::Relative(
                BigDecimal::from_str(percent).expect("percent") / BigDecimal::from(100),
            ),
            None => Tolerance::Absolute(BigDecimal::from_str(text).expect("tolerance")),
        }
    }

    fn ok(limit: &str, a: &str, b: &str) -> bool {
        within(&tolerance(limit), &n(a), &n(b))
    }

    #[test]
    fn tolerances_are_absolute_or_relative() {
        assert!(ok("0.01", "1.0", "1.005"));
        assert!(ok("0.01", "10.0", "10.01"), "the limit itself is within");
        assert!(!ok("0.01", "1.0", "1.02"));
        assert!(ok("0.1%", "1000", "1000.9"));
        assert!(ok("0.1%", "1000", "1001"), "the limit itself is within");
        assert!(!ok("0.1%", "1000", "1002"));
    }

    #[test]
    fn tolerances_are_exact_for_large_integers() {
        assert!(ok("1", "18446744073709551616", "18446744073709551617"));
        assert!(!ok("1", "18446744073709551616", "18446744073709551618"));
        assert!(!ok(
            "0",
            "123456789012345678901234567890",
            "123456789012345678901234567891"
        ));
        assert!(ok("0.5", "1e30", "1000000000000000000000000000000.5"));
    }

    #[test]
    fn numbers_too_wide_are_never_within_a_tolerance() {
        assert!(!ok("1", "1e100000", "1e100000"));
        assert!(!ok("1", "1e-100000", "2e-100000"));
        assert!(ok("1", "1e4000", "1e4000"));
    }
}
