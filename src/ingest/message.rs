//! The mapping from Segment-spec messages to source records.

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{Error, ErrorKind, Result};
use crate::ingest::json::{malformed, Loc, Obj};
use crate::ingest::parse::{self, Json};
use crate::model::{
    AgeBand, AppUsage, AttributeValue, Attributes, Birth, Channel, Click, Coordinates, CountryCode,
    Csat, Currency, CustomEvent, Device, DeviceId, DeviceIdKind, DomainName, EffortScore,
    EmailAction, EmailAddress, EmailEvent, Event, EventId, EventKind, ExternalId, FieldPath,
    Gender, LanguageTag, LineItem, Money, Nps, PageView, PersonName, PhoneNumber, PostalAddress,
    Rating, RecordId, Review, ScreenView, SocialAction, SocialEngagement, SourceId, SourceRecord,
    SourceRecordBuilder, SupportAction, SupportInteraction, SurveyAnswer, Text, TimeZoneName,
    Transaction, TransactionKind,
};

/// The longest message, in bytes, that [`Ingestor::message`] reads.
const MAX_MESSAGE_LEN: usize = 32 * 1024 * 1024;

/// Turns Segment-spec JSON messages into [`SourceRecord`]s; see the
/// [module docs](crate::ingest) for the mapping.
///
/// An ingestor holds only configuration and is cheap to share across
/// threads.
///
/// # Examples
///
/// ```
/// use custodia::ingest::Ingestor;
/// use custodia::model::{Currency, EventKind};
///
/// let ingestor = Ingestor::new("shop")?.default_currency(Currency::new("EUR")?);
/// let record = ingestor.message(r#"{"type": "track", "event": "Order Completed",
///     "messageId": "m-9", "userId": "u-1", "timestamp": "2026-03-02T08:00:00+01:00",
///     "properties": {"order_id": "o-1", "total": 42.5, "coupon": "SPRING"}}"#)?;
/// let event = &record.events()[0];
/// let EventKind::Transaction(order) = event.kind() else { panic!("not a transaction") };
/// assert_eq!(order.amount().to_string(), "42.50 EUR");
/// assert_eq!(event.properties().get("coupon").and_then(|v| v.as_text()), Some("SPRING"));
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Ingestor {
    source: SourceId,
    currency: Currency,
    /// The space `userId`, `groupId` and `previousId` are issued in; the
    /// source itself unless declared shared.
    id_space: SourceId,
}

impl Ingestor {
    /// Returns an ingestor whose records come from `source`, with USD as the
    /// default currency.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] when `source` is not a valid
    /// [`SourceId`].
    pub fn new(source: &str) -> Result<Ingestor> {
        let source = SourceId::new(source)?;
        Ok(Ingestor {
            id_space: source.clone(),
            source,
            currency: Currency::new("USD")?,
        })
    }

    /// Declares the id space that issued this source's `userId`, `groupId`
    /// and `previousId`, for sources that share one.
    ///
    /// Ids are issued per source: CRM user `2` and the shop's user `2` are
    /// different people. So by default each id's [`ExternalId`] system names
    /// the source: `crm/user_id`, `crm/group_id`, `crm/previous_id`. When
    /// several sources use the same ids (one login system behind the web
    /// site and the app), give each of their ingestors the same space, and
    /// their ids land in one system, `<space>/user_id`, so that they match.
    ///
    /// # Examples
    ///
    /// ```
    /// use custodia::ingest::Ingestor;
    /// use custodia::model::SourceId;
    ///
    /// let msg = r#"{"type": "identify", "userId": "2", "timestamp": "2026-03-01T10:00:00Z"}"#;
    /// let crm = Ingestor::new("crm")?.message(msg)?;
    /// assert_eq!(crm.identity().external_ids[0].system.as_str(), "crm/user_id");
    ///
    /// let login = SourceId::new("login")?;
    /// let web = Ingestor::new("web")?.id_space(login.clone()).message(msg)?;
    /// let app = Ingestor::new("app")?.id_space(login).message(msg)?;
    /// assert_eq!(web.identity().external_ids, app.identity().external_ids);
    /// assert_eq!(web.identity().external_ids[0].system.as_str(), "login/user_id");
    /// # Ok::<(), custodia::Error>(())
    /// ```
    ///
    /// [`ExternalId`]: crate::model::ExternalId
    #[must_use]
    pub fn id_space(mut self, space: SourceId) -> Ingestor {
        self.id_space = space;
        self
    }

    /// Returns the id system of `kind` (`user_id`, …) in this ingestor's id
    /// space: `crm/user_id`.
    fn id_system(&self, kind: &str) -> String {
        format!("{}/{kind}", self.id_space)
    }

