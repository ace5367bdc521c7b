//! The typed sections of a source record.
//!
//! Sections are plain data with public fields: every field's type checks its
//! own rule on construction, so a section cannot hold an invalid value, and
//! sixty getter/setter pairs would add only noise. They are
//! `#[non_exhaustive]` so fields can be added; build them from `Default`.
//! Rules that tie a section to the rest of the record (a birth date before
//! the observation) are checked by [`SourceRecordBuilder::build`].
//!
//! [`SourceRecordBuilder::build`]: crate::model::SourceRecordBuilder::build

use std::collections::BTreeSet;
use std::fmt;

use chrono::NaiveDate;

use crate::error::{Error, Result};
use crate::model::invalid::invalid;
use crate::model::text::{checked_text, debug_personal, text_newtype};
use crate::model::{
    Attributes, Coordinates, CountryCode, DomainName, EmailAddress, LanguageTag, Money,
    PhoneNumber, TimeZoneName,
};

text_newtype!(
    /// A free-text value of a typed field (a name, a city, a title): trimmed,
    /// not blank, at most 64 KiB, no control characters but line breaks and
    /// tabs.
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::model::Text;
    /// assert_eq!(Text::new("  Budapest ")?.as_str(), "Budapest");
    /// assert!(Text::new("\u{7}").is_err());
    /// # Ok::<(), custodia::Error>(())
    /// ```
    Text, |t| checked_text("text", t).map(String::into_boxed_str)
);

// Free text is where names, streets and ids end up, so it is redacted.
debug_personal!(Text);

/// Defines an open enum of known words plus `Other(Text)`, with parsing from
/// the words sources commonly send.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $canon:literal $(| $alias:literal)* ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(
            feature = "serde",
            derive(serde::Serialize, serde::Deserialize),
            serde(try_from = "String", into = "String")
        )]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value outside the known list, kept as the source wrote it.
            Other(Text),
        }

        impl $name {
            /// Reads a value: the known words (any case, `-`, `_` or space
            /// between words) become their variant, anything else becomes
            /// `Other` with the text kept.
            ///
            /// # Errors
            ///
            /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
            /// when the text is blank or otherwise not a valid [`Text`].
            pub fn parse(text: &str) -> Result<$name> {
                let key: String = text
                    .trim()
                    .chars()
                    .map(|c| if c == '-' || c == ' ' { '_' } else { c.to_ascii_lowercase() })
                    .collect();
                match key.as_str() {
                    $( $canon $(| $alias)* => Ok($name::$variant), )*
                    _ => Ok($name::Other(Text::new(text)?)),
                }
            }

            /// Returns the canonical word (`snake_case`), or the text of `Other`.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $canon, )*
                    $name::Other(t) => t.as_str(),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<$name> {
                $name::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.as_str().to_owned()
            }
        }
    };
}

// ---------------------------------------------------------------- identity

/// A person's name, with each part as the source wrote it.
///
/// `full` keeps the whole name as written (`"Nagy Ödön"`, `"dr. Ana Maria
/// da Silva"`); `given` and `family` keep the parts when the source had them
/// separately. Hungarian family-name-first order, Indonesian single names
/// and titles are interpreted by identity resolution, not here, so nothing
/// the source wrote is lost.
///
/// # Examples
///
/// ```
/// use custodia::model::PersonName;
/// let name = PersonName::from_parts(Some("Ödön"), Some("Nagy"))?;
/// assert_eq!(name.family.as_ref().map(|t| t.as_str()), Some("Nagy"));
/// let mononym = PersonName::from_full("Sukarno")?;
/// assert!(mononym.given.is_none());
/// assert!(PersonName::from_parts(None, Some(" ")).is_err());
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "RawName"))]
#[non_exhaustive]
pub struct PersonName {
    /// Given (first) name or names.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub given: Option<Text>,
    /// Family name or names.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub family: Option<Text>,
    /// The whole name as written.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub full: Option<Text>,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawName {
    given: Option<Text>,
    family: Option<Text>,
    full: Option<Text>,
}

