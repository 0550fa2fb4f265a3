//! A watch list: what the patrol looks at, how deep, how far and how often. [`WatchListSpec`]
//! is what a person asks for; [`WatchListSpec::validate`] turns it into a [`WatchList`] with
//! canonical seeds, or says which field is wrong.
//!
//! A seed may be a **search-result page template**: a URL with `{q}` where a search term goes
//! (`https://forum.example/search?q={q}`), crawled once for each of the watch list's
//! `keywords` (the domain's slang: "open bo", "slot gacor"), the keyword form-encoded into it
//! ([`WatchList::start_urls`]).

use super::url::{UrlError, canonical};

/// How far from its seeds a crawl may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Only the hosts of the seeds.
    Host,
    /// The hosts of the seeds and the listed ones.
    Listed,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Host => "host",
            Scope::Listed => "listed",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "host" => Some(Scope::Host),
            "listed" => Some(Scope::Listed),
            _ => None,
        }
    }
}

/// A watch list as asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchListSpec {
    pub name: String,
    pub seeds: Vec<String>,
    pub depth: u32,
    pub scope: Scope,
    /// Further hosts a `listed` scope may reach (`host` or `host:port`).
    pub hosts: Vec<String>,
    /// Recrawl interval, milliseconds.
    pub every_ms: i64,
    pub ignore_robots: bool,
    /// The terms a search template (a seed with `{q}`) is crawled for.
    pub keywords: Vec<String>,
}

/// A validated watch list.
pub type WatchList = WatchListSpec;

/// The deepest crawl a watch list may ask for.
pub const MAX_DEPTH: u32 = 10;
/// The most seeds on one watch list.
pub const MAX_SEEDS: usize = 1000;
/// The shortest recrawl interval: one minute.
pub const MIN_EVERY_MS: i64 = 60_000;
/// Where a search template takes its keyword.
pub const KEYWORD_SLOT: &str = "{q}";
/// The most keywords on one watch list, and the longest.
pub const MAX_KEYWORDS: usize = 500;
pub const MAX_KEYWORD_CHARS: usize = 100;
/// The most start pages templates and keywords may make together.
pub const MAX_SEARCH_PAGES: usize = 10_000;

/// A field of a watch list that is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct WatchListError {
    pub field: &'static str,
    pub message: String,
}

fn bad(field: &'static str, message: impl Into<String>) -> WatchListError {
    WatchListError {
        field,
        message: message.into(),
    }
}

