//! Generator B: a second synthetic population with known truth, built on an
//! error model unlike `synth.rs`, so that tuning on one set can be checked on
//! the other.
//!
//! Names come from English, Spanish (two family names, accents), German
//! (umlauts), French (hyphenated given names), Vietnamese (family name
//! first, middle names), Nigerian (Yoruba and Igbo) and Indian (initials)
//! pools. Every record, the first included, comes from one of four sources
//! with its own habits and missing-field rates: a CRM (title case, ISO
//! dates, `+CC` phones), a web form (lower case, typed by the person, US
//! dates, `+tag` emails), scanned paper forms (upper case, OCR confusions,
//! `DD.MM.YYYY`) and a call centre (phonetic spellings, spelled-out dates,
//! extensions). A person has one to six records; `cluster_id` is the truth.
//!
//! Error kinds ([`Noise`]): keyboard-adjacent substitutions, insertions,
//! deletions, adjacent transpositions, OCR confusions (`rn`/`m`, `0`/`O`,
//! `1`/`l`), phonetic misspellings, given and family swapped, nicknames and
//! diminutives, initials only, dropped accents, one of two family names,
//! missing fields, impossible or malformed dates (`5932-06-29`,
//! `1985-02-30`, year `0019`, day and month swapped, `MM/DD/YYYY`), email
//! forms (upper case, `googlemail`/`gmail`, `+tags`, dots, a second
//! address), phone forms (`+CC`, `00CC`, trunk `0`, separators, extensions,
//! a second phone) and moves.
//!
//! The random source is PCG32 (O'Neill 2014), kept apart from `synth.rs`'s
//! SplitMix64 so the two generators share no stream.

#![allow(dead_code)] // each user (test, example) uses part of it

pub(crate) use super::synth::Row;

/// PCG32 (XSH RR variant): small, fast and reproducible from a seed.
pub(crate) struct Pcg32 {
    state: u64,
    inc: u64,
}

impl Pcg32 {
    pub(crate) fn new(seed: u64) -> Pcg32 {
        let mut r = Pcg32 {
            state: 0,
            inc: (seed.rotate_left(17) << 1) | 1,
        };
        r.next_u32();
        r.state = r.state.wrapping_add(seed ^ 0x853c_49e6_748f_ea9b);
        r.next_u32();
        r
    }

    pub(crate) fn next_u32(&mut self) -> u32 {
        let old = self.state;
        self.state = old
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(self.inc);
        let xorshifted = (((old >> 18) ^ old) >> 27) as u32;
        xorshifted.rotate_right((old >> 59) as u32)
    }

    /// A number in `0..n` (Lemire's multiply-shift; the bias is below 2^-32).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((u64::from(self.next_u32()) * n.max(1) as u64) >> 32) as usize
    }

    /// True with probability `per_mille / 1000`.
    pub(crate) fn odds(&mut self, per_mille: u32) -> bool {
        self.below(1000) < per_mille as usize
    }

    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// The error kinds generator B applies, counted per run so a test can
/// check that each occurs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Noise {
    KeyboardSubstitution,
    Insertion,
    Deletion,
    Transposition,
    Ocr,
    Phonetic,
    NameSwap,
    Diminutive,
    Initials,
    Accents,
    OneFamilyName,
    MissingField,
    ImpossibleDate,
    InvalidDate,
    DayMonthSwap,
    UsDate,
    EmailCase,
    EmailGooglemail,
    EmailTag,
    EmailDots,
    SecondEmail,
    PhoneForm,
    PhoneExtension,
    SecondPhone,
    Move,
}

/// Every [`Noise`] kind, in declaration order.
pub(crate) const NOISE_KINDS: [Noise; 25] = [
    Noise::KeyboardSubstitution,
    Noise::Insertion,
    Noise::Deletion,
    Noise::Transposition,
    Noise::Ocr,
    Noise::Phonetic,
    Noise::NameSwap,
    Noise::Diminutive,
    Noise::Initials,
    Noise::Accents,
    Noise::OneFamilyName,
    Noise::MissingField,
    Noise::ImpossibleDate,
    Noise::InvalidDate,
    Noise::DayMonthSwap,
    Noise::UsDate,
    Noise::EmailCase,
    Noise::EmailGooglemail,
    Noise::EmailTag,
    Noise::EmailDots,
    Noise::SecondEmail,
    Noise::PhoneForm,
    Noise::PhoneExtension,
    Noise::SecondPhone,
    Noise::Move,
];

/// How often each [`Noise`] kind was applied (indexed like [`NOISE_KINDS`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tally(pub(crate) [usize; 25]);

impl Tally {
    pub(crate) fn add(&mut self, n: Noise) {
        self.0[n as usize] += 1;
    }

    pub(crate) fn count(&self, n: Noise) -> usize {
        self.0[n as usize]
    }
}

/// One naming culture: name pools, address and phone conventions.
pub(crate) struct Culture {
    pub(crate) country: &'static str,
    pub(crate) country_name: &'static str,
    /// Given names, plain ASCII as stored in the pool.
    pub(crate) given: &'static [&'static str],
    /// Full given name and its diminutives or short forms.
    pub(crate) diminutives: &'static [(&'static str, &'static [&'static str])],
    pub(crate) family: &'static [&'static str],
    /// Two syllable pools composing further family names.
    pub(crate) family_parts: (&'static [&'static str], &'static [&'static str]),
    /// ASCII spelling and the accented one written by careful sources.
    pub(crate) accents: &'static [(&'static str, &'static str)],
    /// Spanish custom: two family names, the father's then the mother's.
    pub(crate) two_family_names: bool,
    /// Vietnamese custom: the full name is written family name first.
    pub(crate) family_first: bool,
    pub(crate) streets: &'static [&'static str],
    /// Street word, long and abbreviated, and whether it follows the name.
    pub(crate) street_kind: (&'static str, &'static str, bool),
    pub(crate) cities: &'static [(&'static str, &'static str)],
    pub(crate) postcode_digits: usize,
    pub(crate) calling_code: &'static str,
    pub(crate) national_digits: usize,
    pub(crate) domains: &'static [&'static str],
    /// Digits of a national id, if sources of this country record one.
    pub(crate) id_digits: Option<usize>,
}

