//! Summaries. The default is extractive, offline and deterministic; other
//! summarizers (an LLM, say) fit behind the same trait.

pub mod extractive;
pub mod sentences;

pub use extractive::Extractive;

/// How much summary a caller wants: a sentence count and a word ceiling.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub sentences: usize,
    pub max_words: Option<usize>,
}

pub trait Summarizer: Send + Sync {
    /// Whole sentences from (or faithful to) `text`, in reading order.
    fn summarize(&self, text: &str, budget: Budget) -> Vec<String>;
}
