//! The served state and what keeps it current: the latest snapshot (swapped whole, so a page never
//! sees half a refresh), the version pushed to open pages, and the refresher thread that watches the
//! warehouse (the DuckDB file, or BigQuery tables' modification times, and run_results.json) and
//! re-queries exactly the panels whose inputs changed — never while the sync loop is writing.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use serde_json::{json, Value as Json};

use super::queries::PanelQuery;
use super::snapshot::{self, Snapshot};
use super::spec::Dashboard;
use crate::compile::Manifest;
use crate::output::printer;
use crate::warehouse::{self, Warehouse};

pub struct Live {
    pub dashboard: Dashboard,
    pub panels: Vec<PanelQuery>,
    pub manifest: Manifest,
    snapshot: RwLock<Arc<Snapshot>>,
    pub events: tokio::sync::watch::Sender<u64>,
    /// Held by the writer (sync + build) while it runs; the refresher never opens the warehouse then.
    pub writer: Mutex<()>,
    wake: Mutex<Option<mpsc::Sender<()>>>,
    meta_cache: Mutex<Option<(u64, bytes::Bytes, bytes::Bytes)>>,
}

/// How a panel's inputs are seen to change.
enum Watch {
    /// DuckDB: the database file (and its WAL); any change re-queries every panel.
    File(PathBuf),
    /// BigQuery: each model's table `lastModifiedTime`.
    Tables,
}

fn stamp(path: &std::path::Path) -> String {
    match std::fs::metadata(path) {
        Ok(md) => format!("{:?}:{}", md.modified().unwrap_or(SystemTime::UNIX_EPOCH), md.len()),
        Err(_) => "-".into(),
    }
}

impl Live {
    pub fn new(manifest: Manifest, dashboard: Dashboard, panels: Vec<PanelQuery>, first: Snapshot) -> Arc<Live> {
        let (events, _) = tokio::sync::watch::channel(first.version);
        Arc::new(Live { dashboard, panels, manifest, snapshot: RwLock::new(Arc::new(first)), events, writer: Mutex::new(()), wake: Mutex::new(None), meta_cache: Mutex::new(None) })
    }

    pub fn current(&self) -> Arc<Snapshot> {
        self.snapshot.read().map(|s| s.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }

    fn publish(&self, s: Snapshot) {
        let v = s.version;
        match self.snapshot.write() {
            Ok(mut g) => *g = Arc::new(s),
            Err(p) => *p.into_inner() = Arc::new(s),
        }
        let _ = self.events.send(v);
    }

    /// Asks the refresher to look now (after the sync loop wrote).
    pub fn poke(&self) {
        if let Some(tx) = self.wake.lock().ok().and_then(|g| g.clone()) {
            let _ = tx.send(());
        }
    }

    /// `meta()` as JSON bytes and gzip, made once per data version (every page asks for it).
    pub fn meta_bytes(&self) -> (bytes::Bytes, bytes::Bytes) {
        let version = self.current().version;
        if let Ok(g) = self.meta_cache.lock() {
            if let Some((_, plain, gz)) = g.as_ref().filter(|c| c.0 == version) {
                return (plain.clone(), gz.clone());
            }
        }
        let plain = bytes::Bytes::from(serde_json::to_vec(&self.meta()).unwrap_or_default());
        let gz = bytes::Bytes::from(crate::web::gzip(&plain));
        if let Ok(mut g) = self.meta_cache.lock() {
            *g = Some((version, plain.clone(), gz.clone()));
        }
        (plain, gz)
    }

    /// The page's description of the dashboard: panels with their running SQL and models.
    pub fn meta(&self) -> Json {
        let snap = self.current();
        let panels: Vec<Json> = self
            .panels
            .iter()
            .map(|p| {
                let mut v = serde_json::to_value(&p.panel).unwrap_or(Json::Null);
                let sql = snap.panels.get(&p.panel.name).and_then(|d| d.sql.clone());
                v["sql"] = json!(sql);
                v["models"] = json!(p.models);
                v
            })
            .collect();
        let s = &self.dashboard.spec;
        json!({
            "name": self.dashboard.name, "title": s.title, "description": s.description, "version": snap.version,
            "generated_at": snap.refreshed_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "poll_seconds": s.poll_seconds.unwrap_or(10), "panels": panels,
        })
    }

    /// Per panel, a string that changes when its inputs do.
    fn markers(&self, watch: &Watch, wh: Option<&dyn Warehouse>) -> HashMap<String, String> {
        let results = stamp(&self.manifest.target_dir().join("run_results.json"));
        let file = match watch {
            Watch::File(p) => format!("{}|{}", stamp(p), stamp(&PathBuf::from(format!("{}.wal", p.display())))),
            Watch::Tables => String::new(),
        };
        let mut out = HashMap::new();
        for p in &self.panels {
            let m = match (watch, p.is_builtin()) {
                (_, true) => format!("{file}|{results}"),
                (Watch::File(_), false) => file.clone(),
                (Watch::Tables, false) => {
                    let times: Vec<String> = p
                        .models
                        .iter()
                        .map(|mi| wh.and_then(|w| w.last_modified_ms(&mi.relation).ok().flatten()).map_or("-".into(), |t| t.to_string()))
                        .collect();
                    format!("{}|{results}", times.join(","))
                }
            };
            out.insert(p.panel.name.clone(), m);
        }
        out
    }
}

/// The warehouse for one refresh: DuckDB opened read-only for just this refresh (so other processes
/// can write between refreshes), BigQuery's client kept for the life of the server.
pub struct Reader {
    cached: Option<Arc<dyn Warehouse>>,
    duckdb: bool,
}

impl Reader {
    pub fn new(live: &Live) -> Reader {
        Reader { cached: None, duckdb: live.manifest.target.adapter_type == "duckdb" }
    }

