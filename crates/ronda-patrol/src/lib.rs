//! The patrol crawler. Today: reading what was fetched — HTML pages ([`html`]) and sitemaps and
//! feeds ([`xml`]) — as pure functions of the bytes and the URL they came from. The crawl
//! itself (the frontier, politeness per host, robots.txt, findings through the one intake)
//! builds on these, on `ronda_core::crawl`'s rules and on `ronda_outbound`'s fetch.

pub mod crawl;
pub mod html;
pub mod jet;
pub mod recheck;
pub mod xml;
