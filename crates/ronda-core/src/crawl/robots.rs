//! robots.txt as RFC 9309 (the Robots Exclusion Protocol) reads it, plus the `Crawl-delay` and
//! `Sitemap` lines that sites commonly add.
//!
//! Rules of the RFC that this parser follows:
//! * Groups start with one or more `user-agent` lines; the rules after them belong to every
//!   agent named. The crawler's product token (`ronda-patrol` for `Ronda-Patrol/0.1 (+…)`) is
//!   matched case-insensitively; every group naming it is merged; when none does, the `*`
//!   groups apply; when there is no `*` group either, everything is allowed (§2.2.1).
//! * `allow` and `disallow` values are path patterns with `*` (any run of characters) and a
//!   final `$` (end of the path); the longest matching pattern wins, and on a tie `allow` wins
//!   (§2.2.2). An empty `disallow` is no rule. `/robots.txt` itself is always allowed (§2.2.2).
//! * Field names are case-insensitive, `#` starts a comment, lines without a colon and unknown
//!   fields are ignored, and only the first 500 KiB are read (§2.5).
//! * Fetching it (done by the caller): a 4xx answer means no robots.txt, so everything is
//!   allowed ([`Robots::allow_all`]); a 5xx or an unreachable host means nothing is
//!   ([`Robots::disallow_all`]) until it can be read (§2.3.1.3–4).

/// What the RFC requires a parser to read at least.
pub const MAX_BYTES: usize = 500 * 1024;

#[derive(Debug, Clone, PartialEq)]
struct Rule {
    allow: bool,
    pattern: String,
}

/// The rules of one robots.txt for one crawler.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Robots {
    rules: Vec<Rule>,
    /// Nothing at all is allowed (the file could not be read).
    deny_all: bool,
    /// `Crawl-delay` of the applicable group, in seconds.
    pub crawl_delay: Option<f64>,
    /// `Sitemap` URLs (they apply to every agent).
    pub sitemaps: Vec<String>,
}

/// The product token of a `User-Agent`: `Ronda-Patrol/0.1 (+https://…)` → `ronda-patrol`.
pub fn product_token(user_agent: &str) -> String {
    user_agent
        .split(['/', ' '])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

impl Robots {
    /// No robots.txt (a 4xx answer): everything is allowed.
    pub fn allow_all() -> Robots {
        Robots::default()
    }

    /// robots.txt could not be read (5xx, unreachable): nothing is allowed.
    pub fn disallow_all() -> Robots {
        Robots {
            deny_all: true,
            ..Robots::default()
        }
    }

    /// Parses `body` for the crawler whose product token is `token` (see [`product_token`]).
    pub fn parse(body: &[u8], token: &str) -> Robots {
        let body = &body[..body.len().min(MAX_BYTES)];
        let text = String::from_utf8_lossy(body);
        let token = token.to_ascii_lowercase();
        // (agents of the group, its rules, its crawl-delay)
        let mut groups: Vec<(Vec<String>, Vec<Rule>, Option<f64>)> = Vec::new();
        let mut sitemaps = Vec::new();
        let mut in_agents = false;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some((field, value)) = line.split_once(':') else {
                continue;
            };
            let field = field.trim().to_ascii_lowercase();
            let value = value.trim();
            match field.as_str() {
                "user-agent" => {
                    if !in_agents {
                        groups.push((Vec::new(), Vec::new(), None));
                        in_agents = true;
                    }
                    if let Some(g) = groups.last_mut() {
                        g.0.push(value.to_ascii_lowercase());
                    }
                }
                "allow" | "disallow" => {
                    in_agents = false;
                    if let Some(g) = groups.last_mut()
                        && !(field == "disallow" && value.is_empty())
                    {
                        g.1.push(Rule {
                            allow: field == "allow",
                            pattern: value.to_string(),
                        });
                    }
                }
                "crawl-delay" => {
                    in_agents = false;
                    if let (Some(g), Ok(d)) = (groups.last_mut(), value.parse::<f64>())
                        && d.is_finite()
                        && d >= 0.0
                    {
                        g.2 = Some(d);
                    }
                }
                "sitemap" => sitemaps.push(value.to_string()),
                _ => {}
            }
        }
        let named: Vec<_> = groups.iter().filter(|g| g.0.contains(&token)).collect();
        let chosen = if named.is_empty() {
            groups
                .iter()
                .filter(|g| g.0.iter().any(|a| a == "*"))
                .collect()
        } else {
            named
        };
        Robots {
            rules: chosen.iter().flat_map(|g| g.1.iter().cloned()).collect(),
            deny_all: false,
            crawl_delay: chosen.iter().find_map(|g| g.2),
            sitemaps,
        }
    }

    /// Whether `path` (the URL's path and query, e.g. `/a/b?x=1`) may be fetched.
    pub fn allowed(&self, path: &str) -> bool {
        if path == "/robots.txt" {
            return true;
        }
        if self.deny_all {
            return false;
        }
        let mut best: Option<(usize, bool)> = None;
        for r in &self.rules {
            if matches(&r.pattern, path) {
                let len = r.pattern.len();
                best = match best {
                    Some((l, a)) if l > len || (l == len && a) => Some((l, a)),
                    _ => Some((len, r.allow)),
                };
            }
        }
        best.is_none_or(|(_, allow)| allow)
    }
}