impl WatchListSpec {
    pub fn validate(mut self) -> Result<WatchList, WatchListError> {
        self.name = self.name.trim().to_string();
        if self.name.is_empty() || self.name.chars().count() > 100 {
            return Err(bad("name", "give a name of 1 to 100 characters"));
        }
        if self.name.chars().any(char::is_control) {
            return Err(bad("name", "no control characters"));
        }
        if self.seeds.is_empty() {
            return Err(bad("seed", "give at least one seed URL"));
        }
        if self.seeds.len() > MAX_SEEDS {
            return Err(bad("seed", format!("at most {MAX_SEEDS} seeds")));
        }
        let mut seeds = Vec::with_capacity(self.seeds.len());
        let mut templates = 0;
        for s in &self.seeds {
            let s = s.trim();
            let u = if s.contains(KEYWORD_SLOT) {
                // A template is kept as written; it must be a URL with a keyword in its place.
                canonical(&s.replace(KEYWORD_SLOT, "q"), None)
                    .map_err(|e: UrlError| bad("seed", format!("`{s}`: {e}")))?;
                templates += 1;
                s.to_string()
            } else {
                canonical(s, None)
                    .map_err(|e: UrlError| bad("seed", format!("`{s}`: {e}")))?
                    .to_string()
            };
            if !seeds.contains(&u) {
                seeds.push(u);
            }
        }
        self.seeds = seeds;
        let mut keywords: Vec<String> = Vec::new();
        for k in &self.keywords {
            let k = k.split_whitespace().collect::<Vec<_>>().join(" ");
            if k.is_empty() {
                continue;
            }
            if k.chars().count() > MAX_KEYWORD_CHARS || k.chars().any(char::is_control) {
                return Err(bad(
                    "keyword",
                    format!("`{k}`: at most {MAX_KEYWORD_CHARS} characters, no control characters"),
                ));
            }
            if !keywords.contains(&k) {
                keywords.push(k);
            }
        }
        if keywords.len() > MAX_KEYWORDS {
            return Err(bad("keyword", format!("at most {MAX_KEYWORDS} keywords")));
        }
        match (templates, keywords.len()) {
            (0, 0) => {}
            (0, _) => {
                return Err(bad(
                    "keyword",
                    "keywords need a search template: a seed with {q} where the term goes",
                ));
            }
            (_, 0) => {
                return Err(bad("keyword", "a search template ({q}) needs keywords"));
            }
            (t, k) if t * k > MAX_SEARCH_PAGES => {
                return Err(bad(
                    "keyword",
                    format!(
                        "templates × keywords make {}, at most {MAX_SEARCH_PAGES}",
                        t * k
                    ),
                ));
            }
            _ => {}
        }
        self.keywords = keywords;
        if self.depth > MAX_DEPTH {
            return Err(bad("depth", format!("at most {MAX_DEPTH}")));
        }
        if self.every_ms < MIN_EVERY_MS {
            return Err(bad("every", "at least one minute"));
        }
        let mut hosts = Vec::new();
        for h in &self.hosts {
            let h = h.trim().to_ascii_lowercase();
            let parsed = canonical(&format!("http://{h}/"), None)
                .ok()
                .filter(|u| u.path() == "/" && u.query().is_none());
            let Some(u) = parsed else {
                return Err(bad("host", format!("`{h}` is not a host or host:port")));
            };
            let key = match u.port() {
                Some(p) => format!("{}:{p}", u.host_str().unwrap_or("")),
                None => u.host_str().unwrap_or("").to_string(),
            };
            if !hosts.contains(&key) {
                hosts.push(key);
            }
        }
        if self.scope == Scope::Host && !hosts.is_empty() {
            return Err(bad("host", "extra hosts need `--scope listed`"));
        }
        self.hosts = hosts;
        Ok(self)
    }
}

impl WatchList {
    /// Where a round starts: the seeds, each search template once per keyword (form-encoded
    /// into its `{q}`), in canonical form, each once.
    pub fn start_urls(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in &self.seeds {
            if s.contains(KEYWORD_SLOT) {
                for k in &self.keywords {
                    let q: String = url::form_urlencoded::byte_serialize(k.as_bytes()).collect();
                    if let Ok(u) = canonical(&s.replace(KEYWORD_SLOT, &q), None) {
                        let u = u.to_string();
                        if !out.contains(&u) {
                            out.push(u);
                        }
                    }
                }
            } else if !out.contains(s) {
                out.push(s.clone());
            }
        }
        out
    }
}

/// A duration as people write it: `90s`, `30m`, `6h`, `1d`, `2w`; milliseconds.
pub fn parse_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = s.split_at(split);
    let n: i64 = n.parse().ok()?;
    let ms = match unit.trim() {
        "s" => 1_000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        _ => return None,
    };
    n.checked_mul(ms).filter(|v| *v > 0)
}

