//! Normalizers: pure functions from text as written to comparable keys.
//!
//! Every normalizer keeps the original (the model holds it) and returns a
//! folded form: Unicode NFKC, lower case, diacritics removed, punctuation
//! reduced to single spaces. They never panic, whatever the text.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use crate::error::Result;
use crate::identity::error::Detail;

/// Folds text for comparison: NFKC, then NFD with combining marks removed,
/// lower case, and every run of non-alphanumeric characters turned into one
/// space (trimmed).
///
/// A few letters that do not decompose are mapped by hand (`ß` → `ss`,
/// `ø` → `o`, `ł` → `l`, `đ` → `d`, `æ` → `ae`, `œ` → `oe`, `ı` → `i`).
///
/// # Examples
///
/// ```
/// use custodia::identity::fold;
/// assert_eq!(fold("  JOSÉ  Conceição-Ñúñez "), "jose conceicao nunez");
/// assert_eq!(fold("Szőke Ödön"), "szoke odon");
/// assert_eq!(fold("ｆｕｌｌ　ｗｉｄｔｈ"), "full width");
/// ```
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        fold_ascii(text)
    } else {
        fold_unicode(text)
    }
}

/// [`fold`] of any text.
fn fold_unicode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    let composed: String = text.nfkc().collect();
    for c in composed.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            match c {
                'ß' | 'ẞ' => out.push_str("ss"),
                'ø' | 'Ø' => out.push('o'),
                'ł' | 'Ł' => out.push('l'),
                'đ' | 'Đ' => out.push('d'),
                'æ' | 'Æ' => out.push_str("ae"),
                'œ' | 'Œ' => out.push_str("oe"),
                'ı' => out.push('i'),
                _ => out.extend(c.to_lowercase().filter(|l| !is_combining_mark(*l))),
            }
        } else if c == '\'' || c == '’' {
            // O'Brien and D'Souza keep their letters together.
        } else {
            pending_space = true;
        }
    }
    out
}

/// [`fold`] of ASCII text, which is already in NFKC and NFD and has no
/// combining marks: the same steps on bytes (most input takes this path).
fn fold_ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.bytes() {
        if c.is_ascii_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(char::from(c.to_ascii_lowercase()));
        } else if c != b'\'' {
            pending_space = true;
        }
    }
    out
}

/// Returns `text` in NFKC, borrowed when it is ASCII (which NFKC leaves
/// unchanged).
fn nfkc(text: &str) -> std::borrow::Cow<'_, str> {
    if text.is_ascii() {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.nfkc().collect())
    }
}

/// The order in which a full name is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum NameOrder {
    /// Given names first, family name last (English, Portuguese, Indonesian).
    #[default]
    GivenFirst,
    /// Family name first (Hungarian: "Nagy István").
    FamilyFirst,
}

impl NameOrder {
    /// Returns the usual order for a country (ISO 3166-1 alpha-2):
    /// [`NameOrder::FamilyFirst`] where a name is written family name first
    /// (Hungary `HU`, Viet Nam `VN`, China `CN`, Taiwan `TW`, Hong Kong
    /// `HK`, Macao `MO`, both Koreas `KR` and `KP`, Cambodia `KH`),
    /// [`NameOrder::GivenFirst`] elsewhere. (Japanese names written in
    /// Latin letters come in either order, so `JP` keeps the default; a
    /// swap of the two names is compared as such in any case.)
    ///
    /// ```
    /// use custodia::identity::NameOrder;
    /// assert_eq!(NameOrder::for_country("vn"), NameOrder::FamilyFirst);
    /// assert_eq!(NameOrder::for_country("BR"), NameOrder::GivenFirst);
    /// ```
    pub fn for_country(country: &str) -> NameOrder {
        const FAMILY_FIRST: [&str; 9] = ["HU", "VN", "CN", "TW", "HK", "MO", "KR", "KP", "KH"];
        if FAMILY_FIRST.iter().any(|c| country.eq_ignore_ascii_case(c)) {
            NameOrder::FamilyFirst
        } else {
            NameOrder::GivenFirst
        }
    }
}

/// Titles and honorifics dropped from names (folded forms).
const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "jr", "sr", "ii", "iii",
    "iv", "phd", "md", "sra", "sr", "dra", "dona", "dom", "bapak", "pak", "ibu", "bu", "h", "hj",
    "ir", "drs", "ifj", "ozv",
];

/// Particles that belong to the family name ("da Silva", "van der Berg").
const PARTICLES: &[&str] = &[
    "da", "de", "do", "das", "dos", "di", "van", "von", "der", "den", "del", "della", "la", "le",
    "bin", "binti", "e",
];

