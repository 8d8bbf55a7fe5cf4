//! One delivery attempt of one outbox notification through its channel
//! component, and what follows from the outcome: the attempt is recorded
//! with the notification's new state in one transaction; a destination the
//! channel reports gone (bot blocked, webhook deleted) is marked inactive.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use super::backoff::{self, Schedule};
use super::ratelimit::{
    DISCORD_WEBHOOK, RateLimiter, Rule, TELEGRAM_BOT, TELEGRAM_BOT_KEY, TELEGRAM_CHAT,
};
use crate::cache::Lookups;
use crate::config::Settings;
use crate::crypto::{SecretBox, aad};
use crate::installations::installation_egress;
use crate::runtime::call_state::CallContext;
use crate::runtime::limits::{Breach, LimitOverrides};
use crate::runtime::wit::since_v0_1_0::channel::exports::switchboard::connector::delivery::{
    Destination, Notification as WitNotification, Outcome, Severity,
};
use crate::runtime::wit::since_v0_1_0::types::{ConnectorError, Pair};
use crate::runtime::{CallError, CallTarget, Runtime};
use crate::store::{AttemptResult, NewNotification, Notification, Store, StoreError, now_ms};

pub const TELEGRAM_COMPONENT: &str = "telegram-channel";
pub const DISCORD_COMPONENT: &str = "discord-channel";
pub const WEBHOOK_COMPONENT: &str = "webhook-channel";

/// The record kind outgoing-webhook signing secrets are sealed under.
pub const WEBHOOK_SECRET_RECORD: &str = "webhook_endpoint";

/// How long a claim on a notification lasts: longer than any one send. The
/// worker renews it while it sends a batch (`worker.rs`), so a batch may
/// take longer; a crashed worker's claims are free again after this.
pub const LEASE_MS: i64 = 60_000;

/// Each attempt of a batch: its result and latency in ms, or the error that
/// kept it from being made.
pub type Attempts = Vec<Result<(AttemptResult, i64), StoreError>>;

/// The record kind Discord webhook URLs are sealed under.
pub const DISCORD_RECORD: &str = "discord_webhook";

pub struct Notifier {
    pub store: Store,
    pub runtime: Arc<Runtime>,
    pub secrets: Arc<SecretBox>,
    pub settings: Arc<Settings>,
    /// The same cached lookups the inbound path uses (tenant limits).
    pub lookups: Arc<Lookups>,
    pub limiter: RateLimiter,
    /// In-app notifications from the outbox (automations) land in the feed
    /// and fan out here.
    pub feed: Arc<crate::notify::feed_hub::FeedHub>,
    /// Announces new feed rows to the other servers (PostgreSQL).
    pub relay: Arc<crate::notify::feed_relay::FeedRelay>,
}

/// Where one notification goes, resolved from its destination id.
pub(crate) struct Route {
    pub component: &'static str,
    pub key: String,
    pub rules: &'static [Rule],
    /// A limit the destination shares with others (the one platform bot).
    pub shared: Option<(&'static str, &'static [Rule])>,
    pub config: Vec<(String, String)>,
    pub secrets: HashMap<String, String>,
}

impl Route {
    /// Every limit a send on this route counts against.
    pub fn limits(&self) -> Vec<(&str, &'static [Rule])> {
        let mut limits = vec![(self.key.as_str(), self.rules)];
        limits.extend(self.shared);
        limits
    }

    /// The destination as the channel component sees it.
    pub fn destination(&self, id: &str) -> Destination {
        Destination {
            id: id.to_owned(),
            config: self
                .config
                .iter()
                .map(|(name, value)| Pair {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
        }
    }
}

enum Resolved {
    Route(Route),
    /// The destination is gone or switched off: a permanent failure.
    Unavailable(&'static str, String),
}

fn severity(s: &str) -> Severity {
    match s {
        "critical" => Severity::Critical,
        "warning" => Severity::Warning,
        _ => Severity::Info,
    }
}

fn attributes(v: &Value) -> Vec<Pair> {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| Pair {
                    name: k.clone(),
                    value: v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                })
                .collect()
        })
        .unwrap_or_default()
}

