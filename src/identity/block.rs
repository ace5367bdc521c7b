//! Blocking: which pairs of records are worth comparing at all.
//!
//! Each [`BlockingRule`] maps a record to a few [`BlockKey`]s; two records
//! sharing a key form a candidate pair, and the rules are unioned. A block
//! larger than [`BlockingParams::max_block_size`] (everyone called Silva,
//! Nagy or Smith born in one year) is skipped and counted in
//! [`BlockingStats`], so that the work stays close to linear; the other rules
//! still find those records' matches. Values detected as generic
//! ([`GenericValues`]) give no key.

use std::collections::{HashMap, HashSet};
use std::fmt;

use chrono::Datelike;

use crate::error::Result;
use crate::identity::compare::soundex;
use crate::identity::error::check_param;
use crate::identity::record::NormalizedRecord;

/// A blocking key: the rule's name and the value, as `rule:value`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BlockKey(String);

impl BlockKey {
    /// Returns a key for `rule` and `value`.
    pub fn new(rule: &str, value: &str) -> BlockKey {
        BlockKey(format!("{rule}:{value}"))
    }

    /// Returns the key text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BlockKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Something that gives a record its blocking keys (few per record).
///
/// Implement it to add your own rules; it must be a pure function of the
/// record. (It takes the [`NormalizedRecord`] rather than the source record
/// so that normalisation happens once.)
pub trait Blocker: fmt::Debug + Send + Sync {
    /// Returns the keys of `record`.
    fn keys(&self, record: &NormalizedRecord) -> Vec<BlockKey>;
}

/// A built-in blocking rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum BlockingRule {
    /// Soundex of the family name and the year of birth.
    FamilyPhoneticBirthYear,
    /// Soundex of the given and of the family name.
    NamesPhonetic,
    /// The full date of birth with an initial: one key for the given name's
    /// and one for the family name's, so swapped names still meet.
    BirthDate,
    /// Postal code and the given name's initial.
    PostcodeInitial,
    /// Postal code and house number.
    PostcodeHouseNumber,
    /// A normalised email.
    Email,
    /// A phone in E.164.
    Phone,
    /// A national id.
    NationalId,
    /// An identifier another system issued (user id, contact id, device id).
    AccountId,
}

impl BlockingRule {
    /// Every built-in rule, in the default order.
    pub const ALL: [BlockingRule; 9] = [
        BlockingRule::FamilyPhoneticBirthYear,
        BlockingRule::NamesPhonetic,
        BlockingRule::BirthDate,
        BlockingRule::PostcodeInitial,
        BlockingRule::PostcodeHouseNumber,
        BlockingRule::Email,
        BlockingRule::Phone,
        BlockingRule::NationalId,
        BlockingRule::AccountId,
    ];

    /// Returns the rule's short name, used in its keys.
    pub fn as_str(self) -> &'static str {
        match self {
            BlockingRule::FamilyPhoneticBirthYear => "fy",
            BlockingRule::NamesPhonetic => "gf",
            BlockingRule::BirthDate => "dob",
            BlockingRule::PostcodeInitial => "pi",
            BlockingRule::PostcodeHouseNumber => "pn",
            BlockingRule::Email => "em",
            BlockingRule::Phone => "ph",
            BlockingRule::NationalId => "nid",
            BlockingRule::AccountId => "acc",
        }
    }
}

/// Which pairs may be candidates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum PairScope {
    /// Any two records (deduplication).
    #[default]
    All,
    /// Only records of different sources (linkage of deduplicated sources).
    AcrossSources,
}

/// Values shared by so many otherwise different records that they stop
/// identifying anyone (`info@…`, `0000000000`, `1900-01-01`).
///
/// Detected from the data by [`GenericValues::detect`]; such values give no
/// blocking key and no evidence when scoring.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GenericValues {
    emails: HashSet<String>,
    phones: HashSet<String>,
    national_ids: HashSet<String>,
    birth_dates: HashSet<chrono::NaiveDate>,
}

fn name_key(r: &NormalizedRecord) -> String {
    format!(
        "{}|{}",
        r.given_canonical().unwrap_or(""),
        r.family().unwrap_or("")
    )
}

