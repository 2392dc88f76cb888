//! BigQuery query jobs over REST: connect (key file, inline key, application default credentials or
//! a fixed token for emulators), insert a job with the cost controls and the label of the node it
//! runs for (passed in by the caller), poll it to `DONE`, turn `errorResult`/`errors` into errors
//! naming the node, retry transient failures `job_retries` times, and read a bounded page of results.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gcp_bigquery_client::auth::Authenticator;
use gcp_bigquery_client::client_builder::ClientBuilder;
use gcp_bigquery_client::error::BQError;
use gcp_bigquery_client::model::error_proto::ErrorProto;
use gcp_bigquery_client::model::get_query_results_parameters::GetQueryResultsParameters;
use gcp_bigquery_client::model::job::Job;
use gcp_bigquery_client::model::job_configuration::JobConfiguration;
use gcp_bigquery_client::model::job_configuration_query::JobConfigurationQuery;
use gcp_bigquery_client::model::job_reference::JobReference;
use gcp_bigquery_client::Client;

use super::profile::{Auth, Profile};
use crate::error::{Error, Result};
use crate::warehouse::Rows;

/// Emulators accept any bearer token; no Google credentials are needed or read.
#[derive(Clone)]
struct FixedToken;

impl Authenticator for FixedToken {
    fn access_token<'a, 'b>(&'a self) -> Pin<Box<dyn Future<Output = Result<String, BQError>> + Send + 'b>>
    where
        'a: 'b,
        Self: 'b,
    {
        Box::pin(async { Ok("emulator-token".to_string()) })
    }
}

pub async fn connect(p: &Profile) -> Result<Client> {
    // No idle pooling: an emulator drops the connection after a 500, and a stale socket would fail the next job.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(|e| Error::Warehouse(format!("cannot build the HTTP client: {e}")))?;
    let mut b = ClientBuilder::new();
    b.with_client(http);
    if let Some(url) = &p.api_base_url {
        b.with_v2_base_url(url.clone());
    }
    let client = match &p.auth {
        Auth::FixedToken => b.build_from_authenticator(Arc::new(FixedToken)).await,
        Auth::KeyFile(path) => b.build_from_service_account_key_file(&path.to_string_lossy()).await,
        Auth::KeyJson(key) => match gcp_bigquery_client::yup_oauth2::parse_service_account_key(&key.0) {
            Ok(k) => b.build_from_service_account_key(k, false).await,
            Err(_) => return Err(Error::Profile { message: "`keyfile_json` is not a valid service-account key".into() }),
        },
        Auth::Oauth => b.build_from_application_default_credentials().await,
    };
    client.map_err(|e| Error::Warehouse(crate::output::redact(&format!("cannot authenticate to BigQuery: {e}"))))
}

/// What a finished job reports.
#[derive(Debug, Default)]
pub struct JobOutcome {
    pub job_id: String,
    pub bytes_processed: Option<i64>,
    pub rows_affected: Option<i64>,
    pub statement_type: Option<String>,
}

/// BigQuery's reasons worth another attempt.
fn transient(reason: &str) -> bool {
    matches!(reason, "rateLimitExceeded" | "backendError" | "internalError" | "jobRateLimitExceeded")
}

fn describe(e: &ErrorProto) -> String {
    let msg = e.message.clone().unwrap_or_default();
    match (&e.reason, &e.location) {
        (Some(r), Some(l)) if !l.is_empty() => format!("{msg} [{r} at {l}]"),
        (Some(r), _) => format!("{msg} [{r}]"),
        _ => msg,
    }
}

/// An error of a job run for `node` (its unique id prefixes the message).
fn failure(message: String, node: Option<&str>) -> Error {
    let who = node.map(|n| format!("{n}: ")).unwrap_or_default();
    Error::Warehouse(crate::output::redact(&format!("{who}BigQuery: {message}")))
}

/// A label value: lowercase letters, digits, `_` and `-`, at most 63 characters.
pub fn label_value(s: &str) -> String {
    s.to_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).take(63).collect()
}

