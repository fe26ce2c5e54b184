//! What users read (CLI output, logs, API errors) never carries Rust's
//! debug formatting: `None`, `Starttls` or `Retry { at: 1796114303 }` mean
//! nothing to an operator. The source is scanned, outside `#[cfg(test)]`
//! items and assert messages, for the two ways it gets in:
//!
//! - a string literal holding a `{…:?}` placeholder (`{:?}`, `{x:?}`,
//!   `{:#?}`, `{:x?}`), whichever macro or attribute it is given to
//!   (`format!`, `println!`, `bail!`, `anyhow!`, `#[error]`, tracing, …);
//! - a tracing field recorded with `?` (`?failure`, `field = ?value`).

use std::path::{Path, PathBuf};

#[test]
fn no_debug_formatting_reaches_users() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(files.len() > 20, "found the sources: {}", files.len());
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let shown = file.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap();
        for (line, what) in debug_formatting(&text) {
            found.push(format!("{}:{line}: {what}", shown.display()));
        }
    }
    assert!(
        found.is_empty(),
        "debug formatting where users can read it; use Display or words:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scan_sees_what_it_should_and_nothing_else() {
    let src = r##"
fn f() {
    let label = format!("smtp {}:{} ({:?})", host, port, tls);
    tracing::warn!(to = %c.email, error = %e, ?failure, "delivery failed");
    tracing::info!(repairs = ?parsed.repairs, "repaired");
    anyhow::bail!("bad key ({e:#?})");
    let ok = x?;
    let r = r"(?i)^re: {2}";
    let t = '?';
    assert!(s.is_empty(), "{s:?}");
    // format!("{:?}", in_a_comment)
}
#[cfg(test)]
mod tests {
    fn g() { println!("{:?}", 1); }
}
"##;
    let lines: Vec<usize> = debug_formatting(src).into_iter().map(|(l, _)| l).collect();
    assert_eq!(lines, vec![3, 4, 5, 6]);
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
}

/// Rust source split into code (with comments and literals blanked, so
/// positions and line breaks stay) and its string literals.
struct Split {
    code: Vec<u8>,
    strings: Vec<(usize, String)>,
}

fn split(src: &str) -> Split {
    let b = src.as_bytes();
    let mut code = b.to_vec();
    let mut strings = Vec::new();
    let blank = |code: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut code[from..to] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"//") {
            let end = rest
                .iter()
                .position(|&c| c == b'\n')
                .map_or(b.len(), |n| i + n);
            blank(&mut code, i, end);
            i = end;
        } else if rest.starts_with(b"/*") {
            let (mut depth, mut j) = (1, i + 2);
            while j < b.len() && depth > 0 {
                if b[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if b[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            blank(&mut code, i, j);
            i = j;
        } else if (b[i] == b'r' || (b[i] == b'b' && rest.get(1) == Some(&b'r')))
            && (i == 0 || !ident(b[i - 1]))
            && {
                let r = if b[i] == b'b' { i + 2 } else { i + 1 };
                let hashes = b[r..].iter().take_while(|&&c| c == b'#').count();
                b.get(r + hashes) == Some(&b'"')
            }
        {
            let r = if b[i] == b'b' { i + 2 } else { i + 1 };
            let hashes = b[r..].iter().take_while(|&&c| c == b'#').count();
            let start = r + hashes + 1;
            let mut close = b"\"".to_vec();
            close.extend(std::iter::repeat_n(b'#', hashes));
            let len = b[start..]
                .windows(close.len())
                .position(|w| w == close.as_slice())
                .unwrap_or(b.len() - start);
            strings.push((i, src[start..start + len].to_string()));
            let end = (start + len + close.len()).min(b.len());
            blank(&mut code, i, end);
            i = end;
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            let j = j.min(b.len());
            strings.push((i, src[i + 1..j].to_string()));
            blank(&mut code, i, (j + 1).min(b.len()));
            i = j + 1;
        } else if b[i] == b'\'' {
            // A char literal ('x', '\n', '\u{..}'); anything else is a lifetime.
            let end = if rest.get(1) == Some(&b'\\') {
                // The escaped character itself may be a quote.
                rest.iter()
                    .skip(3)
                    .position(|&c| c == b'\'')
                    .map(|n| i + 3 + n + 1)
            } else {
                let ch = src[i + 1..].chars().next().map_or(1, char::len_utf8);
                (b.get(i + 1 + ch) == Some(&b'\'')).then_some(i + 2 + ch)
            };
            match end {
                Some(end) => {
                    blank(&mut code, i, end);
                    i = end;
                }
                None => i += 1,
            }
        } else {
            i += 1;
        }
    }
    Split { code, strings }
}

/// The ranges of `#[cfg(test)]` items: from the attribute to the end of the
/// item's braces (or its `;`).
fn test_items(code: &[u8]) -> Vec<(usize, usize)> {
    let text = String::from_utf8_lossy(code);
    let mut out = Vec::new();
    for (at, _) in text.match_indices("#[cfg(test)]") {
        let Some(open) = code[at..]
            .iter()
            .position(|&c| c == b'{' || c == b';')
            .map(|n| at + n)
        else {
            continue;
        };
        if code[open] == b';' {
            out.push((at, open + 1));
            continue;
        }
        let mut depth = 0;
        let mut end = code.len();
        for (k, &c) in code.iter().enumerate().skip(open) {
            match c {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = k + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.push((at, end));
    }
    out
}

/// The assert-family macro invocations: their messages are for whoever
/// breaks an invariant, not for operators.
fn assert_calls(code: &[u8]) -> Vec<(usize, usize)> {
    let text = String::from_utf8_lossy(code);
    let re = regex::Regex::new(r"\b(debug_)?assert(_eq|_ne)?!\s*\(").unwrap();
    let mut out = Vec::new();
    for m in re.find_iter(&text) {
        let mut depth = 0;
        for (k, &c) in code.iter().enumerate().skip(m.end() - 1) {
            match c {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        out.push((m.start(), k + 1));
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// (line, what) for each use of debug formatting outside tests and asserts.
fn debug_formatting(src: &str) -> Vec<(usize, String)> {
    let s = split(src);
    let skipped: Vec<(usize, usize)> = test_items(&s.code)
        .into_iter()
        .chain(assert_calls(&s.code))
        .collect();
    let skip = |at: usize| skipped.iter().any(|&(a, b)| (a..b).contains(&at));
    let line = |at: usize| src[..at].matches('\n').count() + 1;
    let placeholder = regex::Regex::new(r"\{[A-Za-z0-9_.]*:[^{}]*\?\}").unwrap();
    let field = regex::Regex::new(
        r"[(,]\s*(?:[A-Za-z_][A-Za-z0-9_.]*\s*=\s*)?\?\s*[A-Za-z_&*(][A-Za-z0-9_.]*",
    )
    .unwrap();
    let mut found = Vec::new();
    for (at, text) in &s.strings {
        if !skip(*at)
            && let Some(m) = placeholder.find(text)
        {
            found.push((line(*at), format!("`{}` in a string", m.as_str())));
        }
    }
    let code = String::from_utf8_lossy(&s.code);
    for m in field.find_iter(&code) {
        if !skip(m.start()) {
            found.push((
                line(m.end() - 1),
                format!("`{}` (a field logged with Debug)", m.as_str().trim()),
            ));
        }
    }
    found.sort();
    found
}
