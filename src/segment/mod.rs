//! Segmentation expressions.
