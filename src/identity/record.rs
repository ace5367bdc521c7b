//! A source record reduced to the folded values identity resolution
//! compares.

use chrono::NaiveDate;

use crate::identity::normalize::{
    fold, normalize_email, normalize_identifier, normalize_phone, normalize_postcode,
    normalize_street, parse_written_date, written_date, DateOrder, NameOrder, NicknameTable,
    NormalizedName, WrittenDate,
};
use crate::model::{Birth, RecordId, SourceId, SourceRecord};

/// Options of [`normalize_record`].
///
/// | option | default | meaning |
/// |---|---|---|
/// | `default_country` | `"US"` | country whose calling code completes national phone numbers when the record names none |
/// | `name_order` | by country | order of names written in full; `None` reads it from the record's country (see [`NameOrder::for_country`]: `HU`, `VN`, `CN` and others are family-first) |
/// | `nicknames` | built-in | table mapping short forms to canonical given names |
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NormalizeParams {
    default_country: String,
    name_order: Option<NameOrder>,
    nicknames: NicknameTable,
}

impl Default for NormalizeParams {
    fn default() -> NormalizeParams {
        NormalizeParams {
            default_country: "US".to_owned(),
            name_order: None,
            nicknames: NicknameTable::default(),
        }
    }
}

impl NormalizeParams {
    /// Sets the default country for phone numbers (ISO 3166-1 alpha-2).
    #[must_use]
    pub fn default_country(mut self, country: &str) -> NormalizeParams {
        country
            .trim()
            .to_ascii_uppercase()
            .clone_into(&mut self.default_country);
        self
    }

    /// Fixes the order of full names instead of reading it from the country.
    #[must_use]
    pub fn name_order(mut self, order: NameOrder) -> NormalizeParams {
        self.name_order = Some(order);
        self
    }

    /// Replaces the nickname table.
    #[must_use]
    pub fn nicknames(mut self, table: NicknameTable) -> NormalizeParams {
        self.nicknames = table;
        self
    }
}

/// The folded, comparable view of one [`SourceRecord`].
///
/// Built by [`normalize_record`]; it is what blocking, scoring and
/// clustering read. It keeps the record's id and source, the first name and
/// postal address, every email, phone and national id. An empty value is
/// no value.
///
/// Its text lives in one allocation, so that a million of them are compact
/// and comparing two touches little memory. It serialises as the plain
/// fields its accessors show.
#[derive(Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(into = "Fields", from = "Fields"))]
pub struct NormalizedRecord {
    id: RecordId,
    source: SourceId,
    birth: Option<NaiveDate>,
    /// A birth date set aside as impossible, as written (see
    /// [`NormalizedRecord::birth_as_written`]).
    birth_written: Option<WrittenDate>,
    mononym: bool,
    /// Every text value, one after another.
    text: Box<str>,
    /// The end of each value in `text`: the [`Slot`]s, then the values of
    /// each list in [`List`] order. The first [`INLINE`] sit in the record
    /// itself (comparing two records reads them all), the rest in `more`.
    ends: [u32; INLINE],
    more: Box<[u32]>,
    /// How many values each list has.
    lists: [u32; LISTS],
}

/// The single text values of a record, in their order in `ends`.
#[derive(Clone, Copy)]
enum Slot {
    Given,
    GivenCanonical,
    Family,
    StreetNumber,
    Street,
    AddressExtra,
    Locality,
    Region,
    Postcode,
}

const SLOTS: usize = 9;

/// The lists of text values of a record, in their order in `ends`.
#[derive(Clone, Copy)]
enum List {
    Emails,
    Phones,
    NationalIds,
    AccountIds,
}

const LISTS: usize = 4;

/// How many value ends a record holds inline: every slot and the first
/// seven list values (most records have one email, phone and id).
const INLINE: usize = 16;

/// The fields of a [`NormalizedRecord`] one by one: how it is built and
/// serialised.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename = "NormalizedRecord"))]
struct Fields {
    id: RecordId,
    source: SourceId,
    name: NormalizedName,
    given_canonical: Option<String>,
    birth: Option<NaiveDate>,
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    birth_as_written: Option<u32>,
    emails: Vec<String>,
    phones: Vec<String>,
    national_ids: Vec<String>,
    account_ids: Vec<String>,
    street_number: Option<String>,
    street: Option<String>,
    address_extra: Option<String>,
    locality: Option<String>,
    region: Option<String>,
    postcode: Option<String>,
}

