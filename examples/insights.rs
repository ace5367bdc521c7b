//! From messages to answers: the questions a business asks of its customers,
//! on the quickstart's sample and the months before it.
//!
//! The quickstart's twelve customers (`examples/data/`) and their history
//! since November 2025 (`examples/data/history/`: older orders, email and
//! in-app surveys, support CSAT surveys, reviews) go through the same
//! `Pipeline` as in the quickstart (`support/sample.rs`, shared with the
//! charts example), and out come the report's eight parts: persons, survey
//! metrics, RFM segments, cohorts, feedback sentiment, alerts, key phrases
//! and topics of feedback, and personas. Every figure is read from the pipeline's persons and profiles,
//! never from the raw messages: who said what and who bought what is
//! whatever identity resolution and consent make of the records.
//!
//! Run it with `cargo run --release --example insights`.

// An example's job is to print what it found.
#![allow(clippy::print_stdout)]

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use custodia::consent::Purpose;
use custodia::insights::alert::{
    nps_alerts, segment_nps_alerts, segment_sentiment_alerts, sentiment_alerts, AlertParams,
    Reason, Significance,
};
use custodia::insights::cohort::{cohorts, transaction_activity, Acquisition, CohortParams};
use custodia::insights::persona::{Feature, PersonaData, PersonaParams};
use custodia::insights::rfm::{self, extend_schema, RfmFields, RfmScore, RfmValues};
use custodia::insights::survey::{
    survey_metrics, Estimate, Metric, Split, SurveyParams, SurveyRow, SurveySeries,
};
use custodia::insights::text::{key_phrases, phrase_shifts, PhraseParams};
use custodia::insights::topic::{topics, TopicParams};
use custodia::insights::Granularity;
use custodia::model::{EventKind, FieldAccess, FieldPath, Value};
use custodia::pipeline::PersonId;
use custodia::sentiment::{Language, LexiconScorer, SentimentScorer};
use custodia::{Segment, UnifiedProfile};

#[path = "support/sample.rs"]
mod sample;

