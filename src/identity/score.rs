//! Pair scoring: comparison levels, Fellegi–Sunter weights, training.
//!
//! Each [`Field`] compares two records into a *level* (exact, nickname,
//! close, different, missing, …). A [`MatchModel`] holds, per level, the
//! probability `m` of that level among true matches and `u` among
//! non-matches; the level's weight is `log2(m / u)` bits and a pair's score
//! is the prior log-odds plus the sum of its levels' weights (Fellegi and
//! Sunter, 1969). `u` is estimated from random pairs (exact agreement on a
//! birth date, email, phone or national id, too rare for a sample to
//! measure, is counted over every record), `m` by
//! expectation-maximisation over the candidate pairs without labels
//! ([`MatchModel::train`]) or from labelled pairs
//! ([`MatchModel::from_labelled`]). Exact agreement on a common value (Smith,
//! Silva, Nagy) earns less than on a rare one: the term-frequency
//! adjustment replaces `u` by the value's frequency.

use std::collections::HashMap;
use std::fmt;

use chrono::Datelike;

use crate::error::Result;
use crate::identity::block::{
    block_each_rule, union_of, BlockingParams, BlockingRule, CandidatePairs, GenericValues,
    PairScope, RuleBlocking, RuleSample,
};
use crate::identity::compare::{edits_within, jaro_winkler_from, osa_within, token_set};
use crate::identity::error::{check_param, Detail};
use crate::identity::hash::{hash_parts, FixedMap};
use crate::identity::normalize::{date_digits, is_day_month_swap, written_digits};
use crate::identity::record::{NormalizedRecord, Values};
use crate::model::RecordId;

/// A compared attribute of a pair of records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Field {
    /// Given name: exact, nickname, swapped with the family name,
    /// Jaro-Winkler ≥ 0.92, one edit (a typo or two letters swapped, as in
    /// amy/may), Jaro-Winkler ≥ 0.80, an initial of the other, another
    /// name (similar, but both names that several families hold, as Vero and
    /// Veronique: see [`GenericValues::is_known_given_name`]), another name
    /// one edit away (Mia and Ria, Paul and Paula), different.
    GivenName,
    /// Family name: exact, swapped, Jaro-Winkler ≥ 0.92, ≥ 0.80, different.
    FamilyName,
    /// Date of birth: exact, day/month swapped, one edit, two edits, different.
    /// A date set aside as impossible is compared by its digits as written
    /// ([`NormalizedRecord::birth_as_written`]), on the same levels; one
    /// more than two edits away counts as missing, not as different.
    BirthDate,
    /// National id: exact, one edit, two edits, different.
    NationalId,
    /// Email: exact, one mailbox (equal once a `+tag` is dropped, at any
    /// provider), different. No fuzzy level: a username built from the name
    /// must not earn credit on top of the name.
    Email,
    /// Phone: exact E.164, same last seven digits, different.
    Phone,
    /// House number: exact, different.
    StreetNumber,
    /// Street: exact, Jaro-Winkler ≥ 0.90, ≥ 0.75 or half the words shared,
    /// different (also when the postcodes, or localities, differ).
    Street,
    /// Further address lines: exact, Jaro-Winkler ≥ 0.90, ≥ 0.75, different.
    AddressExtra,
    /// City or locality: exact, Jaro-Winkler ≥ 0.90, different.
    Locality,
    /// Postal code: exact, one edit, different.
    Postcode,
    /// State or region: exact, different.
    Region,
    /// An identifier another system issued (a user id, a CRM contact id, a
    /// device's anonymous id): exact, different.
    AccountId,
}

const GIVEN_LEVELS: &[&str] = &[
    "missing",
    "exact",
    "nickname",
    "swapped",
    "jw>=0.92",
    "one_edit",
    "jw>=0.80",
    "initial",
    "other_name",
    "other_name_one_edit",
    "different",
];
const FAMILY_LEVELS: &[&str] = &[
    "missing",
    "exact",
    "swapped",
    "jw>=0.92",
    "jw>=0.80",
    "different",
];
const DATE_LEVELS: &[&str] = &[
    "missing",
    "exact",
    "day_month_swapped",
    "one_edit",
    "two_edits",
    "different",
];
const ID_LEVELS: &[&str] = &["missing", "exact", "one_edit", "two_edits", "different"];
const EXACT_LEVELS: &[&str] = &["missing", "exact", "different"];
const EMAIL_LEVELS: &[&str] = &["missing", "exact", "same_mailbox", "different"];
const PHONE_LEVELS: &[&str] = &["missing", "exact", "same_last_7", "different"];
const TEXT3_LEVELS: &[&str] = &["missing", "exact", "jw>=0.90", "jw>=0.75", "different"];
const TEXT2_LEVELS: &[&str] = &["missing", "exact", "jw>=0.90", "different"];
const POSTCODE_LEVELS: &[&str] = &["missing", "exact", "one_edit", "different"];

/// How many fields a pair is compared on.
pub(crate) const FIELDS: usize = 13;

impl Field {
    /// Every field, in comparison order.
    pub const ALL: [Field; FIELDS] = [
        Field::GivenName,
        Field::FamilyName,
        Field::BirthDate,
        Field::NationalId,
        Field::Email,
        Field::Phone,
        Field::StreetNumber,
        Field::Street,
        Field::AddressExtra,
        Field::Locality,
        Field::Postcode,
        Field::Region,
        Field::AccountId,
    ];

    /// Returns the field's snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::GivenName => "given_name",
            Field::FamilyName => "family_name",
            Field::BirthDate => "birth_date",
            Field::NationalId => "national_id",
            Field::Email => "email",
            Field::Phone => "phone",
            Field::StreetNumber => "street_number",
            Field::Street => "street",
            Field::AddressExtra => "address_extra",
            Field::Locality => "locality",
            Field::Postcode => "postcode",
            Field::Region => "region",
            Field::AccountId => "account_id",
        }
    }

    /// Returns the labels of the field's levels; level 0 is always
    /// `"missing"` (no evidence) and the last is `"different"`.
    pub fn levels(self) -> &'static [&'static str] {
        match self {
            Field::GivenName => GIVEN_LEVELS,
            Field::FamilyName => FAMILY_LEVELS,
            Field::BirthDate => DATE_LEVELS,
            Field::NationalId => ID_LEVELS,
            Field::Email => EMAIL_LEVELS,
            Field::StreetNumber | Field::Region | Field::AccountId => EXACT_LEVELS,
            Field::Phone => PHONE_LEVELS,
            Field::Street | Field::AddressExtra => TEXT3_LEVELS,
            Field::Locality => TEXT2_LEVELS,
            Field::Postcode => POSTCODE_LEVELS,
        }
    }

    pub(crate) fn index(self) -> usize {
        // The variants are declared in `Field::ALL` order (a test checks it).
        self as usize
    }

    /// Returns the field's position in [`TF_FIELDS`], for the fields that
    /// have a term-frequency adjustment.
    fn tf_slot(self) -> Option<usize> {
        match self {
            Field::GivenName => Some(0),
            Field::FamilyName => Some(1),
            Field::Street => Some(2),
            Field::Locality => Some(3),
            Field::Postcode => Some(4),
            _ => None,
        }
    }

    /// Returns the value of `r` whose exact agreement is adjusted for its
    /// frequency, for the fields that have a term-frequency adjustment.
    fn tf_value(self, r: &NormalizedRecord) -> Option<&str> {
        match self {
            Field::GivenName => r.given(),
            Field::FamilyName => r.family(),
            Field::Street => r.street(),
            Field::Locality => r.locality(),
            Field::Postcode => r.postcode(),
            _ => None,
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Jaro-Winkler similarity of `a` and `b` when it may reach `floor`, and
/// otherwise a value below `floor`: every caller tells apart only values
/// from `floor` up (see [`jaro_winkler_from`]).
fn jw(a: &str, b: &str, floor: f64) -> f64 {
    // A fixed argument order keeps the level symmetric whatever the order
    // of the pair.
    if a <= b {
        jaro_winkler_from(a, b, floor)
    } else {
        jaro_winkler_from(b, a, floor)
    }
}

fn text_level(a: Option<&str>, b: Option<&str>, hi: f64, lo: Option<f64>) -> u8 {
    let (Some(a), Some(b)) = (a, b) else { return 0 };
    if a == b {
        return 1;
    }
    let s = jw(a, b, lo.unwrap_or(hi));
    match lo {
        Some(lo) => {
            if s >= hi {
                2
            } else if s >= lo || token_set(a, b) >= 0.5 {
                3
            } else {
                4
            }
        }
        None => {
            if s >= hi {
                2
            } else {
                3
            }
        }
    }
}

/// The most values of each list that are compared pair by pair for a fuzzy
/// level; agreement on one value is looked for among all of them.
const MAX_LIST_COMPARED: usize = 16;

/// Whether two sorted lists share a value: one merge, linear in both.
fn share_a_value<'v>(
    mut a: impl Iterator<Item = &'v str>,
    mut b: impl Iterator<Item = &'v str>,
) -> bool {
    let (mut x, mut y) = (a.next(), b.next());
    while let (Some(p), Some(q)) = (x, y) {
        match p.cmp(q) {
            std::cmp::Ordering::Less => x = a.next(),
            std::cmp::Ordering::Greater => y = b.next(),
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// Best (lowest non-zero) level over the value pairs of two sorted lists,
/// where `f` gives level 1 to equal values: a shared value is found by a
/// merge of the whole lists, and other levels among the first
/// [`MAX_LIST_COMPARED`] values of each, so that the cost stays linear
/// however many values a record holds.
fn best_of<'v, F: Fn(&str, &str) -> u8>(
    a: Values<'v>,
    b: Values<'v>,
    skip: impl Fn(&str) -> bool,
    f: F,
) -> u8 {
    let kept = |v: &Values<'v>| v.clone().filter(|x| !skip(x));
    if share_a_value(kept(&a), kept(&b)) {
        return 1;
    }
    let mut best = 0u8;
    for x in kept(&a).take(MAX_LIST_COMPARED) {
        for y in kept(&b).take(MAX_LIST_COMPARED) {
            let l = f(x, y);
            if best == 0 || l < best {
                best = l;
            }
        }
    }
    best
}

/// An email address without its `+tag` (`ana+news@x.de` → `ana`, `x.de`):
/// most providers deliver tagged mail to the untagged mailbox, though only
/// some document it (the normaliser drops tags for those alone).
pub(crate) fn mailbox(email: &str) -> (&str, &str) {
    match email.rsplit_once('@') {
        Some((local, domain)) => (local.split('+').next().unwrap_or(local), domain),
        None => (email, ""),
    }
}

/// Compares issued identifiers within each issuing system only: the same id
/// is level 1, another id of the same system level 2 (different), and ids of
/// different systems say nothing (level 0), since one person holds ids in
/// many systems. Linear (after sorting `b`'s systems) in the number of ids.
fn account_level(a: Values<'_>, b: Values<'_>) -> u8 {
    fn namespace(id: &str) -> &str {
        let mut cut = id.match_indices(':').map(|(i, _)| i);
        match (cut.next(), cut.next()) {
            (Some(_), Some(second)) => &id[..second],
            _ => id,
        }
    }
    if share_a_value(a.clone(), b.clone()) {
        return 1;
    }
    let mut systems: Vec<&str> = b.map(namespace).collect();
    systems.sort_unstable();
    if a.map(namespace).any(|n| systems.binary_search(&n).is_ok()) {
        2
    } else {
        0
    }
}

/// Whether `initial` is one letter (or letters apart by spaces, "j r") that
/// begins the words of `name` in order.
fn is_initial_of(initial: &str, name: &str) -> bool {
    let mut words = name.split(' ').filter(|w| !w.is_empty());
    let mut any = false;
    for i in initial.split(' ').filter(|w| !w.is_empty()) {
        let mut chars = i.chars();
        let (Some(c), None) = (chars.next(), chars.next()) else {
            return false;
        };
        match words.next() {
            Some(w) if w.starts_with(c) => any = true,
            _ => return false,
        }
    }
    any
}

/// Returns the level of two dates' digits that are neither equal nor a
/// day/month swap: one edit, two edits, or different.
fn date_level(x: &[u8; 8], y: &[u8; 8]) -> u8 {
    match osa_within(x, y, 2) {
        1 => 3,
        2 => 4,
        _ => 5,
    }
}

fn id_level(x: &str, y: &str) -> u8 {
    if x == y {
        return 1;
    }
    match edits_within(x, y, 2) {
        1 => 2,
        2 => 3,
        _ => 4,
    }
}

/// Whether two records name one person with given and family name swapped:
/// each record's given name is the other's family name, or one crossing is
/// exact and the other one edit or Jaro-Winkler 0.92 away (a swap with a
/// typo). One name shared across the two positions is not a swap when the
/// other names differ: "Ifeoma Ibrahim" and "Ibrahim Bello" share a name,
/// and counting that as a swap of both fields weighed it twice, as both
/// names agreeing.
fn names_swapped(a: &NormalizedRecord, b: &NormalizedRecord) -> bool {
    let (Some(ag), Some(af), Some(bg), Some(bf)) = (a.given(), a.family(), b.given(), b.family())
    else {
        return false;
    };
    let close = |x: &str, y: &str| x == y || edits_within(x, y, 1) <= 1 || jw(x, y, 0.92) >= 0.92;
    (ag == bf && close(bg, af)) || (bg == af && close(ag, bf))
}

/// The level of two family names that differ: close (Jaro-Winkler 0.92),
/// similar (0.80) or different.
fn family_text_level(x: &str, y: &str) -> u8 {
    let s = jw(x, y, 0.80);
    if s >= 0.92 {
        3
    } else if s >= 0.80 {
        4
    } else {
        5
    }
}

/// The single name of a pair and the other record's family name, when the
/// single name is read as that family name: one record is known by a
/// single name (a mononym, or a row that gave only its family name), the
/// other has a given and a family name, and the single name fits the family
/// name better than the given name. It fits the family name when it is
/// that name or similar to it (Jaro-Winkler 0.80), and the given name when
/// it is that name, one edit from it, or at least as similar. "Chlham"
/// against "Mia Chalham" is then a family name that agrees with a typo and
/// a given name missing, not a given name that differs: read as a given
/// name it weighed against the pair and left the family name unused.
fn mononym_as_family<'r>(
    a: &'r NormalizedRecord,
    b: &'r NormalizedRecord,
) -> Option<(&'r str, &'r str)> {
    let (m, other) = match (a.mononym(), b.mononym()) {
        (Some(m), None) => (m, b),
        (None, Some(m)) => (m, a),
        _ => return None,
    };
    let (given, family) = (other.given()?, other.family()?);
    let fits_family = m != given
        && (m == family || {
            let to_family = jw(m, family, 0.80);
            to_family >= 0.80 && to_family > jw(m, given, 0.80) && edits_within(m, given, 1) > 1
        });
    fits_family.then_some((m, family))
}

/// Returns the level of `field` for the pair `(a, b)`.
pub(crate) fn level(
    field: Field,
    a: &NormalizedRecord,
    b: &NormalizedRecord,
    generic: &GenericValues,
) -> u8 {
    match field {
        Field::GivenName => {
            if mononym_as_family(a, b).is_some() {
                return 0;
            }
            let (ag, bg) = match (a.mononym(), b.mononym()) {
                // A mononym may sit in either field of the other record.
                (Some(m), _) => (Some(m), b.given().or(b.family())),
                (_, Some(m)) => (a.given().or(a.family()), Some(m)),
                _ => (a.given(), b.given()),
            };
            let (Some(x), Some(y)) = (ag, bg) else {
                return 0;
            };
            if x == y {
                return 1;
            }
            if a.given_canonical().is_some() && a.given_canonical() == b.given_canonical() {
                return 2;
            }
            // A single name that is the other's family name was read as a
            // family name above.
            if a.mononym().is_none() && b.mononym().is_none() && names_swapped(a, b) {
                return 3;
            }
            let s = jw(x, y, 0.80);
            let similar = if s >= 0.92 {
                4
            } else if edits_within(x, y, 1) == 1 {
                5
            } else if s >= 0.80 {
                6
            } else if is_initial_of(x, y) || is_initial_of(y, x) {
                return 7;
            } else {
                return 10;
            };
            // Two similar names that are both names in their own right are
            // another name rather than a typo: one edit apart (Mia, Ria;
            // Paul, Paula), as twins are often named, or further apart, as
            // a name and its short form are (Vero, Veronique). Training
            // weighs each.
            if generic.is_known_given_name(x) && generic.is_known_given_name(y) {
                if edits_within(x, y, 1) <= 1 {
                    9
                } else {
                    8
                }
            } else {
                similar
            }
        }
        Field::FamilyName => {
            if let Some((m, family)) = mononym_as_family(a, b) {
                return if m == family {
                    1
                } else {
                    family_text_level(m, family)
                };
            }
            if a.is_mononym() || b.is_mononym() {
                return 0;
            }
            let (Some(x), Some(y)) = (a.family(), b.family()) else {
                return 0;
            };
            if x == y {
                return 1;
            }
            if names_swapped(a, b) {
                return 2;
            }
            family_text_level(x, y)
        }
        Field::BirthDate => {
            let ok = |d: &chrono::NaiveDate| !generic.is_generic_birth_date(*d);
            match (a.birth(), b.birth()) {
                (Some(x), Some(y)) => {
                    let (Some(x), Some(y)) = (Some(x).filter(ok), Some(y).filter(ok)) else {
                        return 0;
                    };
                    if x == y {
                        return 1;
                    }
                    if is_day_month_swap(x, y) {
                        return 2;
                    }
                    date_level(&date_digits(x), &date_digits(y))
                }
                // A date set aside as impossible is compared as written,
                // digit by digit: `4976-02-13` is one edit from 1976-02-13.
                // Beyond two edits it counts as missing.
                (x, y) => {
                    let digits = |d: Option<chrono::NaiveDate>, r: &NormalizedRecord| match d {
                        Some(d) if ok(&d) => Some(date_digits(d)),
                        Some(_) => None,
                        None => r.birth_written().map(written_digits),
                    };
                    let (Some(x), Some(y)) = (digits(x, a), digits(y, b)) else {
                        return 0;
                    };
                    // A value already known to be wrong that is not within
                    // two typos of the other says nothing either way: it
                    // is no conflict, as it would be between valid dates.
                    if x == y {
                        1
                    } else if x[..4] == y[..4] && x[4..6] == y[6..] && x[6..] == y[4..6] {
                        2
                    } else {
                        match date_level(&x, &y) {
                            5 => 0,
                            l => l,
                        }
                    }
                }
            }
        }
        Field::NationalId => best_of(
            a.national_ids(),
            b.national_ids(),
            |v| generic.is_generic_national_id(v),
            id_level,
        ),
        Field::Email => best_of(
            a.emails(),
            b.emails(),
            |v| generic.is_generic_email(v),
            |x, y| {
                if x == y {
                    1
                } else if mailbox(x) == mailbox(y) {
                    2
                } else {
                    3
                }
            },
        ),
        Field::AccountId => account_level(a.account_ids(), b.account_ids()),
        Field::Phone => best_of(
            a.phones(),
            b.phones(),
            |v| generic.is_generic_phone(v),
            |x, y| {
                if x == y {
                    1
                } else if x.len() >= 8 && y.len() >= 8 && x[x.len() - 7..] == y[y.len() - 7..] {
                    2
                } else {
                    3
                }
            },
        ),
        Field::StreetNumber => match (a.street_number(), b.street_number()) {
            (Some(x), Some(y)) => {
                if x == y {
                    1
                } else {
                    2
                }
            }
            _ => 0,
        },
        Field::Street => text_level(a.street(), b.street(), 0.90, Some(0.75)),
        Field::AddressExtra => text_level(a.address_extra(), b.address_extra(), 0.90, Some(0.75)),
        Field::Locality => text_level(a.locality(), b.locality(), 0.90, None),
        Field::Postcode => match (a.postcode(), b.postcode()) {
            (Some(x), Some(y)) if x == y => 1,
            (Some(x), Some(y)) if edits_within(x, y, 1) == 1 => 2,
            (Some(_), Some(_)) => 3,
            _ => 0,
        },
        Field::Region => match (a.region(), b.region()) {
            (Some(x), Some(y)) => {
                if x == y {
                    1
                } else {
                    2
                }
            }
            _ => 0,
        },
    }
}

/// The comparison levels of a pair, one per [`Field::ALL`] entry.
pub(crate) fn levels(
    a: &NormalizedRecord,
    b: &NormalizedRecord,
    generic: &GenericValues,
) -> [u8; FIELDS] {
    // The places are compared from the most specific down, so that a level
    // `nest_places` would set aside is never computed: most candidate pairs
    // of a large population live in different places, and their streets
    // and towns are the costliest text to compare.
    let postcode = level(Field::Postcode, a, b, generic);
    let locality = if postcode == 0 {
        level(Field::Locality, a, b, generic)
    } else {
        0
    };
    let region = if postcode == 0 && locality == 0 {
        level(Field::Region, a, b, generic)
    } else {
        0
    };
    let places_differ = postcode == 3 || (postcode == 0 && locality == 3);
    let mut out = [0u8; FIELDS];
    for (i, f) in Field::ALL.iter().enumerate() {
        out[i] = match f {
            Field::Postcode => postcode,
            Field::Locality => locality,
            Field::Region => region,
            Field::Street if places_differ => {
                if a.street().is_some() && b.street().is_some() {
                    (Field::Street.levels().len() - 1) as u8
                } else {
                    0
                }
            }
            _ => level(*f, a, b, generic),
        };
    }
    // Every pair the crate's own tests score is checked against the plain
    // comparison (see also `place_shortcut_equals_the_full_comparison`);
    // users' debug builds do not pay for it.
    #[cfg(test)]
    assert_eq!(out, levels_in_full(a, b, generic));
    out
}

/// [`levels`] computed the plain way, every field compared and then the
/// places nested: what the shortcut in `levels` must equal.
#[cfg(test)]
fn levels_in_full(
    a: &NormalizedRecord,
    b: &NormalizedRecord,
    generic: &GenericValues,
) -> [u8; FIELDS] {
    let mut out = [0u8; FIELDS];
    for (i, f) in Field::ALL.iter().enumerate() {
        out[i] = level(*f, a, b, generic);
    }
    nest_places(&mut out);
    out
}

/// Keeps only the most specific place both records name: a postcode says
/// the locality and the region, and a locality the region, so counting all
/// three would weigh one fact (one place) three times — the dependence that
/// made namesakes of one town look like one person. The less specific
/// levels become missing (no evidence) when a more specific one is there,
/// and a street name shared across two different places is a different
/// street.
#[cfg(test)]
fn nest_places(v: &mut [u8; FIELDS]) {
    // The most specific place both records name, and whether it differs.
    let differs = if v[Field::Postcode.index()] != 0 {
        v[Field::Locality.index()] = 0;
        v[Field::Region.index()] = 0;
        v[Field::Postcode.index()] == 3
    } else if v[Field::Locality.index()] != 0 {
        v[Field::Region.index()] = 0;
        v[Field::Locality.index()] == 3
    } else {
        false
    };
    // A street names a spot within a place: one street name in two places
    // is two streets ("Main Street" runs through many towns), so where the
    // places differ the streets do too. (A house number is left as it is:
    // it is compared on its own, and a mistyped postcode should not also
    // cost the number's agreement.)
    if differs && v[Field::Street.index()] != 0 {
        v[Field::Street.index()] = (Field::Street.levels().len() - 1) as u8;
    }
}

/// A deterministic rule: identifying values that count as strong evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum MatchRule {
    /// Both records hold the same non-generic normalised email, and their
    /// national ids, if both have one, do not differ beyond a typo.
    SameEmail,
    /// Both records hold the same non-generic E.164 phone, and their
    /// national ids, if both have one, do not differ beyond a typo.
    SamePhone,
    /// Both records hold the same identifier issued by one system (a user
    /// id, a CRM contact id, a device's anonymous id).
    SameAccountId,
}

/// The score of a pair.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MatchScore {
    weight: f64,
    rule: Option<MatchRule>,
}

