//! Walks the selected part of the DAG with a pool of `--threads` workers: a node starts once all
//! its selected ancestors finished; a failed node (model error, test failure) skips everything
//! downstream of it; `--fail-fast` stops dispatching after the first failure.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;

use crate::output::Progress;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Success,
    Error,
    Skipped,
    Pass,
    Fail,
    Warn,
    /// Exposures and saved queries in `build`: nothing to run.
    #[serde(rename = "no-op")]
    NoOp,
}

impl Status {
    pub fn failed(self) -> bool {
        matches!(self, Status::Error | Status::Fail)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    pub name: String,
    pub started_at: String,
    pub completed_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeResult {
    pub unique_id: String,
    pub status: Status,
    pub message: Option<String>,
    pub failures: Option<i64>,
    pub execution_time: f64,
    pub timing: Vec<Timing>,
    pub thread_id: String,
    pub adapter_response: serde_json::Value,
    pub compiled_code: Option<String>,
    pub relation_name: Option<String>,
    /// Failing rows of a test, pre-formatted (not part of dbt's schema; printed in the summary).
    #[serde(skip)]
    pub detail: Option<String>,
    /// The summary's text for a result that is not a manifest node (a project hook), with its node_info.
    #[serde(skip)]
    pub problem: Option<(crate::events::NodeInfo, String)>,
    /// The result line's bracketed status for a success, when not `OK`: a custom materialization's
    /// 'main' response message, which dbt prints there.
    #[serde(skip)]
    pub status_tag: Option<String>,
}

impl NodeResult {
    pub fn new(unique_id: &str, status: Status) -> NodeResult {
        NodeResult {
            unique_id: unique_id.into(),
            status,
            message: None,
            failures: None,
            execution_time: 0.0,
            timing: vec![],
            thread_id: String::new(),
            adapter_response: serde_json::json!({}),
            compiled_code: None,
            relation_name: None,
            detail: None,
            problem: None,
            status_tag: None,
        }
    }
}

pub type Work<'a> = dyn Fn(&str, usize, usize) -> NodeResult + Sync + 'a;

/// The state of one walk: who waits for how many of its deps, who is ready, who is skipped, and
/// the results so far (by position in the topological order).
struct Schedule<'a> {
    order: &'a [String],
    rank: HashMap<&'a str, usize>,
    children: HashMap<&'a str, Vec<&'a str>>,
    waiting: HashMap<&'a str, usize>,
    ready: VecDeque<&'a str>,
    skipped: HashSet<&'a str>,
    results: BTreeMap<usize, NodeResult>,
}

impl<'a> Schedule<'a> {
    fn new(order: &'a [String], deps: &'a HashMap<String, Vec<String>>) -> Schedule<'a> {
        let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut waiting: HashMap<&str, usize> = HashMap::new();
        for id in order {
            let d = deps.get(id).map(Vec::as_slice).unwrap_or(&[]);
            waiting.insert(id, d.len());
            for p in d {
                children.entry(p.as_str()).or_default().push(id);
            }
        }
        let rank = order.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
        let ready = order.iter().map(String::as_str).filter(|id| waiting[id] == 0).collect();
        Schedule { order, rank, children, waiting, ready, skipped: HashSet::new(), results: BTreeMap::new() }
    }

    /// The next node to start, passing over skipped ones.
    fn next_ready(&mut self) -> Option<&'a str> {
        while let Some(id) = self.ready.pop_front() {
            if !self.skipped.contains(id) {
                return Some(id);
            }
        }
        None
    }

    /// Records a finished node: a failure skips everything downstream, and children whose deps are
    /// all done become ready. Returns whether the node failed.
    fn finish(&mut self, r: NodeResult) -> bool {
        let id = self.order[self.rank[r.unique_id.as_str()]].as_str();
        let failed = r.status.failed();
        if failed {
            mark_skipped(id, &self.children, &mut self.skipped);
        }
        for c in self.children.get(id).cloned().unwrap_or_default() {
            if let Some(w) = self.waiting.get_mut(c) {
                *w -= 1;
                if *w == 0 {
                    self.ready.push_back(c);
                }
            }
        }
        self.results.insert(self.rank[id], r);
        failed
    }

    /// Every node's result in order; one that never ran is skipped (upstream failure or --fail-fast).
    fn into_results(mut self) -> Vec<NodeResult> {
        for (i, id) in self.order.iter().enumerate() {
            let skipped = &self.skipped;
            self.results.entry(i).or_insert_with(|| {
                let mut r = NodeResult::new(id, Status::Skipped);
                r.message = Some(if skipped.contains(id.as_str()) { "skipped: an upstream node failed" } else { "skipped: --fail-fast" }.into());
                r
            });
        }
        self.results.into_values().collect()
    }
}

