//! `roundup serve` in the test process: a temporary SQLite database, feeds
//! from files, the HTTP server on port 0 and an SMTP sink embedded here.

mod support;

use chrono::{Duration, Utc};
use mail_parser::MessageParser;
use roundup::config::Config;
use roundup::pipeline::App;
use roundup::store::Store;
use std::net::SocketAddr;
use support::db::TestDb;
use support::mail::{assert_no_injected_header, to_header};
use support::{Faults, SmtpSink};
use tokio_util::sync::CancellationToken;

const TOKEN: &str = "test-admin-token-0123456789";

fn rss(hours_ago: i64) -> String {
    let d = |h: i64| (Utc::now() - Duration::hours(h)).to_rfc2822();
    format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Tech Test</title>
<item><title>Kestrel unveils K9 laptop chip</title><link>https://news.example.com/k9</link><guid>k9</guid><pubDate>{}</pubDate>
<description>Kestrel Semiconductor unveiled its K9 processor for thin laptops on Tuesday, claiming it doubles battery life compared with last year's chip. Laptop makers will ship the first machines with the chip in February.</description></item>
<item><title>Browsers agree to sync passkeys</title><link>https://news.example.com/passkeys</link><guid>pk</guid><pubDate>{}</pubDate>
<description>The makers of the four most used web browsers agreed on a common format for moving passkeys between them, the companies said on Friday.</description></item>
</channel></rss>"#,
        d(hours_ago),
        d(hours_ago + 3)
    )
}

fn business(hours_ago: i64) -> String {
    let d = |h: i64| (Utc::now() - Duration::hours(h)).to_rfc3339();
    serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Business Test",
        "items": [
            {"id": "m1", "url": "https://biz.example.com/merger", "title": "Harbor Bank agrees to buy Northgate",
             "date_published": d(hours_ago),
             "content_html": "<p>Harbor Bank agreed on Tuesday to buy regional lender Northgate Financial for $8.4 billion in cash and shares. Northgate shareholders will receive $42 a share. The deal needs approval from regulators.</p>"},
            {"id": "m2", "url": "https://biz.example.com/rates", "title": "Central bank holds interest rates",
             "date_published": d(hours_ago + 5),
             "content_html": "<p>The central bank kept its main interest rate unchanged on Thursday and signalled cuts next year as inflation slows. Bond yields fell after the decision.</p>"}
        ]
    })
    .to_string()
}

struct Options {
    subscribers: usize,
    smtp_port: Option<u16>,
    /// Six-field cron for publishing; by default one that fell due long ago
    /// and is past its catch-up window, so nothing publishes by itself.
    publish: &'static str,
    catch_up_secs: i64,
    pool_size: u32,
    /// More `[service]` lines.
    service: &'static str,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            subscribers: 3,
            smtp_port: None,
            publish: "0 0 8 1 1 *",
            catch_up_secs: 0,
            pool_size: 2,
            service: "",
        }
    }
}

struct TestApp {
    _db: TestDb,
    addr: SocketAddr,
    sink: SmtpSink,
    dir: tempfile::TempDir,
    stop: CancellationToken,
    serving: tokio::task::JoinHandle<anyhow::Result<()>>,
    http: reqwest::Client,
    config: Config,
}

fn write_config(dir: &std::path::Path, db: &TestDb, smtp_port: u16, o: &Options) -> Config {
    std::fs::write(dir.join("tech.xml"), rss(4)).unwrap();
    std::fs::write(dir.join("biz.json"), business(2)).unwrap();
    let mut subs = String::new();
    for i in 0..o.subscribers {
        subs.push_str(&format!(
            "[[subscribers]]\nemail = \"reader{i}@example.com\"\n"
        ));
    }
    let text = format!(
        r#"
[newsletter]
name = "Serve Test"
from = "Serve Test <digest@example.com>"
base_url = "https://roundup.example.com"
list_id = "serve.roundup.example.com"
postal_address = "1 Test Street, Testville"
timezone = "Europe/Berlin"
secret = "serve-test-secret-0123456789"

[database]
url = "{db}"

[archive]
enabled = true
dir = "{archive}"

[delivery]
transport = "smtp"
retry_after_secs = 0

[smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "none"
pool_size = {pool}
timeout_secs = 5

[schedule]
publish = "{publish}"
refresh = "0 0 * * * *"
catch_up_secs = {catch_up}

[service]
bind = "127.0.0.1:0"
admin_token = "{TOKEN}"
subscribe_per_hour = 5
shutdown_secs = 10
{service}

[[feeds]]
url = "tech.xml"
name = "Tech Test"
section = "tech"

[[feeds]]
url = "biz.json"
name = "Business Test"
section = "business"

{subs}
"#,
        db = db.url,
        archive = dir.join("archive").display(),
        pool = o.pool_size,
        publish = o.publish,
        catch_up = o.catch_up_secs,
        service = o.service,
    );
    let path = dir.join("roundup.toml");
    std::fs::write(&path, &text).unwrap();
    Config::from_toml(&text, &path, &[]).unwrap()
}

async fn start(
    config: Config,
) -> (
    SocketAddr,
    CancellationToken,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let app = App::new(config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    let serving = tokio::spawn(roundup::service::serve(app, listener, stop.clone()));
    (addr, stop, serving)
}

async fn spawn_app(db: TestDb, o: Options) -> TestApp {
    let sink = SmtpSink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &db, o.smtp_port.unwrap_or(sink.port), &o);
    let (addr, stop, serving) = start(config.clone()).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        addr,
        sink,
        dir,
        _db: db,
        stop,
        serving,
        http,
        config,
    }
}

