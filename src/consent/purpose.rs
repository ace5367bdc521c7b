//! Purposes of processing, lawful bases and special categories of data.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::model::Text;

use super::error::ConsentError;

/// Lower-cases a word and joins its parts with `_`, so `"Third-Party
/// Sharing"` and `"third_party_sharing"` read the same.
fn word_key(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if c == '-' || c.is_whitespace() {
            out.push('_');
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// What data is used for: the question a consent event answers and a
/// [`ConsentLedger`](super::ConsentLedger) decides.
///
/// The known purposes are the ones customer data platforms ask consent for;
/// anything else is [`Purpose::Custom`]. The text form is a `snake_case`
/// word (`third_party_sharing`); [`Purpose::parse`] (and [`FromStr`]) accept
/// any case and `-` or spaces between words, plus the aliases
/// `direct_marketing`, `personalisation`, `segmentation`,
/// `profiling_segmentation`, `ads` and `sharing`. A custom purpose is kept in the same
/// canonical form (`"Loyalty Program"` becomes `loyalty_program`), and the
/// ledger compares purposes in that form, so `Purpose::Custom` holding
/// `"Marketing"` is the same purpose as [`Purpose::Marketing`].
///
/// # Examples
///
/// ```
/// use custodia::consent::Purpose;
/// assert_eq!("Third-Party Sharing".parse::<Purpose>()?, Purpose::ThirdPartySharing);
/// assert_eq!(Purpose::Profiling.to_string(), "profiling");
/// let custom: Purpose = "Loyalty Program".parse()?;
/// assert_eq!(custom.to_string(), "loyalty_program");
/// assert!(" ".parse::<Purpose>().is_err());
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "String", into = "String")
)]
#[non_exhaustive]
pub enum Purpose {
    /// Measuring use of a product or site (`analytics`).
    Analytics,
    /// Direct marketing: newsletters, offers, campaigns (`marketing`).
    Marketing,
    /// Tailoring content or products to the person (`personalization`).
    Personalization,
    /// Profiling and segmentation: evaluating personal aspects to place the
    /// person in audiences (`profiling`; GDPR Art. 4(4)).
    Profiling,
    /// Targeted advertising on own or third-party channels (`advertising`).
    Advertising,
    /// Disclosing the data to another controller (`third_party_sharing`).
    ThirdPartySharing,
    /// Any other purpose, in canonical `snake_case` form.
    Custom(Text),
}

impl Purpose {
    /// Reads a purpose: the known words (any case, `-`, `_` or spaces between
    /// words) become their variant, anything else becomes
    /// [`Purpose::Custom`] in canonical form.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
    /// when the text is blank or not a valid [`Text`].
    pub fn parse(text: &str) -> Result<Purpose> {
        let key = word_key(text);
        Ok(match key.as_str() {
            "analytics" => Purpose::Analytics,
            "marketing" | "direct_marketing" => Purpose::Marketing,
            "personalization" | "personalisation" => Purpose::Personalization,
            "profiling" | "segmentation" | "profiling_segmentation" => Purpose::Profiling,
            "advertising" | "ads" => Purpose::Advertising,
            "third_party_sharing" | "sharing" => Purpose::ThirdPartySharing,
            _ => Purpose::Custom(Text::new(&key).map_err(|e| e.context("purpose"))?),
        })
    }

    /// Returns the canonical `snake_case` word.
    pub fn as_str(&self) -> &str {
        match self {
            Purpose::Analytics => "analytics",
            Purpose::Marketing => "marketing",
            Purpose::Personalization => "personalization",
            Purpose::Profiling => "profiling",
            Purpose::Advertising => "advertising",
            Purpose::ThirdPartySharing => "third_party_sharing",
            Purpose::Custom(t) => t.as_str(),
        }
    }

    /// Returns the purpose in canonical form: a `Custom` purpose that spells
    /// a known word becomes that word's variant, and custom words are
    /// lower-cased with `_` between their parts.
    pub fn canonical(&self) -> Purpose {
        match self {
            Purpose::Custom(t) => match Purpose::parse(t.as_str()) {
                Ok(p) => p,
                // A `Text` is never blank, and its canonical form only
                // replaces characters, so parsing it again cannot fail; keep
                // the value as given should that ever change.
                Err(_) => self.clone(),
            },
            known => known.clone(),
        }
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Purpose {
    type Err = Error;
    fn from_str(s: &str) -> Result<Purpose> {
        Purpose::parse(s)
    }
}

impl TryFrom<String> for Purpose {
    type Error = Error;
    fn try_from(s: String) -> Result<Purpose> {
        Purpose::parse(&s)
    }
}

impl From<Purpose> for String {
    fn from(p: Purpose) -> String {
        p.as_str().to_owned()
    }
}

/// Defines a closed enum of `snake_case` words with parsing and display.
macro_rules! word_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal, $expected:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $canon:literal $(| $alias:literal)* ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(
            feature = "serde",
            derive(serde::Serialize, serde::Deserialize),
            serde(try_from = "String", into = "&'static str")
        )]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$( $name::$variant ),*];

            /// Reads the word (any case, `-`, `_` or spaces between its
            /// parts; aliases as listed on each variant).
            ///
            /// # Errors
            ///
            /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
            /// naming the word when it is not one of the known words.
            pub fn parse(text: &str) -> Result<$name> {
                match word_key(text).as_str() {
                    $( $canon $(| $alias)* => Ok($name::$variant), )*
                    _ => Err(ConsentError::UnknownWord {
                        what: $what,
                        word: text.to_owned(),
                        expected: $expected,
                    }
                    .into()),
                }
            }

            /// Returns the canonical `snake_case` word.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $canon, )*
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<$name> {
                $name::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<$name> {
                $name::parse(&s)
            }
        }

        impl From<$name> for &'static str {
            fn from(v: $name) -> &'static str {
                v.as_str()
            }
        }
    };
}