    /// Sets the currency of amounts that come without one.
    #[must_use]
    pub fn default_currency(mut self, currency: Currency) -> Ingestor {
        self.currency = currency;
        self
    }

    /// Reads one message from JSON text.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] when the text is not JSON, is larger than
    /// 32 MiB, or the message is malformed; the message names the JSON path.
    pub fn message(&self, json: &str) -> Result<SourceRecord> {
        self.record_at(&parse(json)?, "$")
    }

    /// Reads a batch: a JSON array of messages, or an object with a `batch`
    /// array as the HTTP batch API sends it.
    ///
    /// # Errors
    ///
    /// As [`Ingestor::message`], for the first message that fails, with its
    /// index in the path (`$.batch[3].traits.email: …`).
    pub fn batch(&self, json: &str) -> Result<Vec<SourceRecord>> {
        let value = parse(json)?;
        let (items, path) = match &value {
            Json::Array(items) => (items, "$"),
            Json::Object(map) => match map.get("batch") {
                Some(Json::Array(items)) => (items, "$.batch"),
                _ => return Err(malformed("$.batch", "expected an array of messages")),
            },
            _ => {
                return Err(malformed(
                    "$",
                    "expected an array of messages or a batch object",
                ))
            }
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| self.record_at(item, &format!("{path}[{i}]")))
            .collect()
    }

    /// Reads one message from a value serde_json already parsed.
    ///
    /// Prefer [`Ingestor::message`] when you have the text: serde_json has
    /// already kept only the last of duplicate keys, and rounded numbers
    /// beyond 64-bit integers or `f64` (a 24-digit id, an amount such as
    /// `6000.005` that `f64` cannot hold), before this sees them.
    ///
    /// # Errors
    ///
    /// As [`Ingestor::message`].
    pub fn record(&self, message: &serde_json::Value) -> Result<SourceRecord> {
        self.record_at(&Json::from_serde(message, "$")?, "$")
    }

