//! Titles as weighted term vectors: each term weighs by how rare it is in
//! news at large (`document_frequencies.tsv`, paragraph counts over general
//! news text) and in the batch being clustered, so a name that fills one
//! week's headlines still tells stories apart less than a rare one.
//!
//! Terms: lower-case runs of letters and digits (an apostrophe inside a word
//! keeps it whole, as does a comma or point between digits), a possessive "'s" dropped, a plural "s" dropped from words
//! of more than three letters (not "ss"), an amount like "100b" or "1.5bn"
//! read as its figure and "billion", and the words of `stopwords.txt`
//! left out. `scripts/cluster-terms/build.py` makes its counts the same way.

use std::collections::HashMap;

/// One title's terms with their weights, L2-normalised, sorted by term id.
pub type Vector = Vec<(u32, f32)>;

pub fn terms(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let chars: Vec<char> = lower.chars().collect();
    let mut out = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).map(|b| chars[b]);
        let after = chars.get(i + 1).copied();
        // "don't" and "Kestrel's" stay one word, and so do "5,000" and "8.4".
        let apostrophe_inside = matches!(c, '\'' | '’')
            && before.is_some_and(char::is_alphanumeric)
            && after.is_some_and(char::is_alphanumeric);
        let separator_inside = matches!(c, ',' | '.')
            && before.is_some_and(|b| b.is_ascii_digit())
            && after.is_some_and(|a| a.is_ascii_digit());
        if c.is_alphanumeric() || apostrophe_inside || separator_inside {
            word.push(c);
        } else {
            finish(&mut word, &mut out);
        }
    }
    finish(&mut word, &mut out);
    out
}

fn finish(word: &mut String, out: &mut Vec<String>) {
    if word.is_empty() {
        return;
    }
    let mut w = std::mem::take(word);
    for possessive in ["'s", "’s"] {
        if let Some(stem) = w.strip_suffix(possessive) {
            w = stem.to_string();
        }
    }
    w.retain(|c| c != '\'' && c != '’');
    // Before the plural goes: "100ms" is not "100m".
    if let Some((figure, unit)) = amount(&w) {
        out.push(figure.to_string());
        out.push(unit.to_string());
        return;
    }
    if w.chars().count() > 3 && w.ends_with('s') && !w.ends_with("ss") {
        w.pop();
    }
    if !w.is_empty() && !stopwords().contains(w.as_str()) {
        out.push(w);
    }
}

/// "100b" and "1.5bn" are "100 billion" and "1.5 billion", so that one
/// headline's "$100B" meets another's "$100 billion".
fn amount(word: &str) -> Option<(&str, &'static str)> {
    let split = word.find(|c: char| !c.is_ascii_digit() && c != '.' && c != ',')?;
    let (figure, unit) = word.split_at(split);
    if !figure.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let unit = match unit {
        "m" | "mn" => "million",
        "b" | "bn" => "billion",
        "tn" => "trillion",
        _ => return None,
    };
    Some((figure, unit))
}

fn stopwords() -> &'static std::collections::HashSet<&'static str> {
    static WORDS: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    WORDS.get_or_init(|| include_str!("stopwords.txt").split_whitespace().collect())
}

struct Background {
    paragraphs: f64,
    counts: HashMap<&'static str, u32>,
}

fn background() -> &'static Background {
    static BACKGROUND: std::sync::OnceLock<Background> = std::sync::OnceLock::new();
    BACKGROUND.get_or_init(|| {
        parse_background(include_str!("document_frequencies.tsv"))
            .unwrap_or_else(|e| panic!("src/cluster/document_frequencies.tsv: {e}"))
    })
}

/// A header, an `[ALL]` line with the number of paragraphs, then
/// `term<TAB>paragraphs`.
fn parse_background(text: &'static str) -> Result<Background, String> {
    let mut lines = text.lines().enumerate();
    if lines.next().map(|(_, l)| l) != Some("term\tparagraphs") {
        return Err("line 1: want the header \"term, paragraphs\"".into());
    }
    let mut paragraphs = None;
    let mut counts = HashMap::new();
    for (n, line) in lines {
        let Some((term, count)) = line.split_once('\t') else {
            return Err(format!("line {}: want a term and a count", n + 1));
        };
        let count: u32 = count
            .parse()
            .map_err(|_| format!("line {}: count \"{count}\" is not a whole number", n + 1))?;
        if term == "[ALL]" {
            paragraphs = Some(f64::from(count));
        } else if counts.insert(term, count).is_some() {
            return Err(format!("line {}: \"{term}\" is listed twice", n + 1));
        }
    }
    let paragraphs = paragraphs.ok_or("no [ALL] line")?;
    Ok(Background { paragraphs, counts })
}

