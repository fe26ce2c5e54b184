//! Content words: lower-cased, stop words dropped, lightly stemmed. Both
//! the extractive scorer and the grounding check compare sentences by them.

pub fn content_words(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 1)
        .map(str::to_lowercase)
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .map(|w| stem(&w))
}

/// A light suffix strip, enough to match "shares"/"share", "launched"/"launch".
fn stem(w: &str) -> String {
    for suf in ["ings", "ing", "ied", "ies", "ed", "es", "s"] {
        if let Some(base) = w.strip_suffix(suf)
            && base.chars().count() >= 3
        {
            return base.to_string();
        }
    }
    w.to_string()
}

pub const STOPWORDS: &[&str] = &[
    "the", "a", "an", "and", "or", "but", "if", "of", "to", "in", "on", "at", "by", "for", "with",
    "from", "as", "is", "are", "was", "were", "be", "been", "being", "it", "its", "this", "that",
    "these", "those", "he", "she", "they", "we", "you", "his", "her", "their", "our", "your", "i",
    "me", "him", "them", "us", "my", "not", "no", "so", "than", "then", "there", "here", "what",
    "which", "who", "whom", "when", "where", "why", "how", "all", "any", "both", "each", "more",
    "most", "other", "some", "such", "only", "own", "same", "too", "very", "can", "will", "would",
    "should", "could", "may", "might", "must", "has", "have", "had", "do", "does", "did", "said",
    "says", "also", "into", "about", "over", "after", "before", "up", "down", "out", "off",
    "again", "just", "now", "one", "two", "new", "year", "years", "mr", "mrs", "ms",
];