    fn record_at(&self, message: &Json, path: &str) -> Result<SourceRecord> {
        let mut msg = Obj::new(message, path)?;
        let kind = match msg.string(&["type"])? {
            Some((t, _)) => t,
            None => return Err(malformed(msg.path_of("type"), "is missing")),
        };
        let observed_at = timestamp(&mut msg)?;
        let id = match msg.string(&["messageId"])? {
            Some((id, p)) => RecordId::new(&id).map_err(|e| e.context(p))?,
            None => derived_id(message)?,
        };
        let mut b = SourceRecordBuilder::new(id.clone(), self.source.clone(), observed_at);
        if let Some((user, p)) = msg.string(&["userId"])? {
            let ext =
                ExternalId::new(&self.id_system("user_id"), &user).map_err(|e| e.context(p))?;
            b.identity().external_ids.push(ext);
        }
        if let Some((anon, p)) = msg.string(&["anonymousId"])? {
            let dev = DeviceId::new(DeviceIdKind::AnonymousId, &anon).map_err(|e| e.context(p))?;
            b.identity().device_ids.push(dev);
        }
        msg.skip(&[
            "integrations",
            "sentAt",
            "receivedAt",
            "originalTimestamp",
            "version",
            "channel",
            "writeKey",
            "projectId",
            "_metadata",
        ]);
        if let Some(mut context) = msg.object(&["context"])? {
            self.context(&mut context, &mut b)?;
            let rest = context.leftovers()?;
            if !rest.is_empty() {
                put(&mut b, "context", AttributeValue::from(rest), path)?;
            }
        }
        let event_id = || EventId::new(id.as_str());
        match kind.as_str() {
            "identify" => {
                if let Some(mut traits) = msg.object(&["traits"])? {
                    traits_into(&mut traits, &mut b)?;
                    merge_leftovers(&mut b, &traits)?;
                }
            }
            "track" => {
                let Some((name, name_path)) = msg.string(&["event"])? else {
                    return Err(malformed(msg.path_of("event"), "is missing"));
                };
                let props_value = msg.raw(&["properties"]).map(|(_, v)| v);
                let empty = Json::Object(std::collections::BTreeMap::new());
                let props_path = msg.path_of("properties");
                let mut props = Obj::new(props_value.unwrap_or(&empty), &props_path)?;
                let kind = self.track_kind(&name, &name_path, &mut props, &mut b)?;
                let event =
                    Event::new(event_id()?, observed_at, kind).with_properties(props.leftovers()?);
                b.event(event);
            }
            "page" => {
                let mut view = PageView::default();
                let mut props = match msg.raw(&["properties"]) {
                    Some((_, v)) => Some(Obj::new(v, &msg.path_of("properties"))?),
                    None => None,
                };
                view.name = text_field(&mut msg, &["name"])?;
                let mut leftovers = Attributes::new();
                if let Some(p) = props.as_mut() {
                    if view.name.is_none() {
                        view.name = text_field(p, &["name"])?;
                    }
                    view.url = text_field(p, &["url"])?;
                    view.path = text_field(p, &["path"])?;
                    view.title = text_field(p, &["title"])?;
                    view.referrer = text_field(p, &["referrer"])?;
                    leftovers = p.leftovers()?;
                }
                if let Some((category, p)) = msg.string(&["category"])? {
                    leftovers
                        .insert("category", AttributeValue::Text(category))
                        .map_err(|e| e.context(p))?;
                }
                b.event(
                    Event::new(event_id()?, observed_at, EventKind::PageView(view))
                        .with_properties(leftovers),
                );
            }
            "screen" => {
                let mut view = ScreenView {
                    name: text_field(&mut msg, &["name"])?,
                };
                let leftovers = match msg.raw(&["properties"]) {
                    Some((_, v)) => {
                        let mut p = Obj::new(v, &msg.path_of("properties"))?;
                        if view.name.is_none() {
                            view.name = text_field(&mut p, &["name"])?;
                        }
                        p.leftovers()?
                    }
                    None => Attributes::new(),
                };
                b.event(
                    Event::new(event_id()?, observed_at, EventKind::ScreenView(view))
                        .with_properties(leftovers),
                );
            }
            "group" => {
                if let Some((group, p)) = msg.string(&["groupId"])? {
                    let ext = ExternalId::new(&self.id_system("group_id"), &group)
                        .map_err(|e| e.context(p))?;
                    b.identity().external_ids.push(ext);
                }
                if let Some(mut traits) = msg.object(&["traits"])? {
                    company_into(
                        &mut traits,
                        &mut b,
                        &["name"],
                        &["employees", "employee_count"],
                    )?;
                    if let Some((site, p)) = traits.string(&["website"])? {
                        match DomainName::new(&site) {
                            Ok(d) => b.business().firmographics.domain = Some(d),
                            Err(_) => traits.keep(p.key()),
                        }
                    }
                    merge_leftovers(&mut b, &traits)?;
                }
            }
            "alias" => {
                let Some((previous, p)) = msg.string(&["previousId"])? else {
                    return Err(malformed(msg.path_of("previousId"), "is missing"));
                };
                let ext = ExternalId::new(&self.id_system("previous_id"), &previous)
                    .map_err(|e| e.context(p))?;
                b.identity().external_ids.push(ext);
            }
            other => {
                return Err(malformed(
                    msg.path_of("type"),
                    format_args!(
                    "{other:?} is not a message type (identify, track, page, screen, group, alias)"
                ),
                ))
            }
        }
        // Anything else at the top level of the message is kept too.
        merge_leftovers(&mut b, &msg)?;
        b.build().map_err(|e| e.context(path))
    }

