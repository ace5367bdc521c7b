//! A synthetic population of source records with known truth, for tests,
//! benches and the 1M-record timing.
//!
//! Each person gets one clean record and a random number of corrupted
//! copies: typos, transpositions, swapped given and family names,
//! nicknames, missing fields, a move to a new address, a new email, phone
//! format noise, a mistyped birth date. Names come from English, Portuguese,
//! Indonesian (including mononyms) and Hungarian (family name first in
//! full names). Hard negatives are built in: households (one family name,
//! address and phone, different people), twins (one birth date and
//! address, different given names), very common names (Silva, Nagy, Smith)
//! and generic values shared by unrelated people (`info@example.com`,
//! `0000000000`, 1900-01-01).

#![allow(dead_code)] // each user (test, bench, example) uses part of it

/// One synthetic row, every field as written in a CSV file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Row {
    pub(crate) rec_id: String,
    pub(crate) truth: String,
    pub(crate) given: String,
    pub(crate) family: String,
    pub(crate) full: String,
    pub(crate) dob: String,
    pub(crate) email: String,
    pub(crate) phone: String,
    pub(crate) street_number: String,
    pub(crate) street: String,
    pub(crate) city: String,
    pub(crate) postcode: String,
    pub(crate) state: String,
    pub(crate) country: String,
    pub(crate) national_id: String,
}

/// The CSV header matching [`Row::fields`].
pub(crate) const HEADER: [&str; 15] = [
    "rec_id",
    "cluster_id",
    "given_name",
    "surname",
    "full_name",
    "date_of_birth",
    "email",
    "phone",
    "street_number",
    "address_1",
    "city",
    "postcode",
    "state",
    "country",
    "soc_sec_id",
];

impl Row {
    pub(crate) fn fields(&self) -> [&str; 15] {
        [
            &self.rec_id,
            &self.truth,
            &self.given,
            &self.family,
            &self.full,
            &self.dob,
            &self.email,
            &self.phone,
            &self.street_number,
            &self.street,
            &self.city,
            &self.postcode,
            &self.state,
            &self.country,
            &self.national_id,
        ]
    }
}

/// SplitMix64: small, fast, reproducible.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x2545_f491_4f6c_dd1d)
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

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

struct Culture {
    country: &'static str,
    given: &'static [&'static str],
    nick: &'static [(&'static str, &'static str)],
    family: &'static [&'static str],
    common_family: &'static str,
    streets: &'static [&'static str],
    street_word: (&'static str, &'static str),
    cities: &'static [&'static str],
    states: &'static [&'static str],
}

