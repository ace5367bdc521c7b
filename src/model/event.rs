//! Behavioral events: what a person did, and when.

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::model::invalid::{invalid, missing};
use crate::model::section::Text;
use crate::model::{Attributes, Channel, EventId, Money};

/// Defines a score newtype over a closed integer range.
macro_rules! score {
    ($(#[$meta:meta])* $name:ident, $field:literal, $lo:literal, $hi:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(
            feature = "serde",
            derive(serde::Serialize, serde::Deserialize),
            serde(try_from = "i64", into = "u8")
        )]
        pub struct $name(u8);

        impl $name {
            #[doc = concat!("The lowest valid score, ", stringify!($lo), ".")]
            pub const MIN: u8 = $lo;
            #[doc = concat!("The highest valid score, ", stringify!($hi), ".")]
            pub const MAX: u8 = $hi;

            #[doc = concat!("Checks the range ", stringify!($lo), "..=", stringify!($hi), ".")]
            ///
            /// # Errors
            ///
            /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
            /// naming the score when it is out of range.
            pub fn new(score: i64) -> Result<$name> {
                if ($lo..=$hi).contains(&score) {
                    Ok($name(score as u8))
                } else {
                    Err(invalid(
                        $field,
                        score,
                        concat!("is out of range ", stringify!($lo), "..=", stringify!($hi)),
                    ))
                }
            }

            /// Returns the score.
            pub fn get(self) -> u8 {
                self.0
            }
        }

        impl TryFrom<i64> for $name {
            type Error = Error;
            fn try_from(v: i64) -> Result<$name> {
                $name::new(v)
            }
        }

        impl From<$name> for u8 {
            fn from(v: $name) -> u8 {
                v.0
            }
        }
    };
}

score!(
    /// A Net Promoter Score answer: 0 (not at all likely to recommend) to 10.
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::model::Nps;
    /// assert!(Nps::new(9)?.is_promoter());
    /// assert_eq!(Nps::new(11).unwrap_err().to_string(), "nps 11 is out of range 0..=10");
    /// # Ok::<(), custodia::Error>(())
    /// ```
    Nps, "nps", 0, 10
);

impl Nps {
    /// Returns `true` for 9 and 10.
    pub fn is_promoter(self) -> bool {
        self.0 >= 9
    }

    /// Returns `true` for 0 to 6.
    pub fn is_detractor(self) -> bool {
        self.0 <= 6
    }
}

score!(
    /// A Customer Effort Score answer on the 7-point scale: 1 (very difficult)
    /// to 7 (very easy).
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::model::EffortScore;
    /// assert!(EffortScore::new(0).is_err());
    /// # Ok::<(), custodia::Error>(())
    /// ```
    EffortScore, "effort score", 1, 7
);

score!(
    /// A customer satisfaction (CSAT) answer: 1 (very unsatisfied) to 5 (very
    /// satisfied).
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::model::Csat;
    /// assert_eq!(Csat::new(5)?.get(), 5);
    /// # Ok::<(), custodia::Error>(())
    /// ```
    Csat, "csat", 1, 5
);

/// A review rating on a scale from 0 to `scale` (usually 5 stars), halves
/// and other fractions allowed.
///
/// # Examples
///
/// ```
/// use custodia::model::Rating;
/// let r = Rating::new(4.5, 5)?;
/// assert_eq!(r.normalized(), 0.9);
/// assert!(Rating::new(6.0, 5).is_err());
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawRating")
)]
pub struct Rating {
    value: f64,
    scale: u8,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawRating {
    value: f64,
    scale: u8,
}

#[cfg(feature = "serde")]
impl TryFrom<RawRating> for Rating {
    type Error = Error;
    fn try_from(raw: RawRating) -> Result<Rating> {
        Rating::new(raw.value, raw.scale)
    }
}

impl Rating {
    /// Checks `0 <= value <= scale` and `scale >= 1`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// the scale is 0 or the value is outside `0..=scale` or not finite.
    pub fn new(value: f64, scale: u8) -> Result<Rating> {
        if scale == 0 {
            return Err(invalid("rating scale", scale, "is not at least 1"));
        }
        if !(0.0..=f64::from(scale)).contains(&value) {
            return Err(invalid(
                "rating",
                value,
                format_args!("is out of range 0..={scale}"),
            ));
        }
        Ok(Rating { value, scale })
    }

