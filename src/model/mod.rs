//! Typed, validated customer data.