impl NormalizedRecord {
    fn pack(mut f: Fields) -> NormalizedRecord {
        // Lists are kept sorted and free of repeats whatever their origin
        // (a record read from JSON too): comparisons find shared values by
        // a merge.
        for list in [
            &mut f.emails,
            &mut f.phones,
            &mut f.national_ids,
            &mut f.account_ids,
        ] {
            list.sort_unstable();
            list.dedup();
        }
        let slots: [Option<&str>; SLOTS] = [
            f.name.given(),
            f.given_canonical.as_deref(),
            f.name.family(),
            f.street_number.as_deref(),
            f.street.as_deref(),
            f.address_extra.as_deref(),
            f.locality.as_deref(),
            f.region.as_deref(),
            f.postcode.as_deref(),
        ];
        let lists: [&[String]; LISTS] = [&f.emails, &f.phones, &f.national_ids, &f.account_ids];
        let values = slots
            .iter()
            .map(|v| v.unwrap_or(""))
            .chain(lists.iter().flat_map(|l| l.iter().map(String::as_str)));
        let len: usize = values.clone().map(str::len).sum();
        let mut text = String::with_capacity(len);
        let (mut ends, mut more) = ([0u32; INLINE], Vec::new());
        for (k, v) in values.enumerate() {
            text.push_str(v);
            // Saturates only past 4 GiB of text in one record, which
            // `NormalizedRecord::value` then reads as empty values.
            let end = u32::try_from(text.len()).unwrap_or(u32::MAX);
            match ends.get_mut(k) {
                Some(e) => *e = end,
                None => more.push(end),
            }
        }
        NormalizedRecord {
            id: f.id,
            source: f.source,
            birth: f.birth,
            // Only a date no calendar has is kept as written; a number of
            // another shape (from JSON) is no date.
            birth_written: f
                .birth_as_written
                .filter(|_| f.birth.is_none())
                .and_then(written_date),
            mononym: f.name.is_mononym(),
            text: text.into_boxed_str(),
            ends,
            more: more.into_boxed_slice(),
            lists: lists.map(|l| u32::try_from(l.len()).unwrap_or(u32::MAX)),
        }
    }

    /// Returns the end of value `k`.
    fn end(&self, k: usize) -> usize {
        let end = match self.ends.get(k) {
            Some(e) => *e,
            None => self.more.get(k - INLINE).copied().unwrap_or(0),
        };
        end as usize
    }

    /// Returns value `k`.
    fn value(&self, k: usize) -> &str {
        let start = if k == 0 { 0 } else { self.end(k - 1) };
        self.text.get(start..self.end(k)).unwrap_or("")
    }

    fn slot(&self, slot: Slot) -> Option<&str> {
        Some(self.value(slot as usize)).filter(|v| !v.is_empty())
    }

    fn list(&self, list: List) -> Values<'_> {
        let before: usize = self.lists[..list as usize]
            .iter()
            .map(|n| *n as usize)
            .sum();
        let start = SLOTS + before;
        Values {
            record: self,
            next: start,
            end: start + self.lists[list as usize] as usize,
        }
    }

    fn fields(&self) -> Fields {
        let own = |v: Option<&str>| v.map(str::to_owned);
        let all = |v: Values<'_>| v.map(str::to_owned).collect();
        Fields {
            id: self.id.clone(),
            source: self.source.clone(),
            name: NormalizedName::from_folded(own(self.given()), own(self.family()), self.mononym),
            given_canonical: own(self.given_canonical()),
            birth: self.birth,
            birth_as_written: self.birth_written.map(WrittenDate::get),
            emails: all(self.emails()),
            phones: all(self.phones()),
            national_ids: all(self.national_ids()),
            account_ids: all(self.account_ids()),
            street_number: own(self.street_number()),
            street: own(self.street()),
            address_extra: own(self.address_extra()),
            locality: own(self.locality()),
            region: own(self.region()),
            postcode: own(self.postcode()),
        }
    }
}

impl From<NormalizedRecord> for Fields {
    fn from(r: NormalizedRecord) -> Fields {
        r.fields()
    }
}

impl From<Fields> for NormalizedRecord {
    fn from(f: Fields) -> NormalizedRecord {
        NormalizedRecord::pack(f)
    }
}

