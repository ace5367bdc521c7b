//! Exact money: minor units plus an ISO 4217 currency.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::model::invalid;

/// Active ISO 4217 currency codes with the number of digits of their minor
/// unit, sorted by code (list of 2025-06; precious metals, testing and
/// no-currency codes such as XAU, XTS and XXX are not money a customer pays).
#[rustfmt::skip]
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2), ("AFN", 2), ("ALL", 2), ("AMD", 2), ("ANG", 2), ("AOA", 2), ("ARS", 2),
    ("AUD", 2), ("AWG", 2), ("AZN", 2), ("BAM", 2), ("BBD", 2), ("BDT", 2), ("BGN", 2),
    ("BHD", 3), ("BIF", 0), ("BMD", 2), ("BND", 2), ("BOB", 2), ("BOV", 2), ("BRL", 2),
    ("BSD", 2), ("BTN", 2), ("BWP", 2), ("BYN", 2), ("BZD", 2), ("CAD", 2), ("CDF", 2),
    ("CHE", 2), ("CHF", 2), ("CHW", 2), ("CLF", 4), ("CLP", 0), ("CNY", 2), ("COP", 2),
    ("COU", 2), ("CRC", 2), ("CUP", 2), ("CVE", 2), ("CZK", 2), ("DJF", 0), ("DKK", 2),
    ("DOP", 2), ("DZD", 2), ("EGP", 2), ("ERN", 2), ("ETB", 2), ("EUR", 2), ("FJD", 2),
    ("FKP", 2), ("GBP", 2), ("GEL", 2), ("GHS", 2), ("GIP", 2), ("GMD", 2), ("GNF", 0),
    ("GTQ", 2), ("GYD", 2), ("HKD", 2), ("HNL", 2), ("HTG", 2), ("HUF", 2), ("IDR", 2),
    ("ILS", 2), ("INR", 2), ("IQD", 3), ("IRR", 2), ("ISK", 0), ("JMD", 2), ("JOD", 3),
    ("JPY", 0), ("KES", 2), ("KGS", 2), ("KHR", 2), ("KMF", 0), ("KPW", 2), ("KRW", 0),
    ("KWD", 3), ("KYD", 2), ("KZT", 2), ("LAK", 2), ("LBP", 2), ("LKR", 2), ("LRD", 2),
    ("LSL", 2), ("LYD", 3), ("MAD", 2), ("MDL", 2), ("MGA", 2), ("MKD", 2), ("MMK", 2),
    ("MNT", 2), ("MOP", 2), ("MRU", 2), ("MUR", 2), ("MVR", 2), ("MWK", 2), ("MXN", 2),
    ("MXV", 2), ("MYR", 2), ("MZN", 2), ("NAD", 2), ("NGN", 2), ("NIO", 2), ("NOK", 2),
    ("NPR", 2), ("NZD", 2), ("OMR", 3), ("PAB", 2), ("PEN", 2), ("PGK", 2), ("PHP", 2),
    ("PKR", 2), ("PLN", 2), ("PYG", 0), ("QAR", 2), ("RON", 2), ("RSD", 2), ("RUB", 2),
    ("RWF", 0), ("SAR", 2), ("SBD", 2), ("SCR", 2), ("SDG", 2), ("SEK", 2), ("SGD", 2),
    ("SHP", 2), ("SLE", 2), ("SOS", 2), ("SRD", 2), ("SSP", 2), ("STN", 2), ("SVC", 2),
    ("SYP", 2), ("SZL", 2), ("THB", 2), ("TJS", 2), ("TMT", 2), ("TND", 3), ("TOP", 2),
    ("TRY", 2), ("TTD", 2), ("TWD", 2), ("TZS", 2), ("UAH", 2), ("UGX", 0), ("USD", 2),
    ("USN", 2), ("UYI", 0), ("UYU", 2), ("UYW", 4), ("UZS", 2), ("VED", 2), ("VES", 2),
    ("VND", 0), ("VUV", 0), ("WST", 2), ("XAF", 0), ("XCD", 2), ("XCG", 2), ("XOF", 0),
    ("XPF", 0), ("YER", 2), ("ZAR", 2), ("ZMW", 2), ("ZWG", 2),
];

/// An ISO 4217 currency code, such as `EUR`, known to be an active currency.
///
/// # Examples
///
/// ```
/// use custodia::model::Currency;
/// let huf: Currency = "HUF".parse()?;
/// assert_eq!(huf.minor_digits(), 2);
/// assert_eq!(Currency::new("JPY")?.minor_digits(), 0);
/// assert!(Currency::new("EURO").is_err());
/// assert!(Currency::new("eur").is_err()); // codes are upper case
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "String", into = "String")
)]
pub struct Currency {
    code: [u8; 3],
    minor_digits: u8,
}

