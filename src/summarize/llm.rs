//! Summaries by a language model behind any OpenAI-compatible
//! chat-completions endpoint (OpenAI, Ollama, llama.cpp, vLLM). The model is
//! asked for N sentences, but nothing it says is trusted as is: the answer is
//! tidied, cut to the budget in code, and every sentence must be grounded in
//! the article. Any failure (timeout, error, refusal, an answer about
//! something else) falls back to the extractive summary and is logged.

use super::grounding::Source;
use super::{Article, Budget, Extractive, Origin, Summarizer, Summary, sentences};
use crate::config::LlmSettings;
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use serde_json::{Value, json};
use std::time::Duration;

pub struct Llm {
    client: reqwest::Client,
    endpoint: String,
    api_key: Option<String>,
    settings: LlmSettings,
    fallback: Extractive,
}

impl Llm {
    /// `api_key` is sent as a bearer token when present (a local server needs none).
    pub fn new(settings: &LlmSettings, api_key: Option<String>) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.timeout_secs))
            .connect_timeout(Duration::from_secs(settings.timeout_secs.min(10)))
            .build()?;
        Ok(Self {
            client,
            endpoint: format!(
                "{}/chat/completions",
                settings.base_url.trim().trim_end_matches('/')
            ),
            api_key: api_key.filter(|k| !k.trim().is_empty()),
            settings: settings.clone(),
            fallback: Extractive::default(),
        })
    }

    /// Reads the key from the variable `llm.api_key_env` names.
    pub fn from_env(settings: &LlmSettings) -> anyhow::Result<Self> {
        Self::new(settings, std::env::var(&settings.api_key_env).ok())
    }

    async fn summarize_one(&self, article: &Article<'_>, budget: Budget, plan: Plan) -> Summary {
        let extractive = |origin| Summary {
            sentences: self
                .fallback
                .sentences_titled(article.title, article.text, budget),
            origin,
        };
        match plan {
            Plan::Extractive => return extractive(Origin::Extractive),
            Plan::OverBudget => {
                return extractive(Origin::Fallback(
                    "the edition's LLM call budget (llm.max_calls_per_edition) is spent".into(),
                ));
            }
            Plan::Ask => {}
        }
        match self.ask(article, budget).await {
            Ok(sentences) => Summary {
                sentences,
                origin: Origin::Llm,
            },
            Err(reason) => {
                tracing::warn!(story = %article.title, %reason, "LLM summary not used; the extractive one stands in");
                extractive(Origin::Fallback(reason))
            }
        }
    }

    async fn ask(&self, article: &Article<'_>, budget: Budget) -> Result<Vec<String>, String> {
        let text = first_words(article.text, self.settings.max_article_words);
        let body = request_body(&self.settings.model, article.title, text, budget);
        let mut req = self
            .client
            .post(&self.endpoint)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        if let Some(key) = &self.api_key {
            req = req.bearer_auth(key);
        }
        let resp = req.send().await.map_err(|e| self.describe(e))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| self.describe(e))?;
        let answer: Value = serde_json::from_slice(&bytes).map_err(|_| {
            format!(
                "the endpoint answered HTTP {} without JSON",
                status.as_u16()
            )
        })?;
        if !status.is_success() {
            let detail = answer["error"]["message"]
                .as_str()
                .or(answer["error"].as_str())
                .unwrap_or("no detail");
            return Err(format!(
                "the endpoint answered HTTP {}: {detail}",
                status.as_u16()
            ));
        }
        let content = answer["choices"][0]["message"]["content"]
            .as_str()
            .ok_or("the answer has no choices[0].message.content")?;
        tidy(
            content,
            budget,
            &Source::new(article.text),
            self.settings.min_grounding,
        )
    }

    fn describe(&self, e: reqwest::Error) -> String {
        if e.is_timeout() {
            format!(
                "no answer within {} s (llm.timeout_secs)",
                self.settings.timeout_secs
            )
        } else if e.is_connect() {
            format!("cannot reach {}", self.endpoint)
        } else {
            format!("the request failed: {e}")
        }
    }
}

