//! Number equality by value: `1.0 == 1`, integers exactly, everything else as `f64`.
//!
//! [`key`] is the canonical form that [`equal`] agrees with, so that the structural hash and the
//! walk never disagree about which numbers are the same.

use serde_json::Number;

/// The canonical form of a number: an exact integer where the value is integral, else `f64` bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NumberKey {
    Integer(i128),
    Float(u64),
}

/// Floats at or beyond this magnitude are not converted to integers (they would not fit `i128`).
const INTEGRAL_LIMIT: f64 = 1.7e38;

/// The canonical form of `number`; two numbers are [`equal`] exactly when their keys are.
pub(crate) fn key(number: &Number) -> NumberKey {
    if let Some(i) = number.as_i64() {
        return NumberKey::Integer(i128::from(i));
    }
    if let Some(u) = number.as_u64() {
        return NumberKey::Integer(i128::from(u));
    }
    let f = number.as_f64().unwrap_or(0.0);
    if f.fract() == 0.0 && f.abs() < INTEGRAL_LIMIT {
        // Integral and in range, so the conversion is exact.
        return NumberKey::Integer(f as i128);
    }
    NumberKey::Float(if f == 0.0 {
        0.0f64.to_bits()
    } else {
        f.to_bits()
    })
}

/// Whether two JSON numbers have the same value: `1.0` equals `1`, integers compare exactly.
pub(crate) fn equal(old: &Number, new: &Number) -> bool {
    key(old) == key(new)
}

/// The number as `f64`, for tolerances.
pub(crate) fn as_f64(number: &Number) -> f64 {
    number.as_f64().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn n(value: serde_json::Value) -> Number {
        match value {
            serde_json::Value::Number(n) => n,
            other => panic!("not a number: {other}"),
        }
    }

    #[test]
    fn integral_floats_equal_integers() {
        assert!(equal(&n(json!(1.0)), &n(json!(1))));
        assert!(equal(&n(json!(-0.0)), &n(json!(0))));
        assert!(equal(&n(json!(2.5)), &n(json!(2.5))));
        assert!(!equal(&n(json!(1.5)), &n(json!(1))));
    }

    #[test]
    fn large_integers_compare_exactly() {
        let a = n(json!(9_007_199_254_740_993_u64));
        let b = n(json!(9_007_199_254_740_992_u64));
        assert!(!equal(&a, &b));
        assert!(equal(&n(json!(u64::MAX)), &n(json!(u64::MAX))));
        assert!(!equal(&n(json!(-1)), &n(json!(u64::MAX))));
    }
}
