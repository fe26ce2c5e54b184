//! Summaries. The default is extractive, offline and deterministic; an LLM
//! behind an OpenAI-compatible endpoint fits behind the same trait and falls
//! back to it.

pub mod extractive;
pub mod grounding;
pub mod llm;
pub mod sentences;
pub mod words;

pub use extractive::Extractive;
pub use llm::Llm;

use futures_util::future::BoxFuture;

/// How much summary a caller wants: a sentence count and a word ceiling.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub sentences: usize,
    pub max_words: Option<usize>,
}

/// What a summarizer reads: the story's headline and its cleaned text.
#[derive(Debug, Clone, Copy)]
pub struct Article<'a> {
    pub title: &'a str,
    pub text: &'a str,
}

/// Who wrote a summary, so an operator can see how often the LLM is trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Extractive,
    Llm,
    /// The LLM was asked, and its answer was not used: the reason says why.
    Fallback(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Whole sentences, in reading order.
    pub sentences: Vec<String>,
    pub origin: Origin,
}

pub trait Summarizer: Send + Sync {
    /// One summary per article, in the same order. It is called once per
    /// edition, so a summarizer with a per-edition allowance counts within
    /// one call.
    fn summarize<'a>(
        &'a self,
        articles: &'a [Article<'a>],
        budget: Budget,
    ) -> BoxFuture<'a, Vec<Summary>>;
}