fn generic_in<K: std::hash::Hash + Eq + Clone>(
    holders: HashMap<K, HashSet<String>>,
    min_holders: usize,
    ratio: f64,
) -> HashSet<K> {
    if holders.is_empty() {
        return HashSet::new();
    }
    let total: usize = holders.values().map(HashSet::len).sum();
    let mean = total as f64 / holders.len() as f64;
    let bar = (min_holders as f64).max(ratio * mean);
    holders
        .into_iter()
        .filter(|(_, names)| names.len() as f64 >= bar)
        .map(|(k, _)| k)
        .collect()
}

impl GenericValues {
    /// Finds the generic values of `records`: a value held by records with at
    /// least `min_holders` distinct names, and at least `ratio` times the
    /// mean number of distinct names per value of its kind, is generic.
    ///
    /// Defaults used by [`Resolver`](crate::identity::Resolver): 10 and 20.
    pub fn detect(records: &[NormalizedRecord], min_holders: usize, ratio: f64) -> GenericValues {
        let mut emails: HashMap<String, HashSet<String>> = HashMap::new();
        let mut phones: HashMap<String, HashSet<String>> = HashMap::new();
        let mut ids: HashMap<String, HashSet<String>> = HashMap::new();
        let mut dates: HashMap<chrono::NaiveDate, HashSet<String>> = HashMap::new();
        for r in records {
            let name = name_key(r);
            for e in r.emails() {
                emails.entry(e.clone()).or_default().insert(name.clone());
            }
            for p in r.phones() {
                phones.entry(p.clone()).or_default().insert(name.clone());
            }
            for n in r.national_ids() {
                ids.entry(n.clone()).or_default().insert(name.clone());
            }
            if let Some(d) = r.birth() {
                dates.entry(d).or_default().insert(name.clone());
            }
        }
        GenericValues {
            emails: generic_in(emails, min_holders, ratio),
            phones: generic_in(phones, min_holders, ratio),
            national_ids: generic_in(ids, min_holders, ratio),
            birth_dates: generic_in(dates, min_holders, ratio),
        }
    }

    /// Returns `true` when the normalised email is generic.
    pub fn is_generic_email(&self, email: &str) -> bool {
        self.emails.contains(email)
    }

    /// Returns `true` when the E.164 phone is generic.
    pub fn is_generic_phone(&self, phone: &str) -> bool {
        self.phones.contains(phone)
    }

    /// Returns `true` when the national id is generic.
    pub fn is_generic_national_id(&self, id: &str) -> bool {
        self.national_ids.contains(id)
    }

    /// Returns `true` when the birth date is generic.
    pub fn is_generic_birth_date(&self, date: chrono::NaiveDate) -> bool {
        self.birth_dates.contains(&date)
    }

    /// Returns how many generic values there are of all kinds.
    pub fn len(&self) -> usize {
        self.emails.len() + self.phones.len() + self.national_ids.len() + self.birth_dates.len()
    }

    /// Returns `true` when no value is generic.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Options of blocking.
///
/// | option | default | meaning |
/// |---|---|---|
/// | `rules` | [`BlockingRule::ALL`] | rules whose candidate pairs are unioned |
/// | `max_block_size` | 100 | blocks with more records are skipped (≥ 2) |
/// | `scope` | [`PairScope::All`] | which pairs may be candidates |
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BlockingParams {
    rules: Vec<BlockingRule>,
    max_block_size: usize,
    scope: PairScope,
}

impl Default for BlockingParams {
    fn default() -> BlockingParams {
        BlockingParams {
            rules: BlockingRule::ALL.to_vec(),
            max_block_size: 100,
            scope: PairScope::All,
        }
    }
}

impl BlockingParams {
    /// Sets the rules.
    #[must_use]
    pub fn rules(mut self, rules: &[BlockingRule]) -> BlockingParams {
        self.rules = rules.to_vec();
        self
    }

    /// Sets the largest block that is still compared pairwise.
    #[must_use]
    pub fn max_block_size(mut self, size: usize) -> BlockingParams {
        self.max_block_size = size;
        self
    }

    /// Sets which pairs may be candidates.
    #[must_use]
    pub fn scope(mut self, scope: PairScope) -> BlockingParams {
        self.scope = scope;
        self
    }

    /// Returns the rules.
    pub fn rule_list(&self) -> &[BlockingRule] {
        &self.rules
    }

    /// Returns the scope.
    pub fn pair_scope(&self) -> PairScope {
        self.scope
    }

    /// Returns the largest block compared pairwise.
    pub fn block_size_limit(&self) -> usize {
        self.max_block_size
    }

