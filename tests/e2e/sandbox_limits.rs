//! Each misbehaviour is ended with its typed error and recorded, while a
//! second tenant's calls at the same moment keep succeeding.

use std::sync::Arc;
use std::time::{Duration, Instant};
use switchboard::runtime::limits::{Breach, Limits};
use switchboard::runtime::wit::since_v0_1_0::types::ConnectorError;
use switchboard::runtime::{CallError, Runtime};
use switchboard::store::{NewIntegration, Store};
use switchboard_tests::*;

struct World {
    rt: Arc<Runtime>,
    store: Store,
    a: String,
    b: String,
    _dir: tempfile::TempDir,
}

async fn world(tweak: impl FnOnce(&mut switchboard::runtime::RuntimeSettings)) -> World {
    let (store, dir) = sqlite_store().await;
    let mut s = settings();
    tweak(&mut s);
    let rt = runtime(&store, s);
    load(&rt, MISBEHAVE).await;
    let a = store.create_business("tenant A").await.unwrap().id;
    let b = store.create_business("tenant B").await.unwrap().id;
    World {
        rt,
        store,
        a,
        b,
        _dir: dir,
    }
}

async fn call(
    rt: &Runtime,
    business: &str,
    limits: Limits,
    path: &str,
    query: &[(&str, &str)],
) -> Result<String, CallError> {
    let t = target(business, "misbehave", limits);
    let reply = rt
        .ingest(
            &t,
            &installation(business, "misbehave"),
            &request("GET", path, query, b""),
        )
        .await?;
    let reply = reply.unwrap_or_else(|e| panic!("connector error: {e:?}"));
    Ok(String::from_utf8(reply.response.body).unwrap())
}