pub(crate) const CULTURES: [Culture; 7] = [
    Culture {
        country: "GB",
        country_name: "United Kingdom",
        given: &[
            "isabella",
            "elizabeth",
            "alexander",
            "jonathan",
            "amy",
            "christopher",
            "victoria",
            "rebecca",
            "samuel",
            "charlotte",
            "edward",
            "margaret",
            "katherine",
            "nicholas",
            "jennifer",
            "anthony",
            "abigail",
            "benjamin",
            "harriet",
            "oliver",
            "george",
            "mia",
        ],
        diminutives: &[
            ("isabella", &["izzy", "bella"]),
            ("elizabeth", &["beth", "liz", "lizzie", "betty"]),
            ("alexander", &["alex", "sandy"]),
            ("jonathan", &["jon", "jonny"]),
            ("christopher", &["chris", "kit"]),
            ("victoria", &["vicky", "tori"]),
            ("rebecca", &["becky", "becca"]),
            ("samuel", &["sam", "sammy"]),
            ("charlotte", &["lottie", "charlie"]),
            ("edward", &["ted", "ned", "eddie"]),
            ("margaret", &["maggie", "meg", "peggy"]),
            ("katherine", &["kate", "kitty", "kath"]),
            ("nicholas", &["nick", "nicky"]),
            ("jennifer", &["jen", "jenny"]),
            ("anthony", &["tony"]),
            ("abigail", &["abby", "gail"]),
            ("benjamin", &["ben", "benji"]),
            ("harriet", &["hattie"]),
            ("oliver", &["ollie"]),
        ],
        family: &[
            "smith", "jones", "taylor", "brown", "williams", "wilson", "johnson", "davies",
            "robinson", "wright", "thompson", "evans", "walker", "white", "roberts", "green",
            "hughes", "edwards", "hall", "lewis", "harris", "clarke", "patel", "jackson",
        ],
        family_parts: (
            &[
                "ash", "brad", "brook", "chal", "crom", "dun", "elling", "fair", "gold", "haw",
                "kings", "lang", "mor", "pen", "ship", "stan", "thorn", "wether",
            ],
            &[
                "ford", "ley", "worth", "wick", "combe", "ham", "ton", "field", "hurst", "shaw",
                "well", "by",
            ],
        ),
        accents: &[],
        two_family_names: false,
        family_first: false,
        streets: &[
            "high", "station", "church", "victoria", "green", "manor", "kings", "queens", "mill",
            "park",
        ],
        street_kind: ("road", "rd", true),
        cities: &[
            ("london", "greater london"),
            ("manchester", "greater manchester"),
            ("leeds", "west yorkshire"),
            ("bristol", "bristol"),
            ("norwich", "norfolk"),
            ("york", "north yorkshire"),
        ],
        postcode_digits: 5,
        calling_code: "44",
        national_digits: 10,
        domains: &[
            "gmail.com",
            "btinternet.com",
            "yahoo.co.uk",
            "hotmail.co.uk",
        ],
        id_digits: None,
    },
    Culture {
        country: "ES",
        country_name: "Spain",
        given: &[
            "jose",
            "francisco",
            "dolores",
            "maria",
            "carmen",
            "antonio",
            "manuel",
            "isabel",
            "javier",
            "guadalupe",
            "concepcion",
            "ignacio",
            "rosario",
            "enrique",
            "alejandro",
            "pilar",
            "mercedes",
            "jesus",
            "consuelo",
            "lucia",
            "ana",
        ],
        diminutives: &[
            ("jose", &["pepe"]),
            ("francisco", &["paco", "pancho", "curro"]),
            ("dolores", &["lola", "loli"]),
            ("concepcion", &["concha", "conchita"]),
            ("guadalupe", &["lupe"]),
            ("ignacio", &["nacho"]),
            ("rosario", &["charo"]),
            ("enrique", &["quique"]),
            ("alejandro", &["alex", "ale"]),
            ("jesus", &["chuy", "chus"]),
            ("manuel", &["manolo"]),
            ("antonio", &["tono", "toni"]),
            ("mercedes", &["merche"]),
            ("consuelo", &["chelo"]),
            ("isabel", &["chabela", "isa"]),
        ],
        family: &[
            "garcia",
            "rodriguez",
            "gonzalez",
            "fernandez",
            "lopez",
            "martinez",
            "sanchez",
            "perez",
            "gomez",
            "martin",
            "jimenez",
            "ruiz",
            "hernandez",
            "diaz",
            "moreno",
            "alvarez",
            "munoz",
            "romero",
            "navarro",
            "dominguez",
        ],
        family_parts: (
            &[
                "al", "bel", "cas", "del", "es", "gal", "her", "lor", "mar", "mon", "ol", "pa",
                "quin", "sal", "tor", "val", "vil", "zam",
            ],
            &[
                "ares", "edo", "illa", "ero", "anza", "iz", "ano", "ejo", "ona", "uelo", "aga",
                "ido",
            ],
        ),
        accents: &[
            ("jose", "josé"),
            ("maria", "maría"),
            ("concepcion", "concepción"),
            ("jesus", "jesús"),
            ("lucia", "lucía"),
            ("garcia", "garcía"),
            ("rodriguez", "rodríguez"),
            ("gonzalez", "gonzález"),
            ("fernandez", "fernández"),
            ("lopez", "lópez"),
            ("martinez", "martínez"),
            ("sanchez", "sánchez"),
            ("perez", "pérez"),
            ("gomez", "gómez"),
            ("martin", "martín"),
            ("jimenez", "jiménez"),
            ("hernandez", "hernández"),
            ("diaz", "díaz"),
            ("alvarez", "álvarez"),
            ("munoz", "muñoz"),
            ("dominguez", "domínguez"),
        ],
        two_family_names: true,
        family_first: false,
        streets: &[
            "mayor",
            "real",
            "del sol",
            "de la paz",
            "san juan",
            "nueva",
            "del carmen",
            "de alcala",
            "gran via",
            "de goya",
        ],
        street_kind: ("calle", "c/", false),
        cities: &[
            ("madrid", "madrid"),
            ("sevilla", "andalucia"),
            ("valencia", "valencia"),
            ("zaragoza", "aragon"),
            ("bilbao", "pais vasco"),
            ("malaga", "andalucia"),
        ],
        postcode_digits: 5,
        calling_code: "34",
        national_digits: 9,
        domains: &["gmail.com", "hotmail.es", "yahoo.es", "telefonica.net"],
        id_digits: Some(8),
    },
    Culture {
        country: "DE",
        country_name: "Germany",
        given: &[
            "johannes",
            "wolfgang",
            "elisabeth",
            "katharina",
            "friedrich",
            "margarete",
            "wilhelm",
            "christoph",
            "stefanie",
            "jurgen",
            "ulrich",
            "sabine",
            "andreas",
            "barbara",
            "gerhard",
            "dorothea",
            "alexander",
            "aleksandr",
            "lea",
            "jonas",
        ],
        diminutives: &[
            ("johannes", &["hans", "hannes"]),
            ("elisabeth", &["lisa", "liesel", "elsa"]),
            ("katharina", &["kathi", "kaethe"]),
            ("friedrich", &["fritz"]),
            ("margarete", &["grete", "gretel"]),
            ("wilhelm", &["willi"]),
            ("christoph", &["chris"]),
            ("stefanie", &["steffi"]),
            ("andreas", &["andi"]),
            ("barbara", &["baerbel"]),
            ("dorothea", &["doris", "thea"]),
            ("alexander", &["sascha", "alex"]),
            ("aleksandr", &["sasha", "shura"]),
            ("wolfgang", &["wolf"]),
        ],
        family: &[
            "muller",
            "schmidt",
            "schneider",
            "fischer",
            "weber",
            "meyer",
            "wagner",
            "becker",
            "schulz",
            "hoffmann",
            "schafer",
            "koch",
            "bauer",
            "richter",
            "klein",
            "wolf",
            "schroder",
            "neumann",
            "schwarz",
            "zimmermann",
        ],
        family_parts: (
            &[
                "alt", "berg", "brun", "eich", "feld", "gross", "hart", "hoch", "kirch", "lind",
                "ober", "rein", "ros", "stein", "wald", "weiss", "win", "zell",
            ],
            &[
                "mann", "er", "bauer", "meier", "hofer", "ner", "inger", "huber", "ke", "mayr",
                "hardt", "stedt",
            ],
        ),
        accents: &[
            ("jurgen", "jürgen"),
            ("muller", "müller"),
            ("schafer", "schäfer"),
            ("schroder", "schröder"),
        ],
        two_family_names: false,
        family_first: false,
        streets: &[
            "haupt", "schul", "garten", "bahnhof", "dorf", "berg", "linden", "kirch", "wald",
            "ring",
        ],
        street_kind: ("strasse", "str.", true),
        cities: &[
            ("berlin", "berlin"),
            ("hamburg", "hamburg"),
            ("munchen", "bayern"),
            ("koln", "nordrhein-westfalen"),
            ("leipzig", "sachsen"),
            ("dresden", "sachsen"),
        ],
        postcode_digits: 5,
        calling_code: "49",
        national_digits: 10,
        domains: &["gmail.com", "web.de", "gmx.de", "t-online.de"],
        id_digits: None,
    },
    Culture {
        country: "FR",
        country_name: "France",
        given: &[
            "jean-pierre",
            "marie-claire",
            "francois",
            "guillaume",
            "dominique",
            "stephane",
            "frederic",
            "catherine",
            "isabelle",
            "nathalie",
            "philippe",
            "christophe",
            "sebastien",
            "veronique",
            "josephine",
            "emmanuel",
            "camille",
            "louise",
        ],
        diminutives: &[
            ("jean-pierre", &["jp"]),
            ("francois", &["fanfan"]),
            ("catherine", &["cathy"]),
            ("isabelle", &["isa"]),
            ("josephine", &["josette", "fifi"]),
            ("emmanuel", &["manu"]),
            ("christophe", &["chris"]),
            ("sebastien", &["seb"]),
            ("veronique", &["vero"]),
            ("frederic", &["fred"]),
            ("nathalie", &["nath"]),
            ("dominique", &["dom"]),
        ],
        family: &[
            "martin", "bernard", "dubois", "thomas", "robert", "richard", "petit", "durand",
            "leroy", "moreau", "simon", "laurent", "lefebvre", "michel", "david", "bertrand",
            "roux", "vincent", "fournier", "girard",
        ],
        family_parts: (
            &[
                "beau", "bel", "bon", "char", "cha", "du", "fon", "gar", "le", "mar", "mont",
                "per", "ri", "ros", "sau", "ver", "vil", "lam",
            ],
            &[
                "champ", "vert", "mont", "lier", "ard", "ot", "eau", "in", "ier", "ault", "ette",
                "and",
            ],
        ),
        accents: &[
            ("francois", "françois"),
            ("stephane", "stéphane"),
            ("frederic", "frédéric"),
            ("sebastien", "sébastien"),
            ("veronique", "véronique"),
            ("josephine", "joséphine"),
        ],
        two_family_names: false,
        family_first: false,
        streets: &[
            "de la republique",
            "victor hugo",
            "pasteur",
            "jean jaures",
            "de la gare",
            "du moulin",
            "des lilas",
            "nationale",
        ],
        street_kind: ("rue", "r.", false),
        cities: &[
            ("paris", "ile-de-france"),
            ("lyon", "auvergne-rhone-alpes"),
            ("marseille", "provence"),
            ("toulouse", "occitanie"),
            ("nantes", "pays de la loire"),
            ("lille", "hauts-de-france"),
        ],
        postcode_digits: 5,
        calling_code: "33",
        national_digits: 9,
        domains: &["gmail.com", "orange.fr", "free.fr", "laposte.net"],
        id_digits: Some(13),
    },
    Culture {
        country: "VN",
        country_name: "Viet Nam",
        given: &[
            "van an",
            "thi hoa",
            "minh tuan",
            "thi lan",
            "duc anh",
            "van hung",
            "thi mai",
            "quoc bao",
            "thanh huong",
            "ngoc linh",
            "van nam",
            "thi thu",
            "hoang long",
            "thi ngoc",
            "minh chau",
            "van dung",
            "thi hanh",
            "gia huy",
            "bao ngoc",
            "thu trang",
        ],
        // The usual short form drops the middle name.
        diminutives: &[
            ("van an", &["an"]),
            ("thi hoa", &["hoa"]),
            ("minh tuan", &["tuan"]),
            ("thi lan", &["lan"]),
            ("duc anh", &["anh"]),
            ("van hung", &["hung"]),
            ("thi mai", &["mai"]),
            ("thanh huong", &["huong"]),
            ("van nam", &["nam"]),
            ("thi thu", &["thu"]),
            ("thi hanh", &["hanh"]),
        ],
        family: &[
            "nguyen", "tran", "le", "pham", "hoang", "huynh", "phan", "vu", "vo", "dang", "bui",
            "do", "ho", "ngo", "duong", "ly", "truong", "dinh", "lam", "mai",
        ],
        // Vietnamese family names are few; the pool stays real.
        family_parts: (&[], &[]),
        accents: &[
            ("nguyen", "nguyễn"),
            ("tran", "trần"),
            ("pham", "phạm"),
            ("hoang", "hoàng"),
            ("thi hoa", "thị hoa"),
            ("duc anh", "đức anh"),
        ],
        two_family_names: false,
        family_first: true,
        streets: &[
            "le loi",
            "nguyen hue",
            "tran hung dao",
            "hai ba trung",
            "ly thuong kiet",
            "dien bien phu",
            "vo van tan",
            "pasteur",
        ],
        street_kind: ("duong", "d.", false),
        cities: &[
            ("ha noi", "ha noi"),
            ("ho chi minh", "ho chi minh"),
            ("da nang", "da nang"),
            ("hai phong", "hai phong"),
            ("can tho", "can tho"),
            ("hue", "thua thien hue"),
        ],
        postcode_digits: 6,
        calling_code: "84",
        national_digits: 9,
        domains: &["gmail.com", "yahoo.com.vn", "outlook.com"],
        id_digits: Some(12),
    },
    Culture {
        country: "NG",
        country_name: "Nigeria",
        given: &[
            "oluwaseun",
            "babatunde",
            "oluwafemi",
            "olufunmilayo",
            "chukwuemeka",
            "adeola",
            "ifeoluwa",
            "chinedu",
            "ngozi",
            "adebayo",
            "yetunde",
            "obinna",
            "chiamaka",
            "ifeoma",
            "emmanuel",
            "blessing",
            "aisha",
            "ibrahim",
            "kehinde",
            "taiwo",
        ],
        diminutives: &[
            ("oluwaseun", &["seun"]),
            ("babatunde", &["tunde"]),
            ("oluwafemi", &["femi"]),
            ("olufunmilayo", &["funmi", "funmilayo"]),
            ("chukwuemeka", &["emeka"]),
            ("adeola", &["deola"]),
            ("ifeoluwa", &["ife"]),
            ("chiamaka", &["amaka"]),
            ("emmanuel", &["emma"]),
            ("ibrahim", &["ibro"]),
        ],
        family: &[
            "okafor",
            "adeyemi",
            "okonkwo",
            "balogun",
            "eze",
            "nwosu",
            "olawale",
            "adebayo",
            "ibrahim",
            "musa",
            "bello",
            "okeke",
            "chukwu",
            "obi",
            "abubakar",
            "ogunleye",
            "afolabi",
            "nwachukwu",
            "danjuma",
            "oyelaran",
        ],
        family_parts: (
            &[
                "ade", "ola", "oke", "nwa", "chi", "oba", "ogun", "afo", "ako", "iwu", "ude",
                "eme", "odu", "aya", "ibe", "obi", "ezi", "olu",
            ],
            &[
                "yemi", "wale", "kafor", "nna", "lade", "labi", "nde", "ji", "goke", "meka",
                "sanya", "dike",
            ],
        ),
        accents: &[],
        two_family_names: false,
        family_first: false,
        streets: &[
            "awolowo",
            "allen",
            "herbert macaulay",
            "adeola odeku",
            "ahmadu bello",
            "broad",
            "marina",
            "ogunlana",
        ],
        street_kind: ("street", "st", true),
        cities: &[
            ("lagos", "lagos"),
            ("ibadan", "oyo"),
            ("abuja", "fct"),
            ("enugu", "enugu"),
            ("kano", "kano"),
            ("port harcourt", "rivers"),
        ],
        postcode_digits: 6,
        calling_code: "234",
        national_digits: 10,
        domains: &["gmail.com", "yahoo.com", "hotmail.com"],
        id_digits: Some(11),
    },
    Culture {
        country: "IN",
        country_name: "India",
        given: &[
            "aarav",
            "priyanka",
            "rajesh",
            "sunita",
            "venkatesh",
            "lakshmi",
            "mohammed",
            "arjun",
            "ananya",
            "suresh",
            "deepika",
            "krishna",
            "rahul",
            "kavitha",
            "srinivas",
            "meenakshi",
            "abhishek",
            "pooja",
            "vijay",
            "divya",
        ],
        diminutives: &[
            ("venkatesh", &["venky"]),
            ("rajesh", &["raju"]),
            ("krishna", &["kishan"]),
            ("mohammed", &["md", "mohd"]),
            ("suresh", &["suri"]),
            ("deepika", &["deepu"]),
            ("priyanka", &["priya"]),
            ("srinivas", &["srini", "cheenu"]),
            ("meenakshi", &["meena"]),
            ("abhishek", &["abhi"]),
        ],
        family: &[
            "sharma",
            "patel",
            "kumar",
            "singh",
            "reddy",
            "iyer",
            "nair",
            "gupta",
            "rao",
            "das",
            "joshi",
            "mehta",
            "pillai",
            "chatterjee",
            "banerjee",
            "khan",
            "verma",
            "shah",
            "menon",
            "agarwal",
        ],
        family_parts: (
            &[
                "bha", "cha", "dev", "gan", "jay", "kal", "mal", "nar", "pra", "ram", "sar", "shi",
                "sub", "tha", "vas", "ven", "vis", "yad",
            ],
            &[
                "dwaj", "turvedi", "raman", "esan", "akar", "hotra", "ani", "ayan", "endra",
                "swamy", "ppan", "nathan",
            ],
        ),
        accents: &[],
        two_family_names: false,
        family_first: false,
        streets: &[
            "mg", "nehru", "gandhi", "station", "temple", "market", "lake", "church",
        ],
        street_kind: ("road", "rd", true),
        cities: &[
            ("mumbai", "maharashtra"),
            ("bengaluru", "karnataka"),
            ("chennai", "tamil nadu"),
            ("kolkata", "west bengal"),
            ("hyderabad", "telangana"),
            ("pune", "maharashtra"),
        ],
        postcode_digits: 6,
        calling_code: "91",
        national_digits: 10,
        domains: &["gmail.com", "rediffmail.com", "yahoo.co.in"],
        id_digits: Some(12),
    },
];