word_enum!(
    /// A lawful basis for processing personal data: the six of GDPR
    /// Art. 6(1)(a)–(f).
    ///
    /// A [`LedgerPolicy`](super::LedgerPolicy) may name a basis other than
    /// [`LawfulBasis::Consent`] for a purpose; the ledger then allows that
    /// purpose without consent (except for special-category data, see
    /// [`SpecialCategory`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::consent::LawfulBasis;
    /// assert_eq!("legitimate interest".parse::<LawfulBasis>()?, LawfulBasis::LegitimateInterests);
    /// assert_eq!(LawfulBasis::LegalObligation.to_string(), "legal_obligation");
    /// let err = "whim".parse::<LawfulBasis>().unwrap_err();
    /// assert!(err.to_string().starts_with("lawful basis \"whim\" is not one of"));
    /// # Ok::<(), custodia::Error>(())
    /// ```
    LawfulBasis, "lawful basis",
    "consent, contract, legal_obligation, vital_interests, public_task, legitimate_interests" {
        /// Art. 6(1)(a): the subject consented (`consent`).
        Consent = "consent",
        /// Art. 6(1)(b): needed for a contract with the subject (`contract`).
        Contract = "contract",
        /// Art. 6(1)(c): needed to meet a legal obligation (`legal_obligation`).
        LegalObligation = "legal_obligation",
        /// Art. 6(1)(d): needed to protect someone's vital interests
        /// (`vital_interests`).
        VitalInterests = "vital_interests" | "vital_interest",
        /// Art. 6(1)(e): needed for a task in the public interest or in the
        /// exercise of official authority (`public_task`).
        PublicTask = "public_task" | "public_interest",
        /// Art. 6(1)(f): the controller's legitimate interests
        /// (`legitimate_interests`; alias `legitimate_interest`).
        LegitimateInterests = "legitimate_interests" | "legitimate_interest",
    }
);

word_enum!(
    /// A special category of personal data (GDPR Art. 9(1)).
    ///
    /// Data in these categories may be processed only with *explicit*
    /// consent covering the category (Art. 9(2)(a)) as far as this ledger is
    /// concerned: no configured lawful basis allows it.
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::consent::SpecialCategory;
    /// assert_eq!("Health".parse::<SpecialCategory>()?, SpecialCategory::Health);
    /// assert_eq!(SpecialCategory::RacialOrEthnicOrigin.to_string(), "racial_or_ethnic_origin");
    /// assert_eq!(SpecialCategory::ALL.len(), 8);
    /// # Ok::<(), custodia::Error>(())
    /// ```
    SpecialCategory, "special category",
    "racial_or_ethnic_origin, political_opinions, religious_or_philosophical_beliefs, \
     trade_union_membership, genetic, biometric, health, sex_life_or_sexual_orientation" {
        /// Racial or ethnic origin (`racial_or_ethnic_origin`; alias `ethnicity`).
        RacialOrEthnicOrigin = "racial_or_ethnic_origin" | "ethnicity" | "ethnic_origin",
        /// Political opinions (`political_opinions`).
        PoliticalOpinions = "political_opinions" | "politics",
        /// Religious or philosophical beliefs (`religious_or_philosophical_beliefs`;
        /// alias `religion`).
        ReligiousOrPhilosophicalBeliefs = "religious_or_philosophical_beliefs" | "religion",
        /// Trade union membership (`trade_union_membership`).
        TradeUnionMembership = "trade_union_membership",
        /// Genetic data (`genetic`).
        Genetic = "genetic" | "genetic_data",
        /// Biometric data used to identify a person (`biometric`).
        Biometric = "biometric" | "biometric_data",
        /// Data concerning health (`health`).
        Health = "health" | "health_data",
        /// Data concerning a person's sex life or sexual orientation
        /// (`sex_life_or_sexual_orientation`).
        SexLifeOrSexualOrientation = "sex_life_or_sexual_orientation" | "sexual_orientation",
    }
);