impl MatchScore {
    /// Returns a score of `weight` bits (prior log-odds plus the evidence)
    /// and no deterministic rule: what a [`Matcher`] of one's own returns.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    /// when `weight` is not finite: clustering orders and averages weights,
    /// which a NaN or an infinity would leave meaningless.
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::identity::MatchScore;
    /// let s = MatchScore::new(3.0)?;
    /// assert_eq!(s.probability(), 8.0 / 9.0);
    /// assert!(s.rule().is_none());
    /// assert!(MatchScore::new(f64::NAN).is_err());
    /// # Ok::<(), custodia::Error>(())
    /// ```
    pub fn new(weight: f64) -> Result<MatchScore> {
        check_param(weight.is_finite(), "weight", weight, "must be finite")?;
        Ok(MatchScore { weight, rule: None })
    }

    /// Returns the match weight in bits: prior log-odds plus the evidence.
    pub fn weight(&self) -> f64 {
        self.weight
    }

    /// Returns the probability that the pair is a match, `1 / (1 + 2^-weight)`.
    pub fn probability(&self) -> f64 {
        probability(self.weight)
    }

    /// Returns the deterministic rule that fired, if any.
    pub fn rule(&self) -> Option<MatchRule> {
        self.rule
    }
}

pub(crate) fn probability(weight: f64) -> f64 {
    1.0 / (1.0 + (-weight).exp2())
}

/// One field's part in a pair's score.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ComparisonExplanation {
    /// The field compared.
    pub field: Field,
    /// The level index (0 is missing).
    pub level: u8,
    /// The level's label.
    pub label: String,
    /// The level's weight in bits, `log2(m / u)`.
    pub weight: f64,
    /// The term-frequency adjustment in bits added to `weight`.
    pub tf_adjustment: f64,
}

/// Why a pair scored as it did: data a program can store or show.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MatchExplanation {
    /// The first record.
    pub a: RecordId,
    /// The second record.
    pub b: RecordId,
    /// The prior log-odds in bits.
    pub prior_weight: f64,
    /// Each field's level and weight.
    pub comparisons: Vec<ComparisonExplanation>,
    /// The deterministic rule that fired, if any.
    pub rule: Option<MatchRule>,
    /// The weight the rule added, in bits.
    pub rule_weight: f64,
    /// The total weight in bits.
    pub weight: f64,
    /// The match probability.
    pub probability: f64,
    /// Whether the pair reaches the model's link threshold.
    pub is_link: bool,
    /// Which of the model's parts weighed the pair.
    pub context: ScoreContext,
}

/// Which part of a [`MatchModel`] weighed a pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum ScoreContext {
    /// The whole model: every field is independent evidence.
    #[default]
    General,
    /// The household model: the records share a family name and an
    /// address or phone, which a household's members share too, so only
    /// the given name, birth date, phone and personal identifiers count,
    /// with weights trained on household pairs; the address fields and the
    /// family name weigh 0. The given name and the birth date are weighed
    /// together (twins share the one and often have similar other): the
    /// given name's comparison carries the weight of both levels at once,
    /// and the birth date's weighs 0.
    Household,
    /// The namesake model: the records share their given and family name
    /// (and no household), so the name weighs 0 and the other fields carry
    /// weights trained on pairs of namesakes, where a name-derived email or
    /// a birth year agrees far more often between different people than
    /// between two records drawn at random. Term-frequency adjustments
    /// still apply: a rare name says more than a common one.
    Namesake,
}

/// Something that scores and explains pairs of normalised records.
///
/// Both methods must be pure and symmetric. [`MatchModel`] is the crate's
/// own; a matcher of one's own builds its scores with [`MatchScore::new`]
/// and can be handed to [`cluster`](crate::identity::cluster).
pub trait Matcher: fmt::Debug + Send + Sync {
    /// Returns the score of the pair.
    fn score(&self, a: &NormalizedRecord, b: &NormalizedRecord) -> MatchScore;
    /// Returns the score of the pair with every part that made it.
    fn explain(&self, a: &NormalizedRecord, b: &NormalizedRecord) -> MatchExplanation;
    /// Returns the weight in bits from which a pair is a link.
    fn link_weight(&self) -> f64;
    /// Returns `true` when the pair holds strong conflicting evidence (such
    /// as birth dates that differ beyond a typo, or two members of one
    /// household), which refuses a merge whose cross pairs mostly
    /// conflict. None by default.
    fn is_conflict(&self, a: &NormalizedRecord, b: &NormalizedRecord) -> bool {
        let _ = (a, b);
        false
    }
    /// Returns [`Matcher::score`] and [`Matcher::is_conflict`] of the pair
    /// at once (a matcher may compare the pair once for both).
    fn score_and_conflict(&self, a: &NormalizedRecord, b: &NormalizedRecord) -> (MatchScore, bool) {
        (self.score(a, b), self.is_conflict(a, b))
    }
}

/// Options of training a [`MatchModel`].
///
/// | option | default | meaning |
/// |---|---|---|
/// | `u_samples` | 200 000 | random pairs drawn to estimate `u` (≥ 100; exact agreement on a birth date, email, phone or national id is counted over every record instead) |
/// | `em_iterations` | 40 | most EM iterations (≥ 1) |
/// | `seed` | 0x5eed | seed of the random pair sampler |
/// | `rule_weight` | 12 | bits a deterministic rule adds (≥ 0) |
/// | `max_tf_adjustment` | 6 | largest term-frequency adjustment in bits, either way (≥ 0) |
/// | `scope` | [`PairScope::All`] | which random pairs estimate `u` |
/// | `max_training_pairs` | 100 000 | most candidate pairs per EM session, spread evenly (≥ 100) |
/// | `min_training_pairs` | 1 000 | fewer candidate pairs than this are weighed by [`MatchModel::standard`] instead of training (≥ 1) |
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TrainParams {
    u_samples: usize,
    em_iterations: usize,
    seed: u64,
    rule_weight: f64,
    max_tf_adjustment: f64,
    scope: PairScope,
    max_training_pairs: usize,
    #[cfg_attr(feature = "serde", serde(default = "default_min_training_pairs"))]
    min_training_pairs: usize,
}

