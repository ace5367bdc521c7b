//! Integration tests: one binary, one submodule per area, public API only.

mod clv;
mod identity;
mod segment;
mod sentiment;