    /// Returns the rating on its own scale.
    pub fn value(&self) -> f64 {
        self.value
    }

    /// Returns the top of the scale.
    pub fn scale(&self) -> u8 {
        self.scale
    }

    /// Returns the rating as a fraction of the scale, 0..=1.
    pub fn normalized(&self) -> f64 {
        self.value / f64::from(self.scale)
    }
}

/// What happened in an [`Event`].
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(tag = "type", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum EventKind {
    /// A web page was viewed.
    PageView(PageView),
    /// An app screen was viewed.
    ScreenView(ScreenView),
    /// Something was clicked.
    Click(Click),
    /// Something happened to an email sent to the person.
    Email(EmailEvent),
    /// The person engaged on a social network.
    Social(SocialEngagement),
    /// A support interaction.
    Support(SupportInteraction),
    /// Use of an app or product.
    AppUsage(AppUsage),
    /// A purchase or refund.
    Transaction(Transaction),
    /// An answer to a survey.
    Survey(SurveyAnswer),
    /// A review the person wrote.
    Review(Review),
    /// Anything else, by name; its data is in the event's properties.
    Custom(CustomEvent),
}

/// A web page view.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
#[non_exhaustive]
pub struct PageView {
    /// The page's name, as the site calls it.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub name: Option<Text>,
    /// The full URL.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub url: Option<Text>,
    /// The URL's path.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub path: Option<Text>,
    /// The page title.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub title: Option<Text>,
    /// Where the visitor came from.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub referrer: Option<Text>,
}

/// An app screen view.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
#[non_exhaustive]
pub struct ScreenView {
    /// The screen's name.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub name: Option<Text>,
}

/// A click on a link, button or other element.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
#[non_exhaustive]
pub struct Click {
    /// What was clicked (an element id or label).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub target: Option<Text>,
    /// The URL the click led to.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub url: Option<Text>,
}

/// What happened to an email.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum EmailAction {
    /// Sent to the person.
    Sent,
    /// Delivered to their mailbox.
    Delivered,
    /// Opened.
    Opened,
    /// A link in it was clicked.
    Clicked,
    /// It bounced.
    Bounced,
    /// The person unsubscribed.
    Unsubscribed,
    /// The person marked it as spam.
    MarkedAsSpam,
}

/// An email event.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct EmailEvent {
    /// What happened.
    pub action: EmailAction,
    /// The campaign the email belonged to.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub campaign: Option<Text>,
    /// The email's subject.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub subject: Option<Text>,
    /// The link clicked, for [`EmailAction::Clicked`].
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub url: Option<Text>,
}

impl EmailEvent {
    /// Returns an email event with nothing but its action known.
    pub fn new(action: EmailAction) -> EmailEvent {
        EmailEvent {
            action,
            campaign: None,
            subject: None,
            url: None,
        }
    }
}

/// A kind of social engagement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum SocialAction {
    /// Liked or reacted to a post.
    Like,
    /// Shared content.
    Share,
    /// Commented.
    Comment,
    /// Followed the business.
    Follow,
    /// Mentioned the business.
    Mention,
}

/// Engagement on a social network.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct SocialEngagement {
    /// What the person did.
    pub action: SocialAction,
    /// The network ("instagram", "linkedin").
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub network: Option<Text>,
    /// What they engaged with.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub url: Option<Text>,
    /// The text of a comment or mention.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub text: Option<Text>,
}

impl SocialEngagement {
    /// Returns an engagement with nothing but its action known.
    pub fn new(action: SocialAction) -> SocialEngagement {
        SocialEngagement {
            action,
            network: None,
            url: None,
            text: None,
        }
    }
}

/// What happened to a support ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum SupportAction {
    /// A ticket was opened.
    TicketOpened,
    /// A ticket was updated (a reply, a status change).
    TicketUpdated,
    /// A ticket was resolved.
    TicketResolved,
    /// A resolved ticket was reopened.
    TicketReopened,
}