impl Summarizer for Llm {
    fn summarize<'a>(
        &'a self,
        articles: &'a [Article<'a>],
        budget: Budget,
    ) -> BoxFuture<'a, Vec<Summary>> {
        Box::pin(async move {
            // The allowance goes to the edition's first stories, which are its
            // most important; the rest are summarized extractively.
            let allowance = self.settings.max_calls_per_edition;
            let mut calls = 0usize;
            let plan: Vec<(&Article, Plan)> = articles
                .iter()
                .map(|a| {
                    let plan = if !worth_asking(a, budget) {
                        Plan::Extractive
                    } else if calls < allowance {
                        calls += 1;
                        Plan::Ask
                    } else {
                        Plan::OverBudget
                    };
                    (a, plan)
                })
                .collect();
            let denied = plan.iter().filter(|(_, p)| *p == Plan::OverBudget).count();
            if denied > 0 {
                tracing::info!(
                    allowance,
                    denied,
                    "LLM call budget reached; later stories get extractive summaries"
                );
            }
            let calls: Vec<_> = plan
                .into_iter()
                .map(|(a, plan)| self.summarize_one(a, budget, plan))
                .collect();
            futures_util::stream::iter(calls)
                .buffered(self.settings.concurrency)
                .collect()
                .await
        })
    }
}

/// What an edition's story gets, decided before any call is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    Ask,
    /// Too short to condense.
    Extractive,
    /// Worth asking, but the edition's calls are spent.
    OverBudget,
}

/// A text no longer than the summary has nothing to condense: a model could
/// only add words of its own.
fn worth_asking(article: &Article, budget: Budget) -> bool {
    article.text.split_whitespace().count() > budget.max_words.unwrap_or(usize::MAX)
}

fn request_body(model: &str, title: &str, text: &str, budget: Budget) -> Value {
    let n = budget.sentences;
    let noun = if n == 1 { "sentence" } else { "sentences" };
    let words = budget
        .max_words
        .map(|w| format!(" and at most {w} words in total"))
        .unwrap_or_default();
    let system = format!(
        "You write the summaries in a weekly news digest. Summarize the article you are given in exactly {n} {noun}{words}. \
         Give the key facts: who did what, how much, when. Use only facts stated in the article and keep its figures as written. \
         Answer with the summary alone: plain sentences, no heading, no list, no preamble."
    );
    // Enough tokens for the budget with room to spare; a longer answer is cut in code.
    let max_tokens = budget.max_words.map_or(400, |w| w * 2 + 40);
    json!({
        "model": model,
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": format!("Title: {title}\n\n{text}")},
        ],
        "temperature": 0,
        "max_tokens": max_tokens,
        "stream": false,
    })
}

/// The first `n` words of `text`, with its own spacing and line breaks.
fn first_words(text: &str, n: usize) -> &str {
    let mut words = 0;
    let mut in_word = false;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            in_word = false;
        } else if !in_word {
            in_word = true;
            words += 1;
            if words > n {
                return text[..i].trim_end();
            }
        }
    }
    text
}

/// The model's answer as summary sentences, or why it cannot be used.
fn tidy(
    answer: &str,
    budget: Budget,
    source: &Source,
    min_grounding: f64,
) -> Result<Vec<String>, String> {
    let answer = answer.trim();
    if let Some(words) = refusal(answer) {
        return Err(format!("the model declined: “{words}”"));
    }
    let prose: Vec<&str> = answer
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.ends_with(':'))
        .map(strip_list_marker)
        .collect();
    let prose = prose.join(" ").replace("**", "").replace("__", "");
    let prose = prose
        .strip_prefix("Summary:")
        .unwrap_or(&prose)
        .trim()
        .to_string();
    let mut out: Vec<String> = sentences::split(&prose)
        .into_iter()
        .filter(|s| !is_preamble(s))
        // An answer cut by max_tokens ends mid-sentence; that part goes.
        .filter(|s| ends_a_sentence(s))
        .take(budget.sentences)
        .collect();
    if out.is_empty() {
        return Err("the answer has no whole sentence".into());
    }
    if let Some(max) = budget.max_words {
        let words = |v: &[String]| {
            v.iter()
                .map(|s| s.split_whitespace().count())
                .sum::<usize>()
        };
        while out.len() > 1 && words(&out) > max {
            out.pop();
        }
        if words(&out) > max {
            return Err(format!(
                "its first sentence alone is longer than {max} words"
            ));
        }
    }
    for s in &out {
        source
            .check(s, min_grounding)
            .map_err(|why| format!("not grounded in the article: {why} (“{s}”)"))?;
    }
    Ok(out)
}