fn main() -> custodia::Result<()> {
    // The report is as of the first instant of April: March is the last
    // complete month. Nothing below reads a clock.
    let as_of = sample::as_of();
    let analytics = Purpose::Analytics;

    // 1. The pipeline, built as the quickstart builds it: one shared
    //    account id space, analytics on legitimate interests.
    let pipeline = sample::pipeline()?;

    // Each person's analytics profile as of the report: everything below
    // reads these.
    let profiles = sample::profiles(&pipeline, as_of)?;

    println!("== 1. Persons ({} records)", pipeline.len());
    let path = |p: &str| FieldPath::new(p);
    let (given, family, country) = (
        path("identity.given_name")?,
        path("identity.family_name")?,
        path("geographic.country")?,
    );
    let text = |profile: &UnifiedProfile, p: &FieldPath| match profile.first(p) {
        Some(Value::Text(t)) => t.to_owned(),
        _ => String::from("?"),
    };
    let mut names: BTreeMap<PersonId, String> = BTreeMap::new();
    let mut market: BTreeMap<PersonId, &'static str> = BTreeMap::new();
    for (&person, profile) in &profiles {
        let name = match (text(profile, &given), text(profile, &family)) {
            (g, f) if g == "?" && f == "?" => String::from("(anonymous visitor)"),
            (g, f) => format!("{g} {f}"),
        };
        let home = text(profile, &country);
        // Groups for the survey report: the market each person lives in.
        let region = sample::market(profile)?;
        println!(
            "  {:<5} {name:<19} {home:<2} {region:<8} {:>2} records, {:>2} events",
            person.to_string(),
            pipeline.members(person)?.len(),
            profile.events().len()
        );
        names.insert(person, name);
        market.insert(person, region);
    }

    // 2. Survey metrics. Each answer in a profile becomes a row: when, the
    //    source whose record carried it (email surveys, the web app's
    //    in-app prompt, support's post-ticket survey) and the person's
    //    market.
    let mut answers: Vec<SurveyRow<String, &str>> = Vec::new();
    let mut nps_rows: Vec<(PersonId, DateTime<Utc>, custodia::model::Nps)> = Vec::new();
    for (&person, profile) in &profiles {
        for merged in profile.events() {
            let EventKind::Survey(answer) = merged.event().kind() else {
                continue;
            };
            let source = merged
                .records()
                .filter_map(|id| pipeline.store().record(id))
                .map(|r| r.source().to_string())
                .next()
                .unwrap_or_default();
            let at = merged.event().at();
            answers.push(SurveyRow::from_answer(at, answer, source, market[&person]));
            if let Some(nps) = answer.nps() {
                nps_rows.push((person, at, nps));
            }
        }
    }
    let monthly = SurveyParams::default().granularity(Granularity::Month);
    println!(
        "\n== 2. Survey metrics ({} answers, 95% intervals)",
        answers.len()
    );
    let overall = survey_metrics(&answers, &monthly.split(Split::Overall), as_of)?;
    for series in overall.series() {
        print_series("all", series);
    }
    println!("  per source:");
    let by_source = survey_metrics(&answers, &monthly.split(Split::Source), as_of)?;
    for series in by_source.series() {
        let name = series.source().map_or("?", String::as_str);
        print_series(name, series);
    }
    println!("  per market:");
    let by_market = survey_metrics(&answers, &monthly, as_of)?;
    for series in by_market.series() {
        print_series(series.group().copied().unwrap_or("?"), series);
    }

    // 3. RFM. Each person's purchases (refunds do not count), converted to
    //    euros, scored on quintiles of this population as of 31 March.
    println!("\n== 3. RFM scores and segments (as of 2026-03-31, EUR)");
    let purchases = sample::purchases_in_eur(
        &pipeline,
        profiles.keys().copied(),
        as_of,
        |person, code| {
            println!("  {person}: no rate for {code}, its purchases are left out");
        },
    )?;
    let last_day = as_of.date_naive().pred_opt().expect("a valid date");
    let values = rfm::values_from_transactions(&purchases, last_day)?;
    let population: Vec<_> = values.iter().map(|(_, v)| *v).collect();
    let scores = rfm::score(&population)?;
    // Purchases are keyed by the person's id (its text form).
    let rfm_of: BTreeMap<&str, (RfmValues, RfmScore)> = values
        .iter()
        .zip(&scores)
        .map(|((who, v), score)| (who.as_str(), (*v, *score)))
        .collect();
    for &person in profiles.keys() {
        let Some((v, score)) = rfm_of.get(person.to_string().as_str()) else {
            continue; // never bought
        };
        println!(
            "  {:<5} {:<19} {:>3} days, {:>2} purchase days, {:>7.2} EUR -> {score} {}",
            person.to_string(),
            names[&person],
            v.recency(),
            v.frequency(),
            v.monetary(),
            score.segment()
        );
    }
    //    Scores are profile fields in segment expressions: an audience for a
    //    win-back campaign, people who spent well but are slipping away.
    let text_of_audience = r#"rfm.segment in ["at_risk", "cant_lose_them", "about_to_sleep"] or (rfm.recency <= 2 and rfm.monetary >= 3)"#;
    let audience =
        Segment::parse(text_of_audience)?.compile(&extend_schema(UnifiedProfile::schema())?)?;
    let mut win_back = Vec::new();
    for (&person, profile) in &profiles {
        if let Some((_, score)) = rfm_of.get(person.to_string().as_str()) {
            if audience.matches_at(&RfmFields::new(profile, *score), as_of) {
                win_back.push(format!("{person} ({})", names[&person]));
            }
        }
    }
    println!("  win-back audience `{text_of_audience}`:");
    println!("    {}", win_back.join(", "));

    // 4. Acquisition cohorts: each person joins the cohort of the month of
    //    their first purchase; retention counts who bought again k months
    //    later, over the months fully observed by 31 March.
    println!("\n== 4. Acquisition cohorts (first purchase, monthly)");
    let activity = transaction_activity(&purchases);
    let report = cohorts(
        &activity,
        Acquisition::FirstActivity,
        &CohortParams::default().granularity(Granularity::Month),
        as_of,
    )?;
    for cohort in report.cohorts() {
        let curve: Vec<String> = cohort
            .retention_curve()
            .iter()
            .map(|r| format!("{:>3.0}%", 100.0 * r))
            .collect();
        let churn = cohort
            .churn()
            .map_or_else(|| "-".to_owned(), |c| format!("{:.0}%", 100.0 * c));
        println!(
            "  {} {:>2} people, retention {}, churn {churn}",
            cohort.period(),
            cohort.size(),
            curve.join(" ")
        );
    }

    // 5. Sentiment of each person's feedback, in the language of the record
    //    that carried it (or the person's own). English and Portuguese
    //    lexicons are bundled; other languages bring their own.
    println!("\n== 5. Feedback sentiment (compound score in [-1, 1])");
    let mut scorers: BTreeMap<Language, LexiconScorer> = BTreeMap::new();
    let mut sentiment_rows: Vec<(PersonId, DateTime<Utc>, f64)> = Vec::new();
    // Every text with a known language, for key phrases (section 7), which
    // need no lexicon: stopword lists are bundled for every language.
    let mut feedback_rows: Vec<(&str, DateTime<Utc>, Language, String)> = Vec::new();
    for &person in profiles.keys() {
        for said in pipeline.feedback(person, &analytics, as_of)? {
            let tag = said.language().map_or("?", |t| t.as_str());
            if let Ok(lang) = tag.parse::<Language>() {
                feedback_rows.push((market[&person], said.at(), lang, said.text().to_owned()));
            }
            let lang = tag
                .parse::<Language>()
                .ok()
                .filter(|l| l.has_bundled_lexicon());
            let Some(lang) = lang else {
                println!("  (no lexicon for {tag}) {person} {}", said.text());
                continue;
            };
            let scorer = match scorers.entry(lang) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(LexiconScorer::params(lang).build()?),
            };
            let score = scorer.score(said.text()).compound();
            sentiment_rows.push((person, said.at(), score));
            println!(
                "  {score:+.3} {} {:<5} {}",
                said.at().format("%Y-%m-%d"),
                person.to_string(),
                said.text()
            );
        }
    }

    // 6. Alerts: who needs attention, why, since when, with the evidence,
    //    as data a program can act on (open a ticket, call the customer,
    //    hold a campaign).
    println!("\n== 6. Alerts");
    let params = AlertParams::default();
    //    A customer whose feedback turned negative: the mean of their last
    //    two scores is negative and at least 0.5 below their earlier mean,
    //    or both of their last two scores are negative.
    for alert in sentiment_alerts(&sentiment_rows, &params, as_of)? {
        let who = *alert.subject();
        println!(
            "  {who} {}: since {}, {}",
            names[&who],
            alert.since().format("%Y-%m-%d"),
            alert.reason()
        );
        if let Reason::SentimentDrop {
            earlier, recent, ..
        } = alert.reason()
        {
            let show = |scores: &[(DateTime<Utc>, f64)]| -> String {
                let parts: Vec<String> = scores
                    .iter()
                    .map(|(at, s)| format!("{} {s:+.2}", at.format("%m-%d")))
                    .collect();
                parts.join(", ")
            };
            println!(
                "    evidence: earlier [{}], recent [{}]",
                show(earlier.scores()),
                show(recent.scores())
            );
        }
    }
    //    A customer whose latest NPS answer is a detractor's after a
    //    promoter's or passive's.
    for alert in nps_alerts(&nps_rows, &params, as_of)? {
        let who = *alert.subject();
        println!(
            "  {who} {}: since {}, {}",
            names[&who],
            alert.since().format("%Y-%m-%d"),
            alert.reason()
        );
    }
    //    A market whose NPS or mean sentiment moved 20 points (0.25) or more
    //    between its last two months with two answers. A dozen customers
    //    prove little, so significance is not required here; the evidence
    //    says whether the move was significant. (A month in which every
    //    answer was a promoter's has a Wald interval of no width, so with
    //    this few answers even "significant" deserves a second look.)
    let segments = params.significance(Significance::NotRequired);
    for alert in segment_nps_alerts(&by_market, &segments)? {
        let (market, _) = alert.subject();
        let verdict = if alert.reason().is_significant() {
            "significant"
        } else {
            "not significant"
        };
        println!(
            "  market {}: since {}, {} ({verdict})",
            market.unwrap_or("?"),
            alert.since().format("%Y-%m-%d"),
            alert.reason()
        );
    }
    let market_scores: Vec<(&str, DateTime<Utc>, f64)> = sentiment_rows
        .iter()
        .map(|&(person, at, score)| (market[&person], at, score))
        .collect();
    for alert in segment_sentiment_alerts(&market_scores, &segments, as_of)? {
        println!(
            "  market {}: since {}, {}",
            alert.subject(),
            alert.since().format("%Y-%m-%d"),
            alert.reason()
        );
    }

    // 7. Key phrases of the feedback per market and quarter (YAKE, in each
    //    text's own language), then the phrases rising and falling from the
    //    last quarter of 2025 to the first of 2026, by the share of texts
    //    that use them, and the topics of the latest quarter.
    println!("\n== 7. Key phrases and topics of feedback (per market and quarter)");
    let quarterly = PhraseParams::default()
        .granularity(Granularity::Quarter)
        .top(3);
    let phrases = key_phrases(&feedback_rows, &quarterly)?;
    for series in phrases.series() {
        for p in series.periods() {
            let top: Vec<String> = p
                .phrases()
                .iter()
                .map(|k| format!("\"{}\" ({} of {})", k.text(), k.texts(), p.texts()))
                .collect();
            println!("  {:<8} {}: {}", series.group(), p.period(), top.join(", "));
        }
    }
    let from = Granularity::Quarter.period_of(as_of - chrono::Duration::days(120))?;
    let to = Granularity::Quarter.period_of(as_of - chrono::Duration::days(1))?;
    println!("  rising and falling, {from} -> {to}:");
    for series in phrase_shifts(&feedback_rows, &quarterly, from, to)?.series() {
        let show = |shifts: &[custodia::insights::text::PhraseShift]| -> String {
            let parts: Vec<String> = shifts
                .iter()
                .take(3)
                .map(|s| format!("\"{}\" {:+.0} pts", s.text(), 100.0 * s.difference()))
                .collect();
            if parts.is_empty() {
                "-".to_owned()
            } else {
                parts.join(", ")
            }
        };
        println!(
            "    {:<8} ({} -> {} texts) rising {}; falling {}",
            series.group(),
            series.from_texts(),
            series.to_texts(),
            show(series.rising()),
            show(series.falling())
        );
    }
    // Topics of the same feedback: terms that keep company in the texts of
    // a market and quarter, clustered; each text joins one topic (or none,
    // when it has no term used in two texts), and one example is quoted.
    let topic_params = TopicParams::default()
        .granularity(Granularity::Quarter)
        .topics(3)
        .examples(1);
    println!("  topics, {to}:");
    for series in topics(&feedback_rows, &topic_params)?.series() {
        let Some(p) = series.periods().iter().find(|p| p.period() == to) else {
            continue;
        };
        let found: Vec<String> = p
            .topics()
            .iter()
            .map(|t| {
                let example = t.examples().first().map_or("", |&i| &feedback_rows[i].3);
                format!(
                    "[{}] {} of {} (\"{example}\")",
                    t.label(),
                    t.texts(),
                    p.texts()
                )
            })
            .collect();
        println!(
            "    {:<8} {}; {} unassigned",
            series.group(),
            if found.is_empty() {
                "-".to_owned()
            } else {
                found.join(", ")
            },
            p.unassigned_texts()
        );
    }

    // 8. Personas: the buyers clustered on their RFM values, mean feedback
    //    sentiment (missing for those who wrote none, then imputed) and
    //    market; k is chosen by silhouette, and each persona is described
    //    by the features that set it apart.
    println!("\n== 8. Personas (k-prototypes, k chosen by silhouette)");
    let buyers: Vec<PersonId> = profiles
        .keys()
        .copied()
        .filter(|p| rfm_of.contains_key(p.to_string().as_str()))
        .collect();
    let column = |f: &dyn Fn(&RfmValues) -> f64| -> Vec<Option<f64>> {
        buyers
            .iter()
            .map(|p| rfm_of.get(p.to_string().as_str()).map(|(v, _)| f(v)))
            .collect()
    };
    let mean_sentiment: Vec<Option<f64>> = buyers
        .iter()
        .map(|p| {
            let scores: Vec<f64> = sentiment_rows
                .iter()
                .filter(|r| r.0 == *p)
                .map(|r| r.2)
                .collect();
            (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64)
        })
        .collect();
    let markets: Vec<Option<&str>> = buyers.iter().map(|p| Some(market[p])).collect();
    let data = PersonaData::new(buyers.clone())
        .numeric("recency", &column(&|v| v.recency()))?
        .numeric("frequency", &column(&|v| f64::from(v.frequency())))?
        .numeric("monetary", &column(&|v| v.monetary()))?
        .numeric("sentiment", &mean_sentiment)?
        .categorical("market", &markets)?;
    let report = PersonaParams::default().k_range(2..=4).fit(&data)?;
    let scores: Vec<String> = report
        .k_scores()
        .iter()
        .map(|s| {
            let sil = s
                .silhouette()
                .map_or_else(|| "-".to_owned(), |v| format!("{v:.2}"));
            format!("k={} {sil}", s.k())
        })
        .collect();
    println!(
        "  {} buyers, k = {} (silhouettes: {}), imputed: {}",
        buyers.len(),
        report.k(),
        scores.join(", "),
        report
            .imputed()
            .iter()
            .filter(|i| i.count() > 0)
            .map(|i| format!("{} {}", i.count(), i.column()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for persona in report.personas() {
        let members: Vec<String> = buyers
            .iter()
            .zip(report.assignments())
            .filter(|(_, &k)| k == persona.id())
            .map(|(p, _)| p.to_string())
            .collect();
        println!(
            "  persona {} \"{}\": {} people ({:.0}%): {}",
            persona.id(),
            persona.label(),
            persona.size(),
            100.0 * persona.share(),
            members.join(" ")
        );
        for feature in persona.features().iter().take(3) {
            let detail = match feature {
                Feature::Numeric(f) => {
                    format!(
                        "mean {:.2} against {:.2} overall",
                        f.mean(),
                        f.overall_mean()
                    )
                }
                Feature::Categorical(f) => format!(
                    "{} in {:.0}% against {:.0}% overall",
                    f.value(),
                    100.0 * f.share(),
                    100.0 * f.overall_share()
                ),
                _ => String::new(),
            };
            println!(
                "    {:<9} effect {:+.2} sd: {detail}",
                feature.column(),
                feature.effect()
            );
        }
    }
    Ok(())
}

/// Prints one survey series: NPS, CES and CSAT per month with intervals,
/// then the trend of each metric.
fn print_series(name: &str, series: &SurveySeries<String, &str>) {
    println!("  {name}");
    for m in series.periods() {
        let complete = if m.is_complete() { "" } else { " (open)" };
        println!(
            "    {}{complete}: NPS {}  CES {}  CSAT {}",
            m.period(),
            show(m.nps(), 0),
            show(m.ces(), 1),
            show(m.csat(), 0)
        );
    }
    for metric in [Metric::Nps, Metric::Ces, Metric::Csat] {
        if let Some(trend) = series.trend(metric) {
            let interval = trend.interval().map_or_else(String::new, |i| {
                format!(" [{:+.1}, {:+.1}]", i.lower(), i.upper())
            });
            let verdict = if trend.is_significant() {
                "significant"
            } else {
                "not significant"
            };
            println!(
                "    trend {metric:?}: {:+.1} per month{interval} over {} months, {verdict}",
                trend.slope(),
                trend.periods()
            );
        }
    }
}

/// Formats an estimate as `value [lower, upper] (n)`, or `-` when absent.
fn show(estimate: Option<Estimate>, decimals: usize) -> String {
    match estimate {
        None => "-".to_owned(),
        Some(e) => {
            let interval = e.interval().map_or_else(String::new, |i| {
                format!(" [{:.d$}, {:.d$}]", i.lower(), i.upper(), d = decimals)
            });
            format!("{:.d$}{interval} (n={})", e.value(), e.n(), d = decimals)
        }
    }
}