/// A support interaction.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct SupportInteraction {
    /// What happened.
    pub action: SupportAction,
    /// The ticket.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub ticket_id: Option<Text>,
    /// The channel the interaction used.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub channel: Option<Channel>,
    /// The ticket's subject.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub subject: Option<Text>,
    /// What the customer wrote.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub text: Option<Text>,
    /// The satisfaction the customer gave, usually on resolution.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub satisfaction: Option<Csat>,
}

impl SupportInteraction {
    /// Returns an interaction with nothing but its action known.
    pub fn new(action: SupportAction) -> SupportInteraction {
        SupportInteraction {
            action,
            ticket_id: None,
            channel: None,
            subject: None,
            text: None,
            satisfaction: None,
        }
    }
}

/// Use of an app or product.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(tag = "action", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum AppUsage {
    /// An onboarding step was completed.
    OnboardingStep {
        /// The step's name or number.
        step: Text,
    },
    /// A feature was used.
    FeatureUsed {
        /// The feature.
        feature: Text,
    },
    /// The person reported a problem.
    ProblemReported {
        /// What they wrote.
        description: Text,
    },
}

/// Whether money came in or went back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum TransactionKind {
    /// The person paid.
    Purchase,
    /// Money was returned to the person.
    Refund,
}

/// One line of an order.
///
/// # Examples
///
/// ```
/// use custodia::model::{Currency, LineItem, Money};
/// let eur = Currency::new("EUR")?;
/// let item = LineItem::new(Some("SKU-1"), Some("Headphones"), 2, Money::parse("59.90", eur)?)?;
/// assert_eq!(item.total()?.to_string(), "119.80 EUR");
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawLineItem")
)]
pub struct LineItem {
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    sku: Option<Text>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    name: Option<Text>,
    quantity: u32,
    unit_price: Money,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawLineItem {
    sku: Option<Text>,
    name: Option<Text>,
    quantity: u32,
    unit_price: Money,
}

#[cfg(feature = "serde")]
impl TryFrom<RawLineItem> for LineItem {
    type Error = Error;
    fn try_from(raw: RawLineItem) -> Result<LineItem> {
        LineItem::new(
            raw.sku.as_ref().map(Text::as_str),
            raw.name.as_ref().map(Text::as_str),
            raw.quantity,
            raw.unit_price,
        )
    }
}

impl LineItem {
    /// Returns an order line.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// the quantity is 0, the unit price is negative, or neither a SKU nor a
    /// name is given.
    pub fn new(
        sku: Option<&str>,
        name: Option<&str>,
        quantity: u32,
        unit_price: Money,
    ) -> Result<LineItem> {
        if quantity == 0 {
            return Err(invalid("quantity", quantity, "is not at least 1"));
        }
        if unit_price.is_negative() {
            return Err(invalid("unit price", unit_price, "is negative"));
        }
        if sku.is_none() && name.is_none() {
            return Err(missing("line item sku or name"));
        }
        Ok(LineItem {
            sku: sku.map(Text::new).transpose()?,
            name: name.map(Text::new).transpose()?,
            quantity,
            unit_price,
        })
    }

    /// Returns the stock-keeping unit.
    pub fn sku(&self) -> Option<&str> {
        self.sku.as_ref().map(Text::as_str)
    }

    /// Returns the product name.
    pub fn name(&self) -> Option<&str> {
        self.name.as_ref().map(Text::as_str)
    }

    /// Returns how many units.
    pub fn quantity(&self) -> u32 {
        self.quantity
    }

    /// Returns the price of one unit.
    pub fn unit_price(&self) -> Money {
        self.unit_price
    }