/// A person's name split into folded parts, ready for comparison.
///
/// # Examples
///
/// ```
/// use custodia::identity::{NameOrder, NormalizedName};
/// let n = NormalizedName::from_full("Dr. Ana Maria da Silva", NameOrder::GivenFirst);
/// assert_eq!(n.given(), Some("ana maria"));
/// assert_eq!(n.family(), Some("da silva"));
/// let hu = NormalizedName::from_full("Nagy István", NameOrder::FamilyFirst);
/// assert_eq!((hu.given(), hu.family()), (Some("istvan"), Some("nagy")));
/// let mono = NormalizedName::from_full("Sukarno", NameOrder::GivenFirst);
/// assert!(mono.is_mononym());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NormalizedName {
    given: Option<String>,
    family: Option<String>,
    mononym: bool,
}

impl std::fmt::Debug for NormalizedName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::model::redact::Secret;
        f.debug_struct("NormalizedName")
            .field(
                "given",
                &self.given.as_deref().map(|v| Secret::Text("Given", v)),
            )
            .field(
                "family",
                &self.family.as_deref().map(|v| Secret::Text("Family", v)),
            )
            .field("mononym", &self.mononym)
            .finish()
    }
}

fn strip_titles(folded: &str) -> Vec<&str> {
    folded
        .split(' ')
        .filter(|t| !t.is_empty() && !TITLES.contains(t))
        .collect()
}

fn non_empty(s: String) -> Option<String> {
    if s.is_empty() {
        None
    } else {
        Some(s)
    }
}

impl NormalizedName {
    /// Returns a name from separate given and family fields as written.
    ///
    /// A name with only one token in all (an Indonesian mononym, for
    /// example) is marked as a mononym, whichever field it came in.
    pub fn from_parts(given: Option<&str>, family: Option<&str>) -> NormalizedName {
        let g = given.map(|g| strip_titles(&fold(g)).join(" "));
        let f = family.map(|f| strip_titles(&fold(f)).join(" "));
        let g = g.and_then(non_empty);
        let f = f.and_then(non_empty);
        let tokens = g.as_deref().map_or(0, |s| s.split(' ').count())
            + f.as_deref().map_or(0, |s| s.split(' ').count());
        NormalizedName {
            mononym: tokens == 1
                && (g.is_none() || f.is_none())
                && given.is_some() != family.is_some(),
            given: g,
            family: f,
        }
    }

    /// Returns a name written in full, split in the given order; family
    /// particles ("da", "van", "bin") stay with the family name.
    pub fn from_full(full: &str, order: NameOrder) -> NormalizedName {
        let folded = fold(full);
        let tokens = strip_titles(&folded);
        match tokens.len() {
            0 => NormalizedName::default(),
            1 => NormalizedName {
                given: Some(tokens[0].to_owned()),
                family: None,
                mononym: true,
            },
            n => match order {
                NameOrder::FamilyFirst => NormalizedName {
                    family: Some(tokens[0].to_owned()),
                    given: Some(tokens[1..].join(" ")),
                    mononym: false,
                },
                NameOrder::GivenFirst => {
                    let mut split = n - 1;
                    while split > 1 && PARTICLES.contains(&tokens[split - 1]) {
                        split -= 1;
                    }
                    NormalizedName {
                        given: Some(tokens[..split].join(" ")),
                        family: Some(tokens[split..].join(" ")),
                        mononym: false,
                    }
                }
            },
        }
    }

    /// Returns a name from parts already folded.
    pub(crate) fn from_folded(
        given: Option<String>,
        family: Option<String>,
        mononym: bool,
    ) -> NormalizedName {
        NormalizedName {
            given,
            family,
            mononym,
        }
    }

    /// Returns the folded given name(s).
    pub fn given(&self) -> Option<&str> {
        self.given.as_deref()
    }

    /// Returns the folded family name(s).
    pub fn family(&self) -> Option<&str> {
        self.family.as_deref()
    }

    /// Returns `true` when the person is known by one name only.
    pub fn is_mononym(&self) -> bool {
        self.mononym
    }

    /// Returns the only name of a mononym.
    pub fn mononym(&self) -> Option<&str> {
        if self.mononym {
            self.given.as_deref().or(self.family.as_deref())
        } else {
            None
        }
    }
}

