//! Blocking: which pairs of records are worth comparing at all.
//!
//! Each [`BlockingRule`] maps a record to a few [`BlockKey`]s; two records
//! sharing a key form a candidate pair, and the rules are unioned. A block
//! larger than [`BlockingParams::max_block_size`] (everyone called Silva,
//! Nagy or Smith born in one year) is skipped and counted in
//! [`BlockingStats`], so that the work stays close to linear; the other rules
//! still find those records' matches. Values detected as generic
//! ([`GenericValues`]) give no key.

use std::collections::HashMap;
use std::fmt;

use chrono::Datelike;

use crate::error::Result;
use std::hash::Hasher;

use crate::identity::compare::soundex_code;
use crate::identity::error::check_param;
use crate::identity::hash::{hash_parts, FixedSet, KeyHasher, TextSet};
use crate::identity::normalize::WrittenDate;
use crate::identity::record::NormalizedRecord;
use crate::identity::score::mailbox;

/// A blocking key: the rule's name and the value, as `rule:value`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BlockKey(String);

// The value part is a folded personal value; the rule name stays visible.
impl fmt::Debug for BlockKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if crate::model::redact::revealing() {
            return f.debug_tuple("BlockKey").field(&self.0).finish();
        }
        let (rule, value) = self.0.split_once(':').unwrap_or(("", &self.0));
        f.debug_tuple("BlockKey")
            .field(&format_args!("{rule}"))
            .field(&crate::model::redact::Secret::Text("Value", value))
            .finish()
    }
}

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

    /// Appends a 64-bit hash of the text of each of `record`'s distinct
    /// keys to `out`; [`block`] groups records by these hashes.
    ///
    /// The provided method hashes what [`Blocker::keys`] returns. Override
    /// it only to compute the same hashes faster (the built-in
    /// [`RuleBlocker`] does, without building any key text); two distinct
    /// keys could share a hash only with odds of about one in 2⁶⁴, and
    /// such a collision could only add a candidate pair, never remove one.
    fn key_hashes(&self, record: &NormalizedRecord, out: &mut Vec<u64>) {
        let start = out.len();
        out.extend(
            self.keys(record)
                .iter()
                .map(|k| hash_parts(&[k.as_str().as_bytes()])),
        );
        sort_dedup_tail(out, start);
    }
}

/// Sorts and deduplicates `out[start..]` in place.
fn sort_dedup_tail(out: &mut Vec<u64>, start: usize) {
    out[start..].sort_unstable();
    let mut w = start;
    for r in start..out.len() {
        if w == start || out[w - 1] != out[r] {
            out[w] = out[r];
            w += 1;
        }
    }
    out.truncate(w);
}

/// Writes the decimal text of `n` (as `{}` formats it) into `buf`.
fn int_text(n: i32, buf: &mut [u8; 12]) -> &[u8] {
    let mut i = buf.len();
    let mut v = i64::from(n).unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

/// A birth date set aside as impossible, as written, and the dates it may
/// have been meant to be.
///
/// When the written month and day exist, the year made the date impossible
/// (`4976-02-13`, after the observation): the candidates are the years from
/// [`TYPO_YEARS`] one typed digit away and before it (`1976`), at most
/// [`MAX_TYPO_YEARS`] of them, and the record takes the birth-date keys of
/// each. Otherwise the month or day is impossible (`1981-09-31`) and the
/// written year is right as far as anything tells: it keys the
/// family-and-year rule.
struct WrittenParts {
    year: i32,
    month: u32,
    day: u32,
    /// `true` when the written month and day exist in the written year.
    calendar: bool,
}

/// The years a typo'd birth year is taken back to.
const TYPO_YEARS: std::ops::Range<i32> = 1900..2100;

/// The most candidate years of one written date (a year can be one digit
/// away from at most 36 others).
const MAX_TYPO_YEARS: usize = 36;

impl WrittenParts {
    fn of(w: WrittenDate) -> WrittenParts {
        let n = w.get();
        let (year, month, day) = ((n / 10_000) as i32, n / 100 % 100, n % 100);
        let calendar = chrono::NaiveDate::from_ymd_opt(year, month, day).is_some();
        WrittenParts {
            year,
            month,
            day,
            calendar,
        }
    }

    /// The years one typed digit from the written one, earlier, within
    /// [`TYPO_YEARS`].
    fn typo_years(&self) -> impl Iterator<Item = i32> + '_ {
        let y = self.year;
        (0..4u32)
            .flat_map(move |k| {
                let p = 10i32.pow(3 - k);
                let digit = y / p % 10;
                (0..10)
                    .filter(move |&v| v != digit)
                    .map(move |v| y + (v - digit) * p)
            })
            .filter(move |c| TYPO_YEARS.contains(c) && *c < y)
            .take(MAX_TYPO_YEARS)
    }

    /// The years the family-and-year rule keys.
    fn years(&self) -> impl Iterator<Item = i32> + '_ {
        let calendar = self.calendar;
        self.typo_years()
            .filter(move |_| calendar)
            .chain(std::iter::once(self.year).filter(move |_| !calendar))
    }

    /// The dates the birth-date rule keys.
    fn dates(&self) -> impl Iterator<Item = chrono::NaiveDate> + '_ {
        self.typo_years()
            .filter(|_| self.calendar)
            .filter_map(|y| chrono::NaiveDate::from_ymd_opt(y, self.month, self.day))
    }
}

