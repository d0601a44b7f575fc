//! Filter text → tokens with their 1-based column.

use super::FilterError;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=` (also `==`).
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

impl CmpOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// `(`.
    Open,
    /// `)`.
    Close,
    /// `,`.
    Comma,
    /// A comparison operator.
    Op(CmpOp),
    /// Anything else: a field name, a keyword or a value.
    Word(String),
}

/// A token and the column (1-based, in characters) where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub tok: Tok,
    /// Where it starts.
    pub column: usize,
    /// Whether it was a quoted value (`'eni-*'`), which is taken as written: no wildcards.
    pub quoted: bool,
}

/// Splits a filter into tokens. Words run until whitespace, a parenthesis, a comma or an
/// operator character, so `dstport=22`, `dstport = 22` and `2001:db8::/32` all lex as meant.
/// A value may be quoted with `'…'` or `"…"` (as pasted from SQL), and is then taken as
/// written, a `*` in it included; `==` is the same as `=`.
pub fn lex(text: &str) -> Result<Vec<Token>, FilterError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        let single = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => Some(Tok::Open),
            ')' => Some(Tok::Close),
            ',' => Some(Tok::Comma),
            _ => None,
        };
        if let Some(tok) = single {
            out.push(Token {
                tok,
                column,
                quoted: false,
            });
            i += 1;
            continue;
        }
        let next = chars.get(i + 1).copied();
        let op = match (c, next) {
            ('=', Some('=')) => Some((CmpOp::Eq, 2)),
            ('=', _) => Some((CmpOp::Eq, 1)),
            ('!', Some('=')) => Some((CmpOp::Ne, 2)),
            ('<', Some('=')) => Some((CmpOp::Le, 2)),
            ('<', _) => Some((CmpOp::Lt, 1)),
            ('>', Some('=')) => Some((CmpOp::Ge, 2)),
            ('>', _) => Some((CmpOp::Gt, 1)),
            ('!', _) => {
                return Err(FilterError::new(
                    column,
                    "expected `!=` (use `not` to negate)",
                ));
            }
            _ => None,
        };
        if let Some((op, len)) = op {
            out.push(Token {
                tok: Tok::Op(op),
                column,
                quoted: false,
            });
            i += len;
            continue;
        }
        if crate::sanitize::is_unsafe(c) {
            return Err(FilterError::new(column, "unexpected control character"));
        }
        if c == '\'' || c == '"' {
            // A quoted value, as pasted from SQL (`action='REJECT'`): the quotes go, what is
            // between them is one word, spaces and operator characters included.
            let close = chars[i + 1..].iter().position(|x| *x == c).ok_or_else(|| {
                FilterError::new(column, format!("unclosed {c}: add the closing {c}"))
            })?;
            let word: String = chars[i + 1..i + 1 + close].iter().collect();
            if word.chars().any(crate::sanitize::is_unsafe) {
                return Err(FilterError::new(column, "unexpected control character"));
            }
            out.push(Token {
                tok: Tok::Word(word),
                column,
                quoted: true,
            });
            i += close + 2;
            continue;
        }
        let start = i;
        while i < chars.len() && !is_boundary(chars[i]) {
            i += 1;
        }
        out.push(Token {
            tok: Tok::Word(chars[start..i].iter().collect()),
            column,
            quoted: false,
        });
    }
    Ok(out)
}

fn is_boundary(c: char) -> bool {
    c.is_whitespace()
        || crate::sanitize::is_unsafe(c)
        || matches!(c, '(' | ')' | ',' | '=' | '!' | '<' | '>')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<(String, usize)> {
        lex(text)
            .unwrap()
            .into_iter()
            .map(|t| {
                let s = match t.tok {
                    Tok::Word(w) => w,
                    Tok::Op(o) => o.as_str().to_string(),
                    Tok::Open => "(".into(),
                    Tok::Close => ")".into(),
                    Tok::Comma => ",".into(),
                };
                (s, t.column)
            })
            .collect()
    }

    #[test]
    fn splits_words_operators_and_punctuation_with_columns() {
        assert_eq!(
            words("dstport=22 and src in (10.0.0.0/8,2001:db8::/32)"),
            vec![
                ("dstport".into(), 1),
                ("=".into(), 8),
                ("22".into(), 9),
                ("and".into(), 12),
                ("src".into(), 16),
                ("in".into(), 20),
                ("(".into(), 23),
                ("10.0.0.0/8".into(), 24),
                (",".into(), 34),
                ("2001:db8::/32".into(), 35),
                (")".into(), 48),
            ]
        );
        assert_eq!(words("bytes>=10k")[1], (">=".into(), 6));
        assert_eq!(words("a == b")[1], ("=".into(), 3));
    }

    #[test]
    fn quoted_values_are_one_word_without_their_quotes() {
        assert_eq!(
            words("action='REJECT' interface=\"eni-0a1b\""),
            vec![
                ("action".into(), 1),
                ("=".into(), 7),
                ("REJECT".into(), 8),
                ("interface".into(), 17),
                ("=".into(), 26),
                ("eni-0a1b".into(), 27),
            ]
        );
        assert_eq!(words("x='a b=c'")[2], ("a b=c".into(), 3));
        let e = lex("action='REJECT").unwrap_err();
        assert_eq!(e.column, 8);
        assert!(e.message.contains("unclosed '"), "{e}");
    }

    #[test]
    fn a_lone_bang_is_an_error_with_its_column() {
        let e = lex("action !REJECT").unwrap_err();
        assert_eq!(e.column, 8);
    }
}
