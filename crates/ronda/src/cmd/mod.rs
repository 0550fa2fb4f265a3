//! One module per subcommand: argument definitions plus the glue that runs them.

pub mod audit;
pub mod bank;
pub mod bench;
pub mod escalations;
pub mod eval;
pub mod hash;
pub mod import;
pub mod link;
pub mod match_cmd;
pub mod notices;
pub mod scan;
pub mod serve;
pub mod store_args;
pub mod token;
pub mod train;
