//! Consent: purposes, lawful bases and the consent ledger.
