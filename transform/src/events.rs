//! dbt's structured log events: the event names, codes and `data` fields of dbt-core 1.10 (its proto
//! messages), so `--log-format json` lines parse in Cosmos's watcher mode and in log pipelines built for dbt.
//! An `Event` also carries its text-mode line (or none: dbt's debug events and START lines stay out of the
//! text output, which is unchanged). Printing and the log file are `output`'s business.

use serde_json::{json, Map, Value as Json};

/// The dbt-core version whose events and artifacts transform reproduces.
pub const DBT_VERSION: &str = "1.10.23";

/// dbt's timestamps in artifacts and timing entries: UTC with microseconds and a `Z`.
pub fn timestamp() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

pub struct Event {
    pub name: &'static str,
    pub code: &'static str,
    pub level: Level,
    pub msg: String,
    pub data: Json,
    /// The line text mode prints (None: JSON and the log file only).
    pub text: Option<String>,
}

impl Event {
    fn new(name: &'static str, code: &'static str, level: Level, msg: String, data: Json) -> Event {
        Event { name, code, level, text: Some(msg.clone()), msg, data }
    }

    fn silent(mut self) -> Event {
        self.text = None;
        self
    }

    pub fn with_text(mut self, text: String) -> Event {
        self.text = Some(text);
        self
    }
}

/// A free-form message (dbt's `Note`, Z050).
pub fn note(level: Level, msg: &str) -> Event {
    Event::new("Note", "Z050", level, msg.into(), json!({"msg": msg}))
}

/// A free-form message with structured fields merged into its `data` (JSON logs).
pub fn note_with(level: Level, msg: &str, fields: Json) -> Event {
    let mut data = json!({"msg": msg});
    if let (Some(d), Json::Object(extra)) = (data.as_object_mut(), fields) {
        d.extend(extra);
    }
    Event::new("Note", "Z050", level, msg.into(), data)
}

/// The error that ended the invocation (dbt's `MainEncounteredError`, Z002).
pub fn main_error(msg: &str) -> Event {
    Event::new("MainEncounteredError", "Z002", Level::Error, format!("Encountered an error:\n{msg}"), json!({"exc": msg}))
        .with_text(msg.into())
}

/// The first event of every invocation: the dbt version reproduced, and transform's own.
pub fn main_report_version(transform_version: &str) -> Event {
    Event::new("MainReportVersion", "A001", Level::Info, format!("Running with dbt={DBT_VERSION} (transform {transform_version})"),
        json!({"version": format!("={DBT_VERSION}"), "log_version": 3}))
        .silent()
}

pub fn adapter_registered(adapter: &str, version: &str) -> Event {
    Event::new("AdapterRegistered", "E034", Level::Info, format!("Registered adapter: {adapter}={version}"),
        json!({"adapter_name": adapter, "adapter_version": format!("={version}")}))
        .silent()
}

pub fn found_stats(stat_line: &str) -> Event {
    Event::new("FoundStats", "W006", Level::Info, format!("Found {stat_line}"), json!({"stat_line": stat_line})).silent()
}

pub fn concurrency(threads: usize, target: &str, node_count: usize) -> Event {
    Event::new("ConcurrencyLine", "Q027", Level::Info, format!("Concurrency: {threads} threads (target='{target}')"),
        json!({"num_threads": threads, "target_name": target, "node_count": node_count}))
        .silent()
}

/// `node_info` as dbt attaches it to every node event.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub unique_id: String,
    pub node_name: String,
    pub node_path: String,
    pub resource_type: String,
    pub materialized: String,
    pub meta: Json,
    pub checksum: String,
    pub database: String,
    pub schema: String,
    pub alias: String,
    pub relation_name: String,
    pub started_at: String,
    pub finished_at: String,
}

impl NodeInfo {
    pub fn json(&self, status: &str) -> Json {
        json!({
            "materialized": self.materialized, "meta": self.meta, "node_checksum": self.checksum,
            "node_finished_at": self.finished_at, "node_name": self.node_name, "node_path": self.node_path,
            "node_relation": {"alias": self.alias, "database": self.database, "relation_name": self.relation_name,
                              "schema": self.schema},
            "node_started_at": self.started_at, "node_status": status, "resource_type": self.resource_type,
            "unique_id": self.unique_id,
        })
    }
}

fn dots(left: &str, right: &str, width: usize) -> String {
    let n = width.saturating_sub(left.chars().count() + right.chars().count() + 1).max(3);
    format!("{left} {} {right}", ".".repeat(n))
}