/// The opening of an answer that declines the task, if it is one.
fn refusal(answer: &str) -> Option<String> {
    let lower = answer.to_lowercase();
    let opening = lower.trim_start_matches(|c: char| !c.is_alphanumeric());
    let declines = [
        "i'm sorry",
        "i’m sorry",
        "i am sorry",
        "sorry,",
        "i cannot",
        "i can't",
        "i can’t",
        "i can not",
        "i'm unable",
        "i’m unable",
        "i am unable",
        "i won't",
        "i will not",
        "unfortunately, i",
    ]
    .iter()
    .any(|p| opening.starts_with(p));
    let as_a_model = ["as an ai", "as a language model", "as an assistant"]
        .iter()
        .any(|p| lower.contains(p));
    (declines || as_a_model).then(|| answer.chars().take(80).collect())
}

fn strip_list_marker(line: &str) -> &str {
    let l = line.trim_start_matches(['-', '*', '•', '–']).trim_start();
    if l.len() != line.len() {
        return l;
    }
    // "1. " or "2) "
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && digits <= 2 {
        let rest = &line[digits..];
        if let Some(r) = rest.strip_prefix(". ").or(rest.strip_prefix(") ")) {
            return r.trim_start();
        }
    }
    line
}

fn is_preamble(s: &str) -> bool {
    let lower = s.to_lowercase();
    [
        "here is",
        "here's",
        "here are",
        "this article",
        "the article",
        "in summary",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
}

fn ends_a_sentence(s: &str) -> bool {
    s.trim_end_matches(['"', '\'', '”', '’', ')'])
        .ends_with(['.', '!', '?'])
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARTICLE: &str = "Harbor Bank said on Tuesday that quarterly profit rose 12% to $1,250 million, \
        beating forecasts, as lending to small firms grew. The bank raised its dividend by 5 cents. \
        Its shares rose 3% in early trading in New York.";

    fn budget() -> Budget {
        Budget {
            sentences: 2,
            max_words: Some(40),
        }
    }

    fn run(answer: &str) -> Result<Vec<String>, String> {
        tidy(answer, budget(), &Source::new(ARTICLE), 0.6)
    }

    #[test]
    fn a_clean_answer_passes_as_is() {
        let s = run("Harbor Bank's quarterly profit rose 12% to $1,250 million. The bank raised its dividend by 5 cents.").unwrap();
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn lists_preambles_and_markdown_are_tidied() {
        let s = run("Here is a summary of the article:\n\n- **Harbor Bank's** quarterly profit rose 12%.\n- The bank raised its dividend.").unwrap();
        assert_eq!(
            s,
            [
                "Harbor Bank's quarterly profit rose 12%.",
                "The bank raised its dividend."
            ]
        );
        let s = run("1. Harbor Bank's profit rose 12%.\n2) Its shares rose 3%.").unwrap();
        assert_eq!(s[1], "Its shares rose 3%.");
    }

    #[test]
    fn the_length_is_enforced_in_code() {
        let s = run("Harbor Bank's profit rose 12%. The bank raised its dividend. Its shares rose 3%. Lending to small firms grew.").unwrap();
        assert_eq!(s.len(), 2);
        let long = "Harbor Bank said on Tuesday that its quarterly profit rose 12% to $1,250 million, beating forecasts, as lending to small firms grew, and the bank raised its dividend by 5 cents while its shares rose 3% in early trading in New York on Tuesday.";
        assert!(run(long).unwrap_err().contains("longer than 40 words"));
    }

    #[test]
    fn a_sentence_cut_off_mid_way_is_dropped() {
        let s = run("Harbor Bank's profit rose 12%. The bank raised its").unwrap();
        assert_eq!(s, ["Harbor Bank's profit rose 12%."]);
    }

    #[test]
    fn refusals_and_other_stories_are_rejected() {
        assert!(
            run("I'm sorry, but I can't help with that.")
                .unwrap_err()
                .contains("declined")
        );
        assert!(
            run("As an AI language model, I cannot browse.")
                .unwrap_err()
                .contains("declined")
        );
        assert!(
            run("Volcanic ash grounded flights across northern Europe on Monday.")
                .unwrap_err()
                .contains("not grounded")
        );
    }

    #[test]
    fn first_words_keeps_the_text_up_to_the_limit() {
        assert_eq!(first_words("one two\nthree four", 3), "one two\nthree");
        assert_eq!(first_words("one two", 5), "one two");
    }
}