/// The key of a date: `YYYY-LL-HH` with the smaller of month and day
/// first, so that a date whose day and month were read the other way round
/// (`10/12/1945` written as `MM/DD` and read as `DD/MM`) meets its own
/// record; comparison tells the two apart (`day_month_swapped`). No
/// allocation for years 0 to 9999.
fn date_key(d: chrono::NaiveDate, buf: &mut [u8; 10]) -> std::borrow::Cow<'_, [u8]> {
    let y = d.year();
    let (lo, hi) = (d.month().min(d.day()), d.month().max(d.day()));
    if !(0..=9999).contains(&y) {
        return std::borrow::Cow::Owned(format!("{y}-{lo:02}-{hi:02}").into_bytes());
    }
    let (y, m, dd) = (y as u32, lo, hi);
    let digits = [
        y / 1000 % 10,
        y / 100 % 10,
        y / 10 % 10,
        y % 10,
        10,
        m / 10,
        m % 10,
        10,
        dd / 10,
        dd % 10,
    ];
    for (c, v) in buf.iter_mut().zip(digits) {
        *c = if v == 10 { b'-' } else { b'0' + v as u8 };
    }
    std::borrow::Cow::Borrowed(&buf[..])
}

/// A built-in blocking rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum BlockingRule {
    /// Soundex of the family name, the year of birth and the given name's
    /// initial (of its canonical form, so nicknames keep it). A birth date
    /// set aside as impossible keys its written year when its month or day
    /// is impossible, and the years a one-digit typo may have come from when
    /// its year is (`4976` keys `1976`).
    FamilyPhoneticBirthYear,
    /// Soundex of the given and of the family name.
    NamesPhonetic,
    /// The full date of birth, month and day in either order (a date read
    /// the wrong way round still meets), with an initial: one key for the
    /// given name's and one for the family name's, so swapped names still
    /// meet. A date set aside for its year (`4976-02-13`) keys the dates a
    /// one-digit typo of the year may have come from (`1976-02-13`).
    BirthDate,
    /// Postal code and the given and family names' initials.
    PostcodeInitial,
    /// Postal code and house number.
    PostcodeHouseNumber,
    /// A normalised email's mailbox, without a `+tag`.
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
/// identifying anyone (`info@…`, `0000000000`, `1900-01-01`), and the given
/// names common enough to be names in their own right.
///
/// Detected from the data by [`GenericValues::detect`]; generic values give
/// no blocking key and no evidence when scoring. Two similar given names
/// that are both known names (Mia and Ria) are compared as another name
/// (`other_name`), not as a typo of one (`one_edit`): a typo seldom makes
/// a name that several families hold.
#[derive(Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GenericValues {
    emails: TextSet,
    phones: TextSet,
    national_ids: TextSet,
    birth_dates: FixedSet<chrono::NaiveDate>,
    #[cfg_attr(feature = "serde", serde(default))]
    given_names: TextSet,
}

/// How many distinct family names must hold a given name for it to be a
/// known name (see [`GenericValues::is_known_given_name`]).
const KNOWN_NAME_FAMILIES: usize = 3;

// The generic values are taken from the data (the emails, phones, ids and
// birth dates shared by too many records), so outside `Unredacted` only
// their numbers are shown.
impl fmt::Debug for GenericValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if crate::model::redact::revealing() {
            f.debug_struct("GenericValues")
                .field("emails", &self.emails)
                .field("phones", &self.phones)
                .field("national_ids", &self.national_ids)
                .field("birth_dates", &self.birth_dates)
                .field("given_names", &self.given_names)
                .finish()
        } else {
            f.debug_struct("GenericValues")
                .field("emails", &self.emails.len())
                .field("phones", &self.phones.len())
                .field("national_ids", &self.national_ids.len())
                .field("birth_dates", &self.birth_dates.len())
                .field("given_names", &self.given_names.len())
                .finish()
        }
    }
}

fn name_key(r: &NormalizedRecord) -> u64 {
    hash_parts(&[
        r.given_canonical().unwrap_or("").as_bytes(),
        b"|",
        r.family().unwrap_or("").as_bytes(),
    ])
}

