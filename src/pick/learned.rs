//! Learned section weights for short texts: one tech and one business number
//! per wordpiece (`src/pick/wordpieces.tsv`), relative to "other". A text's
//! score for a section is the mean of its pieces' numbers plus that section's
//! bias, so a headline and a headline with its description are scored on the
//! same scale.
//!
//! The numbers are a linear classifier over fixed wordpiece vectors from a
//! sentence encoder, folded into one number per piece; words the training
//! text never used still get a weight from what the encoder knows of them.
//! `scripts/sections-model/build.py` rebuilds the file, and its README gives
//! the training material, its licences and the measured figures.

use super::wordpiece::{UNKNOWN, each_piece};
use crate::domain::Section;
use std::collections::HashMap;

/// A text's learned scores, relative to "other" (which scores 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    pub tech: f64,
    pub business: f64,
}

impl Scores {
    pub fn section(&self) -> Section {
        if self.tech > 0.0 && self.tech >= self.business {
            Section::Tech
        } else if self.business > 0.0 {
            Section::Business
        } else {
            Section::Other
        }
    }
}

/// How much one wordpiece of a text moved its scores.
#[derive(Debug, Clone, PartialEq)]
pub struct PieceEvidence {
    pub piece: String,
    pub count: usize,
    /// This piece's share of each score: its weight times its count, over the
    /// text's number of pieces.
    pub tech: f64,
    pub business: f64,
}

struct Weights {
    bias: (f64, f64),
    pieces: HashMap<&'static str, (f32, f32)>,
}

fn weights() -> &'static Weights {
    static WEIGHTS: std::sync::OnceLock<Weights> = std::sync::OnceLock::new();
    WEIGHTS.get_or_init(|| {
        parse(include_str!("wordpieces.tsv"))
            .unwrap_or_else(|e| panic!("src/pick/wordpieces.tsv: {e}"))
    })
}

const BIAS: &str = "[BIAS]";

/// A header line, a `[BIAS]` line, then `piece<TAB>tech<TAB>business`.
fn parse(text: &'static str) -> Result<Weights, String> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, "wordpiece\ttech\tbusiness")) => {}
        _ => return Err("line 1: want the header \"wordpiece, tech, business\"".into()),
    }
    let mut bias = None;
    let mut pieces = HashMap::new();
    for (n, line) in lines {
        let fields: Vec<&str> = line.split('\t').collect();
        let [piece, tech, business] = fields[..] else {
            return Err(format!("line {}: want a wordpiece and two weights", n + 1));
        };
        let number = |s: &str| {
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("line {}: weight \"{s}\" is not a number", n + 1))
        };
        let (t, b) = (number(tech)?, number(business)?);
        if piece == BIAS {
            bias = Some((t, b));
        } else if piece.is_empty() || pieces.insert(piece, (t as f32, b as f32)).is_some() {
            return Err(format!("line {}: empty or repeated wordpiece", n + 1));
        }
    }
    let bias = bias.ok_or("no [BIAS] line")?;
    if !pieces.contains_key(UNKNOWN) {
        return Err(format!("no weight for the unknown piece {UNKNOWN}"));
    }
    Ok(Weights { bias, pieces })
}

fn pieces_of(text: &str) -> Vec<(&'static str, (f32, f32))> {
    let w = weights();
    let mut out = Vec::new();
    each_piece(
        text,
        |p| w.pieces.contains_key(p),
        |p| {
            let (&key, &v) = w
                .pieces
                .get_key_value(p)
                .or_else(|| w.pieces.get_key_value(UNKNOWN))
                .expect("the unknown piece has a weight");
            out.push((key, v));
        },
    );
    out
}

/// The text's scores; a text with no pieces scores the biases alone.
pub fn scores(text: &str) -> Scores {
    let w = weights();
    let pieces = pieces_of(text);
    let n = pieces.len().max(1) as f64;
    let (t, b) = pieces.iter().fold((0.0, 0.0), |(t, b), (_, (pt, pb))| {
        (t + f64::from(*pt), b + f64::from(*pb))
    });
    Scores {
        tech: t / n + w.bias.0,
        business: b / n + w.bias.1,
    }
}