/// Where a record came from; each source has its own habits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    Crm,
    Web,
    Paper,
    CallCentre,
}

const SOURCES: [Source; 4] = [Source::Crm, Source::Web, Source::Paper, Source::CallCentre];

/// Per-mille rates at which a source leaves a field empty:
/// dob, email, phone, address, national id, given name.
fn missing_rates(s: Source) -> [u32; 6] {
    match s {
        Source::Crm => [30, 60, 40, 30, 200, 5],
        Source::Web => [150, 0, 350, 250, 900, 20],
        Source::Paper => [60, 400, 100, 20, 300, 10],
        Source::CallCentre => [120, 350, 0, 150, 600, 10],
    }
}

/// One synthetic person: the truth every record of theirs is drawn from.
#[derive(Clone, Debug)]
pub(crate) struct Person {
    pub(crate) culture: usize,
    pub(crate) given: String,
    pub(crate) family: String,
    /// Spanish second family name (empty elsewhere).
    pub(crate) family2: String,
    pub(crate) suffix: &'static str,
    pub(crate) dob: (u32, u32, u32),
    pub(crate) emails: Vec<String>,
    /// Digits of the national number, without trunk or calling code.
    pub(crate) phones: Vec<String>,
    pub(crate) address: Address,
    pub(crate) national_id: String,
}