/// Each title's vector. Term ids are local to the batch.
pub fn vectors<'a>(titles: impl Iterator<Item = &'a str>) -> Vec<Vector> {
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut words: Vec<String> = Vec::new();
    let counted: Vec<Vec<(u32, u32)>> = titles
        .map(|t| {
            let mut tf: HashMap<u32, u32> = HashMap::new();
            for w in terms(t) {
                let next = u32::try_from(ids.len()).expect("fewer than 2^32 terms");
                let id = *ids.entry(w.clone()).or_insert_with(|| {
                    words.push(w);
                    next
                });
                *tf.entry(id).or_default() += 1;
            }
            let mut v: Vec<(u32, u32)> = tf.into_iter().collect();
            v.sort_unstable();
            v
        })
        .collect();
    let mut in_batch = vec![0u32; words.len()];
    for v in &counted {
        for &(id, _) in v {
            in_batch[id as usize] += 1;
        }
    }
    let bg = background();
    let documents = bg.paragraphs + counted.len() as f64 + 1.0;
    let idf: Vec<f64> = words
        .iter()
        .zip(&in_batch)
        .map(|(w, &n)| {
            let seen = f64::from(bg.counts.get(w.as_str()).copied().unwrap_or(0) + n);
            (documents / seen).ln()
        })
        .collect();
    counted
        .into_iter()
        .map(|v| {
            let weighted: Vec<(u32, f64)> = v
                .into_iter()
                .map(|(id, tf)| (id, (1.0 + f64::from(tf).ln()) * idf[id as usize]))
                .collect();
            let norm = weighted.iter().map(|(_, x)| x * x).sum::<f64>().sqrt();
            weighted
                .into_iter()
                .map(|(id, x)| (id, if norm > 0.0 { (x / norm) as f32 } else { 0.0 }))
                .collect()
        })
        .collect()
}

/// How many terms two titles share, and the cosine of their normalised vectors.
pub fn overlap(a: &Vector, b: &Vector) -> (usize, f64) {
    let (mut shared, mut dot) = (0, 0.0f64);
    super::each_common(
        a,
        b,
        |t| t.0,
        |x, y| {
            shared += 1;
            dot += f64::from(x.1) * f64::from(y.1);
        },
    );
    (shared, dot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_drop_possessives_plurals_and_stopwords() {
        assert_eq!(
            terms("Kanye's wedding plans: the U.S. says it’s over for Apple's chips"),
            ["kanye", "wedding", "plan", "u", "s", "apple", "chip"]
        );
        assert_eq!(
            terms("Business class, bus, gas, Kestrels"),
            ["business", "class", "bus", "gas", "kestrel"]
        );
        assert_eq!(terms("rock 'n' roll don't"), ["rock", "n", "roll", "dont"]);
        assert_eq!(
            terms("5,000 jobs, $8.4bn, 3. Then"),
            ["5,000", "job", "8.4", "billion", "3", "then"]
        );
        // One headline's "$100B" is another's "$100 billion"; a word that
        // only begins with a figure is left whole.
        assert_eq!(
            terms("$100B, 250m, 3tn"),
            ["100", "billion", "250", "million", "3", "trillion"]
        );
        assert_eq!(terms("5G, 4k, 3bm, 100ms"), ["5g", "4k", "3bm", "100m"]);
    }

    #[test]
    fn the_shipped_counts_parse_and_bad_files_are_refused() {
        assert!(background().counts.len() > 5_000);
        assert!(background().paragraphs > 1_000.0);
        assert!(parse_background("term\tparagraphs\n[ALL]\t10\nchip\t3\n").is_ok());
        assert!(parse_background("term\tparagraphs\nchip\t3\n").is_err());
        assert!(parse_background("term\tparagraphs\n[ALL]\t10\nchip\tx\n").is_err());
        assert!(parse_background("[ALL]\t10\n").is_err());
    }

    #[test]
    fn rare_shared_words_count_for_more_than_common_ones() {
        let v = vectors(
            [
                "Kestrel unveils K9 chip",
                "Kestrel K9 chip ships",
                "Government unveils budget",
                "Government budget ships",
            ]
            .into_iter(),
        );
        assert!(overlap(&v[0], &v[1]).1 > overlap(&v[2], &v[3]).1);
        assert!((overlap(&v[0], &v[0]).1 - 1.0).abs() < 1e-6);
        assert_eq!(overlap(&v[0], &v[1]).0, 3);
        assert_eq!(overlap(&v[0], &v[2]), overlap(&v[2], &v[0]));
    }
}
