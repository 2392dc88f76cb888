//! `transform build`: seeds, models, snapshots and tests in DAG order; a failed model or test skips its
//! descendants, and a test on a node gates that node's children (bad data does not flow on).

use crate::cli::RunArgs;
use crate::error::Result;
use crate::project::Resource;

pub fn run(a: RunArgs) -> Result<i32> {
    super::run::nodes(a, "build", &[
        Resource::Seed, Resource::Model, Resource::Snapshot, Resource::Test, Resource::UnitTest, Resource::Exposure, Resource::SavedQuery,
    ], true)
}