#[cfg(feature = "serde")]
fn default_min_training_pairs() -> usize {
    TrainParams::default().min_training_pairs
}

impl Default for TrainParams {
    fn default() -> TrainParams {
        TrainParams {
            u_samples: 200_000,
            em_iterations: 40,
            seed: 0x5eed,
            rule_weight: 12.0,
            max_tf_adjustment: 6.0,
            scope: PairScope::All,
            max_training_pairs: 100_000,
            min_training_pairs: 1_000,
        }
    }
}

impl TrainParams {
    /// Sets the number of random pairs that estimate `u`.
    #[must_use]
    pub fn u_samples(mut self, n: usize) -> TrainParams {
        self.u_samples = n;
        self
    }

    /// Sets the largest number of EM iterations.
    #[must_use]
    pub fn em_iterations(mut self, n: usize) -> TrainParams {
        self.em_iterations = n;
        self
    }

    /// Sets the sampler's seed.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> TrainParams {
        self.seed = seed;
        self
    }

    /// Sets the weight a deterministic rule adds, in bits.
    #[must_use]
    pub fn rule_weight(mut self, bits: f64) -> TrainParams {
        self.rule_weight = bits;
        self
    }

    /// Sets the largest term-frequency adjustment, in bits.
    #[must_use]
    pub fn max_tf_adjustment(mut self, bits: f64) -> TrainParams {
        self.max_tf_adjustment = bits;
        self
    }

    /// Sets the most candidate pairs an EM session reads.
    #[must_use]
    pub fn max_training_pairs(mut self, n: usize) -> TrainParams {
        self.max_training_pairs = n;
        self
    }

    /// Sets the fewest candidate pairs that train a model: with fewer, the
    /// data cannot estimate `m` and `u` (EM on a handful of pairs fits
    /// noise), and [`MatchModel::standard`] weighs them instead.
    #[must_use]
    pub fn min_training_pairs(mut self, n: usize) -> TrainParams {
        self.min_training_pairs = n;
        self
    }

    /// Sets which random pairs estimate `u`.
    #[must_use]
    pub fn scope(mut self, scope: PairScope) -> TrainParams {
        self.scope = scope;
        self
    }

    fn validate(&self) -> Result<()> {
        check_param(
            self.u_samples >= 100,
            "u_samples",
            self.u_samples,
            "must be at least 100",
        )?;
        check_param(
            self.max_training_pairs >= 100,
            "max_training_pairs",
            self.max_training_pairs,
            "must be at least 100",
        )?;
        check_param(
            self.min_training_pairs >= 1,
            "min_training_pairs",
            self.min_training_pairs,
            "must be at least 1",
        )?;
        check_param(
            self.em_iterations >= 1,
            "em_iterations",
            self.em_iterations,
            "must be at least 1",
        )?;
        check_param(
            self.rule_weight.is_finite() && self.rule_weight >= 0.0,
            "rule_weight",
            self.rule_weight,
            "must be finite and non-negative",
        )?;
        check_param(
            self.max_tf_adjustment.is_finite() && self.max_tf_adjustment >= 0.0,
            "max_tf_adjustment",
            self.max_tf_adjustment,
            "must be finite and non-negative",
        )
    }
}

/// `m` of the standard model, per field and level.
const STANDARD_M: [&[f64]; FIELDS] = [
    &[
        0.0, 0.586, 0.027, 0.0733, 0.15, 0.07, 0.008, 0.01, 0.030, 0.006, 0.05,
    ], // given_name
    &[0.0, 0.719, 0.0396, 0.198, 0.0372, 0.00577], // family_name
    &[0.0, 0.873, 0.015, 0.0554, 0.0303, 0.0263],  // birth_date
    &[0.0, 0.851, 0.115, 0.00225, 0.0314],         // national_id
    &[0.0, 0.784, 0.02, 0.196],                    // email
    &[0.0, 0.981, 0.0114, 0.0081],                 // phone
    &[0.0, 0.839, 0.161],                          // street_number
    &[0.0, 0.772, 0.118, 0.0547, 0.055],           // street
    &[0.0, 0.772, 0.118, 0.0547, 0.055],           // address_extra
    &[0.0, 0.841, 0.02, 0.159],                    // locality
    &[0.0, 0.811, 0.00151, 0.188],                 // postcode
    &[0.0, 0.848, 0.152],                          // region
    &[0.0, 0.9, 0.1],                              // account_id
];

/// `u` of the standard model, per field and level.
const STANDARD_U: [&[f64]; FIELDS] = [
    &[
        0.0, 0.00865, 0.000379, 0.000389, 0.0003, 0.0002, 0.0004, 2.51e-06, 0.0029, 0.0029, 0.984,
    ], // given_name
    &[0.0, 0.0013, 0.000376, 0.000309, 0.00323, 0.995], // family_name
    &[0.0, 4.34e-05, 1.28e-05, 0.00127, 0.0163, 0.982], // birth_date
    &[0.0, 1.39e-05, 8.33e-06, 2.78e-06, 1.0],          // national_id
    &[0.0, 1.99e-05, 1e-06, 1.0],                       // email
    &[0.0, 2e-05, 2.85e-06, 1.0],                       // phone
    &[0.0, 0.00238, 0.998],                             // street_number
    &[0.0, 0.0314, 0.0174, 0.101, 0.851],               // street
    &[0.0, 0.0314, 0.0174, 0.101, 0.851],               // address_extra
    &[0.0, 0.0377, 2.63e-06, 0.962],                    // locality
    &[0.0, 0.000242, 0.00721, 0.993],                   // postcode
    &[0.0, 0.0511, 0.949],                              // region
    &[0.0, 1e-06, 1.0],                                 // account_id
];

/// `m` of the standard household model.
const STANDARD_HOUSEHOLD_M: [&[f64]; FIELDS] = [
    &[
        0.0, 0.661, 0.0319, 3.21e-05, 0.18, 0.08, 0.009, 0.01, 0.0204, 0.004, 0.00438,
    ], // given_name
    &[0.0, 1.0, 3.2e-05, 3.2e-05, 3.2e-05, 3.2e-05], // family_name
    &[0.0, 0.897, 0.0143, 0.0564, 0.0315, 0.000726], // birth_date
    &[0.0, 0.881, 0.117, 0.00163, 3.74e-05],         // national_id
    &[0.0, 0.812, 0.02, 0.168],                      // email
    &[0.0, 0.99, 0.00905, 0.000754],                 // phone
    &[0.0, 0.835, 0.165],                            // street_number
    &[0.0, 0.755, 0.118, 0.062, 0.0645],             // street
    &[0.0, 0.755, 0.118, 0.062, 0.0645],             // address_extra
    &[0.0, 0.86, 0.02, 0.14],                        // locality
    &[0.0, 0.834, 0.00117, 0.165],                   // postcode
    &[0.0, 0.867, 0.133],                            // region
    &[0.0, 0.9, 0.1],                                // account_id
];

/// `u` of the standard household model.
const STANDARD_HOUSEHOLD_U: [&[f64]; FIELDS] = [
    &[
        0.0, 0.67, 0.0262, 6.12e-05, 0.0092, 0.0031, 0.00055, 6.12e-05, 0.024, 0.06, 0.207,
    ], // given_name
    &[0.0, 1.0, 6.12e-05, 6.12e-05, 6.12e-05, 6.12e-05], // family_name
    &[0.0, 0.0558, 0.00037, 0.00576, 0.0205, 0.918],     // birth_date
    &[0.0, 0.000328, 7.22e-05, 8.56e-05, 1.0],           // national_id
    &[0.0, 7.62e-05, 1e-06, 1.0],                        // email
    &[0.0, 0.154, 0.00149, 0.844],                       // phone
    &[0.0, 0.197, 0.803],                                // street_number
    &[0.0, 0.793, 0.2, 0.00318, 0.0037],                 // street
    &[0.0, 0.793, 0.2, 0.00318, 0.0037],                 // address_extra
    &[0.0, 0.319, 6.35e-05, 0.681],                      // locality
    &[0.0, 0.195, 0.00645, 0.798],                       // postcode
    &[0.0, 0.347, 0.653],                                // region
    &[0.0, 1e-06, 1.0],                                  // account_id
];

/// The standard model's prior between two random records, for a population
/// of a thousand in which each record has about one duplicate;
/// [`MatchModel::train`] sets it for the batch at hand (see `standard_for`).
const STANDARD_PRIOR: f64 = 1e-3;

/// The standard household model's prior among household pairs.
const STANDARD_HOUSEHOLD_PRIOR: f64 = 0.657;

/// The fewest household pairs (one family name and one address or phone)
/// that train a [`HouseholdModel`].
const MIN_HOUSEHOLD_PAIRS: f64 = 200.0;

/// Frequencies of the values of one field.
#[derive(Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct TermFrequencies {
    counts: FixedMap<String, u32>,
    total: u64,
}

// The counted terms are the training records' folded values (names,
// emails), so outside `Unredacted` only their number is shown.
impl fmt::Debug for TermFrequencies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("TermFrequencies");
        if crate::model::redact::revealing() {
            d.field("counts", &self.counts);
        } else {
            d.field("distinct", &self.counts.len());
        }
        d.field("total", &self.total).finish()
    }
}

impl TermFrequencies {
    fn frequency(&self, value: &str) -> f64 {
        let c = self.counts.get(value).copied().unwrap_or(1).max(1);
        c as f64 / self.total.max(1) as f64
    }
}

/// Reads a stored table of `m` or `u` whose shape is `levels(field)` per
/// field: a model stored with other levels (by an earlier version, whose
/// levels meant other things) is refused rather than read wrongly.
#[cfg(feature = "serde")]
fn checked_table<'de, D: serde::Deserializer<'de>>(
    d: D,
    levels: impl Fn(Field) -> usize,
) -> std::result::Result<Vec<Vec<f64>>, D::Error> {
    use serde::Deserialize;
    let table = Vec::<Vec<f64>>::deserialize(d)?;
    let shape_ok = table.len() == FIELDS
        && Field::ALL
            .iter()
            .zip(&table)
            .all(|(f, row)| row.len() == levels(*f));
    if !shape_ok {
        return Err(serde::de::Error::custom(
            "the model's comparison levels differ from this version's: train the model again",
        ));
    }
    if !table.iter().flatten().all(|p| (0.0..=1.0).contains(p)) {
        return Err(serde::de::Error::custom(
            "the model holds a probability outside 0..=1",
        ));
    }
    Ok(table)
}

#[cfg(feature = "serde")]
fn stored_table<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<Vec<f64>>, D::Error> {
    checked_table(d, |f| f.levels().len())
}

#[cfg(feature = "serde")]
fn stored_household_table<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<Vec<f64>>, D::Error> {
    checked_table(d, |f| match f {
        Field::GivenName => JOINT_LEVELS,
        _ => f.levels().len(),
    })
}

/// A trained Fellegi–Sunter model: `m` and `u` per level, a prior, term
/// frequencies and the generic values of the training data.
///
/// The model is frozen once trained: scoring new records with it gives the
/// same weights as scoring them in the training batch, which is what makes
/// incremental resolution equal batch resolution.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MatchModel {
    prior: f64,
    #[cfg_attr(feature = "serde", serde(deserialize_with = "stored_table"))]
    m: Vec<Vec<f64>>,
    #[cfg_attr(feature = "serde", serde(deserialize_with = "stored_table"))]
    u: Vec<Vec<f64>>,
    tf: Vec<TermFrequencies>,
    generic: GenericValues,
    rule_weight: f64,
    max_tf_adjustment: f64,
    link_probability: f64,
    iterations: usize,
    /// How pairs within one household are told apart (see
    /// [`HouseholdModel`]); `None` when training saw too few such pairs.
    #[cfg_attr(feature = "serde", serde(default))]
    household: Option<HouseholdModel>,
    /// How namesakes are told apart (see [`NamesakeModel`]).
    #[cfg_attr(feature = "serde", serde(default))]
    namesake: Option<NamesakeModel>,
    #[cfg_attr(feature = "serde", serde(default))]
    training: Training,
    #[cfg_attr(feature = "serde", serde(skip))]
    weights: Weights,
}

/// How a [`MatchModel`] came to be: what a resolution says of its model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case", tag = "kind"))]
#[non_exhaustive]
pub enum Training {
    /// Trained without labels by expectation-maximisation.
    Unlabelled {
        /// The most iterations any EM session ran.
        iterations: usize,
        /// `false` when a session stopped at the iteration cap
        /// ([`TrainParams::em_iterations`]) before it settled: its `m` may
        /// still move, and more iterations (or more data) are advised.
        converged: bool,
    },
    /// Trained from labelled pairs ([`MatchModel::from_labelled`]).
    Labelled {
        /// How many labelled pairs.
        pairs: usize,
    },
    /// Not trained: the records held too few candidate pairs (fewer than
    /// [`TrainParams::min_training_pairs`]) to estimate `m` and `u`, so the
    /// standard model ([`MatchModel::standard`]) weighed them.
    Standard {
        /// How many records there were.
        records: usize,
        /// How many candidate pairs blocking found among them.
        candidate_pairs: usize,
    },
}

impl Default for Training {
    /// The standard model's, for a model read from JSON written before
    /// models recorded their training: such a model says no more.
    fn default() -> Training {
        Training::Standard {
            records: 0,
            candidate_pairs: 0,
        }
    }
}

/// The fields that tell apart two records of one household: what the
/// household's members do not share.
const HOUSEHOLD_FIELDS: [Field; 6] = [
    Field::GivenName,
    Field::BirthDate,
    Field::Email,
    Field::Phone,
    Field::NationalId,
    Field::AccountId,
];

/// The fields a household shares, which say nothing once a pair is known
/// to be of one household.
const SHARED_IN_HOUSEHOLD: [Field; FIELDS - HOUSEHOLD_FIELDS.len()] = [
    Field::FamilyName,
    Field::StreetNumber,
    Field::Street,
    Field::AddressExtra,
    Field::Locality,
    Field::Postcode,
    Field::Region,
];

/// Whether a pair's levels put both records in one household: one family
/// name, and one street, phone, or postcode and house number.
fn is_household(v: &[u8; FIELDS]) -> bool {
    let level = |f: Field| v[f.index()];
    // One street is one address only when nothing else about the place
    // differs: "Main Street" runs through many towns.
    let same_street = matches!(level(Field::Street), 1 | 2)
        && level(Field::StreetNumber) != 2
        && level(Field::Postcode) != 3
        && level(Field::Locality) != 3;
    level(Field::FamilyName) == 1
        && (same_street
            || level(Field::Phone) == 1
            || (level(Field::Postcode) == 1 && level(Field::StreetNumber) == 1))
}