/// The pieces that moved the text's scores most, largest first.
pub fn evidence(text: &str, limit: usize) -> Vec<PieceEvidence> {
    let pieces = pieces_of(text);
    let n = pieces.len().max(1) as f64;
    let mut by_piece: HashMap<&str, (usize, f32, f32)> = HashMap::new();
    for (p, (t, b)) in &pieces {
        let e = by_piece.entry(p).or_insert((0, *t, *b));
        e.0 += 1;
    }
    let mut out: Vec<PieceEvidence> = by_piece
        .into_iter()
        .map(|(piece, (count, t, b))| PieceEvidence {
            piece: piece.to_string(),
            count,
            tech: f64::from(t) * count as f64 / n,
            business: f64::from(b) * count as f64 / n,
        })
        .collect();
    let size = |e: &PieceEvidence| e.tech.abs().max(e.business.abs());
    out.sort_by(|a, b| {
        size(b)
            .total_cmp(&size(a))
            .then_with(|| a.piece.cmp(&b.piece))
    });
    out.truncate(limit);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_weights_parse_and_bad_files_are_refused() {
        assert!(weights().pieces.len() > 20_000);
        let ok = "wordpiece\ttech\tbusiness\n[BIAS]\t0.1\t0.2\n[UNK]\t0\t0\nchip\t3\t-1\n";
        let w = parse(ok).unwrap();
        assert_eq!(w.bias, (0.1, 0.2));
        assert!(parse("chip\t3\t-1\n").is_err());
        assert!(parse("wordpiece\ttech\tbusiness\n[UNK]\t0\t0\n").is_err());
        assert!(parse("wordpiece\ttech\tbusiness\n[BIAS]\t0\t0\n[UNK]\t0\tx\n").is_err());
        assert!(
            parse("wordpiece\ttech\tbusiness\n[BIAS]\t0\t0\n[UNK]\t0\t0\n[UNK]\t0\t0\n").is_err()
        );
    }

    #[test]
    fn headlines_the_lexicon_has_no_words_for_still_find_their_section() {
        // Words a hand list would not hold, in headlines of our own.
        for (text, want) in [
            ("Adobe opens the RTMP specification", Section::Tech),
            ("Kubernetes operators for Kafka clusters", Section::Tech),
            ("Hadoop and Django for log analysis", Section::Tech),
            (
                "Treasury yields climb as traders price in fewer cuts",
                Section::Business,
            ),
            (
                "Retailer's quarterly revenue beats forecasts",
                Section::Business,
            ),
            ("Striker's late goal seals the derby", Section::Other),
            (
                "Actress wins best supporting role at the awards",
                Section::Other,
            ),
            (
                "Village choir wins the regional singing contest",
                Section::Other,
            ),
        ] {
            assert_eq!(scores(text).section(), want, "{text}: {:?}", scores(text));
        }
    }

    #[test]
    fn texts_split_into_the_pieces_the_weights_were_learned_on() {
        // As the encoder's own tokenizer splits them (checked when the file was built).
        let split = |t: &str| pieces_of(t).into_iter().map(|(p, _)| p).collect::<Vec<_>>();
        assert_eq!(
            split("RubyForge moves to PostgreSQL"),
            [
                "ruby", "##for", "##ge", "moves", "to", "post", "##gre", "##s", "##q", "##l"
            ]
        );
        assert_eq!(
            split("Nvidia's H200: £5.99 $100bn"),
            [
                "n", "##vid", "##ia", "'", "s", "h", "##200", ":", "£5", ".", "99", "$", "100",
                "##bn"
            ]
        );
        assert_eq!(split(&format!("{} ok", "a".repeat(101))), [UNKNOWN, "ok"]);
    }

    #[test]
    fn evidence_shares_add_up_to_the_score_less_the_bias() {
        let text = "Chipmaker shares jump on record data-centre sales";
        let s = scores(text);
        let e = evidence(text, usize::MAX);
        let tech: f64 = e.iter().map(|p| p.tech).sum();
        assert!((tech + weights().bias.0 - s.tech).abs() < 1e-9);
        assert!(
            e.windows(2)
                .all(|w| w[0].tech.abs().max(w[0].business.abs())
                    >= w[1].tech.abs().max(w[1].business.abs()))
        );
    }
}
