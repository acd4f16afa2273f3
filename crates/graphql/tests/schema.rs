//! `schema.graphql` is the schema the code builds, so clients and the console can read the
//! contract without running anything.

use std::path::Path;

#[test]
fn the_committed_sdl_matches_the_code() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let built = clockwork_graphql::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &built).expect("writing schema.graphql");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == built,
        "crates/graphql/schema.graphql differs from the schema the code builds.\n\
         If the change is meant, regenerate it and commit the file:\n\
         \n    UPDATE_SCHEMA=1 cargo nextest run -p clockwork-graphql the_committed_sdl_matches_the_code\n"
    );
}
