//! `transform seed`: load the selected CSV seeds into the warehouse.

use crate::cli::RunArgs;
use crate::error::Result;
use crate::project::Resource;

pub fn run(a: RunArgs) -> Result<i32> {
    super::run::nodes(a, "seed", &[Resource::Seed], false)
}