/// Whether robots pattern `pat` (`*` wildcards, optional final `$`) matches the start of `path`.
fn matches(pat: &str, path: &str) -> bool {
    let (pat, anchored) = match pat.strip_suffix('$') {
        Some(p) => (p, true),
        None => (pat, false),
    };
    let parts: Vec<&str> = pat.split('*').collect();
    let mut pos = 0usize;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            if !path.starts_with(part) {
                return false;
            }
            pos = part.len();
            continue;
        }
        let last = i == parts.len() - 1;
        if last && anchored {
            // The final piece must end the path, after what came before.
            return path.len() >= pos + part.len() && path.ends_with(part);
        }
        match path[pos..].find(part) {
            Some(k) => pos += k + part.len(),
            None => return false,
        }
    }
    !anchored || pos == path.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# comment
User-agent: *
Disallow: /private/
Allow: /private/open
Crawl-delay: 2

User-Agent: Ronda-Patrol
User-agent: other-bot
Disallow: /no-ronda
Disallow: /*.pdf$
Allow: /no-ronda/but-this
Crawl-delay: 0.5

Sitemap: http://site.test/sitemap.xml
";

    #[test]
    fn the_group_naming_the_crawler_applies_else_star() {
        let r = Robots::parse(
            FILE.as_bytes(),
            &product_token("Ronda-Patrol/0.1 (+https://x)"),
        );
        assert!(!r.allowed("/no-ronda/page"));
        assert!(r.allowed("/no-ronda/but-this/page"));
        assert!(r.allowed("/private/x"), "the * group does not apply");
        assert!(!r.allowed("/doc/a.pdf"));
        assert!(r.allowed("/doc/a.pdf?x=1"), "$ anchors the end");
        assert_eq!(r.crawl_delay, Some(0.5));
        assert_eq!(r.sitemaps, ["http://site.test/sitemap.xml"]);
        let star = Robots::parse(FILE.as_bytes(), "somebot");
        assert!(!star.allowed("/private/x"));
        assert!(star.allowed("/private/open/1"), "the longer allow wins");
        assert!(star.allowed("/no-ronda"));
        assert_eq!(star.crawl_delay, Some(2.0));
    }

    #[test]
    fn longest_match_wins_and_allow_wins_ties() {
        let r = Robots::parse(
            b"User-agent: *\nDisallow: /a\nAllow: /a\nDisallow: /b/*/c\nAllow: /b/x",
            "r",
        );
        assert!(r.allowed("/a/1"), "a tie goes to allow");
        assert!(!r.allowed("/b/y/c"));
        assert!(!r.allowed("/b/x/c"), "the longer disallow (6 > 4) wins");
        assert!(r.allowed("/b/x/d"));
    }

    #[test]
    fn empty_missing_and_unreadable_files() {
        let empty = Robots::parse(b"User-agent: *\nDisallow:\n", "r");
        assert!(empty.allowed("/anything"));
        assert!(Robots::parse(b"", "r").allowed("/x"));
        assert!(Robots::parse(b"User-agent: googlebot\nDisallow: /\n", "r").allowed("/x"));
        assert!(Robots::allow_all().allowed("/x"));
        let deny = Robots::disallow_all();
        assert!(!deny.allowed("/x"));
        assert!(deny.allowed("/robots.txt"));
        let all = Robots::parse(b"User-agent: *\nDisallow: /\n", "r");
        assert!(!all.allowed("/"));
        assert!(all.allowed("/robots.txt"));
    }

    #[test]
    fn wildcards() {
        assert!(matches("/*", "/x"));
        assert!(matches("/a*b", "/a-and-b-more"));
        assert!(!matches("/a*b$", "/a-and-b-more"));
        assert!(matches("/a*b$", "/a-and-b"));
        assert!(matches("*.php", "/index.php?x"));
        assert!(matches("/$", "/"));
        assert!(!matches("/$", "/a"));
        assert!(matches("/a**b", "/ab"));
    }

    #[test]
    fn garbage_does_not_panic() {
        let r = Robots::parse(b"\xff\xfe\x00garbage\nDisallow /x\n:::\nuser-agent:\n", "r");
        assert!(r.allowed("/x"));
    }
}