impl Currency {
    /// Looks up an active ISO 4217 code.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// `code` is not an active ISO 4217 code in upper case.
    pub fn new(code: &str) -> Result<Currency> {
        match CURRENCIES.binary_search_by(|(c, _)| (*c).cmp(code)) {
            Ok(i) => {
                let (c, minor_digits) = CURRENCIES[i];
                let b = c.as_bytes();
                Ok(Currency {
                    code: [b[0], b[1], b[2]],
                    minor_digits,
                })
            }
            Err(_) => Err(invalid("currency", code, "is not an active ISO 4217 code")),
        }
    }

    /// Returns the three-letter code.
    pub fn code(&self) -> &str {
        // The bytes come from the ASCII table above.
        std::str::from_utf8(&self.code).unwrap_or("XXX")
    }

    /// Returns how many decimal digits the minor unit has (2 for cents, 0 for yen).
    pub fn minor_digits(&self) -> u8 {
        self.minor_digits
    }

    fn scale(&self) -> i64 {
        10_i64.pow(u32::from(self.minor_digits))
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.code())
    }
}

impl FromStr for Currency {
    type Err = Error;
    fn from_str(s: &str) -> Result<Currency> {
        Currency::new(s)
    }
}

impl TryFrom<String> for Currency {
    type Error = Error;
    fn try_from(s: String) -> Result<Currency> {
        Currency::new(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code().to_owned()
    }
}

/// An exact amount of money: a whole number of minor units (cents) and a
/// [`Currency`].
///
/// Amounts are never floating point: `19.99 EUR` is 1999 minor units. Money
/// in different currencies does not add up; [`Money::checked_add`] says so.
///
/// JSON shape: `{"minor": 1999, "currency": "EUR"}`.
///
/// # Examples
///
/// ```
/// use custodia::model::{Currency, Money};
/// let eur = Currency::new("EUR")?;
/// let price = Money::parse("19.99", eur)?;
/// assert_eq!(price.minor(), 1999);
/// assert_eq!(price.to_string(), "19.99 EUR");
/// let total = price.checked_add(Money::from_minor(1, eur))?;
/// assert_eq!(total.to_string(), "20.00 EUR");
/// assert!(Money::parse("19.999", eur).is_err()); // more digits than cents
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    /// Returns `minor` minor units of `currency`.
    pub const fn from_minor(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    /// Parses a decimal amount such as `"19.99"`, `"-5"` or `"1200.5"`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// the text is not a plain decimal number, has more decimals than the
    /// currency's minor unit, or does not fit in 64 bits of minor units.
    pub fn parse(amount: &str, currency: Currency) -> Result<Money> {
        let text = amount.trim();
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let plain = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() && frac.is_empty() || !plain(whole) || !plain(frac) {
            return Err(invalid("amount", amount, "is not a decimal number"));
        }
        let frac = frac.trim_end_matches('0');
        if frac.len() > usize::from(currency.minor_digits) {
            return Err(too_fine(amount, currency));
        }
        let overflow = || invalid("amount", amount, "does not fit in 64-bit minor units");
        let mut minor: i64 = 0;
        for b in whole.bytes() {
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(i64::from(b - b'0')))
                .ok_or_else(overflow)?;
        }
        let mut fraction: i64 = 0;
        for b in frac.bytes() {
            fraction = fraction * 10 + i64::from(b - b'0');
        }
        fraction *= 10_i64.pow((usize::from(currency.minor_digits) - frac.len()) as u32);
        minor = minor
            .checked_mul(currency.scale())
            .and_then(|m| m.checked_add(fraction))
            .ok_or_else(overflow)?;
        Ok(Money {
            minor: if negative { -minor } else { minor },
            currency,
        })
    }