    /// Reads `context`: traits, locale, time zone, location and device.
    fn context(&self, ctx: &mut Obj<'_>, b: &mut SourceRecordBuilder) -> Result<()> {
        if let Some(mut traits) = ctx.object(&["traits"])? {
            traits_into(&mut traits, b)?;
            merge_leftovers(b, &traits)?;
        }
        language_and_zone(ctx, &["locale"], b)?;
        if let Some(mut loc) = ctx.object(&["location"])? {
            let geo_city = text_or_aside(&mut loc, &["city"], b, "geographic.city")?;
            let region = text_or_aside(&mut loc, &["region"], b, "geographic.region")?;
            let country = country_field(&mut loc, &["country"])?;
            let lat = loc.number(&["latitude"])?;
            let lon = loc.number(&["longitude"])?;
            let coordinates = match (lat, lon) {
                (Some((lat, p)), Some((lon, _))) => kept(
                    b,
                    "geographic.coordinates",
                    &format!("{lat},{lon}"),
                    p,
                    Coordinates::new(lat, lon),
                ),
                _ => None,
            };
            let g = b.geographic();
            g.city = g.city.take().or(geo_city);
            g.region = g.region.take().or(region);
            g.country = g.country.take().or(country);
            g.coordinates = g.coordinates.take().or(coordinates);
            ctx.absorb("location", &loc)?;
        }
        let os = match ctx.object(&["os"])? {
            Some(mut os) => {
                let name = os.string(&["name"])?.map(|(n, _)| n);
                let version = os.string(&["version"])?.map(|(v, _)| v);
                ctx.absorb("os", &os)?;
                match (name, version) {
                    (Some(n), Some(v)) => Some(format!("{n} {v}")),
                    (n, _) => n,
                }
            }
            None => None,
        };
        if let Some(mut dev) = ctx.object(&["device"])? {
            if let Some((id, p)) = dev.string(&["id"])? {
                let d = DeviceId::new(DeviceIdKind::Device, &id).map_err(|e| e.context(p))?;
                b.identity().device_ids.push(d);
            }
            let kind = dev.string(&["type"])?.map(|(t, _)| t);
            if let Some((ad, p)) = dev.string(&["advertisingId"])? {
                let os_lower = os.as_deref().unwrap_or("").to_ascii_lowercase();
                let ad_kind = match kind.as_deref().map(str::to_ascii_lowercase).as_deref() {
                    Some("ios") => DeviceIdKind::Idfa,
                    Some("android") => DeviceIdKind::Gaid,
                    _ if os_lower.starts_with("ios") => DeviceIdKind::Idfa,
                    _ if os_lower.starts_with("android") => DeviceIdKind::Gaid,
                    _ => DeviceIdKind::Device,
                };
                let d = DeviceId::new(ad_kind, &ad).map_err(|e| e.context(p))?;
                b.identity().device_ids.push(d);
            }
            let manufacturer = text_field(&mut dev, &["manufacturer"])?;
            let model = text_field(&mut dev, &["model"])?;
            if let Some(kind) = kind {
                let mut device = Device::new(
                    crate::model::DeviceKind::parse(&kind)
                        .map_err(|e| e.context(dev.path_of("type")))?,
                );
                device.manufacturer = manufacturer;
                device.model = model;
                device.os = os.as_deref().map(Text::new).transpose()?;
                b.personal().devices.push(device);
            } else if manufacturer.is_some() || model.is_some() {
                dev.keep("manufacturer");
                dev.keep("model");
            }
            ctx.absorb("device", &dev)?;
        }
        Ok(())
    }

    /// Maps a track event by name; reads the properties it uses.
    fn track_kind(
        &self,
        name: &str,
        name_path: &Loc<'_>,
        p: &mut Obj<'_>,
        b: &mut SourceRecordBuilder,
    ) -> Result<EventKind> {
        let email = |action| -> Result<EventKind> { Ok(EventKind::Email(EmailEvent::new(action))) };
        let mut kind = match name {
            "Order Completed" => return self.transaction(TransactionKind::Purchase, p),
            "Order Refunded" => return self.transaction(TransactionKind::Refund, p),
            "Email Sent" => email(EmailAction::Sent)?,
            "Email Delivered" => email(EmailAction::Delivered)?,
            "Email Opened" => email(EmailAction::Opened)?,
            "Email Link Clicked" => email(EmailAction::Clicked)?,
            "Email Bounced" => email(EmailAction::Bounced)?,
            "Email Marked as Spam" => email(EmailAction::MarkedAsSpam)?,
            "Unsubscribed" => email(EmailAction::Unsubscribed)?,
            "Ticket Opened" | "Ticket Created" => support(SupportAction::TicketOpened, p, b)?,
            "Ticket Updated" => support(SupportAction::TicketUpdated, p, b)?,
            "Ticket Resolved" | "Ticket Solved" | "Ticket Closed" => {
                support(SupportAction::TicketResolved, p, b)?
            }
            "Ticket Reopened" => support(SupportAction::TicketReopened, p, b)?,
            "Onboarding Step Completed" => EventKind::AppUsage(AppUsage::OnboardingStep {
                step: required_text(p, &["step", "step_name"])?,
            }),
            "Feature Used" => EventKind::AppUsage(AppUsage::FeatureUsed {
                feature: required_text(p, &["feature", "feature_name"])?,
            }),
            "Problem Reported" => EventKind::AppUsage(AppUsage::ProblemReported {
                description: required_text(p, &["description", "text"])?,
            }),
            "Survey Answered" | "Survey Completed" | "Survey Responded" | "NPS Submitted" => {
                survey(name, name_path, p, b)?
            }
            "Product Reviewed" => review(name, name_path, p, b)?,
            "Product Shared" | "Cart Shared" => {
                let mut s = SocialEngagement::new(SocialAction::Share);
                s.network = text_field(p, &["share_via"])?;
                s.url = text_field(p, &["url"])?;
                EventKind::Social(s)
            }
            "Link Clicked" | "Button Clicked" | "Element Clicked" => EventKind::Click(Click {
                target: text_field(p, &["target", "label", "text"])?,
                url: text_field(p, &["url", "href"])?,
            }),
            other => EventKind::Custom(
                CustomEvent::new(other).map_err(|e| e.context(name_path.clone()))?,
            ),
        };
        if let EventKind::Email(e) = &mut kind {
            e.campaign = text_field(p, &["campaign_name"])?;
            e.subject = text_field(p, &["email_subject"])?;
            e.url = text_field(p, &["link_url"])?;
        }
        Ok(kind)
    }

