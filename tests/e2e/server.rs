//! The real server: health, bundled components, hot-load from the components
//! directory by the file watcher and by the admin call.

use serde_json::Value;
use std::time::Duration;
use switchboard::config::Settings;
use switchboard_tests::*;

fn settings_in(dir: &std::path::Path) -> Settings {
    Settings {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.to_path_buf(),
        cache_dir: Some(cache_dir()),
        components_poll_ms: 50,
        admin_token: Some("operator-secret".into()),
        ..Settings::default()
    }
}

fn install_dir(root: &std::path::Path, name: &str, f: Fixture, version: &str) {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    // Rewrite the top-level `name` and `version` keys of the fixture's manifest.
    let manifest: Vec<String> = f
        .manifest_text()
        .lines()
        .map(|l| match l.split_once(" = ") {
            Some(("name", _)) => format!("name = \"{name}\""),
            Some(("version", _)) => format!("version = \"{version}\""),
            _ => l.to_string(),
        })
        .collect();
    std::fs::write(dir.join("component.wasm"), f.bytes()).unwrap();
    std::fs::write(dir.join("manifest.toml"), manifest.join("\n")).unwrap();
}

/// `POST /admin/components/reload`: what the scan did.
async fn reload(client: &reqwest::Client, base: &str) -> Value {
    client
        .post(format!("{base}/admin/components/reload"))
        .bearer_auth("operator-secret")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn components(client: &reqwest::Client, base: &str) -> Vec<Value> {
    let r: Value = client
        .get(format!("{base}/admin/components"))
        .bearer_auth("operator-secret")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["components"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_health_and_hot_loads_from_the_components_directory() {
    let dir = tempfile::tempdir().unwrap();
    let server = switchboard::server::start(settings_in(dir.path()))
        .await
        .unwrap();
    let base = format!("http://{}", server.addr);
    let client = reqwest::Client::new();

    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(
        dir.path().join("master.key").exists(),
        "a master key was generated on the embedded default"
    );

    // Admin routes need the operator token; errors use the one JSON shape.
    let denied = client
        .get(format!("{base}/admin/components"))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    let body: Value = denied.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");

    let names: Vec<String> = components(&client, &base)
        .await
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    assert!(
        names.contains(&"threecx-webhooks".to_string()),
        "bundled connector loaded: {names:?}"
    );

    // Drop a component into the directory: the watcher loads it.
    install_dir(&dir.path().join("components"), "hello", TRIVIAL, "1.0.0");
    let mut found = false;
    for _ in 0..100 {
        if components(&client, &base)
            .await
            .iter()
            .any(|c| c["name"] == "hello" && c["version"] == "1.0.0")
        {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(found, "watcher loaded the new component");

    // A broken replacement is refused with a reason; 1.0.0 keeps serving.
    let hello = dir.path().join("components/hello");
    std::fs::write(hello.join("component.wasm"), b"not wasm").unwrap();
    std::fs::write(
        hello.join("manifest.toml"),
        std::fs::read_to_string(hello.join("manifest.toml"))
            .unwrap()
            .replace("1.0.0", "1.1.0"),
    )
    .unwrap();
    let r = reload(&client, &base).await;
    let outcome = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["dir"].as_str().unwrap().ends_with("hello"))
        .unwrap()
        .clone();
    assert!(
        outcome["error"]
            .as_str()
            .unwrap()
            .contains("not a valid component"),
        "{outcome}"
    );
    assert!(
        components(&client, &base)
            .await
            .iter()
            .any(|c| c["name"] == "hello" && c["version"] == "1.0.0")
    );

    // A second directory naming the same component: neither is loaded
    // (which won would depend on directory order), 1.0.0 keeps serving.
    install_dir(&dir.path().join("components"), "hello", TRIVIAL, "1.3.0");
    install_dir(
        &dir.path().join("components"),
        "hello-old",
        TRIVIAL,
        "0.9.0",
    );
    let twin = dir.path().join("components/hello-old/manifest.toml");
    std::fs::write(
        &twin,
        std::fs::read_to_string(&twin)
            .unwrap()
            .replace("name = \"hello-old\"", "name = \"hello\""),
    )
    .unwrap();
    let r = reload(&client, &base).await;
    let refused: Vec<&Value> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["dir"].as_str().unwrap().contains("hello"))
        .collect();
    assert_eq!(refused.len(), 2, "{r}");
    for o in refused {
        assert!(o["error"].as_str().unwrap().contains("is also in"), "{o}");
    }
    assert!(
        components(&client, &base)
            .await
            .iter()
            .any(|c| c["name"] == "hello" && c["version"] == "1.0.0")
    );
    // Once the leftover goes, the watcher loads the other by itself: its
    // own files did not change since it was refused.
    std::fs::remove_dir_all(dir.path().join("components/hello-old")).unwrap();
    let mut reloaded = false;
    for _ in 0..100 {
        if components(&client, &base)
            .await
            .iter()
            .any(|c| c["name"] == "hello" && c["version"] == "1.3.0")
        {
            reloaded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(reloaded, "the watcher loaded the remaining directory");

    let missing = client
        .get(format!("{base}/no/such/route"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    server.stop().await;
}

/// Waits until `/admin/components` lists `name` at `version`.
async fn wait_for_version(client: &reqwest::Client, base: &str, name: &str, version: &str) -> bool {
    for _ in 0..100 {
        if components(client, base)
            .await
            .iter()
            .any(|c| c["name"] == name && c["version"] == version)
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// A deploy that points the component's files at a new artifact by links
/// (as a Kubernetes ConfigMap mount does: its files are links into a
/// directory it swaps) is seen by the watcher, though the links themselves
/// never change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watcher_follows_linked_files_to_a_new_version() {
    let dir = tempfile::tempdir().unwrap();
    let server = switchboard::server::start(settings_in(dir.path()))
        .await
        .unwrap();
    let base = format!("http://{}", server.addr);
    let client = reqwest::Client::new();
    let artifacts = dir.path().join("artifacts");
    install_dir(&artifacts.join("v1"), "linked", TRIVIAL, "1.0.0");
    install_dir(&artifacts.join("v2"), "linked", TRIVIAL, "2.0.0");
    let linked = dir.path().join("components/linked");
    std::fs::create_dir_all(&linked).unwrap();
    let point_at = |version: &str| {
        for file in ["component.wasm", "manifest.toml"] {
            let link = linked.join(file);
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(artifacts.join(version).join("linked").join(file), &link)
                .unwrap();
        }
    };
    point_at("v1");
    assert!(wait_for_version(&client, &base, "linked", "1.0.0").await);
    point_at("v2");
    assert!(
        wait_for_version(&client, &base, "linked", "2.0.0").await,
        "the watcher did not follow the links"
    );
    server.stop().await;
}

/// A database restored or moved without its `master.key`: the server does
/// not generate a new key over values sealed with the old one, it refuses
/// to start and says which file to restore.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_with_sealed_values_and_no_key_file_does_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let server = switchboard::server::start(settings_in(dir.path()))
        .await
        .unwrap();
    server.stop().await;
    let key = dir.path().join("master.key");
    assert!(key.exists());
    let url = format!("sqlite://{}", dir.path().join("switchboard.db").display());
    let store = switchboard::store::Store::connect(&url).await.unwrap();
    let business = store.create_business("acme").await.unwrap();
    store
        .create_integration(switchboard::store::NewIntegration {
            business_id: business.id,
            kind: "threecx-webhooks".into(),
            name: "PBX".into(),
            config: serde_json::json!({}),
            secrets: Some(b"sealed under the old key".to_vec()),
        })
        .await
        .unwrap();
    store.close().await;

    std::fs::remove_file(&key).unwrap();
    let refused = switchboard::server::start(settings_in(dir.path())).await;
    let message = format!("{:#}", refused.err().expect("started with a new key"));
    assert!(message.contains("integrations.secrets"), "{message}");
    assert!(message.contains("master.key"), "{message}");
    assert!(!key.exists(), "a new key was written");
}