/// A duration in the largest unit that divides it: the inverse of [`parse_duration`].
pub fn format_duration(ms: i64) -> String {
    for (unit, size) in [
        ("w", 7 * 86_400_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
    ] {
        if ms > 0 && ms % size == 0 {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> WatchListSpec {
        WatchListSpec {
            name: " Forum jual beli ".into(),
            seeds: vec![
                "HTTP://Forum.test/jual#top".into(),
                "http://forum.test/jual?utm_source=x".into(),
            ],
            depth: 2,
            scope: Scope::Host,
            hosts: vec![],
            every_ms: 6 * 3_600_000,
            ignore_robots: false,
            keywords: vec![],
        }
    }

    #[test]
    fn a_search_template_is_crawled_once_per_keyword() {
        let w = WatchListSpec {
            seeds: vec![
                "http://forum.test/jual".into(),
                " https://cari.test/search?q={q}&sort=new ".into(),
            ],
            keywords: vec![
                "open  bo".into(),
                "slot gacor".into(),
                "open bo".into(),
                " ".into(),
            ],
            ..spec()
        }
        .validate()
        .unwrap();
        assert_eq!(w.keywords, ["open bo", "slot gacor"], "tidied, each once");
        assert_eq!(
            w.start_urls(),
            [
                "http://forum.test/jual",
                "https://cari.test/search?q=open+bo&sort=new",
                "https://cari.test/search?q=slot+gacor&sort=new",
            ]
        );
        let field = |s: WatchListSpec| s.validate().unwrap_err().field;
        let template = vec!["https://cari.test/search?q={q}".to_string()];
        assert_eq!(
            field(WatchListSpec {
                seeds: template.clone(),
                ..spec()
            }),
            "keyword"
        );
        assert_eq!(
            field(WatchListSpec {
                keywords: vec!["open bo".into()],
                ..spec()
            }),
            "keyword"
        );
        assert_eq!(
            field(WatchListSpec {
                seeds: vec!["ftp://cari.test/{q}".into()],
                keywords: vec!["x".into()],
                ..spec()
            }),
            "seed"
        );
        assert_eq!(
            field(WatchListSpec {
                seeds: template,
                keywords: vec!["a\u{7}b".into()],
                ..spec()
            }),
            "keyword"
        );
    }

    #[test]
    fn a_watch_list_is_cleaned_up() {
        let w = spec().validate().unwrap();
        assert_eq!(w.name, "Forum jual beli");
        assert_eq!(w.seeds, ["http://forum.test/jual"]);
    }

    #[test]
    fn each_wrong_field_is_named() {
        let field = |s: WatchListSpec| s.validate().unwrap_err().field;
        assert_eq!(
            field(WatchListSpec {
                name: "  ".into(),
                ..spec()
            }),
            "name"
        );
        assert_eq!(
            field(WatchListSpec {
                seeds: vec![],
                ..spec()
            }),
            "seed"
        );
        assert_eq!(
            field(WatchListSpec {
                seeds: vec!["ftp://x.test/".into()],
                ..spec()
            }),
            "seed"
        );
        assert_eq!(
            field(WatchListSpec {
                depth: 11,
                ..spec()
            }),
            "depth"
        );
        assert_eq!(
            field(WatchListSpec {
                every_ms: 1000,
                ..spec()
            }),
            "every"
        );
        assert_eq!(
            field(WatchListSpec {
                hosts: vec!["a.test".into()],
                ..spec()
            }),
            "host"
        );
        let listed = WatchListSpec {
            scope: Scope::Listed,
            hosts: vec!["bad host/x".into()],
            ..spec()
        };
        assert_eq!(field(listed), "host");
        let ok = WatchListSpec {
            scope: Scope::Listed,
            hosts: vec![
                "CDN.forum.test".into(),
                "127.0.0.1:8080".into(),
                "cdn.forum.test".into(),
            ],
            ..spec()
        }
        .validate()
        .unwrap();
        assert_eq!(ok.hosts, ["cdn.forum.test", "127.0.0.1:8080"]);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Some(90_000));
        assert_eq!(parse_duration("30m"), Some(1_800_000));
        assert_eq!(parse_duration("6h"), Some(21_600_000));
        assert_eq!(parse_duration("1d"), Some(86_400_000));
        assert_eq!(parse_duration("2w"), Some(1_209_600_000));
        for bad in ["", "h", "5", "5y", "-1h", "0h", "99999999999999999w"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        for ms in [
            90_000,
            1_800_000,
            21_600_000,
            86_400_000,
            1_209_600_000,
            1500,
        ] {
            let s = format_duration(ms);
            if ms % 1000 == 0 {
                assert_eq!(parse_duration(&s), Some(ms));
            } else {
                assert_eq!(s, "1500ms");
            }
        }
    }
}