fn new_job(p: &Profile, sql: &str, dry_run: bool, attempt: u32, node: Option<&str>) -> Job {
    let mut labels = HashMap::from([("tool".to_string(), "transform".to_string())]);
    if let Some(node) = node {
        labels.insert("dbt_invocation_node".into(), label_value(node));
    }
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let job_id = format!("transform_{nanos:x}_{:x}_{attempt}", std::process::id());
    let mut query = JobConfigurationQuery { query: sql.to_string(), use_legacy_sql: Some(false), priority: Some(p.priority.clone()), ..Default::default() };
    query.maximum_bytes_billed = p.maximum_bytes_billed.map(|b| b.to_string());
    Job {
        configuration: Some(JobConfiguration {
            query: Some(query),
            dry_run: Some(dry_run),
            labels: Some(labels),
            job_timeout_ms: Some((p.job_execution_timeout_seconds * 1000).to_string()),
            ..Default::default()
        }),
        job_reference: Some(JobReference { job_id: Some(job_id), location: p.location.clone(), project_id: Some(p.project.clone()) }),
        ..Default::default()
    }
}

/// Runs `sql` as one job (a script may hold several statements) for `node`, and waits for it.
pub async fn run(client: &Client, p: &Profile, sql: &str, dry_run: bool, node: Option<&str>) -> Result<JobOutcome> {
    let mut attempt = 0;
    loop {
        match run_once(client, p, sql, dry_run, attempt, node).await {
            Err((e, true)) if attempt < p.job_retries => {
                crate::output::printer().info(&format!("retrying after a transient error ({}/{}): {e}", attempt + 1, p.job_retries));
                tokio::time::sleep(Duration::from_millis(500 * 2u64.pow(attempt.min(6)))).await;
                attempt += 1;
            }
            Err((e, _)) => return Err(e),
            Ok(o) => return Ok(o),
        }
    }
}

/// One attempt; the flag of the error says whether the failure is transient.
async fn run_once(client: &Client, p: &Profile, sql: &str, dry_run: bool, attempt: u32, node: Option<&str>) -> Result<JobOutcome, (Error, bool)> {
    let job = client.job().insert(&p.project, new_job(p, sql, dry_run, attempt, node)).await.map_err(|e| request_error(e, node))?;
    let job_id = job.job_reference.as_ref().and_then(|r| r.job_id.clone()).unwrap_or_default();
    let job = if dry_run { job } else { wait_done(client, p, job, &job_id, node).await? };
    let status = job.status.clone().unwrap_or_default();
    if let Some(e) = status.error_result {
        let reason = e.reason.clone().unwrap_or_default();
        let extra: Vec<String> = status.errors.unwrap_or_default().iter().map(describe).filter(|m| *m != describe(&e)).collect();
        let more = if extra.is_empty() { String::new() } else { format!(" ({})", extra.join("; ")) };
        return Err((failure(format!("{}{more}", describe(&e)), node), transient(&reason)));
    }
    let stats = job.statistics.unwrap_or_default();
    let q = stats.query.unwrap_or_default();
    let num = |s: Option<String>| s.and_then(|v| v.parse::<i64>().ok());
    Ok(JobOutcome {
        job_id,
        bytes_processed: num(q.total_bytes_processed.clone()).or(num(stats.total_bytes_processed)),
        rows_affected: num(q.num_dml_affected_rows),
        statement_type: q.statement_type,
    })
}

fn request_error(e: BQError, node: Option<&str>) -> (Error, bool) {
    let text = e.to_string();
    let retry = matches!(&e, BQError::RequestError(_)) || ["rateLimitExceeded", "backendError", "internalError"].iter().any(|r| text.contains(r));
    let message = match e {
        BQError::ResponseError { error } => {
            let reasons: Vec<&str> = error.error.errors.iter().filter_map(|x| x.get("reason").map(String::as_str)).collect();
            format!("{} [HTTP {}{}]", error.error.message, error.error.code, reasons.iter().map(|r| format!(", {r}")).collect::<String>())
        }
        other => other.to_string(),
    };
    (failure(message, node), retry)
}

async fn wait_done(client: &Client, p: &Profile, mut job: Job, job_id: &str, node: Option<&str>) -> Result<Job, (Error, bool)> {
    let deadline = Instant::now() + Duration::from_secs(p.job_execution_timeout_seconds);
    let mut pause = Duration::from_millis(20);
    while job.status.as_ref().and_then(|s| s.state.as_deref()) != Some("DONE") {
        if Instant::now() > deadline {
            let _ = client.job().cancel_job(&p.project, job_id, p.location.as_deref()).await;
            let why = format!("job {job_id} did not finish within job_execution_timeout_seconds ({})", p.job_execution_timeout_seconds);
            return Err((failure(why, node), false));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(1));
        job = client.job().get_job(&p.project, job_id, p.location.as_deref()).await.map_err(|e| request_error(e, node))?;
    }
    Ok(job)
}

