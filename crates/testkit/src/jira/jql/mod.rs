//! The JQL subset the fake searches with: `id` (also compared with `>=`, `>`, `<`, `<=`),
//! `key`/`issuekey`, `project`, `assignee`,
//! `worklogAuthor`, `status` and `statusCategory` with `=` or `in (…)`; `summary` and `text`
//! with `~` (every word of the value must start a word of the summary; `text` searches the
//! summary and the comments); `created`/`updated` compared with epoch milliseconds
//! or zone-less dates (read in the searcher's zone, as Jira does); `AND`, `OR` and
//! parentheses; `ORDER BY` up to 7 fields. Anything else is a 400, like an unparseable query
//! on a real site. Evaluation is in [`eval`].

mod eval;
mod lex;

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

pub(super) use eval::Subject;
use eval::parse_date;
use lex::{Token, tokenize};

const MAX_ORDER_FIELDS: usize = 7;

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Query {
    filter: Expr,
    /// Fields with `true` for descending; ties fall back to ascending id.
    order: Vec<(Field, bool)>,
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Id(Vec<String>),
    /// `id` compared with a number (`>=`, `>`, `<`, `<=`).
    IdCompare {
        cmp: Ordering,
        or_equal: bool,
        id: u64,
    },
    Key(Vec<String>),
    Project(Vec<String>),
    Assignee(Vec<String>),
    WorklogAuthor(Vec<String>),
    Status(Vec<String>),
    StatusCategory(Vec<String>),
    /// `summary ~` (`comments: false`) or `text ~` (`comments: true`), lowercased words.
    Contains {
        words: Vec<String>,
        comments: bool,
    },
    Date {
        field: Field,
        cmp: Ordering,
        or_equal: bool,
        at: DateTime<Utc>,
    },
}

/// An issue field that can be compared or sorted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    Key,
    Created,
    Updated,
}

/// Parses `jql`; zone-less dates are read in `zone`. `Err` is the message Jira would give.
pub(super) fn parse(jql: &str, zone: Tz) -> Result<Query, String> {
    let mut parser = Parser { tokens: tokenize(jql)?, pos: 0, zone };
    let filter = match parser.peek() {
        None => None,
        Some(token) if token.is_keyword("order") => None,
        Some(_) => Some(parser.or()?),
    };
    let order = parser.order_by()?;
    if let Some(token) = parser.peek() {
        return Err(format!(
            "Error in the JQL Query: Expecting either 'OR' or 'AND' but got '{}'.",
            token.describe()
        ));
    }
    let filter = filter.ok_or_else(|| {
        "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
            .to_owned()
    })?;
    Ok(Query { filter, order })
}