/// The generic values among `(value key, name hash, value)` entries: those
/// held under at least `bar` distinct names, where `bar` is `min_holders`
/// or `ratio` times the mean number of distinct names per value.
fn generic_in<V: Clone + Eq + std::hash::Hash + Send>(
    mut entries: Vec<(u64, u64, V)>,
    min_holders: usize,
    ratio: f64,
) -> FixedSet<V> {
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        entries.par_sort_unstable_by_key(|e| (e.0, e.1));
    }
    #[cfg(not(feature = "rayon"))]
    entries.sort_unstable_by_key(|e| (e.0, e.1));
    // (distinct names, index of one entry) per distinct value.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    while start < entries.len() {
        let mut end = start + 1;
        let mut names = 1;
        while end < entries.len() && entries[end].0 == entries[start].0 {
            if entries[end].1 != entries[end - 1].1 {
                names += 1;
            }
            end += 1;
        }
        runs.push((names, start));
        start = end;
    }
    if runs.is_empty() {
        return FixedSet::default();
    }
    let total: usize = runs.iter().map(|r| r.0).sum();
    let mean = total as f64 / runs.len() as f64;
    let bar = (min_holders as f64).max(ratio * mean);
    runs.iter()
        .filter(|(names, _)| *names as f64 >= bar)
        .map(|(_, i)| entries[*i].2.clone())
        .collect()
}

impl GenericValues {
    /// Finds the generic values of `records`: a value held by records with at
    /// least `min_holders` distinct names, and at least `ratio` times the
    /// mean number of distinct names per value of its kind, is generic.
    ///
    /// Defaults used by [`Resolver`](crate::identity::Resolver): 10 and 20.
    pub fn detect(records: &[NormalizedRecord], min_holders: usize, ratio: f64) -> GenericValues {
        // Values and names are grouped by their 64-bit hashes: no copy of
        // any text but the generic values themselves.
        let text = |s: &str| hash_parts(&[s.as_bytes()]);
        let (mut emails, mut phones, mut ids, mut dates, mut given) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for r in records {
            let name = name_key(r);
            if let Some(g) = r.given() {
                let family = text(r.family().unwrap_or(""));
                given.push((text(g), family, g));
            }
            for e in r.emails() {
                emails.push((text(e), name, e));
            }
            for p in r.phones() {
                phones.push((text(p), name, p));
            }
            for n in r.national_ids() {
                ids.push((text(n), name, n));
            }
            if let Some(d) = r.birth() {
                // OK because a date's day count fits in 64 bits either way.
                dates.push((i64::from(d.num_days_from_ce()) as u64, name, d));
            }
        }
        let owned = |set: FixedSet<&str>| {
            TextSet::from(
                set.into_iter()
                    .map(str::to_owned)
                    .collect::<FixedSet<String>>(),
            )
        };
        GenericValues {
            emails: owned(generic_in(emails, min_holders, ratio)),
            phones: owned(generic_in(phones, min_holders, ratio)),
            national_ids: owned(generic_in(ids, min_holders, ratio)),
            birth_dates: generic_in(dates, min_holders, ratio),
            given_names: owned(generic_in(given, KNOWN_NAME_FAMILIES, 0.0)),
        }
    }

