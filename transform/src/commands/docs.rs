//! `transform docs generate` (compile, then target/manifest.json, target/catalog.json from the
//! warehouse's information schema, and the docs site's page next to them) and `transform docs serve`
//! (that site on 127.0.0.1:8080).

use crate::cli::{DocsCommand, DocsGenerateArgs, DocsServeArgs};
use crate::error::{Error, Result};
use crate::output::printer;
use crate::web::{self, assets, security::Guard};

pub fn run(command: DocsCommand) -> Result<i32> {
    match command {
        DocsCommand::Generate(a) => generate(a),
        DocsCommand::Serve(a) => serve(a),
    }
}

fn generate(a: DocsGenerateArgs) -> Result<i32> {
    let start = std::time::Instant::now();
    let opts = a.common.options("docs generate", false);
    let m = crate::compile::load(&opts, true)?;
    match a.no_compile {
        false => {
            let kinds = [crate::project::Resource::Model, crate::project::Resource::Test];
            let ids = crate::select::selected(&m, &a.selection, &kinds, crate::select::load_state(&a.selection)?.as_ref())?;
            super::compile::write_all(&m, &ids)?;
        }
        true => crate::artifacts::write_manifest(&m)?,
    }
    let wh = m.warehouse.clone().ok_or_else(|| Error::Usage("no warehouse connection".into()))?;
    printer().info("Building catalog");
    let catalog = crate::docs::catalog::build(&m, wh.as_ref(), a.empty_catalog)?;
    let path = crate::artifacts::write_catalog(&m, &catalog)?;
    write_site(&m.target_dir())?;
    printer().info(&format!("Catalog written to {} in {:.2}s", path.display(), start.elapsed().as_secs_f64()));
    Ok(0)
}

/// The site's page and assets into target/ (like dbt's target/index.html), for any static web server.
fn write_site(dir: &std::path::Path) -> Result<()> {
    let write = |rel: &str, bytes: &[u8]| {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::write(&p, bytes).map_err(|e| Error::io(&p, e))
    };
    write("index.html", assets::DOCS_PAGE.as_bytes())?;
    for name in assets::names(assets::Site::Docs) {
        if let Some(a) = assets::get(name) {
            write(&format!("assets/{name}"), a.body)?;
        }
    }
    Ok(())
}

fn serve(a: DocsServeArgs) -> Result<i32> {
    let m = crate::compile::load(&a.common.options("docs serve", false), false)?;
    let target = m.target_dir();
    if !target.join("manifest.json").is_file() {
        return Err(Error::Usage(format!("no {}: run `transform docs generate` first", target.join("manifest.json").display())));
    }
    let rt = tokio::runtime::Runtime::new().map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(async move {
        let (listener, addr) = web::bind(&a.host, a.port).await?;
        printer().info(&format!("Serving docs at {} — Ctrl-C to stop", web::url_of(addr)));
        web::serve(listener, crate::docs::site::router(target, Guard::new(None, &a.host))).await
    })?;
    Ok(0)
}