pub fn start_line(info: &NodeInfo, description: &str, index: usize, total: usize, width: usize) -> Event {
    let msg = dots(&format!("{index} of {total} START {description}"), "[RUN]", width);
    Event::new("LogStartLine", "Q011", Level::Info, msg,
        json!({"description": description, "index": index, "total": total, "node_info": info.json("started")}))
        .silent()
}

pub fn node_start(info: &NodeInfo) -> Event {
    Event::new("NodeStart", "Q024", Level::Debug, format!("Began running node {}", info.unique_id),
        json!({"node_info": info.json("started")}))
        .silent()
}

/// `run_result` of NodeFinished and MarkSkippedChildren (dbt's RunResultMsg).
pub fn run_result_json(r: &Json) -> Json {
    let timing: Vec<Json> = r.get("timing").and_then(Json::as_array).cloned().unwrap_or_default();
    json!({
        "adapter_response": r.get("adapter_response").cloned().unwrap_or(json!({})),
        "execution_time": r.get("execution_time").cloned().unwrap_or(json!(0.0)),
        "message": r.get("message").and_then(Json::as_str).unwrap_or_default(),
        "num_failures": r.get("failures").and_then(Json::as_i64).unwrap_or(0),
        "status": r.get("status").cloned().unwrap_or(json!("")),
        "thread": r.get("thread_id").cloned().unwrap_or(json!("")),
        "timing_info": timing,
    })
}

pub fn node_finished(info: &NodeInfo, status: &str, run_result: &Json) -> Event {
    Event::new("NodeFinished", "Q025", Level::Debug, format!("Finished running node {}", info.unique_id),
        json!({"node_info": info.json(status), "run_result": run_result_json(run_result)}))
        .silent()
}

/// The result line of a model (Q012), seed (Q016) or test (Q007); `text` is the line text mode prints.
#[allow(clippy::too_many_arguments)]
pub fn node_result(info: &NodeInfo, status: &str, level: Level, msg: String, index: usize, total: usize, seconds: f64, extra: Json) -> Event {
    let mut data = json!({"node_info": info.json(status), "index": index, "execution_time": seconds});
    let (name, code) = match info.resource_type.as_str() {
        "test" => ("LogTestResult", "Q007"),
        "seed" => ("LogSeedResult", "Q016"),
        "source" => ("LogFreshnessResult", "Q018"),
        _ => ("LogModelResult", "Q012"),
    };
    if let (Some(d), Some(e)) = (data.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
    }
    if name == "LogTestResult" {
        if let Some(d) = data.as_object_mut() {
            d.insert("num_models".into(), json!(total));
        }
    } else if let Some(d) = data.as_object_mut() {
        d.insert("total".into(), json!(total));
    }
    Event::new(name, code, level, msg, data)
}

/// `4 of 8 NO-OP exposure revenue_dashboard ...` (Q019).
pub fn node_no_op(info: &NodeInfo, description: &str, msg: String, index: usize, total: usize) -> Event {
    Event::new("LogNodeNoOpResult", "Q019", Level::Info, msg, json!({
        "description": description, "execution_time": 0.0, "index": index, "node_info": info.json("no-op"), "status": "",
        "total": total,
    }))
}

pub fn skipping(info: &NodeInfo, msg: String, index: usize, total: usize) -> Event {
    Event::new("SkippingDetails", "Q034", Level::Info, msg, json!({
        "node_info": info.json("skipped"), "resource_type": info.resource_type, "schema": info.schema,
        "node_name": info.node_name, "index": index, "total": total,
    }))
}

pub fn mark_skipped_children(unique_id: &str, status: &str, run_result: &Json) -> Event {
    let reason = run_result.get("message").and_then(Json::as_str).unwrap_or_default();
    Event::new("MarkSkippedChildren", "Z033", Level::Debug,
        format!("Marking all children of '{unique_id}' to be skipped because of status '{status}'.  Reason: {reason}."),
        json!({"unique_id": unique_id, "status": status, "run_result": run_result_json(run_result)}))
        .silent()
}

/// The end-of-run report of one failed, errored or warned node.
pub fn run_result_problem(info: &NodeInfo, status: &str, text: String) -> Event {
    match status {
        "warn" => Event::new("RunResultWarning", "Z021", Level::Warn, text,
            json!({"resource_type": info.resource_type, "node_name": info.node_name, "path": info.node_path, "node_info": info.json(status)})),
        "fail" => Event::new("RunResultFailure", "Z022", Level::Error, text,
            json!({"resource_type": info.resource_type, "node_name": info.node_name, "path": info.node_path, "node_info": info.json(status)})),
        _ => Event::new("RunResultError", "Z024", Level::Error, text.clone(), json!({"msg": text, "node_info": info.json(status)})),
    }
}

