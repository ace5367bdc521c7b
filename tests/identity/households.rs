//! The households set: hard negatives that must stay apart, next to true
//! duplicates that must link, drawn with generator B's name pools and
//! formats (`synth_b.rs`).
//!
//! Units of people ([`Unit`]):
//! - households: two to five people at one address sharing the family
//!   name and a landline, sometimes one family email, each with their own
//!   birth date, mobile and (mostly) email;
//! - twins: one birth date, address, landline and family name, different
//!   given names, some of them close (Mia/Ria, Ana/Ann, Kehinde/Taiwo);
//! - Jr/Sr: father and son with one full name, the suffix mostly missing,
//!   birth dates 20–35 years apart, one address and landline;
//! - namesakes: two to four people with a very common name and different
//!   birth dates, half of them in one city;
//! - single people.
//!
//! A person has one to three records. Duplicates change formats, drop
//! fields and sometimes mistype the given name (Amy→May) or use a
//! diminutive (Isabella→Izzy); such a record then keeps the birth date and
//! the person's own mobile and email, so it stays linkable. Every record
//! keeps either its birth date or its own mobile and email, so no record
//! is left that only a shared value could place. Fields a source left empty
//! are sometimes filled with junk shared by unrelated people
//! (`test@test.com`, `n/a`, `000-000-0000`, `1900-01-01`, `unknown`).

#![allow(dead_code)] // each user (test, example) uses part of it

use super::synth_b::{
    birth_date, date_text, digits, diminutive, email_text, family_name, new_address, person,
    personal_email, phone_text, title_case, Address, Pcg32, Person, Row, Source, Tally, CULTURES,
};

/// The kinds of unit and record the set is built from, counted per run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    Household,
    SharedFamilyEmail,
    Twins,
    SimilarTwinNames,
    JuniorSenior,
    SuffixWritten,
    Namesakes,
    NamesakesSameCity,
    Single,
    TypoGivenName,
    DiminutiveGivenName,
    JunkValue,
}

/// Every [`Unit`] kind, in declaration order.
pub(crate) const UNIT_KINDS: [Unit; 12] = [
    Unit::Household,
    Unit::SharedFamilyEmail,
    Unit::Twins,
    Unit::SimilarTwinNames,
    Unit::JuniorSenior,
    Unit::SuffixWritten,
    Unit::Namesakes,
    Unit::NamesakesSameCity,
    Unit::Single,
    Unit::TypoGivenName,
    Unit::DiminutiveGivenName,
    Unit::JunkValue,
];

/// Counts of each [`Unit`] kind in one run (indexed like [`UNIT_KINDS`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Units(pub(crate) [usize; 12]);

impl Units {
    fn add(&mut self, u: Unit) {
        self.0[u as usize] += 1;
    }

    pub(crate) fn count(&self, u: Unit) -> usize {
        self.0[u as usize]
    }
}

/// Twin given names; the first pairs are close enough to look like typos.
const TWIN_NAMES: [(&str, &str); 14] = [
    ("mia", "ria"),
    ("ana", "ann"),
    ("jan", "jana"),
    ("paul", "paula"),
    ("luis", "luisa"),
    ("lea", "leo"),
    ("arjun", "arun"),
    ("hoa", "hoai"),
    ("chinedu", "chinedum"),
    ("emma", "emmy"),
    ("kehinde", "taiwo"),
    ("lucas", "hugo"),
    ("priya", "divya"),
    ("minh", "linh"),
];

/// Given-name mistakes that keep the letters: Amy→May, Ian→Ina.
const ANAGRAM_TYPOS: [(&str, &str); 6] = [
    ("amy", "may"),
    ("mia", "mai"),
    ("ian", "ina"),
    ("eva", "ave"),
    ("lea", "ela"),
    ("jonas", "jonsa"),
];

/// Very common full names, by culture index.
const COMMON_NAMES: [(usize, &str, &str); 14] = [
    (0, "john", "smith"),
    (0, "sarah", "jones"),
    (1, "maria", "garcia"),
    (1, "jose", "rodriguez"),
    (2, "thomas", "muller"),
    (2, "anna", "schmidt"),
    (3, "marie", "martin"),
    (3, "jean", "bernard"),
    (4, "van an", "nguyen"),
    (4, "thi hoa", "tran"),
    (5, "ibrahim", "musa"),
    (5, "blessing", "okafor"),
    (6, "mohammed", "khan"),
    (6, "rahul", "kumar"),
];