/// Built-in nickname and short-form table: `(short form, canonical name)`,
/// folded. English, Portuguese, Indonesian and Hungarian.
const NICKNAMES: &[(&str, &str)] = &[
    // English
    ("bill", "william"),
    ("billy", "william"),
    ("will", "william"),
    ("willy", "william"),
    ("liam", "william"),
    ("bob", "robert"),
    ("bobby", "robert"),
    ("rob", "robert"),
    ("robbie", "robert"),
    ("bert", "robert"),
    ("dick", "richard"),
    ("rick", "richard"),
    ("ricky", "richard"),
    ("rich", "richard"),
    ("jim", "james"),
    ("jimmy", "james"),
    ("jamie", "james"),
    ("mike", "michael"),
    ("mick", "michael"),
    ("mickey", "michael"),
    ("tom", "thomas"),
    ("tommy", "thomas"),
    ("tony", "anthony"),
    ("ant", "anthony"),
    ("joe", "joseph"),
    ("joey", "joseph"),
    ("jack", "john"),
    ("johnny", "john"),
    ("jon", "john"),
    ("dave", "david"),
    ("davy", "david"),
    ("steve", "stephen"),
    ("steven", "stephen"),
    ("chris", "christopher"),
    ("kit", "christopher"),
    ("matt", "matthew"),
    ("andy", "andrew"),
    ("drew", "andrew"),
    ("dan", "daniel"),
    ("danny", "daniel"),
    ("ed", "edward"),
    ("eddie", "edward"),
    ("ted", "edward"),
    ("ben", "benjamin"),
    ("sam", "samuel"),
    ("alex", "alexander"),
    ("sandy", "alexander"),
    ("nick", "nicholas"),
    ("pat", "patrick"),
    ("pete", "peter"),
    ("charlie", "charles"),
    ("chuck", "charles"),
    ("harry", "henry"),
    ("hank", "henry"),
    ("larry", "lawrence"),
    ("greg", "gregory"),
    ("jeff", "jeffrey"),
    ("ken", "kenneth"),
    ("kenny", "kenneth"),
    ("ron", "ronald"),
    ("don", "donald"),
    ("fred", "frederick"),
    ("frank", "francis"),
    ("gerry", "gerald"),
    ("tim", "timothy"),
    ("vic", "victor"),
    ("nate", "nathan"),
    ("liz", "elizabeth"),
    ("beth", "elizabeth"),
    ("betty", "elizabeth"),
    ("lizzie", "elizabeth"),
    ("eliza", "elizabeth"),
    ("libby", "elizabeth"),
    ("kate", "katherine"),
    ("katie", "katherine"),
    ("kathy", "katherine"),
    ("cathy", "catherine"),
    ("peggy", "margaret"),
    ("maggie", "margaret"),
    ("meg", "margaret"),
    ("jenny", "jennifer"),
    ("jen", "jennifer"),
    ("sue", "susan"),
    ("susie", "susan"),
    ("becky", "rebecca"),
    ("becca", "rebecca"),
    ("vicky", "victoria"),
    ("tori", "victoria"),
    ("abby", "abigail"),
    ("mandy", "amanda"),
    ("debbie", "deborah"),
    ("deb", "deborah"),
    ("patty", "patricia"),
    ("trish", "patricia"),
    ("nancy", "ann"),
    ("annie", "ann"),
    ("anne", "ann"),
    ("jess", "jessica"),
    ("jo", "joanne"),
    ("chrissy", "christine"),
    ("sally", "sarah"),
    ("sara", "sarah"),
    ("steph", "stephanie"),
    ("sophie", "sophia"),
    ("ellie", "eleanor"),
    ("nell", "eleanor"),
    ("molly", "mary"),
    ("polly", "mary"),
    ("dot", "dorothy"),
    ("dottie", "dorothy"),
    // Portuguese
    ("ze", "jose"),
    ("zeca", "jose"),
    ("juca", "jose"),
    ("chico", "francisco"),
    ("kiko", "francisco"),
    ("xico", "francisco"),
    ("paco", "francisco"),
    ("quim", "joaquim"),
    ("manel", "manuel"),
    ("mane", "manuel"),
    ("neca", "manuel"),
    ("toninho", "antonio"),
    ("tonho", "antonio"),
    ("toni", "antonio"),
    ("tone", "antonio"),
    ("guto", "augusto"),
    ("beto", "roberto"),
    ("carlinhos", "carlos"),
    ("cacau", "claudia"),
    ("dudu", "eduardo"),
    ("duda", "maria eduarda"),
    ("fafa", "fabiana"),
    ("fernandinho", "fernando"),
    ("nando", "fernando"),
    ("gabi", "gabriela"),
    ("juju", "juliana"),
    ("lu", "luciana"),
    ("lulu", "luiza"),
    ("mari", "mariana"),
    ("nanda", "fernanda"),
    ("paulinho", "paulo"),
    ("rafa", "rafael"),
    ("rique", "henrique"),
    ("tiao", "sebastiao"),
    ("bia", "beatriz"),
    ("leo", "leonardo"),
    ("joaozinho", "joao"),
    ("pedrinho", "pedro"),
    ("tuca", "arthur"),
    ("gui", "guilherme"),
    ("lena", "helena"),
    ("rita", "margarida"),
    // Indonesian
    ("budi", "budiman"),
    ("agus", "agustinus"),
    ("yos", "yosef"),
    ("ucok", "usman"),
    ("iwan", "kurniawan"),
    ("tono", "sutono"),
    ("yanto", "suryanto"),
    ("anto", "susanto"),
    ("wati", "suwati"),
    ("tini", "sutini"),
    ("yati", "suryati"),
    ("nining", "ningsih"),
    ("eko", "ekoputro"),
    ("dedi", "dedy"),
    ("rudi", "rudy"),
    ("andi", "andy"),
    ("yudi", "wahyudi"),
    ("hendra", "hendrawan"),
    ("ade", "adeline"),
    ("nurul", "nur"),
    ("siti", "sitti"),
    ("mochamad", "muhammad"),
    ("mohammad", "muhammad"),
    ("muhamad", "muhammad"),
    ("mohamad", "muhammad"),
    ("moh", "muhammad"),
    ("muh", "muhammad"),
    // Hungarian
    ("pista", "istvan"),
    ("pisti", "istvan"),
    ("jani", "janos"),
    ("jancsi", "janos"),
    ("laci", "laszlo"),
    ("feri", "ferenc"),
    ("ferko", "ferenc"),
    ("jozsi", "jozsef"),
    ("sanyi", "sandor"),
    ("bandi", "andras"),
    ("gyuri", "gyorgy"),
    ("misi", "mihaly"),
    ("miska", "mihaly"),
    ("peti", "peter"),
    ("zoli", "zoltan"),
    ("tomi", "tamas"),
    ("gabi", "gabriella"),
    ("zsuzsa", "zsuzsanna"),
    ("zsuzsi", "zsuzsanna"),
    ("kati", "katalin"),
    ("kata", "katalin"),
    ("erzsi", "erzsebet"),
    ("bozsi", "erzsebet"),
    ("marika", "maria"),
    ("mari", "maria"),
    ("juci", "julianna"),
    ("jutka", "judit"),
    ("ildi", "ildiko"),
    ("eszti", "eszter"),
    ("kriszti", "krisztina"),
    ("niki", "nikolett"),
    ("bogi", "boglarka"),
    ("gergo", "gergely"),
    ("matyi", "matyas"),
    ("dani", "daniel"),
    ("attila", "attila"),
    ("imi", "imre"),
    ("lajcsi", "lajos"),
    ("berci", "bertalan"),
];

