//! Resolves the people in one CSV file (deduplication) or two (linkage).
//!
//! ```text
//! cargo run --release --example resolve -- FILE.csv [--link FILE_B.csv] --out clusters.csv [--truth COLUMN [--show-wrong N] [--versus-labels N]]
//! ```
//!
//! The file needs a header. Columns are mapped onto the model by name (case
//! and spaces ignored); any other column is ignored with a notice:
//!
//! | column names | model field |
//! |---|---|
//! | `rec_id`, `id`, `record_id` | record id (a row without one is given `SOURCE-line-N`, its source and line, and a notice) |
//! | `given_name`, `first_name` | name, given part |
//! | `surname`, `last_name`, `family_name` | name, family part |
//! | `full_name`, `name` | name as written in full |
//! | `date_of_birth`, `dob`, `birthday`, `birth_date` | birth date: `YYYYMMDD`, `YYYY-MM-DD`, `DD/MM/YYYY`, `12 Mar 1990`, … |
//! | `email` | email |
//! | `phone`, `telephone`, `mobile` | phone |
//! | `street_number` | house number, before the street |
//! | `street`, `address_1`, `address` | first address line |
//! | `address_2` | second address line |
//! | `city`, `suburb`, `town` | city |
//! | `postcode`, `zip`, `postal_code` | postal code |
//! | `state`, `region` | region |
//! | `country` | country: an ISO 3166-1 code or a name (`PT`, `PRT`, `Portugal`) |
//! | `soc_sec_id`, `national_id`, `ssn` | national id |
//!
//! With `--link`, the two files are two sources, each free of duplicates:
//! pairs are formed only across them and a cluster holds at most one record
//! of each. The `--truth` column is never read for matching; with it, the
//! program prints pairwise precision, recall and F1 and B-cubed F1. It
//! writes `rec_id,cluster_id`, each cluster's members together.
//! `--show-wrong N` explains, field by field, up to N links that joined
//! records of different people. `--versus-labels N` prints each
//! level's weight and `m` as unlabelled training learned them beside those a
//! model trained on the truth labels of the candidate pairs gives
//! (`MatchModel::from_labelled`), a calibration table (candidate pairs by
//! the part of the model that weighed them and by two-bit band of weight
//! around the link weight, with the share the labels call one person), a
//! dependence table (how often each pattern of agreement of the address's
//! parts, and of email and phone, occurs among true pairs, beside the
//! product of the parts' shares that independent weights assume), then
//! counts the true pairs left in different clusters by why (never proposed,
//! scored below the link weight, or kept apart by a guard) and explains up
//! to N of them: where training, blocking, the threshold or clustering goes
//! wrong on a labelled set.
//! `RESOLVE_PHASES=1` runs the steps
//! one by one and prints the time of each on stderr.
//!
//! Every readable row becomes a record. Each field goes through the model's
//! validation; a value that fails (an email without `@`, a birth date typed
//! as `5932-06-29`) is set aside as a quality note on the record, and the
//! record is resolved on the rest. At the end the program prints how many
//! values were set aside per field. Only a row the CSV reader cannot read is
//! reported as bad, never a crash.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::process::ExitCode;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use custodia::identity::{
    block, normalize_record, parse_date, ClusterId, DateOrder, Field, MatchModel, Matcher,
    NormalizedRecord, ResolveParams, Resolver, RuleBlocker, TrainParams,
};
use custodia::model::{
    Birth, CountryCode, EmailAddress, FieldPath, NationalId, NationalIdKind, PersonName,
    PhoneNumber, PostalAddress, SourceRecord, SourceRecordBuilder, Text,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Id,
    Given,
    Family,
    Full,
    Birth,
    Email,
    Phone,
    StreetNumber,
    Street,
    Street2,
    City,
    Postcode,
    Region,
    Country,
    NationalId,
}

fn column(name: &str) -> Option<Column> {
    let n = name.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    Some(match n.as_str() {
        "rec_id" | "id" | "record_id" => Column::Id,
        "given_name" | "first_name" => Column::Given,
        "surname" | "last_name" | "family_name" => Column::Family,
        "full_name" | "name" => Column::Full,
        "date_of_birth" | "dob" | "birthday" | "birth_date" => Column::Birth,
        "email" => Column::Email,
        "phone" | "telephone" | "mobile" => Column::Phone,
        "street_number" => Column::StreetNumber,
        "street" | "address_1" | "address" => Column::Street,
        "address_2" => Column::Street2,
        "city" | "suburb" | "town" => Column::City,
        "postcode" | "zip" | "postal_code" => Column::Postcode,
        "state" | "region" => Column::Region,
        "country" => Column::Country,
        "soc_sec_id" | "national_id" | "ssn" => Column::NationalId,
        _ => return None,
    })
}

/// `(rec_id, truth label)` of each record.
type Labels = Vec<(String, String)>;

struct Args {
    file: String,
    link: Option<String>,
    out: String,
    truth: Option<String>,
    show_wrong: usize,
    versus_labels: Option<usize>,
}

