//! The LLM summarizer against a fake OpenAI-compatible endpoint: what it
//! keeps of a good answer, and how every bad one falls back to the extractive
//! summary.

use roundup::config::{Config, LlmSettings};
use roundup::summarize::{Article, Budget, Extractive, Llm, Origin, Summarizer, Summary};
use serde_json::{Value, json};
use std::time::Duration;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const TITLE: &str = "Harbor Bank agrees to buy Northgate";
const TEXT: &str = "Harbor Bank agreed on Tuesday to buy regional lender Northgate Financial for $8.4 billion in cash and shares, creating the largest lender in the Midwest. \
Northgate shareholders will receive $42 a share, a 28% premium to Monday's closing price. \
The deal needs approval from regulators and should close in the second half of next year, the banks said. \
Harbor Bank expects to cut costs by $600 million a year by merging branches and computer systems. \
Shares of Northgate jumped 24% in early trading, while Harbor Bank's stock slipped 2%. \
Analysts said the price was high but the fit between the two lenders was good.";

fn budget() -> Budget {
    Budget {
        sentences: 2,
        max_words: Some(60),
    }
}

fn settings(server: &MockServer) -> LlmSettings {
    LlmSettings {
        base_url: format!("{}/v1", server.uri()),
        model: "tiny-test-model".into(),
        timeout_secs: 1,
        ..LlmSettings::default()
    }
}

fn completion(content: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "c1",
        "object": "chat.completion",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}]
    }))
}