/// A table of nicknames and short forms mapping to a canonical given name.
///
/// [`NicknameTable::default`] holds a built-in table for English,
/// Portuguese, Indonesian and Hungarian; users extend it with
/// [`NicknameTable::insert`] or [`NicknameTable::extend_from_csv`]. Where a
/// short form is ambiguous across languages (`gabi`), the first entry wins.
///
/// # Examples
///
/// ```
/// use custodia::identity::NicknameTable;
/// let mut table = NicknameTable::default();
/// assert_eq!(table.canonical("Bill"), "william");
/// assert_eq!(table.canonical("Pista"), "istvan");
/// table.extend_from_csv("nick,canonical\nbudi,budi santoso\n")?;
/// assert_eq!(table.canonical("budi"), "budi santoso");
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NicknameTable {
    map: HashMap<String, String>,
}

impl Default for NicknameTable {
    fn default() -> NicknameTable {
        let mut map = HashMap::with_capacity(NICKNAMES.len());
        for (nick, canonical) in NICKNAMES {
            map.entry((*nick).to_owned())
                .or_insert_with(|| (*canonical).to_owned());
        }
        NicknameTable { map }
    }
}

impl NicknameTable {
    /// Returns an empty table.
    pub fn empty() -> NicknameTable {
        NicknameTable {
            map: HashMap::new(),
        }
    }

    /// Adds or replaces the canonical form of `nickname` (both are folded).
    pub fn insert(&mut self, nickname: &str, canonical: &str) {
        let (n, c) = (fold(nickname), fold(canonical));
        if !n.is_empty() && !c.is_empty() {
            self.map.insert(n, c);
        }
    }

    /// Adds `nickname,canonical` lines; a first line `nick,canonical` or
    /// lines starting with `#` are skipped.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
    /// naming the line when a line does not have exactly two non-empty fields.
    pub fn extend_from_csv(&mut self, text: &str) -> Result<()> {
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || (i == 0 && line == "nick,canonical") {
                continue;
            }
            match line.split_once(',') {
                Some((n, c)) if !fold(n).is_empty() && !fold(c).is_empty() && !c.contains(',') => {
                    self.insert(n, c);
                }
                _ => {
                    return Err(Detail::NicknameLine {
                        line: i + 1,
                        text: line.chars().take(80).collect(),
                    }
                    .into())
                }
            }
        }
        Ok(())
    }

    /// Returns the canonical form of a given name: the table's entry for its
    /// folded form, or the folded form itself.
    pub fn canonical(&self, given: &str) -> String {
        let folded = fold(given);
        self.map.get(&folded).cloned().unwrap_or(folded)
    }

    /// Returns the number of entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Returns `true` when the table has no entry.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Providers whose documented rules ignore dots in the local part.
const DOTLESS_PROVIDERS: &[&str] = &["gmail.com", "googlemail.com"];
/// Providers that document `+tag` sub-addressing.
const PLUS_PROVIDERS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "icloud.com",
    "me.com",
    "protonmail.com",
    "proton.me",
    "fastmail.com",
];