/// One pool thread: runs jobs (node id, its start index) until the job channel closes.
fn worker(t: usize, jobs: &Mutex<mpsc::Receiver<(String, usize)>>, results: mpsc::Sender<NodeResult>, work: &Work, total: usize) {
    loop {
        let job = match jobs.lock() {
            Ok(guard) => guard.recv(),
            Err(_) => return,
        };
        let Ok((id, idx)) = job else { return };
        let started = Instant::now();
        let mut r = work(&id, idx, total);
        r.thread_id = format!("Thread-{} (worker)", t + 1);
        if r.execution_time == 0.0 {
            r.execution_time = started.elapsed().as_secs_f64();
        }
        if results.send(r).is_err() {
            return;
        }
    }
}

/// Runs `work` over `order` (a topological order of the selected nodes) respecting `deps`.
pub fn run(order: &[String], deps: &HashMap<String, Vec<String>>, threads: usize, fail_fast: bool, work: &Work) -> Vec<NodeResult> {
    let progress = Progress::new(order.len());
    let mut schedule = Schedule::new(order, deps);
    let (job_tx, job_rx) = mpsc::channel::<(String, usize)>();
    let job_rx = Mutex::new(job_rx);
    let (res_tx, res_rx) = mpsc::channel::<NodeResult>();
    std::thread::scope(|scope| {
        for t in 0..threads.max(1) {
            let (rx, tx) = (&job_rx, res_tx.clone());
            // dbt's thread names, which its logs and run_results.json carry.
            let spawned = std::thread::Builder::new()
                .name(format!("Thread-{} (worker)", t + 1))
                .spawn_scoped(scope, move || worker(t, rx, tx, work, order.len()));
            if spawned.is_err() {
                break;
            }
        }
        drop(res_tx);
        let (mut in_flight, mut started, mut stop) = (0usize, 0usize, false);
        loop {
            while !stop && in_flight < threads.max(1) {
                let Some(id) = schedule.next_ready() else { break };
                started += 1;
                in_flight += 1;
                progress.set_running(id);
                if job_tx.send((id.to_string(), started)).is_err() {
                    stop = true;
                }
            }
            if in_flight == 0 {
                break;
            }
            let Ok(r) = res_rx.recv() else { break };
            in_flight -= 1;
            progress.inc();
            stop |= schedule.finish(r) && fail_fast;
        }
        drop(job_tx);
    });
    progress.finish();
    schedule.into_results()
}

fn mark_skipped<'a>(id: &'a str, children: &HashMap<&'a str, Vec<&'a str>>, skipped: &mut HashSet<&'a str>) {
    let mut stack = children.get(id).cloned().unwrap_or_default();
    while let Some(c) = stack.pop() {
        if skipped.insert(c) {
            stack.extend(children.get(c).cloned().unwrap_or_default());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_skips_descendants_but_not_siblings() {
        let order: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        let deps: HashMap<String, Vec<String>> = [("b", vec!["a"]), ("c", vec!["b"]), ("d", vec![])]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
            .collect();
        let work = |id: &str, _: usize, _: usize| NodeResult::new(id, if id == "a" { Status::Error } else { Status::Success });
        let results = run(&order, &deps, 2, false, &work);
        let status: Vec<Status> = results.iter().map(|r| r.status).collect();
        assert_eq!(status, vec![Status::Error, Status::Skipped, Status::Skipped, Status::Success]);
    }
}