/// `Finished running 3 view models in 0 hours 0 minutes and 1.15 seconds (1.15s).` (dbt's text).
pub fn finished_running(stat_line: &str, seconds: f64) -> Event {
    let (minutes, secs) = ((seconds / 60.0).floor(), seconds % 60.0);
    let (hours, minutes) = ((minutes / 60.0).floor(), minutes % 60.0);
    let execution = format!(" in {hours} hours {minutes} minutes and {secs:.2} seconds");
    Event::new("FinishedRunningStats", "E047", Level::Info, format!("Finished running {stat_line}{execution} ({seconds:.2}s)."),
        json!({"stat_line": stat_line, "execution": execution, "execution_time": seconds}))
}

pub fn end_of_run_summary(errors: usize, warnings: usize) -> Event {
    let msg = match (errors, warnings) {
        (0, 0) => "Completed successfully".to_string(),
        (0, w) => format!("Completed with {w} warning{}:", if w == 1 { "" } else { "s" }),
        (e, w) => format!("Completed with {e} error{}, 0 partial successes, and {w} warning{}:", if e == 1 { "" } else { "s" }, if w == 1 { "" } else { "s" }),
    };
    Event::new("EndOfRunSummary", "Z030", Level::Info, msg,
        json!({"num_errors": errors, "num_warnings": warnings, "num_partial_success": 0, "keyboard_interrupt": false}))
        .silent()
}

/// `counts`: pass, warn, error, skip, no-op.
pub fn stats_line(text: String, counts: [usize; 5], total: usize) -> Event {
    let [pass, warn, error, skip, noop] = counts;
    Event::new("StatsLine", "Z023", Level::Info, text,
        json!({"stats": {"error": error, "noop": noop, "pass": pass, "skip": skip, "total": total, "warn": warn}}))
}

pub fn command_completed(command: &str, success: bool, completed_at: &str, elapsed: f64) -> Event {
    let verb = if success { "succeeded" } else { "failed" };
    Event::new("CommandCompleted", "Q039", Level::Debug, format!("Command `dbt {command}` {verb} after {elapsed:.2} seconds"),
        json!({"command": format!("dbt {command}"), "success": success, "completed_at": completed_at, "elapsed": elapsed}))
        .silent()
}

pub fn nothing_to_do() -> Event {
    Event::new("NothingToDo", "Q035", Level::Warn,
        "Nothing to do. Try checking your model configs and model specification args".into(), json!({}))
}

pub fn no_nodes_selected(spec: &str) -> Event {
    Event::new("NoNodesForSelectionCriteria", "M030", Level::Warn,
        format!("The selection criterion '{spec}' does not match any enabled nodes"), json!({"spec_raw": spec}))
}

pub fn artifact_written(kind: &str, path: &str) -> Event {
    Event::new("ArtifactWritten", "P001", Level::Debug, format!("Wrote artifact {kind} to {path}"),
        json!({"artifact_type": kind, "artifact_path": path}))
        .silent()
}

/// `deps` with no packages to install.
pub fn deps_no_packages() -> Event {
    Event::new("DepsNoPackagesFound", "M013", Level::Info, "Warning: No packages were found in packages.yml".into(), json!({}))
}

/// One `ls` result line; JSON mode wraps it as dbt's ListCmdOut event.
pub fn list_line(line: &str) -> Event {
    Event::new("ListCmdOut", "Z049", Level::Info, line.into(), json!({"msg": line}))
}

/// The `info` block of one JSON line (dbt's CoreEventInfo, keys sorted as dbt prints them).
pub fn info(e: &Event, invocation_id: &str, thread: &str, ts: &str) -> Json {
    json!({
        "category": "", "code": e.code, "extra": Map::new(), "invocation_id": invocation_id, "level": e.level.as_str(),
        "msg": e.msg, "name": e.name, "pid": std::process::id(), "thread": thread, "ts": ts,
    })
}