#[cfg(feature = "serde")]
impl TryFrom<RawName> for PersonName {
    type Error = Error;
    fn try_from(raw: RawName) -> Result<PersonName> {
        PersonName {
            given: raw.given,
            family: raw.family,
            full: raw.full,
        }
        .checked()
    }
}

impl PersonName {
    /// Returns a name from its given and family parts; either may be absent
    /// but not both.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// both parts are absent or a part is not a valid [`Text`].
    pub fn from_parts(given: Option<&str>, family: Option<&str>) -> Result<PersonName> {
        PersonName {
            given: given.map(Text::new).transpose()?,
            family: family.map(Text::new).transpose()?,
            full: None,
        }
        .checked()
    }

    /// Returns a name known only as written in full.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// the text is not a valid [`Text`].
    pub fn from_full(full: &str) -> Result<PersonName> {
        Ok(PersonName {
            full: Some(Text::new(full)?),
            ..PersonName::default()
        })
    }

    /// Returns the name with `full` set as well.
    ///
    /// # Errors
    ///
    /// As [`PersonName::from_full`].
    pub fn with_full(mut self, full: &str) -> Result<PersonName> {
        self.full = Some(Text::new(full)?);
        Ok(self)
    }

    /// Returns `self` when at least one part is present.
    fn checked(self) -> Result<PersonName> {
        if self.given.is_none() && self.family.is_none() && self.full.is_none() {
            Err(crate::model::invalid::missing("name"))
        } else {
            Ok(self)
        }
    }
}

/// A postal address, each part as written.
///
/// # Examples
///
/// ```
/// use custodia::model::{CountryCode, PostalAddress, Text};
/// let mut addr = PostalAddress::default();
/// addr.lines.push(Text::new("Rua Augusta 100")?);
/// addr.city = Some(Text::new("Lisboa")?);
/// addr.country = Some(CountryCode::new("PT")?);
/// assert!(!addr.is_empty());
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct PostalAddress {
    /// Street lines, in order.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub lines: Vec<Text>,
    /// City or locality.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub city: Option<Text>,
    /// State, province or region.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub region: Option<Text>,
    /// Postal code as written.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub postal_code: Option<Text>,
    /// Country.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub country: Option<CountryCode>,
}

impl PostalAddress {
    /// Returns `true` when no part is present.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
            && self.city.is_none()
            && self.region.is_none()
            && self.postal_code.is_none()
            && self.country.is_none()
    }
}

open_enum!(
    /// The kind of a national or tax identifier.
    NationalIdKind {
        /// A social security number (US SSN, Brazilian NIS, …).
        SocialSecurity = "social_security" | "ssn",
        /// A tax identifier (Brazilian CPF, Hungarian adóazonosító, Indonesian NPWP, …).
        Tax = "tax" | "tax_id" | "cpf" | "npwp" | "nif",
        /// A national identity card number (Indonesian NIK, Portuguese CC, …).
        IdentityCard = "identity_card" | "nik" | "national_id",
        /// A passport number.
        Passport = "passport",
        /// A driving licence number.
        DrivingLicence = "driving_licence" | "driver_license" | "drivers_license",
    }
);

/// A national or tax identifier.
///
/// # Examples
///
/// ```
/// use custodia::model::{CountryCode, NationalId, NationalIdKind};
/// let id = NationalId::new(NationalIdKind::parse("CPF")?, Some(CountryCode::new("BR")?), "123.456.789-09")?;
/// assert_eq!(id.kind, NationalIdKind::Tax);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct NationalId {
    /// What kind of identifier it is.
    pub kind: NationalIdKind,
    /// The issuing country, if known.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub country: Option<CountryCode>,
    /// The identifier as written.
    pub value: Text,
}