    /// Checks the parameters.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    /// when there is no rule or `max_block_size` is below 2.
    pub fn validate(&self) -> Result<()> {
        check_param(
            !self.rules.is_empty(),
            "blocking rules",
            "[]",
            "must name at least one rule",
        )?;
        check_param(
            self.max_block_size >= 2,
            "max_block_size",
            self.max_block_size,
            "must be at least 2",
        )
    }
}

/// The built-in [`Blocker`]: the chosen [`BlockingRule`]s, skipping generic
/// values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleBlocker {
    rules: Vec<BlockingRule>,
    generic: GenericValues,
}

impl RuleBlocker {
    /// Returns a blocker for `params`' rules that ignores `generic` values.
    pub fn new(params: &BlockingParams, generic: GenericValues) -> RuleBlocker {
        RuleBlocker {
            rules: params.rules.clone(),
            generic,
        }
    }
}

fn initial(s: Option<&str>) -> Option<char> {
    s.and_then(|s| s.chars().next())
}

impl Blocker for RuleBlocker {
    fn keys(&self, r: &NormalizedRecord) -> Vec<BlockKey> {
        let mut keys = Vec::with_capacity(8);
        let family_sx = r.family().and_then(soundex);
        let birth = r
            .birth()
            .filter(|d| !self.generic.is_generic_birth_date(*d));
        for rule in &self.rules {
            let tag = rule.as_str();
            match rule {
                BlockingRule::FamilyPhoneticBirthYear => {
                    if let (Some(sx), Some(d)) = (&family_sx, birth) {
                        keys.push(BlockKey::new(tag, &format!("{sx}{}", d.year())));
                    }
                }
                BlockingRule::NamesPhonetic => {
                    let given_sx = r.given_canonical().and_then(soundex);
                    if let (Some(g), Some(f)) = (given_sx, &family_sx) {
                        keys.push(BlockKey::new(tag, &format!("{g}{f}")));
                    }
                }
                BlockingRule::BirthDate => {
                    // A birth date alone is shared by ~N/25 000 people: with
                    // either initial it stays small as N grows.
                    if let Some(d) = birth {
                        // Either initial, whichever field it is in, so that
                        // swapped names still meet.
                        for i in [initial(r.given()), initial(r.family())]
                            .into_iter()
                            .flatten()
                        {
                            keys.push(BlockKey::new(tag, &format!("{d}{i}")));
                        }
                    }
                }
                BlockingRule::PostcodeInitial => {
                    if let (Some(p), Some(i)) = (r.postcode(), initial(r.given())) {
                        keys.push(BlockKey::new(tag, &format!("{p}{i}")));
                    }
                }
                BlockingRule::PostcodeHouseNumber => {
                    if let (Some(p), Some(n)) = (r.postcode(), r.street_number()) {
                        keys.push(BlockKey::new(tag, &format!("{p}/{n}")));
                    }
                }
                BlockingRule::Email => {
                    for e in r.emails() {
                        if !self.generic.is_generic_email(e) {
                            keys.push(BlockKey::new(tag, e));
                        }
                    }
                }
                BlockingRule::Phone => {
                    for p in r.phones() {
                        if !self.generic.is_generic_phone(p) {
                            keys.push(BlockKey::new(tag, p));
                        }
                    }
                }
                BlockingRule::NationalId => {
                    for n in r.national_ids() {
                        if !self.generic.is_generic_national_id(n) {
                            keys.push(BlockKey::new(tag, n));
                        }
                    }
                }
                BlockingRule::AccountId => {
                    for id in r.account_ids() {
                        keys.push(BlockKey::new(tag, id));
                    }
                }
            }
        }
        keys.sort();
        keys.dedup();
        keys
    }
}

/// What blocking did.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BlockingStats {
    /// Number of distinct keys.
    pub keys: usize,
    /// Blocks skipped for being larger than the limit.
    pub oversized_blocks: usize,
    /// Records in the skipped blocks (counted once per block).
    pub oversized_records: usize,
    /// Candidate pairs after the union.
    pub pairs: usize,
}

/// The candidate pairs of a set of records: indices into the records slice,
/// each pair `(i, j)` with `i < j`, sorted and distinct.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CandidatePairs {
    pairs: Vec<(u32, u32)>,
    stats: BlockingStats,
}