    /// Returns `true` when the normalised given name is held under at least
    /// three family names in the data [`GenericValues::detect`] read: a
    /// name in its own right rather than a typo.
    pub fn is_known_given_name(&self, name: &str) -> bool {
        self.given_names.contains(name)
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

    /// Returns how many generic values there are of all kinds (known given
    /// names are not generic values and are not counted).
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
/// | `max_block_size` | 30 | blocks with more records are skipped (≥ 2) |
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
            max_block_size: 30,
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

    /// Returns `true` when the scope keeps records `a` and `b` of
    /// `records` from being a pair (linkage pairs only records of different
    /// sources).
    fn apart(&self, records: &[NormalizedRecord], a: u32, b: u32) -> bool {
        self.scope == PairScope::AcrossSources
            && records[a as usize].source() == records[b as usize].source()
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

impl RuleBlocker {
    /// Calls `emit` with the parts of each key's text (after `rule:`), rule
    /// by rule: the one definition both [`Blocker::keys`] and
    /// [`Blocker::key_hashes`] read.
    fn each_key(&self, r: &NormalizedRecord, mut emit: impl FnMut(BlockingRule, &[&[u8]])) {
        // Computed once, and only when a rule needs it.
        let family_sx = std::cell::OnceCell::new();
        let family_sx = || *family_sx.get_or_init(|| r.family().and_then(soundex_code));
        let given_initial = initial(r.given_canonical().or(r.given()));
        let birth = r
            .birth()
            .filter(|d| !self.generic.is_generic_birth_date(*d));
        let written = r.birth_written().map(WrittenParts::of);
        for &rule in &self.rules {
            let mut emit = |parts: &[&[u8]]| emit(rule, parts);
            match rule {
                BlockingRule::FamilyPhoneticBirthYear => {
                    if let (Some(i), Some(sx)) = (given_initial, family_sx()) {
                        let (mut buf, mut ib) = ([0u8; 12], [0u8; 4]);
                        let i = i.encode_utf8(&mut ib).as_bytes();
                        if let Some(d) = birth {
                            emit(&[&sx, int_text(d.year(), &mut buf), i]);
                        }
                        if let Some(w) = &written {
                            for y in w.years() {
                                emit(&[&sx, int_text(y, &mut buf), i]);
                            }
                        }
                    }
                }
                BlockingRule::NamesPhonetic => {
                    let given_sx = r.given_canonical().and_then(soundex_code);
                    if let (Some(g), Some(f)) = (given_sx, family_sx()) {
                        emit(&[&g, &f]);
                    }
                }
                BlockingRule::BirthDate => {
                    let dates = birth
                        .into_iter()
                        .chain(written.iter().flat_map(WrittenParts::dates));
                    for d in dates {
                        let mut buf = [0u8; 10];
                        let text = date_key(d, &mut buf);
                        // Either initial, whichever field it is in, so
                        // that swapped names still meet.
                        let mut ib = [0u8; 4];
                        for i in [initial(r.given()), initial(r.family())]
                            .into_iter()
                            .flatten()
                        {
                            emit(&[&text, i.encode_utf8(&mut ib).as_bytes()]);
                        }
                    }
                }
                BlockingRule::PostcodeInitial => {
                    if let (Some(p), Some(g), Some(f)) =
                        (r.postcode(), given_initial, initial(r.family()))
                    {
                        let (mut ia, mut ib) = ([0u8; 4], [0u8; 4]);
                        emit(&[
                            p.as_bytes(),
                            g.encode_utf8(&mut ia).as_bytes(),
                            f.encode_utf8(&mut ib).as_bytes(),
                        ]);
                    }
                }
                BlockingRule::PostcodeHouseNumber => {
                    if let (Some(p), Some(n)) = (r.postcode(), r.street_number()) {
                        emit(&[p.as_bytes(), b"/", n.as_bytes()]);
                    }
                }
                BlockingRule::Email => {
                    for e in r.emails() {
                        if !self.generic.is_generic_email(e) {
                            // The mailbox, without a `+tag`: tagged and
                            // untagged forms meet, and comparison tells
                            // them apart (`same_mailbox`).
                            let (local, domain) = mailbox(e);
                            emit(&[local.as_bytes(), b"@", domain.as_bytes()]);
                        }
                    }
                }
                BlockingRule::Phone => {
                    for p in r.phones() {
                        if !self.generic.is_generic_phone(p) {
                            emit(&[p.as_bytes()]);
                        }
                    }
                }
                BlockingRule::NationalId => {
                    for n in r.national_ids() {
                        if !self.generic.is_generic_national_id(n) {
                            emit(&[n.as_bytes()]);
                        }
                    }
                }
                BlockingRule::AccountId => {
                    for id in r.account_ids() {
                        emit(&[id.as_bytes()]);
                    }
                }
            }
        }
    }
}

impl Blocker for RuleBlocker {
    fn keys(&self, r: &NormalizedRecord) -> Vec<BlockKey> {
        let mut keys = Vec::with_capacity(8);
        self.each_key(r, |rule, parts| {
            let mut text = Vec::new();
            for p in parts {
                text.extend_from_slice(p);
            }
            // Every part is whole UTF-8 text, so the concatenation is too.
            keys.push(BlockKey::new(
                rule.as_str(),
                &String::from_utf8_lossy(&text),
            ));
        });
        keys.sort();
        keys.dedup();
        keys
    }

    fn key_hashes(&self, r: &NormalizedRecord, out: &mut Vec<u64>) {
        // The same bytes as the text `keys` builds, streamed into the hash.
        let start = out.len();
        self.each_key(r, |rule, parts| out.push(key_hash(rule, parts)));
        sort_dedup_tail(out, start);
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

/// Returns the hash of a key of `rule` made of `parts`: the bytes of the
/// text `rule:parts` that [`Blocker::keys`] builds, streamed into the hash.
fn key_hash(rule: BlockingRule, parts: &[&[u8]]) -> u64 {
    let mut h = KeyHasher::default();
    h.write(rule.as_str().as_bytes());
    h.write(b":");
    for p in parts {
        h.write(p);
    }
    h.finish()
}

/// Returns the entries `entries_of(first, chunk, out)` pushes for every
/// chunk of records (`first` being the index of the chunk's first record),
/// sorted and distinct: chunks run in parallel with the `rayon` feature, and
/// the result is the same. Callers refuse more than `u32::MAX` records.
fn sorted_entries<E: Ord + Send>(
    records: &[NormalizedRecord],
    entries_of: impl Fn(u32, &[NormalizedRecord], &mut Vec<E>) + Sync,
) -> Vec<E> {
    const CHUNK: usize = 4096;
    let one = |(c, chunk): (usize, &[NormalizedRecord])| {
        let mut entries = Vec::with_capacity(chunk.len() * 8);
        // OK because callers refuse more than u32::MAX records.
        entries_of((c * CHUNK) as u32, chunk, &mut entries);
        entries
    };
    #[cfg(feature = "rayon")]
    let mut entries: Vec<E> = {
        use rayon::prelude::*;
        let parts: Vec<Vec<E>> = records.par_chunks(CHUNK).enumerate().map(one).collect();
        let mut all = Vec::with_capacity(parts.iter().map(Vec::len).sum());
        for p in parts {
            all.extend(p);
        }
        all.par_sort_unstable();
        all
    };
    #[cfg(not(feature = "rayon"))]
    let mut entries: Vec<E> = {
        let mut all: Vec<E> = records.chunks(CHUNK).enumerate().flat_map(one).collect();
        all.sort_unstable();
        all
    };
    entries.dedup();
    entries
}

/// Returns `(key hash, record index)` for every key of every record, sorted.
pub(crate) fn key_entries(records: &[NormalizedRecord], blocker: &dyn Blocker) -> Vec<(u64, u32)> {
    sorted_entries(records, |first, chunk, out| {
        let mut hashes = Vec::new();
        for (i, r) in (first..).zip(chunk) {
            hashes.clear();
            blocker.key_hashes(r, &mut hashes);
            out.extend(hashes.iter().map(|h| (*h, i)));
        }
    })
}

/// A rule and its candidate pairs.
pub(crate) type RulePairs = (BlockingRule, Vec<(u32, u32)>);

/// Calls `emit(slot, a, b)` for every pair `a < b` of every block of each
/// distinct rule of `params` (`slot` indexing the returned rules), from one
/// pass of key hashing and one sort; returns the rules and the statistics
/// of [`block`] with every rule. Pairs may repeat.
fn each_rule_pair(
    records: &[NormalizedRecord],
    generic: &GenericValues,
    params: &BlockingParams,
    mut emit: impl FnMut(usize, u32, u32),
) -> Result<(Vec<BlockingRule>, BlockingStats)> {
    params.validate()?;
    check_param(
        u32::try_from(records.len()).is_ok(),
        "record count",
        records.len(),
        "exceeds u32::MAX",
    )?;
    let mut rules: Vec<BlockingRule> = params.rules.clone();
    rules.sort();
    rules.dedup();
    let blocker = RuleBlocker::new(&params.clone().rules(&rules), generic.clone());
    let entries: Vec<(u64, u32, u8)> = sorted_entries(records, |first, chunk, out| {
        for (i, r) in (first..).zip(chunk) {
            blocker.each_key(r, |rule, parts| {
                let slot = rules.iter().position(|x| *x == rule).unwrap_or(0);
                out.push((key_hash(rule, parts), i, slot as u8));
            });
        }
    });
    let mut stats = BlockingStats::default();
    each_block_pair(
        &entries,
        |e| e.0,
        params.max_block_size,
        &mut stats,
        |first, &(_, a, _), &(_, b, _)| {
            if a != b && !params.apart(records, a, b) {
                emit(first.2 as usize, a, b);
            }
        },
    );
    Ok((rules, stats))
}

/// Walks the blocks of `entries` (sorted, so that a block's entries, which
/// share a key, are together and in record order), counting them in `stats`
/// and skipping those larger than `max`; calls `pair(first, x, y)` for every
/// two members `x` before `y` of each other block, `first` being the
/// block's first entry.
fn each_block_pair<E>(
    entries: &[E],
    key: impl Fn(&E) -> u64,
    max: usize,
    stats: &mut BlockingStats,
    mut pair: impl FnMut(&E, &E, &E),
) {
    let mut start = 0;
    while start < entries.len() {
        let h = key(&entries[start]);
        let mut end = start + 1;
        while end < entries.len() && key(&entries[end]) == h {
            end += 1;
        }
        stats.keys += 1;
        let members = &entries[start..end];
        start = end;
        if members.len() > max {
            stats.oversized_blocks += 1;
            stats.oversized_records += members.len();
            continue;
        }
        for (i, x) in members.iter().enumerate() {
            for y in &members[i + 1..] {
                pair(&members[0], x, y);
            }
        }
    }
}

/// Returns the candidate pairs of each distinct rule of `params` on its own
/// (what [`block`] gives with that one rule): training needs every rule's
/// pairs apart. The statistics are those of [`block`] with every rule.
pub(crate) fn block_each_rule(
    records: &[NormalizedRecord],
    generic: &GenericValues,
    params: &BlockingParams,
) -> Result<(Vec<RulePairs>, BlockingStats)> {
    let mut lists: Vec<Vec<(u32, u32)>> = Vec::new();
    let (rules, stats) = each_rule_pair(records, generic, params, |slot, a, b| {
        if lists.len() <= slot {
            lists.resize_with(slot + 1, Vec::new);
        }
        lists[slot].push((a, b));
    })?;
    lists.resize_with(rules.len(), Vec::new);
    let mut out: Vec<RulePairs> = rules.into_iter().zip(lists).collect();
    for (_, pairs) in &mut out {
        sort_dedup_pairs(pairs);
    }
    Ok((out, stats))
}

/// Returns the union of every rule's pairs as the candidates [`block`] gives
/// with all the rules, `stats` being what [`block_each_rule`] returned.
pub(crate) fn union_of(by_rule: &[RulePairs], mut stats: BlockingStats) -> CandidatePairs {
    let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(by_rule.iter().map(|(_, p)| p.len()).sum());
    for (_, p) in by_rule {
        pairs.extend_from_slice(p);
    }
    sort_dedup_pairs(&mut pairs);
    pairs.shrink_to_fit();
    stats.pairs = pairs.len();
    CandidatePairs { pairs, stats }
}

/// A rule, how many candidate pairs it proposed, and those its EM session
/// reads (spread evenly over them).
pub(crate) type RuleSample = (BlockingRule, usize, Vec<(u32, u32)>);

/// The candidates of every rule at once: what [`block`] gives with all the
/// rules, and for each candidate the rules that proposed it.
pub(crate) struct RuleBlocking {
    rules: Vec<BlockingRule>,
    candidates: CandidatePairs,
    /// Bit `k` of a candidate's mask: rule `rules[k]` proposed it.
    masks: Vec<u16>,
}

impl RuleBlocking {
    /// Blocks `records` with every rule of `params`, sorting the pairs once.
    pub(crate) fn new(
        records: &[NormalizedRecord],
        generic: &GenericValues,
        params: &BlockingParams,
    ) -> Result<RuleBlocking> {
        let mut tagged: Vec<(u32, u32, u16)> = Vec::new();
        // There are fewer built-in rules than bits in a mask.
        let (rules, mut stats) = each_rule_pair(records, generic, params, |slot, a, b| {
            tagged.push((a, b, 1 << slot));
        })?;
        #[cfg(feature = "rayon")]
        {
            use rayon::prelude::*;
            tagged.par_sort_unstable();
        }
        #[cfg(not(feature = "rayon"))]
        tagged.sort_unstable();
        let (mut pairs, mut masks): (Vec<(u32, u32)>, Vec<u16>) = (Vec::new(), Vec::new());
        for (a, b, bit) in tagged {
            match (pairs.last(), masks.last_mut()) {
                (Some(last), Some(mask)) if *last == (a, b) => *mask |= bit,
                _ => {
                    pairs.push((a, b));
                    masks.push(bit);
                }
            }
        }
        pairs.shrink_to_fit();
        masks.shrink_to_fit();
        stats.pairs = pairs.len();
        Ok(RuleBlocking {
            rules,
            candidates: CandidatePairs { pairs, stats },
            masks,
        })
    }

    /// Returns the candidates.
    pub(crate) fn candidates(&self) -> &CandidatePairs {
        &self.candidates
    }

    /// Returns, for each rule, how many pairs it proposed and at most `n`
    /// of them spread evenly: the pairs at positions `i * len / n` of the
    /// rule's sorted pairs (all of them when there are at most `n`), from
    /// two passes over the candidates for all rules at once.
    pub(crate) fn samples(&self, n: usize) -> Vec<RuleSample> {
        let bits = |m: u16| (0..u16::BITS as usize).filter(move |k| m & (1 << k) != 0);
        let mut counts = vec![0usize; self.rules.len()];
        for m in &self.masks {
            for k in bits(*m) {
                counts[k] += 1;
            }
        }
        let mut out: Vec<Vec<(u32, u32)>> = counts
            .iter()
            .map(|c| Vec::with_capacity((*c).min(n)))
            .collect();
        let mut seen = vec![0usize; self.rules.len()];
        for (p, m) in self.candidates.pairs.iter().zip(&self.masks) {
            for k in bits(*m) {
                let (len, taken) = (counts[k], out[k].len());
                let next = if len <= n { seen[k] } else { taken * len / n };
                if taken < n && seen[k] == next {
                    out[k].push(*p);
                }
                seen[k] += 1;
            }
        }
        self.rules
            .iter()
            .zip(counts)
            .zip(out)
            .map(|((r, c), s)| (*r, c, s))
            .collect()
    }

    /// Returns the candidates, dropping the rules' marks.
    pub(crate) fn into_candidates(self) -> CandidatePairs {
        self.candidates
    }
}

/// Sorts and deduplicates pairs.
pub(crate) fn sort_dedup_pairs(packed: &mut Vec<(u32, u32)>) {
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        packed.par_sort_unstable();
    }
    #[cfg(not(feature = "rayon"))]
    packed.sort_unstable();
    packed.dedup();
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
    let entries = key_entries(records, blocker);
    let mut stats = BlockingStats::default();
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    // Members are sorted by index, so `a < b` in each pair.
    each_block_pair(
        &entries,
        |e| e.0,
        params.max_block_size,
        &mut stats,
        |_, &(_, a), &(_, b)| {
            if !params.apart(records, a, b) {
                pairs.push((a, b));
            }
        },
    );
    sort_dedup_pairs(&mut pairs);
    pairs.shrink_to_fit();
    stats.pairs = pairs.len();
    Ok(CandidatePairs { pairs, stats })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::record::{normalize_record, NormalizeParams};
    use crate::model::{Birth, EmailAddress, PersonName, PostalAddress, SourceRecord, Text};
    use chrono::{NaiveDate, TimeZone, Utc};
    use proptest::prelude::*;

    /// Only `keys`: the provided `key_hashes` hashes their text.
    #[derive(Debug)]
    struct TextOnly(RuleBlocker);

    impl Blocker for TextOnly {
        fn keys(&self, r: &NormalizedRecord) -> Vec<BlockKey> {
            self.0.keys(r)
        }
    }

    fn record(
        given: &str,
        family: &str,
        days: i32,
        postcode: &str,
        email: &str,
    ) -> NormalizedRecord {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut b = SourceRecord::builder("r", "s", at).unwrap();
        if let Ok(n) = PersonName::from_parts(Some(given), Some(family)) {
            b.identity().names.push(n);
        }
        let born =
            NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Duration::days(days.into());
        b.demographic().birth = Some(Birth::Date(born));
        if let Ok(e) = EmailAddress::new(email) {
            b.identity().emails.push(e);
        }
        let mut a = PostalAddress::default();
        a.lines.push(Text::new("12 Main Street").unwrap());
        a.postal_code = Text::new(postcode).ok();
        b.identity().addresses.push(a);
        normalize_record(&b.build().unwrap(), &NormalizeParams::default())
    }

    /// Days from 1900-01-01 to a date, as `record` takes them.
    fn days(y: i32, m: u32, d: u32) -> i32 {
        let from = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
        (NaiveDate::from_ymd_opt(y, m, d).unwrap() - from).num_days() as i32
    }

    /// Whether `a` and `b` share a key of `rule`.
    fn shared(rule: BlockingRule, a: &NormalizedRecord, b: &NormalizedRecord) -> bool {
        let params = BlockingParams::default().rules(&[rule]);
        let blocker = RuleBlocker::new(&params, GenericValues::default());
        let (ka, kb) = (blocker.keys(a), blocker.keys(b));
        ka.iter().any(|k| kb.contains(k))
    }

    #[test]
    fn tagged_mailboxes_and_swapped_dates_share_a_block() {
        let tagged = record(
            "ana",
            "silva",
            days(1980, 9, 19),
            "1000",
            "ana.s+news@gmx.de",
        );
        let plain = record("ana", "silva", days(1980, 9, 19), "1000", "ana.s@gmx.de");
        let other = record("ana", "silva", days(1980, 9, 19), "1000", "ana.t@gmx.de");
        assert!(shared(BlockingRule::Email, &tagged, &plain));
        assert!(!shared(BlockingRule::Email, &tagged, &other));
        // Compared, the mailbox is its own level, below exact.
        let g = GenericValues::default();
        let email = crate::identity::score::Field::Email;
        let level_of = |a, b| crate::identity::score::levels(a, b, &g)[email as usize];
        assert_eq!(
            email.levels()[usize::from(level_of(&tagged, &plain))],
            "same_mailbox"
        );
        assert_eq!(
            email.levels()[usize::from(level_of(&plain, &plain))],
            "exact"
        );
        assert_eq!(
            email.levels()[usize::from(level_of(&tagged, &other))],
            "different"
        );
        // 12 Oct written as 10/12 and read as 10 Dec meets 12 Oct.
        let october = record("raju", "narraman", days(1945, 10, 12), "", "");
        let december = record("raju", "narraman", days(1945, 12, 10), "", "");
        let later = record("raju", "narraman", days(1945, 12, 11), "", "");
        assert!(shared(BlockingRule::BirthDate, &october, &december));
        assert!(!shared(BlockingRule::BirthDate, &october, &later));
    }

    #[test]
    fn impossible_birth_dates_still_block_and_compare_as_written() {
        let g = GenericValues::default();
        let birth = crate::identity::score::Field::BirthDate;
        let level = |a, b| {
            let l = crate::identity::score::levels(a, b, &g)[birth as usize];
            birth.levels()[usize::from(l)]
        };
        let truth = record("ana", "souza", days(1976, 2, 13), "", "");
        // A year typed 4976: after the observation, set aside by `build`.
        let future = record("ana", "souza", days(4976, 2, 13), "", "");
        assert_eq!(future.birth(), None);
        assert_eq!(future.birth_as_written(), Some(49_760_213));
        assert!(shared(BlockingRule::BirthDate, &truth, &future));
        assert!(shared(
            BlockingRule::FamilyPhoneticBirthYear,
            &truth,
            &future
        ));
        assert_eq!(level(&truth, &future), "one_edit");
        // Another person of that name born a year later meets neither key.
        let other = record("ana", "souza", days(1977, 2, 13), "", "");
        assert!(!shared(BlockingRule::BirthDate, &other, &future));
        assert!(!shared(
            BlockingRule::FamilyPhoneticBirthYear,
            &other,
            &future
        ));
        assert_eq!(level(&other, &future), "two_edits");
        // Two records with the same impossible date compare as exact; a
        // date beyond two edits of an impossible one says nothing.
        assert_eq!(level(&future, &future), "exact");
        let far = record("ana", "souza", days(1955, 11, 30), "", "");
        assert_eq!(level(&far, &future), "missing");
        assert_eq!(level(&far, &truth), "different");
    }

    #[test]
    fn typo_years_are_one_digit_away_earlier_and_bounded() {
        let of = |n: u32| WrittenParts::of(WrittenDate::new(n).unwrap());
        assert_eq!(of(49_760_213).typo_years().collect::<Vec<_>>(), [1976]);
        assert_eq!(of(49_760_213).dates().count(), 1);
        let near = of(20_300_101).typo_years().collect::<Vec<_>>();
        assert_eq!(near, [2000, 2010, 2020]);
        // A 31 September: the month and day are wrong, the year stands.
        let september = of(19_810_931);
        assert!(!september.calendar);
        assert_eq!(september.years().collect::<Vec<_>>(), [1981]);
        assert_eq!(september.dates().count(), 0);
        // A 29 February in a year that has none keeps no candidate date.
        assert_eq!(of(30_010_229).dates().count(), 0);
        for n in [10_000_101, 99_991_231, 99_999_999, 19_000_000] {
            assert!(of(n).typo_years().count() <= MAX_TYPO_YEARS);
            assert!(of(n).typo_years().all(|y| TYPO_YEARS.contains(&y)));
        }
    }

    #[test]
    fn similar_known_names_compare_as_another_name_and_typos_do_not() {
        let mut records = Vec::new();
        for (i, family) in ["silva", "nagy", "smith"].iter().enumerate() {
            for given in ["mia", "ria", "jean", "vero", "veronique"] {
                records.push(record(given, family, i as i32, "", ""));
            }
        }
        records.push(record("jwean", "smith", 9, "", ""));
        let g = GenericValues::detect(&records, 10, 20.0);
        assert!(g.is_known_given_name("mia") && g.is_known_given_name("jean"));
        assert!(!g.is_known_given_name("jwean"));
        // Known names are not generic values.
        assert!(g.is_empty());
        let given = crate::identity::score::Field::GivenName;
        let label = |a: usize, b: usize| {
            let v = crate::identity::score::levels(&records[a], &records[b], &g);
            given.levels()[usize::from(v[given as usize])]
        };
        assert_eq!(label(0, 1), "other_name_one_edit"); // mia, ria
        assert_eq!(label(3, 4), "other_name"); // vero, veronique
        assert_eq!(label(2, 15), "jw>=0.92"); // jean, jwean
        assert_eq!(label(0, 5), "exact");
        // Without the counts (the standard model), similar names are typos.
        let none = GenericValues::default();
        let v = crate::identity::score::levels(&records[0], &records[1], &none);
        assert_eq!(given.levels()[usize::from(v[given as usize])], "one_edit");
    }

    #[test]
    fn each_rule_in_one_pass_equals_blocking_with_that_rule_alone() {
        let names = ["ana", "anna", "bela", "bill", "rui"];
        let families = ["silva", "nagy", "smith", "silvo"];
        let records: Vec<NormalizedRecord> = (0..120)
            .map(|i: usize| {
                record(
                    names[i % 5],
                    families[i % 4],
                    (i % 7) as i32 * 400,
                    ["1000", "1001", ""][i % 3],
                    &format!("u{}@x.com", i % 11),
                )
            })
            .collect();
        let params = BlockingParams::default().max_block_size(12);
        let (by_rule, stats) =
            block_each_rule(&records, &GenericValues::default(), &params).unwrap();
        assert!(by_rule.iter().filter(|(_, p)| !p.is_empty()).count() >= 3);
        let blocker = RuleBlocker::new(&params, GenericValues::default());
        let all = block(&records, &blocker, &params).unwrap();
        assert!(all.stats().oversized_blocks > 0);
        assert_eq!(union_of(&by_rule, stats), all);
        let at_once = RuleBlocking::new(&records, &GenericValues::default(), &params).unwrap();
        assert_eq!(at_once.candidates(), &all);
        for n in [1, 7, 40, 10_000] {
            let samples = at_once.samples(n);
            for ((rule, pairs), (r, len, sample)) in by_rule.iter().zip(&samples) {
                assert_eq!((rule, pairs.len()), (r, *len));
                let spread: Vec<(u32, u32)> = if pairs.len() <= n {
                    pairs.clone()
                } else {
                    (0..n).map(|i| pairs[i * pairs.len() / n]).collect()
                };
                assert_eq!(sample, &spread, "{rule:?} {n}");
            }
        }
        for (rule, pairs) in by_rule {
            let single = params.clone().rules(&[rule]);
            let blocker = RuleBlocker::new(&single, GenericValues::default());
            let alone = block(&records, &blocker, &single).unwrap();
            assert_eq!(pairs, alone.pairs(), "{rule:?}");
        }
    }

    proptest! {
        #[test]
        fn fast_key_hashes_equal_hashes_of_key_text(
            given in "\\PC{0,8}", family in "\\PC{0,8}", days in 0i32..40_000,
            postcode in "[0-9A-Z ]{0,6}", email in "[a-z.]{1,6}@[a-z]{1,4}\\.com",
        ) {
            let r = record(&given, &family, days, &postcode, &email);
            let fast = RuleBlocker::new(&BlockingParams::default(), GenericValues::default());
            let text = TextOnly(fast.clone());
            let (mut a, mut b) = (Vec::new(), Vec::new());
            fast.key_hashes(&r, &mut a);
            text.key_hashes(&r, &mut b);
            prop_assert_eq!(a, b);
        }
    }
}
