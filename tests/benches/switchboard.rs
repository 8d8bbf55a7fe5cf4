//! Switchboard's benchmarks: a harness that prints figures (recorded in
//! docs/benchmarks.md with the command that produced them).
//!
//! ```sh
//! cargo bench -p switchboard-tests --bench switchboard            # everything
//! cargo bench -p switchboard-tests --bench switchboard -- sandbox # one part
//! ```
//!
//! Every figure comes with a baseline measured in the same run, because the
//! machine is small and noisy: medians and ratios, not absolute promises.
//!
//! - `sandbox`: one component call (fresh instance from the pre-instantiated
//!   component, call, teardown) against the same parsing compiled natively.
//! - `ingest`: a loopback load generator posting 3CX ringing events to
//!   `/hooks/{id}` of a real server (durable ingest on SQLite), against a
//!   bare axum handler that answers 200.
//! - `pull`: recordings synced per minute from the fake 3CX XAPI (1 MB and
//!   8 MB files), and the process's peak memory above its resting size
//!   during each sync, against a plain streaming download of the same files
//!   to disk measured in the same run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use switchboard::runtime::wit::since_v0_1_0::types as host_types;
use switchboard_tests::app::TestApp;
use switchboard_tests::*;

// The server's allocator, as `switchboard serve` runs with it.
#[global_allocator]
static ALLOCATOR: switchboard::Allocator = switchboard::Allocator;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

/// Median over `rounds` of the mean time per call of `batch` calls, in µs.
fn time_native(rounds: usize, batch: usize, mut f: impl FnMut()) -> f64 {
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        for _ in 0..batch {
            f();
        }
        samples.push(start.elapsed().as_secs_f64() * 1e6 / batch as f64);
    }
    median(samples)
}

fn guest_request(query: &[(&str, &str)]) -> switchboard_sdk::types::HttpRequest {
    switchboard_sdk::types::HttpRequest {
        method: "GET".into(),
        path: "/".into(),
        query: switchboard_sdk::types::pairs(query.iter().copied()),
        headers: Vec::new(),
        body: Vec::new(),
    }
}

const RINGING: &[(&str, &str)] = &[
    ("event", "ringing"),
    ("callerid", "89161234567"),
    ("did", "74951343060"),
    ("user", "101"),
    ("usertype", "ext"),
    ("id", "210701165649_698-1"),
];

async fn sandbox() {
    let (store, _dir) = sqlite_store().await;
    let rt = runtime(&store, settings());
    load(&rt, TRIVIAL).await;
    load(&rt, THREECX_WEBHOOKS).await;
    // The default tenant rate (6000 calls a minute) would end the run early:
    // this measures the call path, not admission.
    let mut limits = rt.default_limits().clone();
    limits.calls_per_minute = 100_000_000;
    let rounds = 15;
    let batch = 400;

    println!("## sandbox: one component call vs the same code native\n");
    println!("| component | native µs/call (median) | sandboxed µs/call (median) | ratio |");
    println!("|---|---|---|---|");
    for (name, query, native) in [
        (
            "trivial",
            &[("id", "42"), ("ext", "101")][..],
            Box::new(|r: &switchboard_sdk::types::HttpRequest| {
                black_box(fixture_trivial::parse(r).unwrap());
            }) as Box<dyn Fn(&switchboard_sdk::types::HttpRequest)>,
        ),
        (
            "threecx-webhooks",
            RINGING,
            Box::new(|r: &switchboard_sdk::types::HttpRequest| {
                black_box(
                    threecx_webhooks::parse(r, &threecx_webhooks::Settings::default()).unwrap(),
                );
            }),
        ),
    ] {
        let guest = guest_request(query);
        let native_us = time_native(rounds, batch * 10, || native(&guest));
        let target = target("bench", name, limits.clone());
        let inst = installation("bench", name);
        let req = host_types::HttpRequest {
            method: "GET".into(),
            path: "/".into(),
            query: pairs(query),
            headers: Vec::new(),
            body: Vec::new(),
        };
        // Warm up: the first call pays for lazy initialisation.
        for _ in 0..50 {
            rt.ingest(&target, &inst, &req).await.unwrap().unwrap();
        }
        let mut samples = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let start = Instant::now();
            for _ in 0..batch {
                black_box(rt.ingest(&target, &inst, &req).await.unwrap().unwrap());
            }
            samples.push(start.elapsed().as_secs_f64() * 1e6 / batch as f64);
        }
        let sandboxed = median(samples);
        println!(
            "| {name} | {native_us:.2} | {sandboxed:.2} | {:.1}x |",
            sandboxed / native_us
        );
    }
    println!();
}