// Every folded value is personal (names, emails, streets, ids); the id and
// source stay visible so a log can find the record.
impl std::fmt::Debug for NormalizedRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::model::redact::Secret;
        let x = self.fields();
        fn one<'a>(kind: &'static str, v: &'a Option<String>) -> Option<Secret<'a>> {
            v.as_deref().map(|v| Secret::Text(kind, v))
        }
        fn all<'a>(kind: &'static str, v: &'a [String]) -> Vec<Secret<'a>> {
            v.iter().map(|v| Secret::Text(kind, v)).collect()
        }
        f.debug_struct("NormalizedRecord")
            .field("id", &x.id)
            .field("source", &x.source)
            .field("name", &x.name)
            .field("given_canonical", &one("Given", &x.given_canonical))
            .field("birth", &x.birth.as_ref().map(|d| Secret::Value("Date", d)))
            .field(
                "birth_as_written",
                &x.birth_as_written
                    .as_ref()
                    .map(|d| Secret::Value("Date", d)),
            )
            .field("emails", &all("Email", &x.emails))
            .field("phones", &all("Phone", &x.phones))
            .field("national_ids", &all("NationalId", &x.national_ids))
            .field("account_ids", &all("AccountId", &x.account_ids))
            .field("street_number", &one("StreetNumber", &x.street_number))
            .field("street", &one("Street", &x.street))
            .field("address_extra", &one("AddressExtra", &x.address_extra))
            .field("locality", &one("Locality", &x.locality))
            .field("region", &one("Region", &x.region))
            .field("postcode", &one("Postcode", &x.postcode))
            .finish()
    }
}

/// The values of one list of a [`NormalizedRecord`] (its emails, phones,
/// national ids or account ids), in order.
#[derive(Clone, Debug)]
pub struct Values<'r> {
    record: &'r NormalizedRecord,
    next: usize,
    end: usize,
}

impl<'r> Iterator for Values<'r> {
    type Item = &'r str;

    fn next(&mut self) -> Option<&'r str> {
        (self.next < self.end).then(|| {
            self.next += 1;
            self.record.value(self.next - 1)
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end - self.next;
        (n, Some(n))
    }
}

impl DoubleEndedIterator for Values<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        (self.next < self.end).then(|| {
            self.end -= 1;
            self.record.value(self.end)
        })
    }
}

impl ExactSizeIterator for Values<'_> {}

impl std::iter::FusedIterator for Values<'_> {}

fn some_nonempty(s: String) -> Option<String> {
    if s.is_empty() {
        None
    } else {
        Some(s)
    }
}

