//! The files of the dashboard and the docs site, compiled into the binary: our own scripts and styles
//! (from `transform/web/`) and the charting library that build.rs installed from npm (or the reason it
//! could not). Each is served with its content type and a gzip copy made once, on first use.

use std::sync::OnceLock;

mod vendor {
    include!(concat!(env!("OUT_DIR"), "/web_vendor.rs"));
}

pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $ty:expr, $path:literal) => {
        Asset { name: $name, content_type: $ty, body: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/", $path)) }
    };
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The dashboard page and its assets (the page itself is `dashboard/index.html`).
pub const DASHBOARD_PAGE: &str = include_str!("../../web/dashboard/index.html");
pub const DOCS_PAGE: &str = include_str!("../../web/docs/index.html");

const OWN: &[Asset] = &[
    asset!("format.js", JS, "dashboard/format.js"),
    asset!("source.js", JS, "dashboard/source.js"),
    asset!("timeseries.js", JS, "dashboard/timeseries.js"),
    asset!("panels.js", JS, "dashboard/panels.js"),
    asset!("app.js", JS, "dashboard/app.js"),
    asset!("dashboard.css", CSS, "dashboard/dashboard.css"),
    asset!("docs.js", JS, "docs/docs.js"),
    asset!("lineage.js", JS, "docs/lineage.js"),
    asset!("docs.css", CSS, "docs/docs.css"),
    asset!("favicon.svg", "image/svg+xml", "favicon.svg"),
];

/// The charting library, or why this build has none and how to get it.
pub fn echarts() -> Result<&'static [u8], String> {
    vendor::ECHARTS.map_err(|why| {
        format!(
            "this `transform` was built without the dashboard's charting library (ECharts, from the npm registry): {why}. \
             Install Node.js with npm and rebuild (`cargo build -p transform`; build.rs runs `npm ci` in transform/web), \
             or point TRANSFORM_WEB_NODE_MODULES at a node_modules folder holding echarts@6 and rebuild."
        )
    })
}

/// An asset by file name (`assets/<name>` on the wire).
pub fn get(name: &str) -> Option<Asset> {
    if name == "echarts.min.js" {
        return echarts().ok().map(|body| Asset { name: "echarts.min.js", content_type: JS, body });
    }
    if name == "echarts.LICENSE.txt" && vendor::ECHARTS.is_ok() {
        return Some(Asset { name: "echarts.LICENSE.txt", content_type: "text/plain; charset=utf-8", body: vendor::ECHARTS_LICENSE.as_bytes() });
    }
    OWN.iter().find(|a| a.name == name).map(|a| Asset { ..*a })
}

/// The names a page of `site` loads (what `export` and `docs generate` write next to it).
pub fn names(site: Site) -> &'static [&'static str] {
    match site {
        Site::Dashboard => &["echarts.min.js", "echarts.LICENSE.txt", "format.js", "source.js", "timeseries.js", "panels.js", "app.js", "dashboard.css", "favicon.svg"],
        Site::Docs => &["docs.js", "lineage.js", "docs.css", "favicon.svg"],
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    Dashboard,
    Docs,
}

/// The gzip copy of an asset, compressed once per process.
pub fn gzipped(name: &str) -> Option<&'static [u8]> {
    static CACHE: OnceLock<std::sync::Mutex<std::collections::HashMap<String, &'static [u8]>>> = OnceLock::new();
    let asset = get(name)?;
    let mut cache = CACHE.get_or_init(Default::default).lock().ok()?;
    if let Some(b) = cache.get(name) {
        return Some(b);
    }
    let bytes: &'static [u8] = Box::leak(super::gzip::gzip(asset.body).into_boxed_slice());
    cache.insert(name.to_string(), bytes);
    Some(bytes)
}