impl Notifier {
    async fn resolve(&self, n: &Notification) -> Result<Resolved, StoreError> {
        let Some(dest) = n.destination_id.as_deref() else {
            return Ok(Resolved::Unavailable(
                "no_destination",
                "no destination".into(),
            ));
        };
        match n.channel.as_str() {
            "telegram" => {
                let chat = match self.store.get_telegram_chat(&n.business_id, dest).await {
                    Ok(c) => c,
                    Err(StoreError::NotFound) => {
                        return Ok(Resolved::Unavailable(
                            "chat_not_found",
                            "the chat was unlinked".into(),
                        ));
                    }
                    Err(e) => return Err(e),
                };
                if !chat.is_active {
                    return Ok(Resolved::Unavailable(
                        "chat_inactive",
                        chat.inactive_reason
                            .unwrap_or_else(|| "the chat is switched off".into()),
                    ));
                }
                let Some(token) = self.settings.telegram_bot_token.clone() else {
                    return Ok(Resolved::Unavailable(
                        "telegram_not_configured",
                        "no bot token is configured".into(),
                    ));
                };
                Ok(Resolved::Route(Route {
                    component: TELEGRAM_COMPONENT,
                    key: format!("telegram:{}", chat.chat_id),
                    rules: TELEGRAM_CHAT,
                    shared: Some((TELEGRAM_BOT_KEY, TELEGRAM_BOT)),
                    config: vec![
                        ("chatId".into(), chat.chat_id),
                        ("apiBase".into(), self.settings.telegram_api_base.clone()),
                    ],
                    secrets: HashMap::from([("botToken".to_owned(), token)]),
                }))
            }
            "discord" => {
                let hook = match self.store.get_discord_webhook(&n.business_id, dest).await {
                    Ok(h) => h,
                    Err(StoreError::NotFound) => {
                        return Ok(Resolved::Unavailable(
                            "discord_webhook_not_found",
                            "the webhook was removed".into(),
                        ));
                    }
                    Err(e) => return Err(e),
                };
                if !hook.is_active {
                    return Ok(Resolved::Unavailable(
                        "discord_webhook_inactive",
                        hook.inactive_reason
                            .unwrap_or_else(|| "the webhook is switched off".into()),
                    ));
                }
                let url = self
                    .secrets
                    .open(
                        &hook.url_sealed,
                        &aad(&n.business_id, DISCORD_RECORD, &hook.id),
                    )
                    .map_err(|e| StoreError::Corrupt(format!("discord webhook url: {e}")))?;
                let url = String::from_utf8(url)
                    .map_err(|_| StoreError::Corrupt("discord webhook url is not text".into()))?;
                Ok(Resolved::Route(self.discord_route(url, &hook.id)))
            }
            "webhook" => {
                // The business's endpoints from the shared lookup cache (the
                // webhooks API invalidates it on every change; a secret
                // rotated elsewhere signs with the still-valid previous one
                // for at most the cache's lifetime).
                let key = n.business_id.clone();
                let endpoints = self
                    .lookups
                    .endpoints
                    .get_or_load(&key, self.store.list_webhook_endpoints(&n.business_id))
                    .await?;
                let Some(endpoint) = endpoints.iter().find(|e| e.id == dest).cloned() else {
                    return Ok(Resolved::Unavailable(
                        "webhook_not_found",
                        "the endpoint was removed".into(),
                    ));
                };
                if !endpoint.is_active {
                    return Ok(Resolved::Unavailable(
                        "webhook_inactive",
                        endpoint
                            .inactive_reason
                            .unwrap_or_else(|| "the endpoint is switched off".into()),
                    ));
                }
                let open = |sealed: &[u8]| -> Result<String, StoreError> {
                    let plain = self
                        .secrets
                        .open(
                            sealed,
                            &aad(&n.business_id, WEBHOOK_SECRET_RECORD, &endpoint.id),
                        )
                        .map_err(|e| StoreError::Corrupt(format!("webhook secret: {e}")))?;
                    String::from_utf8(plain)
                        .map_err(|_| StoreError::Corrupt("webhook secret is not text".into()))
                };
                let mut secrets =
                    HashMap::from([("secret".to_owned(), open(&endpoint.secret_sealed)?)]);
                if let (Some(prev), Some(until)) =
                    (&endpoint.previous_sealed, endpoint.previous_expires_at)
                    && until > now_ms()
                {
                    secrets.insert("previousSecret".to_owned(), open(prev)?);
                }
                Ok(Resolved::Route(Route {
                    component: WEBHOOK_COMPONENT,
                    key: format!("webhook:{}", endpoint.id),
                    rules: &[],
                    shared: None,
                    config: vec![("url".into(), endpoint.url.clone())],
                    secrets,
                }))
            }
            other => Ok(Resolved::Unavailable(
                "unsupported_channel",
                format!("channel `{other}`"),
            )),
        }
    }