    pub fn open(&mut self, live: &Live) -> crate::Result<Arc<dyn Warehouse>> {
        if let Some(w) = &self.cached {
            return Ok(w.clone());
        }
        let w = warehouse::adapters::connect_read_only(&live.manifest.target, &live.manifest.project.root)?;
        if !self.duckdb {
            self.cached = Some(w.clone());
        }
        Ok(w)
    }
}

/// Runs the refresher on its own thread until the process ends.
pub fn spawn_refresher(live: Arc<Live>, every: Duration) {
    let (tx, rx) = mpsc::channel();
    if let Ok(mut g) = live.wake.lock() {
        *g = Some(tx);
    }
    std::thread::spawn(move || refresh_loop(&live, &rx, every));
}

fn refresh_loop(live: &Live, wake: &mpsc::Receiver<()>, every: Duration) {
    let watch = match warehouse::duckdb::file_path(&live.manifest.target, &live.manifest.project.root) {
        Some(p) => Watch::File(p),
        None => Watch::Tables,
    };
    let mut reader = Reader::new(live);
    let probe = if matches!(watch, Watch::Tables) { reader.open(live).ok() } else { None };
    let mut seen = live.markers(&watch, probe.as_deref());
    let mut pending: Option<HashMap<String, String>> = None;
    let mut busy = false;
    loop {
        let _ = wake.recv_timeout(every);
        let Ok(_writing) = live.writer.try_lock() else { continue };
        let now = live.markers(&watch, probe.as_deref());
        // A file still being written changes between two looks: wait until it holds still.
        if matches!(watch, Watch::File(_)) && pending.as_ref() != Some(&now) && now != seen {
            pending = Some(now);
            continue;
        }
        let changed: Vec<String> = now.iter().filter(|(k, v)| seen.get(*k) != Some(*v)).map(|(k, _)| k.clone()).collect();
        if changed.is_empty() {
            continue;
        }
        match reader.open(live) {
            Ok(wh) => {
                let prev = live.current();
                let snap = snapshot::take(&live.manifest, wh.as_ref(), &live.panels, prev.version + 1, Some(&prev), Some(&changed));
                drop(wh);
                printer().info(&format!("dashboard: refreshed {} panel(s), data version {}", changed.len(), snap.version));
                live.publish(snap);
                seen = now;
                pending = None;
                busy = false;
            }
            // Another process is writing (DuckDB's lock): say so once, look again next time.
            Err(e) if !busy => {
                printer().info(&format!("dashboard: the warehouse is busy; serving the previous data until it is free ({e})"));
                busy = true;
            }
            Err(_) => {}
        }
    }
}