impl TestApp {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn store(&self) -> Store {
        Store::connect(&self.config.database.url).await.unwrap()
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    fn api(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(&format!("/api{path}")))
            .bearer_auth(TOKEN)
    }

    /// An admin route with no body.
    async fn api_call(&self, method: reqwest::Method, path: &str) -> reqwest::Response {
        self.api(method, path).send().await.unwrap()
    }

    /// An admin route with a JSON body.
    async fn api_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> reqwest::Response {
        self.api(method, path).json(&body).send().await.unwrap()
    }

    /// GET an admin route and read its JSON.
    async fn api_get(&self, path: &str) -> serde_json::Value {
        let r = self.api(reqwest::Method::GET, path).send().await.unwrap();
        r.json().await.unwrap()
    }

    /// Waits (bounded, so a bug fails instead of hanging) until the sink
    /// holds `n` messages.
    async fn wait_for_messages(&self, n: usize) {
        for _ in 0..600 {
            if self.sink.received().len() >= n {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!(
            "expected {n} messages, the sink has {}",
            self.sink.received().len()
        );
    }

    async fn stop(self) -> Self {
        self.stop.cancel();
        let r = tokio::time::timeout(std::time::Duration::from_secs(30), &mut { self.serving })
            .await
            .expect("serve stops within its shutdown bound")
            .unwrap();
        r.unwrap();
        Self {
            serving: tokio::spawn(async { Ok(()) }),
            ..self
        }
    }

    /// Waits (bounded) for the start-up refresh to have stored the feeds.
    async fn wait_refreshed(&self) {
        let store = self.store().await;
        for _ in 0..600 {
            let feeds = store.feed_statuses().await.unwrap();
            if feeds.len() == 2 && feeds.iter().all(|f| f.item_count > 0) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the start-up refresh did not store the feeds");
    }

    async fn subscriber(&self, email: &str) -> roundup::store::Subscriber {
        self.store()
            .await
            .subscribers()
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.email.as_str() == email)
            .unwrap_or_else(|| panic!("no subscriber {email}"))
    }
}

fn unsubscribe_token(app: &TestApp, id: i64, email: &str) -> String {
    roundup::render::unsubscribe_token(&app.config.newsletter.secret, id, email)
}

// ------------------------------------------------------------ health

async fn health_readiness_and_metrics(db: TestDb) {
    let app = spawn_app(db, Options::default()).await;
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), 200);
    let r = app.get("/readyz").await;
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["database"], "ok");
    assert_eq!(body["transport"], "ok");

    let r = app.get("/metrics").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = r.text().await.unwrap();
    // The start-up refresh has run by the time the metrics show it.
    for _ in 0..100 {
        let t = app.get("/metrics").await.text().await.unwrap();
        if t.contains("roundup_feed_fetches_total") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let text = if text.contains("roundup_feed_fetches_total") {
        text
    } else {
        app.get("/metrics").await.text().await.unwrap()
    };
    assert!(
        text.contains("roundup_feed_fetches_total{outcome=\"ok\"}"),
        "{text}"
    );
    assert!(text.contains("roundup_items_new_total"), "{text}");
    app.stop().await;
}

async fn readiness_fails_when_the_relay_is_unreachable(db: TestDb) {
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let app = spawn_app(
        db,
        Options {
            smtp_port: Some(port),
            ..Default::default()
        },
    )
    .await;
    let r = app.get("/readyz").await;
    assert_eq!(r.status(), 503);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["database"], "ok");
    assert!(
        body["transport"]
            .as_str()
            .unwrap()
            .contains("cannot connect"),
        "{body}"
    );
    assert_eq!(
        app.get("/healthz").await.status(),
        200,
        "alive all the same"
    );
    app.stop().await;
}

// ------------------------------------------------------------ unsubscribe

async fn a_get_only_asks_and_each_one_click_body_unsubscribes(db: TestDb) {
    let app = spawn_app(db, Options::default()).await;
    let bodies: [(&str, Option<&str>, Vec<u8>); 3] = [
        (
            "reader0@example.com",
            Some("application/x-www-form-urlencoded"),
            b"List-Unsubscribe=One-Click".to_vec(),
        ),
        (
            "reader1@example.com",
            Some("multipart/form-data; boundary=XyZ"),
            b"--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--XyZ--\r\n".to_vec(),
        ),
        ("reader2@example.com", None, Vec::new()),
    ];
    for (email, content_type, body) in bodies {
        let sub = app.subscriber(email).await;
        let token = unsubscribe_token(&app, sub.id, email);
        // A link scanner's GET changes nothing.
        let page = app.get(&format!("/u/{token}")).await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("method=\"post\""), "{html}");
        assert!(html.contains("List-Unsubscribe"), "{html}");
        assert_eq!(app.subscriber(email).await.status, "active");

        let mut req = app.http.post(app.url(&format!("/u/{token}"))).body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 200, "{email}: no redirect, no cookie, just 200");
        assert!(r.headers().get("set-cookie").is_none());
        assert_eq!(
            app.subscriber(email).await.status,
            "unsubscribed",
            "{email}"
        );
        // Twice is fine.
        let again = app
            .http
            .post(app.url(&format!("/u/{token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 200);
    }
    app.stop().await;
}

async fn forged_and_tampered_unsubscribe_tokens_get_400_and_reveal_nothing(db: TestDb) {
    let app = spawn_app(db, Options::default()).await;
    let sub = app.subscriber("reader0@example.com").await;
    let good = unsubscribe_token(&app, sub.id, "reader0@example.com");
    let mut tampered = good.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == '0' { '1' } else { '0' });
    let other_id = format!("{}.{}", sub.id + 1, good.split_once('.').unwrap().1);
    let unknown = unsubscribe_token(&app, 9_999, "nobody@example.com");
    let wrong_key =
        roundup::render::unsubscribe_token("another-secret", sub.id, "reader0@example.com");
    let mut bodies = Vec::new();
    for token in [
        tampered,
        other_id,
        unknown,
        wrong_key,
        "garbage".into(),
        "1".into(),
    ] {
        for post in [false, true] {
            let url = app.url(&format!("/u/{token}"));
            let r = if post {
                app.http
                    .post(url)
                    .body("List-Unsubscribe=One-Click")
                    .send()
                    .await
                    .unwrap()
            } else {
                app.http.get(url).send().await.unwrap()
            };
            assert_eq!(r.status(), 400, "{token}");
            bodies.push(r.text().await.unwrap());
        }
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "every bad token gets the same page"
    );
    assert_eq!(app.subscriber("reader0@example.com").await.status, "active");
    app.stop().await;
}

