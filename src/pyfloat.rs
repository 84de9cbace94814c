//! Python's `repr(float)`, which the service's JSON outputs use for scores and stats.
//!
//! Python prints the shortest digit string that round-trips to the same f64 (as Rust does), but
//! uses fixed notation with a mandatory fractional part (`1.0`) when the decimal exponent is in
//! `-4..16`, and otherwise exponent notation with a sign and at least two exponent digits
//! (`1e-05`, `2.5e+16`).

use std::fmt::Write;

/// Appends `repr(x)` as Python 3 writes it to `out`.
pub fn write_repr(out: &mut String, x: f64) {
    if x.is_nan() {
        out.push_str("nan");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x > 0.0 { "inf" } else { "-inf" });
        return;
    }
    if x == 0.0 {
        out.push_str(if x.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    // Rust's `{:e}` gives the shortest round-trip digits, e.g. "5.417057169634489e-1".
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').expect("{:e} always has an exponent");
    let exp: i32 = exp.parse().expect("{:e} exponent is an integer");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if x < 0.0 {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
}

/// `repr(x)` as Python 3 writes it.
pub fn repr(x: f64) -> String {
    let mut s = String::new();
    write_repr(&mut s, x);
    s
}

#[cfg(test)]
mod tests {
    use super::repr;

    #[test]
    fn matches_python_repr() {
        let cases = [
            (1.0, "1.0"),
            (0.5, "0.5"),
            (0.8571428571428571, "0.8571428571428571"),
            (0.526416906820365, "0.526416906820365"),
            (0.8140000000000001, "0.8140000000000001"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (2.5e-7, "2.5e-07"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456789012345.6, "123456789012345.6"),
            (100.0, "100.0"),
            (0.0, "0.0"),
            (-0.5, "-0.5"),
            (1e-300, "1e-300"),
            (f64::NAN, "nan"),
        ];
        for (x, want) in cases {
            assert_eq!(repr(x), want, "repr({x:e})");
        }
    }
}
