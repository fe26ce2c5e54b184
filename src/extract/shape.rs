//! How deep and how big a page's element tree will be, read from the bytes
//! before anything is parsed.
//!
//! Readability scoring does work per element over that element's subtree
//! (selector walks, text lengths), so its cost grows with elements times
//! depth: 20,000 nested `<div>`s (100 KB) took a minute, and html5ever's
//! scope checks are themselves linear in the depth of the open elements.
//! One pass over the tags here costs a few milliseconds on 10 MiB and lets
//! such pages be refused before any of that starts.
//!
//! The count follows the HTML tree builder only as far as it matters for
//! ordinary pages: void elements do not nest, the raw-text elements hide
//! their contents, an end tag closes everything opened after its start tag,
//! and an unclosed `<p>`, `<li>` or table cell is closed by the next one. Where
//! it differs from the parser it counts deeper than the parser builds, never
//! much shallower.

use std::collections::HashMap;

/// Deeper than this, the page is refused. Browsers stop nesting at about
/// 512 (Chromium's tree builder flattens from there); the 88 pages of the
/// extraction corpus reach at most 51 by this count, so 400 leaves real
/// pages a wide margin.
pub const MAX_DEPTH: usize = 400;

/// More elements than this, the page is refused. The largest page of the
/// extraction corpus has 1,569; a 10 MiB page of short paragraphs has
/// 140,000. 99,000 paragraphs took 0.4 s of CPU but up to 1.1 s on this
/// shared machine, so the cap sits at half that.
pub const MAX_ELEMENTS: usize = 50_000;

/// Each element's depth, summed over the page: what scoring actually pays
/// for, since every element is visited once from each of its ancestors.
/// Neither limit above bounds it alone: 250 chains 400 deep stay under both
/// and took over a second. The corpus's pages reach at most 21,076; this
/// allows 50,000 elements at an average depth of 100.
pub const MAX_DEPTH_SUM: usize = 5_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shape {
    pub max_depth: usize,
    pub elements: usize,
    pub depth_sum: usize,
}

/// Why a page is not handed to the parser.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TooComplex {
    #[error("page nested {depth} deep, over the {limit} limit")]
    Deep { depth: usize, limit: usize },
    #[error("page has more than {limit} elements")]
    Big { limit: usize },
    #[error("page's element depths sum to more than {limit}")]
    Tangled { limit: usize },
}

/// Refuses a page over either limit. The scan stops as soon as one is
/// passed, so the depth reported is where it stopped: at least that deep.
pub fn check(html: &str) -> Result<Shape, TooComplex> {
    let shape = measure(html, MAX_DEPTH, MAX_ELEMENTS, MAX_DEPTH_SUM);
    if shape.max_depth > MAX_DEPTH {
        // The whole depth, for the log: one more linear pass.
        let max = usize::MAX;
        Err(TooComplex::Deep {
            depth: measure(html, max, max, max).max_depth,
            limit: MAX_DEPTH,
        })
    } else if shape.elements > MAX_ELEMENTS {
        Err(TooComplex::Big {
            limit: MAX_ELEMENTS,
        })
    } else if shape.depth_sum > MAX_DEPTH_SUM {
        Err(TooComplex::Tangled {
            limit: MAX_DEPTH_SUM,
        })
    } else {
        Ok(shape)
    }
}

/// Elements that never have children.
const VOID: &[&[u8]] = &[
    b"area",
    b"base",
    b"br",
    b"col",
    b"embed",
    b"hr",
    b"img",
    b"input",
    b"keygen",
    b"link",
    b"meta",
    b"param",
    b"source",
    b"track",
    b"wbr",
    b"basefont",
    b"bgsound",
    b"frame",
    b"image",
];

/// Elements whose contents the tokenizer reads as text up to their end tag.
const RAW: &[&[u8]] = &[
    b"script",
    b"style",
    b"textarea",
    b"title",
    b"xmp",
    b"iframe",
    b"noembed",
    b"noframes",
    b"noscript",
];

/// Elements a second one of the same kind closes (a new paragraph ends the
/// open one; table cells and list items the same), looked for only near the
/// top of the open elements so the scan stays linear.
const SELF_CLOSING: &[&[u8]] = &[
    b"p", b"li", b"dt", b"dd", b"option", b"tr", b"td", b"th", b"a", b"button", b"h1", b"h2",
    b"h3", b"h4", b"h5", b"h6",
];

/// How far down the open elements an implied end is looked for.
const NEAR: usize = 8;