/// A postal address as the person would give it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Address {
    pub(crate) number: u32,
    pub(crate) street: String,
    pub(crate) city: String,
    pub(crate) region: String,
    pub(crate) postcode: String,
}

pub(crate) fn digits(rng: &mut Pcg32, n: usize) -> String {
    let mut s = String::with_capacity(n);
    // No leading zero, so a trunk prefix is never ambiguous.
    s.push(char::from(b'1' + rng.below(9) as u8));
    for _ in 1..n {
        s.push(char::from(b'0' + rng.below(10) as u8));
    }
    s
}

pub(crate) fn new_address(rng: &mut Pcg32, c: &Culture) -> Address {
    let (city, region) = rng.pick(c.cities);
    let ci = c.cities.iter().position(|x| x.0 == city).unwrap_or(0);
    // Postcodes start with the city's own prefix, as real ones do.
    let mut postcode = format!("{}", 1 + ci);
    postcode.push_str(&digits(rng, c.postcode_digits - 1));
    Address {
        number: 1 + rng.below(250) as u32,
        street: rng.pick(c.streets).to_owned(),
        city: city.to_owned(),
        region: region.to_owned(),
        postcode,
    }
}

pub(crate) fn family_name(rng: &mut Pcg32, c: &Culture) -> String {
    if c.family_parts.0.is_empty() || rng.odds(350) {
        rng.pick(c.family).to_owned()
    } else {
        format!(
            "{}{}",
            rng.pick(c.family_parts.0),
            rng.pick(c.family_parts.1)
        )
    }
}