impl NationalId {
    /// Returns an identifier.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// the value is not a valid [`Text`].
    pub fn new(
        kind: NationalIdKind,
        country: Option<CountryCode>,
        value: &str,
    ) -> Result<NationalId> {
        Ok(NationalId {
            kind,
            country,
            value: Text::new(value)?,
        })
    }
}

open_enum!(
    /// The kind of a device identifier.
    DeviceIdKind {
        /// Apple's advertising identifier.
        Idfa = "idfa",
        /// Apple's identifier for vendors.
        Idfv = "idfv",
        /// Google's advertising identifier.
        Gaid = "gaid" | "aaid" | "google_advertising_id",
        /// A first-party cookie or anonymous id set by a web or app SDK.
        AnonymousId = "anonymous_id" | "anonymousid" | "cookie",
        /// A device's own identifier, as an SDK reports it.
        Device = "device" | "device_id",
        /// A push notification token.
        PushToken = "push_token",
    }
);

/// An identifier of a device or browser.
///
/// # Examples
///
/// ```
/// use custodia::model::{DeviceId, DeviceIdKind};
/// let id = DeviceId::new(DeviceIdKind::AnonymousId, "507f191e810c19729de860ea")?;
/// assert_eq!(id.kind.as_str(), "anonymous_id");
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct DeviceId {
    /// What kind of identifier it is.
    pub kind: DeviceIdKind,
    /// The identifier.
    pub value: Text,
}

impl DeviceId {
    /// Returns a device identifier.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// the value is not a valid [`Text`] or holds an invisible character
    /// (a bidirectional control, zero-width or other format character).
    pub fn new(kind: DeviceIdKind, value: &str) -> Result<DeviceId> {
        crate::model::text::check_visible("device id", value.trim())?;
        Ok(DeviceId {
            kind,
            value: Text::new(value)?,
        })
    }
}

/// An identifier the record has in another system, such as a CRM contact id
/// or a pipeline's user id.
///
/// # Examples
///
/// ```
/// use custodia::model::ExternalId;
/// let id = ExternalId::new("salesforce", "0035e00000AbCdE")?;
/// assert_eq!(id.system.as_str(), "salesforce");
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct ExternalId {
    /// The system that issued the identifier.
    pub system: Text,
    /// The identifier within that system.
    pub value: Text,
}

impl ExternalId {
    /// Returns an external identifier.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// either part is not a valid [`Text`] or holds an invisible character
    /// (a bidirectional control, zero-width or other format character).
    pub fn new(system: &str, value: &str) -> Result<ExternalId> {
        crate::model::text::check_visible("id system", system.trim())?;
        crate::model::text::check_visible("external id", value.trim())?;
        Ok(ExternalId {
            system: Text::new(system)?,
            value: Text::new(value)?,
        })
    }
}

/// Who the record is about, by the identifiers the source knew.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
#[non_exhaustive]
pub struct Identity {
    /// Names.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub names: Vec<PersonName>,
    /// Email addresses.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub emails: Vec<EmailAddress>,
    /// Telephone numbers.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub phones: Vec<PhoneNumber>,
    /// Postal addresses.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub addresses: Vec<PostalAddress>,
    /// National and tax identifiers.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub national_ids: Vec<NationalId>,
    /// Device and browser identifiers.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub device_ids: Vec<DeviceId>,
    /// Identifiers in other systems.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub external_ids: Vec<ExternalId>,
}

impl Identity {
    /// Returns `true` when the section holds nothing.
    pub fn is_empty(&self) -> bool {
        self == &Identity::default()
    }
}

// ------------------------------------------------------------- demographic

