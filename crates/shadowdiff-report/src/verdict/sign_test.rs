//! The exact one-sided sign test that decides whether a signature is noise.
//!
//! Of the exchanges where a signature shows in only one of the two comparisons, old against new
//! (`new_only`) and old against its second answer (`old_only`), each is equally likely to fall
//! either way if new differs from old no more often than old differs from itself. The p-value is
//! then `P(X >= new_only)` for `X ~ Binomial(new_only + old_only, 1/2)`: McNemar's exact test,
//! which holds for small counts as well as large ones (17 against 11 is p = 0.17, not proof).

/// `P(X >= new_only)` for `X ~ Binomial(new_only + old_only, 1/2)`, from 0 to 1.
pub fn p_value(new_only: u64, old_only: u64) -> f64 {
    let n = new_only + old_only;
    if 2 * new_only > n {
        upper_tail(n, new_only)
    } else {
        // By symmetry, P(X >= k) = 1 − P(X >= n − k + 1), a tail above the middle.
        (1.0 - upper_tail(n, n + 1 - new_only)).clamp(0.0, 1.0)
    }
}

/// `P(X >= k)` for `X ~ Binomial(n, 1/2)` and `k` above the middle (or past `n`): its terms,
/// each from the last (`C(n, k+1) = C(n, k) × (n − k) / (k + 1)`), fall geometrically, so the sum
/// stops once they no longer change it.
fn upper_tail(n: u64, k: u64) -> f64 {
    if k > n {
        return 0.0;
    }
    let ln_half_n = -(n as f64) * std::f64::consts::LN_2;
    let mut term = (ln_choose(n, k) + ln_half_n).exp();
    let mut sum = 0.0;
    for k in k..=n {
        sum += term;
        if term <= sum * 1e-17 {
            break;
        }
        term *= (n - k) as f64 / (k + 1) as f64;
    }
    sum.min(1.0)
}

/// `ln C(n, k)`.
fn ln_choose(n: u64, k: u64) -> f64 {
    ln_factorial(n) - ln_factorial(k) - ln_factorial(n - k)
}

/// `ln(k!)`: summed exactly for small `k`, else Stirling's series, accurate to 1e-12 there.
fn ln_factorial(k: u64) -> f64 {
    if k < 64 {
        return (2..=k).map(|i| (i as f64).ln()).sum();
    }
    let x = k as f64;
    x * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI * x).ln() + 1.0 / (12.0 * x)
        - 1.0 / (360.0 * x.powi(3))
        + 1.0 / (1260.0 * x.powi(5))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tail summed term by term with exact binomial coefficients, for small n.
    fn exact(new_only: u64, old_only: u64) -> f64 {
        let n = new_only + old_only;
        let choose = |k: u64| (1..=k).fold(1.0f64, |c, i| c * (n - k + i) as f64 / i as f64);
        (new_only..=n).map(choose).sum::<f64>() / 2f64.powi(n as i32)
    }

    #[test]
    fn small_counts_match_the_exact_tail() {
        for (b, c) in [
            (1, 0),
            (5, 0),
            (7, 0),
            (17, 11),
            (20, 1),
            (30, 5),
            (40, 40),
            (3, 9),
        ] {
            let (got, want) = (p_value(b, c), exact(b, c).min(1.0));
            assert!((got - want).abs() < 1e-9, "{b} {c}: {got} {want}");
        }
        assert_eq!(p_value(0, 10), 1.0);
        assert!(
            (p_value(17, 11) - 0.172).abs() < 0.001,
            "{}",
            p_value(17, 11)
        );
        assert!((p_value(7, 0) - 1.0 / 128.0).abs() < 1e-12);
    }

    #[test]
    fn large_counts_are_decided_without_summing_every_term() {
        // 10 500 against 10 000: z ≈ 3.5, p ≈ 2.3e-4.
        let p = p_value(10_500, 10_000);
        assert!(p > 1e-4 && p < 5e-4, "{p}");
        assert!(p_value(5_000_000, 4_990_000) < 0.01);
        assert!(p_value(5_000_000, 4_999_000) > 0.1);
        assert_eq!(p_value(1_000_000, 0), 0.0);
    }
}
