//! Sentence splitting that survives abbreviations (Mr., U.S., Inc., Jan.),
//! decimals, initials and quotations.

/// Words that end with a period without ending a sentence.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "ft", "inc", "ltd", "co", "corp",
    "llc", "plc", "bros", "vs", "etc", "no", "nos", "vol", "fig", "approx", "est", "dept", "univ",
    "gen", "gov", "sen", "rep", "col", "capt", "lt", "sgt", "cmdr", "adm", "pres", "supt", "rev",
    "hon", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "mon", "tue", "tues", "wed", "thu", "thurs", "fri", "sat", "sun", "e.g", "i.e", "cf", "al",
    "ave", "blvd", "rd", "mln", "bn", "min", "max", "op", "pp", "ed", "eds",
];

/// After an acronym like "U.S.", these words start a new sentence; other
/// capitalised words ("U.S. Army") continue it.
const SENTENCE_STARTERS: &[&str] = &[
    "the",
    "a",
    "an",
    "it",
    "its",
    "he",
    "she",
    "they",
    "we",
    "i",
    "you",
    "in",
    "on",
    "at",
    "but",
    "and",
    "this",
    "that",
    "these",
    "those",
    "there",
    "his",
    "her",
    "their",
    "our",
    "as",
    "for",
    "if",
    "when",
    "while",
    "after",
    "before",
    "since",
    "so",
    "yet",
    "however",
    "meanwhile",
    "still",
    "also",
    "now",
    "then",
    "last",
    "earlier",
];

/// Splits text into sentences. Paragraph breaks always end a sentence.
pub fn split(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.split('\n') {
        let para = para.split_whitespace().collect::<Vec<_>>().join(" ");
        if !para.is_empty() {
            split_paragraph(&para, &mut out);
        }
    }
    out
}

fn split_paragraph(p: &str, out: &mut Vec<String>) {
    let chars: Vec<(usize, char)> = p.char_indices().collect();
    let mut start = 0usize;
    let mut i = 0usize;
    while i < chars.len() {
        let (_, c) = chars[i];
        if matches!(c, '.' | '!' | '?' | '…') {
            // Swallow runs like "?!" or "..." and closing quotes/brackets.
            let mut j = i + 1;
            while j < chars.len()
                && matches!(
                    chars[j].1,
                    '.' | '!' | '?' | '…' | '"' | '\'' | '”' | '’' | ')' | ']'
                )
            {
                j += 1;
            }
            // A boundary needs whitespace next, then something that can open a sentence.
            if j < chars.len() && chars[j].1 == ' ' {
                let k = j + 1;
                if k < chars.len()
                    && opens_sentence(chars[k].1)
                    && !is_abbreviation(p, &chars, start, i, k)
                {
                    let end = chars[j].0;
                    push(out, &p[start..end]);
                    start = chars[k].0;
                    i = k;
                    continue;
                }
            }
            i = j;
            continue;
        }
        i += 1;
    }
    push(out, &p[start..]);
}

fn push(out: &mut Vec<String>, s: &str) {
    let s = s.trim();
    if !s.is_empty() {
        out.push(s.to_string());
    }
}

fn opens_sentence(c: char) -> bool {
    c.is_uppercase() || c.is_ascii_digit() || matches!(c, '"' | '\'' | '“' | '‘' | '(' | '[')
}

/// Is the period at `dot` part of an abbreviation rather than a sentence end?
fn is_abbreviation(
    p: &str,
    chars: &[(usize, char)],
    start: usize,
    dot: usize,
    next: usize,
) -> bool {
    if chars[dot].1 != '.' {
        return false;
    }
    // The word before the period.
    let mut w = dot;
    while w > start && !chars[w - 1].1.is_whitespace() {
        w -= 1;
    }
    let word: String = chars[w..dot].iter().map(|(_, c)| *c).collect();
    let word = word.trim_start_matches(['(', '"', '“', '\'', '‘']);
    if word.is_empty() {
        return false;
    }
    let lower = word.to_lowercase();
    if ABBREVIATIONS.contains(&lower.as_str()) {
        return true;
    }
    // A single capital letter: an initial ("John F. Kennedy").
    if word.chars().count() == 1 && word.chars().all(char::is_uppercase) {
        return true;
    }
    // Dotted acronyms (U.S., U.K., a.m.): continue unless a typical sentence opener follows.
    if word.contains('.') && word.split('.').all(|part| part.chars().count() <= 2) {
        let next_word: String = p[chars[next].0..]
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        return !SENTENCE_STARTERS.contains(&next_word.as_str());
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_abbreviations_initials_and_decimals() {
        let s = split(
            "Mr. Smith of Acme Inc. paid $3.5 billion on Jan. 5 for the firm. John F. Kennedy was not involved. It rose 2.4% in the U.S. The deal closes in 2027.",
        );
        assert_eq!(
            s,
            vec![
                "Mr. Smith of Acme Inc. paid $3.5 billion on Jan. 5 for the firm.",
                "John F. Kennedy was not involved.",
                "It rose 2.4% in the U.S.",
                "The deal closes in 2027.",
            ]
        );
    }

    #[test]
    fn keeps_quotes_with_their_sentence() {
        let s = split("\"We are thrilled,\" she said. \"It works!\" He agreed? Yes.");
        assert_eq!(
            s,
            vec![
                "\"We are thrilled,\" she said.",
                "\"It works!\"",
                "He agreed?",
                "Yes."
            ]
        );
    }

    #[test]
    fn acronym_before_a_name_continues() {
        let s = split("The U.S. Army bought drones. It paid cash.");
        assert_eq!(s, vec!["The U.S. Army bought drones.", "It paid cash."]);
    }

    #[test]
    fn paragraphs_end_sentences() {
        assert_eq!(
            split("A heading\nBody text here."),
            vec!["A heading", "Body text here."]
        );
    }
}