    /// Returns quantity × unit price.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// the product overflows.
    pub fn total(&self) -> Result<Money> {
        self.unit_price
            .minor()
            .checked_mul(i64::from(self.quantity))
            .map(|m| Money::from_minor(m, self.unit_price.currency()))
            .ok_or_else(|| invalid("line total", self.unit_price, "overflows"))
    }
}

/// A purchase or refund: an order with its amount and lines.
///
/// The amount is what changed hands, never negative; the kind says in which
/// direction. Line items, when present, are in the amount's currency (their
/// sum may differ from the amount: taxes, shipping and discounts).
///
/// # Examples
///
/// ```
/// use custodia::model::{Currency, Money, Transaction, TransactionKind};
/// let brl = Currency::new("BRL")?;
/// let order = Transaction::new("ord-7", TransactionKind::Purchase, Money::parse("129.90", brl)?, vec![])?;
/// assert_eq!(order.signed_amount().minor(), 12990);
/// let refund = Transaction::new("ord-7", TransactionKind::Refund, Money::parse("129.90", brl)?, vec![])?;
/// assert_eq!(refund.signed_amount().minor(), -12990);
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawTransaction")
)]
pub struct Transaction {
    order_id: Text,
    kind: TransactionKind,
    amount: Money,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    items: Vec<LineItem>,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawTransaction {
    order_id: Text,
    kind: TransactionKind,
    amount: Money,
    #[serde(default)]
    items: Vec<LineItem>,
}

#[cfg(feature = "serde")]
impl TryFrom<RawTransaction> for Transaction {
    type Error = Error;
    fn try_from(raw: RawTransaction) -> Result<Transaction> {
        Transaction::new(raw.order_id.as_str(), raw.kind, raw.amount, raw.items)
    }
}

impl Transaction {
    /// Returns a transaction.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// the order id is blank, the amount is negative, or a line item is in
    /// another currency.
    pub fn new(
        order_id: &str,
        kind: TransactionKind,
        amount: Money,
        items: Vec<LineItem>,
    ) -> Result<Transaction> {
        if amount.is_negative() {
            return Err(invalid(
                "transaction amount",
                amount,
                "is negative (use a refund for money returned)",
            ));
        }
        if let Some(item) = items
            .iter()
            .find(|i| i.unit_price.currency() != amount.currency())
        {
            return Err(invalid(
                "line item price",
                item.unit_price,
                format_args!("is not in the order's currency {}", amount.currency()),
            ));
        }
        Ok(Transaction {
            order_id: Text::new(order_id).map_err(|e| e.context("order id"))?,
            kind,
            amount,
            items,
        })
    }

    /// Returns the order's identifier.
    pub fn order_id(&self) -> &str {
        self.order_id.as_str()
    }

    /// Returns whether this is a purchase or a refund.
    pub fn kind(&self) -> TransactionKind {
        self.kind
    }

    /// Returns the amount that changed hands (never negative).
    pub fn amount(&self) -> Money {
        self.amount
    }

    /// Returns the amount, negative for a refund.
    pub fn signed_amount(&self) -> Money {
        match self.kind {
            TransactionKind::Refund => {
                Money::from_minor(-self.amount.minor(), self.amount.currency())
            }
            _ => self.amount,
        }
    }

    /// Returns the order lines.
    pub fn items(&self) -> &[LineItem] {
        &self.items
    }
}

/// An answer to a survey: any of NPS, effort, satisfaction and a comment.
///
/// # Examples
///
/// ```
/// use custodia::model::{Nps, SurveyAnswer};
/// let answer = SurveyAnswer::builder("nps-2026-q1").nps(Nps::new(3)?).comment("Entrega atrasada")?.build()?;
/// assert_eq!(answer.nps().map(Nps::get), Some(3));
/// assert!(SurveyAnswer::builder("empty").build().is_err());
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawSurveyAnswer")
)]
pub struct SurveyAnswer {
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    survey_id: Option<Text>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    nps: Option<Nps>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    effort: Option<EffortScore>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    csat: Option<Csat>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    comment: Option<Text>,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawSurveyAnswer {
    survey_id: Option<Text>,
    nps: Option<Nps>,
    effort: Option<EffortScore>,
    csat: Option<Csat>,
    comment: Option<Text>,
}

#[cfg(feature = "serde")]
impl TryFrom<RawSurveyAnswer> for SurveyAnswer {
    type Error = Error;
    fn try_from(raw: RawSurveyAnswer) -> Result<SurveyAnswer> {
        SurveyAnswerBuilder {
            answer: SurveyAnswer {
                survey_id: raw.survey_id,
                nps: raw.nps,
                effort: raw.effort,
                csat: raw.csat,
                comment: raw.comment,
            },
            error: None,
        }
        .build()
    }
}

impl SurveyAnswer {
    /// Starts an answer to the survey `survey_id` (blank for none).
    pub fn builder(survey_id: &str) -> SurveyAnswerBuilder {
        let (survey_id, error) = match survey_id.trim() {
            "" => (None, None),
            id => match Text::new(id) {
                Ok(t) => (Some(t), None),
                Err(e) => (None, Some(e)),
            },
        };
        SurveyAnswerBuilder {
            answer: SurveyAnswer {
                survey_id,
                nps: None,
                effort: None,
                csat: None,
                comment: None,
            },
            error,
        }
    }

