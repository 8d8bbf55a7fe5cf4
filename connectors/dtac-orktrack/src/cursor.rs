//! The sync cursor and the paging plan: which window and page to ask for,
//! and what comes after a page.
//!
//! A window is `[since, until)`, `until` frozen (at `now - LAG_MS`) when its
//! first page is asked for, so its pages mean the same thing after a restart.
//! When a window is done the next one starts `OVERLAP_MS` (the setting
//! `lateFilingMinutes`) before its end, to pick up recordings OrkTrack files
//! late (it dates each by its call's start and files it when the call ends); ids already returned in that
//! overlap travel in the cursor (`skip`) and are not returned again.

use serde_json::{Map, Value, json};
use switchboard_sdk::prelude::*;

use crate::listing::{self, VendorPage};
use crate::settings::Settings;

/// The first sync starts this far back.
pub const INITIAL_WINDOW_MS: i64 = 7 * 24 * 3600 * 1000;
/// Windows end this long before "now": the newest calls are still being written.
pub const LAG_MS: i64 = 2 * 60 * 1000;
/// Each window re-reads this much of the previous one, unless the
/// installation's `lateFilingMinutes` says otherwise.
pub const OVERLAP_MS: i64 = 30 * 60 * 1000;
/// At most this many ids are carried to the next window; beyond it the
/// host's per-id de-duplication is the safety net.
pub const MAX_SEEN: usize = 5000;
/// OrkTrack page size bounds used when the host asks for 0 or a huge page.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
pub const MAX_PAGE_SIZE: u32 = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub since: i64,
    /// `None` until the window's first page is asked for.
    pub until: Option<i64>,
    /// 1-based OrkTrack page within the window.
    pub page: u32,
    /// Ids returned by the previous window inside this one's overlap.
    pub skip: Vec<String>,
    /// Ids returned so far in this window inside the next one's overlap.
    pub seen: Vec<String>,
    /// The page size of the window's pages so far: page N means records
    /// `(N-1)·size` on only at the size it was counted in, so a window
    /// keeps its size even if the host's changes mid-window (else records
    /// would be skipped). `None` before the window's first page.
    pub page_size: Option<u32>,
}

impl Cursor {
    /// Where the first sync starts.
    pub fn initial(now_ms: i64) -> Self {
        Cursor {
            since: now_ms - INITIAL_WINDOW_MS,
            until: None,
            page: 1,
            skip: Vec::new(),
            seen: Vec::new(),
            page_size: None,
        }
    }

    /// The page size to ask for: the window's own once it has one.
    pub fn page_size_for(&self, requested: u32) -> u32 {
        self.page_size.unwrap_or_else(|| page_size(requested))
    }

    pub fn encode(&self) -> String {
        json!({
            "v": 1,
            "since": self.since,
            "until": self.until,
            "page": self.page,
            "skip": self.skip,
            "seen": self.seen,
            "pageSize": self.page_size,
        })
        .to_string()
    }

    pub fn decode(raw: &str) -> Result<Self, ConnectorError> {
        let bad = || ConnectorError::BadRequest(format!("unreadable dtac cursor: {raw}"));
        let v: Value = serde_json::from_str(raw).map_err(|_| bad())?;
        let ids = |k: &str| -> Vec<String> {
            v.get(k)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok(Cursor {
            since: v.get("since").and_then(Value::as_i64).ok_or_else(bad)?,
            until: v.get("until").and_then(Value::as_i64),
            page: v
                .get("page")
                .and_then(Value::as_u64)
                .and_then(|p| u32::try_from(p).ok())
                .filter(|p| *p >= 1)
                .unwrap_or(1),
            skip: ids("skip"),
            seen: ids("seen"),
            page_size: v
                .get("pageSize")
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n >= 1),
        })
    }

    /// The window end to use now: frozen, or `now - LAG_MS` for a new window.
    pub fn until_at(&self, now_ms: i64) -> i64 {
        self.until.unwrap_or(now_ms - LAG_MS)
    }
}