/// An age range in whole years, as surveys and data brokers report it
/// (`25-34`, `65+`).
///
/// # Examples
///
/// ```
/// use custodia::model::AgeBand;
/// let band = AgeBand::new(25, Some(34))?;
/// assert_eq!(band.to_string(), "25-34");
/// assert_eq!(AgeBand::new(65, None)?.to_string(), "65+");
/// assert!(AgeBand::new(40, Some(30)).is_err());
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawAgeBand")
)]
pub struct AgeBand {
    min: u8,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    max: Option<u8>,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawAgeBand {
    min: u8,
    max: Option<u8>,
}

#[cfg(feature = "serde")]
impl TryFrom<RawAgeBand> for AgeBand {
    type Error = Error;
    fn try_from(raw: RawAgeBand) -> Result<AgeBand> {
        AgeBand::new(raw.min, raw.max)
    }
}

/// The oldest age the model accepts, in years.
pub const MAX_AGE: u8 = 130;

impl AgeBand {
    /// Returns the band `min..=max` (open-ended when `max` is `None`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// `max < min` or either exceeds [`MAX_AGE`].
    pub fn new(min: u8, max: Option<u8>) -> Result<AgeBand> {
        if min > MAX_AGE {
            return Err(invalid(
                "age",
                min,
                format_args!("is out of range 0..={MAX_AGE}"),
            ));
        }
        if let Some(max) = max {
            if max > MAX_AGE {
                return Err(invalid(
                    "age",
                    max,
                    format_args!("is out of range 0..={MAX_AGE}"),
                ));
            }
            if max < min {
                return Err(invalid(
                    "age band maximum",
                    max,
                    format_args!("is below its minimum {min}"),
                ));
            }
        }
        Ok(AgeBand { min, max })
    }

    /// Returns the youngest age in the band.
    pub fn min_age(&self) -> u8 {
        self.min
    }

    /// Returns the oldest age in the band, or `None` for an open band.
    pub fn max_age(&self) -> Option<u8> {
        self.max
    }
}

impl fmt::Display for AgeBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.max {
            Some(max) => write!(f, "{}-{max}", self.min),
            None => write!(f, "{}+", self.min),
        }
    }
}

/// When a person was born, as precisely as the source knew.
///
/// `Debug` redacts the date (see [`Unredacted`](crate::model::Unredacted)).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Birth {
    /// The date of birth.
    Date(NaiveDate),
    /// An age band at the time of the observation.
    AgeBand(AgeBand),
}

impl fmt::Debug for Birth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Birth::Date(d) => crate::model::redact::value(f, "Date", d),
            // A band of ten or more years does not single anyone out.
            Birth::AgeBand(b) => f.debug_tuple("AgeBand").field(b).finish(),
        }
    }
}

open_enum!(
    /// Gender as the person or source stated it. The list is not exhaustive:
    /// any other self-description is kept as written in `Other`.
    Gender {
        /// Female.
        Female = "female" | "f" | "woman" | "w" | "feminino" | "perempuan" | "nő" | "wanita",
        /// Male.
        Male = "male" | "m" | "man" | "masculino" | "laki_laki" | "pria" | "férfi",
        /// Non-binary.
        NonBinary = "non_binary" | "nonbinary" | "nb" | "enby" | "não_binário",
        /// The person chose not to say.
        Undisclosed = "undisclosed" | "prefer_not_to_say" | "unknown" | "u" | "x",
    }
);

open_enum!(
    /// The highest level of education completed.
    Education {
        /// Primary school.
        Primary = "primary",
        /// Secondary or high school.
        Secondary = "secondary" | "high_school",
        /// Vocational training.
        Vocational = "vocational",
        /// A bachelor's degree or equivalent.
        Bachelor = "bachelor" | "bachelors" | "undergraduate",
        /// A master's degree or equivalent.
        Master = "master" | "masters" | "graduate",
        /// A doctorate.
        Doctorate = "doctorate" | "phd",
    }
);

open_enum!(
    /// Marital or partnership status.
    MaritalStatus {
        /// Single, never married.
        Single = "single",
        /// Married.
        Married = "married",
        /// In a registered or domestic partnership.
        Partnership = "partnership" | "domestic_partnership" | "civil_union",
        /// Separated.
        Separated = "separated",
        /// Divorced.
        Divorced = "divorced",
        /// Widowed.
        Widowed = "widowed",
    }
);

