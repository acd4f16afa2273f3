//! Splits JQL into words, quoted strings, parentheses, commas and operators.

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Token {
    Word(String),
    Text(String),
    Open,
    Close,
    Comma,
    Op(String),
}

impl Token {
    pub(super) fn describe(&self) -> String {
        match self {
            Self::Word(word) => word.clone(),
            Self::Text(text) => format!("\"{text}\""),
            Self::Open => "(".into(),
            Self::Close => ")".into(),
            Self::Comma => ",".into(),
            Self::Op(op) => op.clone(),
        }
    }

    pub(super) fn is_keyword(&self, keyword: &str) -> bool {
        matches!(self, Self::Word(word) if word.eq_ignore_ascii_case(keyword))
    }
}

/// Tokens of `jql`; `Err` names an unterminated quoted string.
pub(super) fn tokenize(jql: &str) -> Result<Vec<Token>, String> {
    const SPECIAL: &str = "(),\"'=!<>~";
    let mut tokens = Vec::new();
    let mut chars = jql.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            _ if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | ',' => {
                chars.next();
                tokens.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    _ => Token::Comma,
                });
            }
            '"' | '\'' => {
                chars.next();
                let mut text = String::new();
                loop {
                    match chars.next() {
                        Some(end) if end == c => break,
                        Some('\\') => text.extend(chars.next()),
                        Some(other) => text.push(other),
                        None => {
                            return Err(format!(
                                "Error in the JQL Query: The quoted string '{text}' has not been completed."
                            ));
                        }
                    }
                }
                tokens.push(Token::Text(text));
            }
            '=' | '!' | '<' | '>' | '~' => {
                let mut op = String::from(c);
                chars.next();
                if let Some(&next) = chars.peek().filter(|n| matches!(n, '=' | '~')) {
                    op.push(next);
                    chars.next();
                }
                tokens.push(Token::Op(op));
            }
            _ => {
                let mut word = String::new();
                while let Some(&w) =
                    chars.peek().filter(|w| !w.is_whitespace() && !SPECIAL.contains(**w))
                {
                    word.push(w);
                    chars.next();
                }
                tokens.push(Token::Word(word));
            }
        }
    }
    Ok(tokens)
}