    /// Returns the survey's identifier.
    pub fn survey_id(&self) -> Option<&str> {
        self.survey_id.as_ref().map(Text::as_str)
    }

    /// Returns the NPS answer.
    pub fn nps(&self) -> Option<Nps> {
        self.nps
    }

    /// Returns the effort score answer.
    pub fn effort(&self) -> Option<EffortScore> {
        self.effort
    }

    /// Returns the satisfaction answer.
    pub fn csat(&self) -> Option<Csat> {
        self.csat
    }

    /// Returns the free-text comment.
    pub fn comment(&self) -> Option<&str> {
        self.comment.as_ref().map(Text::as_str)
    }
}

/// Builds a [`SurveyAnswer`]; see [`SurveyAnswer::builder`].
#[derive(Clone)]
pub struct SurveyAnswerBuilder {
    answer: SurveyAnswer,
    error: Option<Error>,
}

// The pending error's message names the refused value (a comment, a survey
// id), so only its kind is shown outside `Unredacted`.
impl std::fmt::Debug for SurveyAnswerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("SurveyAnswerBuilder");
        d.field("answer", &self.answer);
        if crate::model::redact::revealing() {
            d.field("error", &self.error);
        } else {
            d.field("error", &self.error.as_ref().map(Error::kind));
        }
        d.finish()
    }
}

impl SurveyAnswerBuilder {
    /// Sets the NPS answer.
    pub fn nps(mut self, nps: Nps) -> SurveyAnswerBuilder {
        self.answer.nps = Some(nps);
        self
    }

    /// Sets the effort score answer.
    pub fn effort(mut self, effort: EffortScore) -> SurveyAnswerBuilder {
        self.answer.effort = Some(effort);
        self
    }

    /// Sets the satisfaction answer.
    pub fn csat(mut self, csat: Csat) -> SurveyAnswerBuilder {
        self.answer.csat = Some(csat);
        self
    }

    /// Sets the comment.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// the comment is not a valid [`Text`].
    pub fn comment(mut self, comment: &str) -> Result<SurveyAnswerBuilder> {
        self.answer.comment = Some(Text::new(comment).map_err(|e| e.context("survey comment"))?);
        Ok(self)
    }

    /// Returns the answer.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// it holds no score and no comment, or the survey id was invalid.
    pub fn build(self) -> Result<SurveyAnswer> {
        if let Some(e) = self.error {
            return Err(e.context("survey id"));
        }
        let a = &self.answer;
        if a.nps.is_none() && a.effort.is_none() && a.csat.is_none() && a.comment.is_none() {
            return Err(missing("survey answer score or comment"));
        }
        Ok(self.answer)
    }
}