fn args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let (mut file, mut link, mut out, mut truth) = (None, None, None, None);
    let mut show_wrong = 0;
    let mut versus_labels = None;
    while let Some(a) = it.next() {
        match a.as_str() {
            "--link" => link = Some(it.next().ok_or("--link needs a file")?),
            "--out" => out = Some(it.next().ok_or("--out needs a file")?),
            "--truth" => truth = Some(it.next().ok_or("--truth needs a column name")?),
            "--show-wrong" => {
                show_wrong = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or("--show-wrong needs a count")?;
            }
            "--versus-labels" => {
                versus_labels = Some(
                    it.next()
                        .and_then(|n| n.parse().ok())
                        .ok_or("--versus-labels needs a count")?,
                );
            }
            _ if a.starts_with("--") => return Err(format!("unknown option {a}")),
            _ => file = Some(a),
        }
    }
    Ok(Args {
        file: file.ok_or(
            "usage: resolve FILE.csv [--link FILE_B.csv] --out clusters.csv [--truth COLUMN]",
        )?,
        link,
        out: out.ok_or("--out is required")?,
        truth,
        show_wrong,
        versus_labels,
    })
}

/// Returns `result`'s value, or sets `raw` aside on the record as a quality
/// note for `field` and returns `None`.
fn kept<T>(
    b: &mut SourceRecordBuilder,
    field: &str,
    raw: &str,
    result: custodia::Result<T>,
) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(e) => {
            // The fields named here are literal dotted paths; a bad one would
            // be a bug in this program, so it is shown rather than hidden.
            match FieldPath::new(field) {
                Ok(path) => {
                    b.set_aside(path, raw, &e);
                }
                Err(bad) => eprintln!("bug: field path {field:?}: {bad}"),
            }
            None
        }
    }
}

