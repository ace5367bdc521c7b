//! Every public type is `Send + Sync + Unpin`, so wrapping programs can share
//! and move them freely.

fn assert_auto<T: Send + Sync + Unpin>() {}

#[test]
fn public_types_are_send_sync_unpin() {
    use custodia::model::*;
    assert_auto::<custodia::Error>();
    #[cfg(feature = "charts")]
    assert_auto::<custodia::chart::ChartParams>();
    assert_auto::<custodia::error::ErrorKind>();
    assert_auto::<custodia::error::Span>();
    assert_auto::<SourceRecord>();
    assert_auto::<SourceRecordBuilder>();
    assert_auto::<Unredacted<'static, SourceRecord>>();
    assert_auto::<Event>();
    assert_auto::<EventKind>();
    assert_auto::<Money>();
    assert_auto::<Currency>();
    assert_auto::<Attributes>();
    assert_auto::<AttributeValue>();
    assert_auto::<Schema>();
    assert_auto::<SchemaBuilder>();
    assert_auto::<FieldPath>();
    assert_auto::<Value<'static>>();
    assert_auto::<Identity>();
    assert_auto::<Demographic>();
    assert_auto::<Geographic>();
    assert_auto::<Business>();
    assert_auto::<Personal>();
    assert_auto::<SurveyAnswerBuilder>();
    assert_auto::<Transaction>();
    assert_auto::<Box<dyn FieldAccess + Send + Sync>>();
    assert_auto::<custodia::consent::ConsentLedger>();
    assert_auto::<custodia::consent::ConsentEvent>();
    assert_auto::<custodia::consent::Decision>();
    assert_auto::<custodia::identity::Resolver>();
    assert_auto::<custodia::identity::Resolution>();
    assert_auto::<custodia::merge::UnifiedProfile>();
    assert_auto::<custodia::merge::ProfileStore>();
    assert_auto::<custodia::merge::ProfileView>();
    assert_auto::<custodia::merge::SetMember>();
    assert_auto::<custodia::merge::Variant<'static>>();
    assert_auto::<custodia::insights::Granularity>();
    assert_auto::<custodia::insights::Period>();
    assert_auto::<custodia::insights::Interval>();
    assert_auto::<custodia::insights::survey::SurveyRow<String, String>>();
    assert_auto::<custodia::insights::survey::SurveyParams>();
    assert_auto::<custodia::insights::survey::SurveyReport<String, String>>();
    assert_auto::<custodia::insights::survey::SurveySeries<String, String>>();
    assert_auto::<custodia::insights::survey::PeriodMetrics>();
    assert_auto::<custodia::insights::survey::Estimate>();
    assert_auto::<custodia::insights::survey::Trend>();
    assert_auto::<custodia::insights::survey::Change>();
    assert_auto::<custodia::insights::survey::Metric>();
    assert_auto::<custodia::insights::survey::Split>();
    assert_auto::<custodia::insights::cohort::Acquisition<'static, String>>();
    assert_auto::<custodia::insights::cohort::CohortParams>();
    assert_auto::<custodia::insights::cohort::CohortReport>();
    assert_auto::<custodia::insights::cohort::Cohort>();
    assert_auto::<custodia::insights::alert::AlertParams>();
    assert_auto::<custodia::insights::alert::Significance>();
    assert_auto::<custodia::insights::alert::Alert<String>>();
    assert_auto::<custodia::insights::alert::Reason>();
    assert_auto::<custodia::insights::alert::ScoreWindow>();
    assert_auto::<custodia::insights::alert::PeriodMean>();
    assert_auto::<custodia::insights::text::PhraseParams>();
    assert_auto::<custodia::insights::text::PhraseReport<String>>();
    assert_auto::<custodia::insights::text::PhraseSeries<String>>();
    assert_auto::<custodia::insights::text::PhrasePeriod>();
    assert_auto::<custodia::insights::text::KeyPhrase>();
    assert_auto::<custodia::insights::text::ShiftReport<String>>();
    assert_auto::<custodia::insights::text::ShiftSeries<String>>();
    assert_auto::<custodia::insights::text::PhraseShift>();
    assert_auto::<custodia::insights::topic::TopicParams>();
    assert_auto::<custodia::insights::topic::TopicReport<String>>();
    assert_auto::<custodia::insights::topic::TopicSeries<String>>();
    assert_auto::<custodia::insights::topic::TopicPeriod>();
    assert_auto::<custodia::insights::topic::Topic>();
    assert_auto::<custodia::insights::topic::TopicTerm>();
    assert_auto::<custodia::pipeline::Pipeline>();
    assert_auto::<custodia::pipeline::PipelineBuilder>();
    assert_auto::<custodia::pipeline::PersonId>();
    assert_auto::<custodia::pipeline::Changes>();
    assert_auto::<custodia::pipeline::Merged>();
    assert_auto::<custodia::pipeline::Erasure>();
    assert_auto::<custodia::pipeline::Feedback>();
    assert_auto::<Box<dyn custodia::merge::SurvivorshipRule>>();
    assert_auto::<custodia::segment::CompiledSegment>();
    assert_auto::<custodia::segment::SegmentAt<'static>>();
    assert_auto::<custodia::segment::BoundSegment<'static, custodia::model::SourceRecord>>();
    assert_auto::<custodia::sentiment::LexiconScorer>();
    assert_auto::<custodia::clv::BgNbd>();
    assert_auto::<Box<dyn custodia::clv::TransactionModel>>();
    assert_auto::<custodia::clv::FitReport>();
    assert_auto::<custodia::clv::CalibrationBin>();
    assert_auto::<custodia::clv::FitWarning>();
    assert_auto::<custodia::clv::Interval>();
    assert_auto::<custodia::clv::Sbg>();
    assert_auto::<custodia::clv::SbgCohort>();
    assert_auto::<custodia::clv::SbgParams>();
    assert_auto::<custodia::clv::SummaryCsv<&'static [u8]>>();
    #[cfg(feature = "serde")]
    assert_auto::<custodia::ingest::Ingestor>();
}