    /// Parses an exact decimal amount that may carry an exponent, as JSON
    /// numbers and scientific notation write it: `"19.99"`, `"-5"`,
    /// `"1.999e1"`, `"2E-2"`.
    ///
    /// The text is read exactly, digit by digit, never through `f64`: an
    /// amount with a non-zero digit finer than the currency's minor unit is
    /// refused, not rounded. Trailing zeros do not count (`"1.500"` is 1.50
    /// USD), so this accepts everything [`Money::parse`] accepts, plus an
    /// exponent. Work is linear in the text's length, whatever the exponent.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// the text is not a decimal number, is finer than the currency's minor
    /// unit, or does not fit in 64 bits of minor units.
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::model::{Currency, Money};
    /// let usd = Currency::new("USD")?;
    /// assert_eq!(Money::from_decimal_str("6000.005e1", usd)?.minor(), 6_000_005);
    /// assert_eq!(Money::from_decimal_str("1.5E2", usd)?.to_string(), "150.00 USD");
    /// assert!(Money::from_decimal_str("6000.005", usd).is_err());
    /// # Ok::<(), custodia::Error>(())
    /// ```
    pub fn from_decimal_str(amount: &str, currency: Currency) -> Result<Money> {
        decimal_minor(amount, currency)
            .map(|minor| Money::from_minor(minor, currency))
            .map_err(|why| match why {
                Reject::NotDecimal => why.error(amount, currency),
                // A number is shown as a number.
                _ => why.error(Bare(amount.trim()), currency),
            })
    }
    /// Converts a floating-point amount in major units to exact minor units.
    ///
    /// The amount is read as its shortest round-trip decimal text (the digits
    /// Rust prints for it, so `6000.005` is read as 6000.005, not as the
    /// binary value 6000.00499999999965075 it stores) and then as
    /// [`Money::from_decimal_str`] reads text: a non-zero digit finer than
    /// the currency's minor unit is refused, never rounded. Floating-point
    /// noise counts as such a digit (`0.1 + 0.2` is `0.30000000000000004`).
    /// Prefer [`Money::from_decimal_str`] when the amount arrives as text.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) for a
    /// non-finite value, one finer than the minor unit, or one out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::model::{Currency, Money};
    /// let usd = Currency::new("USD")?;
    /// assert_eq!(Money::from_major(19.99, usd)?.minor(), 1999);
    /// assert!(Money::from_major(0.125, usd).is_err());
    /// assert!(Money::from_major(6000.005, usd).is_err());
    /// assert!(Money::from_major(0.1 + 0.2, usd).is_err()); // 0.30000000000000004
    /// # Ok::<(), custodia::Error>(())
    /// ```
    pub fn from_major(amount: f64, currency: Currency) -> Result<Money> {
        if !amount.is_finite() {
            return Err(invalid("amount", amount, "is not a finite number"));
        }
        // `{:e}` is the shortest round-trip digits in scientific form: at
        // most 17 significant digits and a short exponent, unlike `{}`, which
        // writes 1e300 out in full.
        let text = format!("{amount:e}");
        decimal_minor(&text, currency)
            .map(|minor| Money::from_minor(minor, currency))
            .map_err(|why| why.error(amount, currency))
    }

    /// Returns the amount in minor units.
    pub const fn minor(&self) -> i64 {
        self.minor
    }

    /// Returns the currency.
    pub const fn currency(&self) -> Currency {
        self.currency
    }

    /// Returns the amount in major units as `f64`, for estimates and charts.
    pub fn to_major_f64(&self) -> f64 {
        self.minor as f64 / self.currency.scale() as f64
    }

    /// Returns `true` when the amount is below zero (a refund, a credit).
    pub const fn is_negative(&self) -> bool {
        self.minor < 0
    }

    /// Adds two amounts of the same currency.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// the currencies differ or the sum overflows.
    pub fn checked_add(self, other: Money) -> Result<Money> {
        if self.currency != other.currency {
            return Err(invalid(
                "amount",
                other,
                format_args!("cannot be added to an amount in {}", self.currency),
            ));
        }
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or_else(|| invalid("amount", other, "overflows the sum"))?;
        Ok(Money { minor, ..self })
    }
}

/// Decimal text shown without quotes (cut when long), as numbers are.
struct Bare<'t>(&'t str);

impl crate::model::invalid::Shown for Bare<'_> {
    fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.len() > 80 {
            // Decimal text is ASCII, so any byte index is a boundary; be
            // safe anyway.
            let cut = self.0.get(..77).unwrap_or("");
            write!(f, "{cut}...")
        } else {
            f.write_str(self.0)
        }
    }
}

/// Why a decimal text is not an amount.
#[derive(Clone, Copy, Debug)]
enum Reject {
    NotDecimal,
    TooFine,
    Overflow,
}

impl Reject {
    /// The error naming `amount` as the caller gave it.
    #[cold]
    fn error(self, amount: impl crate::model::invalid::Shown, currency: Currency) -> Error {
        match self {
            Reject::NotDecimal => invalid("amount", amount, "is not a decimal number"),
            Reject::TooFine => too_fine(amount, currency),
            Reject::Overflow => invalid("amount", amount, "does not fit in 64-bit minor units"),
        }
    }
}

