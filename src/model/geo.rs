//! Countries and coordinates.

use std::fmt;

use crate::error::{Error, Result};
use crate::model::invalid::invalid;

/// The officially assigned ISO 3166-1 alpha-2 codes (249), sorted.
#[rustfmt::skip]
const COUNTRIES: &[&str] = &[
    "AD","AE","AF","AG","AI","AL","AM","AO","AQ","AR","AS","AT","AU","AW","AX","AZ",
    "BA","BB","BD","BE","BF","BG","BH","BI","BJ","BL","BM","BN","BO","BQ","BR","BS",
    "BT","BV","BW","BY","BZ","CA","CC","CD","CF","CG","CH","CI","CK","CL","CM","CN",
    "CO","CR","CU","CV","CW","CX","CY","CZ","DE","DJ","DK","DM","DO","DZ","EC","EE",
    "EG","EH","ER","ES","ET","FI","FJ","FK","FM","FO","FR","GA","GB","GD","GE","GF",
    "GG","GH","GI","GL","GM","GN","GP","GQ","GR","GS","GT","GU","GW","GY","HK","HM",
    "HN","HR","HT","HU","ID","IE","IL","IM","IN","IO","IQ","IR","IS","IT","JE","JM",
    "JO","JP","KE","KG","KH","KI","KM","KN","KP","KR","KW","KY","KZ","LA","LB","LC",
    "LI","LK","LR","LS","LT","LU","LV","LY","MA","MC","MD","ME","MF","MG","MH","MK",
    "ML","MM","MN","MO","MP","MQ","MR","MS","MT","MU","MV","MW","MX","MY","MZ","NA",
    "NC","NE","NF","NG","NI","NL","NO","NP","NR","NU","NZ","OM","PA","PE","PF","PG",
    "PH","PK","PL","PM","PN","PR","PS","PT","PW","PY","QA","RE","RO","RS","RU","RW",
    "SA","SB","SC","SD","SE","SG","SH","SI","SJ","SK","SL","SM","SN","SO","SR","SS",
    "ST","SV","SX","SY","SZ","TC","TD","TF","TG","TH","TJ","TK","TL","TM","TN","TO",
    "TR","TT","TV","TW","TZ","UA","UG","UM","US","UY","UZ","VA","VC","VE","VG","VI",
    "VN","VU","WF","WS","YE","YT","ZA","ZM","ZW",
];

/// An ISO 3166-1 alpha-2 country code, such as `BR`, `ID` or `HU`.
///
/// Only officially assigned codes are accepted. Lower case input is accepted
/// and stored upper case; `UK` (not assigned; the United Kingdom is `GB`) and
/// `EU` are refused.
///
/// # Examples
///
/// ```
/// use custodia::model::CountryCode;
/// assert_eq!(CountryCode::new("br")?.as_str(), "BR");
/// let err = CountryCode::new("UK").unwrap_err();
/// assert_eq!(err.to_string(), "country \"UK\" is not an ISO 3166-1 alpha-2 code");
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "String", into = "String")
)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Looks up an ISO 3166-1 alpha-2 code, in either case.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// the code is not officially assigned.
    pub fn new(code: &str) -> Result<CountryCode> {
        let t = code.trim();
        let upper = t.to_ascii_uppercase();
        if upper.len() == 2 && COUNTRIES.binary_search(&upper.as_str()).is_ok() {
            let b = upper.as_bytes();
            Ok(CountryCode([b[0], b[1]]))
        } else {
            Err(invalid("country", t, "is not an ISO 3166-1 alpha-2 code"))
        }
    }

    /// Returns the two upper-case letters.
    pub fn as_str(&self) -> &str {
        // Both bytes come from the ASCII table above.
        std::str::from_utf8(&self.0).unwrap_or("ZZ")
    }
}

impl fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CountryCode({})", self.as_str())
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl std::str::FromStr for CountryCode {
    type Err = Error;
    fn from_str(s: &str) -> Result<CountryCode> {
        CountryCode::new(s)
    }
}

