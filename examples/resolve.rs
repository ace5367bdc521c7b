//! Resolves the people in one CSV file (deduplication) or two (linkage).
//!
//! ```text
//! cargo run --release --example resolve -- FILE.csv [--link FILE_B.csv] --out clusters.csv [--truth COLUMN [--show-missed N] [--show-wrong N]]
//! ```
//!
//! The file needs a header. Columns are mapped onto the model by name (case
//! and spaces ignored); any other column is ignored with a notice:
//!
//! | column names | model field |
//! |---|---|
//! | `rec_id`, `id`, `record_id` | record id (required) |
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
//! | `country` | country (ISO 3166-1 alpha-2) |
//! | `soc_sec_id`, `national_id`, `ssn` | national id |
//!
//! With `--link`, the two files are two sources, each free of duplicates:
//! pairs are formed only across them and a cluster holds at most one record
//! of each. The `--truth` column is never read for matching; with it, the
//! program prints pairwise precision, recall and F1 and B-cubed F1. It
//! writes `rec_id,cluster_id`, each cluster's members together.
//! `--show-missed N` explains, field by field, up to N true pairs that were
//! left in different clusters, and `--show-wrong N` up to N links that
//! joined records of different people. `RESOLVE_PHASES=1` runs the steps
//! one by one and prints the time of each on stderr. A row that
//! cannot become a record is reported on stderr and counted, never a crash.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use custodia::identity::{
    block, normalize_record, parse_date, ClusterId, DateOrder, Field, Matcher, NormalizedRecord,
    ResolveParams, Resolver, RuleBlocker,
};
use custodia::model::{
    Birth, CountryCode, EmailAddress, NationalId, NationalIdKind, PersonName, PhoneNumber,
    PostalAddress, SourceRecord, Text,
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
    show_missed: usize,
    show_wrong: usize,
}

fn args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let (mut file, mut link, mut out, mut truth) = (None, None, None, None);
    let mut show_missed = 0;
    let mut show_wrong = 0;
    while let Some(a) = it.next() {
        match a.as_str() {
            "--link" => link = Some(it.next().ok_or("--link needs a file")?),
            "--out" => out = Some(it.next().ok_or("--out needs a file")?),
            "--truth" => truth = Some(it.next().ok_or("--truth needs a column name")?),
            "--show-missed" => {
                show_missed = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or("--show-missed needs a count")?;
            }
            "--show-wrong" => {
                show_wrong = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or("--show-wrong needs a count")?;
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
        show_missed,
        show_wrong,
    })
}