/// Returns the folded, comparable view of `record`.
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use custodia::identity::{normalize_record, NormalizeParams};
/// use custodia::model::{EmailAddress, PersonName, PhoneNumber, SourceRecord};
///
/// let mut b = SourceRecord::builder("crm-1", "crm", Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap())?;
/// b.identity().names.push(PersonName::from_parts(Some("Bill"), Some("O'Brien"))?);
/// b.identity().emails.push(EmailAddress::new("Bill.OBrien+x@gmail.com")?);
/// b.identity().phones.push(PhoneNumber::new("(415) 555-0100")?);
/// let n = normalize_record(&b.build()?, &NormalizeParams::default());
/// assert_eq!(n.given_canonical(), Some("william"));
/// assert_eq!(n.family(), Some("obrien"));
/// assert!(n.emails().eq(["billobrien@gmail.com"]));
/// assert!(n.phones().eq(["+14155550100"]));
/// # Ok::<(), custodia::Error>(())
/// ```
pub fn normalize_record(record: &SourceRecord, params: &NormalizeParams) -> NormalizedRecord {
    let identity = record.identity();
    let geo = record.geographic();
    let address = identity.addresses.first();
    let country = address
        .and_then(|a| a.country.as_ref())
        .or(geo.country.as_ref())
        .map_or(params.default_country.as_str(), |c| c.as_str());
    let order = params
        .name_order
        .unwrap_or_else(|| NameOrder::for_country(country));
    let name = identity
        .names
        .first()
        .map_or_else(NormalizedName::default, |n| {
            if n.given.is_some() || n.family.is_some() {
                NormalizedName::from_parts(
                    n.given.as_ref().map(|t| t.as_str()),
                    n.family.as_ref().map(|t| t.as_str()),
                )
            } else {
                n.full.as_ref().map_or_else(NormalizedName::default, |f| {
                    NormalizedName::from_full(f.as_str(), order)
                })
            }
        });
    let given_canonical = name.given().map(|g| {
        // The first given name carries the nickname; the others stay.
        let (first, rest) = g.split_once(' ').unwrap_or((g, ""));
        let canonical = params.nicknames.canonical(first);
        if rest.is_empty() {
            canonical
        } else {
            format!("{canonical} {rest}")
        }
    });
    let birth = match &record.demographic().birth {
        Some(Birth::Date(d)) => Some(*d),
        _ => None,
    };
    // A birth date set aside as impossible (`4976-02-13`, `31/09/1981`)
    // still holds digits a typo left mostly right: kept as written, for
    // comparison only.
    let birth_as_written = if birth.is_none() {
        record
            .quality_notes()
            .iter()
            .filter(|n| n.field().as_str() == "demographic.birth_date")
            .find_map(|n| parse_written_date(n.value(), DateOrder::DayFirst))
            .map(WrittenDate::get)
    } else {
        None
    };
    let mut emails: Vec<String> = identity
        .emails
        .iter()
        .filter_map(|e| normalize_email(e.as_str()))
        .collect();
    emails.sort();
    emails.dedup();
    let mut phones: Vec<String> = identity
        .phones
        .iter()
        .filter_map(|p| normalize_phone(p.as_str(), country))
        .collect();
    phones.sort();
    phones.dedup();
    let mut national_ids: Vec<String> = identity
        .national_ids
        .iter()
        .map(|n| normalize_identifier(n.value.as_str()))
        .filter(|s| !s.is_empty())
        .collect();
    national_ids.sort();
    national_ids.dedup();
    // Identifiers a system issued (a pipeline's user id, a CRM contact id, a
    // browser's anonymous id) name one account exactly: the system's name is
    // lower-cased, the value kept as issued.
    let mut account_ids: Vec<String> = identity
        .external_ids
        .iter()
        .map(|e| {
            format!(
                "ext:{}:{}",
                e.system.as_str().to_lowercase(),
                e.value.as_str()
            )
        })
        .chain(
            identity
                .device_ids
                .iter()
                .map(|d| format!("dev:{}:{}", d.kind.as_str(), d.value.as_str())),
        )
        .collect();
    account_ids.sort();
    account_ids.dedup();

    let (mut street_number, mut street, mut address_extra) = (None, None, None);
    if let Some(a) = address {
        if let Some(first) = a.lines.first() {
            let line = normalize_street(first.as_str());
            let (number, rest) = split_house_number(&line);
            street_number = number;
            street = some_nonempty(rest);
        }
        let extra: Vec<String> = a.lines[1.min(a.lines.len())..]
            .iter()
            .map(|l| normalize_street(l.as_str()))
            .filter(|l| !l.is_empty())
            .collect();
        address_extra = some_nonempty(extra.join(" "));
    }
    let locality = address
        .and_then(|a| a.city.as_ref())
        .or(geo.city.as_ref())
        .and_then(|c| some_nonempty(fold(c.as_str())));
    let region = address
        .and_then(|a| a.region.as_ref())
        .or(geo.region.as_ref())
        .and_then(|c| some_nonempty(fold(c.as_str())));
    let postcode = address
        .and_then(|a| a.postal_code.as_ref())
        .or(geo.postal_code.as_ref())
        .and_then(|c| some_nonempty(normalize_postcode(c.as_str())));
    NormalizedRecord::pack(Fields {
        id: record.id().clone(),
        source: record.source().clone(),
        name,
        given_canonical,
        birth,
        birth_as_written,
        emails,
        phones,
        national_ids,
        account_ids,
        street_number,
        street,
        address_extra,
        locality,
        region,
        postcode,
    })
}

/// Splits a leading (or trailing) house number such as `7`, `12a` or `5-7`
/// off a normalised street line.
fn split_house_number(line: &str) -> (Option<String>, String) {
    let is_number = |t: &str| t.chars().next().is_some_and(|c| c.is_ascii_digit());
    let tokens: Vec<&str> = line.split(' ').filter(|t| !t.is_empty()).collect();
    if let Some(first) = tokens.first().filter(|t| is_number(t)) {
        return (Some((*first).to_owned()), tokens[1..].join(" "));
    }
    if let Some(last) = tokens.last().filter(|t| is_number(t)) {
        let mut rest = &tokens[..tokens.len() - 1];
        if rest.last() == Some(&"no") {
            rest = &rest[..rest.len() - 1];
        }
        return (Some((*last).to_owned()), rest.join(" "));
    }
    (None, tokens.join(" "))
}

impl NormalizedRecord {
    /// Returns the record's id.
    pub fn id(&self) -> &RecordId {
        &self.id
    }

