//! Survivorship policies: which rule decides each single-valued field, and
//! which chooses the primary member of each multi-valued one.

use std::sync::Arc;

use crate::error::suggest;
use crate::error::Result;
use crate::merge::error::MergeError;
use crate::merge::{MostFrequent, MostRecent, SurvivorshipRule};
use crate::model::{Cardinality, CountryCode, FieldPath, SourceRecord};

/// Which [`SurvivorshipRule`] decides each single-valued field of a unified
/// profile: a default rule, plus rules for chosen fields or for every field
/// below a prefix (`"job.*"`, `"attributes.*"`).
///
/// For a field the most specific rule applies: an exact path, then the
/// longest matching prefix, then the default ([`MostRecent`] unless set).
/// Paths are checked against [`SourceRecord::schema`] when the policy is
/// built.
///
/// The policy also says how multi-valued fields (emails, phones, names) are
/// made ready for activation:
///
/// - which rule chooses each field's *primary* member
///   ([`UnifiedProfile::primary`](crate::merge::UnifiedProfile::primary)):
///   [`primary_rule`](SurvivorshipPolicyBuilder::primary_rule) for one field,
///   [`default_primary_rule`](SurvivorshipPolicyBuilder::default_primary_rule)
///   for the rest, [`MostFrequent`] unless set (the member the most records
///   hold, then the most recently observed, then the smaller normal form);
/// - which country completes national phone numbers of records that name
///   none, when members are compared by their normal form
///   ([`phone_country`](SurvivorshipPolicyBuilder::phone_country), `"US"`
///   unless set, as for identity resolution's
///   [`NormalizeParams`](crate::identity::NormalizeParams)).
///
/// # Examples
///
/// ```
/// use custodia::merge::{MostComplete, SourcePriority, SurvivorshipPolicy};
/// use custodia::model::{FieldPath, SourceId};
///
/// let policy = SurvivorshipPolicy::builder()
///     .rule("demographic.gender", SourcePriority::new([SourceId::new("crm")?]))
///     .rule("attributes.*", MostComplete)
///     .build()?;
/// assert_eq!(policy.rule_for(&FieldPath::new("demographic.gender")?).name(), "source_priority");
/// assert_eq!(policy.rule_for(&FieldPath::new("attributes.plan")?).name(), "most_complete");
/// assert_eq!(policy.rule_for(&FieldPath::new("job.title")?).name(), "most_recent");
/// assert_eq!(policy.primary_rule_for(&FieldPath::new("identity.email")?).name(), "most_frequent");
///
/// let err = SurvivorshipPolicy::builder().rule("geographic.contry", MostComplete).build().unwrap_err();
/// assert_eq!(err.to_string(), "field \"geographic.contry\" is not a field of the record schema; did you mean \"geographic.country\"?");
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct SurvivorshipPolicy {
    default: Named,
    exact: Vec<(FieldPath, Named)>,
    /// Prefixes without the trailing `.*`, longest first.
    prefixes: Vec<(String, Named)>,
    /// The rule choosing primary members of fields `primary` does not name.
    primary_default: Named,
    /// `true` when `primary_default` is the built-in [`MostFrequent`] the
    /// policy starts with, which derivation computes without candidates.
    primary_default_built_in: bool,
    /// Primary rules of chosen multi-valued fields.
    primary: Vec<(FieldPath, Named)>,
    /// Completes national phone numbers of records that name no country.
    phone_country: CountryCode,
}

/// The default of [`SurvivorshipPolicyBuilder::phone_country`]: identity
/// resolution's default, so merging compares numbers as matching did.
fn default_phone_country() -> CountryCode {
    // OK because "US" is an assigned ISO 3166-1 code.
    CountryCode::new("US").expect("US is an ISO 3166-1 alpha-2 code")
}

/// A rule with its name, read once so provenance can share it.
#[derive(Clone, Debug)]
pub(crate) struct Named {
    pub(crate) rule: Arc<dyn SurvivorshipRule>,
    pub(crate) name: RuleName,
}

impl Named {
    fn new(rule: Arc<dyn SurvivorshipRule>) -> Named {
        let name = RuleName::new(rule.name());
        Named { rule, name }
    }
}