pub(crate) fn birth_date(rng: &mut Pcg32, from: u32, span: usize) -> (u32, u32, u32) {
    let m = 1 + rng.below(12) as u32;
    let days = match m {
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (from + rng.below(span) as u32, m, 1 + rng.below(days) as u32)
}

fn ascii_user(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).collect()
}

pub(crate) fn personal_email(rng: &mut Pcg32, c: &Culture, given: &str, family: &str) -> String {
    let g = ascii_user(given);
    let f = ascii_user(family);
    let user = match rng.below(4) {
        0 => format!("{g}.{f}{}", rng.below(1000)),
        1 => format!("{}{f}{}", &g[..1], 10 + rng.below(90_000)),
        2 => format!("{f}_{g}{}", rng.below(100)),
        // Handles that say nothing of the name.
        _ => format!(
            "{}{}{}",
            rng.pick(&["sunny", "blue", "happy", "star", "tiger", "moon", "river"]),
            rng.pick(&["fox", "bird", "day", "light", "wolf", "rose"]),
            rng.below(10_000)
        ),
    };
    format!("{user}@{}", rng.pick(c.domains))
}

pub(crate) fn person(rng: &mut Pcg32) -> Person {
    let ci = rng.below(CULTURES.len());
    let c = &CULTURES[ci];
    let given = rng.pick(c.given).to_owned();
    let family = family_name(rng, c);
    let family2 = if c.two_family_names {
        family_name(rng, c)
    } else {
        String::new()
    };
    let mut emails = vec![personal_email(rng, c, &given, &family)];
    if rng.odds(250) {
        emails.push(personal_email(rng, c, &given, &family));
    }
    let mut phones = vec![digits(rng, c.national_digits)];
    if rng.odds(300) {
        phones.push(digits(rng, c.national_digits));
    }
    Person {
        culture: ci,
        given,
        family,
        family2,
        suffix: "",
        dob: birth_date(rng, 1935, 70),
        emails,
        phones,
        address: new_address(rng, c),
        national_id: c.id_digits.map(|n| digits(rng, n)).unwrap_or_default(),
    }
}