open_enum!(
    /// A credit-worthiness tier as a bureau or internal model labels it.
    CreditTier {
        /// Excellent.
        Excellent = "excellent",
        /// Good.
        Good = "good",
        /// Fair.
        Fair = "fair",
        /// Poor.
        Poor = "poor",
    }
);

/// How many people live in a household: 1 to 100.
///
/// # Examples
///
/// ```
/// use custodia::model::HouseholdSize;
/// assert_eq!(HouseholdSize::new(4)?.get(), 4);
/// assert!(HouseholdSize::new(0).is_err());
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "u16", into = "u16")
)]
pub struct HouseholdSize(u16);

impl HouseholdSize {
    /// Checks the range 1..=100.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
    /// outside 1..=100.
    pub fn new(size: u16) -> Result<HouseholdSize> {
        if (1..=100).contains(&size) {
            Ok(HouseholdSize(size))
        } else {
            Err(invalid("household size", size, "is out of range 1..=100"))
        }
    }

    /// Returns the number of people.
    pub fn get(self) -> u16 {
        self.0
    }
}

impl TryFrom<u16> for HouseholdSize {
    type Error = Error;
    fn try_from(v: u16) -> Result<HouseholdSize> {
        HouseholdSize::new(v)
    }
}

impl From<HouseholdSize> for u16 {
    fn from(v: HouseholdSize) -> u16 {
        v.0
    }
}

/// A yearly income range in one currency, open-ended above when `max` is
/// absent.
///
/// # Examples
///
/// ```
/// use custodia::model::{Currency, IncomeBand, Money};
/// let eur = Currency::new("EUR")?;
/// let band = IncomeBand::new(Money::parse("30000", eur)?, Some(Money::parse("45000", eur)?))?;
/// assert_eq!(band.min().minor(), 3_000_000);
/// let usd = Currency::new("USD")?;
/// assert!(IncomeBand::new(Money::parse("1", eur)?, Some(Money::parse("2", usd)?)).is_err());
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawIncomeBand")
)]
pub struct IncomeBand {
    min: Money,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    max: Option<Money>,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawIncomeBand {
    min: Money,
    max: Option<Money>,
}

#[cfg(feature = "serde")]
impl TryFrom<RawIncomeBand> for IncomeBand {
    type Error = Error;
    fn try_from(raw: RawIncomeBand) -> Result<IncomeBand> {
        IncomeBand::new(raw.min, raw.max)
    }
}

impl IncomeBand {
    /// Returns the band `min..=max`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// an amount is negative, the currencies differ, or `max < min`.
    pub fn new(min: Money, max: Option<Money>) -> Result<IncomeBand> {
        if min.is_negative() {
            return Err(invalid("income", min, "is negative"));
        }
        if let Some(max) = max {
            if max.currency() != min.currency() {
                return Err(invalid(
                    "income band maximum",
                    max,
                    format_args!("is not in {} like its minimum", min.currency()),
                ));
            }
            if max < min {
                return Err(invalid(
                    "income band maximum",
                    max,
                    format_args!("is below its minimum {min}"),
                ));
            }
        }
        Ok(IncomeBand { min, max })
    }

    /// Returns the lower bound.
    pub fn min(&self) -> Money {
        self.min
    }