async fn answering(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

async fn summarize_with(settings: LlmSettings, key: Option<&str>) -> Summary {
    let llm = Llm::new(&settings, key.map(str::to_string)).unwrap();
    let articles = [Article {
        title: TITLE,
        text: TEXT,
    }];
    llm.summarize(&articles, budget()).await.remove(0)
}

fn extractive() -> Vec<String> {
    Extractive::default().sentences(TEXT, budget())
}

fn fell_back_because(s: &Summary, words: &str) {
    match &s.origin {
        Origin::Fallback(reason) => assert!(reason.contains(words), "{reason:?} lacks {words:?}"),
        other => panic!("expected a fallback, got {other:?}"),
    }
    assert_eq!(
        s.sentences,
        extractive(),
        "the extractive summary stands in"
    );
}

#[tokio::test]
async fn a_good_answer_is_used_and_the_request_is_well_formed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", "Bearer sk-test"))
        .and(body_partial_json(
            json!({"model": "tiny-test-model", "stream": false}),
        ))
        .respond_with(completion(
            "Harbor Bank agreed to buy Northgate Financial for $8.4 billion in cash and shares. \
             Northgate shareholders will receive $42 a share, a 28% premium.",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let s = summarize_with(settings(&server), Some("sk-test")).await;
    assert_eq!(s.origin, Origin::Llm);
    assert_eq!(
        s.sentences,
        [
            "Harbor Bank agreed to buy Northgate Financial for $8.4 billion in cash and shares.",
            "Northgate shareholders will receive $42 a share, a 28% premium."
        ]
    );
    let sent: Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    let system = sent["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains("exactly 2 sentences") && system.contains("at most 60 words"));
    let user = sent["messages"][1]["content"].as_str().unwrap();
    assert!(user.starts_with(&format!("Title: {TITLE}")) && user.contains("$600 million"));
}

#[tokio::test]
async fn a_slow_answer_times_out_and_falls_back() {
    let server = answering(
        completion("Harbor Bank agreed to buy Northgate Financial for $8.4 billion.")
            .set_delay(Duration::from_secs(3)),
    )
    .await;
    let s = summarize_with(settings(&server), None).await;
    fell_back_because(&s, "no answer within 1 s");
}

#[tokio::test]
async fn a_refusal_falls_back() {
    let server = answering(completion(
        "I'm sorry, but I can't summarize this article for you.",
    ))
    .await;
    fell_back_because(&summarize_with(settings(&server), None).await, "declined");
}

#[tokio::test]
async fn an_answer_that_ignores_the_length_is_cut_in_code() {
    let server = answering(completion(
        "Harbor Bank agreed to buy Northgate Financial for $8.4 billion. \
         Northgate shareholders will receive $42 a share. \
         The deal needs approval from regulators. \
         Harbor Bank expects to cut costs by $600 million a year. \
         Shares of Northgate jumped 24%.",
    ))
    .await;
    let s = summarize_with(settings(&server), None).await;
    assert_eq!(s.origin, Origin::Llm);
    assert_eq!(s.sentences.len(), 2);
    let words: usize = s
        .sentences
        .iter()
        .map(|x| x.split_whitespace().count())
        .sum();
    assert!(words <= 60);

    // One sentence that alone breaks the word budget cannot be cut: it falls back.
    let rambling = format!(
        "{} and so on.",
        TEXT.replace(". ", ", and ").trim_end_matches('.')
    );
    let server = answering(completion(&rambling)).await;
    fell_back_because(
        &summarize_with(settings(&server), None).await,
        "longer than 60 words",
    );
}

#[tokio::test]
async fn an_answer_about_another_story_falls_back() {
    let server = answering(completion(
        "Volcanic ash from Iceland grounded hundreds of flights across northern Europe. \
         Airlines expect delays to last until the weekend.",
    ))
    .await;
    fell_back_because(
        &summarize_with(settings(&server), None).await,
        "not grounded",
    );
}

#[tokio::test]
async fn an_invented_figure_falls_back() {
    let server = answering(completion(
        "Harbor Bank agreed to buy Northgate Financial for $9.1 billion in cash and shares.",
    ))
    .await;
    fell_back_because(&summarize_with(settings(&server), None).await, "9.1");
}

#[tokio::test]
async fn server_errors_and_bad_payloads_fall_back() {
    let server = answering(
        ResponseTemplate::new(500).set_body_json(json!({"error": {"message": "model not loaded"}})),
    )
    .await;
    fell_back_because(
        &summarize_with(settings(&server), None).await,
        "HTTP 500: model not loaded",
    );
    let server = answering(ResponseTemplate::new(200).set_body_string("<html>proxy</html>")).await;
    fell_back_because(
        &summarize_with(settings(&server), None).await,
        "without JSON",
    );
    let server = answering(ResponseTemplate::new(200).set_body_json(json!({"choices": []}))).await;
    fell_back_because(&summarize_with(settings(&server), None).await, "no choices");
}

#[tokio::test]
async fn an_unreachable_endpoint_falls_back() {
    let s = summarize_with(
        LlmSettings {
            base_url: "http://127.0.0.1:9/v1".into(),
            model: "m".into(),
            timeout_secs: 2,
            ..LlmSettings::default()
        },
        None,
    )
    .await;
    assert!(matches!(s.origin, Origin::Fallback(_)), "{s:?}");
    assert_eq!(s.sentences, extractive());
}

#[tokio::test]
async fn the_per_edition_call_budget_holds() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(completion(
            "Harbor Bank agreed to buy Northgate Financial for $8.4 billion.",
        ))
        .expect(2)
        .mount(&server)
        .await;
    let llm = Llm::new(
        &LlmSettings {
            max_calls_per_edition: 2,
            ..settings(&server)
        },
        None,
    )
    .unwrap();
    let short = Article {
        title: "Rates held",
        text: "The central bank held rates on Thursday.",
    };
    let story = Article {
        title: TITLE,
        text: TEXT,
    };
    let out = llm.summarize(&[story, short, story, story], budget()).await;
    let origins: Vec<&Origin> = out.iter().map(|s| &s.origin).collect();
    assert_eq!(origins[0], &Origin::Llm);
    // Too short to condense: no call is spent on it.
    assert_eq!(origins[1], &Origin::Extractive);
    assert_eq!(origins[2], &Origin::Llm);
    assert!(matches!(origins[3], Origin::Fallback(r) if r.contains("budget")));
}

/// Answers with the first sentence of the article it was sent, as a model
/// that summarizes faithfully would.
struct FirstSentence;

impl Respond for FirstSentence {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let user = body["messages"][1]["content"].as_str().unwrap();
        let article = user.split_once("\n\n").map_or(user, |(_, a)| a);
        let first = roundup::summarize::sentences::split(article).remove(0);
        completion(&first)
    }
}

#[tokio::test]
async fn the_pipeline_uses_the_llm_when_configured() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(FirstSentence)
        .mount(&server)
        .await;
    let tmp = tempfile::tempdir().unwrap();
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml");
    let env = [
        (
            "ROUNDUP_DATABASE__URL".to_string(),
            format!("sqlite://{}", tmp.path().join("d.db").display()),
        ),
        (
            "ROUNDUP_LLM__BASE_URL".to_string(),
            format!("{}/v1", server.uri()),
        ),
        ("ROUNDUP_LLM__MODEL".to_string(), "m".to_string()),
    ];
    let config = Config::from_toml(&std::fs::read_to_string(&demo).unwrap(), &demo, &env).unwrap();
    let app = roundup::pipeline::App::new(config).await.unwrap();
    let now = chrono::Utc::now();
    roundup::pipeline::refresh(&app, now).await.unwrap();
    let built = roundup::pipeline::build_digest(&app, now, roundup::pipeline::BuildMode::Preview)
        .await
        .unwrap();
    let calls = server.received_requests().await.unwrap().len();
    assert!(calls > 0, "the LLM was asked");
    let one_sentence = built
        .digest
        .sections
        .iter()
        .flat_map(|s| &s.stories)
        .filter(|s| s.summary.len() == 1)
        .count();
    assert!(
        one_sentence >= calls,
        "{one_sentence} single-sentence summaries for {calls} calls"
    );
}
