//! The dependency graph over unique ids (sources, seeds, models, tests), edges parent → child.
//! It answers what selection needs (ancestors/descendants with a depth) and what the runner needs
//! (a topological order, cycle detection naming the nodes involved).

use std::collections::{BTreeSet, HashMap, VecDeque};

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;

use crate::error::{Error, Result};

#[derive(Default)]
pub struct Dag {
    graph: DiGraph<String, ()>,
    index: HashMap<String, NodeIndex>,
}

impl Dag {
    pub fn add_node(&mut self, id: &str) -> NodeIndex {
        if let Some(i) = self.index.get(id) {
            return *i;
        }
        let i = self.graph.add_node(id.to_string());
        self.index.insert(id.to_string(), i);
        i
    }

    pub fn add_edge(&mut self, parent: &str, child: &str) {
        let (p, c) = (self.add_node(parent), self.add_node(child));
        if !self.graph.contains_edge(p, c) {
            self.graph.add_edge(p, c, ());
        }
    }

    pub fn contains(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }

    pub fn ids(&self) -> impl Iterator<Item = &String> {
        self.index.keys()
    }

    fn neighbors(&self, id: &str, dir: Direction) -> Vec<String> {
        match self.index.get(id) {
            Some(i) => self.graph.neighbors_directed(*i, dir).map(|n| self.graph[n].clone()).collect(),
            None => vec![],
        }
    }

    pub fn parents(&self, id: &str) -> Vec<String> {
        self.neighbors(id, Direction::Incoming)
    }

    pub fn children(&self, id: &str) -> Vec<String> {
        self.neighbors(id, Direction::Outgoing)
    }

    /// Nodes reachable from `id` against (`up`) or along the edges, within `depth` steps (None = all).
    pub fn reach(&self, id: &str, up: bool, depth: Option<usize>) -> BTreeSet<String> {
        let dir = if up { Direction::Incoming } else { Direction::Outgoing };
        let mut seen = BTreeSet::new();
        let mut queue = VecDeque::from([(id.to_string(), 0usize)]);
        while let Some((cur, d)) = queue.pop_front() {
            if depth.is_some_and(|max| d >= max) {
                continue;
            }
            for n in self.neighbors(&cur, dir) {
                if seen.insert(n.clone()) {
                    queue.push_back((n, d + 1));
                }
            }
        }
        seen
    }

    /// All ids in dependency order, or the cycle's members.
    pub fn topo_order(&self) -> Result<Vec<String>> {
        petgraph::algo::toposort(&self.graph, None).map(|order| order.into_iter().map(|i| self.graph[i].clone()).collect()).map_err(|c| {
            let start = c.node_id();
            let members: Vec<String> = petgraph::algo::kosaraju_scc(&self.graph)
                .into_iter()
                .find(|scc| scc.contains(&start))
                .unwrap_or_default()
                .into_iter()
                .map(|i| self.graph[i].clone())
                .collect();
            Error::Cycle(members.join(" -> "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reach_respects_depth_and_cycles_are_named() {
        let mut d = Dag::default();
        d.add_edge("a", "b");
        d.add_edge("b", "c");
        assert_eq!(d.reach("c", true, Some(1)).into_iter().collect::<Vec<_>>(), vec!["b"]);
        assert_eq!(d.reach("a", false, None).len(), 2);
        d.add_edge("c", "a");
        let err = d.topo_order().unwrap_err().to_string();
        assert!(err.contains("cycle") && err.contains('a') && err.contains('c'), "{err}");
    }
}