/// Reads decimal text with an optional exponent as exact minor units of
/// `currency`, in time linear in the text.
fn decimal_minor(amount: &str, currency: Currency) -> std::result::Result<i64, Reject> {
    let text = amount.trim();
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let (negative, digits) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa.strip_prefix('+').unwrap_or(mantissa)),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let plain = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && frac.is_empty() || !plain(whole) || !plain(frac) {
        return Err(Reject::NotDecimal);
    }
    // The power of ten the digits are scaled by; an exponent too long to
    // read is saturated, which is still decisive (too fine or too big).
    let exp: i64 = match exponent {
        None => 0,
        Some(e) => {
            let (sign, body) = match e.strip_prefix('-') {
                Some(rest) => (-1, rest),
                None => (1, e.strip_prefix('+').unwrap_or(e)),
            };
            if body.is_empty() || !plain(body) {
                return Err(Reject::NotDecimal);
            }
            let body = body.trim_start_matches('0');
            let magnitude = if body.len() > 12 {
                1_000_000_000_000
            } else {
                body.parse::<i64>().unwrap_or(1_000_000_000_000)
            };
            sign * magnitude
        }
    };
    // value = D × 10^(exp − frac.len()); minor = D × 10^shift.
    let all = whole.bytes().chain(frac.bytes());
    let significant: Vec<u8> = all.skip_while(|b| *b == b'0').collect();
    let kept = significant
        .iter()
        .rposition(|b| *b != b'0')
        .map_or(0, |i| i + 1);
    let trailing_zeros = (significant.len() - kept) as i64;
    let significant = &significant[..kept];
    let shift = exp
        .saturating_sub(frac.len() as i64)
        .saturating_add(i64::from(currency.minor_digits))
        .saturating_add(trailing_zeros);
    if significant.is_empty() {
        return Ok(0);
    }
    if shift < 0 {
        return Err(Reject::TooFine);
    }
    let overflow = || Reject::Overflow;
    // i64 holds at most 19 digits.
    if significant.len() as i64 + shift > 19 {
        return Err(Reject::Overflow);
    }
    let mut minor: i64 = 0;
    for b in significant {
        minor = minor
            .checked_mul(10)
            .and_then(|m| m.checked_add(i64::from(b - b'0')))
            .ok_or_else(overflow)?;
    }
    for _ in 0..shift {
        minor = minor.checked_mul(10).ok_or_else(overflow)?;
    }
    Ok(if negative { -minor } else { minor })
}