// --- character-level errors -------------------------------------------------

const KEYBOARD_ROWS: [&str; 3] = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];

/// A key next to `c` on a QWERTY keyboard (same row), or `c` itself.
fn adjacent_key(rng: &mut Pcg32, c: char) -> char {
    for row in KEYBOARD_ROWS {
        let keys: Vec<char> = row.chars().collect();
        if let Some(i) = keys.iter().position(|k| *k == c) {
            let left = i.checked_sub(1).map(|j| keys[j]);
            let right = keys.get(i + 1).copied();
            return match (left, right, rng.below(2)) {
                (Some(l), _, 0) | (Some(l), None, _) => l,
                (_, Some(r), _) => r,
                _ => c,
            };
        }
    }
    c
}

/// A letter-level error at a position other than the first letter (people
/// rarely get the first letter wrong, and blocking keys on it).
pub(crate) fn char_error(rng: &mut Pcg32, s: &str, tally: &mut Tally) -> String {
    let mut c: Vec<char> = s.chars().collect();
    if c.len() < 4 {
        return s.to_owned();
    }
    let i = 1 + rng.below(c.len() - 2);
    match rng.below(4) {
        0 => {
            c[i] = adjacent_key(rng, c[i]);
            tally.add(Noise::KeyboardSubstitution);
        }
        1 => {
            // Doubled or stray neighbouring key.
            let extra = if rng.odds(500) {
                c[i]
            } else {
                adjacent_key(rng, c[i])
            };
            c.insert(i, extra);
            tally.add(Noise::Insertion);
        }
        2 => {
            c.remove(i);
            tally.add(Noise::Deletion);
        }
        _ => {
            c.swap(i, i + 1);
            tally.add(Noise::Transposition);
        }
    }
    c.into_iter().collect()
}

/// Confusions a scanner makes: `m`/`rn`, `O`/`0`, `l`/`1`, `cl`/`d`.
pub(crate) fn ocr_error(s: &str, tally: &mut Tally) -> String {
    const PAIRS: [(&str, &str); 8] = [
        ("rn", "m"),
        ("m", "rn"),
        ("cl", "d"),
        ("o", "0"),
        ("l", "1"),
        ("i", "1"),
        ("vv", "w"),
        ("e", "c"),
    ];
    // Skip the first letter, as for typing errors.
    let Some(first) = s.chars().next() else {
        return s.to_owned();
    };
    let (head, tail) = s.split_at(first.len_utf8());
    for (from, to) in PAIRS {
        if let Some(at) = tail.find(from) {
            tally.add(Noise::Ocr);
            return format!("{head}{}{to}{}", &tail[..at], &tail[at + from.len()..]);
        }
    }
    s.to_owned()
}

/// Spelling by ear: the name as a call-centre agent writes what they hear.
pub(crate) fn phonetic_error(s: &str, tally: &mut Tally) -> String {
    const PAIRS: [(&str, &str); 20] = [
        ("ph", "f"),
        ("th", "t"),
        ("ck", "k"),
        ("ch", "sh"),
        ("sch", "sh"),
        ("ll", "y"),
        ("ie", "y"),
        ("ey", "y"),
        ("ou", "u"),
        ("oo", "u"),
        ("ei", "ai"),
        ("au", "o"),
        ("qu", "k"),
        ("ss", "s"),
        ("tt", "t"),
        ("nn", "n"),
        ("y", "i"),
        ("c", "k"),
        ("z", "s"),
        ("v", "w"),
    ];
    for (from, to) in PAIRS {
        // Keep the first letter: names are heard, then spelled.
        if let Some(at) = s.get(1..).and_then(|t| t.find(from)) {
            tally.add(Noise::Phonetic);
            let at = at + 1;
            return format!("{}{to}{}", &s[..at], &s[at + from.len()..]);
        }
    }
    s.to_owned()
}

pub(crate) fn title_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for ch in s.chars() {
        if start {
            out.extend(ch.to_uppercase());
        } else {
            out.push(ch);
        }
        start = ch == ' ' || ch == '-';
    }
    out
}

pub(crate) fn accented(c: &Culture, s: &str) -> String {
    c.accents
        .iter()
        .find(|(plain, _)| *plain == s)
        .map_or_else(|| s.to_owned(), |(_, a)| (*a).to_owned())
}

/// A diminutive of `given`, if the culture has one.
pub(crate) fn diminutive(rng: &mut Pcg32, c: &Culture, given: &str) -> Option<String> {
    c.diminutives
        .iter()
        .find(|(full, _)| *full == given)
        .map(|(_, short)| rng.pick(short).to_owned())
}

// --- dates, emails, phones ---------------------------------------------------

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The birth date as a source writes it, with the date-level errors.
pub(crate) fn date_text(
    rng: &mut Pcg32,
    source: Source,
    dob: (u32, u32, u32),
    error_rate: u32,
    tally: &mut Tally,
) -> String {
    let (mut y, mut m, mut d) = dob;
    // Only noisy sources mix in US dates; a clean date stays unambiguous.
    let mut us = error_rate > 0 && source == Source::Web && rng.odds(300);
    if rng.odds(error_rate) {
        match rng.below(5) {
            0 => {
                // A wrong leading digit: 1932 becomes 5932.
                y = y % 1000 + 1000 * (2 + rng.below(8) as u32);
                tally.add(Noise::ImpossibleDate);
            }
            1 => {
                // The century lost: 1919 becomes 0019.
                y %= 100;
                tally.add(Noise::ImpossibleDate);
            }
            2 => {
                // A day the month does not have: 1985-02-30.
                d = match m {
                    2 => 29 + rng.below(2) as u32,
                    4 | 6 | 9 | 11 => 31,
                    _ => 32,
                };
                if m == 2 && d == 29 && y % 4 == 0 {
                    d = 30;
                }
                tally.add(Noise::InvalidDate);
            }
            3 => {
                std::mem::swap(&mut m, &mut d);
                tally.add(Noise::DayMonthSwap);
            }
            _ => us = true,
        }
    }
    if us {
        tally.add(Noise::UsDate);
        return format!("{m:02}/{d:02}/{y:04}");
    }
    match source {
        Source::Crm => format!("{y:04}-{m:02}-{d:02}"),
        Source::Web => format!("{d:02}/{m:02}/{y:04}"),
        Source::Paper => format!("{d:02}.{m:02}.{y:04}"),
        Source::CallCentre => match MONTHS.get(m.wrapping_sub(1) as usize) {
            Some(name) => format!("{d} {name} {y:04}"),
            None => format!("{d:02}/{m:02}/{y:04}"),
        },
    }
}

