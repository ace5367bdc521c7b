//! Purchases from the model's transaction events.

use crate::error::{Error, ErrorKind, Result};
use crate::model::{Currency, Event, EventKind, TransactionKind};

use super::Transaction;

impl Transaction {
    /// Returns the purchases among `events` as transactions of `customer`,
    /// amounts in major units of `currency`.
    ///
    /// Only purchases count: the buy-till-you-die models count purchase
    /// occasions, and a refund is not one (a refunded order's purchase stays
    /// counted; subtract refunds from spend yourself if your analysis needs
    /// net value). Events other than transactions are passed over.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] when a purchase is in a currency other
    /// than `currency`: money in different currencies does not add up, so
    /// convert before summarising.
    ///
    /// # Examples
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use custodia::clv::Transaction;
    /// use custodia::model::{Currency, Event, EventId, EventKind, Money, TransactionKind};
    ///
    /// let eur = Currency::new("EUR")?;
    /// let at = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
    /// let order = custodia::model::Transaction::new("o-1", TransactionKind::Purchase, Money::parse("42.50", eur)?, vec![])?;
    /// let events = [Event::new(EventId::new("e-1")?, at, EventKind::Transaction(order))];
    /// let purchases = Transaction::purchases("ana", &events, eur)?;
    /// assert_eq!(purchases[0].amount(), 42.5);
    /// assert_eq!(purchases[0].at(), at.date_naive());
    /// # Ok::<(), custodia::Error>(())
    /// ```
    pub fn purchases<'e>(
        customer: &str,
        events: impl IntoIterator<Item = &'e Event>,
        currency: Currency,
    ) -> Result<Vec<Transaction>> {
        let mut out = Vec::new();
        for event in events {
            let EventKind::Transaction(t) = event.kind() else {
                continue;
            };
            if t.kind() != TransactionKind::Purchase {
                continue;
            }
            if t.amount().currency() != currency {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format_args!(
                        "purchase {:?} of {} is not in {currency}; convert amounts to one currency before summarising",
                        t.order_id(),
                        t.amount()
                    ),
                ));
            }
            out.push(Transaction::new(
                customer,
                event.at().date_naive(),
                t.amount().to_major_f64(),
            )?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EmailAction, EmailEvent, EventId, Money};
    use chrono::{TimeZone, Utc};

    fn order(id: &str, kind: TransactionKind, minor: i64, cur: &str) -> Event {
        let t = crate::model::Transaction::new(
            id,
            kind,
            Money::from_minor(minor, Currency::new(cur).unwrap()),
            vec![],
        )
        .unwrap();
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
        Event::new(EventId::new(id).unwrap(), at, EventKind::Transaction(t))
    }

    #[test]
    fn only_purchases_in_the_currency_count() {
        let eur = Currency::new("EUR").unwrap();
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
        let events = [
            order("a", TransactionKind::Purchase, 1999, "EUR"),
            order("b", TransactionKind::Refund, 1999, "EUR"),
            Event::new(
                EventId::new("c").unwrap(),
                at,
                EventKind::Email(EmailEvent::new(EmailAction::Opened)),
            ),
        ];
        let p = Transaction::purchases("x", &events, eur).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].amount(), 19.99);
        let mixed = [order("d", TransactionKind::Purchase, 100, "USD")];
        let err = Transaction::purchases("x", &mixed, eur).unwrap_err();
        assert_eq!(
            err.to_string(),
            "purchase \"d\" of 1.00 USD is not in EUR; convert amounts to one currency before summarising"
        );
    }
}