/// Scans until one of the figures passes its limit, so a hostile page costs
/// no more than an acceptable one.
pub fn measure(html: &str, depth_limit: usize, element_limit: usize, sum_limit: usize) -> Shape {
    let b = html.as_bytes();
    let mut shape = Shape::default();
    // Open elements by name, and how many of each are open, so an end tag
    // with no open start tag is ignored without a search.
    let mut open: Vec<Vec<u8>> = Vec::new();
    let mut counts: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut at = 0;
    while let Some(i) = memchr::memchr(b'<', &b[at..]) {
        let lt = at + i;
        let rest = &b[lt + 1..];
        match rest.first() {
            Some(b'!') => {
                at = if rest.starts_with(b"!--") {
                    find(b, lt + 4, b"-->").map_or(b.len(), |e| e + 3)
                } else {
                    memchr::memchr(b'>', rest).map_or(b.len(), |e| lt + 2 + e)
                };
                continue;
            }
            Some(b'?') => {
                at = memchr::memchr(b'>', rest).map_or(b.len(), |e| lt + 2 + e);
                continue;
            }
            Some(b'/') => {
                let name = tag_name(&rest[1..]);
                at = tag_end(b, lt + 2 + name.len());
                if name.is_empty() {
                    continue;
                }
                let name = name.to_ascii_lowercase();
                if counts.get(&name).copied().unwrap_or(0) > 0 {
                    while let Some(top) = open.pop() {
                        decrement(&mut counts, &top);
                        if top == name {
                            break;
                        }
                    }
                }
                continue;
            }
            Some(c) if c.is_ascii_alphabetic() => {}
            _ => {
                at = lt + 1;
                continue;
            }
        }
        let name = tag_name(rest).to_ascii_lowercase();
        let end = tag_end(b, lt + 1 + name.len());
        at = end;
        shape.elements += 1;
        if shape.elements > element_limit {
            break;
        }
        // Its depth once the implied ends below are taken is at most this.
        shape.depth_sum = shape.depth_sum.saturating_add(open.len() + 1);
        if shape.depth_sum > sum_limit {
            break;
        }
        if VOID.contains(&name.as_slice()) {
            continue;
        }
        if RAW.contains(&name.as_slice()) {
            at = raw_end(b, end, &name);
            continue;
        }
        if SELF_CLOSING.contains(&name.as_slice())
            && counts.get(&name).copied().unwrap_or(0) > 0
            && let Some(k) = open.iter().rev().take(NEAR).position(|n| *n == name)
        {
            for _ in 0..=k {
                if let Some(top) = open.pop() {
                    decrement(&mut counts, &top);
                }
            }
        }
        // `<div/>` is an open `<div>` to the HTML parser, but inside SVG
        // and MathML it is an empty element, and those are where it is
        // written; counting it open would make a big inline chart deep.
        if b[..end].ends_with(b"/>") {
            continue;
        }
        *counts.entry(name.clone()).or_insert(0) += 1;
        open.push(name);
        shape.max_depth = shape.max_depth.max(open.len());
        if shape.max_depth > depth_limit {
            break;
        }
    }
    shape
}

fn decrement(counts: &mut HashMap<Vec<u8>, usize>, name: &[u8]) {
    if let Some(c) = counts.get_mut(name) {
        *c = c.saturating_sub(1);
    }
}

fn tag_name(bytes: &[u8]) -> &[u8] {
    let n = bytes
        .iter()
        .position(|c| c.is_ascii_whitespace() || matches!(c, b'/' | b'>'))
        .unwrap_or(bytes.len());
    &bytes[..n]
}

/// Just past the `>` that ends a tag whose attributes start at `from`; a `>`
/// inside a quoted attribute value does not end it.
fn tag_end(b: &[u8], from: usize) -> usize {
    let mut i = from;
    let mut after_eq = false;
    while i < b.len() {
        match b[i] {
            b'>' => return i + 1,
            b'=' => after_eq = true,
            q @ (b'"' | b'\'') if after_eq => {
                i = memchr::memchr(q, &b[i + 1..]).map_or(b.len(), |e| i + 1 + e);
                after_eq = false;
            }
            c if c.is_ascii_whitespace() => {}
            _ => after_eq = false,
        }
        i += 1;
    }
    b.len()
}

/// Past the end tag of a raw-text element opened before `from`.
fn raw_end(b: &[u8], from: usize, name: &[u8]) -> usize {
    let mut at = from;
    while let Some(lt) = find(b, at, b"</") {
        let tag = &b[lt + 2..];
        if tag.len() >= name.len() && tag[..name.len()].eq_ignore_ascii_case(name) {
            return tag_end(b, lt + 2 + name.len());
        }
        at = lt + 2;
    }
    b.len()
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(bytes.get(from..)?, needle).map(|i| from + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(html: &str) -> (usize, usize) {
        let s = measure(html, usize::MAX, usize::MAX, usize::MAX);
        (s.max_depth, s.elements)
    }

    #[test]
    fn counts_nesting_as_the_parser_builds_it() {
        assert_eq!(
            shape("<html><body><div><p>a</p><p>b</p></div></body></html>"),
            (4, 5)
        );
        // Void elements, self-closed SVG shapes and unclosed paragraphs
        // and cells do not nest.
        assert_eq!(
            shape("<div><br><img src=x><svg><path d='M0'/></svg></div>"),
            (2, 5)
        );
        assert_eq!(
            shape("<div><p>one<p>two<p><b>three</b><p>four</div>"),
            (3, 6)
        );
        assert_eq!(shape("<table><tr><td>1<td>2<tr><td>3</table>"), (3, 6));
        // An end tag closes what was left open inside its element, and a
        // stray one closes nothing.
        assert_eq!(shape("<div><span><i>x</div></b><div>y</div>"), (3, 4));
    }

    #[test]
    fn markup_inside_text_comments_and_attributes_is_not_counted() {
        let html = "<div title=\"a > <div>\"><!-- <div><div> --><textarea><div><div></textarea><title><p></title></div>";
        assert_eq!(shape(html), (1, 3));
        assert_eq!(shape("a < b and c <3 d"), (0, 0));
    }

    #[test]
    fn refuses_deep_and_huge_pages_and_says_why() {
        let deep = format!("{}x{}", "<div>".repeat(1000), "</div>".repeat(1000));
        assert_eq!(
            check(&deep).unwrap_err().to_string(),
            "page nested 1000 deep, over the 400 limit"
        );
        let wide = "<p>x</p>".repeat(MAX_ELEMENTS + 1);
        assert_eq!(
            check(&wide).unwrap_err().to_string(),
            "page has more than 50000 elements"
        );
        let fine = format!("{}x{}", "<div>".repeat(400), "</div>".repeat(400));
        assert_eq!(check(&fine).map(|s| s.max_depth), Ok(400));
        let forest = fine.repeat(70);
        assert_eq!(
            check(&forest).unwrap_err().to_string(),
            "page's element depths sum to more than 5000000"
        );
    }
}