pub(crate) fn email_text(rng: &mut Pcg32, email: &str, tally: &mut Tally) -> String {
    let Some((user, domain)) = email.split_once('@') else {
        return email.to_owned();
    };
    let mut user = user.to_owned();
    let mut domain = domain.to_owned();
    match rng.below(10) {
        0 | 1 => {
            user = user.to_uppercase();
            domain = domain.to_uppercase();
            tally.add(Noise::EmailCase);
        }
        2 if domain == "gmail.com" => {
            domain = "googlemail.com".to_owned();
            tally.add(Noise::EmailGooglemail);
        }
        3 => {
            user = format!("{user}+{}", rng.pick(&["shop", "news", "promo", "2024"]));
            tally.add(Noise::EmailTag);
        }
        4 if domain == "gmail.com" && user.len() > 4 => {
            let at = 2 + rng.below(user.len() - 3);
            if user.is_char_boundary(at) && !user[..at].ends_with('.') {
                user.insert(at, '.');
                tally.add(Noise::EmailDots);
            }
        }
        _ => {}
    }
    format!("{user}@{domain}")
}

pub(crate) fn phone_text(
    rng: &mut Pcg32,
    c: &Culture,
    national: &str,
    tally: &mut Tally,
) -> String {
    let (a, b) = national.split_at(3);
    let (b, d) = b.split_at(3);
    let cc = c.calling_code;
    let form = rng.below(7);
    if form > 0 {
        tally.add(Noise::PhoneForm);
    }
    let mut text = match form {
        0 => format!("+{cc}{national}"),
        1 => format!("+{cc} {a} {b} {d}"),
        2 => format!("00{cc} {a} {b}{d}"),
        3 => format!("0{national}"),
        4 => format!("(0{a}) {b}-{d}"),
        5 => format!("0{a}-{b}-{d}"),
        _ => format!("+{cc} ({a}) {b}.{d}"),
    };
    if rng.odds(40) {
        text.push_str(rng.pick(&[" ext. ", " x", " ext "]));
        let len = 2 + rng.below(3);
        text.push_str(&digits(rng, len));
        tally.add(Noise::PhoneExtension);
    }
    text
}

/// Per-record rates of the name errors, per mille, by source.
fn name_error_rate(s: Source) -> u32 {
    match s {
        Source::Crm => 60,
        Source::Web => 160,
        Source::Paper => 120,
        Source::CallCentre => 180,
    }
}

/// Renders one record of `p` as `source` writes it. `noisy` is false for
/// the one careful record some people have; `moved` gives the address the
/// person lives at in this record.
pub(crate) fn render(
    rng: &mut Pcg32,
    p: &Person,
    source: Source,
    address: &Address,
    rec_id: String,
    truth: usize,
    tally: &mut Tally,
) -> Row {
    let c = &CULTURES[p.culture];
    let rate = name_error_rate(source);
    let mut given = p.given.clone();
    let mut family = p.family.clone();
    if !p.family2.is_empty() {
        if source == Source::Crm || rng.odds(400) {
            family = format!("{family} {}", p.family2);
        } else {
            tally.add(Noise::OneFamilyName);
        }
    }
    if rng.odds(if source == Source::Web { 200 } else { 80 }) {
        if let Some(short) = diminutive(rng, c, &given) {
            given = short;
            tally.add(Noise::Diminutive);
        }
    }
    // At most one character-level error per name part, chosen by source.
    for part in [&mut given, &mut family] {
        if rng.odds(rate) {
            *part = match source {
                Source::Paper => ocr_error(part, tally),
                Source::CallCentre if rng.odds(600) => phonetic_error(part, tally),
                _ => char_error(rng, part, tally),
            };
        }
    }
    let mut initials = false;
    if source != Source::Web && rng.odds(if c.country == "IN" { 150 } else { 30 }) {
        initials = true;
        tally.add(Noise::Initials);
    }
    // Accents only where a careful source keeps them.
    if source == Source::Crm && rng.odds(700) {
        let (g, f) = (accented(c, &given), accented(c, &family));
        if g != given || f != family {
            tally.add(Noise::Accents);
        }
        given = g;
        family = f;
    }
    let missing = missing_rates(source);
    let mut gone: [bool; 6] = std::array::from_fn(|i| rng.odds(missing[i]));
    // A record keeps at least two of birth date, email, phone and address:
    // a name alone cannot tell namesakes apart, for any resolver.
    if gone[..4].iter().filter(|g| !**g).count() < 2 {
        gone[0] = false;
        gone[2] = false;
    }
    for _ in gone.iter().filter(|g| **g) {
        tally.add(Noise::MissingField);
    }
    let dob = if gone[0] {
        String::new()
    } else {
        date_text(rng, source, p.dob, 60, tally)
    };
    let email = if gone[1] {
        String::new()
    } else {
        let i = if p.emails.len() > 1 && rng.odds(400) {
            tally.add(Noise::SecondEmail);
            1
        } else {
            0
        };
        email_text(rng, &p.emails[i], tally)
    };
    let phone = if gone[2] {
        String::new()
    } else {
        let i = if p.phones.len() > 1 && rng.odds(400) {
            tally.add(Noise::SecondPhone);
            1
        } else {
            0
        };
        phone_text(rng, c, &p.phones[i], tally)
    };
    let keep_address = !gone[3];
    let national_id = if gone[4] {
        String::new()
    } else {
        p.national_id.clone()
    };
    if gone[5] {
        given.clear();
    }
    let mut row = Row {
        rec_id,
        truth: truth.to_string(),
        dob,
        email,
        phone,
        national_id,
        country: if rng.odds(30) {
            c.country_name.to_owned()
        } else {
            c.country.to_owned()
        },
        ..Row::default()
    };
    if keep_address {
        let (long, short, after) = c.street_kind;
        let word = if rng.odds(500) { short } else { long };
        row.street_number = address.number.to_string();
        row.street = if after {
            format!("{} {word}", address.street)
        } else {
            format!("{word} {}", address.street)
        };
        row.city = address.city.clone();
        row.state = if rng.odds(300) {
            String::new()
        } else {
            address.region.clone()
        };
        row.postcode = address.postcode.clone();
    }
    if initials && !given.is_empty() {
        let first: String = given.chars().take(1).collect();
        given = if rng.odds(500) {
            format!("{first}.")
        } else {
            first
        };
    }
    let swap = rng.odds(if source == Source::Paper { 40 } else { 15 });
    if swap {
        tally.add(Noise::NameSwap);
        std::mem::swap(&mut given, &mut family);
    }
    if !p.suffix.is_empty() && rng.odds(400) {
        family = format!("{family} {}", p.suffix);
    }
    let case = |s: &str| match source {
        Source::Crm | Source::CallCentre => title_case(s),
        Source::Web => s.to_owned(),
        Source::Paper => s.to_uppercase(),
    };
    // The call centre and paper forms write one name field; Vietnamese
    // full names put the family name first.
    if matches!(source, Source::CallCentre | Source::Paper) && rng.odds(500) {
        row.full = match (given.is_empty(), c.family_first && !swap) {
            (true, _) => case(&family),
            (false, true) => case(&format!("{family} {given}")),
            (false, false) => case(&format!("{given} {family}")),
        };
    } else {
        row.given = case(&given);
        row.family = case(&family);
    }
    if source == Source::Paper {
        row.street = row.street.to_uppercase();
        row.city = row.city.to_uppercase();
    }
    row
}

