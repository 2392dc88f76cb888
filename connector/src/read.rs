//! The `read` command: runs each selected stream slice by slice and page by page, and drops records that are
//! not newer than the stream's cursor (the APIs often return whole windows whatever start is asked for),
//! except the record at the cursor when its content changed (its period was still open). A STATE goes out
//! whenever a page moved the state, at least every 10,000 records (pages are sorted by cursor first, so a
//! mid-page checkpoint is safe) and once at the end of every stream, so a resumed sync refetches at most one
//! page. A page's records are built one at a time as they are written, never all at once. The next slice's first page downloads while the current one is written. A failing stream ends
//! INCOMPLETE with a TRACE ERROR; the others still run; the caller exits non-zero.
use std::sync::Arc;

use chrono::Utc;
use serde_json::Value;

use crate::catalog::Selected;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::HttpClient;
use crate::protocol::{now_ms, Output};
use crate::provider::Provider;
use crate::request::{Page, Request};
use crate::state::{InputState, StreamState};
use crate::stream::{Ctx, CursorOrder, PageRecords, Slice, Stream, StreamSpec};

/// Records between two checkpoints, at most.
const CHECKPOINT_EVERY: u64 = 10_000;

pub struct Reader<'a> {
    pub config: &'a Config,
    pub http: Arc<HttpClient>,
    pub out: &'a Output,
}

/// Tracks what was last checkpointed for one stream.
struct Checkpoints<'a> {
    stream: &'a str,
    /// The last state emitted, or the input state until one is.
    last: Value,
    emitted: bool,
    since_last: u64,
    total: u64,
}

impl Checkpoints<'_> {
    /// Emits the state if it changed; at the end (`last_one`) also when nothing was emitted yet or when
    /// records went out since the last one (full-refresh streams, whose state never changes).
    fn emit(&mut self, out: &Output, state: &StreamState, last_one: bool) -> Result<()> {
        let value = state.to_value();
        let changed = self.last != value;
        if changed || (last_one && (!self.emitted || self.since_last > 0)) {
            out.state(self.stream, &value, self.since_last)?;
            self.last = value;
            self.emitted = true;
            self.since_last = 0;
        }
        Ok(())
    }
}

