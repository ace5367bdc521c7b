//! Countries and coordinates.

use std::fmt;

use crate::error::{Error, Result};
use crate::model::country_names::COUNTRY_NAMES;
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

/// The longest text [`CountryCode::lookup`] reads.
const MAX_COUNTRY_TEXT: usize = 100;

/// Folds a country's name to the form of the keys of [`COUNTRY_NAMES`]:
/// lower-case ASCII letters and digits, words one space apart, accents and
/// apostrophes dropped, `&` read as `and`.
fn fold_name(text: &str) -> String {
    use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    let mut push = |out: &mut String, c: char| {
        if c.is_ascii_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        } else {
            space = true;
        }
    };
    for c in text.nfd().filter(|c| !is_combining_mark(*c)) {
        for l in c.to_lowercase() {
            match l {
                'ø' => push(&mut out, 'o'),
                'đ' => push(&mut out, 'd'),
                'ł' => push(&mut out, 'l'),
                'æ' => "ae".chars().for_each(|c| push(&mut out, c)),
                'ß' => "ss".chars().for_each(|c| push(&mut out, c)),
                '\'' | '\u{2019}' => {}
                '&' => {
                    push(&mut out, ' ');
                    "and".chars().for_each(|c| push(&mut out, c));
                    push(&mut out, ' ');
                }
                l => push(&mut out, l),
            }
        }
    }
    out
}

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

    /// Looks up a country written as people write it: an ISO 3166-1 alpha-2
    /// or alpha-3 code, its English short or official name, a common
    /// alternative (`UK`, `USA`, `Vietnam`, `Czechia`) or its name in
    /// Portuguese, Spanish, Indonesian, Hungarian, German or French
    /// (`Brasil`, `Deutschland`, `Magyarország`).
    ///
    /// Case, accents, punctuation and spacing are ignored (`viet-nam`,
    /// `Côte d'Ivoire`, `u.s.a.`). Names shared by two countries (`Korea`)
    /// are refused rather than guessed. [`CountryCode::new`] stays strict:
    /// use it where a value must already be a code, and this where text
    /// comes from people or other systems (form fields, CSV exports).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// no country has that code or name, or the text is longer than 100
    /// bytes (no country's name is).
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::model::CountryCode;
    /// assert_eq!(CountryCode::lookup("Viet Nam")?.as_str(), "VN");
    /// assert_eq!(CountryCode::lookup("DEU")?.as_str(), "DE");
    /// assert_eq!(CountryCode::lookup("united kingdom")?.as_str(), "GB");
    /// assert_eq!(CountryCode::lookup("Magyarország")?.as_str(), "HU");
    /// assert!(CountryCode::lookup("Korea").is_err());
    /// # Ok::<(), custodia::Error>(())
    /// ```
    pub fn lookup(text: &str) -> Result<CountryCode> {
        if let Ok(code) = CountryCode::new(text) {
            return Ok(code);
        }
        let t = text.trim();
        let unknown = || invalid("country", t, "is not a country code or name custodia knows");
        if t.len() > MAX_COUNTRY_TEXT {
            return Err(invalid("country", t, "is longer than any country's name"));
        }
        let key = fold_name(t);
        let i = COUNTRY_NAMES
            .binary_search_by(|(name, _)| (*name).cmp(key.as_str()))
            .map_err(|_| unknown())?;
        Ok(CountryCode(COUNTRY_NAMES[i].1))
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

    #[test]
    fn name_table_is_sorted_folded_and_names_assigned_codes() {
        assert!(COUNTRY_NAMES.windows(2).all(|w| w[0].0 < w[1].0));
        for (name, code) in COUNTRY_NAMES {
            assert_eq!(fold_name(name), *name);
            let code = std::str::from_utf8(code).unwrap_or("");
            assert!(COUNTRIES.binary_search(&code).is_ok(), "{name}: {code}");
        }
        // Every country is reachable by its alpha-3 code and by a name.
        for code in COUNTRIES {
            let names = COUNTRY_NAMES
                .iter()
                .filter(|(_, c)| c == code.as_bytes())
                .count();
            assert!(names >= 2, "{code} has {names} names");
        }
    }

    #[test]
    fn lookup_reads_codes_names_and_their_variants() {
        for (text, code) in [
            ("br", "BR"),
            ("  GB ", "GB"),
            ("GBR", "GB"),
            ("vnm", "VN"),
            ("Viet Nam", "VN"),
            ("VIETNAM", "VN"),
            ("United Kingdom", "GB"),
            ("U.K.", "GB"),
            ("uk", "GB"),
            ("u.s.a.", "US"),
            ("United States", "US"),
            ("Côte d'Ivoire", "CI"),
            ("cote divoire", "CI"),
            ("Bosnia & Herzegovina", "BA"),
            ("Bolivia, Plurinational State of", "BO"),
            ("Bolivia", "BO"),
            ("España", "ES"),
            ("espana", "ES"),
            ("Magyarország", "HU"),
            ("Brasil", "BR"),
            ("Deutschland", "DE"),
            ("Åland Islands", "AX"),
            ("timor-leste", "TL"),
        ] {
            assert_eq!(
                CountryCode::lookup(text).map(|c| c.to_string()).ok(),
                Some(code.to_owned()),
                "{text}"
            );
        }
        // Strict construction is unchanged.
        assert!(CountryCode::new("Germany").is_err());
        assert!(CountryCode::new("UK").is_err());
    }

    #[test]
    fn lookup_refuses_unknown_ambiguous_and_overlong_text() {
        for text in ["", "  ", "Korea", "Congo Republic", "Atlantis", "EU", "X"] {
            let err = CountryCode::lookup(text).unwrap_err();
            assert_eq!(err.kind(), crate::error::ErrorKind::InvalidInput, "{text}");
        }
        // "Congo" alone is the Republic of the Congo, as ISO names it.
        assert_eq!(
            CountryCode::lookup("Congo").map(|c| c.to_string()).ok(),
            Some("CG".into())
        );
        let long = "Germany ".repeat(20_000);
        let err = CountryCode::lookup(&long).unwrap_err();
        assert!(err.to_string().contains("longer than any country"), "{err}");
    }

    proptest::proptest! {
        #[test]
        fn lookup_never_panics_and_agrees_with_new(text in "\\PC{0,40}") {
            let looked = CountryCode::lookup(&text);
            if let Ok(code) = CountryCode::new(&text) {
                proptest::prop_assert_eq!(looked.ok(), Some(code));
            }
        }
    }
}
