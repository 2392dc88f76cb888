//! `transform dashboard serve` (the live page on 127.0.0.1:8080, optionally syncing and building on an
//! interval) and `transform dashboard export DIR` (the same page as static files with the data inlined).

use std::ffi::OsString;
use std::time::Duration;

use crate::cli::{CommonArgs, DashboardCommand, DashboardExportArgs, DashboardServeArgs};
use crate::dashboard::{self, writer};
use crate::error::{Error, Result};
use crate::output::printer;
use crate::web::{self, security::Guard};

pub fn run(command: DashboardCommand) -> Result<i32> {
    match command {
        DashboardCommand::Serve(a) => serve(a),
        DashboardCommand::Export(a) => export(a),
    }
}

fn export(a: DashboardExportArgs) -> Result<i32> {
    let live = dashboard::open(&a.common.options("dashboard export", false), a.dashboard.as_deref())?;
    let n = dashboard::export::write(&live, &a.dir)?;
    printer().info(&format!("Exported {n} panels to {} (open {}/index.html)", a.dir.display(), a.dir.display()));
    Ok(0)
}

/// The project flags of this invocation, for the sync and build child processes.
fn project_flags(c: &CommonArgs) -> Vec<OsString> {
    let mut v: Vec<OsString> = vec!["--project-dir".into(), c.project_dir.clone().into()];
    if let Some(p) = &c.profiles_dir {
        v.extend(["--profiles-dir".into(), p.clone().into()]);
    }
    if let Some(t) = &c.target {
        v.extend(["--target".into(), t.into()]);
    }
    if let Some(vars) = &c.vars {
        v.extend(["--vars".into(), vars.into()]);
    }
    v
}

fn sync_plan(a: &DashboardServeArgs) -> Result<Option<writer::Plan>> {
    let Some(every) = &a.sync_every else {
        if a.source.is_some() || a.config.is_some() {
            return Err(Error::Usage("--source and --config only go with --sync-every".into()));
        }
        return Ok(None);
    };
    let every = writer::parse_interval(every).map_err(|e| Error::Usage(format!("--sync-every: {e}")))?;
    let (Some(source), Some(config)) = (&a.source, &a.config) else {
        return Err(Error::Usage("--sync-every needs --source EXE and --config FILE (what `transform sync` takes)".into()));
    };
    let mut sync = project_flags(&a.common);
    sync.extend(["--source".into(), source.clone().into(), "--config".into(), config.clone().into()]);
    Ok(Some(writer::Plan { every, sync, build: project_flags(&a.common) }))
}

fn serve(a: DashboardServeArgs) -> Result<i32> {
    web::assets::echarts().map_err(Error::Usage)?;
    if a.auth_token.as_deref().is_some_and(|t| !t.bytes().all(|b| b.is_ascii_graphic() && b != b';' && b != b',')) {
        return Err(Error::Usage("--auth-token: use printable ASCII without spaces, `;` or `,`".into()));
    }
    let plan = sync_plan(&a)?;
    let watch = writer::parse_interval(&a.watch_every).map_err(|e| Error::Usage(format!("--watch-every: {e}")))?;
    let live = dashboard::open(&a.common.options("dashboard serve", false), a.dashboard.as_deref())?;
    let rt = tokio::runtime::Runtime::new().map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(async move {
        let (listener, addr) = web::bind(&a.host, a.port).await?;
        let guard = Guard::new(a.auth_token.clone(), &a.host);
        dashboard::live::spawn_refresher(live.clone(), watch.max(Duration::from_millis(200)));
        if let Some(plan) = plan {
            printer().info(&format!("dashboard: syncing and building every {:?}", plan.every));
            writer::spawn(live.clone(), plan);
        }
        let token = if a.auth_token.is_some() { " (add ?token=… once)" } else { "" };
        printer().info(&format!("Serving dashboard `{}` at {}{token} — Ctrl-C to stop", live.dashboard.name, web::url_of(addr)));
        web::serve(listener, dashboard::server::router(live, guard)).await
    })?;
    Ok(0)
}