    /// Returns the record's source.
    pub fn source(&self) -> &SourceId {
        &self.source
    }

    /// Returns the folded given name(s).
    pub fn given(&self) -> Option<&str> {
        self.slot(Slot::Given)
    }

    /// Returns the given name with its first word mapped through the
    /// nickname table.
    pub fn given_canonical(&self) -> Option<&str> {
        self.slot(Slot::GivenCanonical)
    }

    /// Returns the folded family name(s).
    pub fn family(&self) -> Option<&str> {
        self.slot(Slot::Family)
    }

    /// Returns `true` when the person is known by one name only (see
    /// [`NormalizedName::is_mononym`]).
    pub fn is_mononym(&self) -> bool {
        self.mononym
    }

    /// Returns the only name of a person known by one name.
    pub fn mononym(&self) -> Option<&str> {
        if self.mononym {
            self.given().or(self.family())
        } else {
            None
        }
    }

    /// Returns the date of birth.
    pub fn birth(&self) -> Option<NaiveDate> {
        self.birth
    }

    /// Returns a birth date that was set aside as impossible, as written:
    /// the number `YYYYMMDD` (`4976-02-13` is `49_760_213`, `31/09/1981` is
    /// `19_810_931`).
    ///
    /// It is read from the record's [quality note](crate::model::QualityNote)
    /// on `demographic.birth_date` when the record has no valid birth date
    /// and the value has a date's shape (a four-digit year from 1000, a month
    /// and a day of at most two digits). Scoring compares its digits with the
    /// other record's date, since a typo leaves most of them right; it is
    /// never used as a date.
    ///
    /// # Examples
    ///
    /// ```
    /// use chrono::{NaiveDate, TimeZone, Utc};
    /// use custodia::identity::{normalize_record, NormalizeParams};
    /// use custodia::model::{Birth, PersonName, SourceRecord};
    ///
    /// let mut b = SourceRecord::builder("crm-1", "crm", Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap())?;
    /// b.identity().names.push(PersonName::from_parts(Some("Ana"), Some("Souza"))?);
    /// // A year typed 4976: after the observation, so set aside by `build`.
    /// b.demographic().birth = NaiveDate::from_ymd_opt(4976, 2, 13).map(Birth::Date);
    /// let record = b.build()?;
    /// assert_eq!(record.demographic().birth, None);
    /// let n = normalize_record(&record, &NormalizeParams::default());
    /// assert_eq!(n.birth(), None);
    /// assert_eq!(n.birth_as_written(), Some(49_760_213));
    /// # Ok::<(), custodia::Error>(())
    /// ```
    pub fn birth_as_written(&self) -> Option<u32> {
        self.birth_written.map(WrittenDate::get)
    }

    pub(crate) fn birth_written(&self) -> Option<WrittenDate> {
        self.birth_written
    }

