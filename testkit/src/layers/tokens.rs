//! Just enough of a Rust lexer to find paths: identifiers and the
//! punctuation that shapes `use` trees and items, with comments, strings,
//! chars and numbers dropped (a `crate::x` inside a string or a doc comment
//! is not an import).

/// One token and the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) text: String,
    pub(crate) line: usize,
}

impl Token {
    pub(crate) fn is(&self, s: &str) -> bool {
        self.text == s
    }

    pub(crate) fn is_ident(&self) -> bool {
        self.text
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
    }
}

/// The tokens of one source file.
pub(crate) fn tokenize(src: &str) -> Vec<Token> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i = skip_block_comment(&chars, i, &mut line);
        } else if c == '"' {
            i = skip_string(&chars, i + 1, &mut line);
        } else if let Some(end) = raw_string_start(&chars, i) {
            i = skip_raw_string(&chars, end, &mut line);
        } else if c == 'b' && next == Some('"') {
            i = skip_string(&chars, i + 2, &mut line);
        } else if c == 'b' && next == Some('\'') {
            i = skip_char_or_lifetime(&chars, i + 1);
        } else if c == '\'' {
            i = skip_char_or_lifetime(&chars, i);
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let mut text: String = chars[start..i].iter().collect();
            // A raw identifier (`r#type`) is the identifier.
            if text == "r" && chars.get(i) == Some(&'#') {
                let s = i + 1;
                i = s;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                text = chars[s..i].iter().collect();
            }
            out.push(Token { text, line });
        } else if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
        } else if c == ':' && next == Some(':') {
            out.push(Token {
                text: "::".to_string(),
                line,
            });
            i += 2;
        } else {
            out.push(Token {
                text: c.to_string(),
                line,
            });
            i += 1;
        }
    }
    out
}

fn skip_block_comment(chars: &[char], mut i: usize, line: &mut usize) -> usize {
    let mut depth = 0usize;
    while i < chars.len() {
        if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
            depth += 1;
            i += 2;
        } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            if chars[i] == '\n' {
                *line += 1;
            }
            i += 1;
        }
    }
    i
}

/// From just after the opening quote to just after the closing one.
fn skip_string(chars: &[char], mut i: usize, line: &mut usize) -> usize {
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                // An escaped newline continues the string on the next line.
                if chars.get(i + 1) == Some(&'\n') {
                    *line += 1;
                }
                i += 2;
            }
            '"' => return i + 1,
            '\n' => {
                *line += 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    i
}

/// At `r"`, `r#"`, `br##"`...: the index just after the opening quote and
/// the number of hashes that close it.
fn raw_string_start(chars: &[char], i: usize) -> Option<(usize, usize)> {
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    // Part of a longer identifier: `bar"` is not a raw string.
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    (chars.get(j) == Some(&'"')).then_some((j + 1, hashes))
}

fn skip_raw_string(chars: &[char], (mut i, hashes): (usize, usize), line: &mut usize) -> usize {
    while i < chars.len() {
        if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
            return i + 1 + hashes;
        }
        if chars[i] == '\n' {
            *line += 1;
        }
        i += 1;
    }
    i
}

/// At a `'`: a char literal (`'x'`, `'\n'`, `'\u{1F600}'`) is skipped
/// whole; a lifetime or label (`'a`) only its quote.
fn skip_char_or_lifetime(chars: &[char], i: usize) -> usize {
    match chars.get(i + 1) {
        Some('\\') => {
            // Past the backslash and the escaped char (which may be `'`).
            let mut j = i + 3;
            while j < chars.len() && chars[j] != '\'' {
                j += 1;
            }
            j + 1
        }
        Some(_) if chars.get(i + 2) == Some(&'\'') => i + 3,
        _ => i + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<String> {
        tokenize(src).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn comments_strings_and_chars_hide_what_they_hold() {
        let src = "// crate::one\n/* crate::two /* nested */ crate::three */ let s = \"crate::four \\\" crate::five\";\n\
                   let r = r#\"crate::six\"#; let c = '\"'; let q = '\\''; fn f<'a>(x: &'a str) {}\n\
                   crate::g";
        let t = texts(src);
        for hidden in ["one", "two", "three", "four", "five", "six"] {
            assert!(!t.contains(&hidden.to_string()), "{hidden} leaked: {t:?}");
        }
        assert_eq!(t[t.len() - 3..], ["crate", "::", "g"]);
        assert_eq!(tokenize(src).last().map(|t| t.line), Some(4));
    }
}
