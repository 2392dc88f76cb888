//! Reddit's stream: subscribers and active users per configured subreddit (`/r/{name}/about.json`), one row
//! per read. Reddit's 429 can arrive as HTTP 200 with `{"error": 429}` (the HTTP client retries it); private
//! and banned subreddits (403/404 with a `reason`) and missing ones (404, or a redirect to a search listing)
//! fail the stream with a message naming them.
use std::sync::Arc;

use serde_json::Value;

use super::Section;
use crate::provider::Provider;
use crate::record::{boolean, from_unix_seconds, int, num, text, time_value, Record};
use crate::request::{Page, Request};
use crate::state::StreamState;
use crate::stream::{Ctx, Slice, Stream, StreamSpec};

/// `reddit_subreddit_snapshots`: `/r/{name}/about.json`.
pub struct SubredditSnapshots {
    pub config: Arc<Section>,
}

static SNAPSHOTS: StreamSpec = StreamSpec {
    name: "reddit_subreddit_snapshots",
    provider: Provider::Reddit,
    schema: include_str!("../../../../schemas/reddit_subreddit_snapshots.json"),
    cursor_field: Some("snapshot_at"),
    primary_key: &["display_name", "snapshot_at"],
};

impl Stream for SubredditSnapshots {
    fn spec(&self) -> &StreamSpec {
        &SNAPSHOTS
    }

    fn slices(&self, _cx: &Ctx, _state: &StreamState) -> Vec<Slice> {
        self.config
            .reddit_subreddits
            .iter()
            .map(|name| Slice {
                partition: name.clone(),
                request: Request::new(format!("/r/{name}/about.json"))
                    .param("raw_json", 1)
                    .memo(name),
            })
            .collect()
    }

    fn parse(
        &self,
        cx: &Ctx,
        page: &Page,
        _: &StreamState,
        out: &mut Vec<Record>,
    ) -> Result<Option<Request>, String> {
        let name = page.request.memo.as_deref().unwrap_or("?");
        let kind = page
            .json()
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("nothing");
        if kind != "t5" {
            return Err(format!(
                "r/{name} does not exist or is not public: Reddit answered with a {kind:?} instead of a subreddit (t5)"
            ));
        }
        let data = page
            .json()
            .get("data")
            .ok_or("no `data` in the subreddit")?;
        let mut r = Record::new();
        let display = text(data.get("display_name"));
        r.insert(
            "display_name",
            if display.is_null() {
                Value::String(name.to_string())
            } else {
                display
            },
        );
        r.insert("snapshot_at", time_value(cx.now));
        r.insert("subscribers", int(data.get("subscribers")));
        let active = int(data.get("active_user_count"));
        r.insert(
            "active_user_count",
            if active.is_null() {
                int(data.get("accounts_active"))
            } else {
                active
            },
        );
        r.insert(
            "accounts_active_is_fuzzed",
            boolean(data.get("accounts_active_is_fuzzed")),
        );
        r.insert("created_utc", num(data.get("created_utc")));
        r.insert(
            "created_at",
            data.get("created_utc")
                .and_then(from_unix_seconds)
                .map(time_value)
                .unwrap_or(Value::Null),
        );
        for key in ["title", "subreddit_type"] {
            r.insert(key, text(data.get(key)));
        }
        out.push(r);
        Ok(None)
    }
}
