//! What one query may ask for: deep nesting and huge selections are refused before any
//! resolver runs (`QUERY_TOO_DEEP`, `QUERY_TOO_COMPLEX`).

/// Levels of nesting: `issues { edges { node { comments { author { teamMember { id } } } } } }`
/// is 7.
pub const MAX_DEPTH: usize = 10;
/// Fields selected in one query, every field counting one.
pub const MAX_COMPLEXITY: usize = 500;
