//! Identity resolution.