    fn transaction(&self, kind: TransactionKind, p: &mut Obj<'_>) -> Result<EventKind> {
        let Some((order_id, _)) = p.string(&["order_id", "orderId"])? else {
            return Err(malformed(p.path_of("order_id"), "is missing"));
        };
        let currency = match p.string(&["currency"])? {
            Some((code, path)) => {
                Currency::new(&code.to_ascii_uppercase()).map_err(|e| e.context(path))?
            }
            None => self.currency,
        };
        let mut items = Vec::new();
        if let Some((products, path)) = p.array(&["products"])? {
            for (i, product) in products.iter().enumerate() {
                let mut item = Obj::new(product, &format!("{path}[{i}]"))?;
                let sku = item.string(&["sku", "product_id"])?.map(|(s, _)| s);
                let name = item.string(&["name"])?.map(|(s, _)| s);
                let quantity = match item.integer(&["quantity"])? {
                    None => 1,
                    Some((q, qp)) => u32::try_from(q).map_err(|_| {
                        malformed(
                            &qp,
                            format_args!("quantity {q} is out of range 1..={}", u32::MAX),
                        )
                    })?,
                };
                let price = match item.decimal(&["price"])? {
                    Some((x, pp)) => {
                        Money::from_decimal_str(x, currency).map_err(|e| e.context(pp))?
                    }
                    None => Money::from_minor(0, currency),
                };
                let line = LineItem::new(sku.as_deref(), name.as_deref(), quantity, price)
                    .map_err(|e| {
                        e.context(
                            item.path_of("quantity")
                                .trim_end_matches(".quantity")
                                .to_owned(),
                        )
                    })?;
                if !item.leftovers()?.is_empty() {
                    // Product details beyond the line (category, brand, …) are
                    // kept whole in the event properties.
                    p.keep("products");
                }
                items.push(line);
            }
        }
        let amount = match p.decimal(&["total", "revenue", "value"])? {
            Some((x, path)) => Money::from_decimal_str(x, currency).map_err(|e| e.context(path))?,
            None if !items.is_empty() => {
                let mut sum = Money::from_minor(0, currency);
                for item in &items {
                    sum = sum.checked_add(item.total()?)?;
                }
                sum
            }
            None => {
                return Err(malformed(
                    p.path_of("total"),
                    "is missing (and there are no products to sum)",
                ))
            }
        };
        let t = Transaction::new(&order_id, kind, amount, items)
            .map_err(|e| e.context(p.path_of("total")))?;
        Ok(EventKind::Transaction(t))
    }
}

fn support(
    action: SupportAction,
    p: &mut Obj<'_>,
    b: &mut SourceRecordBuilder,
) -> Result<EventKind> {
    let mut s = SupportInteraction::new(action);
    s.ticket_id = text_or_aside(p, &["ticket_id", "ticketId"], b, "events.ticket_id")?;
    if let Some((channel, path)) = p.string(&["channel"])? {
        s.channel = kept(
            b,
            "events.channel",
            &channel,
            path,
            Channel::parse(&channel),
        );
    }
    s.subject = text_or_aside(p, &["subject"], b, "events.subject")?;
    s.text = text_or_aside(p, &["text", "description", "comment"], b, "events.text")?;
    if let Some((score, path)) = p.integer(&["satisfaction", "csat"])? {
        s.satisfaction = kept(b, "events.csat", &score.to_string(), path, Csat::new(score));
    }
    Ok(EventKind::Support(s))
}

/// The event for a message whose every typed answer was set aside: custom,
/// named as sent, so that the event itself is not lost.
fn custom_for_set_aside(name: &str, name_path: &Loc<'_>) -> Result<EventKind> {
    Ok(EventKind::Custom(
        CustomEvent::new(name).map_err(|e| e.context(name_path.clone()))?,
    ))
}

