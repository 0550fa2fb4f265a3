//! The patrol crawler's pure rules: which URL is "the same page" ([`url`]), what a site's
//! robots.txt allows ([`robots`]), and how long to wait before asking a host again
//! ([`politeness`]). The crawler's IO (fetching, the frontier's storage) lives above this crate
//! and calls these.

pub mod politeness;
pub mod robots;
pub mod url;
pub mod watchlist;