/// Normalises an email address: trimmed, lower case, and the documented
/// rules of large providers applied (Gmail ignores dots in the local part;
/// Gmail, Outlook, iCloud, Proton and Fastmail drop a `+tag`;
/// `googlemail.com` is `gmail.com`). Returns `None` when the text has no
/// usable `local@domain` shape.
///
/// # Examples
///
/// ```
/// use custodia::identity::normalize_email;
/// assert_eq!(normalize_email(" Ana.Silva+promo@GoogleMail.com ").as_deref(), Some("anasilva@gmail.com"));
/// assert_eq!(normalize_email("Ana.Silva+x@example.pt").as_deref(), Some("ana.silva+x@example.pt"));
/// assert_eq!(normalize_email("not an email"), None);
/// ```
pub fn normalize_email(email: &str) -> Option<String> {
    let lower = nfkc(email.trim()).to_lowercase();
    let (local, domain) = lower.rsplit_once('@')?;
    let domain = domain.trim_end_matches('.');
    if local.is_empty()
        || domain.is_empty()
        || !domain.contains('.')
        || lower.chars().any(char::is_whitespace)
    {
        return None;
    }
    let domain = if domain == "googlemail.com" {
        "gmail.com"
    } else {
        domain
    };
    let mut local = local.to_owned();
    if PLUS_PROVIDERS.contains(&domain) {
        if let Some(i) = local.find('+') {
            local.truncate(i);
        }
    }
    if DOTLESS_PROVIDERS.contains(&domain) {
        local.retain(|c| c != '.');
    }
    if local.is_empty() {
        return None;
    }
    Some(format!("{local}@{domain}"))
}

/// Country calling codes and trunk prefixes of the countries custodia knows
/// how to complete: `(ISO code, calling code, trunk prefix)`.
const CALLING_CODES: &[(&str, &str, &str)] = &[
    ("US", "1", "1"),
    ("CA", "1", "1"),
    ("GB", "44", "0"),
    ("IE", "353", "0"),
    ("AU", "61", "0"),
    ("NZ", "64", "0"),
    ("BR", "55", "0"),
    ("PT", "351", ""),
    ("ID", "62", "0"),
    ("HU", "36", "06"),
    ("DE", "49", "0"),
    ("FR", "33", "0"),
    ("ES", "34", ""),
    ("IT", "39", ""),
    ("NL", "31", "0"),
    ("IN", "91", "0"),
    ("SG", "65", ""),
    ("MY", "60", "0"),
    ("ZA", "27", "0"),
    ("MX", "52", ""),
    ("VN", "84", "0"),
    ("NG", "234", "0"),
    ("GH", "233", "0"),
    ("KE", "254", "0"),
    ("EG", "20", "0"),
    ("PH", "63", "0"),
    ("TH", "66", "0"),
    ("JP", "81", "0"),
    ("KR", "82", "0"),
    ("CN", "86", "0"),
    ("PK", "92", "0"),
    ("BD", "880", "0"),
    ("TR", "90", "0"),
    ("IL", "972", "0"),
    ("AE", "971", "0"),
    ("SA", "966", "0"),
    ("AT", "43", "0"),
    ("CH", "41", "0"),
    ("BE", "32", "0"),
    ("SE", "46", "0"),
    ("FI", "358", "0"),
    ("NO", "47", ""),
    ("DK", "45", ""),
    ("PL", "48", ""),
    ("CZ", "420", ""),
    ("GR", "30", ""),
    ("RO", "40", "0"),
    ("UA", "380", "0"),
    ("AR", "54", "0"),
];

/// Converts a telephone number as written to E.164 (`+` and up to 15
/// digits), completing national numbers with the calling code of
/// `default_country` (ISO 3166-1 alpha-2) and dropping its trunk prefix.
///
/// Formatting noise (spaces, dots, dashes, brackets, `(0)`) is ignored; an
/// extension after `x` or `ext` is dropped; `00` starts an international
/// number. Returns `None` when there are too few digits, or when a national
/// number's country is not one custodia knows.
///
/// # Examples
///
/// ```
/// use custodia::identity::normalize_phone;
/// assert_eq!(normalize_phone("(06 1) 555-0199", "HU").as_deref(), Some("+3615550199"));
/// assert_eq!(normalize_phone("+44 (0)20 7946 0958", "US").as_deref(), Some("+442079460958"));
/// assert_eq!(normalize_phone("0812-3456-789", "ID").as_deref(), Some("+628123456789"));
/// assert_eq!(normalize_phone("(0732) 910-054", "VN").as_deref(), Some("+84732910054"));
/// assert_eq!(normalize_phone("0710 447 4934", "NG").as_deref(), Some("+2347104474934"));
/// assert_eq!(normalize_phone("415.555.0100 ext 7", "US").as_deref(), Some("+14155550100"));
/// assert_eq!(normalize_phone("12", "US"), None);
/// ```
pub fn normalize_phone(phone: &str, default_country: &str) -> Option<String> {
    let lower = nfkc(phone).to_lowercase();
    let main = lower
        .find(|c: char| c.is_alphabetic())
        .map_or(lower.as_str(), |i| &lower[..i]);
    // "(0)" after a country code is a trunk prefix written for locals.
    let main = main.replace("(0)", "");
    let trimmed = main.trim_start();
    let plus = trimmed.starts_with('+');
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    let international = if plus {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_owned()
    } else {
        let (_, cc, trunk) = CALLING_CODES
            .iter()
            .find(|(iso, _, _)| iso.eq_ignore_ascii_case(default_country))?;
        let national = if cc == &"1" {
            // NANP: an 11-digit number with the leading 1 is already complete.
            if digits.len() == 11 && digits.starts_with('1') {
                &digits[1..]
            } else {
                &digits[..]
            }
        } else if !trunk.is_empty() && digits.starts_with(trunk) {
            &digits[trunk.len()..]
        } else {
            &digits[..]
        };
        format!("{cc}{national}")
    };
    if !(7..=15).contains(&international.len()) || international.starts_with('0') {
        return None;
    }
    Some(format!("+{international}"))
}