/// Builds one record from a row; the error names what was wrong.
fn record(
    row: &csv::StringRecord,
    columns: &[Option<Column>],
    source: &str,
) -> Result<SourceRecord, String> {
    let get = |c: Column| {
        columns
            .iter()
            .position(|x| *x == Some(c))
            .and_then(|i| row.get(i))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let id = get(Column::Id).ok_or("no record id")?;
    let at = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .ok_or("bad time")?;
    let mut b = SourceRecord::builder(id, source, at).map_err(|e| e.to_string())?;
    let (given, family, full) = (get(Column::Given), get(Column::Family), get(Column::Full));
    if given.is_some() || family.is_some() {
        b.identity()
            .names
            .push(PersonName::from_parts(given, family).map_err(|e| e.to_string())?);
    } else if let Some(full) = full {
        b.identity()
            .names
            .push(PersonName::from_full(full).map_err(|e| e.to_string())?);
    }
    if let Some(d) = get(Column::Birth) {
        // A malformed date is a missing date, not a bad row: sources are noisy.
        if let Some(date) = parse_date(d, DateOrder::DayFirst) {
            b.demographic().birth = Some(Birth::Date(date));
        }
    }
    if let Some(e) = get(Column::Email) {
        if let Ok(e) = EmailAddress::new(e) {
            b.identity().emails.push(e);
        }
    }
    if let Some(p) = get(Column::Phone) {
        if let Ok(p) = PhoneNumber::new(p) {
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
    let text = |s: &str| Text::new(s).map_err(|e| e.to_string());
    if let Some(l) = line1 {
        address.lines.push(text(&l)?);
    }
    if let Some(l) = get(Column::Street2) {
        address.lines.push(text(l)?);
    }
    address.city = get(Column::City).map(text).transpose()?;
    address.postal_code = get(Column::Postcode).map(text).transpose()?;
    address.region = get(Column::Region).map(text).transpose()?;
    address.country = get(Column::Country).and_then(|c| CountryCode::new(c).ok());
    if !address.is_empty() {
        b.identity().addresses.push(address);
    }
    if let Some(n) = get(Column::NationalId) {
        b.identity().national_ids.push(
            NationalId::new(NationalIdKind::SocialSecurity, None, n).map_err(|e| e.to_string())?,
        );
    }
    b.build().map_err(|e| e.to_string())
}

/// Reads one file; returns its normalised records and `(rec_id, truth)` labels.
fn read(
    path: &str,
    source: &str,
    truth: Option<&str>,
    bad: &mut usize,
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
        return Err(format!("{path}: no rec_id column"));
    }
    let (mut records, mut labels) = (Vec::new(), Vec::new());
    // Rows are read in chunks; each chunk's rows are built into source
    // records and normalised on two threads, each source record dropped as
    // soon as it is normalised: the source records of the whole file never
    // sit in memory at once.
    const CHUNK: usize = 1 << 16;
    let normalize = resolver.params().normalize_params();
    let mut flush = |rows: &mut Vec<(usize, csv::StringRecord)>| -> Result<(), String> {
        type Built = Result<(NormalizedRecord, Option<String>), String>;
        let build = |part: &[(usize, csv::StringRecord)]| -> Vec<Built> {
            part.iter()
                .map(|(_, row)| {
                    let r = record(row, &columns, source)?;
                    let label = truth_index.map(|t| row.get(t).unwrap_or("").to_owned());
                    Ok((normalize_record(&r, normalize), label))
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
                Ok((r, label)) => {
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

fn run() -> Result<(), String> {
    let args = args()?;
    let start = Instant::now();
    let mut bad = 0usize;
    let truth = args.truth.as_deref();
    let mut params = ResolveParams::default();
    if args.link.is_some() {
        params = params.linkage();
    }
    let resolver = Resolver::new(params).map_err(|e| e.to_string())?;
    // The steps one by one, timed: read and normalise, train (which blocks
    // once per rule), then block, score and cluster with the trained model.
    let (mut normalized, mut labels) = read(&args.file, "a", truth, &mut bad, &resolver)?;
    if let Some(link) = &args.link {
        let (more, more_labels) = read(link, "b", truth, &mut bad, &resolver)?;
        normalized.extend(more);
        labels.extend(more_labels);
    }
    eprintln!(
        "read and normalised {} records ({bad} bad rows) in {:.2?}",
        normalized.len(),
        start.elapsed()
    );
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
    if args.show_missed > 0 {
        let model = resolution.model();
        for f in Field::ALL {
            let levels: Vec<String> = (1..f.levels().len() as u8)
                .map(|l| {
                    format!(
                        "{}={:.1} (m {:.3} u {:.4})",
                        f.levels()[l as usize],
                        model.level_weight(f, l),
                        model.m(f, l),
                        model.u(f, l)
                    )
                })
                .collect();
            eprintln!("{f}: {}", levels.join(", "));
        }
    }
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
        // With --show-missed N: explain up to N true pairs left apart.
        if args.show_missed > 0 {
            let cluster_of = &predicted;
            let records = resolution.records();
            let mut shown = 0;
            for (i, a) in records.iter().enumerate() {
                for b in &records[i + 1..] {
                    let (ta, tb) = (by_id[a.id().as_str()], by_id[b.id().as_str()]);
                    if ta == tb
                        && cluster_of[a.id().as_str()] != cluster_of[b.id().as_str()]
                        && shown < 15
                    {
                        shown += 1;
                        let e = resolution.model().explain(a, b);
                        eprintln!("MISSED {} {} w={:.2}", a.id(), b.id(), e.weight);
                        for c in &e.comparisons {
                            eprint!(
                                " {}={}({:.1}{:+.1})",
                                c.field, c.label, c.weight, c.tf_adjustment
                            );
                        }
                        eprintln!();
                        let refused: Vec<_> = resolution
                            .clustering()
                            .refusals()
                            .iter()
                            .filter(|r| {
                                r.a == *a.id() || r.b == *a.id() || r.a == *b.id() || r.b == *b.id()
                            })
                            .collect();
                        eprintln!("  refusals: {refused:?}");
                    }
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