fn survey(
    name: &str,
    name_path: &Loc<'_>,
    p: &mut Obj<'_>,
    b: &mut SourceRecordBuilder,
) -> Result<EventKind> {
    let notes_before = b.quality_note_count();
    let survey_id = p.string(&["survey_id", "surveyId"])?.map(|(s, _)| s);
    let mut a = SurveyAnswer::builder(survey_id.as_deref().unwrap_or(""));
    if let Some((score, path)) = p.integer(&["nps", "score"])? {
        if let Some(nps) = kept(b, "events.nps", &score.to_string(), path, Nps::new(score)) {
            a = a.nps(nps);
        }
    }
    if let Some((score, path)) = p.integer(&["effort", "ces"])? {
        let effort = EffortScore::new(score);
        if let Some(effort) = kept(b, "events.effort", &score.to_string(), path, effort) {
            a = a.effort(effort);
        }
    }
    if let Some((score, path)) = p.integer(&["csat"])? {
        if let Some(csat) = kept(b, "events.csat", &score.to_string(), path, Csat::new(score)) {
            a = a.csat(csat);
        }
    }
    if let Some((comment, path)) = p.string(&["comment", "feedback", "text"])? {
        match a.clone().comment(&comment) {
            Ok(with) => a = with,
            Err(e) => {
                kept::<()>(b, "events.comment", &comment, path, Err(e));
            }
        }
    }
    match a.build() {
        Ok(answer) => Ok(EventKind::Survey(answer)),
        Err(_) if b.quality_note_count() > notes_before => custom_for_set_aside(name, name_path),
        Err(e) => Err(e.context(p.path_of("nps"))),
    }
}

fn review(
    name: &str,
    name_path: &Loc<'_>,
    p: &mut Obj<'_>,
    b: &mut SourceRecordBuilder,
) -> Result<EventKind> {
    let notes_before = b.quality_note_count();
    let scale = match p.integer(&["rating_scale"])? {
        None => 5,
        Some((s, path)) => u8::try_from(s).map_err(|_| {
            malformed(
                &path,
                format_args!("rating scale {s} is out of range 1..=255"),
            )
        })?,
    };
    let rating = match p.number(&["rating"])? {
        Some((x, path)) => kept(
            b,
            "events.rating",
            &x.to_string(),
            path,
            Rating::new(x, scale),
        ),
        None => None,
    };
    let text = p.string(&["review_body", "text"])?.map(|(t, _)| t);
    let product = p.string(&["product_id", "sku"])?.map(|(t, _)| t);
    match Review::new(rating, text.as_deref(), product.as_deref()) {
        Ok(r) => Ok(EventKind::Review(r)),
        Err(_) if b.quality_note_count() > notes_before => custom_for_set_aside(name, name_path),
        Err(e) => Err(e.context(p.path_of("rating"))),
    }
}

/// Reads the spec's identify traits into the typed sections.
fn traits_into(t: &mut Obj<'_>, b: &mut SourceRecordBuilder) -> Result<()> {
    let given = t.string(&["firstName", "first_name"])?;
    let family = t.string(&["lastName", "last_name"])?;
    let full = t.string(&["name"])?;
    let mut text = |v: Option<(String, Loc<'_>)>, field: &str| {
        v.and_then(|(t, p)| kept(b, field, &t, p, Text::new(&t)))
    };
    let name = PersonName {
        given: text(given, "identity.given_name"),
        family: text(family, "identity.family_name"),
        full: text(full, "identity.full_name"),
    };
    if name.given.is_some() || name.family.is_some() || name.full.is_some() {
        b.identity().names.push(name);
    }
    if let Some((email, p)) = t.string(&["email"])? {
        if let Some(e) = kept(b, "identity.email", &email, p, EmailAddress::new(&email)) {
            b.identity().emails.push(e);
        }
    }
    if let Some((phone, p)) = t.string(&["phone"])? {
        if let Some(n) = kept(b, "identity.phone", &phone, p, PhoneNumber::new(&phone)) {
            b.identity().phones.push(n);
        }
    }
    if let Some(mut a) = t.object(&["address"])? {
        let mut addr = PostalAddress::default();
        if let Some(street) = text_or_aside(&mut a, &["street"], b, "identity.street")? {
            addr.lines.push(street);
        }
        addr.city = text_or_aside(&mut a, &["city"], b, "identity.city")?;
        addr.region = text_or_aside(&mut a, &["state", "region"], b, "identity.region")?;
        addr.postal_code = text_or_aside(
            &mut a,
            &["postalCode", "postal_code", "zip"],
            b,
            "identity.postal_code",
        )?;
        addr.country = country_field(&mut a, &["country"])?;
        let g = b.geographic();
        g.city = g.city.take().or_else(|| addr.city.clone());
        g.region = g.region.take().or_else(|| addr.region.clone());
        g.postal_code = g.postal_code.take().or_else(|| addr.postal_code.clone());
        g.country = g.country.take().or(addr.country);
        if !addr.is_empty() {
            b.identity().addresses.push(addr);
        }
        t.absorb("address", &a)?;
    }
    if let Some((birthday, p)) = t.string(&["birthday", "birthdate", "birth_date"])? {
        let parsed = date(&birthday).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidInput,
                format_args!(
                    "birthday {birthday:?} is not a date (YYYY-MM-DD) or an RFC 3339 timestamp"
                ),
            )
        });
        if let Some(d) = kept(b, "demographic.birth_date", &birthday, p, parsed) {
            b.demographic().birth = Some(Birth::Date(d));
        }
    } else if let Some((age, p)) = t.integer(&["age"])? {
        let band = u8::try_from(age)
            .map_err(|_| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format_args!("age {age} is out of range 0..=130"),
                )
            })
            .and_then(|a| AgeBand::new(a, Some(a)));
        if let Some(band) = kept(b, "demographic.age_min", &age.to_string(), p, band) {
            b.demographic().birth = Some(Birth::AgeBand(band));
        }
    }
    if let Some((gender, p)) = t.string(&["gender"])? {
        if let Some(g) = kept(b, "demographic.gender", &gender, p, Gender::parse(&gender)) {
            b.demographic().gender = Some(g);
        }
    }
    if let Some(title) = text_or_aside(t, &["title"], b, "business.title")? {
        b.business().job.title = Some(title);
    }
    if let Some(mut company) = t.object(&["company"])? {
        company_into(&mut company, b, &["name"], &["employee_count", "employees"])?;
        t.absorb("company", &company)?;
    }
    language_and_zone(t, &["language", "locale"], b)?;
    if let Some((items, path)) = t.array(&["interests"])? {
        let all_text = items.iter().all(Json::is_string);
        if all_text {
            for (i, item) in items.iter().enumerate() {
                if let Json::String(s) = item {
                    let at = format!("{path}[{i}]");
                    if let Some(interest) = kept(b, "personal.interests", s, at, Text::new(s)) {
                        b.personal().interests.insert(interest);
                    }
                }
            }
        } else {
            t.keep("interests");
        }
    }
    Ok(())
}