/// The result schema of a finished query job: (name, type as the API writes it, mode).
pub async fn result_fields(client: &Client, p: &Profile, job_id: &str, node: Option<&str>) -> Result<Vec<(String, String, String)>> {
    let params = GetQueryResultsParameters { location: p.location.clone(), max_results: Some(0), ..Default::default() };
    let resp = client.job().get_query_results(&p.project, job_id, params).await.map_err(|e| request_error(e, node).0)?;
    let fields = resp.schema.and_then(|s| s.fields).unwrap_or_default();
    Ok(fields
        .into_iter()
        .map(|f| {
            let ty = serde_json::to_value(&f.r#type).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
            (f.name, ty, f.mode.unwrap_or_else(|| "NULLABLE".into()))
        })
        .collect())
}

/// Reads at most `limit` rows of a finished query job (run for `node`), page by page.
pub async fn read_rows(client: &Client, p: &Profile, job_id: &str, limit: usize, node: Option<&str>) -> Result<Rows> {
    let mut out = Rows::default();
    let mut page_token = None;
    loop {
        let params = GetQueryResultsParameters {
            // `formatOptions` is a nested struct the client cannot put in a query string ("builder
            // error"): TIMESTAMPs come as float seconds, which `values::cell` reads too.
            format_options: None,
            location: p.location.clone(),
            max_results: Some(limit.saturating_sub(out.rows.len()).clamp(1, 10_000) as i32),
            page_token: page_token.take(),
            ..Default::default()
        };
        let resp = client.job().get_query_results(&p.project, job_id, params).await.map_err(|e| request_error(e, node).0)?;
        if let Some(errors) = resp.errors.filter(|e| !e.is_empty()) {
            return Err(failure(errors.iter().map(describe).collect::<Vec<_>>().join("; "), node));
        }
        let fields = resp.schema.and_then(|s| s.fields).unwrap_or_default();
        if out.columns.is_empty() {
            out.columns = fields.iter().map(|f| f.name.clone()).collect();
        }
        for row in resp.rows.unwrap_or_default() {
            if out.rows.len() >= limit {
                break;
            }
            let cells = row.columns.unwrap_or_default();
            out.rows.push(fields.iter().zip(cells).map(|(f, c)| super::values::cell(&f.r#type, c.value)).collect());
        }
        page_token = resp.page_token;
        if page_token.is_none() || out.rows.len() >= limit {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> Profile {
        Profile {
            project: "p".into(),
            dataset: "d".into(),
            location: Some("EU".into()),
            auth: Auth::FixedToken,
            job_execution_timeout_seconds: 60,
            job_retries: 2,
            priority: "BATCH".into(),
            maximum_bytes_billed: Some(5_000),
            api_base_url: None,
        }
    }

    #[test]
    fn every_job_carries_cost_controls_and_the_node_label() {
        let job = new_job(&profile(), "select 1", true, 0, Some("model.bitcoin.Fct_Price.OHLCV"));
        let cfg = job.configuration.expect("configuration");
        let q = cfg.query.expect("query");
        assert_eq!(q.maximum_bytes_billed.as_deref(), Some("5000"));
        assert_eq!((q.priority.as_deref(), q.use_legacy_sql), (Some("BATCH"), Some(false)));
        assert_eq!(cfg.dry_run, Some(true));
        assert_eq!(cfg.job_timeout_ms.as_deref(), Some("60000"));
        let labels = cfg.labels.expect("labels");
        assert_eq!(labels.get("dbt_invocation_node").map(String::as_str), Some("model_bitcoin_fct_price_ohlcv"));
        assert_eq!(job.job_reference.and_then(|r| r.location).as_deref(), Some("EU"));
    }

    #[test]
    fn transient_reasons_are_retried_others_are_not() {
        assert!(transient("rateLimitExceeded") && transient("backendError"));
        assert!(!transient("invalidQuery") && !transient("notFound"));
    }
}