/// How to read an all-numeric date such as `03/04/1990`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum DateOrder {
    /// Day before month (most of the world).
    #[default]
    DayFirst,
    /// Month before day (United States).
    MonthFirst,
}

const MONTHS: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Parses a date written in one of the common formats: `YYYYMMDD`,
/// `YYYY-MM-DD`, `YYYY/MM/DD`, `DD/MM/YYYY` or `MM/DD/YYYY` (by `order`, with
/// `/`, `-` or `.`), and `12 Mar 1990` / `March 12, 1990`. An all-numeric
/// date whose first field exceeds 12 is read day-first, and one whose
/// second field does month-first, whatever `order` says (`09/22/1958` can
/// only be 22 September). Returns `None` for anything else.
///
/// # Examples
///
/// ```
/// use custodia::identity::{parse_date, DateOrder};
/// use chrono::NaiveDate;
/// let d = NaiveDate::from_ymd_opt(1956, 4, 9);
/// assert_eq!(parse_date("19560409", DateOrder::DayFirst), d);
/// assert_eq!(parse_date("09.04.1956", DateOrder::DayFirst), d);
/// assert_eq!(parse_date("04/09/1956", DateOrder::MonthFirst), d);
/// assert_eq!(parse_date("04/22/1956", DateOrder::DayFirst), NaiveDate::from_ymd_opt(1956, 4, 22));
/// assert_eq!(parse_date("9 April 1956", DateOrder::DayFirst), d);
/// assert_eq!(parse_date("1956-02-30", DateOrder::DayFirst), None);
/// ```
pub fn parse_date(text: &str, order: DateOrder) -> Option<NaiveDate> {
    let (y, m, d) = date_parts(text, order)?;
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

/// A date as it was written, valid or not: `YYYYMMDD` read as one number
/// (`4976-02-13` is `49_760_213`, `31 Sep 1981` is `19_810_931`).
///
/// Identity resolution compares the digits of a birth date that was set
/// aside as impossible (a year typed `4976`, a 31 September) with the other
/// record's date: most such values are one keystroke away from the truth.
pub(crate) type WrittenDate = std::num::NonZeroU32;

/// Reads `text` as [`parse_date`] does, but keeps a date no calendar has:
/// a four-digit year, a month and a day of at most two digits each, as
/// written. Returns `None` when the text does not have that shape or the
/// year is below 1000.
pub(crate) fn parse_written_date(text: &str, order: DateOrder) -> Option<WrittenDate> {
    let (y, m, d) = date_parts(text, order)?;
    if m > 99 || d > 99 {
        return None;
    }
    written_date(y.checked_mul(10_000)?.checked_add(m * 100 + d)?)
}

/// Returns the written date of the number `YYYYMMDD`, `None` unless it has
/// eight digits (a year from 1000): the one check every reader of a written
/// date (text, JSON, the binary form) makes.
pub(crate) fn written_date(n: u32) -> Option<WrittenDate> {
    WrittenDate::new(n).filter(|w| (10_000_000..=99_999_999).contains(&w.get()))
}

/// Returns the digits `YYYYMMDD` of a written date, without allocating.
pub(crate) fn written_digits(w: WrittenDate) -> [u8; 8] {
    let n = w.get();
    let mut s = [0u8; 8];
    for (c, p) in s
        .iter_mut()
        .zip([10_000_000, 1_000_000, 100_000, 10_000, 1_000, 100, 10, 1])
    {
        *c = b'0' + (n / p % 10) as u8;
    }
    s
}

/// Returns the digits `YYYYMMDD` of a calendar date (years outside
/// 0..=9999 are clamped, which only a date no birth has can reach).
pub(crate) fn date_digits(d: NaiveDate) -> [u8; 8] {
    let n = (d.year().clamp(0, 9999) as u32) * 10_000 + d.month() * 100 + d.day();
    // A month is at least 1, so the number is never 0.
    written_digits(WrittenDate::new(n).unwrap_or(WrittenDate::MIN))
}

/// The year, month and day of a date in one of the shapes [`parse_date`]
/// reads, without checking that the day exists.
fn date_parts(text: &str, order: DateOrder) -> Option<(u32, u32, u32)> {
    let t = text.trim();
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        let y = t[..4].parse().ok()?;
        let m = t[4..6].parse().ok()?;
        let d = t[6..].parse().ok()?;
        return Some((y, m, d));
    }
    // A date is short; a long text is none, and is not folded whole.
    if t.len() > 64 {
        return None;
    }
    let folded = fold(t);
    let parts: Vec<&str> = folded.split(' ').filter(|p| !p.is_empty()).collect();
    if parts.len() != 3 {
        return None;
    }
    let month_word = |p: &str| {
        MONTHS
            .iter()
            .position(|m| p.len() >= 3 && p.starts_with(m))
            .map(|i| i as u32 + 1)
    };
    let num = |p: &str| -> Option<u32> {
        if p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()) {
            p.parse().ok()
        } else {
            None
        }
    };
    let parts = if let Some(m) = month_word(parts[1]) {
        (num(parts[2])?, m, num(parts[0])?)
    } else if let Some(m) = month_word(parts[0]) {
        (num(parts[2])?, m, num(parts[1])?)
    } else if parts[0].len() == 4 {
        (num(parts[0])?, num(parts[1])?, num(parts[2])?)
    } else {
        let (a, b, y) = (num(parts[0])?, num(parts[1])?, num(parts[2])?);
        if parts[2].len() != 4 {
            return None;
        }
        match order {
            _ if a > 12 => (y, b, a),
            _ if b > 12 => (y, a, b),
            DateOrder::DayFirst => (y, b, a),
            DateOrder::MonthFirst => (y, a, b),
        }
    };
    Some(parts)
}