/// A review the person wrote: a rating, a text, or both.
///
/// # Examples
///
/// ```
/// use custodia::model::{Rating, Review};
/// let review = Review::new(Some(Rating::new(2.0, 5)?), Some("Barangnya rusak"), Some("SKU-9"))?;
/// assert_eq!(review.text(), Some("Barangnya rusak"));
/// assert!(Review::new(None, None, None).is_err());
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawReview")
)]
pub struct Review {
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    rating: Option<Rating>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    text: Option<Text>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    product: Option<Text>,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawReview {
    rating: Option<Rating>,
    text: Option<Text>,
    product: Option<Text>,
}

#[cfg(feature = "serde")]
impl TryFrom<RawReview> for Review {
    type Error = Error;
    fn try_from(raw: RawReview) -> Result<Review> {
        Review::new(
            raw.rating,
            raw.text.as_ref().map(Text::as_str),
            raw.product.as_ref().map(Text::as_str),
        )
    }
}

impl Review {
    /// Returns a review.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// there is neither a rating nor a text, or a text is invalid.
    pub fn new(
        rating: Option<Rating>,
        text: Option<&str>,
        product: Option<&str>,
    ) -> Result<Review> {
        if rating.is_none() && text.is_none() {
            return Err(missing("review rating or text"));
        }
        Ok(Review {
            rating,
            text: text.map(Text::new).transpose()?,
            product: product.map(Text::new).transpose()?,
        })
    }

    /// Returns the rating.
    pub fn rating(&self) -> Option<Rating> {
        self.rating
    }

    /// Returns the text.
    pub fn text(&self) -> Option<&str> {
        self.text.as_ref().map(Text::as_str)
    }

    /// Returns what was reviewed.
    pub fn product(&self) -> Option<&str> {
        self.product.as_ref().map(Text::as_str)
    }
}

/// An event of the source's own naming.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct CustomEvent {
    /// The event's name as the source sent it ("Plan Upgraded").
    pub name: Text,
}

impl CustomEvent {
    /// Returns a custom event named `name`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
    /// the name is not a valid [`Text`].
    pub fn new(name: &str) -> Result<CustomEvent> {
        Ok(CustomEvent {
            name: Text::new(name).map_err(|e| e.context("event name"))?,
        })
    }
}

/// Something a person did, at a time, with what it was and any extra
/// properties the source sent.
///
/// Events with the same [`EventId`] are the same event (a retried delivery,
/// the same order seen by two systems).
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use custodia::model::{Event, EventKind, EmailAction, EmailEvent, EventId};
/// let at = Utc.with_ymd_and_hms(2026, 3, 1, 9, 30, 0).unwrap();
/// let opened = Event::new(EventId::new("em-1")?, at, EventKind::Email(EmailEvent::new(EmailAction::Opened)));
/// assert_eq!(opened.name(), "email_opened");
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Event {
    id: EventId,
    at: DateTime<Utc>,
    #[cfg_attr(feature = "serde", serde(flatten))]
    kind: EventKind,
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Attributes::is_empty")
    )]
    properties: Attributes,
}

impl Event {
    /// Returns an event with no extra properties.
    pub fn new(id: EventId, at: DateTime<Utc>, kind: EventKind) -> Event {
        Event {
            id,
            at,
            kind,
            properties: Attributes::new(),
        }
    }

    /// Returns the event with `properties` as its extra properties.
    #[must_use]
    pub fn with_properties(mut self, properties: Attributes) -> Event {
        self.properties = properties;
        self
    }

    /// Returns the event's identifier.
    pub fn id(&self) -> &EventId {
        &self.id
    }