const CULTURES: [Culture; 4] = [
    Culture {
        country: "US",
        given: &[
            "william",
            "robert",
            "james",
            "michael",
            "elizabeth",
            "katherine",
            "margaret",
            "jennifer",
            "thomas",
            "richard",
            "susan",
            "patricia",
            "daniel",
            "rebecca",
            "olivia",
            "emma",
            "noah",
            "liam",
            "ava",
            "ethan",
            "mason",
            "harper",
            "lucas",
            "amelia",
        ],
        nick: &[
            ("william", "bill"),
            ("robert", "bob"),
            ("elizabeth", "liz"),
            ("katherine", "kate"),
            ("margaret", "peggy"),
            ("thomas", "tom"),
            ("richard", "dick"),
            ("michael", "mike"),
        ],
        family: &[
            "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "wilson",
            "anderson", "taylor", "moore", "jackson", "martin", "thompson", "white", "harris",
            "clark", "lewis", "walker", "hall", "young", "allen", "king", "wright", "scott",
            "green", "baker", "adams", "nelson", "hill", "campbell", "mitchell", "roberts",
            "carter", "phillips", "evans", "turner", "torres", "parker", "collins", "edwards",
        ],
        common_family: "smith",
        streets: &[
            "oak",
            "maple",
            "pine",
            "cedar",
            "elm",
            "washington",
            "lake",
            "hill",
            "park",
            "sunset",
        ],
        street_word: ("street", "st"),
        cities: &[
            "springfield",
            "riverside",
            "franklin",
            "greenville",
            "bristol",
            "clinton",
            "salem",
            "madison",
        ],
        states: &["ca", "ny", "tx", "wa", "or", "il"],
    },
    Culture {
        country: "PT",
        given: &[
            "jose",
            "joao",
            "antonio",
            "francisco",
            "manuel",
            "maria",
            "ana",
            "beatriz",
            "mariana",
            "leonor",
            "matilde",
            "tiago",
            "rodrigo",
            "goncalo",
            "afonso",
            "ines",
            "carolina",
            "duarte",
            "rui",
            "paulo",
        ],
        nick: &[
            ("jose", "ze"),
            ("francisco", "chico"),
            ("manuel", "manel"),
            ("antonio", "toninho"),
        ],
        family: &[
            "santos",
            "ferreira",
            "pereira",
            "oliveira",
            "costa",
            "rodrigues",
            "martins",
            "jesus",
            "sousa",
            "fernandes",
            "goncalves",
            "gomes",
            "lopes",
            "marques",
            "alves",
            "almeida",
            "ribeiro",
            "pinto",
            "carvalho",
            "teixeira",
            "moreira",
            "correia",
        ],
        common_family: "silva",
        streets: &[
            "augusta",
            "da prata",
            "do ouro",
            "das flores",
            "de santa catarina",
            "do carmo",
            "da liberdade",
        ],
        street_word: ("rua", "r."),
        cities: &[
            "lisboa", "porto", "braga", "coimbra", "faro", "aveiro", "setubal",
        ],
        states: &["lisboa", "porto", "braga", "faro"],
    },
    Culture {
        country: "ID",
        given: &[
            "budi", "agus", "siti", "dewi", "sri", "putri", "eko", "wahyu", "rina", "andi",
            "yusuf", "nur", "indah", "ayu", "rizki", "fajar", "hendra", "lestari",
        ],
        nick: &[("agustinus", "agus"), ("muhammad", "moh")],
        family: &[
            "santoso",
            "wijaya",
            "saputra",
            "hidayat",
            "kusuma",
            "pratama",
            "setiawan",
            "nugroho",
            "wibowo",
            "susanto",
            "halim",
            "gunawan",
            "siregar",
            "nasution",
            "simanjuntak",
            "harahap",
            "lubis",
            "sihombing",
        ],
        common_family: "putra",
        streets: &[
            "sudirman",
            "thamrin",
            "gatot subroto",
            "diponegoro",
            "merdeka",
            "ahmad yani",
        ],
        street_word: ("jalan", "jl."),
        cities: &[
            "jakarta",
            "surabaya",
            "bandung",
            "medan",
            "semarang",
            "yogyakarta",
        ],
        states: &["jk", "jt", "jb", "ji", "su"],
    },
    Culture {
        country: "HU",
        given: &[
            "istvan",
            "janos",
            "laszlo",
            "ferenc",
            "jozsef",
            "sandor",
            "andras",
            "gyorgy",
            "zsuzsanna",
            "katalin",
            "erzsebet",
            "maria",
            "eva",
            "anna",
            "judit",
            "agnes",
            "peter",
            "zoltan",
            "tamas",
            "gabor",
        ],
        nick: &[
            ("istvan", "pista"),
            ("janos", "jani"),
            ("laszlo", "laci"),
            ("ferenc", "feri"),
            ("zsuzsanna", "zsuzsa"),
            ("katalin", "kati"),
            ("erzsebet", "erzsi"),
            ("jozsef", "jozsi"),
        ],
        family: &[
            "kovacs", "toth", "szabo", "horvath", "varga", "kiss", "molnar", "nemeth", "farkas",
            "balogh", "papp", "takacs", "juhasz", "lakatos", "meszaros", "olah", "simon", "racz",
            "fekete", "szilagyi",
        ],
        common_family: "nagy",
        streets: &[
            "vaci",
            "rakoczi",
            "petofi",
            "kossuth",
            "andrassy",
            "bartok bela",
            "arany janos",
        ],
        street_word: ("utca", "u."),
        cities: &["budapest", "debrecen", "szeged", "miskolc", "pecs", "gyor"],
        states: &["bp", "hb", "cs", "baz", "ba"],
    },
];