/// Builds one record from row `line` (1-based, counting the header) of a
/// file of `source`. Every readable row becomes a record: a value that fails
/// validation is set aside as a quality note, and a row without a valid id
/// is given `SOURCE-line-N` (the bad id, if any, set aside). The error names
/// what was wrong when not even that is possible.
fn record(
    row: &csv::StringRecord,
    columns: &[Option<Column>],
    source: &str,
    line: usize,
) -> Result<SourceRecord, String> {
    let get = |c: Column| {
        columns
            .iter()
            .position(|x| *x == Some(c))
            .and_then(|i| row.get(i))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let at = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .ok_or("bad time")?;
    let invented = format!("{source}-line-{line}");
    let (mut b, bad_id) = match get(Column::Id).map(|id| SourceRecord::builder(id, source, at)) {
        Some(Ok(b)) => (b, None),
        Some(Err(e)) => (
            SourceRecord::builder(&invented, source, at).map_err(|e| e.to_string())?,
            Some(e),
        ),
        None => (
            SourceRecord::builder(&invented, source, at).map_err(|e| e.to_string())?,
            None,
        ),
    };
    if let (Some(e), Some(id)) = (bad_id, get(Column::Id)) {
        kept::<()>(&mut b, "id", id, Err(e));
    }
    let (given, family, full) = (get(Column::Given), get(Column::Family), get(Column::Full));
    let text = |b: &mut SourceRecordBuilder, field: &str, s: &str| kept(b, field, s, Text::new(s));
    if given.is_some() || family.is_some() {
        // Each part on its own, so that a bad given name keeps the family
        // name.
        let mut name = PersonName::default();
        name.given = given.and_then(|g| text(&mut b, "identity.given_name", g));
        name.family = family.and_then(|f| text(&mut b, "identity.family_name", f));
        if name.given.is_some() || name.family.is_some() {
            b.identity().names.push(name);
        }
    } else if let Some(full) = full {
        if let Some(name) = kept(
            &mut b,
            "identity.full_name",
            full,
            PersonName::from_full(full),
        ) {
            b.identity().names.push(name);
        }
    }
    if let Some(d) = get(Column::Birth) {
        match parse_date(d, DateOrder::DayFirst) {
            // A date after the observation is set aside by `build`.
            Some(date) => b.demographic().birth = Some(Birth::Date(date)),
            None => {
                let reason = format!("birth date {d:?} is not a date");
                match FieldPath::new("demographic.birth_date") {
                    Ok(path) => {
                        b.set_aside(path, d, reason);
                    }
                    Err(bad) => eprintln!("bug: {bad}"),
                }
            }
        }
    }
    if let Some(e) = get(Column::Email) {
        if let Some(e) = kept(&mut b, "identity.email", e, EmailAddress::new(e)) {
            b.identity().emails.push(e);
        }
    }
    if let Some(p) = get(Column::Phone) {
        if let Some(p) = kept(&mut b, "identity.phone", p, PhoneNumber::new(p)) {
            b.identity().phones.push(p);
        }
    }
    let mut address = PostalAddress::default();
    let line1 = match (get(Column::StreetNumber), get(Column::Street)) {
        (Some(n), Some(s)) => Some(format!("{n} {s}")),
        (Some(n), None) => Some(n.to_owned()),
        (None, Some(s)) => Some(s.to_owned()),
        (None, None) => None,
    };
    if let Some(l) = line1.and_then(|l| text(&mut b, "identity.street", &l)) {
        address.lines.push(l);
    }
    if let Some(l) = get(Column::Street2).and_then(|l| text(&mut b, "identity.street", l)) {
        address.lines.push(l);
    }
    address.city = get(Column::City).and_then(|c| text(&mut b, "identity.city", c));
    address.postal_code =
        get(Column::Postcode).and_then(|c| text(&mut b, "identity.postal_code", c));
    address.region = get(Column::Region).and_then(|c| text(&mut b, "identity.region", c));
    address.country = get(Column::Country).and_then(|c| {
        kept(
            &mut b,
            "identity.address_country",
            c,
            CountryCode::lookup(c),
        )
    });
    if !address.is_empty() {
        b.identity().addresses.push(address);
    }
    if let Some(n) = get(Column::NationalId) {
        let id = NationalId::new(NationalIdKind::SocialSecurity, None, n);
        if let Some(id) = kept(&mut b, "identity.national_id", n, id) {
            b.identity().national_ids.push(id);
        }
    }
    b.build().map_err(|e| e.to_string())
}

/// Values set aside, counted by field.
type SetAside = BTreeMap<String, usize>;

/// Reads one file; returns its normalised records and `(rec_id, truth)`
/// labels, and counts the values set aside by field in `set_aside`.
fn read(
    path: &str,
    source: &str,
    truth: Option<&str>,
    bad: &mut usize,
    set_aside: &mut SetAside,
    resolver: &Resolver,
) -> Result<(Vec<NormalizedRecord>, Labels), String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| format!("{path}: {e}"))?;
    let headers = reader
        .headers()
        .map_err(|e| format!("{path}: {e}"))?
        .clone();
    let mut columns = Vec::new();
    let mut truth_index = None;
    for (i, h) in headers.iter().enumerate() {
        if Some(h) == truth {
            truth_index = Some(i);
            columns.push(None);
            continue;
        }
        let c = column(h);
        if c.is_none() {
            eprintln!("notice: {path}: ignoring unknown column {h:?}");
        }
        columns.push(c);
    }
    if truth.is_some() && truth_index.is_none() {
        return Err(format!(
            "{path}: no truth column {:?}",
            truth.unwrap_or_default()
        ));
    }
    if !columns.contains(&Some(Column::Id)) {
        eprintln!(
            "notice: {path}: no rec_id column; each record is given the id {source}-line-N of its line"
        );
    }
    let (mut records, mut labels) = (Vec::new(), Vec::new());
    // Rows are read in chunks; each chunk's rows are built into source
    // records and normalised on two threads, each source record dropped as
    // soon as it is normalised: the source records of the whole file never
    // sit in memory at once.
    const CHUNK: usize = 1 << 16;
    let normalize = resolver.params().normalize_params();
    let mut flush = |rows: &mut Vec<(usize, csv::StringRecord)>| -> Result<(), String> {
        type Built = Result<(NormalizedRecord, Option<String>, Vec<String>), String>;
        let build = |part: &[(usize, csv::StringRecord)]| -> Vec<Built> {
            part.iter()
                .map(|(line, row)| {
                    let r = record(row, &columns, source, line + 2)?;
                    let label = truth_index.map(|t| row.get(t).unwrap_or("").to_owned());
                    let notes = r
                        .quality_notes()
                        .iter()
                        .map(|n| n.field().to_string())
                        .collect();
                    Ok((normalize_record(&r, normalize), label, notes))
                })
                .collect()
        };
        let (first, second) = rows.split_at(rows.len().div_ceil(2));
        let built: Vec<Built> = std::thread::scope(|s| {
            let other = s.spawn(|| build(second));
            let mut out = build(first);
            out.extend(other.join().unwrap_or_default());
            out
        });
        for ((line, _), r) in rows.iter().zip(built) {
            match r {
                Ok((r, label, notes)) => {
                    if r.id().as_str().ends_with(&format!("-line-{}", line + 2))
                        && r.id().as_str().starts_with(source)
                    {
                        eprintln!(
                            "notice: {path}:{}: no valid record id; given {}",
                            line + 2,
                            r.id()
                        );
                    }
                    for field in notes {
                        *set_aside.entry(field).or_default() += 1;
                    }
                    if let Some(label) = label {
                        labels.push((r.id().as_str().to_owned(), label));
                    }
                    records.push(r);
                }
                Err(e) => {
                    *bad += 1;
                    eprintln!("bad row {path}:{}: {e}", line + 2);
                }
            }
        }
        rows.clear();
        Ok(())
    };
    // One thread parses the CSV while the chunk before is being built.
    let unreadable = std::thread::scope(|s| -> Result<usize, String> {
        let (send, receive) = std::sync::mpsc::sync_channel::<Vec<(usize, csv::StringRecord)>>(1);
        let parser = s.spawn(move || {
            let mut unreadable = 0;
            let mut chunk = Vec::with_capacity(CHUNK);
            for (line, row) in reader.records().enumerate() {
                match row {
                    Ok(row) => chunk.push((line, row)),
                    Err(e) => {
                        unreadable += 1;
                        eprintln!("bad row {path}:{}: {e}", line + 2);
                    }
                }
                if chunk.len() == CHUNK {
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                    if send.send(full).is_err() {
                        break;
                    }
                }
                if (line + 1) % 100_000 == 0 {
                    eprintln!("read {} rows of {path}", line + 1);
                }
            }
            // A closed channel means the builder stopped on an error, which
            // it reports.
            let _ = send.send(chunk);
            unreadable
        });
        for mut rows in receive {
            flush(&mut rows)?;
        }
        parser
            .join()
            .map_err(|_| "the CSV parser stopped".to_owned())
    })?;
    *bad += unreadable;
    Ok((records, labels))
}

