//! Replacing a component under load, and refusing bad components while the
//! old version keeps serving.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use switchboard::runtime::limits::Limits;
use switchboard::runtime::registry::LoadError;
use switchboard::runtime::registry::manifest::World;
use switchboard_tests::*;

async fn whoami(rt: &switchboard::runtime::Runtime, business: &str) -> Result<String, String> {
    // Callers loop as fast as calls return (tens of thousands a second): the
    // tenant rate limit is not what these tests are about.
    let limits = Limits {
        calls_per_minute: u32::MAX,
        ..Limits::default()
    };
    let t = target(business, "swap", limits);
    match rt
        .ingest(
            &t,
            &installation(business, "swap"),
            &request("GET", "/whoami", &[], b""),
        )
        .await
    {
        Ok(Ok(r)) => Ok(String::from_utf8(r.response.body).unwrap()),
        Ok(Err(e)) => Err(format!("{e:?}")),
        Err(e) => Err(e.to_string()),
    }
}

/// A runtime with `trivial` 1.0.0 installed as `swap`, and a business to call it for.
async fn trivial_as_swap() -> (
    Arc<switchboard::runtime::Runtime>,
    String,
    tempfile::TempDir,
) {
    let (store, dir) = sqlite_store().await;
    let rt = runtime(&store, settings());
    let business = store.create_business("t").await.unwrap().id;
    rt.registry
        .load(TRIVIAL.manifest_as("swap", "1.0.0"), TRIVIAL.bytes())
        .await
        .unwrap();
    (rt, business, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swap_under_concurrent_calls_fails_none() {
    let (rt, business, _dir) = trivial_as_swap().await;

    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let seen_new = Arc::new(AtomicBool::new(false));
    let mut callers = Vec::new();
    for _ in 0..4 {
        let (rt, business, stop, ok, failed, seen_new) = (
            Arc::clone(&rt),
            business.clone(),
            Arc::clone(&stop),
            Arc::clone(&ok),
            Arc::clone(&failed),
            Arc::clone(&seen_new),
        );
        callers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match whoami(&rt, &business).await {
                    Ok(who) => {
                        ok.fetch_add(1, Ordering::Relaxed);
                        if who == "misbehave" {
                            seen_new.store(true, Ordering::Relaxed);
                        }
                    }
                    Err(e) => {
                        eprintln!("call failed during swap: {e}");
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let before = ok.load(Ordering::Relaxed);
    rt.registry
        .load(MISBEHAVE.manifest_as("swap", "2.0.0"), MISBEHAVE.bytes())
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    stop.store(true, Ordering::Relaxed);
    for c in callers {
        c.await.unwrap();
    }
    assert!(before > 0, "calls ran before the swap");
    assert_eq!(
        failed.load(Ordering::Relaxed),
        0,
        "no call may fail during a swap"
    );
    assert!(
        seen_new.load(Ordering::Relaxed),
        "calls after the swap reach the new version"
    );
    assert_eq!(whoami(&rt, &business).await.unwrap(), "misbehave");
    assert_eq!(rt.registry.get("swap").unwrap().manifest.version, "2.0.0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_in_flight_finishes_on_the_version_it_started_with() {
    use axum::{Router, routing::get};
    let app = Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(std::time::Duration::from_millis(400)).await;
            "slow"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let (store, _dir) = sqlite_store().await;
    let mut s = settings();
    s.allow_private = vec!["127.0.0.0/8".parse().unwrap()];
    let rt = runtime(&store, s);
    let business = store.create_business("t").await.unwrap().id;
    rt.registry
        .load(MISBEHAVE.manifest_as("swap", "1.0.0"), MISBEHAVE.bytes())
        .await
        .unwrap();
    // The old version is inside a host HTTP call for 400 ms when the swap happens.
    let (rt2, b2) = (Arc::clone(&rt), business.clone());
    let url = format!("http://127.0.0.1:{port}/slow");
    let slow = tokio::spawn(async move {
        let t = target(&b2, "swap", Limits::default());
        rt2.ingest(
            &t,
            &installation(&b2, "swap"),
            &request("GET", "/egress", &[("url", &url)], b""),
        )
        .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    rt.registry
        .load(TRIVIAL.manifest_as("swap", "2.0.0"), TRIVIAL.bytes())
        .await
        .unwrap();
    assert_eq!(
        whoami(&rt, &business).await.unwrap(),
        "trivial",
        "new calls use the new version"
    );
    let reply = slow.await.unwrap().unwrap().unwrap();
    assert_eq!(
        String::from_utf8(reply.response.body).unwrap(),
        "status 200 body slow",
        "the old version finished the call"
    );
}

/// Sets the stamped API version of a component to `major.minor.patch`.
fn restamp(wasm: &[u8], version: [u16; 3]) -> Vec<u8> {
    let name = b"switchboard:api-version";
    let at = wasm
        .windows(name.len())
        .position(|w| w == name)
        .expect("stamp present")
        + name.len();
    let mut out = wasm.to_vec();
    for (i, part) in version.iter().enumerate() {
        out[at + 2 * i..at + 2 * i + 2].copy_from_slice(&part.to_be_bytes());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_components_are_refused_and_the_old_one_keeps_serving() {
    let (rt, business, _dir) = trivial_as_swap().await;

    // Declares a world it does not export.
    let mut wrong_world = TRIVIAL.manifest_as("swap", "1.1.0");
    wrong_world.worlds = vec![World::Channel];
    match rt.registry.load(wrong_world, TRIVIAL.bytes()).await {
        Err(LoadError::MissingExports {
            world: World::Channel,
            ..
        }) => {}
        other => panic!("{:?}", other.err()),
    }
    // Built against a WIT this host does not know.
    match rt
        .registry
        .load(
            TRIVIAL.manifest_as("swap", "1.2.0"),
            restamp(&TRIVIAL.bytes(), [0, 9, 0]),
        )
        .await
    {
        Err(LoadError::UnknownApiVersion(v)) => assert_eq!(v.to_string(), "0.9.0"),
        other => panic!("{:?}", other.err()),
    }
    // A 0.1.x patch level is the same contract and loads.
    assert!(
        switchboard::runtime::wit::read_stamp(&restamp(&TRIVIAL.bytes(), [0, 1, 3]))
            .unwrap()
            .is_some()
    );
    // Not a component at all.
    assert!(matches!(
        rt.registry
            .load(
                TRIVIAL.manifest_as("swap", "1.3.0"),
                b"\0asm garbage".to_vec()
            )
            .await,
        Err(LoadError::NotAComponent(_))
    ));
    // A bad manifest is refused before anything is compiled.
    let bad = std::fs::read_to_string(TRIVIAL.manifest)
        .unwrap()
        .replace("worlds = [\"ingest\"]", "worlds = [\"teleport\"]");
    assert!(switchboard::runtime::registry::manifest::Manifest::parse(&bad).is_err());

    let current = rt.registry.get("swap").unwrap();
    assert_eq!(current.manifest.version, "1.0.0");
    assert_eq!(whoami(&rt, &business).await.unwrap(), "trivial");
}
