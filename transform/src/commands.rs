//! One function per subcommand: load the project, select nodes, hand the work to the runner, print
//! the summary and write the artifacts. Returns the process exit code (0 ok, 1 node failures);
//! errors that stop the invocation (exit 2) propagate as `Error`.

use std::collections::HashSet;
use std::time::Instant;

use serde_json::json;

use crate::artifacts;
use crate::cli::{Command, LsArgs, LsOutput, RunArgs, SelectArgs, SelectCommand};
use crate::compile::{self, Manifest};
use crate::error::{Error, Result};
use crate::execute::{execute_node, print_summary};
use crate::output::printer;
use crate::project::Resource;
use crate::runner::{self, selected_deps};
use crate::select;

pub fn dispatch(command: Command) -> Result<i32> {
    match command {
        Command::Parse(c) => parse(&c.options("parse", false)),
        Command::Compile(a) => compile_cmd(a),
        Command::Run(a) => run_cmd(a, "run", &[Resource::Model]),
        Command::Test(a) => run_cmd(a, "test", &[Resource::Test]),
        Command::Seed(a) => run_cmd(a, "seed", &[Resource::Seed]),
        Command::Build(a) => run_cmd(a, "build", &[Resource::Seed, Resource::Model, Resource::Test]),
        Command::Ls(a) => ls(a),
        Command::Debug(c) => debug(&c.options("debug", false)),
        Command::Clean(c) => clean(&c.options("clean", false)),
        Command::Source { command: crate::cli::SourceCommand::Freshness(a) } => crate::freshness::run(a),
        Command::Sync(a) => crate::sync::run(a),
        Command::Show(a) => crate::show::run(a),
    }
}

fn parse(opts: &compile::Options) -> Result<i32> {
    let start = Instant::now();
    let m = compile::load(opts, false)?;
    artifacts::write_manifest(&m)?;
    let count = |r: Resource| m.project.nodes.values().filter(|n| n.resource == r).count();
    printer().info(&format!(
        "Parsed {} models, {} data tests, {} seeds, {} sources, {} macros in {:.2}s",
        count(Resource::Model),
        count(Resource::Test),
        count(Resource::Seed),
        m.project.sources.len(),
        m.engine.shared.macros.len(),
        start.elapsed().as_secs_f64()
    ));
    // No warehouse is open: skip freeing a project-sized structure right before the process exits.
    std::mem::forget(m);
    Ok(0)
}

/// Selected unique ids of the given resource types, in topological order.
pub fn selected(m: &Manifest, sel: &SelectArgs, kinds: &[Resource]) -> Result<Vec<String>> {
    let items = select::items(&m.project);
    let chosen = select::select(&items, &m.dag, &sel.select, &sel.exclude)?;
    let order = m.dag.topo_order()?;
    Ok(order
        .into_iter()
        .filter(|id| chosen.contains(id))
        .filter(|id| m.project.nodes.get(id).is_some_and(|n| kinds.contains(&n.resource) && n.materialized() != "ephemeral"))
        .collect())
}