/// Posts with `concurrency` workers for `duration`; returns (events/s,
/// sorted latencies in ms). `make_url(n)` gives the n-th request's URL.
async fn load_run(
    concurrency: usize,
    duration: Duration,
    make_url: Arc<dyn Fn(u64) -> String + Send + Sync>,
) -> (f64, Vec<f64>) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let counter = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let client = client.clone();
        let counter = Arc::clone(&counter);
        let make_url = Arc::clone(&make_url);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                let r = client.post(make_url(n)).send().await.unwrap();
                assert_eq!(r.status(), 200);
                let _ = r.bytes().await.unwrap();
                latencies.push(t.elapsed().as_secs_f64() * 1e3);
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (all.len() as f64 / elapsed, all)
}

async fn bare_server() -> String {
    let app = axum::Router::new().route("/hook", axum::routing::post(|| async { "OK" }));
    let base = serve(app).await;
    format!("{base}/hook")
}

async fn ingest() {
    let concurrency: usize = std::env::var("INGEST_CONNECTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32);
    let duration = Duration::from_secs(5);
    let app = TestApp::start(|s| {
        s.limits.calls_per_minute = 100_000_000;
        s.limits.max_concurrent_calls = 1024;
    })
    .await;
    let created = app
        .post(
            "/integrations",
            serde_json::json!({"kind": "threecx-webhooks", "name": "bench"}),
        )
        .await;
    let hook = created.body["webhookUrl"].as_str().unwrap().to_owned();
    let bare = bare_server().await;

    println!(
        "## ingest: 3CX ringing events over loopback HTTP, {concurrency} connections, {}s per run\n",
        duration.as_secs()
    );
    println!("| target | events/s | p50 ms | p99 ms |");
    println!("|---|---|---|---|");
    let mut ratios = Vec::new();
    for round in 0..3 {
        let bare_url = bare.clone();
        let (bare_rate, bare_lat) =
            load_run(concurrency, duration, Arc::new(move |_| bare_url.clone())).await;
        let hook = hook.clone();
        let cpu = cpu_seconds();
        let started = Instant::now();
        let (rate, lat) = load_run(
            concurrency,
            duration,
            Arc::new(move |n| {
                format!(
                    "{hook}?event=ringing&callerid=89161234567&did=74951343060&user=101&usertype=ext&id=2107011656{round}_{n}-1"
                )
            }),
        )
        .await;
        // The load generator runs in this process too, so this is the
        // whole loop's CPU: client, server, sandbox and database.
        let busy = (cpu_seconds() - cpu) / started.elapsed().as_secs_f64();
        println!(
            "| bare axum 200 (run {round}) | {bare_rate:.0} | {:.2} | {:.2} |",
            percentile(&bare_lat, 0.5),
            percentile(&bare_lat, 0.99)
        );
        println!(
            "| switchboard /hooks, durable (run {round}; cores busy {busy:.2}) | {rate:.0} | {:.2} | {:.2} |",
            percentile(&lat, 0.5),
            percentile(&lat, 0.99)
        );
        ratios.push(rate / bare_rate);
    }
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbound_events")
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    println!(
        "\nmedian switchboard/bare throughput ratio: {:.2}; events stored: {stored}\n",
        median(ratios)
    );
    app.stop().await;
}

/// `Store::ingest` alone, one ringing event per transaction, sequential:
/// how much of the HTTP figure is the database.
async fn store() {
    use switchboard::calls::fold::fold;
    use switchboard::store::NewIntegration;
    let (store, _dir) = sqlite_store().await;
    let business = store.create_business("bench").await.unwrap();
    let integration = store
        .create_integration(NewIntegration {
            business_id: business.id.clone(),
            kind: "threecx-webhooks".into(),
            name: "bench".into(),
            config: serde_json::json!({}),
            secrets: None,
        })
        .await
        .unwrap();
    // The fold must read the benchmark's events as a call, or the figures
    // leave it out.
    let folded = fold(&[ringing("check")[0].payload.clone()]);
    assert_eq!(folded.status, "ringing");
    let n = 3000;
    let start = Instant::now();
    for i in 0..n {
        let events = ringing(&format!("single-{i}"));
        store
            .ingest(&business.id, &integration.id, &events, &fold)
            .await
            .unwrap();
    }
    let per = start.elapsed().as_secs_f64() * 1e6 / n as f64;
    println!("## store: Store::ingest on SQLite, sequential, no HTTP or sandbox\n");
    println!("| requests per transaction | µs per event | events/s |");
    println!("|---|---|---|");
    println!("| 1 | {per:.1} | {:.0} |", 1e6 / per);

    // What the ingest writer does under load: many requests (one new call's
    // ringing event each) in one transaction, with the real fold; through
    // the pool (PostgreSQL's way, and SQLite's until the writer had its own
    // connection) and through the writer's own connection.
    let jobs_of = |tag: &str, size: usize, round: usize| -> Vec<switchboard::store::IngestJob> {
        (0..size * 20)
            .map(|i| {
                let key = format!("{tag}{size}-{round}-{i}");
                switchboard::store::IngestJob {
                    business_id: business.id.clone(),
                    integration_id: integration.id.clone(),
                    events: ringing(&key),
                    notices: Vec::new(),
                }
            })
            .collect()
    };
    let mut direct = store.direct_writer().await.unwrap().unwrap();
    for size in [16usize, 128] {
        let mut pooled = Vec::new();
        let mut own = Vec::new();
        for round in 0..5 {
            let jobs = jobs_of("pool", size, round);
            let start = Instant::now();
            for batch in jobs.chunks(size) {
                store.ingest_batch(batch, &fold).await.unwrap();
            }
            pooled.push(start.elapsed().as_secs_f64() * 1e6 / jobs.len() as f64);

            let jobs = jobs_of("own", size, round);
            let (back, per) = tokio::task::spawn_blocking(move || {
                let start = Instant::now();
                for batch in jobs.chunks(size) {
                    direct.ingest_batch(batch, &fold).unwrap();
                }
                (
                    direct,
                    start.elapsed().as_secs_f64() * 1e6 / jobs.len() as f64,
                )
            })
            .await
            .unwrap();
            direct = back;
            own.push(per);
        }
        let (pooled, own) = (median(pooled), median(own));
        println!(
            "| {size}, through the pool | {pooled:.1} | {:.0} |",
            1e6 / pooled
        );
        println!(
            "| {size}, the writer's own connection | {own:.1} | {:.0} ({:.1}x) |",
            1e6 / own,
            pooled / own
        );
    }
    println!();
}

/// A sink that counts POSTs and answers 204.
async fn sink() -> (String, Arc<AtomicU64>) {
    let count = Arc::new(AtomicU64::new(0));
    let c = Arc::clone(&count);
    let app = axum::Router::new().route(
        "/sink",
        axum::routing::post(move || {
            let c = Arc::clone(&c);
            async move {
                c.fetch_add(1, Ordering::Relaxed);
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let base = serve(app).await;
    (format!("{base}/sink"), count)
}

/// The outbox draining into a local sink through the webhook channel
/// component (signed Standard Webhooks requests), against the same number
/// of plain POSTs to the same sink with the same concurrency.
async fn outbox() {
    use switchboard::store::NewNotification;
    let n: u64 = 5000;
    let (url, received) = sink().await;
    let app = TestApp::start(|s| {
        s.outbox_poll_ms = 10;
        s.limits.calls_per_minute = 100_000_000;
        s.limits.max_concurrent_calls = 1024;
    })
    .await;
    let endpoint = app
        .post(
            "/webhooks",
            serde_json::json!({"url": url, "eventTypes": ["*"]}),
        )
        .await;
    let endpoint_id = endpoint.body["id"].as_str().unwrap().to_owned();

    // Baseline: the same number of POSTs straight to the sink, 16 at a time.
    let client = reqwest::Client::new();
    let start = Instant::now();
    let sem = Arc::new(tokio::sync::Semaphore::new(16));
    let mut tasks = Vec::new();
    for _ in 0..n {
        let permit = Arc::clone(&sem).acquire_owned().await.unwrap();
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            client.post(&url).body("{}").send().await.unwrap();
            drop(permit);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let bare_rate = n as f64 / start.elapsed().as_secs_f64();
    received.store(0, Ordering::Relaxed);

    // One notification to the endpoint, told apart by its body.
    let notification = |body: String| NewNotification {
        business_id: app.business_id.clone(),
        channel: "webhook".into(),
        destination_id: Some(endpoint_id.clone()),
        title: "bench".into(),
        body,
        link: None,
        severity: "info".into(),
        attributes: serde_json::json!({"event.type": "call.ended"}),
    };

    // Enqueue with the worker running: it drains as rows arrive.
    let start = Instant::now();
    for i in 0..n {
        app.store()
            .enqueue_notification(notification(format!("n{i}")))
            .await
            .unwrap();
    }
    let enqueued = start.elapsed().as_secs_f64();
    while received.load(Ordering::Relaxed) < n {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();

    // Drain: a backlog stored in one transaction, timed from its commit
    // until the sink has every delivery (the worker claims and records in
    // batches; nothing else competes for the database). Three rounds.
    let mut drains = Vec::new();
    let mut busy = Vec::new();
    for round in 0..3 {
        received.store(0, Ordering::Relaxed);
        let backlog: Vec<NewNotification> = (0..n)
            .map(|i| notification(format!("d{round}-{i}")))
            .collect();
        app.store().enqueue_notifications(&backlog).await.unwrap();
        let start = Instant::now();
        let cpu = cpu_seconds();
        while received.load(Ordering::Relaxed) < n {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let wall = start.elapsed().as_secs_f64();
        drains.push(n as f64 / wall);
        busy.push((cpu_seconds() - cpu) / wall);
    }
    let drain_rates = drains
        .iter()
        .map(|r| format!("{r:.0}"))
        .collect::<Vec<_>>()
        .join(" / ");
    let drain_rate = median(drains);

    // Added latency: one notification sent inline (`/webhooks/{id}/test`:
    // store, claim, sign, deliver, record) vs one plain POST.
    let mut inline = Vec::new();
    let mut plain = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        let r = app
            .post(
                &format!("/webhooks/{endpoint_id}/test"),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(r.body["ok"], true, "{}", r.text);
        inline.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        client.post(&url).body("{}").send().await.unwrap();
        plain.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!("## outbox: deliveries through the webhook channel component to a local sink\n");
    println!("| what | figure |");
    println!("|---|---|");
    println!("| plain POSTs to the sink, 16 concurrent | {bare_rate:.0} requests/s |");
    println!(
        "| outbox → webhook-channel → sink ({n} notifications) | {rate:.0} deliveries/s (enqueueing took {enqueued:.2} s) |"
    );
    println!(
        "| outbox drain of a {n}-notification backlog → webhook-channel → sink | {drain_rates} deliveries/s (median {drain_rate:.0}; cores busy {:.2}) |",
        median(busy)
    );
    println!(
        "| one notification sent inline, median of 50 | {:.2} ms |",
        median(inline)
    );
    println!(
        "| one plain POST, median of 50 | {:.2} ms |\n",
        median(plain)
    );
    app.stop().await;
}

/// Resident and peak resident memory of this process, in KiB.
/// CPU seconds (user + system) this process has used so far, from
/// `/proc/self/stat`: with wall time, how many of the 2 cores a phase kept
/// busy, i.e. whether it was bound by the CPU or by waiting.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 here; 100 ticks a second.
    (ticks(11) + ticks(12)) / 100.0
}

fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resets the peak-RSS mark (Linux: `5` into clear_refs), so the next peak
/// read is this phase's own.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// One sync of `count` recordings of `size` bytes: (recordings per minute,
/// peak KiB above the resting RSS).
async fn pull_once(count: u64, size: usize) -> (f64, u64) {
    use switchboard_tests::recording_fakes::{Behaviour, FakeRecording, fake_3cx};
    let fake = Behaviour::with((1..=count).map(|i| FakeRecording::new(i, size)).collect());
    let base = fake_3cx(Arc::clone(&fake)).await;
    let app = TestApp::start(|s| {
        s.sync_poll_ms = 20;
        s.sync_page_size = 50;
        s.recording_max_bytes = 64 << 20;
        // No analyzer is connected; keep its worker quiet.
        s.analysis_poll_ms = 60_000;
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (rest, _) = memory_kib();
    reset_peak();
    let start = Instant::now();
    let created = app
        .post(
            "/integrations",
            serde_json::json!({"kind": "threecx-cloud", "name": "bench", "config": {"baseUrl": base},
                   "secrets": {"clientId": "c", "clientSecret": "good-secret"}}),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    // Pulling starts at "Set as default" (seed 000).
    app.post(
        &format!("/integrations/{id}/default"),
        serde_json::json!({}),
    )
    .await;
    loop {
        let s = app.get(&format!("/integrations/{id}/sync")).await;
        if s.body["totalStored"].as_u64() == Some(count) {
            break;
        }
        assert!(s.body["lastError"].is_null(), "{}", s.text);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let secs = start.elapsed().as_secs_f64();
    let (_, peak) = memory_kib();
    app.stop().await;
    (count as f64 * 60.0 / secs, peak.saturating_sub(rest))
}

/// The same files fetched by a plain streaming client into a file each.
async fn plain_download(count: u64, size: usize) -> f64 {
    use futures::StreamExt as _;
    use switchboard_tests::recording_fakes::{Behaviour, FakeRecording, fake_3cx};
    use tokio::io::AsyncWriteExt as _;
    let fake = Behaviour::with((1..=count).map(|i| FakeRecording::new(i, size)).collect());
    let base = fake_3cx(Arc::clone(&fake)).await;
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let token = client
        .post(format!("{base}/connect/token"))
        .form(&[
            ("client_id", "c"),
            ("client_secret", "good-secret"),
            ("grant_type", "client_credentials"),
        ])
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let start = Instant::now();
    for i in 1..=count {
        let r = client
            .get(format!(
                "{base}/xapi/v1/Recordings/Pbx.DownloadRecording(recId={i})"
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let mut file = tokio::fs::File::create(dir.path().join(i.to_string()))
            .await
            .unwrap();
        let mut body = r.bytes_stream();
        while let Some(chunk) = body.next().await {
            file.write_all(&chunk.unwrap()).await.unwrap();
        }
        file.sync_all().await.unwrap();
    }
    count as f64 * 60.0 / start.elapsed().as_secs_f64()
}

async fn pull() {
    let rounds = 3;
    for (count, size) in [(40u64, 1usize << 20), (5, 8 << 20)] {
        let mut rates = Vec::new();
        let mut peaks = Vec::new();
        let mut plain = Vec::new();
        for _ in 0..rounds {
            let (rate, peak) = pull_once(count, size).await;
            rates.push(rate);
            peaks.push(peak as f64);
            plain.push(plain_download(count, size).await);
        }
        let (rate, plain) = (median(rates), median(plain));
        println!(
            "pull {} x {} MiB: {:.0} recordings/min synced (median of {rounds}), plain download {:.0}/min, ratio {:.2}; peak RSS above rest {:.1} MiB",
            count,
            size >> 20,
            rate,
            plain,
            rate / plain,
            median(peaks) / 1024.0
        );
    }
}

fn main() {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wants = |name: &str| filter.is_empty() || filter.iter().any(|f| f == name);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        if wants("sandbox") {
            sandbox().await;
        }
        if wants("store") {
            store().await;
        }
        if wants("outbox") {
            outbox().await;
        }
        if wants("ingest") {
            ingest().await;
        }
        if wants("pull") {
            pull().await;
        }
    });
}

/// The event the 3CX connector makes of a ringing webhook for chain `chain`
/// (leg 1, an extension ringing), as the store gets it.
fn ringing(chain: &str) -> Vec<switchboard::store::NewEvent> {
    use host_types::{
        CallEvent, CallPhase, CallRef, Direction, EndpointKind, Event, EventBody, TransferKind,
    };
    let event = Event {
        dedup_key: format!("ringing:{chain}-1:101"),
        occurred_at: None,
        body: EventBody::Call(CallEvent {
            call: CallRef {
                external_id: format!("{chain}-1"),
                chain_id: chain.to_owned(),
                leg: 1,
            },
            phase: CallPhase::Ringing,
            direction: Direction::Inbound,
            customer_phone: Some("+79161234567".into()),
            extension: Some("101".into()),
            extension_kind: EndpointKind::Extension,
            did: Some("+74951343060".into()),
            user_id: None,
            transfer: TransferKind::None,
            transferred: false,
            outcome: None,
            hangup_cause: None,
            started_at: None,
            answered_at: None,
            ended_at: None,
            duration_sec: None,
            talk_sec: None,
            recordings: Vec::new(),
            attributes: Vec::new(),
        }),
    };
    let json = serde_json::to_string(&event).expect("an event serializes");
    switchboard::calls::to_new_events(&[event], vec![json]).expect("a valid event")
}