/// A rule's name as provenance keeps it: the built-in names are static, so
/// profiles derived on many threads never touch one shared counter.
#[derive(Clone, Debug)]
pub(crate) enum RuleName {
    Static(&'static str),
    Shared(Arc<str>),
}

impl RuleName {
    fn new(name: &str) -> RuleName {
        const BUILT_IN: [&str; 4] = [
            "most_recent",
            "source_priority",
            "most_frequent",
            "most_complete",
        ];
        match BUILT_IN.iter().find(|b| **b == name) {
            Some(b) => RuleName::Static(b),
            None => RuleName::Shared(name.into()),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            RuleName::Static(s) => s,
            RuleName::Shared(s) => s,
        }
    }
}

impl PartialEq for RuleName {
    fn eq(&self, other: &RuleName) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RuleName {}

impl std::hash::Hash for RuleName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl Default for SurvivorshipPolicy {
    /// Most recent observation wins, for every field.
    fn default() -> SurvivorshipPolicy {
        SurvivorshipPolicy {
            default: Named::new(Arc::new(MostRecent)),
            exact: Vec::new(),
            prefixes: Vec::new(),
            primary_default: Named::new(Arc::new(MostFrequent)),
            primary_default_built_in: true,
            primary: Vec::new(),
            phone_country: default_phone_country(),
        }
    }
}

impl SurvivorshipPolicy {
    /// Starts a policy whose default rule is [`MostRecent`].
    pub fn builder() -> SurvivorshipPolicyBuilder {
        SurvivorshipPolicyBuilder::default()
    }

    /// Returns the rule that decides `field`.
    pub fn rule_for(&self, field: &FieldPath) -> &dyn SurvivorshipRule {
        self.named(field).rule.as_ref()
    }

    /// Returns the rule that decides `field`, with its name.
    pub(crate) fn named(&self, field: &FieldPath) -> &Named {
        if let Some((_, rule)) = self.exact.iter().find(|(p, _)| p == field) {
            return rule;
        }
        let path = field.as_str();
        self.prefixes
            .iter()
            .find(|(prefix, _)| {
                path.len() > prefix.len()
                    && path.starts_with(prefix.as_str())
                    && path.as_bytes()[prefix.len()] == b'.'
            })
            .map_or(&self.default, |(_, rule)| rule)
    }

    /// Returns the default rule.
    pub fn default_rule(&self) -> &dyn SurvivorshipRule {
        self.default.rule.as_ref()
    }

    /// Returns the rule that chooses the primary member of the
    /// multi-valued `field`.
    pub fn primary_rule_for(&self, field: &FieldPath) -> &dyn SurvivorshipRule {
        self.primary_named(field).rule.as_ref()
    }

    /// Returns the rule that chooses the primary member of `field`, with
    /// its name.
    pub(crate) fn primary_named(&self, field: &FieldPath) -> &Named {
        self.primary
            .iter()
            .find(|(p, _)| p == field)
            .map_or(&self.primary_default, |(_, rule)| rule)
    }

    /// Returns `true` when the primary member of `field` is chosen by the
    /// built-in default [`MostFrequent`] (no rule set for it or for every
    /// field), so derivation may compute its choice from the members.
    pub(crate) fn primary_is_built_in(&self, field: &FieldPath) -> bool {
        self.primary_default_built_in && !self.primary.iter().any(|(p, _)| p == field)
    }

    /// Returns the country whose calling code completes national phone
    /// numbers of records that name no country (ISO 3166-1 alpha-2).
    pub fn phone_country(&self) -> &str {
        self.phone_country.as_str()
    }
}

/// Builds a [`SurvivorshipPolicy`]; see [`SurvivorshipPolicy::builder`].
#[derive(Debug, Default)]
pub struct SurvivorshipPolicyBuilder {
    default: Option<Arc<dyn SurvivorshipRule>>,
    rules: Vec<(String, Arc<dyn SurvivorshipRule>)>,
    primary_default: Option<Arc<dyn SurvivorshipRule>>,
    primary: Vec<(String, Arc<dyn SurvivorshipRule>)>,
    phone_country: Option<String>,
}

impl SurvivorshipPolicyBuilder {
    /// Sets the rule for every field no other rule names.
    pub fn default_rule(mut self, rule: impl SurvivorshipRule + 'static) -> Self {
        self.default = Some(Arc::new(rule));
        self
    }

    /// Sets the rule for one field (`"geographic.city"`, `"attributes.plan"`)
    /// or for every field below a prefix (`"business.*"`).
    pub fn rule(self, path: &str, rule: impl SurvivorshipRule + 'static) -> Self {
        self.shared_rule(path, Arc::new(rule))
    }

    /// Like [`rule`](Self::rule), with a rule shared with other policies.
    pub fn shared_rule(mut self, path: &str, rule: Arc<dyn SurvivorshipRule>) -> Self {
        self.rules.push((path.to_owned(), rule));
        self
    }