/// Reads a language tag (at the first of `language_keys`) and `timezone`;
/// a value that is not a valid tag or zone name stays unread, so it is kept
/// among the attributes as written.
fn language_and_zone<'a>(
    o: &mut Obj<'a>,
    language_keys: &[&'a str],
    b: &mut SourceRecordBuilder,
) -> Result<()> {
    if let Some((lang, p)) = o.string(language_keys)? {
        match LanguageTag::new(&lang) {
            Ok(tag) => b.demographic().language = Some(tag),
            Err(_) => o.keep(p.key()),
        }
    }
    if let Some((tz, p)) = o.string(&["timezone"])? {
        match TimeZoneName::new(&tz) {
            Ok(tz) => b.geographic().time_zone = Some(tz),
            Err(_) => o.keep(p.key()),
        }
    }
    Ok(())
}

/// Reads company traits (`name`, `industry`, employee count) into
/// firmographics.
fn company_into<'a>(
    c: &mut Obj<'a>,
    b: &mut SourceRecordBuilder,
    name: &[&'a str],
    employees: &[&'a str],
) -> Result<()> {
    let f = &mut b.business().firmographics;
    if let Some(company) = text_field(c, name)? {
        f.company = Some(company);
    }
    if let Some(industry) = text_field(c, &["industry"])? {
        f.industry = Some(industry);
    }
    if let Some((n, p)) = c.integer(employees)? {
        f.employee_count = Some(
            u64::try_from(n)
                .map_err(|_| malformed(&p, format_args!("employee count {n} is negative")))?,
        );
    }
    Ok(())
}

/// Puts the unread entries of `obj` into the record's attributes.
fn merge_leftovers(b: &mut SourceRecordBuilder, obj: &Obj<'_>) -> Result<()> {
    for (k, v) in obj.leftovers()? {
        put(b, &k, v, obj.loc(&k))?;
    }
    Ok(())
}

/// Sets one attribute; a key already set by another part of the message
/// keeps both values in a list rather than losing one.
fn put(
    b: &mut SourceRecordBuilder,
    key: &str,
    value: AttributeValue,
    path: impl std::fmt::Display,
) -> Result<()> {
    let attrs = b.attributes();
    let merged = match attrs.remove(key) {
        None => value,
        Some(old) if old == value => old,
        Some(old) => AttributeValue::List(vec![old, value]),
    };
    attrs
        .insert(key, merged)
        .map_err(|e| e.context(path))
        .map(|_| ())
}

/// Reads an optional free-text field.
fn text_field<'a>(o: &mut Obj<'a>, keys: &[&'a str]) -> Result<Option<Text>> {
    match o.string(keys)? {
        Some((s, p)) => Text::new(&s).map(Some).map_err(|e| e.context(p)),
        None => Ok(None),
    }
}

/// Returns the value of `result`, or sets `raw` aside on the record as a
/// note for `field` (its reason led by `at`, the value's JSON path) and
/// returns `None`: a value that fails validation never fails the message.
fn kept<T>(
    b: &mut SourceRecordBuilder,
    field: &str,
    raw: &str,
    at: impl std::fmt::Display,
    result: Result<T>,
) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(e) => {
            let path = FieldPath::new(field).expect("the fields named here are literal paths");
            b.set_aside(path, raw, e.context(at));
            None
        }
    }
}

