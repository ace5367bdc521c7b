//! Segment expressions compiled to DataFusion expressions.