const JUNK_EMAILS: [&str; 4] = ["test@test.com", "n/a", "none@none.com", "unknown"];
const JUNK_PHONES: [&str; 4] = ["000-000-0000", "n/a", "1234567890", "0000000000"];
const JUNK_DATES: [&str; 3] = ["1900-01-01", "01/01/1900", "unknown"];

/// What people of one unit share beyond their own fields.
struct Shared {
    landline: Option<String>,
    family_email: Option<String>,
    /// Jr or Sr, written in some records.
    suffix: &'static str,
}

fn member(rng: &mut Pcg32, base: &Person, given: &str, dob: (u32, u32, u32)) -> Person {
    let c = &CULTURES[base.culture];
    Person {
        given: given.to_owned(),
        dob,
        emails: vec![personal_email(rng, c, given, &base.family)],
        phones: vec![digits(rng, c.national_digits)],
        national_id: c.id_digits.map(|n| digits(rng, n)).unwrap_or_default(),
        ..base.clone()
    }
}

fn distinct_given(rng: &mut Pcg32, culture: usize, taken: &[String]) -> String {
    let pool = CULTURES[culture].given;
    loop {
        let g = rng.pick(pool);
        if !taken.iter().any(|t| t == g) {
            return g.to_owned();
        }
    }
}

/// Renders one record. `first` records are written plainly; the others are
/// duplicates that may change the given name.
#[allow(clippy::too_many_arguments)]
fn render(
    rng: &mut Pcg32,
    p: &Person,
    shared: &Shared,
    first: bool,
    rec_id: String,
    truth: usize,
    units: &mut Units,
    tally: &mut Tally,
) -> Row {
    let c = &CULTURES[p.culture];
    let source = rng.pick(&[Source::Crm, Source::Web, Source::Paper, Source::CallCentre]);
    let mut given = p.given.clone();
    let mut changed = false;
    if !first && rng.odds(200) {
        if let Some((_, typo)) = ANAGRAM_TYPOS.iter().find(|(g, _)| *g == given) {
            given = (*typo).to_owned();
            units.add(Unit::TypoGivenName);
            changed = true;
        } else if let Some(short) = diminutive(rng, c, &given) {
            given = short;
            units.add(Unit::DiminutiveGivenName);
            changed = true;
        } else if given.len() >= 4 {
            given = super::synth_b::char_error(rng, &given, tally);
            units.add(Unit::TypoGivenName);
            changed = true;
        }
    }
    // A changed name keeps every personal value; otherwise the record keeps
    // its birth date or both its own mobile and email.
    let keep_dob = changed || !rng.odds(100);
    let personal_contacts = changed || !keep_dob;
    let dob = if keep_dob {
        date_text(rng, source, p.dob, 0, tally)
    } else {
        String::new()
    };
    let phone = match (&shared.landline, personal_contacts || rng.odds(550)) {
        (Some(l), false) => Some(l.clone()),
        (_, true) => Some(p.phones[0].clone()),
        (None, false) => (!rng.odds(150)).then(|| p.phones[0].clone()),
    };
    let email = match (&shared.family_email, personal_contacts, rng.below(10)) {
        (_, true, _) => Some(p.emails[0].clone()),
        (Some(f), false, 0..=2) => Some(f.clone()),
        (_, false, 3..=8) => Some(p.emails[0].clone()),
        _ => None,
    };
    let mut family = p.family.clone();
    if !shared.suffix.is_empty() && rng.odds(300) {
        family = format!("{family} {}", shared.suffix);
        units.add(Unit::SuffixWritten);
    }
    let case = |s: &str| match source {
        Source::Paper => s.to_uppercase(),
        Source::Web => s.to_owned(),
        _ => title_case(s),
    };
    let a = &p.address;
    let (long, short, after) = c.street_kind;
    let word = if rng.odds(500) { short } else { long };
    let mut row = Row {
        rec_id,
        truth: truth.to_string(),
        given: case(&given),
        family: case(&family),
        dob,
        email: email
            .map(|e| email_text(rng, &e, tally))
            .unwrap_or_default(),
        phone: phone
            .map(|ph| phone_text(rng, c, &ph, tally))
            .unwrap_or_default(),
        street_number: a.number.to_string(),
        street: if after {
            format!("{} {word}", a.street)
        } else {
            format!("{word} {}", a.street)
        },
        city: a.city.clone(),
        postcode: a.postcode.clone(),
        state: a.region.clone(),
        country: c.country.to_owned(),
        national_id: if rng.odds(400) {
            p.national_id.clone()
        } else {
            String::new()
        },
        ..Row::default()
    };
    if !first && rng.odds(100) {
        row.street.clear();
        row.street_number.clear();
    }
    // Junk fills some of what a source left empty.
    let mut junk = |rng: &mut Pcg32, field: &mut String, pool: &[&str]| {
        if field.is_empty() && rng.odds(300) {
            *field = rng.pick(pool).to_owned();
            units.add(Unit::JunkValue);
        }
    };
    junk(rng, &mut row.email, &JUNK_EMAILS);
    junk(rng, &mut row.phone, &JUNK_PHONES);
    junk(rng, &mut row.dob, &JUNK_DATES);
    junk(rng, &mut row.street, &["n/a", "unknown"]);
    if rng.odds(20) {
        "unknown".clone_into(&mut row.city);
        units.add(Unit::JunkValue);
    }
    row
}