/// Sorts records by id as the resolver does, so that training sees them in
/// the same order: an index is sorted, then the records are permuted in
/// place, cycle by cycle (records are large; neither many moves nor a
/// second copy).
fn sorted_by_id(mut records: Vec<NormalizedRecord>) -> Vec<NormalizedRecord> {
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_unstable_by(|a, b| records[*a].id().cmp(records[*b].id()));
    let mut done = vec![false; records.len()];
    for start in 0..records.len() {
        let mut k = start;
        while !done[k] {
            done[k] = true;
            let from = order[k];
            if from == start {
                break;
            }
            records.swap(k, from);
            k = from;
        }
    }
    records
}

/// Runs the pure steps one by one, timing each (slower than
/// [`Resolver::train_and_resolve`], which blocks and compares once).
fn phases(
    resolver: &Resolver,
    normalized: Vec<NormalizedRecord>,
    start: Instant,
) -> Result<Option<custodia::identity::Resolution>, String> {
    let normalized = sorted_by_id(normalized);
    let t = Instant::now();
    let g = custodia::identity::GenericValues::detect(&normalized, 10, 20.0);
    eprintln!("  generic values {:.2?} ({})", t.elapsed(), g.len());
    let model = resolver.train(&normalized).map_err(|e| e.to_string())?;
    eprintln!("trained in {:.2?}", start.elapsed());
    {
        // Each pure step on its own, timed, for profiling.
        let t = Instant::now();
        let bp = resolver.params().blocking_params();
        let blocker = RuleBlocker::new(bp, model.generic().clone());
        let c = block(&normalized, &blocker, bp).map_err(|e| e.to_string())?;
        let limits: &[usize] = if std::env::var_os("RESOLVE_BLOCKS_ONLY").is_some() {
            &[100, 50, 30, 20]
        } else {
            &[]
        };
        for &limit in limits {
            let mut total = 0;
            for rule in bp.rule_list() {
                let single = bp.clone().rules(&[*rule]).max_block_size(limit);
                let b = RuleBlocker::new(&single, model.generic().clone());
                let one = block(&normalized, &b, &single).map_err(|e| e.to_string())?;
                total += one.stats().pairs;
                eprintln!("    {limit} {rule:?}: {:?}", one.stats());
            }
            let all = bp.clone().max_block_size(limit);
            let c = block(&normalized, &blocker, &all).map_err(|e| e.to_string())?;
            eprintln!(
                "  limit {limit}: {} pairs ({total} before union)",
                c.pairs().len()
            );
        }
        if std::env::var_os("RESOLVE_BLOCKS_ONLY").is_some() {
            return Ok(None);
        }
        eprintln!("  block {:.2?} ({} pairs)", t.elapsed(), c.pairs().len());
        let t = Instant::now();
        let s =
            custodia::identity::score_pairs(&normalized, &c, &model).map_err(|e| e.to_string())?;
        eprintln!("  score {:.2?}", t.elapsed());
        let t = Instant::now();
        let k = custodia::identity::cluster(
            &normalized,
            &s,
            &model,
            resolver.params().cluster_params(),
        )
        .map_err(|e| e.to_string())?;
        eprintln!(
            "  cluster {:.2?} ({} clusters)",
            t.elapsed(),
            k.clusters().len()
        );
    }
    resolver
        .resolve_normalized(normalized, model)
        .map(Some)
        .map_err(|e| e.to_string())
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// Prints pairwise and B-cubed scores of `predicted` against `truth`.
fn score(truth: &[(String, String)], predicted: &HashMap<&str, ClusterId>) {
    // A record without a cluster (none, in practice) is a cluster of its own.
    type Predicted<'a> = Result<ClusterId, &'a str>;
    let mut joint: HashMap<(&str, Predicted<'_>), u64> = HashMap::new();
    let mut tsize: HashMap<&str, u64> = HashMap::new();
    let mut psize: HashMap<Predicted<'_>, u64> = HashMap::new();
    for (id, t) in truth {
        let p = predicted.get(id.as_str()).copied().ok_or(id.as_str());
        *joint.entry((t, p)).or_default() += 1;
        *tsize.entry(t).or_default() += 1;
        *psize.entry(p).or_default() += 1;
    }
    let tp: u64 = joint.values().map(|n| pairs(*n)).sum();
    let pp: u64 = psize.values().map(|n| pairs(*n)).sum();
    let tt: u64 = tsize.values().map(|n| pairs(*n)).sum();
    let precision = if pp == 0 { 1.0 } else { tp as f64 / pp as f64 };
    let recall = if tt == 0 { 1.0 } else { tp as f64 / tt as f64 };
    let f1 = 2.0 * precision * recall / (precision + recall).max(f64::MIN_POSITIVE);
    let (mut bp, mut br) = (0.0, 0.0);
    for ((t, p), n) in &joint {
        let n = *n as f64;
        bp += n * n / psize[p] as f64;
        br += n * n / tsize[t] as f64;
    }
    let total = truth.len().max(1) as f64;
    let (bp, br) = (bp / total, br / total);
    let bf = 2.0 * bp * br / (bp + br).max(f64::MIN_POSITIVE);
    eprintln!("pairwise precision {precision:.6}");
    eprintln!("pairwise recall    {recall:.6}");
    eprintln!("pairwise f1        {f1:.6}");
    eprintln!("bcubed f1          {bf:.6}");
}

/// With `--versus-labels N`: each level's weight and `m` as training
/// learned them beside those of a model trained on the truth labels of the
/// candidate pairs, then up to `n` true pairs that blocking never proposed.
fn versus_labels(
    resolution: &custodia::identity::Resolution,
    candidates: &custodia::identity::CandidatePairs,
    truth_of: &[&str],
    n: usize,
) -> Result<(), String> {
    let labelled: Vec<(u32, u32, bool)> = candidates
        .pairs()
        .iter()
        .map(|&(a, b)| {
            let (ta, tb) = (truth_of[a as usize], truth_of[b as usize]);
            (a, b, !ta.is_empty() && ta == tb)
        })
        .collect();
    let model = resolution.model();
    let labels = MatchModel::from_labelled(
        resolution.records(),
        &labelled,
        model.generic().clone(),
        &TrainParams::default(),
    )
    .map_err(|e| e.to_string())?;
    eprintln!("level: trained weight (m) | from labels weight (m) | u");
    for f in Field::ALL {
        let levels: Vec<String> = (1..f.levels().len() as u8)
            .map(|l| {
                format!(
                    "{} {:.1} ({:.3}) | {:.1} ({:.3}) | {:.4}",
                    f.levels()[l as usize],
                    model.level_weight(f, l),
                    model.m(f, l),
                    labels.level_weight(f, l),
                    labels.m(f, l),
                    model.u(f, l)
                )
            })
            .collect();
        eprintln!("{f}: {}", levels.join("; "));
    }
    calibration(resolution, &labelled);
    dependence(resolution, &labelled);
    let proposed: HashSet<(u32, u32)> = candidates.pairs().iter().copied().collect();
    let mut by_truth: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for (i, t) in truth_of.iter().enumerate().filter(|(_, t)| !t.is_empty()) {
        by_truth.entry(t).or_default().push(i as u32);
    }
    let records = resolution.records();
    // The true pairs left apart, by why: never proposed, scored below the
    // link weight, or linked but in clusters a guard kept apart.
    let cluster_of: HashMap<&str, ClusterId> = resolution
        .clustering()
        .clusters()
        .iter()
        .flat_map(|c| c.members().iter().map(move |m| (m.as_str(), c.id())))
        .collect();
    let (mut unproposed, mut below, mut above) = (0usize, 0usize, 0usize);
    // Never proposed, yet scoring at or above the link weight: what blocking
    // alone lost.
    let mut unproposed_linkable = 0usize;
    let mut true_pairs = 0usize;
    let mut apart: Vec<(u32, u32, &str)> = Vec::new();
    for members in by_truth.values() {
        for (k, &a) in members.iter().enumerate() {
            for &b in &members[k + 1..] {
                true_pairs += 1;
                let (x, y) = (&records[a as usize], &records[b as usize]);
                if cluster_of.get(x.id().as_str()) == cluster_of.get(y.id().as_str()) {
                    continue;
                }
                let linkable = model.score(x, y).weight() >= model.link_weight();
                let why = if !proposed.contains(&(a.min(b), a.max(b))) {
                    unproposed += 1;
                    unproposed_linkable += usize::from(linkable);
                    "never proposed"
                } else if !linkable {
                    below += 1;
                    "below the link weight"
                } else {
                    above += 1;
                    "kept apart"
                };
                apart.push((a, b, why));
            }
        }
    }
    eprintln!(
        "true pairs apart {} of {true_pairs}: never proposed {unproposed} ({unproposed_linkable} of them at or above the link weight), below the link weight {below}, linkable but kept apart {above}",
        unproposed + below + above
    );
    let mut by_context: BTreeMap<(String, &str), usize> = BTreeMap::new();
    for &(a, b, why) in &apart {
        let e = model.explain(&records[a as usize], &records[b as usize]);
        *by_context
            .entry((format!("{:?}", e.context), why))
            .or_default() += 1;
    }
    for ((context, why), count) in &by_context {
        eprintln!("  apart, {context} pairs, {why}: {count}");
    }
    // Up to `n` of them, spread evenly over the list, explained.
    let stride = apart.len().div_ceil(n.max(1)).max(1);
    for &(a, b, why) in apart.iter().step_by(stride).take(n) {
        let (x, y) = (&records[a as usize], &records[b as usize]);
        let e = model.explain(x, y);
        eprint!("APART ({why}) {} {} w={:.1}:", x.id(), y.id(), e.weight);
        for c in &e.comparisons {
            if c.label != "missing" {
                eprint!(
                    " {}={}({:.1}{:+.1})",
                    c.field, c.label, c.weight, c.tf_adjustment
                );
            }
        }
        eprintln!(" [{:?}]", e.context);
    }
    Ok(())
}

/// Prints, for each part of the model that weighed them and each two-bit
/// band of weight around the link weight, how many candidate pairs there
/// are and what share of them the truth labels call one person: a model
/// whose weights are right has about a third of the pairs one person at
/// −1 bit, half at 0, two thirds at +1.
fn calibration(resolution: &custodia::identity::Resolution, labelled: &[(u32, u32, bool)]) {
    let records = resolution.records();
    let model = resolution.model();
    let link = model.link_weight();
    let mut bands: BTreeMap<(String, i64), (usize, usize)> = BTreeMap::new();
    for &(a, b, same) in labelled {
        let e = model.explain(&records[a as usize], &records[b as usize]);
        let band = ((e.weight - link) / 2.0).floor() as i64;
        if !(-4..4).contains(&band) {
            continue;
        }
        let n = bands.entry((format!("{:?}", e.context), band)).or_default();
        n.0 += 1;
        n.1 += usize::from(same);
    }
    eprintln!("calibration: weight above the link weight, pairs, share one person");
    for ((context, band), (pairs, same)) in &bands {
        eprintln!(
            "  {context:<9} [{:+},{:+}) {pairs:>8} {:.3}",
            band * 2,
            band * 2 + 2,
            *same as f64 / *pairs as f64
        );
    }
}

/// Prints, for groups of fields that may not be independent evidence among
/// duplicates, how often each pattern of agreement occurs among the
/// labelled matches whose records hold every field of the group, beside
/// what the product of each field's own share predicts. The model weighs
/// fields as independent; a pattern far from 0 bits is evidence counted
/// too often (or too seldom) for true pairs.
fn dependence(resolution: &custodia::identity::Resolution, labelled: &[(u32, u32, bool)]) {
    let records = resolution.records();
    let groups: [(&str, &[Field]); 2] = [
        (
            "house number, street, postcode",
            &[Field::StreetNumber, Field::Street, Field::Postcode],
        ),
        ("email, phone", &[Field::Email, Field::Phone]),
    ];
    let model = resolution.model();
    // '=' exact, '~' close, 'x' different, in the group's order.
    let mark = |f: Field, l: u8| match f.levels()[l as usize] {
        "exact" => '=',
        "different" => 'x',
        _ => '~',
    };
    for (name, fields) in groups {
        let mut joint: BTreeMap<String, usize> = BTreeMap::new();
        let mut own: Vec<BTreeMap<char, usize>> = vec![BTreeMap::new(); fields.len()];
        let mut n = 0usize;
        for &(a, b, _) in labelled.iter().filter(|p| p.2) {
            let v = model.levels(&records[a as usize], &records[b as usize]);
            let levels: Vec<u8> = fields
                .iter()
                .filter_map(|f| Field::ALL.iter().position(|x| x == f))
                .map(|i| v[i])
                .collect();
            if levels.contains(&0) {
                continue;
            }
            let key: String = fields
                .iter()
                .zip(&levels)
                .map(|(f, l)| mark(*f, *l))
                .collect();
            for (k, c) in key.chars().enumerate() {
                *own[k].entry(c).or_default() += 1;
            }
            *joint.entry(key).or_default() += 1;
            n += 1;
        }
        if n == 0 {
            continue;
        }
        eprintln!("dependence among {n} true pairs holding {name}: pattern, share, product of shares, bits");
        for (key, count) in &joint {
            let share = *count as f64 / n as f64;
            if share < 0.005 {
                continue;
            }
            let product: f64 = key
                .chars()
                .enumerate()
                .map(|(k, c)| own[k][&c] as f64 / n as f64)
                .product();
            eprintln!(
                "  {key:<4} {share:.4} {product:.4} {:+.2}",
                (share / product).log2()
            );
        }
    }
}

fn run() -> Result<(), String> {
    let args = args()?;
    let start = Instant::now();
    let mut bad = 0usize;
    let mut set_aside = SetAside::new();
    let truth = args.truth.as_deref();
    let mut params = ResolveParams::default();
    if args.link.is_some() {
        params = params.linkage();
    }
    let resolver = Resolver::new(params).map_err(|e| e.to_string())?;
    // The steps one by one, timed: read and normalise, train (which blocks
    // once per rule), then block, score and cluster with the trained model.
    let (mut normalized, mut labels) =
        read(&args.file, "a", truth, &mut bad, &mut set_aside, &resolver)?;
    if let Some(link) = &args.link {
        let (more, more_labels) = read(link, "b", truth, &mut bad, &mut set_aside, &resolver)?;
        normalized.extend(more);
        labels.extend(more_labels);
    }
    eprintln!(
        "read and normalised {} records ({bad} unreadable rows) in {:.2?}",
        normalized.len(),
        start.elapsed()
    );
    let total: usize = set_aside.values().sum();
    eprintln!("set aside {total} values that failed validation, by field:");
    for (field, n) in &set_aside {
        eprintln!("  {field:<28} {n}");
    }
    let resolution = if std::env::var_os("RESOLVE_PHASES").is_some() {
        match phases(&resolver, normalized, start)? {
            Some(r) => r,
            None => return Ok(()),
        }
    } else {
        resolver
            .train_and_resolve(normalized)
            .map_err(|e| e.to_string())?
    };
    let stats = resolution.blocking_stats();
    eprintln!(
        "{} candidate pairs ({} oversized blocks skipped), prior {:.4}, {} EM iterations, {} clusters, {} refused links, in {:.2?}",
        stats.pairs,
        stats.oversized_blocks,
        resolution.model().prior(),
        resolution.model().iterations(),
        resolution.clustering().clusters().len(),
        resolution.clustering().refusals().len(),
        start.elapsed()
    );
    let mut out = csv::Writer::from_path(&args.out).map_err(|e| format!("{}: {e}", args.out))?;
    out.write_record(["rec_id", "cluster_id"])
        .map_err(|e| e.to_string())?;
    // Cluster by cluster, members together; ids borrowed, not copied.
    let mut predicted: HashMap<&str, ClusterId> = HashMap::new();
    for c in resolution.clustering().clusters() {
        let cluster = c.id().to_string();
        for id in c.members() {
            out.write_record([id.as_str(), cluster.as_str()])
                .map_err(|e| e.to_string())?;
            if truth.is_some() {
                predicted.insert(id.as_str(), c.id());
            }
        }
    }
    out.flush().map_err(|e| e.to_string())?;
    eprintln!("wrote {} in {:.2?}", args.out, start.elapsed());
    let mut guards: HashMap<String, usize> = HashMap::new();
    for r in resolution.clustering().refusals() {
        *guards.entry(format!("{:?}", r.guard)).or_default() += 1;
    }
    eprintln!("refused links by guard: {guards:?}");
    if truth.is_some() {
        // Blocking recall: the share of true pairs that blocking proposed.
        let by_id: HashMap<&str, &str> = labels
            .iter()
            .map(|(i, t)| (i.as_str(), t.as_str()))
            .collect();
        let truth_of: Vec<&str> = resolution
            .records()
            .iter()
            .map(|r| by_id.get(r.id().as_str()).copied().unwrap_or(""))
            .collect();
        let params = resolver.params().blocking_params();
        let blocker = RuleBlocker::new(params, resolution.model().generic().clone());
        let candidates =
            block(resolution.records(), &blocker, params).map_err(|e| e.to_string())?;
        eprintln!("blocking recall    {:.6}", candidates.recall(&truth_of));
        // Each guard's refusals split by the labels: a refusal of two
        // records of one person costs recall, one of two people saved
        // precision.
        let mut judged: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for r in resolution.clustering().refusals() {
            let same = by_id.get(r.a.as_str()) == by_id.get(r.b.as_str());
            let e = judged.entry(format!("{:?}", r.guard)).or_default();
            if same {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
        }
        for (guard, (same, different)) in &judged {
            eprintln!("refused {guard:<12} one person {same:>7}, two people {different:>7}");
        }
        if let Some(unblocked) = args.versus_labels {
            versus_labels(&resolution, &candidates, &truth_of, unblocked)?;
        }
        score(&labels, &predicted);
        // With --show-wrong N: explain up to N links that joined records of
        // different people.
        let mut shown = 0;
        for c in resolution.clustering().clusters() {
            for l in c.links() {
                let (ta, tb) = (by_id[l.a.as_str()], by_id[l.b.as_str()]);
                if ta != tb && shown < args.show_wrong {
                    shown += 1;
                    let e = resolution.explain(l.a.as_str(), l.b.as_str());
                    let Some(e) = e else { continue };
                    eprintln!("WRONG {} {} w={:.2} rule={:?}", l.a, l.b, e.weight, e.rule);
                    for c in &e.comparisons {
                        eprint!(
                            " {}={}({:.1}{:+.1})",
                            c.field, c.label, c.weight, c.tf_adjustment
                        );
                    }
                    eprintln!();
                }
            }
        }
    }
    // The process exits next, and the operating system takes back the
    // memory of the whole resolution at once: freeing a million records and
    // their clusters one allocation at a time would take about a second.
    drop(predicted);
    std::mem::forget(resolution);
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(header: &[&str], row: &[&str]) -> SourceRecord {
        let columns: Vec<Option<Column>> = header.iter().map(|h| column(h)).collect();
        record(&csv::StringRecord::from(row.to_vec()), &columns, "a", 7).unwrap()
    }

    #[test]
    fn a_row_with_an_impossible_birth_date_keeps_its_name_email_and_phone() {
        let r = build(
            &[
                "rec_id",
                "given_name",
                "surname",
                "date_of_birth",
                "email",
                "phone",
            ],
            &[
                "r-1",
                "Ana",
                "Silva",
                "5932-06-29",
                "ana@example.com",
                "+351 912 345 678",
            ],
        );
        assert_eq!(r.id().as_str(), "r-1");
        assert_eq!(r.identity().names.len(), 1);
        assert_eq!(r.identity().emails.len(), 1);
        assert_eq!(r.identity().phones.len(), 1);
        assert_eq!(r.demographic().birth, None);
        let notes = r.quality_notes();
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].field().as_str(), "demographic.birth_date");
        assert_eq!(notes[0].value(), "5932-06-29");
    }

    #[test]
    fn a_country_written_as_a_name_is_read() {
        let r = build(
            &["rec_id", "given_name", "phone", "country"],
            &["r-2", "Mia", "02659388384", "United Kingdom"],
        );
        assert!(r.quality_notes().is_empty(), "{:?}", r.quality_notes());
        let address = &r.identity().addresses[0];
        assert_eq!(address.country.map(|c| c.to_string()), Some("GB".into()));
    }

    #[test]
    fn bad_values_are_set_aside_not_dropped_and_a_row_without_id_is_kept() {
        let long = "x".repeat(100_000);
        let r = build(
            &[
                "rec_id",
                "given_name",
                "date_of_birth",
                "email",
                "phone",
                "country",
                "soc_sec_id",
            ],
            &[
                "",
                &long,
                "31/02/1990",
                "ana.example.com",
                "call me",
                "Atlantis",
                "\u{7}",
            ],
        );
        assert_eq!(r.id().as_str(), "a-line-7");
        let fields: Vec<&str> = r
            .quality_notes()
            .iter()
            .map(|n| n.field().as_str())
            .collect();
        for field in [
            "demographic.birth_date",
            "identity.email",
            "identity.phone",
            "identity.address_country",
        ] {
            assert!(fields.contains(&field), "{field} in {fields:?}");
        }
        for note in r.quality_notes() {
            assert!(!note.value().is_empty());
        }
        assert!(r.identity().emails.is_empty());
    }

    /// Every column the reader maps, for generated headers.
    const COLUMNS: [&str; 15] = [
        "rec_id",
        "given_name",
        "surname",
        "full_name",
        "date_of_birth",
        "email",
        "phone",
        "street_number",
        "address_1",
        "address_2",
        "suburb",
        "postcode",
        "state",
        "country",
        "soc_sec_id",
    ];

    /// A field as CSV files hold them: empty, plausible, hostile (control,
    /// bidi and zero-width characters, impossible dates), or up to 100 KB.
    fn field() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            Just(String::new()),
            "[A-Za-z .'-]{1,20}",
            "[0-9/.-]{1,12}",
            "[a-z.+]{1,10}@[a-z]{1,8}\\.[a-z]{2,3}",
            "\\PC{0,30}",
            "[\u{0}-\u{1f}\u{200b}-\u{200f}\u{202a}-\u{202e}\u{feff}a]{1,8}",
            (1usize..100_000, "[a-z0-9 ]").prop_map(|(n, c)| c.repeat(n)),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// Any readable row becomes a record: a value that fails validation
        /// is set aside with a note holding it as given, never the row, and
        /// reading and normalising it stays fast however long its fields.
        #[test]
        fn any_row_becomes_a_record(
            picked in proptest::sample::subsequence(COLUMNS.to_vec(), 1..=COLUMNS.len()),
            values in proptest::collection::vec(field(), COLUMNS.len()),
            line in 0usize..1_000_000,
        ) {
            let started = Instant::now();
            let header: Vec<&str> = picked.clone();
            let row: Vec<&str> = values.iter().take(header.len()).map(String::as_str).collect();
            let columns: Vec<Option<Column>> = header.iter().map(|h| column(h)).collect();
            let r = record(&csv::StringRecord::from(row.clone()), &columns, "a", line);
            proptest::prop_assert!(r.is_ok(), "{:?}", r.err());
            let r = r.unwrap_or_else(|_| unreachable!());
            for note in r.quality_notes() {
                let raw = note.value();
                proptest::prop_assert!(
                    row.iter().any(|v| v.contains(raw.trim()) || raw.contains(v.trim())),
                    "a note's value {raw:?} is not what the row held"
                );
            }
            let n = normalize_record(&r, &custodia::identity::NormalizeParams::default());
            proptest::prop_assert_eq!(n.id(), r.id());
            proptest::prop_assert!(started.elapsed() < std::time::Duration::from_secs(5));
        }
    }
}