const SYLLABLES: &[&str] = &[
    "ba", "be", "bo", "ca", "co", "da", "de", "di", "fa", "fe", "ga", "go", "ha", "he", "ja", "ka",
    "ke", "ko", "la", "le", "li", "lo", "ma", "me", "mi", "mo", "na", "ne", "no", "pa", "pe", "po",
    "ra", "re", "ri", "ro", "sa", "se", "si", "so", "ta", "te", "ti", "to", "va", "ve", "vi", "wa",
    "ya", "za",
];

const ENDINGS: [&[&str]; 4] = [
    &[
        "ton", "ley", "ford", "son", "well", "field", "wood", "man", "by", "ham",
    ],
    &[
        "eira", "oso", "ares", "ento", "elo", "inho", "ado", "edo", "uz", "ao",
    ],
    &[
        "wan", "ono", "ardi", "yanto", "putra", "sari", "jaya", "ningsih", "ito", "udin",
    ],
    &[
        "falvi", "hazi", "ossy", "ai", "enyi", "ody", "ffy", "ori", "eki", "any",
    ],
];

struct Person {
    culture: usize,
    given: String,
    family: String,
    dob: (u32, u32, u32),
    email: String,
    phone: String,
    street_number: u32,
    street: String,
    city: String,
    postcode: String,
    state: String,
    national_id: String,
    mononym: bool,
}

fn address(rng: &mut Rng, c: &Culture) -> (u32, String, String, String, String) {
    let street = rng.pick(c.streets).to_owned();
    let city_i = rng.below(c.cities.len());
    let postcode = format!("{:04}", 1000 + city_i * 700 + rng.below(600));
    (
        1 + rng.below(400) as u32,
        street,
        c.cities[city_i].to_owned(),
        postcode,
        rng.pick(c.states).to_owned(),
    )
}

fn phone_digits(rng: &mut Rng) -> String {
    (0..9)
        .map(|_| char::from(b'0' + rng.below(10) as u8))
        .collect()
}

fn new_email(rng: &mut Rng, given: &str, family: &str) -> String {
    let domains = [
        "gmail.com",
        "example.com",
        "mail.co.id",
        "sapo.pt",
        "freemail.hu",
        "outlook.com",
    ];
    let user = match rng.below(3) {
        // Addresses are personal: a number keeps namesakes apart.
        0 => format!("{given}.{family}{}", rng.below(100_000)),
        1 => format!("{given}{}", rng.below(1_000_000)),
        _ => format!("{}{family}{}", &given[..1], rng.below(100_000)),
    };
    format!("{user}@{}", rng.pick(&domains))
}

fn person(rng: &mut Rng) -> Person {
    let ci = rng.below(CULTURES.len());
    let c = &CULTURES[ci];
    let family = if rng.chance(0.05) {
        c.common_family.to_owned()
    } else if rng.chance(0.3) {
        rng.pick(c.family).to_owned()
    } else {
        // Real populations hold many more family names than a short list:
        // compose the rest from syllables.
        format!(
            "{}{}{}",
            rng.pick(SYLLABLES),
            rng.pick(SYLLABLES),
            rng.pick(ENDINGS[ci])
        )
    };
    let given = rng.pick(c.given).to_owned();
    let (street_number, street, city, postcode, state) = address(rng, c);
    Person {
        culture: ci,
        email: new_email(rng, &given, &family),
        given,
        family,
        dob: (
            1930 + rng.below(75) as u32,
            1 + rng.below(12) as u32,
            1 + rng.below(28) as u32,
        ),
        phone: phone_digits(rng),
        street_number,
        street,
        city,
        postcode,
        state,
        national_id: format!("{:09}", rng.below(1_000_000_000)),
        mononym: ci == 2 && rng.chance(0.1),
    }
}

fn typo(rng: &mut Rng, s: &str) -> String {
    let mut c: Vec<char> = s.chars().collect();
    if c.len() < 3 {
        return s.to_owned();
    }
    let i = 1 + rng.below(c.len() - 2);
    match rng.below(3) {
        0 => c.swap(i, i + 1),
        1 => c[i] = char::from(b'a' + rng.below(26) as u8),
        _ => {
            c.remove(i);
        }
    }
    c.into_iter().collect()
}