impl Reader<'_> {
    /// Reads every selected stream; returns false when any stream failed.
    pub async fn read_all(
        &self,
        streams: &[Box<dyn Stream>],
        selected: &[Selected],
        input: &InputState,
    ) -> Result<bool> {
        let mut all_ok = true;
        for sel in selected {
            let Some(stream) = streams.iter().find(|s| s.spec().name == sel.name) else {
                continue;
            };
            let name = stream.spec().name;
            self.out.stream_status(name, "STARTED")?;
            match self
                .read_stream(stream.as_ref(), sel.incremental, input)
                .await
            {
                Ok(count) => {
                    let usage = (self.config.api(stream.spec().provider))
                        .and_then(|api| api.usage(name))
                        .map(|u| format!(", {u}"))
                        .unwrap_or_default();
                    self.out
                        .log("INFO", &format!("{name}: {count} records{usage}"))?;
                    self.out.stream_status(name, "COMPLETE")?;
                }
                Err(Error::Output(e)) => return Err(Error::Output(e)),
                Err(e) => {
                    all_ok = false;
                    self.out.error(
                        &format!("stream {name} failed: {e}"),
                        e.failure_type(),
                        Some(name),
                    )?;
                    self.out.stream_status(name, "INCOMPLETE")?;
                }
            }
        }
        self.out.flush()?;
        Ok(all_ok)
    }

    async fn read_stream(
        &self,
        stream: &dyn Stream,
        incremental: bool,
        input: &InputState,
    ) -> Result<u64> {
        let spec = stream.spec();
        let mut state = self.start_state(spec, incremental, input)?;
        let cx = Ctx {
            start_date: self.config.start_of(spec.provider),
            now: Utc::now(),
        };
        let mut ck = Checkpoints {
            stream: spec.name,
            last: state.to_value(),
            emitted: false,
            since_last: 0,
            total: 0,
        };
        let slices = stream.slices(&cx, &state);
        let mut ahead: Option<Prefetch> = None;
        for (i, slice) in slices.iter().enumerate() {
            let first = match ahead.take() {
                Some(prefetched) => prefetched.join().await?,
                None => {
                    self.http
                        .get(spec.provider, &slice.request, Some(spec.name))
                        .await?
                }
            };
            if i == 0 {
                self.out.stream_status(spec.name, "RUNNING")?;
            }
            // This page is parsed (its body dropped) before the next slice's starts downloading, so one
            // body is held at a time besides the parsed page being written.
            let (records, next) = self.parse_page(stream, &cx, first, &state)?;
            ahead = slices
                .get(i + 1)
                .map(|s| self.prefetch(spec.provider, &s.request, spec.name));
            self.write_page(spec, &slice.partition, &mut state, records, &mut ck)?;
            self.read_rest(stream, &cx, slice, next, &mut state, &mut ck)
                .await?;
        }
        ck.emit(self.out, &state, true)?;
        Ok(ck.total)
    }

    /// The stream's state at the start (the input's when incremental), once the config lets it be read.
    fn start_state(
        &self,
        spec: &StreamSpec,
        incremental: bool,
        input: &InputState,
    ) -> Result<StreamState> {
        if let Some(field) = self.config.api(spec.provider).and_then(|a| a.missing()) {
            return Err(Error::config(
                field,
                format!(
                    "stream {} reads {}, which needs an API key",
                    spec.name,
                    spec.provider.name()
                ),
            ));
        }
        let state = if incremental {
            StreamState::from_input(spec.name, input.get(spec.name))?
        } else {
            StreamState::default()
        };
        Ok(state.since(self.config.start_of(spec.provider)))
    }

    /// Reads the rest of a slice page by page, from the request of its second page if any.
    async fn read_rest(
        &self,
        stream: &dyn Stream,
        cx: &Ctx,
        slice: &Slice,
        mut next: Option<Request>,
        state: &mut StreamState,
        ck: &mut Checkpoints<'_>,
    ) -> Result<()> {
        let spec = stream.spec();
        while let Some(req) = next.take() {
            let page = self.http.get(spec.provider, &req, Some(spec.name)).await?;
            let records;
            (records, next) = self.parse_page(stream, cx, page, state)?;
            self.write_page(spec, &slice.partition, state, records, ck)?;
        }
        Ok(())
    }

    /// One page's records (to be built as they are written) and the request of the next page; the page
    /// itself, its body, is dropped here.
    fn parse_page(
        &self,
        stream: &dyn Stream,
        cx: &Ctx,
        page: Page,
        state: &StreamState,
    ) -> Result<(Box<dyn PageRecords>, Option<Request>)> {
        let spec = stream.spec();
        stream
            .page_records(cx, &page, state)
            .map_err(|message| Error::Shape {
                provider: spec.provider.name(),
                path: self.http.path_of(spec.provider, &page.request),
                message: format!("stream {}: {message}", spec.name),
            })
    }

    /// Writes one page's records, then a checkpoint if the state moved.
    fn write_page(
        &self,
        spec: &StreamSpec,
        partition: &str,
        state: &mut StreamState,
        records: Box<dyn PageRecords>,
        ck: &mut Checkpoints,
    ) -> Result<()> {
        self.emit_page(spec, partition, state, records, ck)?;
        ck.emit(self.out, state, false)
    }

    /// Starts downloading the first page of the next slice in the background.
    fn prefetch(&self, provider: Provider, req: &Request, stream: &'static str) -> Prefetch {
        let (http, req) = (Arc::clone(&self.http), req.clone());
        let path = self.http.path_of(provider, &req);
        let task = tokio::spawn(async move { http.get(provider, &req, Some(stream)).await });
        Prefetch {
            task,
            provider,
            path,
        }
    }

    /// Emits one page's records in cursor order, those the state admits (see [`StreamState::admit`]). Each
    /// record is built as it is written, so a page's records are never all in memory at once.
    fn emit_page(
        &self,
        spec: &StreamSpec,
        partition: &str,
        state: &mut StreamState,
        mut records: Box<dyn PageRecords>,
        ck: &mut Checkpoints,
    ) -> Result<()> {
        let emitted_at = now_ms();
        let Some(field) = spec.cursor_field else {
            for i in 0..records.len() {
                if let Some(record) = records.take(i) {
                    self.out.record(spec.name, &record, emitted_at)?;
                    ck.since_last += 1;
                    ck.total += 1;
                }
            }
            return Ok(());
        };
        let mut order = CursorOrder::new(records.as_ref(), field);
        while let Some((cursor, i)) = order.next(records.as_ref(), field) {
            let Some(record) = records.take(i) else {
                continue;
            };
            let Some(record) = state.admit(partition, cursor, record) else {
                continue;
            };
            self.out.record(spec.name, record, emitted_at)?;
            ck.since_last += 1;
            ck.total += 1;
            if ck.since_last >= CHECKPOINT_EVERY {
                ck.emit(self.out, state, false)?;
            }
        }
        state.end_page();
        Ok(())
    }
}

/// A page downloading ahead of its turn; dropping it (the stream failed) cancels the download.
struct Prefetch {
    task: tokio::task::JoinHandle<Result<Page>>,
    provider: Provider,
    path: String,
}

impl Prefetch {
    async fn join(mut self) -> Result<Page> {
        match (&mut self.task).await {
            Ok(page) => page,
            Err(e) => Err(Error::Transport {
                provider: self.provider.name(),
                path: std::mem::take(&mut self.path),
                message: format!("the download task ended: {e}"),
            }),
        }
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.task.abort();
    }
}