    /// Returns the upper bound, if any.
    pub fn max(&self) -> Option<Money> {
        self.max
    }
}

/// Who the person is: demographic facts.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
#[non_exhaustive]
pub struct Demographic {
    /// Date of birth or age band.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub birth: Option<Birth>,
    /// Gender.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub gender: Option<Gender>,
    /// Highest education completed.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub education: Option<Education>,
    /// Marital status.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub marital_status: Option<MaritalStatus>,
    /// People in the household.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub household_size: Option<HouseholdSize>,
    /// Yearly income band.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub income: Option<IncomeBand>,
    /// Credit tier.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub credit_tier: Option<CreditTier>,
    /// Preferred language.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub language: Option<LanguageTag>,
}

impl Demographic {
    /// Returns `true` when the section holds nothing.
    pub fn is_empty(&self) -> bool {
        self == &Demographic::default()
    }
}

// -------------------------------------------------------------- geographic

/// Where the person is.
#[derive(Clone, Debug, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
#[non_exhaustive]
pub struct Geographic {
    /// Country.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub country: Option<CountryCode>,
    /// State, province or region.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub region: Option<Text>,
    /// City.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub city: Option<Text>,
    /// Postal code as written.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub postal_code: Option<Text>,
    /// A point, from a device or geocoding.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub coordinates: Option<Coordinates>,
    /// Time zone.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub time_zone: Option<TimeZoneName>,
}

impl Geographic {
    /// Returns `true` when the section holds nothing.
    pub fn is_empty(&self) -> bool {
        self == &Geographic::default()
    }
}

// ---------------------------------------------------------------- business

open_enum!(
    /// An industry classification system.
    IndustryScheme {
        /// North American Industry Classification System (2 to 6 digits).
        Naics = "naics",
        /// US Standard Industrial Classification (4 digits).
        Sic = "sic",
        /// EU NACE Rev. 2 (a section letter, optionally with a code such as `J62.01`).
        Nace = "nace",
        /// UN ISIC Rev. 4 (a section letter, or 2 to 4 digits).
        Isic = "isic",
    }
);

/// An industry code in a named classification.
///
/// # Examples
///
/// ```
/// use custodia::model::{IndustryCode, IndustryScheme};
/// assert!(IndustryCode::new(IndustryScheme::Naics, "541511").is_ok());
/// assert!(IndustryCode::new(IndustryScheme::Nace, "J62.01").is_ok());
/// let err = IndustryCode::new(IndustryScheme::Sic, "73").unwrap_err();
/// assert_eq!(err.to_string(), "industry code \"73\" is not a 4-digit SIC code");
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawIndustryCode")
)]
pub struct IndustryCode {
    scheme: IndustryScheme,
    code: Text,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawIndustryCode {
    scheme: IndustryScheme,
    code: String,
}

#[cfg(feature = "serde")]
impl TryFrom<RawIndustryCode> for IndustryCode {
    type Error = Error;
    fn try_from(raw: RawIndustryCode) -> Result<IndustryCode> {
        IndustryCode::new(raw.scheme, &raw.code)
    }
}

impl IndustryCode {
    /// Checks `code` against the shape of `scheme`'s codes.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// the code does not have the shape its scheme uses.
    pub fn new(scheme: IndustryScheme, code: &str) -> Result<IndustryCode> {
        let t = code.trim();
        let digits = |s: &str, range: std::ops::RangeInclusive<usize>| {
            range.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
        };
        let section_code = |s: &str| {
            let mut chars = s.chars();
            match chars.next() {
                Some(c) if c.is_ascii_uppercase() => {
                    let rest: String = chars.filter(|c| *c != '.').collect();
                    rest.is_empty() || digits(&rest, 2..=4)
                }
                _ => digits(s, 2..=4),
            }
        };
        let (ok, rule) = match &scheme {
            IndustryScheme::Naics => (digits(t, 2..=6), "is not a 2- to 6-digit NAICS code"),
            IndustryScheme::Sic => (digits(t, 4..=4), "is not a 4-digit SIC code"),
            IndustryScheme::Nace => (
                section_code(t),
                "is not a NACE code such as \"J\" or \"J62.01\"",
            ),
            IndustryScheme::Isic => (
                section_code(t),
                "is not an ISIC code such as \"J\" or \"6201\"",
            ),
            IndustryScheme::Other(_) => (true, ""),
        };
        if !ok {
            return Err(invalid("industry code", t, rule));
        }
        Ok(IndustryCode {
            scheme,
            code: Text::new(t)?,
        })
    }