    /// Returns the normalised emails, sorted.
    pub fn emails(&self) -> Values<'_> {
        self.list(List::Emails)
    }

    /// Returns the phones in E.164, sorted.
    pub fn phones(&self) -> Values<'_> {
        self.list(List::Phones)
    }

    /// Returns the normalised national ids, sorted.
    pub fn national_ids(&self) -> Values<'_> {
        self.list(List::NationalIds)
    }

    /// Returns the identifiers other systems issued (external ids as
    /// `ext:system:value`, device ids as `dev:kind:value`), sorted.
    pub fn account_ids(&self) -> Values<'_> {
        self.list(List::AccountIds)
    }

    /// Returns the house number of the first address.
    pub fn street_number(&self) -> Option<&str> {
        self.slot(Slot::StreetNumber)
    }

    /// Returns the street of the first address, without its number.
    pub fn street(&self) -> Option<&str> {
        self.slot(Slot::Street)
    }

    /// Returns the further lines of the first address, joined.
    pub fn address_extra(&self) -> Option<&str> {
        self.slot(Slot::AddressExtra)
    }

    /// Returns the folded city or locality.
    pub fn locality(&self) -> Option<&str> {
        self.slot(Slot::Locality)
    }

    /// Returns the folded region or state.
    pub fn region(&self) -> Option<&str> {
        self.slot(Slot::Region)
    }

    /// Returns the normalised postal code.
    pub fn postcode(&self) -> Option<&str> {
        self.slot(Slot::Postcode)
    }

    /// Appends the record's binary form to `out`: a compact, versioned
    /// encoding that [`NormalizedRecord::from_bytes`] reads back into an
    /// equal record, much faster than JSON.
    ///
    /// The layout (integers little-endian) is a version byte (1), the id
    /// and the source (each a `u32` length and UTF-8 bytes), a birth flag
    /// byte and four bytes: 0 and zeros for no birth date, 1 and the birth
    /// as `i32` days from the common era, 2 and a date set aside as
    /// impossible as the `u32` `YYYYMMDD` it was written as
    /// ([`NormalizedRecord::birth_as_written`]), then a mononym
    /// byte, the four list lengths (`u32` each), the `u32` end of every
    /// value in the record's text, and the text (a `u32` length and UTF-8
    /// bytes). It suits passing records between the steps of one job; the
    /// documented JSON stays the format to store records in.
    ///
    /// # Examples
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use custodia::identity::{normalize_record, NormalizeParams, NormalizedRecord};
    /// use custodia::model::{EmailAddress, SourceRecord};
    ///
    /// let mut b = SourceRecord::builder("crm-1", "crm", Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap())?;
    /// b.identity().emails.push(EmailAddress::new("Ann@Example.com")?);
    /// let n = normalize_record(&b.build()?, &NormalizeParams::default());
    /// let mut bytes = Vec::new();
    /// n.write_bytes(&mut bytes);
    /// assert_eq!(NormalizedRecord::from_bytes(&bytes)?, n);
    /// assert!(NormalizedRecord::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    /// # Ok::<(), custodia::Error>(())
    /// ```
    pub fn write_bytes(&self, out: &mut Vec<u8>) {
        // Lengths fit in u32: ids are short and `pack` keeps ends in u32.
        fn put(out: &mut Vec<u8>, n: usize) {
            out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
        }
        let values = self.values();
        out.reserve(32 + self.text.len() + 4 * values);
        out.push(BYTES_VERSION);
        for s in [self.id.as_str(), self.source.as_str()] {
            put(out, s.len());
            out.extend_from_slice(s.as_bytes());
        }
        match (self.birth, self.birth_written) {
            (Some(d), _) => {
                out.push(1);
                out.extend_from_slice(&chrono::Datelike::num_days_from_ce(&d).to_le_bytes());
            }
            (None, Some(w)) => {
                out.push(2);
                out.extend_from_slice(&w.get().to_le_bytes());
            }
            (None, None) => {
                out.push(0);
                out.extend_from_slice(&0i32.to_le_bytes());
            }
        }
        out.push(u8::from(self.mononym));
        for n in self.lists {
            out.extend_from_slice(&n.to_le_bytes());
        }
        for k in 0..values {
            put(out, self.end(k));
        }
        put(out, self.text.len());
        out.extend_from_slice(self.text.as_bytes());
    }

    /// Reads a record from its binary form (what
    /// [`NormalizedRecord::write_bytes`] writes).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`](crate::error::ErrorKind::InvalidInput)
    /// when the bytes are not that form: another version, a length past
    /// the end, trailing bytes, text that is not UTF-8, value ends out of
    /// order, an invalid id or source, or a list that is not sorted and
    /// free of repeats.
    pub fn from_bytes(bytes: &[u8]) -> crate::error::Result<NormalizedRecord> {
        let bad = |reason: &'static str| -> crate::error::Error {
            crate::identity::error::Detail::RecordBytes { reason }.into()
        };
        let mut r = Reader { bytes };
        if r.take(1).map_err(bad)? != [BYTES_VERSION] {
            return Err(bad("unknown version"));
        }
        let id = RecordId::new(r.text().map_err(bad)?)?;
        let source = SourceId::new(r.text().map_err(bad)?)?;
        let flag = r.take(1).map_err(bad)?[0];
        let days = r.u32().map_err(bad)? as i32;
        let (birth, birth_written) = match (flag, days) {
            (0, 0) => (None, None),
            (1, days) => (
                Some(
                    NaiveDate::from_num_days_from_ce_opt(days)
                        .ok_or_else(|| bad("birth out of range"))?,
                ),
                None,
            ),
            (2, n) => (
                None,
                Some(written_date(n as u32).ok_or_else(|| bad("written birth date out of range"))?),
            ),
            _ => return Err(bad("birth flag is neither 0 (with no days), 1 nor 2")),
        };
        let mononym = match r.take(1).map_err(bad)?[0] {
            0 => false,
            1 => true,
            _ => return Err(bad("mononym flag is neither 0 nor 1")),
        };
        let mut lists = [0u32; LISTS];
        for n in &mut lists {
            *n = r.u32().map_err(bad)?;
        }
        let values = lists
            .iter()
            .try_fold(SLOTS, |a, n| a.checked_add(*n as usize))
            .filter(|v| v.checked_mul(4).is_some_and(|b| b <= r.bytes.len()))
            .ok_or_else(|| bad("more values than bytes"))?;
        let mut ends = [0u32; INLINE];
        let mut more = Vec::with_capacity(values.saturating_sub(INLINE));
        for k in 0..values {
            let e = r.u32().map_err(bad)?;
            match ends.get_mut(k) {
                Some(slot) => *slot = e,
                None => more.push(e),
            }
        }
        let text = r.text().map_err(bad)?;
        if !r.bytes.is_empty() {
            return Err(bad("trailing bytes"));
        }
        let record = NormalizedRecord {
            id,
            source,
            birth,
            birth_written,
            mononym,
            text: text.into(),
            ends,
            more: more.into_boxed_slice(),
            lists,
        };
        let mut start = 0;
        for k in 0..values {
            let end = record.end(k);
            if end < start || end > text.len() || !text.is_char_boundary(end) {
                return Err(bad("value ends out of order"));
            }
            start = end;
        }
        if start != text.len() {
            return Err(bad("text past the last value"));
        }
        for list in [
            List::Emails,
            List::Phones,
            List::NationalIds,
            List::AccountIds,
        ] {
            let v = record.list(list);
            if !v.clone().zip(v.skip(1)).all(|(a, b)| a < b) {
                return Err(bad("a list is not sorted and free of repeats"));
            }
        }
        Ok(record)
    }

    /// Returns the number of values in the record's text.
    fn values(&self) -> usize {
        SLOTS + self.lists.iter().map(|n| *n as usize).sum::<usize>()
    }
}