fn compile_cmd(a: SelectCommand) -> Result<i32> {
    let start = Instant::now();
    let m = compile::load(&a.common.options("compile", false), true)?;
    let ids = selected(&m, &a.selection, &[Resource::Model, Resource::Test])?;
    // Nodes compile independently: split them over the cores, and write the manifest meanwhile.
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(m.target.threads.max(2));
    let chunk = ids.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| -> Result<()> {
        let manifest = scope.spawn(|| artifacts::write_manifest(&m));
        let handles: Vec<_> = ids
            .chunks(chunk)
            .map(|part| {
                let m = &m;
                scope.spawn(move || -> Result<()> {
                    for id in part {
                        m.write_compiled(m.node(id)?, &m.compile(id)?)?;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join().map_err(|_| Error::Usage("a compile worker panicked".into()))??;
        }
        manifest.join().map_err(|_| Error::Usage("the manifest writer panicked".into()))?
    })?;
    printer().info(&format!("Compiled {} nodes into {} in {:.2}s", ids.len(), m.target_dir().join("compiled").display(), start.elapsed().as_secs_f64()));
    if let [only] = ids.as_slice() {
        // Like dbt: compiling one node shows its SQL.
        printer().info(&format!("Compiled node '{}' is:\n{}", m.node(only)?.name, m.compile(only)?));
    }
    Ok(0)
}

fn ls(a: LsArgs) -> Result<i32> {
    let m = compile::load(&a.common.options("ls", false), false)?;
    let items = select::items(&m.project);
    let chosen = select::select(&items, &m.dag, &a.selection.select, &a.selection.exclude)?;
    let mut out = std::io::stdout().lock();
    for item in items.iter().filter(|i| chosen.contains(&i.unique_id)) {
        if !a.resource_type.is_empty() && !a.resource_type.iter().any(|r| r == item.resource.as_str()) {
            continue;
        }
        let line = match a.output {
            LsOutput::Name => item.name.clone(),
            LsOutput::Path => item.path.clone(),
            LsOutput::Selector => match item.resource {
                Resource::Source => format!("source:{}", item.fqn.join(".")),
                _ => item.fqn.join("."),
            },
            LsOutput::Json => json!({
                "name": item.name, "resource_type": item.resource.as_str(), "package_name": m.project.cfg.name,
                "original_file_path": item.path, "unique_id": item.unique_id, "tags": item.tags, "config": item.config,
                "depends_on": {"nodes": m.dag.parents(&item.unique_id)},
            })
            .to_string(),
        };
        use std::io::Write;
        if writeln!(out, "{line}").is_err() {
            break; // broken pipe: the reader has what it wants
        }
    }
    Ok(0)
}

/// In `build`, a test on one node blocks that node's children, so bad data does not flow on.
fn add_test_gates(m: &Manifest, ids: &[String], deps: &mut std::collections::HashMap<String, Vec<String>>) {
    let set: HashSet<&String> = ids.iter().collect();
    for id in ids {
        let Some(g) = m.project.nodes.get(id).and_then(|n| n.generic.as_ref().map(|_| n)) else { continue };
        let parents: Vec<&String> = g.depends_on.iter().filter(|p| set.contains(p)).collect();
        if g.depends_on.len() != 1 || parents.len() != 1 {
            continue;
        }
        // Children in the selection, looking through unselected ones (ephemeral models).
        let mut stack = m.dag.children(parents[0]);
        let mut seen = HashSet::new();
        while let Some(child) = stack.pop() {
            if child.starts_with("test.") || !seen.insert(child.clone()) {
                continue;
            }
            if set.contains(&child) {
                deps.entry(child).or_default().push(id.clone());
            } else {
                stack.extend(m.dag.children(&child));
            }
        }
    }
}

fn run_cmd(a: RunArgs, command: &str, kinds: &[Resource]) -> Result<i32> {
    if a.dry_run {
        return crate::estimate::run(&a, command, kinds);
    }
    let start = Instant::now();
    let opts = a.common.options(command, a.full_refresh);
    let m = compile::load(&opts, true)?;
    let ids = selected(&m, &a.selection, kinds)?;
    let wh = m.warehouse.clone().ok_or_else(|| Error::Usage("no warehouse".into()))?;
    let mut schemas: Vec<(String, String)> = ids
        .iter()
        .filter_map(|id| m.project.nodes.get(id))
        .filter(|n| n.resource != Resource::Test)
        .map(|n| (n.relation.database.clone(), n.relation.schema.clone()))
        .collect();
    schemas.sort();
    schemas.dedup();
    for (db, schema) in schemas {
        wh.create_schema(&db, &schema)?;
    }
    let mut deps = selected_deps(&ids, |id| m.dag.parents(id));
    if command == "build" {
        add_test_gates(&m, &ids, &mut deps);
    }
    printer().info(&format!("Running with transform {} on {} ({} threads)", env!("CARGO_PKG_VERSION"), m.target.adapter_type, m.target.threads));
    let work = |id: &str, idx: usize, total: usize| execute_node(&m, id, idx, total, a.full_refresh);
    let results = runner::run(&ids, &deps, m.target.threads, a.fail_fast, &work);
    let elapsed = start.elapsed().as_secs_f64();
    artifacts::write_manifest(&m)?;
    let args = json!({"which": command, "select": a.selection.select, "exclude": a.selection.exclude, "full_refresh": a.full_refresh, "threads": m.target.threads});
    artifacts::write_run_results(&m, &results, elapsed, args)?;
    Ok(print_summary(&m, &results, elapsed))
}

fn debug(opts: &compile::Options) -> Result<i32> {
    let p = printer();
    let project = crate::project::dbt_project::DbtProject::load(&opts.project_dir)?;
    p.info(&format!("dbt_project.yml: OK (project `{}`, profile `{}`)", project.name, project.profile));
    let path = crate::project::profiles::profiles_path(opts.profiles_dir.as_deref(), &opts.project_dir)?;
    let target = crate::project::profiles::load_target(&path, &project.profile, opts.target.as_deref(), opts.threads)?;
    p.info(&format!("profiles.yml: OK ({}; target `{}`)", path.display(), target.name));
    let wh = crate::warehouse::connect(&target, &opts.project_dir)?;
    for (k, v) in wh.describe() {
        p.info(&format!("  {k}: {v}"));
    }
    match wh.query("select 1", 1) {
        Ok(_) => {
            p.info("Connection test: OK");
            Ok(0)
        }
        Err(e) => {
            p.event("error", &format!("Connection test: ERROR {e}"), json!({}));
            Ok(1)
        }
    }
}

fn clean(opts: &compile::Options) -> Result<i32> {
    let project = crate::project::dbt_project::DbtProject::load(&opts.project_dir)?;
    let root = opts.project_dir.canonicalize().map_err(|e| Error::io(&opts.project_dir, e))?;
    for t in &project.clean_targets {
        let path = root.join(t);
        let Ok(resolved) = path.canonicalize() else { continue };
        if !resolved.starts_with(&root) || resolved == root {
            return Err(Error::project("dbt_project.yml", format!("clean-targets entry `{t}` is outside the project; refusing to delete it")));
        }
        std::fs::remove_dir_all(&resolved).map_err(|e| Error::io(&resolved, e))?;
        printer().info(&format!("Cleaned {t}/"));
    }
    Ok(0)
}