/// The number of levels of the household model's joint given name and
/// birth date (see [`household_levels`]).
const JOINT_LEVELS: usize = GIVEN_LEVELS.len() * DATE_LEVELS.len();

/// Returns the levels of a household pair as the household model reads
/// them: the given name and the birth date as one joint level (in the
/// given name's place; the birth date's is left missing).
///
/// Within a household the two are not independent evidence: twins share a
/// birth date and are often given names one letter apart (Mia and Ria),
/// while a duplicate's typo'd name comes with its own birth date too; only
/// their combination, weighed by how often it occurs among duplicates and
/// among the household's other members, tells the two apart.
fn household_levels(v: &[u8; FIELDS]) -> [u8; FIELDS] {
    let mut h = *v;
    let (g, d) = (Field::GivenName.index(), Field::BirthDate.index());
    // At most 11 × 6 = 66: fits a u8.
    h[g] = v[g] * DATE_LEVELS.len() as u8 + v[d];
    h[d] = 0;
    h
}

/// Returns per-field distributions over the household model's levels from
/// `d` over the general levels: the joint given name and birth date as the
/// product of their distributions (a missing level counting as certain),
/// renormalised over the joint levels that are not both missing.
fn joint_distributions(d: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let (g, b) = (Field::GivenName.index(), Field::BirthDate.index());
    let mut out = d.to_vec();
    let at = |x: &[f64], l: usize| {
        if l == 0 {
            1.0
        } else {
            x.get(l).copied().unwrap_or(0.0)
        }
    };
    let mut joint = vec![0.0; JOINT_LEVELS];
    for gl in 0..GIVEN_LEVELS.len() {
        for dl in 0..DATE_LEVELS.len() {
            if gl + dl > 0 {
                joint[gl * DATE_LEVELS.len() + dl] = at(&d[g], gl) * at(&d[b], dl);
            }
        }
    }
    let total: f64 = joint.iter().sum();
    if total > 0.0 {
        joint.iter_mut().for_each(|p| *p /= total);
    }
    out[g] = joint;
    out
}

/// Empty counts over the household model's levels.
fn household_counts() -> Vec<Vec<f64>> {
    let mut c = empty_counts();
    c[Field::GivenName.index()] = vec![0.0; JOINT_LEVELS];
    c
}

/// How pairs within one household are told apart: a second
/// Fellegi–Sunter model over [`HOUSEHOLD_FIELDS`] only (the given name and
/// birth date as one joint field, see [`household_levels`]), trained by EM
/// on the candidate pairs that share a family name and an address or phone.
///
/// Among such pairs, the shared family name and address are not
/// independent evidence of one person: parents, children, twins and
/// spouses share them too. What tells a typo'd duplicate from another
/// member is the given name, the birth date and the personal identifiers
/// (a phone too: one landline is shared, each member's mobile is not),
/// weighed by how often each level occurs among the household's members
/// (`u`) and among its duplicates (`m`), both learned from the data (no
/// fixed rule: a one-letter typo, a nickname and two distinct names are
/// levels with trained weights). The prior is the share of duplicates
/// among household pairs.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct HouseholdModel {
    prior: f64,
    #[cfg_attr(feature = "serde", serde(deserialize_with = "stored_household_table"))]
    m: Vec<Vec<f64>>,
    #[cfg_attr(feature = "serde", serde(deserialize_with = "stored_household_table"))]
    u: Vec<Vec<f64>>,
    iterations: usize,
    #[cfg_attr(feature = "serde", serde(default))]
    converged: bool,
}

impl HouseholdModel {
    /// Returns the weight of a level of the household model's levels (see
    /// [`household_levels`]): the given name's levels are the joint ones.
    fn level_weight(&self, field: Field, level: u8) -> f64 {
        if level == 0 || SHARED_IN_HOUSEHOLD.contains(&field) || field == Field::BirthDate {
            return 0.0;
        }
        let at = |d: &Vec<Vec<f64>>| {
            d.get(field.index())
                .and_then(|x| x.get(level as usize))
                .copied()
                .unwrap_or(0.0)
        };
        let (m, u) = (at(&self.m), at(&self.u));
        if m <= 0.0 || u <= 0.0 {
            0.0
        } else {
            (m / u).log2()
        }
    }

    fn prior_weight(&self) -> f64 {
        (self.prior / (1.0 - self.prior)).log2()
    }

    /// Estimates both `m` and `u` by EM over household pairs' `patterns`,
    /// starting from `m0` (the initial `m` of every EM session) and `u0` (the
    /// whole model's `u`, from random pairs).
    fn train(
        patterns: &[([u8; FIELDS], f64)],
        m0: &[Vec<f64>],
        u0: &[Vec<f64>],
        iterations: usize,
    ) -> HouseholdModel {
        let patterns: Vec<([u8; FIELDS], f64)> = patterns
            .iter()
            .map(|(v, c)| (household_levels(v), *c))
            .collect();
        let (prior, m, u, done, converged) = em_both(
            &patterns,
            joint_distributions(m0),
            joint_distributions(u0),
            &SHARED_IN_HOUSEHOLD,
            household_counts,
            iterations,
        );
        HouseholdModel {
            prior,
            m,
            u,
            iterations: done,
            converged,
        }
    }
}

/// Estimates both `m` and `u` and the prior by EM over `patterns`, from
/// `m` and `u`; the `shared` fields are no evidence. Returns the prior,
/// `m`, `u`, the iterations run and whether EM settled.
fn em_both(
    patterns: &[([u8; FIELDS], f64)],
    mut m: Vec<Vec<f64>>,
    mut u: Vec<Vec<f64>>,
    shared: &[Field],
    counts: fn() -> Vec<Vec<f64>>,
    iterations: usize,
) -> (f64, Vec<Vec<f64>>, Vec<Vec<f64>>, usize, bool) {
    let mut prior = 0.5;
    let mut done = 0;
    let mut converged = false;
    for it in 0..iterations {
        let (ln_m, ln_u) = (logs(&m), logs(&u));
        let (mut mc, mut uc) = (counts(), counts());
        let (mut mt, mut total) = (0.0, 0.0);
        for (v, c) in patterns {
            let p = posterior(v, prior, &ln_m, &ln_u, shared);
            mt += p * c;
            total += c;
            for (i, l) in v.iter().enumerate() {
                mc[i][*l as usize] += p * c;
                uc[i][*l as usize] += (1.0 - p) * c;
            }
        }
        let (new_m, new_u) = (distributions(&mc), distributions(&uc));
        let new_prior = (mt / f64::max(total, 1.0)).clamp(1e-6, 1.0 - 1e-6);
        let change = (new_prior - prior).abs()
            + new_m
                .iter()
                .chain(&new_u)
                .flatten()
                .zip(m.iter().chain(&u).flatten())
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
        (m, u, prior) = (new_m, new_u, new_prior);
        done = it + 1;
        if change < 1e-6 {
            converged = true;
            break;
        }
    }
    (prior, m, u, done, converged)
}

/// The fields namesakes share: no evidence once a pair is known to be of
/// namesakes.
const SHARED_BY_NAMESAKES: [Field; 2] = [Field::GivenName, Field::FamilyName];

/// Whether a pair's levels make its records namesakes outside one
/// household: the same given and family name.
fn is_namesake(v: &[u8; FIELDS]) -> bool {
    v[Field::GivenName.index()] == 1 && v[Field::FamilyName.index()] == 1 && !is_household(v)
}

/// How namesakes are told apart: a Fellegi–Sunter model over the fields
/// other than the name, with `m` and `u` both trained by EM on candidate
/// pairs that share a name.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct NamesakeModel {
    prior: f64,
    #[cfg_attr(feature = "serde", serde(deserialize_with = "stored_table"))]
    m: Vec<Vec<f64>>,
    #[cfg_attr(feature = "serde", serde(deserialize_with = "stored_table"))]
    u: Vec<Vec<f64>>,
    iterations: usize,
    converged: bool,
    /// Bits added to the term-frequency adjustment of the given name
    /// (`[0]`) and the family name (`[1]`) of a namesake pair, so that the
    /// adjustment is centred on namesake pairs: `log2(f̄ / u)`, where `f̄`
    /// is the mean frequency of the shared name over the namesake pairs
    /// trained on and `u` the general model's chance that two different
    /// people's names agree. The namesake prior already says how often a
    /// shared name of the usual frequency is one person; only a name rarer
    /// or commoner than that usual one says more. (A model stored before
    /// this field reads it as zero, the uncentred adjustment.)
    #[cfg_attr(feature = "serde", serde(default))]
    name_shift: [f64; 2],
}

impl NamesakeModel {
    fn level_weight(&self, field: Field, level: u8) -> f64 {
        if level == 0 || SHARED_BY_NAMESAKES.contains(&field) {
            return 0.0;
        }
        let at = |d: &Vec<Vec<f64>>| {
            d.get(field.index())
                .and_then(|x| x.get(level as usize))
                .copied()
                .unwrap_or(0.0)
        };
        let (m, u) = (at(&self.m), at(&self.u));
        if m <= 0.0 || u <= 0.0 {
            0.0
        } else {
            (m / u).log2()
        }
    }

    fn prior_weight(&self) -> f64 {
        (self.prior / (1.0 - self.prior)).log2()
    }

    fn train(
        patterns: &[([u8; FIELDS], f64)],
        m0: &[Vec<f64>],
        u0: &[Vec<f64>],
        iterations: usize,
    ) -> NamesakeModel {
        let (prior, m, u, iterations, converged) = em_both(
            patterns,
            m0.to_vec(),
            u0.to_vec(),
            &SHARED_BY_NAMESAKES,
            empty_counts,
            iterations,
        );
        NamesakeModel {
            prior,
            m,
            u,
            iterations,
            converged,
            name_shift: [0.0; 2],
        }
    }
}

/// Level weights and the prior weight, worked out once from `m`, `u` and
/// the prior instead of for every pair. Derived data: it is not serialised,
/// and a model without it (just deserialised) computes the same weights
/// on the fly, so it takes no part in equality.
#[derive(Clone, Debug, Default)]
struct Weights {
    prior: f64,
    levels: Vec<Vec<f64>>,
    household_prior: f64,
    household: Vec<Vec<f64>>,
}

impl PartialEq for Weights {
    fn eq(&self, _: &Weights) -> bool {
        true
    }
}

/// A small deterministic generator (SplitMix64) for sampling pairs.
pub(crate) struct SplitMix(u64);

