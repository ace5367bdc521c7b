//! Personas through the public API: fit, describe, assign, and the
//! model's JSON shape.

use custodia::insights::persona::{
    Assignment, CategoricalFeature, Feature, Imputed, KScore, Method, NumericFeature, Persona,
    PersonaData, PersonaModel, PersonaParams, PersonaReport,
};

fn assert_auto<T: Send + Sync + Unpin>() {}

#[test]
fn persona_types_are_send_sync_unpin() {
    assert_auto::<PersonaData<String>>();
    assert_auto::<PersonaParams>();
    assert_auto::<PersonaReport>();
    assert_auto::<PersonaModel>();
    assert_auto::<Persona>();
    assert_auto::<Feature>();
    assert_auto::<NumericFeature>();
    assert_auto::<CategoricalFeature>();
    assert_auto::<KScore>();
    assert_auto::<Imputed>();
    assert_auto::<Assignment>();
    assert_auto::<Method>();
}

/// Twenty customers: ten recent big spenders in PT, ten lapsed small ones
/// in ES.
fn customers() -> PersonaData<String> {
    let keys: Vec<String> = (0..20).map(|i| format!("c{i}")).collect();
    let monetary: Vec<Option<f64>> = (0..20)
        .map(|i| Some(if i < 10 { 800.0 } else { 40.0 } + f64::from(i)))
        .collect();
    let recency: Vec<Option<f64>> = (0..20)
        .map(|i| Some(if i < 10 { 5.0 } else { 200.0 } + f64::from(i % 4)))
        .collect();
    let country: Vec<Option<&str>> = (0..20)
        .map(|i| Some(if i < 10 { "PT" } else { "ES" }))
        .collect();
    PersonaData::new(keys)
        .numeric("monetary", &monetary)
        .unwrap()
        .numeric("recency", &recency)
        .unwrap()
        .categorical("country", &country)
        .unwrap()
}

#[test]
fn two_personas_are_found_described_and_reused() {
    let data = customers();
    let report = PersonaParams::default().fit(&data).unwrap();
    assert_eq!(report.k(), 2);
    assert_eq!(report.model().method(), Method::KPrototypes);
    let big = report.assignments()[0];
    assert!(report.assignments()[..10].iter().all(|&p| p == big));
    assert!(report.assignments()[10..].iter().all(|&p| p != big));
    let persona = &report.personas()[big];
    assert_eq!(persona.size(), 10);
    assert!(persona.label().contains("high monetary"));
    assert!(persona.label().contains("low recency"));
    assert!(persona.label().contains("country=PT"));
    let again = report.model().assign(&data).unwrap();
    assert_eq!(again.personas(), report.assignments());
}

#[cfg(feature = "serde")]
#[test]
fn the_model_json_round_trips() {
    let report = PersonaParams::default().k(2).fit(&customers()).unwrap();
    let json = serde_json::to_value(report.model()).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["categorical", "gamma", "numeric", "personas"]);
    assert_eq!(
        json["categorical"][0]["values"],
        serde_json::json!(["ES", "PT"])
    );
    let back: PersonaModel = serde_json::from_value(json).unwrap();
    assert_eq!(&back, report.model());
}