    /// The route to a Discord webhook (row `row_id`): its URL is the secret
    /// the component reads.
    pub(crate) fn discord_route(&self, url: String, row_id: &str) -> Route {
        // Discord limits the webhook, not our row: one webhook added twice
        // (by one business or two) shares one limit.
        let key = format!("discord:{}", discord_webhook_id(&url).unwrap_or(row_id));
        Route {
            component: DISCORD_COMPONENT,
            key,
            rules: DISCORD_WEBHOOK,
            shared: None,
            config: vec![("apiBase".into(), self.settings.discord_api_base.clone())],
            secrets: HashMap::from([("webhookUrl".to_owned(), url)]),
        }
    }

    /// Asks the route's channel component whether it can deliver there (its
    /// `validate-destination`) before the destination is saved: one the
    /// component would refuse at every send is refused by the API instead.
    /// `Ok(Err(reason))` is the component's refusal.
    pub(crate) async fn validate(
        &self,
        business_id: &str,
        destination_id: &str,
        route: &Route,
    ) -> anyhow::Result<Result<(), String>> {
        let target = self.target(business_id, destination_id, route).await?;
        let destination = route.destination(destination_id);
        Ok(
            match self
                .runtime
                .validate_destination(&target, &destination)
                .await?
            {
                Ok(_) => Ok(()),
                Err(ConnectorError::Internal(m)) => {
                    anyhow::bail!("the channel component failed: {m}")
                }
                // The component's own words, as every route gives them.
                Err(refused) => Err(crate::ingest::connector_error(refused).message),
            },
        )
    }

    /// The call target for a channel component: the business's limits (the
    /// defaults for the platform's own calls, which have no business), and
    /// egress to the route's base-URL settings.
    pub(crate) async fn target(
        &self,
        business_id: &str,
        destination_id: &str,
        route: &Route,
    ) -> anyhow::Result<CallTarget> {
        let key = business_id.to_owned();
        let limits = self
            .lookups
            .limits
            .get_or_load(&key, async {
                match self.store.business_limits(business_id).await {
                    Err(StoreError::NotFound) => Ok(None),
                    other => other,
                }
            })
            .await?;
        let overrides: Option<LimitOverrides> = limits.map(serde_json::from_value).transpose()?;
        let egress_extra = self
            .runtime
            .registry
            .get(route.component)
            .and_then(|c| installation_egress(&c.manifest, &route.config));
        Ok(CallTarget {
            component: route.component.to_owned(),
            context: CallContext {
                business_id: business_id.to_owned(),
                installation_id: destination_id.to_owned(),
                kind: route.component.to_owned(),
                config: route.config.clone(),
                secrets: route.secrets.clone(),
                egress_narrowing: None,
                egress_extra,
            },
            limits: self.runtime.limits_for(overrides.as_ref()),
        })
    }