impl SplitMix {
    pub(crate) fn new(seed: u64) -> SplitMix {
        SplitMix(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

fn comparison_vectors(
    records: &[NormalizedRecord],
    pairs: &[(u32, u32)],
    generic: &GenericValues,
) -> Vec<[u8; FIELDS]> {
    let one = |&(a, b): &(u32, u32)| levels(&records[a as usize], &records[b as usize], generic);
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        pairs.par_iter().map(one).collect()
    }
    #[cfg(not(feature = "rayon"))]
    {
        pairs.iter().map(one).collect()
    }
}

/// The fields whose `u` of exact agreement is counted over every record
/// rather than estimated from random pairs (see [`exact_agreement`]).
const COUNTED_EXACT: [Field; 4] = [
    Field::BirthDate,
    Field::NationalId,
    Field::Email,
    Field::Phone,
];

/// The chance that two records drawn at random in `scope`, both holding a
/// (non-generic) value of `field`, share one: counted over every record.
///
/// Exact agreement on a birth date, an email, a phone or a national id is
/// rare between two records drawn at random, so the sample of random pairs
/// that estimates the other levels sees a handful of such pairs or none:
/// with 200 000 pairs the weight of an exact birth date moved by a bit and
/// that of an exact national id by more than two from one sample to the
/// next. Counting each value's holders gives the chance itself, in one
/// sort of the values: pairs sharing a value over pairs both holding one
/// (a pair sharing two values counts twice, which is rare enough to leave).
/// Returns `None` for other fields and when fewer than two records (in
/// scope) hold one.
fn exact_agreement(
    records: &[NormalizedRecord],
    field: Field,
    generic: &GenericValues,
    scope: PairScope,
) -> Option<f64> {
    let across = scope == PairScope::AcrossSources;
    let mut sources: FixedMap<&str, u32> = FixedMap::default();
    // Each record's distinct values, hashed, with its source's number (0
    // for every record when pairs within a source count too).
    let mut held: Vec<(u64, u32)> = Vec::new();
    let mut holders_per_source: Vec<u64> = Vec::new();
    let mut values: Vec<u64> = Vec::new();
    for r in records {
        values.clear();
        match field {
            Field::BirthDate => {
                if let Some(d) = r.birth().filter(|d| !generic.is_generic_birth_date(*d)) {
                    // Days since year 1 are the date: no text to hash.
                    values.push(i64::from(d.num_days_from_ce()) as u64);
                }
            }
            Field::Email | Field::Phone | Field::NationalId => {
                let (list, is_generic): (Values<'_>, fn(&GenericValues, &str) -> bool) = match field
                {
                    Field::Email => (r.emails(), GenericValues::is_generic_email),
                    Field::Phone => (r.phones(), GenericValues::is_generic_phone),
                    _ => (r.national_ids(), GenericValues::is_generic_national_id),
                };
                values.extend(
                    list.filter(|v| !is_generic(generic, v))
                        .map(|v| hash_parts(&[v.as_bytes()])),
                );
            }
            _ => return None,
        }
        if values.is_empty() {
            continue;
        }
        values.sort_unstable();
        values.dedup();
        let source = if across {
            let next = sources.len() as u32;
            *sources.entry(r.source().as_str()).or_insert(next)
        } else {
            0
        };
        if holders_per_source.len() <= source as usize {
            holders_per_source.resize(source as usize + 1, 0);
        }
        holders_per_source[source as usize] += 1;
        held.extend(values.iter().map(|v| (*v, source)));
    }
    // Sorted, the holders of one value (and of one value in one source)
    // are runs: no map of every value.
    held.sort_unstable();
    let pairs_of = |n: usize| n as f64 * (n as f64 - 1.0) / 2.0;
    let mut sharing = 0.0;
    for run in held.chunk_by(|x, y| x.0 == y.0) {
        sharing += pairs_of(run.len());
        if across {
            sharing -= run
                .chunk_by(|x, y| x.1 == y.1)
                .map(|r| pairs_of(r.len()))
                .sum::<f64>();
        }
    }
    let holding: u64 = holders_per_source.iter().sum();
    let mut pairs = pairs_of(holding as usize);
    if across {
        pairs -= holders_per_source
            .iter()
            .map(|n| pairs_of(*n as usize))
            .sum::<f64>();
    }
    // Half a pair, as the sampled levels are smoothed: no pair sharing a
    // value is a chance below one in all the pairs, not zero.
    (pairs >= 1.0).then(|| (sharing.max(0.0) + 0.5) / (pairs + 0.5))
}

/// `f` of each of `fields`, in their order: one field per task with
/// `rayon` (the per-field counts of training do not depend on each other).
fn each_field<T: Send>(fields: &[Field], f: impl Fn(&Field) -> T + Sync + Send) -> Vec<T> {
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        fields.par_iter().map(f).collect()
    }
    #[cfg(not(feature = "rayon"))]
    {
        fields.iter().map(f).collect()
    }
}

/// Sets the exact level of a distribution over a field's levels to `p`,
/// scaling the other present levels to keep the sum.
fn set_exact(d: &mut [f64], p: f64) {
    let rest: f64 = d.iter().skip(2).sum();
    if d.len() < 3 || rest <= 0.0 || !(0.0..1.0).contains(&p) {
        return;
    }
    let scale = (1.0 - p) / rest;
    d[1] = p;
    for x in d.iter_mut().skip(2) {
        *x *= scale;
    }
}

/// Returns per-field level distributions from weighted level counts, with
/// add-one smoothing over the non-missing levels.
fn distributions(counts: &[Vec<f64>]) -> Vec<Vec<f64>> {
    counts
        .iter()
        .map(|c| {
            let present: f64 = c[1..].iter().sum::<f64>() + (c.len() - 1) as f64 * 0.5;
            let mut d = vec![0.0; c.len()];
            for l in 1..c.len() {
                d[l] = (c[l] + 0.5) / present;
            }
            d
        })
        .collect()
}

/// The fields a blocking rule forces to agree (or to correlate, as a
/// postcode does with its locality), left out of that rule's EM session.
fn agreeing_fields(rule: BlockingRule) -> &'static [Field] {
    match rule {
        BlockingRule::FamilyPhoneticBirthYear => &[Field::FamilyName, Field::BirthDate],
        BlockingRule::NamesPhonetic => &[Field::GivenName, Field::FamilyName],
        BlockingRule::BirthDate => &[Field::BirthDate],
        BlockingRule::PostcodeInitial => &[
            Field::Postcode,
            Field::GivenName,
            Field::Locality,
            Field::Region,
        ],
        BlockingRule::PostcodeHouseNumber => &[
            Field::Postcode,
            Field::StreetNumber,
            Field::Locality,
            Field::Region,
        ],
        BlockingRule::Email => &[Field::Email],
        BlockingRule::Phone => &[Field::Phone],
        BlockingRule::AccountId => &[Field::AccountId],
        BlockingRule::NationalId => &[Field::NationalId],
    }
}

fn initial_m(f: Field) -> Vec<f64> {
    let k = f.levels().len();
    let mut d = vec![0.0; k];
    d[1] = 0.8;
    for v in d.iter_mut().skip(2) {
        *v = 0.2 / (k - 2) as f64;
    }
    d
}

/// Returns at most `n` pairs spread evenly over `pairs` (which are sorted),
/// a deterministic sample.
fn evenly_spaced(pairs: &[(u32, u32)], n: usize) -> Vec<(u32, u32)> {
    if pairs.len() <= n {
        return pairs.to_vec();
    }
    (0..n).map(|i| pairs[i * pairs.len() / n]).collect()
}

/// Where training reads the levels of pairs of records: compared on demand,
/// or looked up among candidates compared once.
type LevelsOf<'a> = dyn Fn(&[(u32, u32)]) -> Vec<[u8; FIELDS]> + 'a;

/// Comparison patterns of `vectors` with their counts, in a fixed order so
/// that floating-point sums, and so the model, are reproducible.
fn patterns_of(vectors: Vec<[u8; FIELDS]>) -> Vec<([u8; FIELDS], f64)> {
    let mut counts: HashMap<[u8; FIELDS], f64> = HashMap::new();
    for v in vectors {
        *counts.entry(v).or_default() += 1.0;
    }
    let mut patterns: Vec<([u8; FIELDS], f64)> = counts.into_iter().collect();
    patterns.sort_unstable_by_key(|p| p.0);
    patterns
}

/// Returns how many pairs of `records` there are in `scope`: every pair, or
/// only pairs of records of different sources.
fn pairs_in_scope(records: &[NormalizedRecord], scope: PairScope) -> f64 {
    let n = records.len() as f64;
    let all = n * (n - 1.0) / 2.0;
    if scope != PairScope::AcrossSources {
        return all;
    }
    let mut per_source: HashMap<&str, f64> = HashMap::new();
    for r in records {
        *per_source.entry(r.source().as_str()).or_default() += 1.0;
    }
    all - per_source
        .values()
        .map(|k| k * (k - 1.0) / 2.0)
        .sum::<f64>()
}

/// Returns the probability that a pattern is a match, ignoring `fixed` fields.
///
/// `ln_m` and `ln_u` are the natural logarithms of `m` and `u` (see
/// [`logs`]): worked out once per EM iteration, not once per pattern.
fn posterior(
    v: &[u8; FIELDS],
    prior: f64,
    ln_m: &[Vec<f64>],
    ln_u: &[Vec<f64>],
    fixed: &[Field],
) -> f64 {
    let (mut lm, mut lu) = (prior.ln(), (1.0 - prior).ln());
    for (i, l) in v.iter().enumerate() {
        if *l > 0 && !fixed.contains(&Field::ALL[i]) {
            lm += ln_m[i][*l as usize];
            lu += ln_u[i][*l as usize];
        }
    }
    1.0 / (1.0 + (lu - lm).exp())
}

/// Returns the natural logarithm of every probability.
fn logs(p: &[Vec<f64>]) -> Vec<Vec<f64>> {
    p.iter()
        .map(|d| d.iter().map(|x| x.ln()).collect())
        .collect()
}

/// One EM session (`u` fixed): returns `(m, iterations, converged)` and the
/// expected number of matches.
fn em_session(
    patterns: &[([u8; FIELDS], f64)],
    u: &[Vec<f64>],
    fixed: &[Field],
    known: &dyn Fn(&[u8; FIELDS]) -> Option<f64>,
    iterations: usize,
) -> ((Vec<Vec<f64>>, usize, bool), f64) {
    let mut m: Vec<Vec<f64>> = Field::ALL.iter().map(|f| initial_m(*f)).collect();
    let mut prior = 0.3;
    let mut matched = 0.0;
    let mut done = 0;
    let mut converged = false;
    let ln_u = logs(u);
    for it in 0..iterations {
        let ln_m = logs(&m);
        let mut counts = empty_counts();
        let (mut mt, mut total) = (0.0, 0.0);
        for (v, c) in patterns {
            let p = known(v).unwrap_or_else(|| posterior(v, prior, &ln_m, &ln_u, fixed));
            mt += p * c;
            total += c;
            for (i, l) in v.iter().enumerate() {
                counts[i][*l as usize] += p * c;
            }
        }
        let new_m = distributions(&counts);
        let new_prior = (mt / total).clamp(1e-6, 1.0 - 1e-6);
        let change = (new_prior - prior).abs()
            + new_m
                .iter()
                .flatten()
                .zip(m.iter().flatten())
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
        m = new_m;
        prior = new_prior;
        matched = mt;
        done = it + 1;
        if change < 1e-6 {
            converged = true;
            break;
        }
    }
    ((m, done, converged), matched)
}

fn empty_counts() -> Vec<Vec<f64>> {
    Field::ALL
        .iter()
        .map(|f| vec![0.0; f.levels().len()])
        .collect()
}

impl MatchModel {
    /// The model before `m` is trained: the term frequencies and `u` of
    /// `records`, and their generic values.
    fn base(
        records: &[NormalizedRecord],
        generic: GenericValues,
        params: &TrainParams,
    ) -> Result<MatchModel> {
        params.validate()?;
        if records.len() < 2 {
            return Err(Detail::Parameter {
                name: "record count",
                value: records.len().to_string(),
                rule: "must be at least 2 to train a model",
            }
            .into());
        }
        let count = |f: &Field| {
            let mut tf = TermFrequencies::default();
            for v in records.iter().filter_map(|r| f.tf_value(r)) {
                // Copies each distinct value once, not once per record.
                match tf.counts.get_mut(v) {
                    Some(c) => *c += 1,
                    None => {
                        tf.counts.insert(v.to_owned(), 1);
                    }
                }
                tf.total += 1;
            }
            tf
        };
        let tf: Vec<TermFrequencies> = each_field(&Field::ALL, count);
        // u: levels among random pairs, which are almost all non-matches.
        let mut rng = SplitMix::new(params.seed);
        let n = records.len();
        let mut pairs = Vec::with_capacity(params.u_samples);
        let mut tries = 0usize;
        while pairs.len() < params.u_samples && tries < params.u_samples * 20 {
            tries += 1;
            let (a, b) = (rng.below(n), rng.below(n));
            if a == b
                || (params.scope == PairScope::AcrossSources
                    && records[a].source() == records[b].source())
            {
                continue;
            }
            // OK because callers refuse more than u32::MAX records.
            pairs.push((a.min(b) as u32, a.max(b) as u32));
        }
        let mut ucounts = empty_counts();
        for v in comparison_vectors(records, &pairs, &generic) {
            for (i, l) in v.iter().enumerate() {
                ucounts[i][*l as usize] += 1.0;
            }
        }
        let mut u = distributions(&ucounts);
        let exact = each_field(&COUNTED_EXACT, |f| {
            exact_agreement(records, *f, &generic, params.scope)
        });
        for (field, p) in COUNTED_EXACT.iter().zip(exact) {
            if let Some(p) = p {
                set_exact(&mut u[field.index()], p);
            }
        }
        let model = MatchModel {
            prior: 0.1,
            m: Vec::new(),
            u,
            tf,
            generic,
            rule_weight: params.rule_weight,
            max_tf_adjustment: params.max_tf_adjustment,
            link_probability: 0.5,
            iterations: 0,
            household: None,
            namesake: None,
            training: Training::Unlabelled {
                iterations: 0,
                converged: true,
            },
            weights: Weights::default(),
        };
        Ok(model)
    }

    /// Returns the standard model: `m` and `u` for every level, a prior and a
    /// household model, set in advance rather than learned from the data at
    /// hand, for batches too small to train on (see [`Training::Standard`]).
    ///
    /// Its values were trained by this crate's EM on a synthetic population
    /// of 100 000 records (the team's development generator, seed 5),
    /// rounded to three digits; levels that population never showed (given
    /// initials, second address lines, locality typos, account ids, tagged
    /// mailboxes) were set
    /// by hand to what such evidence is worth. It has no term frequencies
    /// (exact agreement on a common name weighs as on a rare one) and no
    /// generic values. Its prior, between two records drawn at random, is
    /// 1/1000; a resolver that falls back to it for a batch of `n` records
    /// sets the prior to `1 / (n − 1)` (at most ½): each record is taken to
    /// have about one duplicate among the others. Prefer a trained model
    /// whenever the data allow: error rates differ from source to source.
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::identity::{Field, MatchModel, Training};
    /// let model = MatchModel::standard();
    /// assert!(matches!(model.training(), Training::Standard { .. }));
    /// assert!(model.level_weight(Field::Email, 1) > 10.0);
    /// assert!(model.level_weight(Field::BirthDate, 5) < -5.0);
    /// ```
    pub fn standard() -> MatchModel {
        let table = |t: &[&[f64]; FIELDS]| t.iter().map(|l| l.to_vec()).collect::<Vec<_>>();
        MatchModel {
            prior: STANDARD_PRIOR,
            m: table(&STANDARD_M),
            u: table(&STANDARD_U),
            tf: vec![TermFrequencies::default(); FIELDS],
            generic: GenericValues::default(),
            rule_weight: TrainParams::default().rule_weight,
            max_tf_adjustment: TrainParams::default().max_tf_adjustment,
            link_probability: 0.5,
            iterations: 0,
            namesake: None,
            household: Some(HouseholdModel {
                prior: STANDARD_HOUSEHOLD_PRIOR,
                m: joint_distributions(&table(&STANDARD_HOUSEHOLD_M)),
                u: joint_distributions(&table(&STANDARD_HOUSEHOLD_U)),
                iterations: 0,
                converged: true,
            }),
            training: Training::default(),
            weights: Weights::default(),
        }
        .with_weights()
    }

    /// The standard model for `records` whose blocking found
    /// `candidate_pairs`, with the generic values of the records.
    fn standard_for(
        records: usize,
        candidate_pairs: usize,
        generic: GenericValues,
        params: &TrainParams,
    ) -> MatchModel {
        let mut model = MatchModel::standard();
        model.prior = (1.0 / records.saturating_sub(1).max(1) as f64).min(0.5);
        model.generic = generic;
        model.rule_weight = params.rule_weight;
        model.max_tf_adjustment = params.max_tf_adjustment;
        model.training = Training::Standard {
            records,
            candidate_pairs,
        };
        model.with_weights()
    }

    /// Trains a model without labels.
    ///
    /// Term frequencies come from `records` and `u` from random pairs
    /// (exact agreement on a birth date, email, phone or national id from
    /// counting each value's holders over `records`). `m`
    /// is estimated by expectation-maximisation in one session per blocking
    /// rule of `blocking`, over that rule's candidate pairs and leaving out
    /// the fields the rule forces to agree (otherwise non-matches that share
    /// a family name and birth year would look like matches); each field's
    /// `m` is the average over the sessions that estimated it, weighted by
    /// their expected number of matches. Last, the prior is estimated over
    /// all candidate pairs with `m` and `u` fixed; pairs of one household
    /// train the household model (see [`ScoreContext::Household`]).
    ///
    /// Fewer candidate pairs than [`TrainParams::min_training_pairs`] (a
    /// batch of a few records, or of people who share nothing) cannot be
    /// trained on: the result is then [`MatchModel::standard`] with the
    /// records' generic values, and [`MatchModel::training`] says so.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    /// for invalid `params` or `blocking`.
    pub fn train(
        records: &[NormalizedRecord],
        blocking: &BlockingParams,
        generic: GenericValues,
        params: &TrainParams,
    ) -> Result<MatchModel> {
        blocking.validate()?;
        params.validate()?;
        if records.len() < 2 {
            return Ok(MatchModel::standard_for(records.len(), 0, generic, params));
        }
        // Blocking first: a batch too small to train on is weighed by the
        // standard model, and never pays for the random pairs of `u`.
        let (by_rule, stats) = block_each_rule(records, &generic, blocking)?;
        let candidates = union_of(&by_rule, stats);
        if candidates.pairs().len() < params.min_training_pairs {
            let n = candidates.pairs().len();
            return Ok(MatchModel::standard_for(records.len(), n, generic, params));
        }
        let model = MatchModel::base(records, generic, params)?;
        let generic = model.generic.clone();
        let vectors = |pairs: &[(u32, u32)]| comparison_vectors(records, pairs, &generic);
        let samples: Vec<RuleSample> = by_rule
            .iter()
            .map(|(rule, pairs)| {
                let sample = evenly_spaced(pairs, params.max_training_pairs);
                (*rule, pairs.len(), sample)
            })
            .collect();
        let total = pairs_in_scope(records, params.scope);
        model.fit(
            records,
            blocking,
            &samples,
            candidates.pairs(),
            total,
            params,
            &vectors,
        )
    }