fn phone_text(rng: &mut Rng, country: &str, digits: &str) -> String {
    let (cc, trunk) = match country {
        "US" => ("1", ""),
        "PT" => ("351", ""),
        "ID" => ("62", "0"),
        _ => ("36", "06"),
    };
    let national = if country == "US" {
        format!("4{}", &digits[..9])
    } else {
        digits.to_owned()
    };
    match rng.below(4) {
        0 => format!(
            "+{cc} {} {} {}",
            &national[..2],
            &national[2..5],
            &national[5..]
        ),
        1 => format!("{trunk}{national}"),
        2 => format!(
            "({trunk}{}) {}-{}",
            &national[..2],
            &national[2..5],
            &national[5..]
        ),
        _ => format!("00{cc}{national}"),
    }
}

fn render(rng: &mut Rng, p: &Person, rec_id: String, truth: usize, corrupt: bool) -> Row {
    let c = &CULTURES[p.culture];
    let mut given = p.given.clone();
    let mut family = p.family.clone();
    let (mut y, mut m, mut d) = p.dob;
    let mut email = p.email.clone();
    let mut street_number = p.street_number;
    let mut street = p.street.clone();
    let mut city = p.city.clone();
    let mut postcode = p.postcode.clone();
    let mut state = p.state.clone();
    let mut national_id = p.national_id.clone();
    let mut phone = phone_text(rng, c.country, &p.phone);
    let drop = |rng: &mut Rng, p: f64, s: &mut String| {
        if rng.chance(p) {
            s.clear();
        }
    };
    let mut street_word = c.street_word.0;
    if corrupt {
        if rng.chance(0.25) {
            given = typo(rng, &given);
        }
        if rng.chance(0.2) {
            family = typo(rng, &family);
        }
        if rng.chance(0.15) {
            if let Some((_, nick)) = c.nick.iter().find(|(full, _)| *full == given) {
                given = (*nick).to_owned();
            }
        }
        if rng.chance(0.04) {
            std::mem::swap(&mut given, &mut family);
        }
        if rng.chance(0.1) {
            match rng.below(3) {
                0 => y = y + 1 - 2 * (rng.below(2) as u32),
                1 => d = 1 + rng.below(28) as u32,
                _ => std::mem::swap(&mut m, &mut d),
            }
            if m > 12 {
                std::mem::swap(&mut m, &mut d);
            }
        }
        if rng.chance(0.15) {
            let (n, s, ci, pc, st) = address(rng, c);
            street_number = n;
            street = s;
            city = ci;
            postcode = pc;
            state = st;
        }
        if rng.chance(0.15) {
            email = new_email(rng, &p.given, &p.family);
        }
        if rng.chance(0.1) {
            national_id = typo(rng, &national_id);
        }
        if rng.chance(0.5) {
            street_word = c.street_word.1;
        }
        if rng.chance(0.1) {
            street = typo(rng, &street);
        }
        drop(rng, 0.1, &mut email);
        drop(rng, 0.1, &mut phone);
        drop(rng, 0.05, &mut given);
        drop(rng, 0.05, &mut city);
        drop(rng, 0.1, &mut national_id);
    }
    let street_line = match c.country {
        "HU" => format!("{street} {street_word}"),
        _ => format!("{street_word} {street}"),
    };
    let dob = if corrupt && rng.chance(0.3) {
        format!("{d:02}/{m:02}/{y}")
    } else {
        format!("{y}{m:02}{d:02}")
    };
    let mut row = Row {
        rec_id,
        truth: truth.to_string(),
        dob,
        email,
        phone,
        street_number: street_number.to_string(),
        street: street_line,
        city,
        postcode,
        state,
        country: c.country.to_owned(),
        national_id,
        ..Row::default()
    };
    if p.mononym {
        row.full = given;
    } else if c.country == "HU" && rng.chance(0.5) && !given.is_empty() {
        row.full = format!("{family} {given}");
    } else {
        row.given = given;
        row.family = family;
    }
    row
}