    /// The in-app channel is the host's own: a feed row, fanned out live.
    /// Its data carries the link and the automation, so readers who muted
    /// the rule do not get it (see `api/notifications.rs`).
    async fn to_feed(&self, n: &Notification) -> Result<AttemptResult, StoreError> {
        let mut data = serde_json::Map::new();
        data.insert(
            "link".into(),
            n.link.clone().map_or(Value::Null, Value::String),
        );
        for (key, name) in [("automation.id", "ruleId"), ("call.id", "callId")] {
            if let Some(v) = n.attributes.get(key) {
                data.insert(name.into(), v.clone());
            }
        }
        let added = self
            .store
            .add_feed_item(
                &n.id,
                &n.business_id,
                &n.title,
                &n.body,
                &n.severity,
                &Value::Object(data),
            )
            .await?;
        // None: an earlier attempt added it and was not recorded (a crash,
        // a lost lease); it was pushed then.
        if let Some(item) = added {
            let id = item.id.clone();
            self.feed.publish(&n.business_id, item);
            self.relay.announce(&self.store, &n.business_id, &id).await;
        }
        Ok(AttemptResult::Delivered {
            external_id: Some(n.id.clone()),
        })
    }

    /// One attempt, not yet recorded.
    pub async fn attempt(&self, n: &Notification) -> Result<AttemptResult, StoreError> {
        if n.channel == "in_app" {
            return self.to_feed(n).await;
        }
        let route = match self.resolve(n).await? {
            Resolved::Route(r) => r,
            Resolved::Unavailable(code, detail) => {
                return Ok(AttemptResult::Failed {
                    code: code.into(),
                    detail,
                });
            }
        };
        if let Err(wait) = self.limiter.reserve_all(&route.limits(), Instant::now()) {
            let wait_ms = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
            return Ok(AttemptResult::RateLimited {
                next_at: now_ms() + wait_ms,
            });
        }
        let destination_id = n.destination_id.clone().unwrap_or_default();
        let target = match self.target(&n.business_id, &destination_id, &route).await {
            Ok(t) => t,
            // Reading the business's limits failed: a database error is
            // retried like any other (it used to fail the notification for
            // good as `destination_unreadable`); overrides that do not parse
            // are the operator's to fix, and retried meanwhile.
            Err(e) => match e.downcast::<StoreError>() {
                Ok(store) => return Err(store),
                Err(other) => return Ok(transient(n, 0, "limits_invalid", format!("{other:#}"))),
            },
        };
        let destination = route.destination(&destination_id);
        let notification = WitNotification {
            id: n.id.clone(),
            title: n.title.clone(),
            body: n.body.clone(),
            link: n.link.clone(),
            severity: severity(&n.severity),
            attributes: attributes(&n.attributes),
        };
        let outcome = self
            .runtime
            .send(&target, &destination, &notification)
            .await;
        let retry =
            |after_ms: u64, code: &str, detail: String| transient(n, after_ms, code, detail);
        Ok(match outcome {
            Ok(Outcome::Delivered(external_id)) => AttemptResult::Delivered { external_id },
            Ok(Outcome::RetryAfter(r)) => {
                // The channel's 429 holds the destination, so the sends
                // queued behind this one wait too instead of each drawing
                // its own 429 and using up an attempt.
                let after = std::time::Duration::from_millis(backoff::retry_after_ms(r.after_ms));
                self.limiter.hold(&route.key, Instant::now() + after);
                retry(r.after_ms, "retry", r.reason)
            }
            Ok(Outcome::Failed(f)) if n.channel == "telegram" && f.code == "chat_migrated" => {
                self.follow_migration(n, f.code, f.message).await?
            }
            Ok(Outcome::Failed(f)) => {
                if f.destination_gone {
                    self.mark_gone(n, &f.code).await?;
                }
                AttemptResult::Failed {
                    code: f.code,
                    detail: f.message,
                }
            }
            // The tenant's own sandbox limits (ingest and syncs share them),
            // or a full sandbox: wait like a channel's rate limit, without
            // using up attempts.
            Err(
                CallError::Breach(Breach::Concurrency { .. } | Breach::Rate { .. })
                | CallError::Busy { .. },
            ) => AttemptResult::RateLimited {
                next_at: now_ms() + SANDBOX_BUSY_MS,
            },
            // What no retry changes: the address is refused, or the
            // component cannot send at all.
            Err(
                e @ (CallError::Breach(Breach::EgressDenied { .. })
                | CallError::WorldNotServed { .. }),
            ) => AttemptResult::Failed {
                code: e.code().into(),
                detail: e.to_string(),
            },
            // The component broke or is missing: transient from the
            // notification's point of view (a fixed version may be
            // hot-loaded); the incident is recorded.
            Err(e) => retry(0, e.code(), e.to_string()),
        })
    }