    /// Trains a model on `records` (sorted by id) and compares every
    /// candidate pair once: the model [`MatchModel::train`] gives, with the
    /// candidates [`block`](crate::identity::block) gives and their levels,
    /// which training reads instead of comparing its sampled pairs again.
    pub(crate) fn train_on_candidates(
        records: &[NormalizedRecord],
        blocking: &BlockingParams,
        generic: GenericValues,
        params: &TrainParams,
    ) -> Result<(MatchModel, CandidatePairs, Vec<[u8; FIELDS]>)> {
        blocking.validate()?;
        params.validate()?;
        if records.len() < 2 {
            let model = MatchModel::standard_for(records.len(), 0, generic, params);
            return Ok((model, CandidatePairs::default(), Vec::new()));
        }
        // Blocking first, as in `train`.
        let blocked = RuleBlocking::new(records, &generic, blocking)?;
        let candidates = blocked.candidates();
        let compared = comparison_vectors(records, candidates.pairs(), &generic);
        if candidates.pairs().len() < params.min_training_pairs {
            let n = candidates.pairs().len();
            let model = MatchModel::standard_for(records.len(), n, generic, params);
            return Ok((model, blocked.into_candidates(), compared));
        }
        let model = MatchModel::base(records, generic, params)?;
        let generic = model.generic.clone();
        let vectors = |pairs: &[(u32, u32)]| {
            // Sampled pairs come sorted, so each is searched for from where
            // the one before it was found.
            let all = candidates.pairs();
            let mut from = 0;
            pairs
                .iter()
                .map(|p| {
                    let mut reach = 1;
                    while from + reach < all.len() && all[from + reach] < *p {
                        reach *= 2;
                    }
                    let end = (from + reach + 1).min(all.len());
                    let found = match all[from.min(end)..end].binary_search(p) {
                        Ok(i) => Some(from + i),
                        // An unsorted sample is searched for among all.
                        Err(_) => all.binary_search(p).ok(),
                    };
                    match found.and_then(|i| Some((i, compared.get(i)?))) {
                        Some((i, v)) => {
                            from = i;
                            *v
                        }
                        // Every rule's pair is a candidate; were one not,
                        // it would be compared here rather than misread.
                        None => levels(&records[p.0 as usize], &records[p.1 as usize], &generic),
                    }
                })
                .collect()
        };
        let samples = blocked.samples(params.max_training_pairs);
        let total = pairs_in_scope(records, params.scope);
        let model = model.fit(
            records,
            blocking,
            &samples,
            candidates.pairs(),
            total,
            params,
            &vectors,
        )?;
        Ok((model, blocked.into_candidates(), compared))
    }

    /// Estimates `m` by one EM session per rule and then the prior (see
    /// [`MatchModel::train`]), reading the levels of pairs from `vectors`.
    #[allow(clippy::too_many_arguments)]
    fn fit(
        self,
        records: &[NormalizedRecord],
        blocking: &BlockingParams,
        samples: &[RuleSample],
        all_pairs: &[(u32, u32)],
        total_pairs: f64,
        params: &TrainParams,
        vectors: &LevelsOf<'_>,
    ) -> Result<MatchModel> {
        let mut model = self;
        let k = Field::ALL.len();
        let mut sums: Vec<Vec<f64>> = empty_counts();
        let mut mass = vec![0.0; k];
        let mut converged = true;
        // The prior's sample, read first: household pairs among it train the
        // household model when there are enough of them.
        let sampled = evenly_spaced(all_pairs, params.max_training_pairs);
        let sampled_levels = vectors(&sampled);
        let name_frequency = model.namesake_name_frequency(records, &sampled, &sampled_levels);
        let patterns = patterns_of(sampled_levels);
        let h = {
            let household: Vec<([u8; FIELDS], f64)> = patterns
                .iter()
                .filter(|(v, _)| is_household(v))
                .cloned()
                .collect();
            let seen: f64 = household.iter().map(|p| p.1).sum();
            let initial: Vec<Vec<f64>> = Field::ALL.iter().map(|f| initial_m(*f)).collect();
            (seen >= MIN_HOUSEHOLD_PAIRS).then(|| {
                HouseholdModel::train(&household, &initial, &model.u, params.em_iterations)
            })
        };
        let namesakes: Vec<([u8; FIELDS], f64)> = patterns
            .iter()
            .filter(|(v, _)| is_namesake(v))
            .cloned()
            .collect();
        // Pairs of namesakes (one given and one family name) train the
        // namesake model when there are enough of them.
        let n = (namesakes.iter().map(|p| p.1).sum::<f64>() >= MIN_HOUSEHOLD_PAIRS).then(|| {
            let initial: Vec<Vec<f64>> = Field::ALL.iter().map(|f| initial_m(*f)).collect();
            NamesakeModel::train(&namesakes, &initial, &model.u, params.em_iterations)
        });
        // A household pair is a match as the household model judges it:
        // its members share the family name, address and phone, so the
        // general model, which counts those as independent evidence, would
        // take every member of a household for the same person.
        let household_posterior = h.as_ref().map(|h| {
            let (ln_m, ln_u) = (logs(&h.m), logs(&h.u));
            move |v: &[u8; FIELDS]| {
                is_household(v).then(|| {
                    posterior(
                        &household_levels(v),
                        h.prior,
                        &ln_m,
                        &ln_u,
                        &SHARED_IN_HOUSEHOLD,
                    )
                })
            }
        });
        // Likewise a namesake pair is a match as the namesake model judges
        // it: a shared name and a shared name-derived email are one fact.
        let namesake_logs = n.as_ref().map(|n| (logs(&n.m), logs(&n.u), n.prior));
        let known = |v: &[u8; FIELDS]| {
            household_posterior.as_ref().and_then(|f| f(v)).or_else(|| {
                namesake_logs
                    .as_ref()
                    .filter(|_| is_namesake(v))
                    .map(|(lm, lu, p)| posterior(v, *p, lm, lu, &SHARED_BY_NAMESAKES))
            })
        };
        for rule in blocking.rule_list() {
            let Some((_, len, sample)) = samples.iter().find(|(r, _, _)| r == rule) else {
                continue;
            };
            if *len < 10 {
                continue;
            }
            let patterns = patterns_of(vectors(sample));
            let fixed = agreeing_fields(*rule);
            let (m, matched) = em_session(&patterns, &model.u, fixed, &known, params.em_iterations);
            model.iterations = model.iterations.max(m.1);
            converged &= m.2;
            for (i, f) in Field::ALL.iter().enumerate() {
                if fixed.contains(f) {
                    continue;
                }
                for (l, v) in m.0[i].iter().enumerate() {
                    sums[i][l] += v * matched;
                }
                mass[i] += matched;
            }
        }
        if all_pairs.is_empty() {
            return Err(Detail::NoLabelledPairs { kind: "candidate" }.into());
        }
        model.m = Field::ALL
            .iter()
            .enumerate()
            .map(|(i, f)| {
                if mass[i] > 0.0 {
                    sums[i].iter().map(|v| v / mass[i]).collect()
                } else {
                    initial_m(*f)
                }
            })
            .collect();
        // The prior among all candidates, with m and u fixed.
        let mut prior = 0.3;
        let (ln_m, ln_u) = (logs(&model.m), logs(&model.u));
        for _ in 0..200 {
            let (mut matched, mut total) = (0.0, 0.0);
            for (v, c) in &patterns {
                matched += posterior(v, prior, &ln_m, &ln_u, &[]) * c;
                total += c;
            }
            let next = (matched / total).clamp(1e-6, 1.0 - 1e-6);
            let done = (next - prior).abs() < 1e-9;
            prior = next;
            if done {
                break;
            }
        }
        // The prior of a pair is that of two records drawn at random: the
        // expected matches among the candidates over all pairs. Blocking
        // picked the candidates for agreeing fields, and those fields' weights
        // already count that agreement: a prior among candidates would count
        // it twice (and the more namesakes a population holds, the more a
        // name-only agreement would be overrated).
        let matches = prior * all_pairs.len() as f64;
        model.prior = (matches / total_pairs.max(1.0)).clamp(1e-12, 1.0 - 1e-6);
        // Household pairs are told apart by the household model trained
        // above (when there were enough of them to train it).
        if let Some(mut n) = n {
            for (k, f) in SHARED_BY_NAMESAKES.iter().enumerate() {
                let u = model.u(*f, 1);
                if name_frequency[k] > 0.0 && u > 0.0 {
                    n.name_shift[k] = (name_frequency[k] / u).log2();
                }
            }
            model.iterations = model.iterations.max(n.iterations);
            converged &= n.converged;
            model.namesake = Some(n);
        }
        if let Some(h) = h {
            model.iterations = model.iterations.max(h.iterations);
            converged &= h.converged;
            model.household = Some(h);
        }
        model.training = Training::Unlabelled {
            iterations: model.iterations,
            converged,
        };
        Ok(model.with_weights())
    }

    /// Trains a model from labelled pairs `(i, j, is_match)`: `m` and the
    /// prior from the labels, `u` from random pairs.
    ///
    /// # Errors
    ///
    /// As [`MatchModel::train`], and
    /// [`ErrorKind::InsufficientData`](crate::error::ErrorKind::InsufficientData)
    /// when the labels hold no match or no non-match.
    pub fn from_labelled(
        records: &[NormalizedRecord],
        labelled: &[(u32, u32, bool)],
        generic: GenericValues,
        params: &TrainParams,
    ) -> Result<MatchModel> {
        let pairs: Vec<(u32, u32)> = labelled.iter().map(|(a, b, _)| (*a, *b)).collect();
        check_pairs(records, &pairs)?;
        let matches = labelled.iter().filter(|p| p.2).count();
        if matches == 0 {
            return Err(Detail::NoLabelledPairs { kind: "matching" }.into());
        }
        if matches == labelled.len() {
            return Err(Detail::NoLabelledPairs {
                kind: "non-matching",
            }
            .into());
        }
        let mut model = MatchModel::base(records, generic, params)?;
        let mut mcounts = empty_counts();
        // Household pairs train the household model: its `m` from the
        // matches, its `u` from the household's other members.
        let (mut hm, mut hu, mut household) = (household_counts(), household_counts(), [0.0f64; 2]);
        for &(a, b, is_match) in labelled {
            let v = levels(&records[a as usize], &records[b as usize], &model.generic);
            if is_match {
                for (i, l) in v.iter().enumerate() {
                    mcounts[i][*l as usize] += 1.0;
                }
            }
            if is_household(&v) {
                household[usize::from(is_match)] += 1.0;
                let counts = if is_match { &mut hm } else { &mut hu };
                for (i, l) in household_levels(&v).iter().enumerate() {
                    counts[i][*l as usize] += 1.0;
                }
            }
        }
        model.m = distributions(&mcounts);
        model.prior = matches as f64 / labelled.len() as f64;
        if household[0] + household[1] >= MIN_HOUSEHOLD_PAIRS && household[0] > 0.0 {
            model.household = Some(HouseholdModel {
                prior: (household[1] / (household[0] + household[1])).clamp(1e-6, 1.0 - 1e-6),
                m: distributions(&hm),
                u: distributions(&hu),
                iterations: 0,
                converged: true,
            });
        }
        model.training = Training::Labelled {
            pairs: labelled.len(),
        };
        Ok(model.with_weights())
    }

    /// Returns the model with another link threshold (a match probability in
    /// `0 < p < 1`; default 0.5).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    /// when `p` is not strictly between 0 and 1.
    pub fn with_link_probability(mut self, p: f64) -> Result<MatchModel> {
        check_param(
            p > 0.0 && p < 1.0,
            "link probability",
            p,
            "must be strictly between 0 and 1",
        )?;
        self.link_probability = p;
        Ok(self)
    }

    /// Returns the link threshold as a match probability.
    pub fn link_probability(&self) -> f64 {
        self.link_probability
    }

    /// Returns the prior probability of a match between two records drawn at
    /// random (the expected matches among the candidates over all pairs in
    /// scope).
    pub fn prior(&self) -> f64 {
        self.prior
    }

    /// Returns the EM iterations run (0 for a labelled or standard model).
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// Returns how the model came to be: trained (and whether EM settled
    /// before its iteration cap), labelled, or the standard model used for
    /// data too few to train.
    pub fn training(&self) -> Training {
        self.training
    }

    /// Returns `m` of a field's level.
    pub fn m(&self, field: Field, level: u8) -> f64 {
        self.m
            .get(field.index())
            .and_then(|d| d.get(level as usize))
            .copied()
            .unwrap_or(0.0)
    }

    /// Returns `u` of a field's level.
    pub fn u(&self, field: Field, level: u8) -> f64 {
        self.u
            .get(field.index())
            .and_then(|d| d.get(level as usize))
            .copied()
            .unwrap_or(0.0)
    }

    /// Returns the mean frequency of the shared given name (`[0]`) and
    /// family name (`[1]`) over the namesake pairs among `pairs` (whose
    /// levels are `levels`), 0 where there is none or no count.
    fn namesake_name_frequency(
        &self,
        records: &[NormalizedRecord],
        pairs: &[(u32, u32)],
        levels: &[[u8; FIELDS]],
    ) -> [f64; 2] {
        let mut sum = [0.0; 2];
        let mut n = [0usize; 2];
        for (p, v) in pairs.iter().zip(levels) {
            let Some(a) = records.get(p.0 as usize) else {
                continue;
            };
            if !is_namesake(v) {
                continue;
            }
            for (k, f) in SHARED_BY_NAMESAKES.iter().enumerate() {
                let Some(t) = self.tf.get(f.index()).filter(|t| t.total > 0) else {
                    continue;
                };
                if let Some(value) = f.tf_value(a) {
                    sum[k] += t.frequency(value);
                    n[k] += 1;
                }
            }
        }
        [0, 1].map(|k| if n[k] > 0 { sum[k] / n[k] as f64 } else { 0.0 })
    }

    /// Returns the term-frequency adjustment of `field` at `level` in a
    /// namesake pair, from the general one: centred on namesake pairs by
    /// the namesake model's shift (see `NamesakeModel::name_shift`).
    fn namesake_adjustment(&self, n: &NamesakeModel, field: Field, level: u8, general: f64) -> f64 {
        match SHARED_BY_NAMESAKES.iter().position(|f| *f == field) {
            Some(k) if level == 1 => {
                (general + n.name_shift[k]).clamp(-self.max_tf_adjustment, self.max_tf_adjustment)
            }
            _ => general,
        }
    }

    /// Returns the model with its weight table filled in.
    fn with_weights(mut self) -> MatchModel {
        let household = self.household.as_ref();
        self.weights = Weights {
            household_prior: household.map_or(0.0, HouseholdModel::prior_weight),
            household: household.map_or_else(Vec::new, |h| {
                Field::ALL
                    .iter()
                    .map(|f| {
                        let levels = if *f == Field::GivenName {
                            JOINT_LEVELS
                        } else {
                            f.levels().len()
                        };
                        (0..levels as u8).map(|l| h.level_weight(*f, l)).collect()
                    })
                    .collect()
            }),
            prior: self.prior_weight(),
            levels: Field::ALL
                .iter()
                .map(|f| {
                    (0..f.levels().len() as u8)
                        .map(|l| self.compute_level_weight(*f, l))
                        .collect()
                })
                .collect(),
        };
        self
    }