/// Object keys sorted at every depth, as dbt writes its JSON logs.
pub fn sorted(v: Json) -> Json {
    match v {
        Json::Object(m) => {
            let mut entries: Vec<(String, Json)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Json::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Json::Array(a) => Json::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// dbt's `line_wrap_message(warning_tag(msg))`: `[WARNING]: ` and the text filled to 80 columns.
fn warning_text(msg: &str) -> String {
    let mut lines = vec![];
    let mut line = String::new();
    for word in format!("[WARNING]: {msg}").split(' ') {
        if line.is_empty() && word.is_empty() {
            continue;
        }
        if !line.is_empty() && line.len() + 1 + word.len() > 80 {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines.join("\n")
}

fn warning(name: &'static str, code: &'static str, msg: String, data: Json) -> Event {
    let text = warning_text(&msg);
    Event::new(name, code, Level::Warn, msg, data).with_text(text)
}

/// D016: a package's materialization replaces dbt's built-in one (allowed by the project's flag).
pub fn package_materialization_override(package: &str, materialization: &str) -> Event {
    warning("PackageMaterializationOverrideDeprecation", "D016",
        format!("Installed package '{package}' is overriding the built-in materialization '{materialization}'. Overrides of built-in materializations from installed packages will be deprecated in future versions of dbt. For more information: https://docs.getdbt.com/reference/global-configs/legacy-behaviors"),
        json!({"package_name": package, "materialization_name": materialization}))
}

/// I068: constraints on a materialization that cannot enforce them (view, ephemeral).
pub fn unsupported_constraint_materialization(materialized: &str) -> Event {
    warning("UnsupportedConstraintMaterialization", "I068",
        format!("Constraint types are not supported for {materialized} materializations and will be ignored.  Set 'warn_unsupported: false' on this constraint to ignore this warning."),
        json!({"materialized": materialized}))
}

/// E049: a constraint type the warehouse does not support (left out of the DDL).
pub fn constraint_not_supported(constraint: &str, adapter: &str) -> Event {
    warning("ConstraintNotSupported", "E049",
        format!("The constraint type {constraint} is not supported by {adapter}, and will be ignored. Set 'warn_unsupported: false' on this constraint to ignore this warning."),
        json!({"constraint": constraint, "adapter": adapter}))
}

/// E048: a constraint the warehouse records but does not enforce.
pub fn constraint_not_enforced(constraint: &str, adapter: &str) -> Event {
    warning("ConstraintNotEnforced", "E048",
        format!("The constraint type {constraint} is not enforced by {adapter}. The constraint will be included in this model's DDL statement, but it will not guarantee anything about the underlying data. Set 'warn_unenforced: false' on this constraint to ignore this warning."),
        json!({"constraint": constraint, "adapter": adapter}))
}

/// I065/I066/I067: a model past its deprecation date, or a model reading one that is (or will be)
/// deprecated. dbt tags these `[WARNING]: ` without wrapping the line.
pub fn model_deprecation(name: &'static str, code: &'static str, msg: String, data: Json) -> Event {
    let text = format!("[WARNING]: {msg}");
    Event::new(name, code, Level::Warn, msg, data).with_text(text)
}

/// I064: an unpinned `ref()` resolved to a model's latest version while a newer (prerelease) one exists.
pub fn unpinned_ref_new_version(msg: String, data: Json) -> Event {
    let text = msg.clone();
    Event::new("UnpinnedRefNewVersionAvailable", "I064", Level::Info, msg, data).with_text(text)
}

/// E003: an adapter's warning (`adapter.warn_once`), printed as `<Adapter> adapter: message`.
pub fn adapter_warning(adapter: &str, msg: &str) -> Event {
    Event::new("AdapterEventWarning", "E003", Level::Warn, format!("{adapter} adapter: {msg}"),
        json!({"name": adapter, "base_msg": msg, "args": []}))
}

/// Q032: a project hook (`on-run-start`/`on-run-end`) starts; like other START lines, JSON only.
pub fn hook_start(info: &NodeInfo, statement: &str, index: usize, total: usize, width: usize) -> Event {
    let msg = dots(&format!("{index} of {total} START hook: {statement}"), "[RUN]", width);
    Event::new("LogHookStartLine", "Q032", Level::Info, msg,
        json!({"statement": statement, "index": index, "total": total, "node_info": info.json("started")}))
        .silent()
}

/// Q033: a project hook's result line (`1 of 2 OK hook: proj.on-run-start.0 .... [OK in 0.01s]`).
pub fn hook_end(info: &NodeInfo, statement: &str, status: &str, index: usize, total: usize, elapsed: f64, text: String) -> Event {
    let level = if status == "error" { Level::Error } else { Level::Info };
    Event::new("LogHookEndLine", "Q033", level, text,
        json!({"statement": statement, "status": status, "index": index, "total": total, "execution_time": elapsed,
               "node_info": info.json(status)}))
}