    /// Telegram moved the group to a new (supergroup) chat id: the linked
    /// chat follows it and the notification goes again at once, instead of
    /// the chat being lost. The telegram-channel component reports the new
    /// id at the end of its message (`…migrated to <id>`).
    async fn follow_migration(
        &self,
        n: &Notification,
        code: String,
        message: String,
    ) -> Result<AttemptResult, StoreError> {
        let new_id = message
            .rsplit_once("migrated to ")
            .map(|(_, id)| id.trim())
            .filter(|id| {
                let digits = id.strip_prefix('-').unwrap_or(id);
                !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
            });
        let (Some(new_id), Some(dest)) = (new_id, n.destination_id.as_deref()) else {
            self.mark_gone(n, &code).await?;
            return Ok(AttemptResult::Failed {
                code,
                detail: message,
            });
        };
        let row = match self
            .store
            .migrate_telegram_chat(&n.business_id, dest, new_id)
            .await
        {
            Ok(row) => row,
            // The chat was unlinked meanwhile.
            Err(StoreError::NotFound) => {
                return Ok(AttemptResult::Failed {
                    code,
                    detail: message,
                });
            }
            Err(e) => return Err(e),
        };
        tracing::info!(business = %n.business_id, destination = dest, new_id, to = %row, "telegram chat migrated");
        // The supergroup was already linked as a row of its own: the
        // message goes there (it is the same conversation).
        if row != dest {
            self.store.retarget_notification(&n.id, &row).await?;
        }
        Ok(AttemptResult::Retry {
            next_at: now_ms(),
            code,
            detail: message,
        })
    }

    async fn mark_gone(&self, n: &Notification, code: &str) -> Result<(), StoreError> {
        let Some(dest) = n.destination_id.as_deref() else {
            return Ok(());
        };
        tracing::warn!(business = %n.business_id, destination = dest, code, "destination gone: marked inactive");
        match n.channel.as_str() {
            "telegram" => self
                .store
                .set_telegram_chat_active(&n.business_id, dest, false, Some(code))
                .await
                .or_else(|e| {
                    if matches!(e, StoreError::NotFound) {
                        Ok(())
                    } else {
                        Err(e)
                    }
                }),
            "discord" => {
                self.store
                    .set_discord_webhook_active(&n.business_id, dest, false, Some(code))
                    .await
            }
            "webhook" => {
                let off = self
                    .store
                    .switch_off_webhook_endpoint(&n.business_id, dest, code)
                    .await;
                // Its next events must not be queued for it either.
                self.lookups.endpoints.invalidate(&n.business_id);
                match off {
                    Err(StoreError::NotFound) => Ok(()),
                    other => other,
                }
            }
            _ => Ok(()),
        }
    }

    /// Attempts a claimed batch (`concurrency` at a time), then records
    /// every attempt in one transaction and each outgoing-webhook
    /// endpoint's result once. A crash before the record re-delivers the
    /// batch after the lease (at least once; webhook receivers dedupe on
    /// `webhook-id`, Telegram and Discord sends carry the notification id).
    /// Returns each notification's result, in batch order.
    pub async fn process_batch(
        &self,
        batch: &[Notification],
        concurrency: usize,
    ) -> Result<Vec<AttemptResult>, StoreError> {
        let attempts = self.attempt_batch(batch, concurrency).await;
        self.record_batch(batch, attempts, None).await
    }