    /// Returns the classification system.
    pub fn scheme(&self) -> &IndustryScheme {
        &self.scheme
    }

    /// Returns the code.
    pub fn code(&self) -> &str {
        self.code.as_str()
    }
}

/// B2B firmographics: the company a business customer is or works for.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
#[non_exhaustive]
pub struct Firmographics {
    /// Company name.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub company: Option<Text>,
    /// Industry as the source named it in words ("Software", "Retail").
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub industry: Option<Text>,
    /// Industry as a classification code.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub industry_code: Option<IndustryCode>,
    /// Number of employees.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub employee_count: Option<u64>,
    /// Number of the company's own customers.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub customer_count: Option<u64>,
    /// Yearly revenue.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub annual_revenue: Option<Money>,
    /// Net worth.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub net_worth: Option<Money>,
    /// Internet domain.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub domain: Option<DomainName>,
}

open_enum!(
    /// Seniority of a job.
    Seniority {
        /// Intern or trainee.
        Intern = "intern" | "trainee",
        /// Entry level.
        Entry = "entry" | "junior",
        /// Mid level.
        Mid = "mid" | "intermediate",
        /// Senior individual contributor.
        Senior = "senior",
        /// Manager.
        Manager = "manager",
        /// Director.
        Director = "director",
        /// Vice president.
        VicePresident = "vice_president" | "vp",
        /// Chief officer (CEO, CFO, …).
        Executive = "executive" | "c_level" | "c_suite",
        /// Owner or partner.
        Owner = "owner" | "partner" | "founder",
    }
);

open_enum!(
    /// The part a person plays in buying decisions.
    DecisionLevel {
        /// Makes the decision.
        DecisionMaker = "decision_maker",
        /// Influences the decision.
        Influencer = "influencer",
        /// Uses what is bought.
        User = "user" | "end_user",
    }
);

/// B2C job data: the person's employment.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
#[non_exhaustive]
pub struct Job {
    /// Employer.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub employer: Option<Text>,
    /// Job title as written.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub title: Option<Text>,
    /// Seniority.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub seniority: Option<Seniority>,
    /// Part in buying decisions.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub decision_level: Option<DecisionLevel>,
}

/// What the person does for a living and the company involved.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
#[non_exhaustive]
pub struct Business {
    /// B2B firmographics.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "is_default"))]
    pub firmographics: Firmographics,
    /// B2C job data.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "is_default"))]
    pub job: Job,
}

#[cfg(feature = "serde")]
fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    v == &T::default()
}

impl Business {
    /// Returns `true` when the section holds nothing.
    pub fn is_empty(&self) -> bool {
        self == &Business::default()
    }
}

// ---------------------------------------------------------------- personal

open_enum!(
    /// A channel through which a person can be reached or likes to be.
    Channel {
        /// Email.
        Email = "email",
        /// Text message.
        Sms = "sms",
        /// Phone call.
        Phone = "phone" | "call",
        /// Push notification.
        Push = "push",
        /// In-app message.
        InApp = "in_app",
        /// Web chat.
        Chat = "chat" | "live_chat",
        /// WhatsApp.
        WhatsApp = "whatsapp",
        /// Social media.
        Social = "social",
        /// Letter post.
        Post = "post" | "mail" | "direct_mail",
    }
);

open_enum!(
    /// The kind of a device a person uses.
    DeviceKind {
        /// A phone.
        Mobile = "mobile" | "phone" | "ios" | "android",
        /// A tablet.
        Tablet = "tablet",
        /// A desktop or laptop computer.
        Desktop = "desktop" | "laptop" | "computer",
        /// A television or set-top box.
        Tv = "tv" | "smart_tv",
        /// A watch or other wearable.
        Wearable = "wearable" | "watch",
    }
);