    /// Returns when it happened.
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }

    /// Returns what happened.
    pub fn kind(&self) -> &EventKind {
        &self.kind
    }

    /// Returns the extra properties the source sent.
    pub fn properties(&self) -> &Attributes {
        &self.properties
    }

    /// Returns the event's name as segment expressions use it.
    ///
    /// | kind | name |
    /// |---|---|
    /// | page view | `page_view` |
    /// | screen view | `screen_view` |
    /// | click | `click` |
    /// | email | `email_sent`, `email_delivered`, `email_opened`, `email_clicked`, `email_bounced`, `email_unsubscribed`, `email_marked_as_spam` |
    /// | social | `social_like`, `social_share`, `social_comment`, `social_follow`, `social_mention` |
    /// | support | `ticket_opened`, `ticket_updated`, `ticket_resolved`, `ticket_reopened` |
    /// | app usage | `onboarding_step`, `feature_used`, `problem_reported` |
    /// | transaction | `purchase`, `refund` |
    /// | survey | `survey_answered` |
    /// | review | `review` |
    /// | custom | its own name, as sent |
    pub fn name(&self) -> &str {
        match &self.kind {
            EventKind::PageView(_) => "page_view",
            EventKind::ScreenView(_) => "screen_view",
            EventKind::Click(_) => "click",
            EventKind::Email(e) => match e.action {
                EmailAction::Sent => "email_sent",
                EmailAction::Delivered => "email_delivered",
                EmailAction::Opened => "email_opened",
                EmailAction::Clicked => "email_clicked",
                EmailAction::Bounced => "email_bounced",
                EmailAction::Unsubscribed => "email_unsubscribed",
                EmailAction::MarkedAsSpam => "email_marked_as_spam",
            },
            EventKind::Social(s) => match s.action {
                SocialAction::Like => "social_like",
                SocialAction::Share => "social_share",
                SocialAction::Comment => "social_comment",
                SocialAction::Follow => "social_follow",
                SocialAction::Mention => "social_mention",
            },
            EventKind::Support(s) => match s.action {
                SupportAction::TicketOpened => "ticket_opened",
                SupportAction::TicketUpdated => "ticket_updated",
                SupportAction::TicketResolved => "ticket_resolved",
                SupportAction::TicketReopened => "ticket_reopened",
            },
            EventKind::AppUsage(a) => match a {
                AppUsage::OnboardingStep { .. } => "onboarding_step",
                AppUsage::FeatureUsed { .. } => "feature_used",
                AppUsage::ProblemReported { .. } => "problem_reported",
            },
            EventKind::Transaction(t) => match t.kind {
                TransactionKind::Purchase => "purchase",
                TransactionKind::Refund => "refund",
            },
            EventKind::Survey(_) => "survey_answered",
            EventKind::Review(_) => "review",
            EventKind::Custom(c) => c.name.as_str(),
        }
    }

    /// Returns the free text the person wrote in this event, if any: a
    /// survey comment, a review, a support message, a problem report or a
    /// social comment. This is what sentiment scoring reads.
    pub fn feedback_text(&self) -> Option<&str> {
        match &self.kind {
            EventKind::Survey(s) => s.comment(),
            EventKind::Review(r) => r.text(),
            EventKind::Support(s) => s.text.as_ref().map(Text::as_str),
            EventKind::AppUsage(AppUsage::ProblemReported { description }) => {
                Some(description.as_str())
            }
            EventKind::Social(s) => s.text.as_ref().map(Text::as_str),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Currency;

    #[test]
    fn scores_check_their_ranges() {
        assert!(Nps::new(-1).is_err());
        assert!(Nps::new(0).is_ok() && Nps::new(10).is_ok());
        assert!(Csat::new(6).is_err());
        assert_eq!(
            EffortScore::new(8).unwrap_err().to_string(),
            "effort score 8 is out of range 1..=7"
        );
        assert!(Rating::new(f64::NAN, 5).is_err());
        assert!(Rating::new(1.0, 0).is_err());
    }

    #[test]
    fn transactions_refuse_mixed_currencies_and_negative_amounts() {
        let eur = Currency::new("EUR").unwrap();
        let usd = Currency::new("USD").unwrap();
        let item = LineItem::new(Some("A"), None, 1, Money::from_minor(100, usd)).unwrap();
        let err = Transaction::new(
            "o1",
            TransactionKind::Purchase,
            Money::from_minor(100, eur),
            vec![item],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "line item price 1.00 USD is not in the order's currency EUR"
        );
        assert!(Transaction::new(
            "o1",
            TransactionKind::Purchase,
            Money::from_minor(-1, eur),
            vec![]
        )
        .is_err());
        assert!(Transaction::new(
            " ",
            TransactionKind::Purchase,
            Money::from_minor(1, eur),
            vec![]
        )
        .is_err());
        assert!(LineItem::new(None, None, 1, Money::from_minor(1, eur)).is_err());
        assert!(LineItem::new(Some("A"), None, 0, Money::from_minor(1, eur)).is_err());
    }
}