    /// The sends of [`Notifier::process_batch`], without the record: a
    /// window of `concurrency` kept full (a slow send holds one slot, not
    /// the sends behind it), results in batch order.
    pub async fn attempt_batch(&self, batch: &[Notification], concurrency: usize) -> Attempts {
        use futures::StreamExt;
        let tripped = Tripped::default();
        let tripped = &tripped;
        let attempts: Vec<_> = batch
            .iter()
            .enumerate()
            .map(|(i, n)| async move {
                if let Some(next_at) = tripped.deferred_until(n) {
                    return (i, Ok((AttemptResult::Deferred { next_at }, 0)));
                }
                let attempt = self.timed_attempt(n).await;
                if let Ok((result, _)) = &attempt {
                    tripped.note(n, result);
                }
                (i, attempt)
            })
            .collect();
        let mut done: Vec<_> = futures::stream::iter(attempts)
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
        done.sort_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, attempt)| attempt).collect()
    }

    /// The record of [`Notifier::process_batch`]: every attempt of the batch
    /// in one transaction, then each outgoing-webhook endpoint's result.
    /// `held_until`: the lease the batch is held under (see
    /// `Store::record_attempts`).
    pub async fn record_batch(
        &self,
        batch: &[Notification],
        attempts: Attempts,
        held_until: Option<i64>,
    ) -> Result<Vec<AttemptResult>, StoreError> {
        let records = settle(batch, attempts);
        self.record_settled(batch, &records, held_until).await?;
        Ok(records.into_iter().map(|(_, result, _)| result).collect())
    }

    /// Records [`settle`]d attempts, trying again on a database error
    /// while the lease still holds (about 15 s of tries within its 60). A
    /// batch sent but not recorded (logged here) is sent again
    /// once its lease runs out (the notification id is the receiver's
    /// idempotency key), so this only narrows that window.
    pub async fn record_retrying(
        &self,
        batch: &[Notification],
        records: &[(String, AttemptResult, i64)],
        held_until: Option<i64>,
    ) {
        let mut wait = std::time::Duration::from_millis(500);
        for tries_left in (0..5).rev() {
            match self.record_settled(batch, records, held_until).await {
                Ok(()) => return,
                Err(e) if tries_left > 0 => {
                    tracing::warn!(error = %e, "outbox: recording a batch failed; trying again");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
                Err(e) => {
                    tracing::error!(error = %e, sent = batch.len(), "outbox: a sent batch could not be recorded: it is sent again when its lease runs out");
                }
            }
        }
    }

    /// Records [`settle`]d attempts. Safe to call again after an error: the
    /// record is fenced on the lease, so a repeat after a record that did
    /// commit records nothing twice.
    pub async fn record_settled(
        &self,
        batch: &[Notification],
        records: &[(String, AttemptResult, i64)],
        held_until: Option<i64>,
    ) -> Result<(), StoreError> {
        // Per endpoint: whether any delivery succeeded, else whether one counted as failed.
        let mut endpoints: std::collections::BTreeMap<(String, String), bool> = Default::default();
        for (n, (_, result, _)) in batch.iter().zip(records) {
            if n.channel == "webhook"
                && let Some(endpoint) = n.destination_id.clone()
                && !matches!(
                    result,
                    AttemptResult::RateLimited { .. } | AttemptResult::Deferred { .. }
                )
            {
                let ok = matches!(result, AttemptResult::Delivered { .. });
                *endpoints
                    .entry((n.business_id.clone(), endpoint))
                    .or_insert(false) |= ok;
            }
        }
        self.store.record_attempts(records, held_until).await?;
        let window = i64::try_from(self.settings.webhook_disable_after_ms).unwrap_or(i64::MAX);
        for ((business_id, endpoint), success) in endpoints {
            if self
                .store
                .note_webhook_result(&business_id, &endpoint, success, window)
                .await?
            {
                self.lookups.endpoints.invalidate(&business_id);
                tracing::warn!(business = %business_id, endpoint, "outgoing webhook endpoint disabled after failing for the whole window");
            }
        }
        Ok(())
    }

    async fn timed_attempt(&self, n: &Notification) -> Result<(AttemptResult, i64), StoreError> {
        let started = Instant::now();
        let result = self.attempt(n).await?;
        Ok((
            result,
            i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        ))
    }

    /// Stores `n` claimed by this call and sends it now (the
    /// `/notifications/send` path): the answer is this attempt's result,
    /// never the outbox worker's, which cannot take it meanwhile.
    ///
    /// The send and its record run on a task of their own, so a client
    /// that hangs up mid-send does not cut them off (the worker would send
    /// it again once the lease ran out). The record is fenced on the lease:
    /// if the send outlasted it and the worker took the notification over,
    /// the worker's record stands.
    pub async fn send_new(
        self: &Arc<Self>,
        n: NewNotification,
        idempotency_key: Option<&str>,
    ) -> Result<(Notification, AttemptResult), StoreError> {
        let stored = self
            .store
            .enqueue_claimed_notification(n, LEASE_MS, idempotency_key)
            .await?;
        let this = Arc::clone(self);
        let claimed = stored.clone();
        let result = tokio::spawn(async move {
            let one = std::slice::from_ref(&claimed);
            let attempts = this.attempt_batch(one, 1).await;
            let records = settle(one, attempts);
            // The answer is what the attempt did, recorded or not: the
            // message may be out, and a 500 would invite the caller to send
            // it again (seed 000: failures are `ok: false` in the body).
            this.record_retrying(one, &records, claimed.lease_until)
                .await;
            records.into_iter().next().map(|(_, result, _)| result)
        })
        .await
        .map_err(|e| StoreError::Corrupt(format!("the send stopped: {e}")))?
        // `settle` answers one result per attempt, so this is never hit.
        .ok_or_else(|| StoreError::Corrupt("a batch of one recorded no result".into()))?;
        Ok((stored, result))
    }
}

