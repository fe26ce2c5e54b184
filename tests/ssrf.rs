//! A feed must never make roundup reach the operator's own network.

use roundup::config::FetchSettings;
use roundup::feeds::fetch::{FetchError, Fetcher};
use roundup::feeds::guard::AddressPolicy;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn server() -> MockServer {
    let s = MockServer::start().await;
    Mock::given(path("/secret"))
        .respond_with(ResponseTemplate::new(200).set_body_string("internal data"))
        .mount(&s)
        .await;
    let port = s.address().port();
    Mock::given(path("/redirect"))
        .respond_with(ResponseTemplate::new(302).insert_header(
            "location",
            format!("http://localhost:{port}/secret").as_str(),
        ))
        .mount(&s)
        .await;
    Mock::given(path("/redirect-ip"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", "http://169.254.169.254/latest/meta-data/"),
        )
        .mount(&s)
        .await;
    s
}

fn refused(r: Result<roundup::feeds::fetch::FetchOutcome, FetchError>) -> String {
    match r {
        Err(e) => e.to_string(),
        Ok(_) => panic!("fetched what should have been refused"),
    }
}

#[tokio::test]
async fn links_to_private_addresses_are_refused_without_a_request() {
    let s = server().await;
    let port = s.address().port();
    // As in the app: the configured feed's host (127.0.0.1) is trusted, nothing else.
    let fetcher = Fetcher::new(
        &FetchSettings::default(),
        AddressPolicy::new(&[], ["127.0.0.1"]),
    )
    .unwrap();

    let e = refused(
        fetcher
            .fetch_page(&format!("http://localhost:{port}/secret"), None)
            .await,
    );
    assert!(e.contains("localhost resolves only to private"), "{e}");
    let e = refused(
        fetcher
            .fetch_page("http://169.254.169.254/latest/meta-data/", None)
            .await,
    );
    assert!(
        e.contains("169.254.169.254 is a private, local or reserved address"),
        "{e}"
    );
    let e = refused(
        fetcher
            .fetch_page(&format!("http://[::1]:{port}/secret"), None)
            .await,
    );
    assert!(e.contains("::1 is a private"), "{e}");
    let e = refused(fetcher.fetch_page("http://10.255.255.1/admin", None).await);
    assert!(e.contains("private"), "{e}");
    // A trusted page cannot bounce the fetch into the private network either.
    let e = refused(
        fetcher
            .fetch_page(&format!("http://127.0.0.1:{port}/redirect"), None)
            .await,
    );
    assert!(e.contains("localhost resolves only to private"), "{e}");
    let e = refused(
        fetcher
            .fetch_page(&format!("http://127.0.0.1:{port}/redirect-ip"), None)
            .await,
    );
    assert!(e.contains("169.254.169.254"), "{e}");

    let secret_hits = s
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/secret")
        .count();
    assert_eq!(secret_hits, 0, "nothing reached the private endpoint");
}

#[tokio::test]
async fn an_operator_can_trust_a_private_host_explicitly() {
    let s = server().await;
    let port = s.address().port();
    let fetcher = Fetcher::new(
        &FetchSettings::default(),
        AddressPolicy::new(&["localhost".into()], []),
    )
    .unwrap();
    let got = fetcher
        .fetch_page(&format!("http://localhost:{port}/secret"), None)
        .await;
    assert!(got.is_ok(), "{got:?}");
}

#[tokio::test]
async fn a_symlink_in_a_local_feeds_folder_cannot_reach_outside_it() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "root:x:0:0").unwrap();
    let feed_dir = tempfile::tempdir().unwrap();
    let root = feed_dir.path().canonicalize().unwrap();
    std::fs::write(root.join("page.html"), "<p>an ordinary page</p>").unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), root.join("link.html")).unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("sub")).unwrap();
    let fetcher = Fetcher::new(&FetchSettings::default(), AddressPolicy::new(&[], [])).unwrap();
    let url = |name: &str| {
        url::Url::from_file_path(root.join(name))
            .unwrap()
            .to_string()
    };

    assert!(
        fetcher
            .fetch_page(&url("page.html"), Some(&root))
            .await
            .is_ok()
    );
    for name in ["link.html", "sub/secret.txt"] {
        let e = refused(fetcher.fetch_page(&url(name), Some(&root)).await);
        assert!(e.contains("outside the feed's folder"), "{name}: {e}");
    }
}