impl CandidatePairs {
    /// Returns candidate pairs from explicit index pairs (each ordered, sorted
    /// and deduplicated here), for engines that block on their own.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (u32, u32)>) -> CandidatePairs {
        let mut pairs: Vec<(u32, u32)> = pairs
            .into_iter()
            .filter(|(a, b)| a != b)
            .map(|(a, b)| (a.min(b), a.max(b)))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        CandidatePairs {
            stats: BlockingStats {
                pairs: pairs.len(),
                ..BlockingStats::default()
            },
            pairs,
        }
    }

    /// Returns the pairs.
    pub fn pairs(&self) -> &[(u32, u32)] {
        &self.pairs
    }

    /// Returns the statistics.
    pub fn stats(&self) -> &BlockingStats {
        &self.stats
    }

    /// Returns the share of true pairs (records with equal `truth` labels,
    /// `truth[i]` for record `i`) that are candidates: blocking recall on
    /// labelled data. Returns 1 when there is no true pair.
    pub fn recall<T: Eq + std::hash::Hash>(&self, truth: &[T]) -> f64 {
        let mut sizes: HashMap<&T, u64> = HashMap::new();
        for t in truth {
            *sizes.entry(t).or_default() += 1;
        }
        let total: u64 = sizes.values().map(|n| n * (n - 1) / 2).sum();
        if total == 0 {
            return 1.0;
        }
        let found = self
            .pairs
            .iter()
            .filter(|(a, b)| {
                matches!((truth.get(*a as usize), truth.get(*b as usize)), (Some(x), Some(y)) if x == y)
            })
            .count() as u64;
        found as f64 / total as f64
    }
}

/// Returns the keys of every record (in parallel with the `rayon` feature).
pub(crate) fn all_keys(records: &[NormalizedRecord], blocker: &dyn Blocker) -> Vec<Vec<BlockKey>> {
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        records.par_iter().map(|r| blocker.keys(r)).collect()
    }
    #[cfg(not(feature = "rayon"))]
    {
        records.iter().map(|r| blocker.keys(r)).collect()
    }
}

/// Returns the candidate pairs of `records` under `blocker`: the union over
/// keys of all pairs within each block of at most `params`' limit.
///
/// A pure step: the same records give the same pairs of ids whatever their
/// order, thread count or feature set.
///
/// # Errors
///
/// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
/// when `params` are invalid or there are more than `u32::MAX` records.
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use custodia::identity::{block, normalize_record, BlockingParams, GenericValues, NormalizeParams, RuleBlocker};
/// use custodia::model::{EmailAddress, SourceRecord};
///
/// let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
/// let mut records = Vec::new();
/// for (id, email) in [("a", "x@example.com"), ("b", "X@Example.com"), ("c", "y@example.com")] {
///     let mut b = SourceRecord::builder(id, "crm", at)?;
///     b.identity().emails.push(EmailAddress::new(email)?);
///     records.push(normalize_record(&b.build()?, &NormalizeParams::default()));
/// }
/// let params = BlockingParams::default();
/// let blocker = RuleBlocker::new(&params, GenericValues::default());
/// let candidates = block(&records, &blocker, &params)?;
/// assert_eq!(candidates.pairs(), [(0, 1)]);
/// # Ok::<(), custodia::Error>(())
/// ```
pub fn block(
    records: &[NormalizedRecord],
    blocker: &dyn Blocker,
    params: &BlockingParams,
) -> Result<CandidatePairs> {
    params.validate()?;
    check_param(
        u32::try_from(records.len()).is_ok(),
        "record count",
        records.len(),
        "exceeds u32::MAX",
    )?;
    let keys = all_keys(records, blocker);
    let mut blocks: HashMap<&BlockKey, Vec<u32>> = HashMap::new();
    for (i, ks) in keys.iter().enumerate() {
        for k in ks {
            // OK because the length was checked against u32::MAX above.
            blocks.entry(k).or_default().push(i as u32);
        }
    }
    let mut stats = BlockingStats {
        keys: blocks.len(),
        ..BlockingStats::default()
    };
    let mut pairs = Vec::new();
    for members in blocks.values() {
        if members.len() > params.max_block_size {
            stats.oversized_blocks += 1;
            stats.oversized_records += members.len();
            continue;
        }
        for (x, &a) in members.iter().enumerate() {
            for &b in &members[x + 1..] {
                if params.scope == PairScope::AcrossSources
                    && records[a as usize].source() == records[b as usize].source()
                {
                    continue;
                }
                pairs.push((a.min(b), a.max(b)));
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    stats.pairs = pairs.len();
    Ok(CandidatePairs { pairs, stats })
}