pub fn page_size(requested: u32) -> u32 {
    match requested {
        0 => DEFAULT_PAGE_SIZE,
        n => n.min(MAX_PAGE_SIZE),
    }
}

/// What one page of the window `[cursor.since, until)` gives the host;
/// `cursor.page_size` is the size the page was asked at.
pub fn advance(
    cursor: &Cursor,
    until: i64,
    page: &VendorPage,
    settings: &Settings,
) -> RecordingPage {
    let overlap_start = until - settings.overlap_ms;
    let mut seen = cursor.seen.clone();
    let mut recordings = Vec::new();
    for object in &page.objects {
        if let Some(r) = keep(cursor, until, object, settings) {
            if r.started_at.is_none_or(|t| t >= overlap_start) && seen.len() < MAX_SEEN {
                seen.push(r.id.clone());
            }
            recordings.push(r);
        }
    }
    let (next, has_more) = if page.more {
        let next = Cursor {
            until: Some(until),
            page: cursor.page.saturating_add(1),
            seen,
            ..cursor.clone()
        };
        (next, true)
    } else {
        let next = Cursor {
            // Not bounded by this window's start: after `lateFilingMinutes`
            // is raised, the next window reaches the new distance back at
            // once (what was returned before, the host already has).
            since: overlap_start,
            until: None,
            page: 1,
            skip: seen,
            seen: Vec::new(),
            page_size: None,
        };
        (next, false)
    };
    RecordingPage {
        recordings,
        next_cursor: Some(next.encode()),
        has_more,
    }
}