/// The lowercased words of a text search or a text, split at anything but letters and
/// digits.
pub(super) fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// A comparison operator as the ordering it accepts and whether equality is accepted too.
fn comparison(operator: &Token) -> Option<(Ordering, bool)> {
    match operator {
        Token::Op(op) if op == "=" => Some((Ordering::Equal, true)),
        Token::Op(op) if op == ">=" => Some((Ordering::Greater, true)),
        Token::Op(op) if op == ">" => Some((Ordering::Greater, false)),
        Token::Op(op) if op == "<=" => Some((Ordering::Less, true)),
        Token::Op(op) if op == "<" => Some((Ordering::Less, false)),
        _ => None,
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    zone: Tz,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Result<Token, String> {
        let token = self.peek().cloned();
        self.pos += 1;
        token.ok_or_else(|| "Error in the JQL Query: The query ends unexpectedly.".to_owned())
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let found = self.peek().is_some_and(|t| t.is_keyword(keyword));
        self.pos += usize::from(found);
        found
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut terms = vec![self.and()?];
        while self.eat_keyword("or") {
            terms.push(self.and()?);
        }
        Ok(if terms.len() == 1 { terms.remove(0) } else { Expr::Or(terms) })
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut terms = vec![self.primary()?];
        while self.eat_keyword("and") {
            terms.push(self.primary()?);
        }
        Ok(if terms.len() == 1 { terms.remove(0) } else { Expr::And(terms) })
    }

    fn primary(&mut self) -> Result<Expr, String> {
        match self.next()? {
            Token::Open => {
                let inner = self.or()?;
                match self.next()? {
                    Token::Close => Ok(inner),
                    other => Err(format!(
                        "Error in the JQL Query: Expecting ')' but got '{}'.",
                        other.describe()
                    )),
                }
            }
            Token::Word(field) | Token::Text(field) => self.clause(&field),
            other => Err(format!(
                "Error in the JQL Query: Expecting a field name but got '{}'.",
                other.describe()
            )),
        }
    }

    fn clause(&mut self, field: &str) -> Result<Expr, String> {
        let lower = field.to_ascii_lowercase();
        let operator = self.next()?;
        let unsupported = || {
            format!(
                "The operator '{}' is not supported by the '{field}' field.",
                operator.describe()
            )
        };
        if lower == "id"
            && let Some((cmp, or_equal)) = comparison(&operator).filter(|(cmp, _)| cmp.is_ne())
        {
            let value = self.value()?;
            let id = value
                .trim()
                .parse::<u64>()
                .map_err(|_| format!("The value '{value}' does not exist for the field 'id'."))?;
            return Ok(Expr::IdCompare { cmp, or_equal, id });
        }
        match lower.as_str() {
            "id" | "key" | "issuekey" | "project" | "assignee" | "worklogauthor" | "status"
            | "statuscategory" => {
                let values = match &operator {
                    Token::Op(op) if op == "=" => vec![self.value()?],
                    Token::Word(word) if word.eq_ignore_ascii_case("in") => self.list()?,
                    _ => return Err(unsupported()),
                };
                Ok(match lower.as_str() {
                    "id" => Expr::Id(values),
                    "project" => Expr::Project(values),
                    "assignee" => Expr::Assignee(values),
                    "worklogauthor" => Expr::WorklogAuthor(values),
                    "status" => Expr::Status(values),
                    "statuscategory" => Expr::StatusCategory(values),
                    _ => Expr::Key(values),
                })
            }
            "summary" | "text" => {
                if operator != Token::Op("~".to_owned()) {
                    return Err(unsupported());
                }
                let words = words(&self.value()?);
                if words.is_empty() {
                    return Err(format!("The value for the '{field}' field is empty."));
                }
                Ok(Expr::Contains { words, comments: lower == "text" })
            }
            "created" | "createddate" | "updated" | "updateddate" => {
                let Some((cmp, or_equal)) = comparison(&operator) else {
                    return Err(unsupported());
                };
                let field =
                    if lower.starts_with("created") { Field::Created } else { Field::Updated };
                let value = self.value()?;
                let at = parse_date(&value, self.zone).ok_or_else(|| {
                    format!(
                        "Date value '{value}' for field '{lower}' is invalid. Valid formats \
                         include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', \
                         'yyyy-MM-dd', or epoch milliseconds."
                    )
                })?;
                Ok(Expr::Date { field, cmp, or_equal, at })
            }
            _ => Err(format!(
                "Field '{field}' does not exist or you do not have permission to view it."
            )),
        }
    }

    fn value(&mut self) -> Result<String, String> {
        match self.next()? {
            Token::Word(value) | Token::Text(value) => Ok(value),
            other => Err(format!(
                "Error in the JQL Query: Expecting a value but got '{}'.",
                other.describe()
            )),
        }
    }

    fn list(&mut self) -> Result<Vec<String>, String> {
        if self.next()? != Token::Open {
            return Err("Error in the JQL Query: Expecting '(' after 'in'.".to_owned());
        }
        let mut values = vec![self.value()?];
        loop {
            match self.next()? {
                Token::Comma => values.push(self.value()?),
                Token::Close => return Ok(values),
                other => {
                    return Err(format!(
                        "Error in the JQL Query: Expecting ',' or ')' but got '{}'.",
                        other.describe()
                    ));
                }
            }
        }
    }

    fn order_by(&mut self) -> Result<Vec<(Field, bool)>, String> {
        if !self.eat_keyword("order") {
            return Ok(Vec::new());
        }
        if !self.eat_keyword("by") {
            return Err("Error in the JQL Query: Expecting 'BY' after 'ORDER'.".to_owned());
        }
        let mut order = Vec::new();
        loop {
            let name = self.value()?;
            let field = match name.to_ascii_lowercase().as_str() {
                "id" => Field::Id,
                "key" | "issuekey" => Field::Key,
                "created" | "createddate" => Field::Created,
                "updated" | "updateddate" => Field::Updated,
                _ => return Err(format!("Not able to sort using field '{name}'.")),
            };
            let descending = self.eat_keyword("desc");
            if !descending {
                self.eat_keyword("asc");
            }
            order.push((field, descending));
            if self.peek() != Some(&Token::Comma) {
                break;
            }
            self.pos += 1;
        }
        if order.len() > MAX_ORDER_FIELDS {
            return Err(format!(
                "The ORDER BY clause can contain at most {MAX_ORDER_FIELDS} fields."
            ));
        }
        Ok(order)
    }
}

/// Fields a dynamic webhook's `jqlFilter` may name (Jira also allows `issue.property` and
/// the epic-label `cf[id]`, which the fake does not model).
const DYNAMIC_FIELDS: [&str; 6] =
    ["issuekey", "project", "issuetype", "status", "assignee", "reporter"];

/// Whether `jql` stays in the subset dynamic webhooks accept: those fields, compared with
/// `=`, `!=`, `IN` or `NOT IN`, joined by `AND`/`OR`; `Err` is the reason.
pub(super) fn check_dynamic_filter(jql: &str) -> Result<(), String> {
    let tokens = tokenize(jql)?;
    let mut rest = tokens.as_slice();
    if rest.is_empty() {
        return Err("The JQL filter is empty.".to_owned());
    }
    loop {
        let [Token::Word(field), after @ ..] = rest else {
            return Err("The JQL filter must be clauses of field, operator and value.".into());
        };
        if !DYNAMIC_FIELDS.iter().any(|allowed| field.eq_ignore_ascii_case(allowed)) {
            return Err(format!("The field '{field}' is not supported in webhook JQL filters."));
        }
        rest = match after {
            [Token::Op(op), Token::Word(_) | Token::Text(_), more @ ..]
                if op == "=" || op == "!=" =>
            {
                more
            }
            [in_, more @ ..] if in_.is_keyword("in") => list(more)?,
            [not, in_, more @ ..] if not.is_keyword("not") && in_.is_keyword("in") => list(more)?,
            _ => {
                return Err(format!(
                    "Only =, !=, IN and NOT IN are supported in webhook JQL filters (after '{field}')."
                ));
            }
        };
        match rest {
            [] => return Ok(()),
            [join, more @ ..] if join.is_keyword("and") || join.is_keyword("or") => rest = more,
            [other, ..] => {
                return Err(format!("Expecting 'AND' or 'OR' but got '{}'.", other.describe()));
            }
        }
    }
}

/// The rest after a parenthesised list of values.
fn list(tokens: &[Token]) -> Result<&[Token], String> {
    let bad = || "IN and NOT IN take a parenthesised list of values.".to_owned();
    let [Token::Open, values @ ..] = tokens else { return Err(bad()) };
    let mut rest = values;
    loop {
        rest = match rest {
            [Token::Word(_) | Token::Text(_), Token::Comma, more @ ..] => more,
            [Token::Word(_) | Token::Text(_), Token::Close, more @ ..] => return Ok(more),
            _ => return Err(bad()),
        };
    }
}