/// The error for an amount finer than its currency's minor unit.
#[cold]
fn too_fine(amount: impl crate::model::invalid::Shown, currency: Currency) -> Error {
    invalid(
        "amount",
        amount,
        format_args!(
            "has more decimals than {currency}'s {}",
            currency.minor_digits
        ),
    )
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = usize::from(self.currency.minor_digits);
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        if digits == 0 {
            return write!(f, "{sign}{abs} {}", self.currency);
        }
        let scale = 10_u64.pow(digits as u32);
        write!(
            f,
            "{sign}{}.{:0digits$} {}",
            abs / scale,
            abs % scale,
            self.currency
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(CURRENCIES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(CURRENCIES.iter().all(|(c, _)| c.len() == 3));
    }

    #[test]
    fn parse_and_display() {
        let usd = Currency::new("USD").unwrap();
        let kwd = Currency::new("KWD").unwrap();
        let jpy = Currency::new("JPY").unwrap();
        assert_eq!(Money::parse("-0.5", usd).unwrap().to_string(), "-0.50 USD");
        assert_eq!(Money::parse("1.234", kwd).unwrap().minor(), 1234);
        assert_eq!(Money::parse("1200", jpy).unwrap().to_string(), "1200 JPY");
        assert_eq!(Money::parse(".5", usd).unwrap().minor(), 50);
        assert_eq!(
            Money::parse("1.50", jpy).unwrap_err().to_string(),
            "amount \"1.50\" has more decimals than JPY's 0"
        );
        for bad in [
            "",
            "-",
            ".",
            "1e3",
            "1,00",
            "--1",
            "1.2.3",
            "99999999999999999999",
        ] {
            assert!(Money::parse(bad, usd).is_err(), "{bad:?}");
        }
        assert_eq!(
            Currency::new("ABC").unwrap_err().to_string(),
            "currency \"ABC\" is not an active ISO 4217 code"
        );
    }

    #[test]
    fn from_major_refuses_what_rounding_hid() {
        let usd = Currency::new("USD").unwrap();
        for x in [6000.005, 123456.785, 100000.001, 1000.005, 0.1 + 0.2] {
            let err = Money::from_major(x, usd).unwrap_err();
            assert!(err.to_string().contains("more decimals"), "{x}: {err}");
        }
        assert_eq!(Money::from_major(6000.01, usd).unwrap().minor(), 600_001);
        assert_eq!(Money::from_major(-0.5, usd).unwrap().minor(), -50);
        assert_eq!(
            Money::from_major(1e15, usd).unwrap().minor(),
            100_000_000_000_000_000
        );
        assert!(Money::from_major(1e17, usd).is_err());
        assert!(Money::from_major(5e-324, usd).is_err());
        assert_eq!(
            Money::from_major(6000.005, usd).unwrap_err().to_string(),
            "amount 6000.005 has more decimals than USD's 2"
        );
    }

    #[test]
    fn decimal_text_is_exact() {
        let usd = Currency::new("USD").unwrap();
        let jpy = Currency::new("JPY").unwrap();
        let ok = |s: &str, c| Money::from_decimal_str(s, c).unwrap().minor();
        assert_eq!(ok("6000.01", usd), 600_001);
        assert_eq!(ok("1.500", usd), 150);
        assert_eq!(ok("1.5e2", usd), 15_000);
        assert_eq!(ok("150e-2", usd), 150);
        assert_eq!(ok("-0.0", usd), 0);
        assert_eq!(ok("0e999999999999999999999", usd), 0);
        assert_eq!(ok("12e3", jpy), 12_000);
        assert_eq!(ok("92233720368547758.07", usd), i64::MAX);
        for bad in [
            "6000.005", "1e-3", "1.5e-2e", "e5", "1e", "1.2.3", "", "0x10", "1e+-2",
        ] {
            assert!(Money::from_decimal_str(bad, usd).is_err(), "{bad:?}");
        }
        for huge in [
            "92233720368547758.08",
            "1e17",
            "1e999999999999999999999",
            "123456789012345678901234",
        ] {
            let err = Money::from_decimal_str(huge, usd).unwrap_err();
            assert!(err.to_string().contains("64-bit"), "{huge}: {err}");
        }
        assert!(Money::from_decimal_str("1e-999999999999999999999", usd).is_err());
        let long = format!("1.{}", "0".repeat(100_000));
        assert_eq!(ok(&long, usd), 100);
    }

    #[test]
    fn adding_across_currencies_is_refused() {
        let a = Money::from_minor(1, Currency::new("EUR").unwrap());
        let b = Money::from_minor(1, Currency::new("USD").unwrap());
        assert!(a.checked_add(b).is_err());
        let max = Money::from_minor(i64::MAX, Currency::new("EUR").unwrap());
        assert!(max.checked_add(a).is_err());
    }

    proptest! {
        #[test]
        fn display_parses_back(minor in any::<i64>().prop_filter("abs", |m| *m != i64::MIN), i in 0..CURRENCIES.len()) {
            let cur = Currency::new(CURRENCIES[i].0).unwrap();
            let m = Money::from_minor(minor, cur);
            let text = m.to_string();
            let amount = text.split(' ').next().unwrap();
            prop_assert_eq!(Money::parse(amount, cur).unwrap(), m);
        }

        #[test]
        fn from_major_never_panics(x in any::<f64>()) {
            let _ = Money::from_major(x, Currency::new("EUR").unwrap());
        }

        #[test]
        fn from_major_agrees_with_shortest_text(minor in -10_000_000_000_i64..10_000_000_000, sub in 1_i64..10) {
            // An amount one digit finer than a cent is refused; whole cents pass.
            let usd = Currency::new("USD").unwrap();
            let cents = minor as f64 / 100.0;
            prop_assert_eq!(Money::from_major(cents, usd).unwrap().minor(), minor);
            let finer = (minor * 10 + sub) as f64 / 1000.0;
            prop_assert!(Money::from_major(finer, usd).is_err(), "{}", finer);
        }

        #[test]
        fn decimal_str_never_panics(s in "[-+]?[0-9]{0,30}(\\.[0-9]{0,30})?([eE][-+]?[0-9]{0,25})?") {
            let _ = Money::from_decimal_str(&s, Currency::new("EUR").unwrap());
        }

        #[test]
        fn decimal_str_agrees_with_parse(minor in any::<i64>().prop_filter("abs", |m| *m != i64::MIN), i in 0..CURRENCIES.len()) {
            let cur = Currency::new(CURRENCIES[i].0).unwrap();
            let m = Money::from_minor(minor, cur);
            let text = m.to_string();
            let amount = text.split(' ').next().unwrap();
            prop_assert_eq!(Money::from_decimal_str(amount, cur).unwrap(), m);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,24}") {
            let _ = Money::parse(&s, Currency::new("EUR").unwrap());
        }
    }
}
