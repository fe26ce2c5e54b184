//! Text into the wordpieces of an uncased BERT-style vocabulary, split the way
//! the encoder that `src/pick/wordpieces.tsv` was learned from splits it: lower
//! case, accents stripped, punctuation and CJK ideographs on their own, then
//! each word cut greedily into the longest pieces the vocabulary holds
//! ("postgresql" into "post", "##gre", "##s", "##q", "##l"). A word with no
//! such cut is one unknown piece.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Words longer than this are one unknown piece, as in the encoder.
const MAX_WORD_CHARS: usize = 100;

/// The piece a word with no cut becomes.
pub const UNKNOWN: &str = "[UNK]";

/// Calls `visit` with each wordpiece of `text` (continuations carry their
/// `##`), or with [`UNKNOWN`] for a word the vocabulary cannot spell.
pub fn each_piece(text: &str, has: impl Fn(&str) -> bool, mut visit: impl FnMut(&str)) {
    let mut piece = String::new();
    for word in words(text) {
        let chars: Vec<char> = word.chars().collect();
        if chars.len() > MAX_WORD_CHARS {
            visit(UNKNOWN);
            continue;
        }
        let mut cuts: Vec<(usize, usize)> = Vec::new();
        let mut start = 0;
        while start < chars.len() {
            let found = (start + 1..=chars.len()).rev().find(|&end| {
                piece.clear();
                if start > 0 {
                    piece.push_str("##");
                }
                piece.extend(&chars[start..end]);
                has(&piece)
            });
            match found {
                Some(end) => {
                    cuts.push((start, end));
                    start = end;
                }
                None => {
                    cuts.clear();
                    break;
                }
            }
        }
        if cuts.is_empty() {
            visit(UNKNOWN);
            continue;
        }
        for (start, end) in cuts {
            piece.clear();
            if start > 0 {
                piece.push_str("##");
            }
            piece.extend(&chars[start..end]);
            visit(&piece);
        }
    }
}

/// Lower-case, accent-free words, with each punctuation mark and CJK
/// ideograph a word of its own.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<String>| {
        if !word.is_empty() {
            out.push(std::mem::take(word));
        }
    };
    for c in text.nfd() {
        if is_combining_mark(c) || is_invisible(c) {
            continue;
        }
        if c.is_whitespace() {
            flush(&mut word, &mut out);
        } else if is_punctuation(c) || is_cjk(c) {
            flush(&mut word, &mut out);
            out.push(c.to_lowercase().collect());
        } else {
            word.extend(c.to_lowercase());
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Control and format characters (soft hyphens, zero-width spaces, byte-order
/// marks) vanish without splitting the word they sit in.
fn is_invisible(c: char) -> bool {
    (c.is_control() && !c.is_whitespace())
        || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{fffd}')
}

/// ASCII punctuation and symbols, and the Unicode punctuation news text
/// carries (dashes, curly quotes, ellipses, CJK and full-width marks).
/// Currency signs such as £ and € are not punctuation: "£5" stays one word.
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c,
            '\u{a1}' | '\u{a7}' | '\u{ab}' | '\u{b6}' | '\u{b7}' | '\u{bb}' | '\u{bf}'
            | '\u{37e}' | '\u{387}'
            | '\u{2010}'..='\u{2027}'
            | '\u{2030}'..='\u{2043}'
            | '\u{2045}'..='\u{2051}'
            | '\u{2053}'..='\u{205e}'
            | '\u{3001}'..='\u{3003}'
            | '\u{3008}'..='\u{3011}'
            | '\u{3014}'..='\u{301f}'
            | '\u{ff01}'..='\u{ff03}'
            | '\u{ff05}'..='\u{ff0a}'
            | '\u{ff0c}'..='\u{ff0f}'
            | '\u{ff1a}' | '\u{ff1b}' | '\u{ff1f}' | '\u{ff20}'
            | '\u{ff3b}'..='\u{ff3d}'
            | '\u{ff3f}' | '\u{ff5b}' | '\u{ff5d}'
            | '\u{ff5f}'..='\u{ff65}')
}

fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{4e00}'..='\u{9fff}'
        | '\u{3400}'..='\u{4dbf}'
        | '\u{20000}'..='\u{2a6df}'
        | '\u{2a700}'..='\u{2ceaf}'
        | '\u{f900}'..='\u{faff}'
        | '\u{2f800}'..='\u{2fa1f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(text: &str, vocab: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        each_piece(text, |p| vocab.contains(&p), |p| out.push(p.to_string()));
        out
    }

    #[test]
    fn words_are_lowered_stripped_of_accents_and_split_at_punctuation() {
        assert_eq!(
            words("Café déjà vu — naïve “quotes” £5.99 $100bn"),
            [
                "cafe", "deja", "vu", "—", "naive", "“", "quotes", "”", "£5", ".", "99", "$",
                "100bn"
            ]
        );
        assert_eq!(
            words("e-mail... well!"),
            ["e", "-", "mail", ".", ".", ".", "well", "!"]
        );
        assert_eq!(words("東京 startup"), ["東", "京", "startup"]);
        assert_eq!(
            words("soft\u{ad}hyphen zero\u{200b}width tab\there"),
            ["softhyphen", "zerowidth", "tab", "here"]
        );
        assert_eq!(
            words("x‰y §7 ¿qué?"),
            ["x", "‰", "y", "§", "7", "¿", "que", "?"]
        );
    }

    #[test]
    fn a_word_is_cut_into_the_longest_pieces_the_vocabulary_holds() {
        let vocab = ["post", "##gre", "##s", "##q", "##l", "po", "##st", "ok"];
        assert_eq!(
            pieces("PostgreSQL ok", &vocab),
            ["post", "##gre", "##s", "##q", "##l", "ok"]
        );
        // No cut at all, or too long a word: one unknown piece, not a partial one.
        assert_eq!(pieces("postx", &vocab), [UNKNOWN]);
        assert_eq!(
            pieces(&format!("{} ok", "a".repeat(101)), &["a", "##a", "ok"]),
            [UNKNOWN, "ok"]
        );
    }
}
