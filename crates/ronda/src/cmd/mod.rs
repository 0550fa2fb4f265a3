//! One module per subcommand: argument definitions plus the glue that runs them.

pub mod eval;
pub mod hash;
pub mod match_cmd;
pub mod scan;
pub mod train;
