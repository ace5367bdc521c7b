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

    /// Converts a floating-point amount in major units, as JSON sources send
    /// it (`19.99`), to exact minor units.
    ///
    /// The value must be a whole number of minor units up to floating-point
    /// noise (within a millionth of a minor unit); anything finer is refused
    /// rather than rounded away.
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
    /// assert_eq!(Money::from_major(0.1 + 0.2, usd)?.minor(), 30);
    /// assert!(Money::from_major(0.125, usd).is_err());
    /// # Ok::<(), custodia::Error>(())
    /// ```
    pub fn from_major(amount: f64, currency: Currency) -> Result<Money> {
        if !amount.is_finite() {
            return Err(invalid("amount", amount, "is not a finite number"));
        }
        let scaled = amount * currency.scale() as f64;
        let rounded = scaled.round();
        if (scaled - rounded).abs() > 1e-6 * rounded.abs().max(1.0) {
            return Err(too_fine(amount, currency));
        }
        // 2^63 is exactly representable; anything at or past it does not fit.
        if rounded.abs() >= 2f64.powi(63) {
            return Err(invalid(
                "amount",
                amount,
                "does not fit in 64-bit minor units",
            ));
        }
        Ok(Money {
            minor: rounded as i64,
            currency,
        })
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
        fn parse_never_panics(s in "\\PC{0,24}") {
            let _ = Money::parse(&s, Currency::new("EUR").unwrap());
        }
    }
}
