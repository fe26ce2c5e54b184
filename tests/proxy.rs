//! A proxy must not become a way around the address guard, whether the
//! environment names it or the config does. Its own file: the test sets
//! proxy variables for the whole process.

use roundup::config::FetchSettings;
use roundup::feeds::fetch::Fetcher;
use roundup::feeds::guard::AddressPolicy;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Answers anything, as an open proxy would relay it.
async fn proxy() -> MockServer {
    let s = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_string("relayed by the proxy"))
        .mount(&s)
        .await;
    s
}

#[tokio::test]
async fn links_are_checked_before_any_proxy_relays_them() {
    let p = proxy().await;
    let proxy_url = format!("http://{}", p.address());
    // SAFETY: this test binary has this one test, so no other thread reads
    // the environment while it is changed.
    unsafe {
        for var in [
            "http_proxy",
            "HTTP_PROXY",
            "https_proxy",
            "HTTPS_PROXY",
            "all_proxy",
            "ALL_PROXY",
        ] {
            std::env::set_var(var, &proxy_url);
        }
        std::env::remove_var("no_proxy");
        std::env::remove_var("NO_PROXY");
    }
    let plain = Fetcher::new(&FetchSettings::default(), AddressPolicy::new(&[], [])).unwrap();
    let e = plain
        .fetch_page("http://localhost:9/secret", None)
        .await
        .expect_err("a local name is refused, not relayed");
    assert!(
        e.to_string().contains("localhost resolves only to private"),
        "{e}"
    );
    assert!(
        p.received_requests().await.unwrap().is_empty(),
        "the environment's proxy was used"
    );

    let settings = FetchSettings {
        proxy: proxy_url.clone(),
        ..FetchSettings::default()
    };
    let proxied = Fetcher::new(&settings, AddressPolicy::new(&[], [])).unwrap();
    for link in [
        "http://localhost:9/secret",
        "http://[::127.0.0.1]/",
        "http://169.254.169.254/latest/meta-data/",
    ] {
        let e = proxied
            .fetch_page(link, None)
            .await
            .expect_err("refused before the proxy");
        assert!(e.to_string().contains("private"), "{link}: {e}");
    }
    assert!(
        p.received_requests().await.unwrap().is_empty(),
        "nothing reached the proxy"
    );

    // A host the operator trusts does go through the configured proxy.
    let trusting = Fetcher::new(&settings, AddressPolicy::new(&["localhost".into()], [])).unwrap();
    let got = trusting.fetch_page("http://localhost:9/page", None).await;
    assert!(got.is_ok(), "{got:?}");
    assert_eq!(p.received_requests().await.unwrap().len(), 1);
}
