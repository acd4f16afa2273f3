//! What a statement is: one SQL text with `$n` placeholders and its arguments as
//! backend-neutral [`Value`]s, and how each driver is sent them.

use std::borrow::Cow;

use sqlx::postgres::PgArguments;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, Encode, Type};

use crate::error::{Result, StoreError};

/// An argument of a statement, borrowed from the caller's data.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    Text(Option<&'a str>),
    Int(Option<i64>),
    Real(Option<f64>),
    Bool(bool),
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(value: &'a str) -> Self {
        Self::Text(Some(value))
    }
}

impl<'a> From<&'a String> for Value<'a> {
    fn from(value: &'a String) -> Self {
        Self::Text(Some(value))
    }
}

impl<'a> From<Option<&'a str>> for Value<'a> {
    fn from(value: Option<&'a str>) -> Self {
        Self::Text(value)
    }
}

impl<'a> From<&'a Option<String>> for Value<'a> {
    fn from(value: &'a Option<String>) -> Self {
        Self::Text(value.as_deref())
    }
}

impl From<i64> for Value<'_> {
    fn from(value: i64) -> Self {
        Self::Int(Some(value))
    }
}

impl From<Option<i64>> for Value<'_> {
    fn from(value: Option<i64>) -> Self {
        Self::Int(value)
    }
}

impl From<Option<f64>> for Value<'_> {
    fn from(value: Option<f64>) -> Self {
        Self::Real(value)
    }
}

impl From<bool> for Value<'_> {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

/// One SQL text and its arguments, in placeholder order.
#[derive(Debug)]
pub(crate) struct Statement<'a> {
    sql: Cow<'static, str>,
    values: Vec<Value<'a>>,
}

impl<'a> Statement<'a> {
    pub(crate) fn new(sql: impl Into<Cow<'static, str>>) -> Self {
        Self { sql: sql.into(), values: Vec::new() }
    }

    pub(crate) fn bind(mut self, value: impl Into<Value<'a>>) -> Self {
        self.push(value);
        self
    }

    pub(crate) fn push(&mut self, value: impl Into<Value<'a>>) {
        self.values.push(value.into());
    }

    /// The text as SQLite is sent it ([`positional`]).
    pub(super) fn sqlite_sql(&self) -> Cow<'_, str> {
        positional(&self.sql)
    }

    /// The text as Postgres is sent it.
    pub(super) fn pg_sql(&self) -> &str {
        &self.sql
    }

    pub(super) fn sqlite_args(&self) -> Result<SqliteArguments<'a>> {
        self.arguments()
    }

    pub(super) fn pg_args(&self) -> Result<PgArguments> {
        self.arguments()
    }

    /// The values bound for one driver.
    fn arguments<A>(&self) -> Result<A>
    where
        A: Arguments<'a> + Default,
        Option<&'a str>: Encode<'a, A::Database> + Type<A::Database>,
        Option<i64>: Encode<'a, A::Database> + Type<A::Database>,
        Option<f64>: Encode<'a, A::Database> + Type<A::Database>,
        bool: Encode<'a, A::Database> + Type<A::Database>,
    {
        let mut args = A::default();
        for value in &self.values {
            let added = match *value {
                Value::Text(text) => args.add(text),
                Value::Int(int) => args.add(int),
                Value::Real(real) => args.add(real),
                Value::Bool(flag) => args.add(flag),
            };
            added.map_err(|error| StoreError::Invalid(error.to_string()))?;
        }
        Ok(args)
    }
}

/// The statement with anonymous `?` placeholders for SQLite, when its `$n` appear in order
/// (`$1`, `$2`, … each once, none inside a quoted literal or name): SQLite finds a named
/// parameter by a linear search of the statement's names, and the driver asks for every
/// one's name, so a multi-row statement's binding grows with the square of its
/// placeholders; `?` are numbered by position and found at once. Any other statement is
/// sent as it is.
fn positional(sql: &str) -> Cow<'_, str> {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let (mut next, mut copied, mut quote) = (1_u64, 0, None);
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        match quote {
            Some(open) if byte == open => quote = None,
            Some(_) => {}
            None if byte == b'\'' || byte == b'"' => quote = Some(byte),
            None if byte == b'$' => {
                let digits = bytes[at + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
                let number = sql[at + 1..at + 1 + digits].parse::<u64>().ok();
                if number != Some(next) {
                    return Cow::Borrowed(sql);
                }
                next += 1;
                out.push_str(&sql[copied..at]);
                out.push('?');
                at += 1 + digits;
                copied = at;
                continue;
            }
            None => {}
        }
        at += 1;
    }
    if next == 1 {
        return Cow::Borrowed(sql);
    }
    out.push_str(&sql[copied..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::positional;

    #[test]
    fn placeholders_in_order_become_positional_for_sqlite() {
        assert_eq!(
            positional("INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
        );
        assert_eq!(
            positional("SELECT '$5', \"$x\" FROM t WHERE a = $1"),
            "SELECT '$5', \"$x\" FROM t WHERE a = ?"
        );
    }

    #[test]
    fn placeholders_out_of_order_or_repeated_are_left_as_written() {
        for sql in
            ["SELECT $2, $1", "SELECT $1 WHERE a = $1", "SELECT $1, $3", "SELECT 1", "SELECT $a"]
        {
            assert!(
                matches!(positional(sql), std::borrow::Cow::Borrowed(same) if same == sql),
                "{sql}"
            );
        }
    }
}