/// A device a person uses.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Device {
    /// What kind of device.
    pub kind: DeviceKind,
    /// Manufacturer.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub manufacturer: Option<Text>,
    /// Model.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub model: Option<Text>,
    /// Operating system with version, as reported.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub os: Option<Text>,
}

impl Device {
    /// Returns a device of `kind` with nothing else known.
    pub fn new(kind: DeviceKind) -> Device {
        Device {
            kind,
            manufacturer: None,
            model: None,
            os: None,
        }
    }
}

/// What the person likes and how they think: interests, hobbies, teams,
/// channels, devices, preferences and attitudes (psychographic data).
///
/// Interest-like lists are sets: order and repeats carry no meaning.
#[derive(Clone, Debug, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
#[non_exhaustive]
pub struct Personal {
    /// Interests ("running", "jazz").
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "BTreeSet::is_empty"))]
    pub interests: BTreeSet<Text>,
    /// Hobbies.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "BTreeSet::is_empty"))]
    pub hobbies: BTreeSet<Text>,
    /// Sports teams the person follows.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "BTreeSet::is_empty"))]
    pub sports_teams: BTreeSet<Text>,
    /// Channels the person prefers.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "BTreeSet::is_empty"))]
    pub preferred_channels: BTreeSet<Channel>,
    /// Devices the person uses.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub devices: Vec<Device>,
    /// Stated preferences ("newsletter_frequency": "weekly").
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Attributes::is_empty"))]
    pub preferences: Attributes,
    /// Attitudes and values, such as survey-measured scores
    /// ("price_sensitivity": 0.8).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Attributes::is_empty"))]
    pub attitudes: Attributes,
}

impl Personal {
    /// Returns `true` when the section holds nothing.
    pub fn is_empty(&self) -> bool {
        self == &Personal::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parsers_never_panic_and_keep_what_they_do_not_know(s in "\\PC{0,40}", n in any::<u16>(), a in any::<u8>(), b in proptest::option::of(any::<u8>())) {
            if let Ok(g) = Gender::parse(&s) {
                // Known words come back as their canonical word, anything else as written.
                let canonical = Gender::parse(g.as_str()).unwrap();
                prop_assert_eq!(canonical, g);
            }
            let _ = Channel::parse(&s);
            let _ = IndustryCode::new(IndustryScheme::Nace, &s);
            let _ = IndustryCode::new(IndustryScheme::Naics, &s);
            let _ = crate::model::CountryCode::new(&s);
            let _ = crate::model::Currency::new(&s);
            let _ = PersonName::from_full(&s);
            let _ = HouseholdSize::new(n);
            if let Ok(band) = AgeBand::new(a, b) {
                prop_assert!(band.max_age().is_none_or(|m| m >= band.min_age()));
            }
        }
    }

    #[test]
    fn open_enums_read_common_spellings_and_keep_others() {
        assert_eq!(Gender::parse("Non-Binary").unwrap(), Gender::NonBinary);
        assert_eq!(Gender::parse(" F ").unwrap(), Gender::Female);
        assert_eq!(Gender::parse("Férfi").unwrap(), Gender::Male);
        let other = Gender::parse("Two-Spirit").unwrap();
        assert_eq!(other.as_str(), "Two-Spirit");
        assert!(Gender::parse("  ").is_err());
        assert_eq!(Seniority::parse("VP").unwrap(), Seniority::VicePresident);
        assert_eq!(Channel::parse("WhatsApp").unwrap(), Channel::WhatsApp);
    }

    #[test]
    fn industry_codes() {
        assert!(IndustryCode::new(IndustryScheme::Isic, "6201").is_ok());
        assert!(IndustryCode::new(IndustryScheme::Nace, "j62").is_err());
        assert!(IndustryCode::new(IndustryScheme::Naics, "5415111").is_err());
        let other = IndustryScheme::parse("GICS").unwrap();
        assert!(IndustryCode::new(other, "45103010").is_ok());
    }
}
