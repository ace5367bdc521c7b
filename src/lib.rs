//! custodia: the core of a customer data platform.
//!
//! (Crate tour: being written.)

#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs_custodia, feature(doc_cfg))]

pub mod clv;
pub mod error;
pub mod identity;
#[cfg(feature = "serde")]
#[cfg_attr(docsrs_custodia, doc(cfg(feature = "serde")))]
pub mod ingest;
pub mod model;
pub mod segment;
pub mod sentiment;

pub use error::{Error, Result};