/// Returns `true` when two dates are the same day with day and month swapped.
pub fn is_day_month_swap(a: NaiveDate, b: NaiveDate) -> bool {
    a != b && a.year() == b.year() && a.day() == b.month() && a.month() == b.day()
}

/// Street-word abbreviations and their full forms (folded), in English,
/// Portuguese, Indonesian and Hungarian.
const STREET_WORDS: &[(&str, &str)] = &[
    ("st", "street"),
    ("str", "street"),
    ("rd", "road"),
    ("ave", "avenue"),
    ("av", "avenue"),
    ("pl", "place"),
    ("cres", "crescent"),
    ("cr", "crescent"),
    ("dr", "drive"),
    ("ct", "court"),
    ("crt", "court"),
    ("hwy", "highway"),
    ("ln", "lane"),
    ("tce", "terrace"),
    ("ter", "terrace"),
    ("cct", "circuit"),
    ("cir", "circuit"),
    ("pde", "parade"),
    ("blvd", "boulevard"),
    ("sq", "square"),
    ("cl", "close"),
    ("gr", "grove"),
    ("mt", "mount"),
    ("apt", "apartment"),
    ("r", "rua"),
    ("avda", "avenida"),
    ("trav", "travessa"),
    ("tv", "travessa"),
    ("lg", "largo"),
    ("pc", "praca"),
    ("jl", "jalan"),
    ("jln", "jalan"),
    ("gg", "gang"),
    ("kel", "kelurahan"),
    ("kec", "kecamatan"),
    ("u", "utca"),
    ("krt", "korut"),
    ("sgt", "sugarut"),
    ("ter", "ter"),
];

/// Normalises a street address line: folded, abbreviations expanded
/// (`st` → `street`, `rd` → `road`, `r.` → `rua`, `jl.` → `jalan`,
/// `u.` → `utca`, …).
///
/// # Examples
///
/// ```
/// use custodia::identity::normalize_street;
/// assert_eq!(normalize_street("7 Wallaby Pl."), "7 wallaby place");
/// assert_eq!(normalize_street("R. Augusta, 100"), "rua augusta 100");
/// assert_eq!(normalize_street("Jl. Sudirman No. 5"), "jalan sudirman no 5");
/// assert_eq!(normalize_street("Váci u. 12"), "vaci utca 12");
/// ```
pub fn normalize_street(line: &str) -> String {
    let folded = fold(line);
    let mut out = String::with_capacity(folded.len() + 8);
    for token in folded.split(' ').filter(|t| !t.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        let full = STREET_WORDS
            .iter()
            .find(|(short, _)| *short == token)
            .map_or(token, |(_, full)| *full);
        out.push_str(full);
    }
    out
}