/// Returns about `n` rows of people, about `dup_rate` of them duplicates,
/// shuffled; `truth` is the person's number.
pub(crate) fn generate(n: usize, dup_rate: f64, seed: u64) -> Vec<Row> {
    let mut rng = Rng::new(seed);
    let mut rows = Vec::with_capacity(n + 8);
    let mut person_id = 0usize;
    while rows.len() < n {
        let mut p = person(&mut rng);
        let id = person_id;
        person_id += 1;
        let copies = if rng.chance(dup_rate * 2.0) {
            1 + rng.below(3)
        } else {
            0
        };
        rows.push(render(&mut rng, &p, format!("r{id}-0"), id, false));
        for k in 0..copies {
            rows.push(render(&mut rng, &p, format!("r{id}-{}", k + 1), id, true));
        }
        // Hard negatives living with this person.
        if rng.chance(0.05) {
            // A household member: same family, address and phone.
            let hid = person_id;
            person_id += 1;
            let c = &CULTURES[p.culture];
            p.given = rng.pick(c.given).to_owned();
            p.dob = (
                1930 + rng.below(75) as u32,
                1 + rng.below(12) as u32,
                1 + rng.below(28) as u32,
            );
            p.email = new_email(&mut rng, &p.given, &p.family);
            p.national_id = format!("{:09}", rng.below(1_000_000_000));
            rows.push(render(&mut rng, &p, format!("r{hid}-0"), hid, false));
        } else if rng.chance(0.02) {
            // A twin: same birth date and address, another given name.
            let tid = person_id;
            person_id += 1;
            let c = &CULTURES[p.culture];
            let other: Vec<&str> = c.given.iter().copied().filter(|g| *g != p.given).collect();
            p.given = rng.pick(&other).to_owned();
            p.email = new_email(&mut rng, &p.given, &p.family);
            p.phone = phone_digits(&mut rng);
            p.national_id = format!("{:09}", rng.below(1_000_000_000));
            rows.push(render(&mut rng, &p, format!("r{tid}-0"), tid, false));
        }
    }
    // Generic values shared by unrelated people.
    for (i, row) in rows.iter_mut().enumerate() {
        match i % 97 {
            3 => "info@example.com".clone_into(&mut row.email),
            5 => "0000000000".clone_into(&mut row.phone),
            7 => "19000101".clone_into(&mut row.dob),
            _ => {}
        }
    }
    rng.shuffle(&mut rows);
    rows
}

/// Builds the source record of a row, as `examples/resolve.rs` maps CSV
/// columns (rows from [`generate`] are always valid).
pub(crate) fn to_source_record(r: &Row) -> custodia::model::SourceRecord {
    use chrono::TimeZone;
    use custodia::identity::{parse_date, DateOrder};
    use custodia::model::{
        Birth, CountryCode, EmailAddress, NationalId, NationalIdKind, PersonName, PhoneNumber,
        PostalAddress, SourceRecord, Text,
    };
    let at = chrono::Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid time");
    let opt = |s: &str| {
        if s.is_empty() {
            None
        } else {
            Some(s.to_owned())
        }
    };
    let mut b = SourceRecord::builder(&r.rec_id, "synth", at).expect("generated ids are valid");
    if !r.given.is_empty() || !r.family.is_empty() {
        if let Ok(n) = PersonName::from_parts(opt(&r.given).as_deref(), opt(&r.family).as_deref()) {
            b.identity().names.push(n);
        }
    } else if let Ok(n) = PersonName::from_full(&r.full) {
        b.identity().names.push(n);
    }
    if let Some(d) = parse_date(&r.dob, DateOrder::DayFirst) {
        b.demographic().birth = Some(Birth::Date(d));
    }
    if let Ok(e) = EmailAddress::new(&r.email) {
        b.identity().emails.push(e);
    }
    if let Ok(p) = PhoneNumber::new(&r.phone) {
        b.identity().phones.push(p);
    }
    let mut a = PostalAddress::default();
    if let Ok(t) = Text::new(&format!("{} {}", r.street_number, r.street)) {
        a.lines.push(t);
    }
    a.city = Text::new(&r.city).ok();
    a.postal_code = Text::new(&r.postcode).ok();
    a.region = Text::new(&r.state).ok();
    a.country = CountryCode::new(&r.country).ok();
    b.identity().addresses.push(a);
    if let Ok(n) = NationalId::new(NationalIdKind::SocialSecurity, None, &r.national_id) {
        b.identity().national_ids.push(n);
    }
    b.build().expect("generated records are valid")
}
