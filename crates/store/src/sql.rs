//! Building blocks for multi-row statements: placeholder lists, chunking under the drivers'
//! parameter limits, and de-duplication (a multi-row upsert may not name one key twice).

use std::collections::HashMap;
use std::hash::Hash;

/// Parameters per statement. Both drivers accept tens of thousands; a statement of a
/// batch's rows is one round trip on Postgres, and on SQLite (whose placeholders are sent
/// positional, see `pool::positional`) binding is linear in them.
pub(crate) const MAX_PARAMS: usize = 2_000;

/// `($first, …), (…)`: `rows` tuples of `width` numbered placeholders.
pub(crate) fn tuples(rows: usize, width: usize, first: usize) -> String {
    let mut sql = String::with_capacity(rows * (width * 7 + 4));
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        push_list(&mut sql, width, first + row * width);
        sql.push(')');
    }
    sql
}

/// `$first, $first+1, …`: `count` numbered placeholders.
pub(crate) fn list(count: usize, first: usize) -> String {
    let mut sql = String::with_capacity(count * 7);
    push_list(&mut sql, count, first);
    sql
}

fn push_list(sql: &mut String, count: usize, first: usize) {
    use std::fmt::Write;
    for n in first..first + count {
        if n > first {
            sql.push_str(", ");
        }
        // Writing to a String cannot fail.
        let _ = write!(sql, "${n}");
    }
}

/// Chunks of rows that each fit in one statement, given each row's parameter count and
/// the parameters the statement needs besides the rows.
pub(crate) fn chunks<T>(rows: &[T], width: usize, fixed: usize) -> std::slice::Chunks<'_, T> {
    rows.chunks((MAX_PARAMS.saturating_sub(fixed) / width).max(1))
}

/// The items with one per key, the last occurrence winning, in first-seen order.
pub(crate) fn last_per_key<'a, T, K: Hash + Eq>(
    items: impl IntoIterator<Item = &'a T>,
    key: impl Fn(&'a T) -> K,
) -> Vec<&'a T> {
    let mut slot: HashMap<K, usize> = HashMap::new();
    let mut kept: Vec<&'a T> = Vec::new();
    for item in items {
        match slot.get(&key(item)) {
            Some(&index) => kept[index] = item,
            None => {
                slot.insert(key(item), kept.len());
                kept.push(item);
            }
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuples_number_placeholders_row_by_row() {
        assert_eq!(tuples(2, 3, 2), "($2, $3, $4), ($5, $6, $7)");
        assert_eq!(list(3, 1), "$1, $2, $3");
    }

    #[test]
    fn chunks_stay_under_the_parameter_limit() {
        let rows = vec![0u8; 10_000];
        let sizes: Vec<usize> = chunks(&rows, 7, 1).map(<[u8]>::len).collect();
        assert!(sizes.iter().all(|&n| n * 7 < MAX_PARAMS), "{sizes:?}");
        assert_eq!(sizes.iter().sum::<usize>(), 10_000);
        assert_eq!(chunks(&rows, MAX_PARAMS * 2, 0).next().map(<[u8]>::len), Some(1));
    }

    #[test]
    fn the_last_occurrence_of_a_key_wins_in_first_seen_order() {
        let items = [("a", 1), ("b", 2), ("a", 3)];
        let kept = last_per_key(&items, |item| item.0);
        assert_eq!(kept, [&("a", 3), &("b", 2)]);
    }
}