/// Normalises a postal code: upper case ASCII letters and digits only
/// (`"sw1a 1aa"` → `"SW1A1AA"`, `"1051-200"` → `"1051200"`).
///
/// # Examples
///
/// ```
/// use custodia::identity::normalize_postcode;
/// assert_eq!(normalize_postcode(" sw1a 1aa "), "SW1A1AA");
/// ```
pub fn normalize_postcode(code: &str) -> String {
    fold(code)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Normalises an identifier such as a national id: ASCII letters and digits
/// only, upper case.
pub fn normalize_identifier(id: &str) -> String {
    normalize_postcode(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn written_dates_keep_what_no_calendar_has() {
        let w = |t: &str| parse_written_date(t, DateOrder::DayFirst).map(WrittenDate::get);
        assert_eq!(w("4976-02-13"), Some(49_760_213));
        assert_eq!(w("31/09/1981"), Some(19_810_931));
        assert_eq!(w("32.01.1971"), Some(19_710_132));
        assert_eq!(w("1946-17-06"), Some(19_461_706));
        assert_eq!(w("32 Jul 1975"), Some(19_750_732));
        assert_eq!(w("08/22/4947"), Some(49_470_822));
        assert_eq!(w("19800229"), Some(19_800_229));
        // Not a date's shape: no year of four digits from 1000, a part of
        // three digits, or a long text.
        assert_eq!(w("3 Mar 0000"), None);
        assert_eq!(w("13/130/1980"), None);
        assert_eq!(w("1980"), None);
        // A year of more than four digits has no date's shape.
        assert_eq!(w("99/99/429496"), None);
        assert_eq!(w("31/12/99999"), None);
        assert_eq!(w(&"9".repeat(100_000)), None);
        assert_eq!(w(&format!("1 {} 1980", "march".repeat(20_000))), None);
        // What parses as a date is written as itself.
        let d = NaiveDate::from_ymd_opt(1956, 4, 9).unwrap();
        assert_eq!(
            parse_written_date("09.04.1956", DateOrder::DayFirst),
            WrittenDate::new(19_560_409)
        );
        assert_eq!(date_digits(d), *b"19560409");
    }

    #[test]
    fn name_order_and_particles() {
        let n = NormalizedName::from_full("João dos Santos", NameOrder::GivenFirst);
        assert_eq!(n.family(), Some("dos santos"));
        let p = NormalizedName::from_parts(Some("Mr Ed"), None);
        assert_eq!(p.given(), Some("ed"));
        assert!(p.is_mononym());
        let both = NormalizedName::from_parts(Some("Ed"), Some("Ng"));
        assert!(!both.is_mononym());
    }

    #[test]
    fn phones_and_emails() {
        assert_eq!(
            normalize_phone("+55 (11) 98765-4321", "PT").as_deref(),
            Some("+5511987654321")
        );
        assert_eq!(
            normalize_phone("0412 345 678", "AU").as_deref(),
            Some("+61412345678")
        );
        assert_eq!(normalize_phone("0412 345 678", "ZZ"), None);
        assert_eq!(normalize_email("a@b").as_deref(), None);
    }

    #[test]
    fn nickname_lines_are_checked() {
        let mut t = NicknameTable::empty();
        assert!(t.extend_from_csv("a,b,c").is_err());
        assert!(t
            .extend_from_csv("nick,canonical\n# x\nrobi, róbert")
            .is_ok());
        assert_eq!(t.canonical("Robi"), "robert");
    }

    proptest! {
        #[test]
        fn normalizers_never_panic(s in "\\PC*", c in "[A-Za-z]{0,3}") {
            let _ = fold(&s);
            let _ = NormalizedName::from_full(&s, NameOrder::GivenFirst);
            let _ = NormalizedName::from_full(&s, NameOrder::FamilyFirst);
            let _ = NormalizedName::from_parts(Some(&s), Some(&s));
            let _ = normalize_email(&s);
            let _ = normalize_phone(&s, &c);
            let _ = parse_date(&s, DateOrder::DayFirst);
            let _ = parse_date(&s, DateOrder::MonthFirst);
            let _ = normalize_street(&s);
            let _ = normalize_postcode(&s);
            let _ = NicknameTable::default().canonical(&s);
            let _ = NicknameTable::empty().extend_from_csv(&s);
        }

        #[test]
        fn ascii_fold_equals_the_unicode_path(s in "[ -~\t\n]{0,40}") {
            prop_assert_eq!(fold_ascii(&s), fold_unicode(&s));
        }

        #[test]
        fn fold_is_idempotent(s in "\\PC*") {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once.clone());
        }

        #[test]
        fn e164_shape(s in "[+0-9 ()./-]{0,24}", c in "(US|HU|ID|PT|BR|GB)") {
            if let Some(p) = normalize_phone(&s, &c) {
                prop_assert!(p.starts_with('+'));
                prop_assert!(p[1..].bytes().all(|b| b.is_ascii_digit()));
                prop_assert!((8..=16).contains(&p.len()));
            }
        }
    }
}
