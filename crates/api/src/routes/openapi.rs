//! `GET /api/openapi.json`: the OpenAPI 3.1 document of the REST routes, kept beside them
//! in `crates/api/openapi.json`. `tests/openapi.rs` holds it to the routes: every route is
//! in it and nothing else, and the routes' real answers match its schemas.

/// The committed document, served as it is.
pub const DOCUMENT: &str = include_str!("../../openapi.json");
