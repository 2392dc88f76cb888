//! `transform test`: run the selected data tests (generic and singular) and unit tests with dbt's
//! semantics.

use crate::cli::RunArgs;
use crate::error::Result;
use crate::project::Resource;

pub fn run(a: RunArgs) -> Result<i32> {
    super::run::nodes(a, "test", &[Resource::Test, Resource::UnitTest], false)
}