fn records(rng: &mut Pcg32) -> usize {
    match rng.below(20) {
        0..=7 => 1,
        8..=14 => 2,
        _ => 3,
    }
}

/// Returns about `n` rows of the households set, shuffled, with the count
/// of each unit kind; `truth` is the person's number.
pub(crate) fn generate_with_units(n: usize, seed: u64) -> (Vec<Row>, Units) {
    let mut rng = Pcg32::new(seed ^ 0x686f_7573_6568_6f6c);
    let mut units = Units::default();
    let mut tally = Tally::default();
    let mut rows = Vec::with_capacity(n + 32);
    let mut next_id = 0usize;
    while rows.len() < n {
        let mut base = person(&mut rng);
        base.emails.truncate(1);
        base.phones.truncate(1);
        let ci = base.culture;
        let c = &CULTURES[ci];
        let landline = Some(digits(&mut rng, c.national_digits));
        let mut shared = Shared {
            landline: None,
            family_email: None,
            suffix: "",
        };
        let mut people: Vec<(Person, &'static str)> = Vec::new();
        match rng.below(20) {
            0..=8 => {
                units.add(Unit::Household);
                shared.landline = landline;
                if rng.odds(350) {
                    let family = base.family.clone();
                    shared.family_email = Some(format!(
                        "{}family{}@{}",
                        family.replace(' ', ""),
                        rng.below(1000),
                        rng.pick(c.domains)
                    ));
                    units.add(Unit::SharedFamilyEmail);
                }
                let parent = birth_date(&mut rng, 1940, 45);
                let size = 2 + rng.below(4);
                let mut taken = Vec::new();
                for k in 0..size {
                    let g = distinct_given(&mut rng, ci, &taken);
                    taken.push(g.clone());
                    let dob = if k < 2 {
                        (parent.0 + rng.below(6) as u32, parent.1, parent.2)
                    } else {
                        birth_date(&mut rng, parent.0 + 20, 20)
                    };
                    let dob = if k == 1 {
                        birth_date(&mut rng, dob.0, 1)
                    } else {
                        dob
                    };
                    people.push((member(&mut rng, &base, &g, dob), ""));
                }
            }
            9..=10 => {
                units.add(Unit::Twins);
                shared.landline = landline;
                let (a, b) = if rng.odds(600) {
                    units.add(Unit::SimilarTwinNames);
                    rng.pick(&TWIN_NAMES)
                } else {
                    let a = distinct_given(&mut rng, ci, &[]);
                    let b = distinct_given(&mut rng, ci, std::slice::from_ref(&a));
                    people.push((member(&mut rng, &base, &a, base.dob), ""));
                    people.push((member(&mut rng, &base, &b, base.dob), ""));
                    ("", "")
                };
                if !a.is_empty() {
                    people.push((member(&mut rng, &base, a, base.dob), ""));
                    people.push((member(&mut rng, &base, b, base.dob), ""));
                }
            }
            11..=12 => {
                units.add(Unit::JuniorSenior);
                shared.landline = landline;
                let sr = birth_date(&mut rng, 1940, 30);
                let jr = birth_date(&mut rng, sr.0 + 20, 16);
                let g = base.given.clone();
                people.push((member(&mut rng, &base, &g, sr), "sr"));
                people.push((member(&mut rng, &base, &g, jr), "jr"));
            }
            13..=15 => {
                units.add(Unit::Namesakes);
                let (nc, g, f) = rng.pick(&COMMON_NAMES);
                let same_city = rng.odds(500);
                if same_city {
                    units.add(Unit::NamesakesSameCity);
                }
                let city_of = new_address(&mut rng, &CULTURES[nc]);
                for _ in 0..2 + rng.below(3) {
                    let mut p = person(&mut rng);
                    p.emails.truncate(1);
                    p.phones.truncate(1);
                    p.culture = nc;
                    p.given = g.to_owned();
                    p.family = f.to_owned();
                    p.family2.clear();
                    p.emails = vec![personal_email(&mut rng, &CULTURES[nc], g, f)];
                    p.phones = vec![digits(&mut rng, CULTURES[nc].national_digits)];
                    p.national_id = CULTURES[nc]
                        .id_digits
                        .map(|n| digits(&mut rng, n))
                        .unwrap_or_default();
                    let mut a: Address = new_address(&mut rng, &CULTURES[nc]);
                    if same_city {
                        a.city.clone_from(&city_of.city);
                        a.region.clone_from(&city_of.region);
                    }
                    p.address = a;
                    people.push((p, ""));
                }
            }
            _ => {
                units.add(Unit::Single);
                if base.family2.is_empty() && rng.odds(100) {
                    base.family = family_name(&mut rng, c);
                }
                people.push((base.clone(), ""));
            }
        }
        // Spanish second family names would make these too easy.
        for (p, suffix) in &mut people {
            p.family2.clear();
            let id = next_id;
            next_id += 1;
            shared.suffix = suffix;
            for k in 0..records(&mut rng) {
                let row = render(
                    &mut rng,
                    p,
                    &shared,
                    k == 0,
                    format!("h{id}-{k}"),
                    id,
                    &mut units,
                    &mut tally,
                );
                rows.push(row);
            }
        }
    }
    rng.shuffle(&mut rows);
    (rows, units)
}

/// Returns about `n` rows of the households set, shuffled.
pub(crate) fn generate(n: usize, seed: u64) -> Vec<Row> {
    generate_with_units(n, seed).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn households_set_is_deterministic_for_a_seed() {
        assert_eq!(generate(2000, 7), generate(2000, 7));
        assert_ne!(generate(2000, 7), generate(2000, 8));
    }

    #[test]
    fn households_set_clusters_have_the_designed_sizes() {
        let rows = generate(20_000, 3);
        let mut sizes: HashMap<&str, usize> = HashMap::new();
        for r in &rows {
            *sizes.entry(r.truth.as_str()).or_default() += 1;
        }
        assert_eq!(sizes.values().copied().max(), Some(3));
        let singles = sizes.values().filter(|s| **s == 1).count();
        let share = singles as f64 / sizes.len() as f64;
        assert!((0.35..0.45).contains(&share), "share of singletons {share}");
    }

    #[test]
    fn households_set_has_every_unit_kind() {
        let (_, units) = generate_with_units(20_000, 5);
        for kind in UNIT_KINDS {
            assert!(units.count(kind) > 0, "{kind:?} never occurs");
        }
    }

    #[test]
    fn households_set_plants_twins_at_one_address() {
        // Twins are planted: records of different people that share
        // family name, address and birth date text must exist.
        let rows = generate(5000, 2);
        let mut by_key: HashMap<(String, String, String), Vec<&str>> = HashMap::new();
        for r in rows
            .iter()
            .filter(|r| r.dob.starts_with("19") && r.dob.len() == 10)
        {
            let key = (
                r.family.to_lowercase(),
                r.street.to_lowercase(),
                r.dob.clone(),
            );
            by_key.entry(key).or_default().push(&r.truth);
        }
        let twins = by_key
            .values()
            .filter(|t| t.iter().any(|x| *x != t[0]))
            .count();
        assert!(twins > 5, "only {twins} twin keys");
    }
}
