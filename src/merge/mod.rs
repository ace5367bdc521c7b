//! Merging a cluster's source records into one unified profile, for a
//! purpose and a time, with survivorship rules and provenance.
