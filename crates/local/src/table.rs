//! Plain-text tables for the terminal: left-aligned columns, two spaces apart.

use std::io::{self, Write};

/// Writes `headers` and `rows`, each column as wide as its widest cell.
pub fn write<const N: usize>(
    out: &mut impl Write,
    headers: [&str; N],
    rows: &[[String; N]],
) -> io::Result<()> {
    let mut widths = headers.map(|header| header.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |out: &mut dyn Write, cells: [&str; N]| {
        let padded: Vec<String> =
            cells.iter().zip(widths).map(|(cell, width)| format!("{cell:width$}")).collect();
        writeln!(out, "{}", padded.join("  ").trim_end())
    };
    line(out, headers)?;
    for row in rows {
        line(out, row.each_ref().map(String::as_str))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_are_as_wide_as_their_widest_cell() {
        let mut out = Vec::new();
        let rows = [["KAN".to_owned(), "Kanban Web App".to_owned(), "yes".to_owned()]];
        super::write(&mut out, ["KEY", "NAME", "TRACKED"], &rows).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "KEY  NAME            TRACKED\nKAN  Kanban Web App  yes\n"
        );
    }
}