/// The version byte of [`NormalizedRecord::write_bytes`]'s form.
const BYTES_VERSION: u8 = 1;

/// Reads the binary form from the front.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Takes the next `n` bytes.
    fn take(&mut self, n: usize) -> std::result::Result<&'a [u8], &'static str> {
        if n > self.bytes.len() {
            return Err("truncated");
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    /// Takes a little-endian `u32`.
    fn u32(&mut self) -> std::result::Result<u32, &'static str> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Takes a `u32` length and that many bytes of UTF-8 text.
    fn text(&mut self) -> std::result::Result<&'a str, &'static str> {
        let n = self.u32()? as usize;
        std::str::from_utf8(self.take(n)?).map_err(|_| "text is not UTF-8")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn house_numbers() {
        assert_eq!(
            split_house_number("7 wallaby place"),
            (Some("7".to_owned()), "wallaby place".to_owned())
        );
        assert_eq!(
            split_house_number("jalan sudirman no 5"),
            (Some("5".to_owned()), "jalan sudirman".to_owned())
        );
        assert_eq!(split_house_number(""), (None, String::new()));
    }

    fn bare(emails: &[&str]) -> NormalizedRecord {
        NormalizedRecord::from(Fields {
            id: RecordId::new("r").unwrap(),
            source: SourceId::new("s").unwrap(),
            name: NormalizedName::from_folded(None, None, false),
            given_canonical: None,
            birth: None,
            birth_as_written: None,
            emails: emails.iter().map(|e| (*e).to_owned()).collect(),
            phones: Vec::new(),
            national_ids: Vec::new(),
            account_ids: Vec::new(),
            street_number: None,
            street: None,
            address_extra: None,
            locality: None,
            region: None,
            postcode: None,
        })
    }

    #[test]
    fn binary_form_layout() {
        let mut bytes = Vec::new();
        bare(&[]).write_bytes(&mut bytes);
        // version; id "r"; source "s"; no birth (flag, 4 bytes); not a
        // mononym; four empty lists; nine slot ends of 0; empty text.
        let mut want = vec![1, 1, 0, 0, 0, b'r', 1, 0, 0, 0, b's', 0, 0, 0, 0, 0, 0];
        want.extend([0u8; 16 + 36 + 4]);
        assert_eq!(bytes, want);
        assert_eq!(NormalizedRecord::from_bytes(&bytes).unwrap(), bare(&[]));
        // A byte more or less is refused.
        bytes.push(0);
        assert!(NormalizedRecord::from_bytes(&bytes).is_err());
        assert!(NormalizedRecord::from_bytes(&bytes[..bytes.len() - 2]).is_err());
        assert!(NormalizedRecord::from_bytes(&[]).is_err());
        assert!(NormalizedRecord::from_bytes(&[2]).is_err());
    }

    #[test]
    fn binary_form_refuses_unsorted_lists() {
        let mut bytes = Vec::new();
        bare(&["a", "b"]).write_bytes(&mut bytes);
        assert_eq!(&bytes[bytes.len() - 2..], b"ab");
        let n = bytes.len();
        bytes[n - 2..].copy_from_slice(b"ba");
        let e = NormalizedRecord::from_bytes(&bytes).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::InvalidInput);
        assert!(e.to_string().contains("not sorted"), "{e}");
        bytes[n - 2..].copy_from_slice(b"aa");
        assert!(NormalizedRecord::from_bytes(&bytes).is_err());
    }

    fn opt() -> impl Strategy<Value = Option<String>> {
        proptest::option::of("\\PC{1,6}")
    }

    /// A list as normalisation makes it: sorted, without repeats.
    fn list() -> impl Strategy<Value = Vec<String>> {
        proptest::collection::btree_set("\\PC{0,6}", 0..4).prop_map(|s| s.into_iter().collect())
    }

    prop_compose! {
        fn fields()(
            (given, family, mononym, given_canonical, birth, written) in
                (opt(), opt(), any::<bool>(), opt(), proptest::option::of(0i32..60_000),
                 proptest::option::of(10_000_000u32..=99_999_999)),
            (emails, phones, national_ids, account_ids) in (list(), list(), list(), list()),
            (street_number, street, address_extra, locality, region, postcode) in
                (opt(), opt(), opt(), opt(), opt(), opt()),
        ) -> Fields {
            Fields {
                id: RecordId::new("r-1").unwrap(),
                source: SourceId::new("crm").unwrap(),
                name: NormalizedName::from_folded(given, family, mononym),
                given_canonical,
                birth: birth.and_then(|d| NaiveDate::from_num_days_from_ce_opt(700_000 + d)),
                // A date as written stands only where no valid one does.
                birth_as_written: written.filter(|_| birth.is_none()),
                emails, phones, national_ids, account_ids,
                street_number, street, address_extra, locality, region, postcode,
            }
        }
    }

    proptest! {
        #[test]
        fn bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = NormalizedRecord::from_bytes(&bytes);
        }

        #[test]
        fn a_changed_byte_reads_as_an_error_or_a_valid_record(f in fields(), at in any::<usize>(), to in any::<u8>()) {
            let mut bytes = Vec::new();
            NormalizedRecord::from(f).write_bytes(&mut bytes);
            let at = at % bytes.len();
            bytes[at] = to;
            if let Ok(r) = NormalizedRecord::from_bytes(&bytes) {
                // Whatever it reads back is a record in the form `pack` makes.
                let mut again = Vec::new();
                r.write_bytes(&mut again);
                prop_assert_eq!(again, bytes);
            }
        }

        #[test]
        fn packing_sorts_lists_and_drops_repeats(
            mut f in fields(), extra in proptest::collection::vec("\\PC{0,6}", 0..6),
        ) {
            f.emails.extend(extra.iter().rev().cloned());
            f.emails.extend(extra);
            let mut expected = f.emails.clone();
            expected.sort();
            expected.dedup();
            let packed = NormalizedRecord::from(f);
            prop_assert!(packed.emails().eq(expected.iter().map(String::as_str)));
        }

        #[test]
        fn packing_keeps_every_value(f in fields()) {
            let packed = NormalizedRecord::from(f.clone());
            prop_assert_eq!(packed.emails().len(), f.emails.len());
            prop_assert!(packed.phones().rev().eq(f.phones.iter().rev().map(String::as_str)));
            prop_assert_eq!(Fields::from(packed.clone()), f.clone());
            prop_assert_eq!(packed.mononym().is_some(), f.name.mononym().is_some());
            let mut bytes = Vec::new();
            packed.write_bytes(&mut bytes);
            prop_assert_eq!(NormalizedRecord::from_bytes(&bytes).unwrap(), packed.clone());
            #[cfg(feature = "serde")]
            {
                let json = serde_json::to_string(&packed).unwrap();
                prop_assert_eq!(json.clone(), serde_json::to_string(&f).unwrap());
                let back: NormalizedRecord = serde_json::from_str(&json).unwrap();
                prop_assert_eq!(back, packed);
            }
        }
    }
}