    /// Sets the rule that chooses the primary member of every multi-valued
    /// field no [`primary_rule`](Self::primary_rule) names
    /// ([`MostFrequent`] unless set).
    ///
    /// The rule sees one [`Candidate`](crate::merge::Candidate) for each
    /// record holding each member, whose value is the member's normal form
    /// (`ana@example.com` for `Ana@Example.com`, `+15550100200` for
    /// `(555) 010-0200`; see the [field list](crate::merge#profile-fields));
    /// the member of the chosen candidate is the primary.
    pub fn default_primary_rule(mut self, rule: impl SurvivorshipRule + 'static) -> Self {
        self.primary_default = Some(Arc::new(rule));
        self
    }

    /// Sets the rule that chooses the primary member of one multi-valued
    /// field (`"identity.email"`, `"identity.full_name"`).
    pub fn primary_rule(mut self, path: &str, rule: impl SurvivorshipRule + 'static) -> Self {
        self.primary.push((path.to_owned(), Arc::new(rule)));
        self
    }

    /// Sets the country (ISO 3166-1 alpha-2, either case) whose calling
    /// code completes national phone numbers of records that name no
    /// country, when phone members are compared by their normal form
    /// (`"US"` unless set). A record's own country (its first address's,
    /// else its geographic one) always comes first.
    pub fn phone_country(mut self, country: &str) -> Self {
        self.phone_country = Some(country.to_owned());
        self
    }