// ------------------------------------------------------------ subscribe

fn confirm_link(message: &[u8]) -> String {
    let parsed = MessageParser::default().parse(message).unwrap();
    let text = parsed.body_text(0).unwrap().to_string();
    let start = text
        .find("https://roundup.example.com/confirm/")
        .expect("a link");
    text[start..].split_whitespace().next().unwrap().to_string()
}

async fn double_opt_in_from_sign_up_to_confirmation(db: TestDb) {
    let app = spawn_app(db, Options::default()).await;
    let form = [("email", "new.reader@example.com"), ("name", "New Reader")];
    let r = app
        .http
        .post(app.url("/subscribe"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let new_page = r.text().await.unwrap();
    app.wait_for_messages(1).await;
    let mail = app.sink.received().remove(0);
    assert_eq!(mail.rcpt_to, ["new.reader@example.com"]);
    let raw = String::from_utf8_lossy(&mail.data).to_string();
    assert!(
        !raw.contains("List-Unsubscribe"),
        "a confirmation is not list mail"
    );
    assert_eq!(
        app.subscriber("new.reader@example.com").await.status,
        "pending"
    );

    // Someone already subscribed: the same answer, and no mail.
    let r = app
        .http
        .post(app.url("/subscribe"))
        .form(&[("email", "reader0@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(
        r.text().await.unwrap(),
        new_page,
        "known and unknown look the same"
    );

    // Asked again within the hour: the same answer, no second mail (the
    // form must not become a way to flood someone's inbox).
    let r = app
        .http
        .post(app.url("/subscribe"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(r.text().await.unwrap(), new_page);

    let link = confirm_link(&mail.data);
    let path = link.trim_start_matches("https://roundup.example.com");
    // Opening the link only asks.
    let page = app.get(path).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("method=\"post\""));
    assert_eq!(
        app.subscriber("new.reader@example.com").await.status,
        "pending"
    );
    let r = app.http.post(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.subscriber("new.reader@example.com").await.status,
        "active"
    );

    // A tampered link confirms nothing.
    let r = app
        .http
        .post(app.url(&format!("{path}0")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(app.sink.received().len(), 1, "no mail to the known address");
    app.stop().await;
}

async fn sign_ups_are_rate_limited_per_address_and_bad_addresses_refused(db: TestDb) {
    let app = spawn_app(db, Options::default()).await;
    let r = app
        .http
        .post(app.url("/subscribe"))
        .form(&[("email", "not an address")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // One was spent above; the allowance is five an hour.
    let mut statuses = Vec::new();
    for i in 0..5 {
        let r = app
            .http
            .post(app.url("/subscribe"))
            .form(&[("email", format!("flood{i}@example.com"))])
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [202, 202, 202, 202, 429]);
    assert_eq!(
        app.get("/subscribe").await.status(),
        200,
        "the form itself is not limited"
    );
    app.stop().await;
}

// ------------------------------------------------------------ admin API

async fn the_admin_api_wants_the_bearer_token(db: TestDb) {
    let app = spawn_app(db, Options::default()).await;
    let no_token = app
        .http
        .get(app.url("/api/subscribers"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 401);
    assert_eq!(no_token.headers()["www-authenticate"], "Bearer");
    for bad in [
        "wrong",
        "test-admin-token-012345678",
        "test-admin-token-01234567890",
        "",
    ] {
        let r = app
            .http
            .get(app.url("/api/subscribers"))
            .header("authorization", format!("Bearer {bad}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{bad:?}");
    }
    let basic = app
        .http
        .get(app.url("/api/subscribers"))
        .basic_auth("admin", Some(TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);
    for (m, path) in [
        (reqwest::Method::GET, "/preview"),
        (reqwest::Method::POST, "/send"),
        (reqwest::Method::POST, "/test"),
        (reqwest::Method::GET, "/feeds"),
        (reqwest::Method::POST, "/subscribers/import"),
        (reqwest::Method::POST, "/pins"),
    ] {
        let r = app
            .http
            .request(m, app.url(&format!("/api{path}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{path}");
    }
    let ok = app.api_call(reqwest::Method::GET, "/subscribers").await;
    assert_eq!(ok.status(), 200);
    app.stop().await;
}

async fn editors_manage_subscribers_feeds_and_steering_through_the_api(db: TestDb) {
    use reqwest::Method;
    let app = spawn_app(db, Options::default()).await;
    let r = app
        .api_json(
            Method::POST,
            "/subscribers",
            serde_json::json!({"email": "ops@example.com", "name": "Ops"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = app
        .api_json(
            Method::POST,
            "/subscribers",
            serde_json::json!({"email": "nope"}),
        )
        .await;
    assert_eq!(r.status(), 400);
    let csv = "email,name\nimported@example.com,Imp\nbad-address,Bad\nreader0@example.com,\n";
    let r = app
        .api(Method::POST, "/subscribers/import")
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let report: serde_json::Value = r.json().await.unwrap();
    assert_eq!(report["added"], 1);
    assert_eq!(report["existing"], 1);
    assert_eq!(report["rejected"][0]["line"], 3);
    let r = app
        .api_call(Method::DELETE, "/subscribers/ops@example.com")
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .api_call(Method::DELETE, "/subscribers/ops@example.com")
        .await;
    assert_eq!(r.status(), 404);
    let list: serde_json::Value = app.api_get("/subscribers").await;
    let status_of = |e: &str| {
        list["subscribers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["email"] == e)
            .map(|s| s["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status_of("imported@example.com").as_deref(), Some("active"));
    assert_eq!(
        status_of("ops@example.com").as_deref(),
        Some("unsubscribed")
    );
    assert_eq!(
        list["next_after"],
        serde_json::Value::Null,
        "one page holds all"
    );
    // Paged: two at a time, following next_after, sees everyone once.
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let page: serde_json::Value = app
            .api_get(&format!("/subscribers?limit=2&after={after}"))
            .await;
        for sub in page["subscribers"].as_array().unwrap() {
            seen.push(sub["email"].as_str().unwrap().to_string());
        }
        match page["next_after"].as_i64() {
            Some(n) => after = n,
            None => break,
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), list["subscribers"].as_array().unwrap().len());
    let gone: serde_json::Value = app.api_get("/subscribers?status=unsubscribed").await;
    assert_eq!(gone["subscribers"].as_array().unwrap().len(), 1);

    // Feeds with their health (the start-up refresh fetched them).
    let mut feeds = serde_json::Value::Null;
    for _ in 0..100 {
        feeds = app.api_get("/feeds").await;
        if feeds["feeds"]
            .as_array()
            .is_some_and(|f| f.len() == 2 && f.iter().all(|x| x["health"] == "ok"))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(feeds["feeds"].as_array().unwrap().len(), 2, "{feeds}");
    assert!(
        feeds["feeds"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["health"] == "ok"),
        "{feeds}"
    );

    // Pin and block.
    let r = app
        .api_json(
            Method::POST,
            "/pins",
            serde_json::json!({"url": "https://news.example.com/passkeys"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let pinned: serde_json::Value = r.json().await.unwrap();
    assert_eq!(pinned["outcome"], "pinned");
    let r = app
        .api_json(
            Method::POST,
            "/blocks",
            serde_json::json!({"source": "Business Test"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .api_json(
            Method::POST,
            "/blocks",
            serde_json::json!({"source": "No Such Feed"}),
        )
        .await;
    assert_eq!(r.status(), 400);
    let steering: serde_json::Value = app.api_get("/steering").await;
    assert_eq!(steering["pins"][0], "https://news.example.com/passkeys");
    assert_eq!(steering["blocked_feeds"].as_array().unwrap().len(), 1);
    let r = app
        .api_call(Method::DELETE, "/blocks?source=Business%20Test")
        .await;
    let unblocked: serde_json::Value = r.json().await.unwrap();
    assert_eq!(unblocked["changed"], true);
    let r = app
        .api(
            Method::DELETE,
            "/pins?url=https://news.example.com/passkeys",
        )
        .send()
        .await
        .unwrap();
    let unpinned: serde_json::Value = r.json().await.unwrap();
    assert_eq!(unpinned["outcome"], "unpinned");
    app.stop().await;
}

/// The whole editor's path: preview, a test to themselves, then the real
/// send, which reaches every subscriber once however often it is asked for.
async fn an_editor_previews_tests_and_sends_through_the_api(db: TestDb) {
    use reqwest::Method;
    let app = spawn_app(db, Options::default()).await;
    app.wait_refreshed().await;
    let preview = app.api_call(Method::GET, "/preview").await;
    assert_eq!(preview.status(), 200);
    assert!(
        preview.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = preview.text().await.unwrap();
    assert!(
        html.contains("Kestrel unveils K9 laptop chip"),
        "preview shows the stories"
    );

    let r = app
        .api_json(
            Method::POST,
            "/test",
            serde_json::json!({"to": "editor@example.com"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    app.wait_for_messages(1).await;
    let test = &app.sink.received()[0];
    assert_eq!(test.rcpt_to, ["editor@example.com"]);
    assert!(String::from_utf8_lossy(&test.data).contains("[Test]"));
    assert!(
        app.store().await.latest_edition().await.unwrap().is_none(),
        "a test publishes nothing"
    );

    let r = app.api_call(Method::POST, "/send").await;
    assert_eq!(r.status(), 202);
    let sent: serde_json::Value = r.json().await.unwrap();
    assert_eq!(sent["created"], true);
    let key = sent["edition"].as_str().unwrap().to_string();
    app.wait_for_messages(4).await;
    // Asked again: the same edition, nothing new.
    let again: serde_json::Value = app
        .api_call(Method::POST, "/send")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["created"], false);
    assert_eq!(again["edition"], key.as_str());
    let mut counts = serde_json::Value::Null;
    for _ in 0..100 {
        counts = app.api_get(&format!("/editions/{key}/deliveries")).await;
        if counts["counts"]["sent"] == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(counts["counts"]["sent"], 3, "{counts}");
    assert_eq!(counts["pending"], 0);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let per = app.sink.per_recipient();
    for i in 0..3 {
        assert_eq!(per[&format!("reader{i}@example.com")], 1, "{per:?}");
    }
    assert_eq!(app.sink.received().len(), 4, "one test and three editions");
    let current: serde_json::Value = app.api_get("/deliveries").await;
    assert_eq!(current["edition"], key.as_str());
    let missing = app
        .api_call(Method::GET, "/editions/2001-W01/deliveries")
        .await;
    assert_eq!(missing.status(), 404);
    let invalid = app
        .api_call(Method::GET, "/editions/nonsense/deliveries")
        .await;
    assert_eq!(invalid.status(), 400);

    // The archive now has the edition.
    let r = app.get("/archive").await;
    assert_eq!(r.status(), 308);
    let index = app.get("/archive/").await;
    assert_eq!(index.status(), 200);
    assert!(index.text().await.unwrap().contains(&format!("{key}.html")));
    for path in [format!("/archive/{key}"), format!("/archive/{key}.html")] {
        let page = app.get(&path).await;
        assert_eq!(page.status(), 200, "{path}");
        assert!(
            page.text()
                .await
                .unwrap()
                .contains("Kestrel unveils K9 laptop chip")
        );
    }
    let feed = app.get("/archive/feed.atom").await;
    assert_eq!(feed.status(), 200);
    assert!(
        feed.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let parsed = feed_rs::parser::parse(feed.bytes().await.unwrap().as_ref()).unwrap();
    assert_eq!(parsed.entries.len(), 1);
    assert_eq!(app.get("/archive/2001-W01").await.status(), 404);
    assert_eq!(
        app.get("/archive/..%2F..%2Froundup.toml").await.status(),
        404
    );

    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("roundup_send_duration_seconds_bucket"),
        "{metrics}"
    );
    assert!(
        metrics.contains("roundup_deliveries_total{outcome=\"sent\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("roundup_editions_published_total"),
        "{metrics}"
    );
    assert!(
        metrics.contains("roundup_ledger_rows{status=\"sent\"} 3"),
        "{metrics}"
    );
    app.stop().await;
}

// ------------------------------------------------------------ schedule

/// A publish slot that fell due a moment before the service started is
/// caught up at start: the edition goes out with no one asking.
async fn a_publish_slot_missed_just_now_is_caught_up_at_start(db: TestDb) {
    let app = spawn_app(
        db,
        Options {
            // Every minute: the latest slot is under a minute old.
            publish: "0 * * * * *",
            catch_up_secs: 3600,
            ..Default::default()
        },
    )
    .await;
    app.wait_for_messages(3).await;
    let store = app.store().await;
    let edition = store.latest_edition().await.unwrap().expect("published");
    assert_eq!(store.delivery_counts(edition.id).await.unwrap().total(), 3);
    app.stop().await;
}

async fn a_publish_slot_missed_long_ago_is_skipped_not_sent_late(db: TestDb) {
    let app = spawn_app(db, Options::default()).await;
    // The start-up pass has run once the refresh shows up in the store.
    let store = app.store().await;
    for _ in 0..200 {
        if store.last_slot("publish").await.unwrap().is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let slot = store
        .last_slot("publish")
        .await
        .unwrap()
        .expect("the missed slot is recorded");
    let (status, detail) = store.slot_status("publish", slot).await.unwrap().unwrap();
    assert_eq!(status, "skipped");
    assert!(detail.unwrap().contains("catch-up window"));
    let sched = app.api_get("/schedule").await;
    assert_eq!(sched["timezone"], "Europe/Berlin");
    let publish = &sched["jobs"][1];
    assert_eq!(publish["job"], "publish");
    assert_eq!(publish["last"]["status"], "skipped");
    assert!(
        publish["next"]
            .as_str()
            .unwrap()
            .contains("T08:00:00+01:00"),
        "next 1 January, 08:00 in Berlin: {publish}"
    );
    assert!(
        store.latest_edition().await.unwrap().is_none(),
        "nothing published"
    );
    assert!(app.sink.received().is_empty());
    app.stop().await;
}

// ------------------------------------------------------------ shutdown

/// SIGTERM in the middle of a send: what was on the wire finishes, what was
/// not goes back to the queue, and the next start sends the rest. Every
/// subscriber ends up with exactly one copy.
async fn a_shutdown_in_the_middle_of_a_send_loses_nothing(db: TestDb) {
    let app = spawn_app(
        db,
        Options {
            subscribers: 40,
            pool_size: 2,
            ..Default::default()
        },
    )
    .await;
    app.sink.set_faults(Faults {
        delay_ms: 100,
        ..Default::default()
    });
    app.wait_refreshed().await;
    let r = app.api_call(reqwest::Method::POST, "/send").await;
    assert_eq!(r.status(), 202);
    app.wait_for_messages(4).await;
    let app = app.stop().await;
    let store = app.store().await;
    let edition = store.latest_edition().await.unwrap().unwrap();
    let counts = store.delivery_counts(edition.id).await.unwrap();
    let received = app.sink.received().len();
    assert!(counts.sent < 40, "stopped part-way: {counts:?}");
    assert_eq!(counts.sending, 0, "nothing left held: {counts:?}");
    assert_eq!(
        counts.sent as usize, received,
        "every message the relay took is recorded"
    );

    // Start again on the same database: the rest goes out.
    app.sink.set_faults(Faults::default());
    let (_addr, stop, serving) = start(app.config.clone()).await;
    for _ in 0..600 {
        if app.sink.received().len() >= 40 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    stop.cancel();
    serving.await.unwrap().unwrap();
    let per = app.sink.per_recipient();
    assert_eq!(per.len(), 40);
    assert!(per.values().all(|&n| n == 1), "{per:?}");
    let counts = store.delivery_counts(edition.id).await.unwrap();
    assert_eq!(counts.sent, 40);
    drop(app.dir);
}

/// Two services on one database, both catching up the same slot at start:
/// one edition, one copy per subscriber.
async fn two_services_firing_the_same_slot_publish_and_send_once(db: TestDb) {
    let sink = SmtpSink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &db,
        sink.port,
        &Options {
            publish: "0 * * * * *",
            catch_up_secs: 3600,
            subscribers: 20,
            ..Default::default()
        },
    );
    let (_, stop_a, a) = start(config.clone()).await;
    let (_, stop_b, b) = start(config.clone()).await;
    for _ in 0..600 {
        if sink.received().len() >= 20 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    stop_a.cancel();
    stop_b.cancel();
    a.await.unwrap().unwrap();
    b.await.unwrap().unwrap();
    let per = sink.per_recipient();
    assert_eq!(per.len(), 20);
    assert!(per.values().all(|&n| n == 1), "{per:?}");
    let store = Store::connect(&config.database.url).await.unwrap();
    assert_eq!(store.recent_editions(10).await.unwrap().len(), 1);
}

/// The binary as an operator runs it: `roundup serve` on the bundled demo,
/// a send through the API, then SIGTERM: exit 0, and the log is one JSON
/// object per line with a summary line per refresh, publish and delivery.
#[tokio::test]
async fn the_binary_serves_the_demo_and_stops_cleanly_on_sigterm() {
    use std::path::Path;
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    support::binary::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("config"),
        &d.join("config"),
    );
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let bind = format!("127.0.0.1:{port}");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_roundup"))
        .args(["serve", "--config", "config/demo.toml", "--bind", &bind])
        .current_dir(d)
        .env_remove("ROUNDUP_CONFIG")
        .env("ROUNDUP_LOG", "roundup=info")
        .env("ROUNDUP_SERVICE__ADMIN_TOKEN", TOKEN)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let base = format!("http://{bind}");
    let mut up = false;
    for _ in 0..400 {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await
            && r.status() == 200
        {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(up, "the service answers /healthz");
    // The start-up refresh may still be running: a send before it has
    // stored anything has nothing to publish (409), so ask until it has.
    let mut sent = None;
    for _ in 0..400 {
        let r = http
            .post(format!("{base}/api/send"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        if r.status() == 202 {
            sent = Some(r.json::<serde_json::Value>().await.unwrap());
            break;
        }
        assert_eq!(r.status(), 409, "{}", r.text().await.unwrap());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let sent = sent.expect("the demo edition is sent");
    let outbox = d.join("outbox");
    for _ in 0..400 {
        if support::binary::emls(&outbox).len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(support::binary::emls(&outbox).len(), 3, "{sent}");
    let pid = child.id().to_string();
    // The shell's builtin: no procps needed on a bare CI machine.
    let killed = std::process::Command::new("sh")
        .args(["-c", &format!("kill -TERM {pid}")])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit 0 after SIGTERM: {:?}\n{log}",
        out.status
    );
    let events: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let has = |m: &str| events.iter().any(|e| e["message"] == m);
    for m in [
        "serving",
        "refresh done",
        "edition published",
        "delivery pass done",
        "stopped cleanly",
    ] {
        assert!(has(m), "no `{m}` line in\n{log}");
    }
}

// ------------------------------------------------------------ hostile input

const PLANTED: &str = "Eve\r\nBcc: planted@evil.example";

async fn a_line_break_in_a_name_never_becomes_a_header_through_the_api_or_the_form(db: TestDb) {
    use reqwest::Method;
    let app = spawn_app(db, Options::default()).await;
    let r = app
        .api_json(
            Method::POST,
            "/subscribers",
            serde_json::json!({"email": "eve@example.com", "name": PLANTED}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let csv = format!(
        "email,name\nmallory@example.com,\"Mal\r\nBcc: planted@evil.example\"\ntrent@example.com,{}\n",
        "T".repeat(5000)
    );
    let r = app
        .api(Method::POST, "/subscribers/import")
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let report: serde_json::Value = r.json().await.unwrap();
    assert_eq!(report["added"], 2, "{report}");
    // A stranger signs up an active subscriber's address with a name.
    let r = app
        .http
        .post(app.url("/subscribe"))
        .form(&[("email", "reader0@example.com"), ("name", PLANTED)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    // And a new reader signs up with one.
    let r = app
        .http
        .post(app.url("/subscribe"))
        .form(&[("email", "frank@example.com"), ("name", PLANTED)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    app.wait_for_messages(1).await;
    let confirmation = app.sink.received().remove(0);
    assert_no_injected_header(&confirmation.data);
    let link = confirm_link(&confirmation.data);
    let path = link.trim_start_matches("https://roundup.example.com");
    assert_eq!(
        app.http.post(app.url(path)).send().await.unwrap().status(),
        200
    );

    assert_eq!(
        app.subscriber("reader0@example.com").await.name,
        None,
        "untouched"
    );
    for email in ["eve@example.com", "frank@example.com"] {
        let name = app.subscriber(email).await.name.expect("a name");
        assert_eq!(name.as_str(), "Eve Bcc: planted@evil.example");
    }
    let trent = app.subscriber("trent@example.com").await.name.unwrap();
    assert_eq!(trent.as_str().chars().count(), 100);

    let r = app.api_call(Method::POST, "/send").await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    // Three readers, Eve, Mallory, Trent and Frank, and the confirmation.
    app.wait_for_messages(8).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let received = app.sink.received();
    assert_eq!(received.len(), 8);
    let mut per_recipient = std::collections::BTreeMap::new();
    for m in &received[1..] {
        assert_no_injected_header(&m.data);
        for r in &m.rcpt_to {
            *per_recipient.entry(r.clone()).or_insert(0) += 1;
        }
        let to = to_header(&m.data);
        assert!(!to.contains('\r') && !to.contains('\n'));
    }
    assert_eq!(per_recipient.len(), 7, "{per_recipient:?}");
    assert!(per_recipient.values().all(|n| *n == 1), "{per_recipient:?}");
    let store = app.store().await;
    let edition = store.latest_edition().await.unwrap().expect("published");
    let counts = store.delivery_counts(edition.id).await.unwrap();
    assert_eq!((counts.sent, counts.sending, counts.failed), (7, 0, 0));
    app.stop().await;
}

async fn a_no_is_final_except_for_their_own_confirmed_sign_up(db: TestDb) {
    use reqwest::Method;
    let app = spawn_app(db, Options::default()).await;
    let secret = app.config.newsletter.secret.clone();
    let sub = app.subscriber("reader0@example.com").await;
    // A confirmation link from before they said no.
    let old_link = roundup::render::confirm_token(
        &secret,
        sub.id,
        "reader0@example.com",
        roundup::store::now_ts() - 120,
    );
    let token = unsubscribe_token(&app, sub.id, "reader0@example.com");
    let r = app
        .http
        .post(app.url(&format!("/u/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.subscriber("reader0@example.com").await.status,
        "unsubscribed"
    );

    // The operator's add, in any spelling, and an import, are refused.
    let r = app
        .api_json(
            Method::POST,
            "/subscribers",
            serde_json::json!({"email": "Reader0@Example.com", "name": "New Name"}),
        )
        .await;
    assert_eq!(r.status(), 409);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("unsubscribed on"),
        "{body}"
    );
    let r = app
        .api(Method::POST, "/subscribers/import")
        .header("content-type", "text/csv")
        .body("email,name\nREADER0@example.com,Someone\n")
        .send()
        .await
        .unwrap();
    let report: serde_json::Value = r.json().await.unwrap();
    assert_eq!(report["added"], 0, "{report}");
    assert_eq!(report["skipped"][0]["line"], 2, "{report}");
    assert!(
        report["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("unsubscribed on "),
        "{report}"
    );
    // The old link does not bring them back.
    let r = app
        .http
        .post(app.url(&format!("/confirm/{old_link}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let now = app.subscriber("reader0@example.com").await;
    assert_eq!(
        (now.status.as_str(), now.name.as_ref()),
        ("unsubscribed", None)
    );

    // Their own sign-up changes nothing until they confirm it.
    let r = app
        .http
        .post(app.url("/subscribe"))
        .form(&[("email", "READER0@example.com"), ("name", "Someone Else")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    app.wait_for_messages(1).await;
    let mail = app.sink.received().remove(0);
    assert_eq!(mail.rcpt_to, ["reader0@example.com"], "the stored spelling");
    let now = app.subscriber("reader0@example.com").await;
    assert_eq!(
        (now.status.as_str(), now.name.as_ref()),
        ("unsubscribed", None)
    );
    let link = confirm_link(&mail.data);
    let path = link.trim_start_matches("https://roundup.example.com");
    assert_eq!(
        app.http.post(app.url(path)).send().await.unwrap().status(),
        200
    );
    assert_eq!(app.subscriber("reader0@example.com").await.status, "active");

    // Another spelling of an active mailbox is the same subscriber.
    let r = app
        .api_json(
            Method::POST,
            "/subscribers",
            serde_json::json!({"email": "READER1@EXAMPLE.COM"}),
        )
        .await;
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["outcome"], "already_active");
    let list = app.api_get("/subscribers").await;
    assert_eq!(list["subscribers"].as_array().unwrap().len(), 3);
    app.stop().await;
}

// ------------------------------------------------------------ forms and origins

async fn forms_from_another_site_are_refused_and_one_click_still_works(db: TestDb) {
    let app = spawn_app(db, Options::default()).await;
    let ours = "https://roundup.example.com";
    let post = |path: &str, headers: &[(&str, &str)]| {
        let mut req = app.http.post(app.url(path));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req
    };
    let form = [("email", "origin.reader@example.com")];
    for headers in [
        &[("origin", "https://evil.example.net")][..],
        &[("origin", "http://roundup.example.com")],
        &[("origin", "https://roundup.example.com:8443")],
        &[("origin", "null")],
        &[("sec-fetch-site", "cross-site")],
    ] {
        let r = post("/subscribe", headers)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{headers:?}");
        let page = r.text().await.unwrap();
        assert!(page.contains("another site"), "{page}");
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(
        app.sink.received().is_empty(),
        "a refused sign-up sends nothing"
    );

    let r = post(
        "/subscribe",
        &[("origin", ours), ("sec-fetch-site", "same-origin")],
    )
    .form(&form)
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 202);
    app.wait_for_messages(1).await;
    let link = confirm_link(&app.sink.received()[0].data);
    let path = link.trim_start_matches(ours);
    let r = post(path, &[("origin", "https://evil.example.net")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        app.subscriber("origin.reader@example.com").await.status,
        "pending"
    );
    let r = post(path, &[("origin", ours)]).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.subscriber("origin.reader@example.com").await.status,
        "active"
    );

    let one_click = b"List-Unsubscribe=One-Click".to_vec();
    let email = "reader0@example.com";
    let sub = app.subscriber(email).await;
    let path = format!("/u/{}", unsubscribe_token(&app, sub.id, email));
    for headers in [
        &[("origin", "https://evil.example.net")][..],
        &[("sec-fetch-site", "cross-site")],
    ] {
        let r = post(&path, headers)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(one_click.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{headers:?}");
        assert_eq!(app.subscriber(email).await.status, "active");
    }
    // The page's own button.
    let r = post(&path, &[("origin", ours)])
        .header("content-type", "application/x-www-form-urlencoded")
        .body(one_click.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(app.subscriber(email).await.status, "unsubscribed");
    // A mail provider's RFC 8058 post: no Origin, no Sec-Fetch-Site.
    let email = "reader1@example.com";
    let sub = app.subscriber(email).await;
    let path = format!("/u/{}", unsubscribe_token(&app, sub.id, email));
    let r = post(&path, &[])
        .header("content-type", "application/x-www-form-urlencoded")
        .body(one_click)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(app.subscriber(email).await.status, "unsubscribed");
    app.stop().await;
}

// ------------------------------------------------------------ client limits

/// Waits (bounded, so a bug fails instead of hanging) for the server to
/// close `stream`: a read gives 0 bytes or a reset. Whatever it sent first
/// is returned.
async fn closed_by_server(stream: &mut tokio::net::TcpStream) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(60), stream.read(&mut buf))
            .await
            .expect("the server closes the connection")
        {
            Ok(0) | Err(_) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// A fresh connection each time, so that no kept-alive one hides a refusal.
async fn healthz_on_a_new_connection(addr: SocketAddr) -> reqwest::StatusCode {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    client
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_client_dribbling_its_head_is_cut_off_while_healthz_answers() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app(
        support::db::sqlite(),
        Options {
            service: "header_timeout_secs = 1\nidle_timeout_secs = 1",
            ..Options::default()
        },
    )
    .await;
    let stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    // A byte every 100 ms, for far longer than the header timeout if the
    // server let it.
    let dribble = tokio::spawn(async move {
        let head = format!(
            "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\n",
            "a".repeat(600)
        );
        for byte in head.bytes() {
            if writer.write_all(&[byte]).await.is_err() {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        false
    });
    let mut silent = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    assert_eq!(healthz_on_a_new_connection(app.addr).await, 200);

    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    loop {
        use tokio::io::AsyncReadExt;
        match tokio::time::timeout(std::time::Duration::from_secs(60), reader.read(&mut buf))
            .await
            .expect("the dribbler is cut off")
        {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    assert!(
        got.is_empty(),
        "no answer to a head never finished: {got:?}"
    );
    dribble.abort();
    assert!(closed_by_server(&mut silent).await.is_empty());

    // A kept-alive connection that goes quiet is closed too.
    let mut kept = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = String::from_utf8(closed_by_server(&mut kept).await).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(healthz_on_a_new_connection(app.addr).await, 200);
    app.stop().await;
}

#[tokio::test]
async fn a_request_whose_body_stalls_gets_408_and_is_closed() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app(
        support::db::sqlite(),
        Options {
            service: "request_timeout_secs = 1",
            ..Options::default()
        },
    )
    .await;
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(
            b"POST /subscribe HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 60\r\n\r\nemail=",
        )
        .await
        .unwrap();
    let answer = String::from_utf8(closed_by_server(&mut stream).await).unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(healthz_on_a_new_connection(app.addr).await, 200);
    app.stop().await;
}

#[tokio::test]
async fn a_full_house_of_silent_clients_does_not_keep_healthz_out() {
    let app = spawn_app(
        support::db::sqlite(),
        Options {
            service: "max_connections = 2\nheader_timeout_secs = 600",
            ..Options::default()
        },
    )
    .await;
    let mut silent = Vec::new();
    for _ in 0..3 {
        silent.push(tokio::net::TcpStream::connect(app.addr).await.unwrap());
    }
    // The third took the place of the one that waited longest.
    assert!(closed_by_server(&mut silent[0]).await.is_empty());
    for _ in 0..3 {
        assert_eq!(healthz_on_a_new_connection(app.addr).await, 200);
    }
    assert!(closed_by_server(&mut silent[1]).await.is_empty());
    app.stop().await;
}

// Every scenario above but the binary one, on SQLite and on PostgreSQL.
on_each_database!(
    health_readiness_and_metrics,
    readiness_fails_when_the_relay_is_unreachable,
    a_get_only_asks_and_each_one_click_body_unsubscribes,
    forged_and_tampered_unsubscribe_tokens_get_400_and_reveal_nothing,
    double_opt_in_from_sign_up_to_confirmation,
    sign_ups_are_rate_limited_per_address_and_bad_addresses_refused,
    the_admin_api_wants_the_bearer_token,
    editors_manage_subscribers_feeds_and_steering_through_the_api,
    an_editor_previews_tests_and_sends_through_the_api,
    a_publish_slot_missed_just_now_is_caught_up_at_start,
    a_publish_slot_missed_long_ago_is_skipped_not_sent_late,
    a_shutdown_in_the_middle_of_a_send_loses_nothing,
    two_services_firing_the_same_slot_publish_and_send_once,
    a_line_break_in_a_name_never_becomes_a_header_through_the_api_or_the_form,
    a_no_is_final_except_for_their_own_confirmed_sign_up,
    forms_from_another_site_are_refused_and_one_click_still_works,
);