/// Destinations a send of this batch failed to transiently (a timeout, a
/// 5xx, a 429), with when that send is retried. The batch's sends to them
/// not yet started wait as long, unlogged ([`AttemptResult::Deferred`]).
/// The batch is recorded when its last send ends, so an endpoint that does
/// not answer would otherwise hold every business's notifications for one
/// timeout per queued event; now for one, while a healthy destination keeps
/// the batch's whole concurrency.
#[derive(Default)]
struct Tripped(std::sync::Mutex<HashMap<DestinationKey, i64>>);

/// (business, channel, destination id).
type DestinationKey = (String, String, Option<String>);

impl Tripped {
    fn key(n: &Notification) -> DestinationKey {
        (
            n.business_id.clone(),
            n.channel.clone(),
            n.destination_id.clone(),
        )
    }

    fn deferred_until(&self, n: &Notification) -> Option<i64> {
        let tripped = self.0.lock().unwrap_or_else(|p| p.into_inner());
        tripped.get(&Self::key(n)).copied()
    }

    fn note(&self, n: &Notification, result: &AttemptResult) {
        if let AttemptResult::Retry { next_at, .. } = result
            && n.channel != "in_app"
        {
            let mut tripped = self.0.lock().unwrap_or_else(|p| p.into_inner());
            tripped.entry(Self::key(n)).or_insert(*next_at);
        }
    }
}

/// How long a notification waits when the tenant's sandbox is at its
/// concurrency or rate limit.
const SANDBOX_BUSY_MS: i64 = 1_000;