/// A record of this window that was not returned before.
fn keep(
    cursor: &Cursor,
    until: i64,
    object: &Map<String, Value>,
    settings: &Settings,
) -> Option<RemoteRecording> {
    let r = listing::to_remote(object, settings)?;
    if let Some(t) = r.started_at {
        // The vendor's bounds may be inclusive: the edges belong to one window only.
        if t < cursor.since || t >= until {
            return None;
        }
    }
    (!cursor.skip.contains(&r.id)).then_some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2024-05-01 04:00:00 UTC
    const NOW: i64 = 1_714_536_000_000;

    fn settings() -> Settings {
        Settings::new(None, None).unwrap()
    }

    fn rec(id: &str, ts: &str) -> Map<String, Value> {
        json!({"type":"recordingDto","id":id,"timestamp":ts,"duration":10,
               "localParty":"2101","remoteParty":"0812345678","direction":"IN",
               "recordingURL":format!("/orkweb/stream/{id}.wav")})
        .as_object()
        .cloned()
        .unwrap()
    }

    #[test]
    fn cursor_round_trips() {
        let c = Cursor {
            since: 1,
            until: Some(2),
            page: 3,
            skip: vec!["a".into()],
            seen: vec!["b".into()],
            page_size: Some(50),
        };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        // A window keeps the page size its pages were counted in.
        assert_eq!(c.page_size_for(100), 50);
        assert_eq!(Cursor::initial(NOW).page_size_for(100), 100);
        assert_eq!(Cursor::initial(NOW).page_size_for(0), DEFAULT_PAGE_SIZE);
        assert!(matches!(
            Cursor::decode("nope"),
            Err(ConnectorError::BadRequest(_))
        ));
        assert!(Cursor::decode("{}").is_err());
    }

    /// A longer `lateFilingMinutes` makes the next window reach further back:
    /// a 45-minute call filed when it ends is still in it.
    #[test]
    fn late_filing_minutes_widen_the_overlap() {
        let until = NOW - LAG_MS;
        let c = Cursor {
            until: Some(until),
            ..Cursor::initial(NOW)
        };
        let page = VendorPage {
            objects: vec![],
            more: false,
        };
        let wide = settings().with_late_filing(Some("90")).unwrap();
        let out = advance(&c, until, &page, &wide);
        let next = Cursor::decode(out.next_cursor.as_deref().unwrap()).unwrap();
        assert_eq!(next.since, until - 90 * 60_000);
        // Raised mid-way: a window that began 35 minutes back still hands
        // on one that begins 90 minutes back.
        let recent = Cursor {
            since: until - 35 * 60_000,
            ..c.clone()
        };
        let out = advance(&recent, until, &page, &wide);
        let next = Cursor::decode(out.next_cursor.as_deref().unwrap()).unwrap();
        assert_eq!(next.since, until - 90 * 60_000);
        assert_eq!(settings().overlap_ms, OVERLAP_MS);
        for bad in ["2", "1441", "soon"] {
            assert!(matches!(
                settings().with_late_filing(Some(bad)),
                Err(ConnectorError::Config(_))
            ));
        }
        assert_eq!(settings().with_late_filing(Some(" ")).unwrap(), settings());
    }

    #[test]
    fn first_sync_reads_the_last_seven_days() {
        let c = Cursor::initial(NOW);
        assert_eq!(c.since, NOW - 7 * 86_400_000);
        assert_eq!(c.until_at(NOW), NOW - LAG_MS);
        assert_eq!(c.page, 1);
    }

    #[test]
    fn a_full_page_keeps_the_window_and_moves_to_the_next_page() {
        // Asked at 100 a page (as `list_recordings` marks the cursor).
        let c = Cursor {
            page_size: Some(100),
            ..Cursor::initial(NOW)
        };
        let until = c.until_at(NOW);
        let page = VendorPage {
            objects: vec![
                rec("1", "2024-05-01 01:00:00"),
                rec("2", "2024-05-01 03:50:00"),
            ],
            more: true,
        };
        let out = advance(&c, until, &page, &settings());
        assert!(out.has_more);
        assert_eq!(out.recordings.len(), 2);
        let next = Cursor::decode(out.next_cursor.as_deref().unwrap()).unwrap();
        assert_eq!(next.since, c.since);
        assert_eq!(next.until, Some(until), "the window is frozen");
        assert_eq!(next.page, 2);
        assert_eq!(
            next.seen,
            vec!["2".to_string()],
            "only ids inside the overlap"
        );
        // Page 2 is asked at the window's size whatever the host asks now.
        assert_eq!(next.page_size, Some(100));
        assert_eq!(next.page_size_for(50), 100);
    }

    #[test]
    fn the_last_page_opens_an_overlapping_window_that_skips_seen_ids() {
        let until = NOW - LAG_MS; // 03:58:00
        let c = Cursor {
            since: until - 3_600_000,
            until: Some(until),
            page: 2,
            skip: vec![],
            seen: vec!["2".into()],
            page_size: Some(100),
        };
        let page = VendorPage {
            objects: vec![
                rec("3", "2024-05-01 03:55:00"),
                rec("4", "2024-05-01 03:58:00"), // at `until`: belongs to the next window
            ],
            more: false,
        };
        let out = advance(&c, until, &page, &settings());
        assert!(!out.has_more);
        assert_eq!(
            out.recordings
                .iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>(),
            ["3"]
        );
        let next = Cursor::decode(out.next_cursor.as_deref().unwrap()).unwrap();
        assert_eq!(next.since, until - OVERLAP_MS);
        assert_eq!(next.until, None);
        assert_eq!(next.page, 1);
        assert_eq!(next.page_size, None, "a new window takes the host's size");
        assert_eq!(next.skip, vec!["2".to_string(), "3".to_string()]);

        // The next window returns 4 and a late-filed 5, not 2 or 3 again.
        let later = NOW + 600_000;
        let until2 = next.until_at(later);
        let page = VendorPage {
            objects: vec![
                rec("2", "2024-05-01 03:50:00"),
                rec("3", "2024-05-01 03:55:00"),
                rec("5", "2024-05-01 03:40:00"),
                rec("4", "2024-05-01 03:58:00"),
            ],
            more: false,
        };
        let out = advance(&next, until2, &page, &settings());
        let ids: Vec<_> = out.recordings.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["5", "4"]);
    }

    #[test]
    fn page_size_is_bounded() {
        assert_eq!(page_size(0), DEFAULT_PAGE_SIZE);
        assert_eq!(page_size(50), 50);
        assert_eq!(page_size(10_000), MAX_PAGE_SIZE);
    }
}