    /// Checks every path and returns the policy.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::UnknownField`](crate::error::ErrorKind::UnknownField)
    ///   for a path (or prefix) the record schema does not know, with the
    ///   closest known path when one is close;
    /// - [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    ///   for a field whose values are a set (emails, interests, `record.*`),
    ///   which no rule decides, for a primary rule on a field that is not a
    ///   set, for a path given two rules, and for a phone country that is
    ///   not an ISO 3166-1 alpha-2 code;
    /// - [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
    ///   for a malformed path.
    pub fn build(self) -> Result<SurvivorshipPolicy> {
        let schema = SourceRecord::schema();
        let phone_country = match &self.phone_country {
            None => default_phone_country(),
            Some(c) => CountryCode::new(c)
                .map_err(|_| MergeError::InvalidCountry { country: c.clone() })?,
        };
        let mut policy = SurvivorshipPolicy {
            default: Named::new(self.default.unwrap_or_else(|| Arc::new(MostRecent))),
            exact: Vec::new(),
            prefixes: Vec::new(),
            primary_default_built_in: self.primary_default.is_none(),
            primary_default: Named::new(
                self.primary_default
                    .unwrap_or_else(|| Arc::new(MostFrequent)),
            ),
            primary: Vec::new(),
            phone_country,
        };
        let known = || {
            schema
                .fields()
                .iter()
                .map(|f| f.path().as_str())
                .chain(schema.open_prefixes().iter().map(FieldPath::as_str))
        };
        for (path, rule) in self.rules {
            if let Some(prefix) = path.strip_suffix(".*") {
                let checked = FieldPath::new(prefix)?;
                let is_section = schema.fields().iter().any(|f| {
                    f.path().as_str().starts_with(prefix)
                        && f.path().as_str().as_bytes().get(prefix.len()) == Some(&b'.')
                }) || schema.open_prefixes().contains(&checked)
                    || schema.field(&checked).is_some();
                if !is_section {
                    let sections = schema.fields().iter().map(|f| f.path().first());
                    return Err(MergeError::UnknownField {
                        suggestion: suggest(prefix, sections.chain(known()))
                            .map(|s| format!("{s}.*")),
                        path,
                    }
                    .into());
                }
                if policy.prefixes.iter().any(|(p, _)| p == prefix) {
                    return Err(MergeError::DuplicateRule { path }.into());
                }
                policy.prefixes.push((prefix.to_owned(), Named::new(rule)));
                continue;
            }
            let field = FieldPath::new(&path)?;
            // Fields below an open prefix (custom attributes) survive per key
            // like single-valued ones, although the schema counts them as
            // many-valued (a key may hold a list, kept whole).
            let fixed = schema.fields().iter().find(|f| *f.path() == field);
            let kind = match fixed {
                Some(spec) => Some((spec.field_type(), spec.cardinality())),
                None => schema.field(&field).map(|(t, _)| (t, Cardinality::One)),
            };
            match kind {
                None => {
                    return Err(MergeError::UnknownField {
                        suggestion: suggest(&path, known()),
                        path,
                    }
                    .into())
                }
                Some((_, Cardinality::Many)) => {
                    return Err(MergeError::RuleOnSetField { path }.into())
                }
                Some(_) if field.first() == "record" => {
                    return Err(MergeError::RuleOnSetField { path }.into())
                }
                Some(_) => {}
            }
            if policy.exact.iter().any(|(p, _)| *p == field) {
                return Err(MergeError::DuplicateRule { path }.into());
            }
            policy.exact.push((field, Named::new(rule)));
        }
        for (path, rule) in self.primary {
            let field = FieldPath::new(&path)?;
            let spec = schema.fields().iter().find(|f| *f.path() == field);
            match spec {
                None => {
                    return Err(MergeError::UnknownField {
                        suggestion: suggest(&path, known()),
                        path,
                    }
                    .into())
                }
                Some(spec)
                    if spec.cardinality() == Cardinality::One || field.first() == "record" =>
                {
                    return Err(MergeError::PrimaryOnSingleField { path }.into())
                }
                Some(_) => {}
            }
            if policy.primary.iter().any(|(p, _)| *p == field) {
                return Err(MergeError::DuplicateRule { path }.into());
            }
            policy.primary.push((field, Named::new(rule)));
        }
        // Longest prefix first, so the most specific one matches first.
        policy
            .prefixes
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::merge::{MostComplete, MostFrequent};

    #[test]
    fn paths_are_checked() {
        let e = |p: &str| {
            SurvivorshipPolicy::builder()
                .rule(p, MostFrequent)
                .build()
                .unwrap_err()
        };
        assert_eq!(e("identity.email").kind(), ErrorKind::InvalidParameter);
        assert_eq!(e("record.id").kind(), ErrorKind::InvalidParameter);
        assert_eq!(e("nope").kind(), ErrorKind::UnknownField);
        assert_eq!(e("a..b").kind(), ErrorKind::InvalidInput);
        assert_eq!(
            e("geographc.*").to_string(),
            "field \"geographc.*\" is not a field of the record schema; did you mean \"geographic.*\"?"
        );
        let twice = SurvivorshipPolicy::builder()
            .rule("job.title", MostFrequent)
            .rule("job.title", MostComplete)
            .build()
            .unwrap_err();
        assert_eq!(twice.kind(), ErrorKind::InvalidParameter);
    }

    #[test]
    fn primary_rules_and_phone_country_are_checked() {
        let e = |b: SurvivorshipPolicyBuilder| b.build().unwrap_err();
        let b = SurvivorshipPolicy::builder;
        let single = e(b().primary_rule("job.title", MostRecent));
        assert_eq!(single.kind(), ErrorKind::InvalidParameter);
        assert_eq!(
            single.to_string(),
            "field \"job.title\" holds one value; primary rules apply to multi-valued fields only"
        );
        assert_eq!(
            e(b().primary_rule("record.id", MostRecent)).kind(),
            ErrorKind::InvalidParameter
        );
        assert_eq!(
            e(b().primary_rule("identity.emial", MostRecent)).to_string(),
            "field \"identity.emial\" is not a field of the record schema; did you mean \"identity.email\"?"
        );
        let twice = b()
            .primary_rule("identity.phone", MostRecent)
            .primary_rule("identity.phone", MostComplete);
        assert_eq!(e(twice).kind(), ErrorKind::InvalidParameter);
        let country = e(b().phone_country("XX"));
        assert_eq!(country.kind(), ErrorKind::InvalidParameter);
        assert_eq!(
            country.to_string(),
            "phone country \"XX\" is not an ISO 3166-1 alpha-2 code"
        );

        let p = b()
            .default_primary_rule(MostComplete)
            .primary_rule("identity.email", MostRecent)
            .phone_country(" pt ")
            .build()
            .unwrap();
        let f = |s: &str| FieldPath::new(s).unwrap();
        assert_eq!(
            p.primary_rule_for(&f("identity.email")).name(),
            "most_recent"
        );
        assert_eq!(
            p.primary_rule_for(&f("identity.phone")).name(),
            "most_complete"
        );
        assert_eq!(p.phone_country(), "PT");
        let d = SurvivorshipPolicy::default();
        assert_eq!(
            d.primary_rule_for(&f("identity.phone")).name(),
            "most_frequent"
        );
        assert_eq!(d.phone_country(), "US");
    }

    #[test]
    fn most_specific_rule_wins() {
        let p = SurvivorshipPolicy::builder()
            .default_rule(MostComplete)
            .rule("attributes.*", MostFrequent)
            .rule("attributes.plan", MostRecent)
            .build()
            .unwrap();
        let f = |s: &str| FieldPath::new(s).unwrap();
        assert_eq!(p.rule_for(&f("attributes.plan")).name(), "most_recent");
        assert_eq!(p.rule_for(&f("attributes.tier")).name(), "most_frequent");
        assert_eq!(p.rule_for(&f("attributesx")).name(), "most_complete");
        assert_eq!(p.default_rule().name(), "most_complete");
    }
}