/// Runs `misbehaviour` for tenant A while tenant B makes `/ok` calls; returns
/// A's outcome, how long it took, and asserts every B call succeeded.
async fn with_neighbour(
    w: &World,
    limits: Limits,
    path: &str,
    query: &[(&str, &str)],
) -> (Result<String, CallError>, Duration) {
    let rt = Arc::clone(&w.rt);
    let (a, q): (String, Vec<(String, String)>) = (
        w.a.clone(),
        query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    );
    let path = path.to_string();
    let bad = tokio::spawn(async move {
        let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let start = Instant::now();
        let r = call(&rt, &a, limits, &path, &q).await;
        (r, start.elapsed())
    });
    let mut good = 0;
    while !bad.is_finished() || good < 5 {
        assert_eq!(
            call(&w.rt, &w.b, Limits::default(), "/ok", &[])
                .await
                .unwrap(),
            "OK",
            "tenant B's call failed"
        );
        good += 1;
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    bad.await.unwrap()
}

/// An integration of the misbehaving component for `business`, so that its
/// state (which belongs to an integration) can be kept.
fn misbehave_integration(business: &str) -> NewIntegration {
    NewIntegration {
        business_id: business.to_owned(),
        kind: "misbehave".into(),
        name: "m".into(),
        config: serde_json::json!({}),
        secrets: None,
    }
}

fn breach(r: Result<String, CallError>) -> Breach {
    match r {
        Err(CallError::Breach(b)) => b,
        other => panic!("expected a breach, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn infinite_loop_ends_at_the_cpu_deadline() {
    let w = world(|_| {}).await;
    let limits = Limits {
        cpu_ms_per_call: 200,
        ..Limits::default()
    };
    let (r, took) = with_neighbour(&w, limits, "/loop", &[]).await;
    assert_eq!(breach(r), Breach::CpuTime { limit_ms: 200 });
    assert!(took >= Duration::from_millis(200), "ended early: {took:?}");
    // CPU time, not wall time: on a loaded machine (the rest of the suite
    // on two cores) the loop's thread gets a share of a core, and the wall
    // time is longer. Still far from the wall-clock limit (5 min).
    assert!(
        took <= Duration::from_secs(3),
        "not ended near the CPU limit: {took:?}"
    );
    let incidents = w.store.list_incidents(&w.a, 10).await.unwrap();
    assert_eq!(incidents[0].kind, "limit_cpu_time");
    assert!(w.store.list_incidents(&w.b, 10).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sleeping_call_ends_at_the_wall_clock_limit_and_frees_its_slot() {
    let w = world(|_| {}).await;
    // One call at a time: the slot the sleeper held must be free again.
    let limits = Limits {
        wall_ms_per_call: 300,
        max_concurrent_calls: 1,
        ..Limits::default()
    };
    // An hour's sleep uses no CPU, so only the wall clock can end it.
    let (r, _) = with_neighbour(&w, limits.clone(), "/sleep", &[("ms", "3600000")]).await;
    assert_eq!(breach(r), Breach::WallTime { limit_ms: 300 });
    let incidents = w.store.list_incidents(&w.a, 10).await.unwrap();
    assert_eq!(incidents[0].kind, "limit_wall_time");
    assert_eq!(
        call(&w.rt, &w.a, limits.clone(), "/sleep", &[("ms", "10")])
            .await
            .unwrap(),
        "awake",
        "a short sleep within the limit works, in the freed slot"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_flood_ends_at_the_store_calls_limit() {
    let w = world(|_| {}).await;
    w.store
        .create_integration_with_id(
            &installation(&w.a, "misbehave").id,
            misbehave_integration(&w.a),
        )
        .await
        .unwrap();
    // Each write is a database query the CPU limit does not see.
    let limits = Limits {
        store_calls_per_call: 20,
        ..Limits::default()
    };
    let r = call(&w.rt, &w.a, limits.clone(), "/state-flood", &[]).await;
    assert_eq!(breach(r), Breach::StoreCalls { limit: 20 });
    let incidents = w.store.list_incidents(&w.a, 10).await.unwrap();
    assert_eq!(incidents[0].kind, "limit_store_calls");
    assert_eq!(
        call(&w.rt, &w.a, limits, "/state-flood", &[("n", "20")])
            .await
            .unwrap(),
        "set 20",
        "within the budget the same code works"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_keeps_at_most_max_state_keys_per_installation() {
    let w = world(|_| {}).await;
    let id = installation(&w.a, "misbehave").id;
    w.store
        .create_integration_with_id(&id, misbehave_integration(&w.a))
        .await
        .unwrap();
    let limits = Limits {
        max_state_keys: 10,
        ..Limits::default()
    };
    // Call after call, a connector caching per caller would grow its
    // state without end; the eleventh new key is refused.
    let t = target(&w.a, "misbehave", limits.clone());
    let refused =
        w.rt.ingest(
            &t,
            &installation(&w.a, "misbehave"),
            &request("GET", "/state-flood", &[("n", "20")], b""),
        )
        .await
        .expect("a full state is the connector's error, not a breach");
    let Err(ConnectorError::Internal(message)) = refused else {
        panic!("expected the connector's error, got {refused:?}");
    };
    assert!(message.contains("state is full"), "{message}");
    assert!(message.contains("at most 10 keys"), "{message}");
    let kept = w.store.state_list(&id).await.unwrap();
    assert_eq!(kept.len(), 10, "{kept:?}");
    // Replacing the keys it has still works.
    assert_eq!(
        call(&w.rt, &w.a, limits, "/state-flood", &[("n", "10")])
            .await
            .unwrap(),
        "set 10"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_bomb_is_refused_at_the_limit() {
    let w = world(|_| {}).await;
    let limits = Limits {
        max_memory_bytes: 32 << 20,
        ..Limits::default()
    };
    let (r, _) = with_neighbour(&w, limits.clone(), "/alloc", &[("mb", "64")]).await;
    assert_eq!(
        breach(r),
        Breach::Memory {
            limit_bytes: 32 << 20
        }
    );
    // Under the limit the same code works: the limit, not the code, refused it.
    assert_eq!(
        call(&w.rt, &w.a, limits, "/alloc", &[("mb", "8")])
            .await
            .unwrap(),
        format!("allocated {}", 8 << 20)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn egress_off_the_allow_list_or_to_internal_addresses_is_refused() {
    let w = world(|_| {}).await;
    // Not on the manifest's allow-list.
    let (r, _) = with_neighbour(
        &w,
        Limits::default(),
        "/egress",
        &[("url", "http://example.org/")],
    )
    .await;
    match breach(r) {
        Breach::EgressDenied {
            destination,
            reason,
        } => {
            assert_eq!(destination, "example.org:80");
            assert!(reason.contains("allow-list"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // On the allow-list, but loopback (literal and through DNS).
    for url in ["http://127.0.0.1:9/", "http://localhost:9/"] {
        match breach(call(&w.rt, &w.a, Limits::default(), "/egress", &[("url", url)]).await) {
            Breach::EgressDenied { reason, .. } => {
                assert!(reason.contains("loopback"), "{url}: {reason}")
            }
            other => panic!("{url}: {other:?}"),
        }
    }
    // On the allow-list, but metadata and private ranges are refused anyway.
    for (url, why) in [
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://10.0.0.1/", "private"),
    ] {
        match breach(call(&w.rt, &w.a, Limits::default(), "/egress", &[("url", url)]).await) {
            Breach::EgressDenied { reason, .. } => assert!(reason.contains(why), "{url}: {reason}"),
            other => panic!("{url}: {other:?}"),
        }
    }
    // An installation can narrow the manifest's list but never widen it.
    let mut t = target(&w.a, "misbehave", Limits::default());
    t.context.egress_narrowing =
        Some(switchboard::runtime::egress::AllowList::parse(&["*"]).unwrap());
    let r =
        w.rt.ingest(
            &t,
            &installation(&w.a, "misbehave"),
            &request("GET", "/egress", &[("url", "http://example.org/")], b""),
        )
        .await;
    assert!(
        matches!(r, Err(CallError::Breach(Breach::EgressDenied { .. }))),
        "{r:?}"
    );
    let kinds: Vec<String> = w
        .store
        .list_incidents(&w.a, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.kind)
        .collect();
    assert_eq!(kinds.len(), 6);
    assert!(kinds.iter().all(|k| k == "egress_denied"));
}

/// A local server the operator allowed (tests allow 127.0.0.0/8): egress works,
/// budgets hold, redirects are not followed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_egress_works_within_budget_and_never_follows_redirects() {
    use axum::{Router, response::Redirect, routing::get};
    let app = Router::new().route("/hello", get(|| async { "hi" })).route(
        "/hop",
        get(|| async { Redirect::temporary("http://169.254.169.254/") }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let w = world(|s| s.allow_private = vec!["127.0.0.0/8".parse().unwrap()]).await;
    let hello = format!("http://127.0.0.1:{port}/hello");
    assert_eq!(
        call(
            &w.rt,
            &w.a,
            Limits::default(),
            "/egress",
            &[("url", &hello)]
        )
        .await
        .unwrap(),
        "status 200 body hi"
    );
    // A connect error names no URL: a URL may carry a credential.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let refused = call(
        &w.rt,
        &w.a,
        Limits::default(),
        "/egress",
        &[(
            "url",
            &format!("http://127.0.0.1:{closed}/x?apikey=s3cret-key"),
        )],
    )
    .await
    .unwrap();
    assert!(refused.starts_with("error Error::Connect("), "{refused}");
    assert!(!refused.contains("s3cret-key"), "{refused}");
    let hop = format!("http://127.0.0.1:{port}/hop");
    assert!(
        call(&w.rt, &w.a, Limits::default(), "/egress", &[("url", &hop)])
            .await
            .unwrap()
            .starts_with("status 307")
    );
    let limits = Limits {
        http_requests_per_call: 3,
        ..Limits::default()
    };
    assert_eq!(
        breach(
            call(
                &w.rt,
                &w.a,
                limits,
                "/egress",
                &[("url", &hello), ("n", "4")]
            )
            .await
        ),
        Breach::HttpRequests { limit: 3 }
    );
    // The byte budget counts what a request carries besides its body: a
    // URL (or headers) of 2 KB is over a 1 KB budget before it is sent.
    let long = format!("http://127.0.0.1:{port}/hello?pad={}", "x".repeat(2000));
    let small = Limits {
        http_bytes_per_call: 1000,
        ..Limits::default()
    };
    assert_eq!(
        breach(call(&w.rt, &w.a, small.clone(), "/egress", &[("url", &long)]).await),
        Breach::HttpBytes { limit: 1000 }
    );
    assert_eq!(
        call(&w.rt, &w.a, small, "/egress", &[("url", &hello)])
            .await
            .unwrap(),
        "status 200 body hi"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_is_an_error_and_the_host_carries_on() {
    let w = world(|_| {}).await;
    let (r, _) = with_neighbour(&w, Limits::default(), "/panic", &[]).await;
    match r {
        Err(CallError::Trap { message }) => {
            assert!(message.contains("fixture asked to panic"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        call(&w.rt, &w.a, Limits::default(), "/ok", &[])
            .await
            .unwrap(),
        "OK"
    );
}

/// Another tenant's slow calls filling every pooled instance delay a call
/// by `instance_wait` at most: then it is refused as `sandbox_busy` (the
/// server is full; no limit of the tenant's, no incident of its component).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_pool_refuses_a_call_after_the_instance_wait() {
    let w = world(|s| {
        s.engine.max_instances = 1;
        s.instance_wait = Duration::from_millis(200);
    })
    .await;
    let (rt, a) = (Arc::clone(&w.rt), w.a.clone());
    let sleeper =
        tokio::spawn(
            async move { call(&rt, &a, Limits::default(), "/sleep", &[("ms", "1500")]).await },
        );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let r = call(&w.rt, &w.b, Limits::default(), "/ok", &[]).await;
    assert!(
        matches!(r, Err(CallError::Busy { waited_ms: 200 })),
        "{r:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(1000),
        "waited for the sleeper"
    );
    assert!(w.store.list_incidents(&w.b, 10).await.unwrap().is_empty());
    assert_eq!(sleeper.await.unwrap().unwrap(), "awake");
    // The slot is free again.
    assert_eq!(
        call(&w.rt, &w.b, Limits::default(), "/ok", &[])
            .await
            .unwrap(),
        "OK"
    );
}

/// A state read the database fails ends the call as ours, instead of
/// reading as "not set" (a connector would take its missing cursor for a
/// fresh start). A value sealed under a key this server does not have reads
/// as unset, and the component's next `set` replaces it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_read_that_fails_ends_the_call() {
    let w = world(|_| {}).await;
    let id = installation(&w.a, "misbehave").id;
    w.store
        .create_integration_with_id(&id, misbehave_integration(&w.a))
        .await
        .unwrap();
    w.store
        .state_set(&id, "cursor", "sealed:1:c2VhbGVkIGVsc2V3aGVyZQ")
        .await
        .unwrap();
    assert_eq!(
        call(
            &w.rt,
            &w.a,
            Limits::default(),
            "/state",
            &[("key", "cursor")]
        )
        .await
        .unwrap(),
        "<none>"
    );
    assert_eq!(
        call(
            &w.rt,
            &w.a,
            Limits::default(),
            "/state",
            &[("key", "cursor"), ("value", "7")]
        )
        .await
        .unwrap(),
        "7"
    );
    sqlx::query("DROP TABLE installation_state")
        .execute(w.store.pool())
        .await
        .unwrap();
    let r = call(
        &w.rt,
        &w.a,
        Limits::default(),
        "/state",
        &[("key", "cursor")],
    )
    .await;
    match r {
        Err(CallError::Host(e)) => assert!(format!("{e:#}").contains("state read failed"), "{e:#}"),
        other => panic!("expected the host's error, got {other:?}"),
    }
}

/// Work the host does for the guest counts as the guest's CPU time: a
/// loop over a cheap host import, which spends most of its time in the
/// host, still ends at the CPU limit, not the wall clock's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loop_over_host_imports_ends_at_the_cpu_limit() {
    let w = world(|_| {}).await;
    let limits = Limits {
        cpu_ms_per_call: 200,
        wall_ms_per_call: 10_000,
        ..Limits::default()
    };
    let started = Instant::now();
    let r = call(&w.rt, &w.a, limits, "/clock-loop", &[]).await;
    assert_eq!(breach(r), Breach::CpuTime { limit_ms: 200 });
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// A connector printing more than the host keeps of stderr (a `dbg!` of a
/// large webhook) goes on working: Rust's `eprintln!` panics on a write the
/// stream refuses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writing_a_lot_to_stderr_is_not_a_crash() {
    let w = world(|_| {}).await;
    assert_eq!(
        call(&w.rt, &w.a, Limits::default(), "/chatty", &[("kb", "64")])
            .await
            .unwrap(),
        "said 64 KiB"
    );
}

/// A connector backing off with `std::thread::sleep` waits on a WASI
/// timer, in the host: the wait is not CPU time, only wall-clock time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sleep_is_not_cpu_time() {
    let w = world(|_| {}).await;
    let limits = Limits {
        cpu_ms_per_call: 100,
        ..Limits::default()
    };
    let started = Instant::now();
    assert_eq!(
        call(&w.rt, &w.a, limits, "/sleep", &[("ms", "600")])
            .await
            .unwrap(),
        "awake"
    );
    assert!(started.elapsed() >= Duration::from_millis(600));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_reply_is_refused() {
    let w = world(|_| {}).await;
    let limits = Limits {
        max_reply_bytes: 1 << 20,
        ..Limits::default()
    };
    // The body counts, and so do the events, as the JSON the store keeps.
    for path in ["/big-reply", "/big-events"] {
        let (r, _) = with_neighbour(&w, limits.clone(), path, &[("mb", "2")]).await;
        match breach(r) {
            Breach::ReplyTooLarge { size, limit } => {
                assert_eq!(limit, 1 << 20, "{path}");
                assert!(size >= 2 << 20, "{path}: {size}");
            }
            other => panic!("{path}: {other:?}"),
        }
    }
    // Under the limit, the JSON that was counted is what the store gets.
    let reply =
        w.rt.ingest(
            &target(&w.a, "misbehave", limits),
            &installation(&w.a, "misbehave"),
            &request("GET", "/big-events", &[("mb", "0")], b""),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reply.events_json.len(), 1);
    let stored: serde_json::Value = serde_json::from_str(&reply.events_json[0]).unwrap();
    assert_eq!(stored["dedup_key"], "big", "{stored}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_and_rate_limits_are_per_tenant() {
    let w = world(|_| {}).await;
    let limits = Limits {
        calls_per_minute: 2,
        ..Limits::default()
    };
    call(&w.rt, &w.a, limits.clone(), "/ok", &[]).await.unwrap();
    call(&w.rt, &w.a, limits.clone(), "/ok", &[]).await.unwrap();
    assert_eq!(
        breach(call(&w.rt, &w.a, limits.clone(), "/ok", &[]).await),
        Breach::Rate { limit: 2 }
    );
    // Refusals are recorded at a sampled rate: the first of a burst only.
    for _ in 0..5 {
        assert!(call(&w.rt, &w.a, limits.clone(), "/ok", &[]).await.is_err());
    }
    let incidents = w.store.list_incidents(&w.a, 10).await.unwrap();
    assert_eq!(
        incidents.iter().filter(|i| i.kind == "limit_rate").count(),
        1,
        "{incidents:?}"
    );
    assert_eq!(call(&w.rt, &w.b, limits, "/ok", &[]).await.unwrap(), "OK");

    let one = Limits {
        max_concurrent_calls: 1,
        cpu_ms_per_call: 300,
        ..Limits::default()
    };
    let rt = Arc::clone(&w.rt);
    let (a, busy) = (w.a.clone(), one.clone());
    let running = tokio::spawn(async move { call(&rt, &a, busy, "/loop", &[]).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        breach(call(&w.rt, &w.a, one.clone(), "/ok", &[]).await),
        Breach::Concurrency { limit: 1 }
    );
    assert_eq!(call(&w.rt, &w.b, one, "/ok", &[]).await.unwrap(), "OK");
    assert!(matches!(
        running.await.unwrap(),
        Err(CallError::Breach(Breach::CpuTime { .. }))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capabilities_are_scoped_to_the_installation_and_tenant() {
    let w = world(|_| {}).await;
    let inst = w
        .store
        .create_integration(misbehave_integration(&w.a))
        .await
        .unwrap();
    let mut t = target(&w.a, "misbehave", Limits::default());
    t.context.installation_id = inst.id.clone();
    t.context.config = vec![("greeting".into(), "hello".into())];
    t.context.secrets.insert("token".into(), "s3cret".into());
    let run = |t: switchboard::runtime::CallTarget,
               path: &'static str,
               q: Vec<(&'static str, &'static str)>| {
        let rt = Arc::clone(&w.rt);
        let business = w.a.clone();
        async move {
            let r = rt
                .ingest(
                    &t,
                    &installation(&business, "misbehave"),
                    &request("GET", path, &q, b""),
                )
                .await
                .unwrap()
                .unwrap();
            String::from_utf8(r.response.body).unwrap()
        }
    };
    assert_eq!(
        run(
            t.clone(),
            "/state",
            vec![("key", "cursor"), ("value", "page-7")]
        )
        .await,
        "page-7"
    );
    assert_eq!(
        run(t.clone(), "/state", vec![("key", "cursor")]).await,
        "page-7",
        "state persists across calls"
    );
    // Kept per installation, sealed at rest.
    let stored = w
        .store
        .state_get(&inst.id, "cursor")
        .await
        .unwrap()
        .unwrap();
    assert!(
        stored.starts_with("sealed:1:") && !stored.contains("page-7"),
        "{stored}"
    );
    assert_eq!(
        run(t.clone(), "/config", vec![("key", "greeting")]).await,
        "hello token=set"
    );

    w.store
        .put_contact(&switchboard::store::Contact {
            business_id: w.a.clone(),
            id: "c1".into(),
            kind: switchboard::store::ContactKind::Contact,
            name: "Khoa".into(),
            phones: vec!["+84904824242".into()],
            company_id: None,
            company_name: None,
            owner_user_id: None,
        })
        .await
        .unwrap();
    assert_eq!(
        run(t.clone(), "/directory", vec![("phone", "+84904824242")]).await,
        "Khoa"
    );
    let tb = target(&w.b, "misbehave", Limits::default());
    assert_eq!(
        run(tb, "/directory", vec![("phone", "+84904824242")]).await,
        "",
        "tenant B sees none of A's contacts"
    );
}