impl TryFrom<String> for CountryCode {
    type Error = Error;
    fn try_from(s: String) -> Result<CountryCode> {
        CountryCode::new(&s)
    }
}

impl From<CountryCode> for String {
    fn from(c: CountryCode) -> String {
        c.as_str().to_owned()
    }
}

/// A point on Earth in decimal degrees (WGS 84).
///
/// JSON shape: `{"latitude": -6.2, "longitude": 106.8}`.
///
/// # Examples
///
/// ```
/// use custodia::model::Coordinates;
/// let jakarta = Coordinates::new(-6.2, 106.8)?;
/// assert_eq!(jakarta.latitude(), -6.2);
/// let err = Coordinates::new(91.0, 0.0).unwrap_err();
/// assert_eq!(err.to_string(), "latitude 91 is out of range -90..=90");
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawCoordinates")
)]
pub struct Coordinates {
    latitude: f64,
    longitude: f64,
}

// A precise position can be a home address, so it is redacted like one.
impl fmt::Debug for Coordinates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if crate::model::redact::revealing() {
            f.debug_struct("Coordinates")
                .field("latitude", &self.latitude)
                .field("longitude", &self.longitude)
                .finish()
        } else {
            crate::model::redact::value(f, "Coordinates", &(self.latitude, self.longitude))
        }
    }
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawCoordinates {
    latitude: f64,
    longitude: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<RawCoordinates> for Coordinates {
    type Error = Error;
    fn try_from(raw: RawCoordinates) -> Result<Coordinates> {
        Coordinates::new(raw.latitude, raw.longitude)
    }
}

impl Coordinates {
    /// Checks and returns a point.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// the latitude is outside -90..=90 or the longitude outside -180..=180
    /// (or either is not finite).
    pub fn new(latitude: f64, longitude: f64) -> Result<Coordinates> {
        Ok(Coordinates {
            latitude: Latitude::new(latitude)?.0,
            longitude: Longitude::new(longitude)?.0,
        })
    }

    /// Returns the latitude in degrees, -90..=90.
    pub fn latitude(&self) -> f64 {
        self.latitude
    }

    /// Returns the longitude in degrees, -180..=180.
    pub fn longitude(&self) -> f64 {
        self.longitude
    }
}

/// A latitude in degrees, -90..=90.
///
/// # Examples
///
/// ```
/// use custodia::model::Latitude;
/// assert_eq!(Latitude::new(47.5)?.degrees(), 47.5);
/// assert!(Latitude::new(f64::NAN).is_err());
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Latitude(f64);

impl Latitude {
    /// Checks the range.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
    /// outside -90..=90 or when not finite.
    pub fn new(degrees: f64) -> Result<Latitude> {
        if (-90.0..=90.0).contains(&degrees) {
            Ok(Latitude(degrees))
        } else {
            Err(invalid("latitude", degrees, "is out of range -90..=90"))
        }
    }

    /// Returns the degrees.
    pub fn degrees(self) -> f64 {
        self.0
    }
}

/// A longitude in degrees, -180..=180.
///
/// # Examples
///
/// ```
/// use custodia::model::Longitude;
/// assert!(Longitude::new(-181.0).is_err());
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Longitude(f64);

impl Longitude {
    /// Checks the range.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
    /// outside -180..=180 or when not finite.
    pub fn new(degrees: f64) -> Result<Longitude> {
        if (-180.0..=180.0).contains(&degrees) {
            Ok(Longitude(degrees))
        } else {
            Err(invalid("longitude", degrees, "is out of range -180..=180"))
        }
    }

    /// Returns the degrees.
    pub fn degrees(self) -> f64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_table_is_sorted_and_complete() {
        assert_eq!(COUNTRIES.len(), 249);
        assert!(COUNTRIES.windows(2).all(|w| w[0] < w[1]));
        for code in ["PT", "ID", "HU", "BR", "US", "GB", "XK"] {
            assert_eq!(CountryCode::new(code).is_ok(), code != "XK", "{code}");
        }
    }
}