/// How many records a person has: one (half of people) to six.
pub(crate) fn record_count(rng: &mut Pcg32, dup_rate_per_mille: u32) -> usize {
    if !rng.odds(dup_rate_per_mille) {
        return 1;
    }
    match rng.below(10) {
        0..=4 => 2,
        5..=7 => 3,
        8 => 4,
        _ => 5 + rng.below(2),
    }
}

/// Returns about `n` rows from generator B, with the tally of the errors
/// applied. Half of people have more than one record.
pub(crate) fn generate_with_tally(n: usize, seed: u64) -> (Vec<Row>, Tally) {
    let mut rng = Pcg32::new(seed);
    let mut tally = Tally::default();
    let mut rows = Vec::with_capacity(n + 8);
    let mut id = 0usize;
    while rows.len() < n {
        let p = person(&mut rng);
        let c = &CULTURES[p.culture];
        let mut address = p.address.clone();
        for k in 0..record_count(&mut rng, 500) {
            if k > 0 && rng.odds(120) {
                address = new_address(&mut rng, c);
                tally.add(Noise::Move);
            }
            let source = rng.pick(&SOURCES);
            let row = render(
                &mut rng,
                &p,
                source,
                &address,
                format!("b{id}-{k}"),
                id,
                &mut tally,
            );
            rows.push(row);
        }
        id += 1;
    }
    rng.shuffle(&mut rows);
    (rows, tally)
}

/// Returns about `n` rows from generator B, shuffled; `truth` is the
/// person's number.
pub(crate) fn generate(n: usize, seed: u64) -> Vec<Row> {
    generate_with_tally(n, seed).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn generator_b_is_deterministic_for_a_seed() {
        assert_eq!(generate(2000, 7), generate(2000, 7));
        assert_ne!(generate(2000, 7), generate(2000, 8));
    }

    #[test]
    fn generator_b_clusters_have_the_designed_sizes() {
        let rows = generate(20_000, 3);
        let mut sizes: HashMap<&str, usize> = HashMap::new();
        for r in &rows {
            *sizes.entry(r.truth.as_str()).or_default() += 1;
        }
        let max = sizes.values().copied().max().unwrap();
        let singles = sizes.values().filter(|s| **s == 1).count();
        assert!((5..=6).contains(&max), "largest cluster {max}");
        let share = singles as f64 / sizes.len() as f64;
        assert!((0.45..0.55).contains(&share), "share of singletons {share}");
        // Every record has a name and at least two other identifiers.
        for r in &rows {
            assert!(
                !(r.given.is_empty() && r.family.is_empty() && r.full.is_empty()),
                "{r:?}"
            );
            let others = [&r.dob, &r.email, &r.phone, &r.street]
                .iter()
                .filter(|v| !v.is_empty())
                .count();
            assert!(others >= 2, "{r:?}");
        }
    }

    #[test]
    fn generator_b_applies_every_error_kind() {
        let (_, tally) = generate_with_tally(20_000, 5);
        for kind in NOISE_KINDS {
            assert!(tally.count(kind) > 0, "{kind:?} never occurs");
        }
    }

    #[test]
    fn generator_b_error_helpers_do_what_they_say() {
        let mut t = Tally::default();
        assert_eq!(ocr_error("amanda", &mut t), "arnanda");
        assert_eq!(phonetic_error("stephanie", &mut t), "stefanie");
        let mut rng = Pcg32::new(1);
        let d = date_text(&mut rng, Source::Crm, (1985, 2, 14), 0, &mut t);
        assert_eq!(d, "1985-02-14");
        assert_eq!(t.count(Noise::Ocr), 1);
        assert_eq!(t.count(Noise::Phonetic), 1);
    }
}
