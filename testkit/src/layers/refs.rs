//! What one source file's non-test code names inside its own crate: every
//! `crate::...` and `super::...` path, resolved to the top-level module it
//! lands in (or to a name at the crate root).

use super::tokens::Token;

/// One file's reading of the crate.
#[derive(Debug, Default)]
pub(crate) struct FileRefs {
    /// (first segment under the crate root, line) of every path that
    /// leaves the file's own module through `crate::` or `super::`.
    pub(crate) refs: Vec<(String, usize)>,
    /// Names brought into this module by `use m::...` (only meaningful at
    /// the crate root: `crate::Name` then means module `m`).
    pub(crate) uses: Vec<(String, String)>,
    /// Child modules declared `#[cfg(test)] mod name;`, as module paths.
    pub(crate) test_children: Vec<Vec<String>>,
}

/// Reads `tokens` of the file whose module path is `module`.
pub(crate) fn read(tokens: &[Token], module: &[String]) -> FileRefs {
    let mut out = FileRefs::default();
    // Inline modules (`mod x { ... }`) open inside the file: name and the
    // brace depth their body starts at.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        if is_cfg_test(tokens, i) {
            i = skip_test_item(tokens, i + 7, module, &inline, &mut out);
            continue;
        }
        if t.is("{") {
            depth += 1;
        } else if t.is("}") {
            depth = depth.saturating_sub(1);
            while inline.last().is_some_and(|(_, d)| *d > depth) {
                inline.pop();
            }
        } else if t.is("mod") && at(tokens, i + 2).is_some_and(|t| t.is("{")) {
            if let Some(name) = at(tokens, i + 1).filter(|n| n.is_ident()) {
                inline.push((name.text.clone(), depth + 1));
            }
        } else if t.is("use") && inline.is_empty() && depth == 0 {
            read_use(tokens, i + 1, &mut out.uses);
        }
        let starts_path = i == 0 || !tokens[i - 1].is("::");
        if starts_path && at(tokens, i + 1).is_some_and(|n| n.is("::")) {
            let here: Vec<String> = module
                .iter()
                .cloned()
                .chain(inline.iter().map(|(n, _)| n.clone()))
                .collect();
            if let Some((base, next)) = path_base(tokens, i, &here) {
                for (name, line) in first_segments(tokens, next, &base) {
                    out.refs.push((name, line));
                }
            }
        }
        i += 1;
    }
    out
}

fn at(tokens: &[Token], i: usize) -> Option<&Token> {
    tokens.get(i)
}

/// `#[cfg(test)]` starting at `i` (seven tokens).
fn is_cfg_test(tokens: &[Token], i: usize) -> bool {
    const SHAPE: [&str; 7] = ["#", "[", "cfg", "(", "test", ")", "]"];
    SHAPE
        .iter()
        .enumerate()
        .all(|(k, s)| at(tokens, i + k).is_some_and(|t| t.is(s)))
}

/// Skips the item after a `#[cfg(test)]` (its other attributes, then up to
/// its `;` or through its braced body); a `mod name;` is remembered so its
/// file is left out too.
fn skip_test_item(
    tokens: &[Token],
    mut i: usize,
    module: &[String],
    inline: &[(String, usize)],
    out: &mut FileRefs,
) -> usize {
    while at(tokens, i).is_some_and(|t| t.is("#")) {
        i = skip_balanced(tokens, i + 1, "[", "]");
    }
    let is_mod_decl =
        at(tokens, i).is_some_and(|t| t.is("mod")) && at(tokens, i + 2).is_some_and(|t| t.is(";"));
    if is_mod_decl && let Some(name) = at(tokens, i + 1) {
        let mut child: Vec<String> = module.to_vec();
        child.extend(inline.iter().map(|(n, _)| n.clone()));
        child.push(name.text.clone());
        out.test_children.push(child);
    }
    let mut nest = 0usize;
    while let Some(t) = at(tokens, i) {
        match t.text.as_str() {
            "(" | "[" => nest += 1,
            ")" | "]" => nest = nest.saturating_sub(1),
            ";" if nest == 0 => return i + 1,
            "{" if nest == 0 => return skip_balanced(tokens, i, "{", "}"),
            _ => {}
        }
        i += 1;
    }
    i
}

/// From an opening `open` at `i` to just after its matching `close`.
fn skip_balanced(tokens: &[Token], mut i: usize, open: &str, close: &str) -> usize {
    let mut depth = 0usize;
    while let Some(t) = at(tokens, i) {
        if t.is(open) {
            depth += 1;
        } else if t.is(close) {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return i + 1;
            }
        }
        i += 1;
    }
    i
}

/// A path starting at `i` with `crate::`, `super::` or `self::super::`:
/// the absolute module it starts from and the index of what follows.
fn path_base(tokens: &[Token], i: usize, here: &[String]) -> Option<(Vec<String>, usize)> {
    let first = &tokens[i];
    if first.is("crate") {
        return Some((Vec::new(), i + 2));
    }
    let mut j = i;
    if first.is("self") {
        if !at(tokens, i + 2).is_some_and(|t| t.is("super")) {
            return None;
        }
        j = i + 2;
    }
    if !tokens[j].is("super") {
        return None;
    }
    let mut base = here.to_vec();
    while at(tokens, j).is_some_and(|t| t.is("super"))
        && at(tokens, j + 1).is_some_and(|t| t.is("::"))
    {
        base.pop();
        j += 2;
    }
    Some((base, j))
}

/// The top-level names a path (or a `{...}` group of paths) starting at
/// `i` under `base` reaches.
fn first_segments(tokens: &[Token], i: usize, base: &[String]) -> Vec<(String, usize)> {
    if let Some(top) = base.first() {
        let line = at(tokens, i).map_or(0, |t| t.line);
        return vec![(top.clone(), line)];
    }
    let Some(t) = at(tokens, i) else {
        return Vec::new();
    };
    if t.is_ident() {
        return vec![(t.text.clone(), t.line)];
    }
    if !t.is("{") {
        return Vec::new();
    }
    // `crate::{a::X, b, c::{d, e}}`: the first identifier of each branch.
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut want = true;
    for t in &tokens[i..] {
        match t.text.as_str() {
            "{" => {
                depth += 1;
                want = depth == 1;
            }
            "}" => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            "," => want = depth == 1,
            _ if want && t.is_ident() && t.text != "self" => {
                out.push((t.text.clone(), t.line));
                want = false;
            }
            _ => want = false,
        }
    }
    out
}

/// A `use` tree after `use` at `i`: (leaf name or alias, first segment).
fn read_use(tokens: &[Token], mut i: usize, uses: &mut Vec<(String, String)>) {
    if at(tokens, i).is_some_and(|t| t.is("crate") || t.is("self"))
        && at(tokens, i + 1).is_some_and(|t| t.is("::"))
    {
        i += 2;
    }
    let Some(root) = at(tokens, i).filter(|t| t.is_ident()) else {
        return;
    };
    let mut j = i + 1;
    while let Some(t) = at(tokens, j) {
        if t.is(";") {
            break;
        }
        let leaf = at(tokens, j + 1).is_some_and(|n| n.is(",") || n.is("}") || n.is(";"));
        if t.is_ident() && leaf && t.text != "self" {
            uses.push((t.text.clone(), root.text.clone()));
        }
        j += 1;
    }
}