/// A failure that may pass: the next attempt after the channel's backoff
/// (or its `after_ms` when longer), or `retries_exhausted` once this was
/// the schedule's last attempt.
fn transient(n: &Notification, after_ms: u64, code: &str, detail: String) -> AttemptResult {
    let schedule = Schedule::of(&n.channel);
    if n.attempts + 1 >= schedule.max_attempts() {
        AttemptResult::Failed {
            code: "retries_exhausted".into(),
            detail: format!("{code}: {detail}"),
        }
    } else {
        let delay = schedule.delay_ms(n.attempts + 1, after_ms);
        AttemptResult::Retry {
            next_at: now_ms() + i64::try_from(delay).unwrap_or(i64::MAX),
            code: code.into(),
            detail,
        }
    }
}

/// Each attempt of `batch` as the result to record `(id, result, latency)`.
/// An attempt that failed inside the host (a database error on the way) is
/// recorded as a transient failure, so the rest of the batch is still
/// recorded and not sent again.
pub fn settle(batch: &[Notification], attempts: Attempts) -> Vec<(String, AttemptResult, i64)> {
    batch
        .iter()
        .zip(attempts)
        .map(|(n, r)| {
            let (result, latency) = r.unwrap_or_else(|e| {
                tracing::error!(notification = %n.id, error = %e, "outbox: attempt failed in the host");
                let result = match e {
                    // A sealed URL or secret this server cannot open (the
                    // master key changed): no retry reads it.
                    StoreError::Corrupt(detail) => AttemptResult::Failed {
                        code: "destination_unreadable".into(),
                        detail,
                    },
                    e => transient(n, 0, "internal", e.to_string()),
                };
                (result, 0)
            });
            (n.id.clone(), result, latency)
        })
        .collect()
}

/// The webhook id of a Discord webhook URL (`…/api[/v10]/webhooks/{id}/{token}`).
fn discord_webhook_id(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("/webhooks/")?;
    let id = rest.split('/').next()?;
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_discord_webhook_is_one_rate_limit_key() {
        for url in [
            "https://discord.com/api/webhooks/123456/tok-en",
            "https://canary.discord.com/api/v10/webhooks/123456/other-token",
        ] {
            assert_eq!(discord_webhook_id(url), Some("123456"), "{url}");
        }
        assert_eq!(discord_webhook_id("https://discord.com/api/x"), None);
        assert_eq!(
            discord_webhook_id("https://discord.com/api/webhooks/abc/t"),
            None
        );
    }

    fn note(business: &str, channel: &str, destination: Option<&str>) -> Notification {
        Notification {
            id: new_id_for_test(),
            business_id: business.into(),
            channel: channel.into(),
            destination_id: destination.map(str::to_owned),
            title: String::new(),
            body: "b".into(),
            link: None,
            severity: "info".into(),
            attributes: Value::Null,
            status: "sending".into(),
            attempts: 0,
            next_attempt_at: 0,
            last_error: None,
            external_id: None,
            delivered_at: None,
            created_at: 0,
            lease_until: None,
        }
    }

    fn new_id_for_test() -> String {
        crate::store::new_id()
    }

    #[test]
    fn a_destination_that_failed_makes_its_other_sends_wait_for_its_retry() {
        let tripped = Tripped::default();
        let dead = note("acme", "webhook", Some("endpoint"));
        let retry = AttemptResult::Retry {
            next_at: 42_000,
            code: "timeout".into(),
            detail: "no answer".into(),
        };
        assert_eq!(tripped.deferred_until(&dead), None);
        tripped.note(&dead, &retry);
        let behind = note("acme", "webhook", Some("endpoint"));
        assert_eq!(tripped.deferred_until(&behind), Some(42_000));
        // Other destinations, the same id in another business, and
        // deliveries are not affected.
        assert_eq!(
            tripped.deferred_until(&note("acme", "webhook", Some("other"))),
            None
        );
        assert_eq!(
            tripped.deferred_until(&note("globex", "webhook", Some("endpoint"))),
            None
        );
        let fine = note("acme", "discord", Some("hook"));
        tripped.note(&fine, &AttemptResult::Delivered { external_id: None });
        assert_eq!(tripped.deferred_until(&fine), None);
    }
}