    fn prior_weight(&self) -> f64 {
        (self.prior / (1.0 - self.prior)).log2()
    }

    /// Returns the weight of a field's level in bits (0 for missing).
    pub fn level_weight(&self, field: Field, level: u8) -> f64 {
        match self
            .weights
            .levels
            .get(field.index())
            .and_then(|w| w.get(level as usize))
        {
            Some(w) => *w,
            None => self.compute_level_weight(field, level),
        }
    }

    fn compute_level_weight(&self, field: Field, level: u8) -> f64 {
        if level == 0 {
            return 0.0;
        }
        let (m, u) = (self.m(field, level), self.u(field, level));
        if m <= 0.0 || u <= 0.0 {
            0.0
        } else {
            (m / u).log2()
        }
    }

    /// Returns the generic values the model ignores.
    pub fn generic(&self) -> &GenericValues {
        &self.generic
    }

    fn tf_adjustment(&self, field: Field, level: u8, a: &NormalizedRecord) -> f64 {
        if level != 1 {
            return 0.0;
        }
        let i = field.index();
        // A single name that agrees exactly as the other's family name (see
        // `mononym_as_family`) is weighed by its frequency as one, wherever
        // its record holds it; the counts themselves hold family names only.
        let value = match field {
            Field::FamilyName => a.family().or_else(|| a.mononym()),
            _ => field.tf_value(a),
        };
        let Some(v) = value else {
            return 0.0;
        };
        let u_exact = self.u(field, 1);
        // No counts (the standard model): no value is known to be common.
        if u_exact <= 0.0 || self.tf.get(i).is_none_or(|t| t.total == 0) {
            return 0.0;
        }
        (u_exact / self.tf[i].frequency(v))
            .log2()
            .clamp(-self.max_tf_adjustment, self.max_tf_adjustment)
    }

    fn rule(&self, v: &[u8; FIELDS]) -> Option<MatchRule> {
        // Two national ids beyond a typo apart are two people whatever
        // inbox or phone they share: the trained weights still count the
        // shared value, the rule's certainty does not add to it.
        let nid = Field::NationalId;
        let ids_differ = v[nid.index()] as usize == nid.levels().len() - 1;
        if v[Field::AccountId.index()] == 1 {
            Some(MatchRule::SameAccountId)
        } else if ids_differ {
            None
        } else if v[Field::Email.index()] == 1 {
            Some(MatchRule::SameEmail)
        } else if v[Field::Phone.index()] == 1 {
            Some(MatchRule::SamePhone)
        } else {
            None
        }
    }

    /// Returns the score of a pair from its levels, `a` being the record
    /// with the smaller id (its values are the ones whose frequency adjusts
    /// the weight).
    fn score_levels(&self, v: &[u8; FIELDS], a: &NormalizedRecord) -> MatchScore {
        self.score_with(v, |f, l| self.tf_adjustment(f, l, a))
    }

    /// Returns the score of a pair from its levels and the term-frequency
    /// adjustment of each field's level.
    fn score_with(&self, v: &[u8; FIELDS], adjustment: impl Fn(Field, u8) -> f64) -> MatchScore {
        if let Some(h) = self.household.as_ref().filter(|_| is_household(v)) {
            return self.household_score(h, v);
        }
        if let Some(n) = self.namesake.as_ref().filter(|_| is_namesake(v)) {
            return self.namesake_score(n, v, adjustment);
        }
        let mut weight = if self.weights.levels.is_empty() {
            self.prior_weight()
        } else {
            self.weights.prior
        };
        for (i, f) in Field::ALL.iter().enumerate() {
            weight += self.level_weight(*f, v[i]) + adjustment(*f, v[i]);
        }
        let rule = self.rule(v);
        if rule.is_some() {
            weight += self.rule_weight;
        }
        MatchScore { weight, rule }
    }

    /// Returns the score of a pair of namesakes: the namesake prior, the
    /// namesake weights of every field but the name, and the
    /// term-frequency adjustments (a rare name still says more than a common
    /// one). Of the deterministic rules only a shared account id counts:
    /// namesakes' name-derived emails and a family's phone are shared by
    /// different people, which the trained weights already measure.
    fn namesake_score(
        &self,
        n: &NamesakeModel,
        v: &[u8; FIELDS],
        adjustment: impl Fn(Field, u8) -> f64,
    ) -> MatchScore {
        let mut weight = n.prior_weight();
        for (i, f) in Field::ALL.iter().enumerate() {
            let tf = self.namesake_adjustment(n, *f, v[i], adjustment(*f, v[i]));
            weight += n.level_weight(*f, v[i]) + tf;
        }
        let rule = (v[Field::AccountId.index()] == 1).then_some(MatchRule::SameAccountId);
        if rule.is_some() {
            weight += self.rule_weight;
        }
        MatchScore { weight, rule }
    }

    /// Returns the score of a household pair: the household prior and the
    /// household weights of [`HOUSEHOLD_FIELDS`]; of the deterministic
    /// rules only a shared account id counts, since a household shares its
    /// phone and often an email.
    fn household_score(&self, h: &HouseholdModel, v: &[u8; FIELDS]) -> MatchScore {
        let cached = !self.weights.household.is_empty();
        let mut weight = if cached {
            self.weights.household_prior
        } else {
            h.prior_weight()
        };
        let v = household_levels(v);
        for f in HOUSEHOLD_FIELDS {
            let l = v[f.index()];
            weight += if cached {
                self.weights.household[f.index()][l as usize]
            } else {
                h.level_weight(f, l)
            };
        }
        let rule = (v[Field::AccountId.index()] == 1).then_some(MatchRule::SameAccountId);
        if rule.is_some() {
            weight += self.rule_weight;
        }
        MatchScore { weight, rule }
    }

    /// Whether a pair with levels `v` conflicts (see [`Matcher::is_conflict`]).
    fn conflict(&self, v: &[u8; FIELDS]) -> bool {
        let level = |f: Field| v[f.index()];
        if let Some(h) = self.household.as_ref().filter(|_| is_household(v)) {
            // Within a household the trained household model decides: a
            // pair it does not link is two of the household's members.
            return self.household_score(h, v).weight < self.link_weight();
        }
        let birth = level(Field::BirthDate);
        // Clearly different given names (no typo, nickname or initial
        // apart), in one family, with birth dates that agree (twins), are
        // missing or generic, or differ by more than one typo.
        let other_member = level(Field::GivenName) == 10
            && match level(Field::FamilyName) {
                1 => matches!(birth, 0 | 1 | 4),
                0 => birth == 1,
                _ => false,
            };
        // Two stable personal identifiers that both disagree: another
        // person who shares a common name and a neighbourhood.
        let other_ids = level(Field::NationalId) == 4 && level(Field::Phone) == 3;
        let same_id = matches!(level(Field::NationalId), 1 | 2);
        // A family shares an email as it shares an address (a parent and a
        // child with one name, one inbox): only a national id overrules
        // birth dates that differ; a shared inbox (the same email, or the
        // same mailbox with another `+tag`) overrules the rest.
        let same_inbox = matches!(level(Field::Email), 1 | 2);
        !same_id && (birth == 5 || ((other_member || other_ids) && !same_inbox))
    }

    /// Returns the comparison levels of a pair, in [`Field::ALL`] order.
    pub fn levels(&self, a: &NormalizedRecord, b: &NormalizedRecord) -> [u8; FIELDS] {
        levels(a, b, &self.generic)
    }
}

fn check_pairs(records: &[NormalizedRecord], pairs: &[(u32, u32)]) -> Result<()> {
    for &(a, b) in pairs {
        let index = a.max(b) as usize;
        if index >= records.len() {
            return Err(Detail::PairOutOfRange {
                index,
                len: records.len(),
            }
            .into());
        }
    }
    Ok(())
}

/// Orders a pair by record id, so that scores do not depend on argument order.
fn ordered<'r>(
    a: &'r NormalizedRecord,
    b: &'r NormalizedRecord,
) -> (&'r NormalizedRecord, &'r NormalizedRecord) {
    if b.id() < a.id() {
        (b, a)
    } else {
        (a, b)
    }
}

impl Matcher for MatchModel {
    fn link_weight(&self) -> f64 {
        (self.link_probability / (1.0 - self.link_probability)).log2()
    }

    /// A pair of one household (one family name and one address or phone)
    /// conflicts when the trained household model does not link it: two of
    /// the household's members. Other pairs conflict, unless their national
    /// ids agree within one edit, on:
    /// - birth dates that differ beyond a typo or a day/month swap (parent
    ///   and child with one name, who may share an inbox as they share an
    ///   address);
    ///
    /// and, unless their national ids agree or they share an inbox (the same
    /// email, or the same mailbox under another `+tag`), on:
    /// - clearly different given names (no typo, nickname or initial apart)
    ///   in one family whose birth dates agree (twins who live apart), are
    ///   missing or generic, or differ by two edits; for people known by one
    ///   name only, only agreeing birth dates count;
    /// - national ids that differ beyond two edits and phones that differ
    ///   (namesakes of one neighbourhood).
    fn is_conflict(&self, a: &NormalizedRecord, b: &NormalizedRecord) -> bool {
        let (a, b) = ordered(a, b);
        self.conflict(&levels(a, b, &self.generic))
    }

    fn score_and_conflict(&self, a: &NormalizedRecord, b: &NormalizedRecord) -> (MatchScore, bool) {
        let (a, b) = ordered(a, b);
        let v = levels(a, b, &self.generic);
        (self.score_levels(&v, a), self.conflict(&v))
    }

    fn score(&self, a: &NormalizedRecord, b: &NormalizedRecord) -> MatchScore {
        let (a, b) = ordered(a, b);
        self.score_levels(&levels(a, b, &self.generic), a)
    }

    fn explain(&self, a: &NormalizedRecord, b: &NormalizedRecord) -> MatchExplanation {
        let (a, b) = ordered(a, b);
        let v = levels(a, b, &self.generic);
        let household = self.household.as_ref().filter(|_| is_household(&v));
        let namesake = self
            .namesake
            .as_ref()
            .filter(|_| household.is_none() && is_namesake(&v));
        let joint = household_levels(&v);
        let prior_weight = match (household, namesake) {
            (Some(h), _) => h.prior_weight(),
            (None, Some(n)) => n.prior_weight(),
            (None, None) => self.prior_weight(),
        };
        let comparisons: Vec<ComparisonExplanation> = Field::ALL
            .iter()
            .enumerate()
            .map(|(i, f)| ComparisonExplanation {
                field: *f,
                level: v[i],
                label: f.levels()[v[i] as usize].to_owned(),
                weight: match (household, namesake) {
                    (Some(h), _) => h.level_weight(*f, joint[i]),
                    (None, Some(n)) => n.level_weight(*f, v[i]),
                    (None, None) => self.level_weight(*f, v[i]),
                },
                tf_adjustment: match (household, namesake) {
                    (Some(_), _) => 0.0,
                    (None, Some(n)) => {
                        self.namesake_adjustment(n, *f, v[i], self.tf_adjustment(*f, v[i], a))
                    }
                    (None, None) => self.tf_adjustment(*f, v[i], a),
                },
            })
            .collect();
        let score = self.score(a, b);
        MatchExplanation {
            a: a.id().clone(),
            b: b.id().clone(),
            prior_weight,
            comparisons,
            rule: score.rule,
            rule_weight: if score.rule.is_some() {
                self.rule_weight
            } else {
                0.0
            },
            weight: score.weight,
            probability: score.probability(),
            is_link: score.weight >= self.link_weight(),
            context: match (household, namesake) {
                (Some(_), _) => ScoreContext::Household,
                (None, Some(_)) => ScoreContext::Namesake,
                (None, None) => ScoreContext::General,
            },
        }
    }
}

/// A candidate pair with its score.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ScoredPair {
    /// Index of the first record.
    pub a: u32,
    /// Index of the second record.
    pub b: u32,
    /// Match weight in bits.
    pub weight: f64,
}

/// Scores the candidate pairs and keeps the links (weight at or above the
/// link weight): all that [`cluster`](crate::identity::cluster) reads of
/// the scores, since its guards score cross pairs themselves. Far less
/// memory than every scored pair.
pub(crate) fn score_links(
    records: &[NormalizedRecord],
    candidates: &CandidatePairs,
    matcher: &dyn Matcher,
) -> Result<Vec<ScoredPair>> {
    check_pairs(records, candidates.pairs())?;
    let threshold = matcher.link_weight();
    let one = |&(a, b): &(u32, u32)| {
        let weight = matcher
            .score(&records[a as usize], &records[b as usize])
            .weight();
        (weight >= threshold).then_some(ScoredPair { a, b, weight })
    };
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        Ok(candidates.pairs().par_iter().filter_map(one).collect())
    }
    #[cfg(not(feature = "rayon"))]
    {
        Ok(candidates.pairs().iter().filter_map(one).collect())
    }
}

/// The fields whose exact agreement is adjusted for the value's frequency.
const TF_FIELDS: [Field; 5] = [
    Field::GivenName,
    Field::FamilyName,
    Field::Street,
    Field::Locality,
    Field::Postcode,
];

/// A record's term-frequency adjustment of exact agreement, per
/// [`TF_FIELDS`] entry.
pub(crate) type Adjustments = [f64; TF_FIELDS.len()];

/// What a resolution of records sorted by id knows once every candidate
/// pair is compared: the candidates' levels, each record's term-frequency
/// adjustments, and which links conflict. Clustering reads scores and
/// conflicts here instead of comparing pairs again.
pub(crate) struct KnownLevels<'a> {
    pub(crate) pairs: &'a [(u32, u32)],
    /// Where the pairs of each first record start in `pairs` (see
    /// [`KnownLevels::starts`]).
    pub(crate) starts: Vec<usize>,
    pub(crate) levels: &'a [[u8; FIELDS]],
    pub(crate) adjustments: &'a [Adjustments],
    pub(crate) model: &'a MatchModel,
    /// Whether each link conflicts, in the order of the links.
    pub(crate) link_conflicts: &'a [bool],
}

impl KnownLevels<'_> {
    /// Returns, for sorted `pairs` of `n` records, where the pairs of each
    /// first record start: those of record `a` are `starts[a]..starts[a + 1]`.
    pub(crate) fn starts(pairs: &[(u32, u32)], n: usize) -> Vec<usize> {
        let mut starts = Vec::with_capacity(n + 1);
        let mut i = 0;
        for a in 0..=n {
            while i < pairs.len() && (pairs[i].0 as usize) < a {
                i += 1;
            }
            starts.push(i);
        }
        starts
    }

    /// Returns what [`Matcher::score_and_conflict`] gives for records `x`
    /// and `y`, when they are a candidate pair.
    pub(crate) fn score_and_conflict(&self, x: u32, y: u32) -> Option<(MatchScore, bool)> {
        let (a, b) = (x.min(y) as usize, x.max(y));
        let (from, to) = (*self.starts.get(a)?, *self.starts.get(a + 1)?);
        let i = from
            + self
                .pairs
                .get(from..to)?
                .binary_search_by_key(&b, |p| p.1)
                .ok()?;
        let v = self.levels.get(i)?;
        let adjustments = self.adjustments.get(x.min(y) as usize)?;
        Some((
            self.model.score_adjusted(v, adjustments),
            self.model.conflict(v),
        ))
    }
}

