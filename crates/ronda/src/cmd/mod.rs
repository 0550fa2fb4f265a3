//! One module per subcommand: argument definitions plus the glue that runs them.

pub mod audit;
pub mod bank;
pub mod bench;
pub mod bench_stats;
pub mod cases;
pub mod escalations;
pub mod eval;
pub mod evidence;
pub mod hash;
pub mod import;
pub mod keys;
pub mod link;
pub mod match_cmd;
pub mod models;
pub mod notices;
pub mod referrals;
pub mod report;
pub mod retention;
pub mod scan;
pub mod serve;
pub mod stats;
pub mod store_args;
pub mod token;
pub mod train;
pub mod user;
pub mod watchlist;