/// Reads an optional free-text field meant for `field`; text that is not
/// valid is set aside with a note.
fn text_or_aside<'a>(
    o: &mut Obj<'a>,
    keys: &[&'a str],
    b: &mut SourceRecordBuilder,
    field: &str,
) -> Result<Option<Text>> {
    Ok(match o.string(keys)? {
        Some((s, p)) => kept(b, field, &s, p, Text::new(&s)),
        None => None,
    })
}

/// Reads a required free-text field.
fn required_text<'a>(o: &mut Obj<'a>, keys: &[&'a str]) -> Result<Text> {
    text_field(o, keys)?.ok_or_else(|| malformed(o.path_of(keys[0]), "is missing"))
}

/// Reads a country, as a code or a name ([`CountryCode::lookup`]); a value
/// that is neither stays unread, so it is
/// kept among the attributes as written.
fn country_field<'a>(o: &mut Obj<'a>, keys: &[&'a str]) -> Result<Option<CountryCode>> {
    match o.string(keys)? {
        Some((s, p)) => match CountryCode::lookup(&s) {
            Ok(c) => Ok(Some(c)),
            Err(_) => {
                o.keep(p.key());
                Ok(None)
            }
        },
        None => Ok(None),
    }
}

fn parse(json: &str) -> Result<Json> {
    if json.len() > MAX_MESSAGE_LEN {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format_args!(
                "message of {} bytes exceeds the limit of {MAX_MESSAGE_LEN}",
                json.len()
            ),
        ));
    }
    parse::parse(json)
}

/// Reads the message time: `timestamp`, else `originalTimestamp`, `sentAt`,
/// `receivedAt`.
fn timestamp(msg: &mut Obj<'_>) -> Result<DateTime<Utc>> {
    for key in ["timestamp", "originalTimestamp", "sentAt", "receivedAt"] {
        if let Some((t, p)) = msg.string(&[key])? {
            return DateTime::parse_from_rfc3339(t.trim())
                .map(|d| d.with_timezone(&Utc))
                .map_err(|_| malformed(&p, format_args!("{t:?} is not an RFC 3339 timestamp")));
        }
    }
    Err(malformed(msg.path_of("timestamp"), "is missing"))
}

/// Parses a date given as `YYYY-MM-DD` or as an RFC 3339 timestamp.
fn date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .or_else(|| DateTime::parse_from_rfc3339(t).ok().map(|d| d.date_naive()))
}

/// A record id for a message without `messageId`: a UUID v5 of its canonical
/// JSON, so the same message always gets the same id.
fn derived_id(message: &Json) -> Result<RecordId> {
    // Objects are sorted by key and numbers keep their text, so this text is
    // canonical and two messages that differ in any digit differ here.
    let mut canonical = String::new();
    message.write_canonical(&mut canonical);
    let id = uuid::Uuid::new_v5(&MESSAGE_NAMESPACE, canonical.as_bytes());
    RecordId::new(&id.to_string())
}

/// The UUID namespace of derived message ids (a fixed, random UUID).
const MESSAGE_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x6f1c_0a3e_52d4_4c0b_9a77_3f7e_2c1d_8b44);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        let a = parse(r#"{"type": "track", "event": "x", "b": 1, "a": 2}"#).unwrap();
        let b = parse(r#"{"a": 2, "b": 1, "event": "x", "type": "track"}"#).unwrap();
        let c = parse(r#"{"type": "track", "event": "y"}"#).unwrap();
        let d = parse(r#"{"type": "track", "event": "y", "n": 123456789012345678901234}"#).unwrap();
        let e = parse(r#"{"type": "track", "event": "y", "n": 123456789012345678901235}"#).unwrap();
        assert_ne!(derived_id(&d).unwrap(), derived_id(&e).unwrap());
        assert_eq!(derived_id(&a).unwrap(), derived_id(&b).unwrap());
        assert_ne!(derived_id(&a).unwrap(), derived_id(&c).unwrap());
    }
}