impl MatchModel {
    /// Returns every record's term-frequency adjustments (in parallel with
    /// the `rayon` feature).
    pub(crate) fn adjustments(&self, records: &[NormalizedRecord]) -> Vec<Adjustments> {
        let one = |r: &NormalizedRecord| TF_FIELDS.map(|f| self.tf_adjustment(f, 1, r));
        #[cfg(feature = "rayon")]
        {
            use rayon::prelude::*;
            records.par_iter().map(one).collect()
        }
        #[cfg(not(feature = "rayon"))]
        {
            records.iter().map(one).collect()
        }
    }

    /// [`MatchModel::score_levels`] with the adjustments of the record with
    /// the smaller id worked out beforehand.
    fn score_adjusted(&self, v: &[u8; FIELDS], adjustments: &Adjustments) -> MatchScore {
        self.score_with(v, |f, l| match f.tf_slot() {
            Some(k) if l == 1 => adjustments[k],
            _ => 0.0,
        })
    }
}

/// Keeps the links among candidate pairs of `records` (sorted by id) whose
/// levels are known: what [`score_links`] gives with `model`, with whether
/// each link conflicts.
pub(crate) fn links_from_levels(
    candidates: &CandidatePairs,
    levels: &[[u8; FIELDS]],
    adjustments: &[Adjustments],
    model: &MatchModel,
) -> (Vec<ScoredPair>, Vec<bool>) {
    let threshold = model.link_weight();
    let one = |(&(a, b), v): (&(u32, u32), &[u8; FIELDS])| {
        let weight = model.score_adjusted(v, &adjustments[a as usize]).weight();
        (weight >= threshold).then(|| (ScoredPair { a, b, weight }, model.conflict(v)))
    };
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        candidates
            .pairs()
            .par_iter()
            .zip(levels.par_iter())
            .filter_map(one)
            .unzip()
    }
    #[cfg(not(feature = "rayon"))]
    {
        candidates
            .pairs()
            .iter()
            .zip(levels.iter())
            .filter_map(one)
            .unzip()
    }
}

/// Scores every candidate pair with `matcher` (in parallel with the `rayon`
/// feature): a pure step, the same pairs get the same weights in any order.
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput) when
/// a pair points past `records`.
pub fn score_pairs(
    records: &[NormalizedRecord],
    candidates: &CandidatePairs,
    matcher: &dyn Matcher,
) -> Result<Vec<ScoredPair>> {
    check_pairs(records, candidates.pairs())?;
    let one = |&(a, b): &(u32, u32)| ScoredPair {
        a,
        b,
        weight: matcher
            .score(&records[a as usize], &records[b as usize])
            .weight(),
    };
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        Ok(candidates.pairs().par_iter().map(one).collect())
    }
    #[cfg(not(feature = "rayon"))]
    {
        Ok(candidates.pairs().iter().map(one).collect())
    }
}

/// Forgetting records: kept apart from training and scoring (its own
/// `impl` block) so that it changes nothing they do.
impl MatchModel {
    /// Removes `records`' contribution from the term frequencies, as if they
    /// had not been counted: afterwards the frequencies (and the model's
    /// JSON `tf` part) equal those of a model trained without them. Use it
    /// when a person is erased, with each record as the training normalised
    /// it.
    ///
    /// `m`, `u` and the prior are aggregates (level distributions over
    /// sampled and candidate pairs) holding no value of any record; they are
    /// left as they are, so scores are those of a model trained on the
    /// records before, less what the erased values' frequencies added. The
    /// generic values, which are shared by many records by definition, are
    /// kept too. Retrain to drop a record's influence on the aggregates. A
    /// model that counted no values of a field (the standard model counts
    /// none) has nothing of it to forget.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::error::ErrorKind::InvalidParameter)
    /// when a value of `records` was not counted (often enough), that is
    /// when the model was not trained on them; the model is then unchanged.
    pub fn forget(&mut self, records: &[NormalizedRecord]) -> Result<()> {
        // Check every decrement before making one, so a refusal changes
        // nothing.
        let mut need: Vec<FixedMap<&str, u32>> = vec![FixedMap::default(); self.tf.len()];
        let mut totals = vec![0u64; self.tf.len()];
        for r in records {
            for f in Field::ALL {
                let Some(v) = f.tf_value(r) else { continue };
                let i = f.index();
                *need[i].entry(v).or_insert(0) += 1;
                totals[i] += 1;
            }
        }
        for (i, tf) in self.tf.iter().enumerate() {
            // A field the model counted nothing of (the standard model
            // counts no values) holds no trace of anyone to forget.
            if tf.total == 0 {
                need[i] = FixedMap::default();
                totals[i] = 0;
                continue;
            }
            let short = need[i]
                .iter()
                .any(|(v, n)| tf.counts.get(*v).copied().unwrap_or(0) < *n);
            check_param(
                !short && totals[i] <= tf.total,
                "records to forget",
                records.len(),
                "must hold only values the model counted",
            )?;
        }
        for (i, tf) in self.tf.iter_mut().enumerate() {
            for (v, n) in &need[i] {
                if let Some(c) = tf.counts.get_mut(*v) {
                    *c -= n;
                    if *c == 0 {
                        tf.counts.remove(*v);
                    }
                }
            }
            tf.total -= totals[i];
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::record::{normalize_record, NormalizeParams};
    use crate::model::{PersonName, PostalAddress, SourceRecord, Text};
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;

    /// A normalised record with the given names and one address; an empty
    /// value is left out.
    fn person(
        given: &str,
        family: &str,
        street: &str,
        city: &str,
        region: &str,
        postcode: &str,
    ) -> NormalizedRecord {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut b = SourceRecord::builder("r", "s", at).unwrap();
        let part = |v: &str| (!v.is_empty()).then_some(v.to_owned());
        if let Ok(n) = PersonName::from_parts(part(given).as_deref(), part(family).as_deref()) {
            b.identity().names.push(n);
        }
        let mut a = PostalAddress::default();
        a.lines.extend(Text::new(street).ok());
        a.city = Text::new(city).ok();
        a.region = Text::new(region).ok();
        a.postal_code = Text::new(postcode).ok();
        b.identity().addresses.push(a);
        normalize_record(&b.build().unwrap(), &NormalizeParams::default())
    }

    proptest! {
        /// A score of one's own keeps any finite weight as given and refuses
        /// the rest, from the whole range of `f64` bit patterns.
        #[test]
        fn a_score_keeps_a_finite_weight_and_refuses_the_rest(bits in any::<u64>()) {
            let w = f64::from_bits(bits);
            match MatchScore::new(w) {
                Ok(s) => {
                    prop_assert!(w.is_finite());
                    prop_assert_eq!(s.weight().to_bits(), w.to_bits());
                    prop_assert!((0.0..=1.0).contains(&s.probability()));
                }
                Err(e) => {
                    prop_assert!(!w.is_finite());
                    prop_assert_eq!(e.kind(), crate::error::ErrorKind::InvalidParameter);
                }
            }
        }

        /// The places compared from the most specific down, skipping what
        /// nesting sets aside, give the levels of the full comparison: on
        /// small pools of values, so that places agree, differ by a typo,
        /// differ or are missing in every combination.
        #[test]
        fn place_shortcut_equals_the_full_comparison(
            places in proptest::collection::vec(
                (
                    prop::sample::select(vec!["", "12 Main Street", "12 Main St", "4 Oak Road"]),
                    prop::sample::select(vec!["", "Salem", "Salme", "Ashford"]),
                    prop::sample::select(vec!["", "Oregon", "Kent"]),
                    prop::sample::select(vec!["", "2210", "2201", "9000"]),
                ),
                2,
            ),
        ) {
            let [x, y] = [&places[0], &places[1]]
                .map(|(s, c, r, p)| person("Ana", "Silva", s, c, r, p));
            let generic = GenericValues::default();
            prop_assert_eq!(levels(&x, &y, &generic), levels_in_full(&x, &y, &generic));
        }
    }

    #[test]
    fn a_single_name_is_read_as_the_family_name_it_fits() {
        let full = person("Mia", "Chalham", "", "", "", "");
        let family_only = person("", "Chlham", "", "", "", "");
        let near_given = person("", "Mai", "", "", "", "");
        assert_eq!(
            mononym_as_family(&full, &family_only),
            Some(("chlham", "chalham"))
        );
        assert_eq!(
            mononym_as_family(&family_only, &full),
            Some(("chlham", "chalham"))
        );
        // One edit from the given name: a given name, whatever the family.
        assert_eq!(mononym_as_family(&full, &near_given), None);
        // Two single names: compared as such, not as a family name.
        assert_eq!(mononym_as_family(&family_only, &family_only), None);
        // Family-name frequencies count family names only: a single name
        // given as a given name is not one.
        let given_only = person("Sukarno", "", "", "", "", "");
        assert_eq!(given_only.mononym(), Some("sukarno"));
        assert_eq!(Field::FamilyName.tf_value(&given_only), None);
        assert_eq!(Field::FamilyName.tf_value(&family_only), Some("chlham"));
    }

    /// Names near the longest a record holds (64 KB) compare in bounded
    /// work: the similarities read a capped prefix, the edit distance a band.
    #[test]
    fn long_single_names_compare() {
        let long = "chalham".repeat(9_000);
        // A letter lost at the end: the compared prefix agrees.
        let typo = &long[..long.len() - 1];
        let full = person(&"mia".repeat(20_000), &long, "", "", "", "");
        let single = person("", typo, "", "", "", "");
        assert_eq!(
            mononym_as_family(&full, &single).map(|(m, _)| m.len()),
            Some(typo.len())
        );
        let v = levels(&full, &single, &GenericValues::default());
        assert_eq!(v[Field::GivenName.index()], 0);
        assert_eq!(v[Field::FamilyName.index()], 3);
    }

    /// A normalised record of `source` named after its id, with a birth
    /// date and an email, each left out when empty.
    fn holder(id: &str, source: &str, born: &str, email: &str) -> NormalizedRecord {
        use crate::model::{Birth, EmailAddress};
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut b = SourceRecord::builder(id, source, at).unwrap();
        b.identity()
            .names
            .push(PersonName::from_parts(Some(&format!("Ana{id}")), Some("Silva")).unwrap());
        if !born.is_empty() {
            b.demographic().birth = Some(Birth::Date(born.parse().unwrap()));
        }
        if !email.is_empty() {
            b.identity().emails.push(EmailAddress::new(email).unwrap());
        }
        normalize_record(&b.build().unwrap(), &NormalizeParams::default())
    }

    proptest! {
        /// Counting each value's holders gives what comparing every pair
        /// gives: the share of pairs (in scope) holding one that share one.
        #[test]
        fn exact_agreement_equals_comparing_every_pair(
            people in proptest::collection::vec(
                (
                    prop::sample::select(vec!["crm", "shop", "web"]),
                    prop::sample::select(vec!["", "1980-02-03", "1980-03-02", "1975-07-01"]),
                    prop::sample::select(vec!["", "ana@mail.pt", "bia@mail.pt"]),
                ),
                2..24,
            ),
            across in any::<bool>(),
        ) {
            let records: Vec<NormalizedRecord> = people
                .iter()
                .enumerate()
                .map(|(i, (source, born, email))| holder(&i.to_string(), source, born, email))
                .collect();
            let scope = if across { PairScope::AcrossSources } else { PairScope::All };
            let g = GenericValues::default();
            for field in [Field::BirthDate, Field::Email] {
                let (mut pairs, mut sharing) = (0.0, 0.0);
                for (i, a) in records.iter().enumerate() {
                    for b in &records[i + 1..] {
                        let level = levels(a, b, &g)[field.index()];
                        if level == 0 || (across && a.source() == b.source()) {
                            continue;
                        }
                        pairs += 1.0;
                        if level == 1 {
                            sharing += 1.0;
                        }
                    }
                }
                let counted = exact_agreement(&records, field, &g, scope);
                if pairs >= 1.0 {
                    let want = (sharing + 0.5) / (pairs + 0.5);
                    prop_assert!((counted.unwrap() - want).abs() < 1e-12, "{field}");
                } else {
                    prop_assert_eq!(counted, None);
                }
            }
        }
    }

    #[test]
    fn exact_agreement_counts_the_pairs_that_share_a_value() {
        let records = [
            holder("1", "crm", "1980-02-03", "ana@mail.pt"),
            holder("2", "shop", "1980-02-03", "ana@mail.pt"),
            holder("3", "crm", "1980-02-03", ""),
            holder("4", "shop", "1975-07-01", "bia@mail.pt"),
            holder("5", "shop", "", "cia@mail.pt"),
            holder("6", "crm", "1975-07-01", ""),
        ];
        let g = GenericValues::default();
        let close = |p: Option<f64>, want: f64| {
            let p = p.unwrap();
            assert!((p - want).abs() < 1e-12, "{p} is not {want}");
        };
        // Five records hold a birth date: ten pairs, three share 1980-02-03
        // and one 1975-07-01 (half a pair added to both, as the sampled
        // levels are smoothed).
        close(
            exact_agreement(&records, Field::BirthDate, &g, PairScope::All),
            4.5 / 10.5,
        );
        // Across sources only: crm {1, 3, 6} by shop {2, 4}, six pairs, of
        // which 1–2, 3–2 and 6–4 share a date (1 and 3 share theirs within
        // one source).
        close(
            exact_agreement(&records, Field::BirthDate, &g, PairScope::AcrossSources),
            3.5 / 6.5,
        );
        close(
            exact_agreement(&records, Field::Email, &g, PairScope::All),
            1.5 / 6.5,
        );
        // A generic value is no value: two records hold a date then.
        let generic = GenericValues::detect(&records, 3, 0.0);
        assert!(generic.is_generic_birth_date("1980-02-03".parse().unwrap()));
        close(
            exact_agreement(&records, Field::BirthDate, &generic, PairScope::All),
            1.5 / 1.5,
        );
        assert_eq!(
            exact_agreement(&records, Field::Street, &g, PairScope::All),
            None
        );
        assert_eq!(
            exact_agreement(&records[..1], Field::BirthDate, &g, PairScope::All),
            None
        );
    }

    #[test]
    fn term_frequency_slots_follow_their_list() {
        for f in Field::ALL {
            assert_eq!(f.tf_slot(), TF_FIELDS.iter().position(|t| *t == f), "{f}");
        }
    }

    #[test]
    fn field_index_follows_all() {
        for (i, f) in Field::ALL.iter().enumerate() {
            assert_eq!(f.index(), i);
        }
    }
}
