//! URL normalisation for the frontier's seen-set: two spellings of one page become one key.
//!
//! [`canonical`] applies, in order (each step is idempotent and none undoes another, so the
//! whole is idempotent — property-tested):
//! 1. parse (relative to a base for links) with the WHATWG URL parser (`url` crate): scheme and
//!    host lower-cased, IDNA to punycode, default ports (`:80` for http, `:443` for https)
//!    dropped, dot segments resolved, percent-encoding of the path normalised;
//! 2. only `http` and `https` with a host are crawlable; credentials are refused;
//! 3. the fragment is dropped (`#comments` is the same page);
//! 4. tracking parameters are dropped from the query (`utm_*`, `fbclid`, `gclid`, `dclid`,
//!    `msclkid`, `mc_cid`, `mc_eid`, `igshid`, `_ga`, `_gl`, `yclid`, `ref_src`), the others keep
//!    their order (order can matter to a site; the same link is always written the same way by
//!    the page that holds it), and an empty query is removed (`/a?` is `/a`);
//! 5. an empty path is `/`.

use url::Url;

/// Why a link is not crawlable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("not a URL: {0}")]
    Invalid(String),
    #[error("only http and https pages are crawled")]
    Scheme,
    #[error("the URL has no host")]
    NoHost,
    #[error("URLs with a user name or password are not crawled")]
    Credentials,
}

/// Query parameters that only track where a visitor came from.
fn is_tracking(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("utm_")
        || matches!(
            n.as_str(),
            "fbclid"
                | "gclid"
                | "dclid"
                | "msclkid"
                | "mc_cid"
                | "mc_eid"
                | "igshid"
                | "_ga"
                | "_gl"
                | "yclid"
                | "ref_src"
        )
}

/// The canonical form of `link`, resolved against `base` when it is relative.
pub fn canonical(link: &str, base: Option<&Url>) -> Result<Url, UrlError> {
    let link = link.trim();
    let parsed = match base {
        Some(b) => b.join(link),
        None => Url::parse(link),
    };
    let mut u = parsed.map_err(|e| UrlError::Invalid(e.to_string()))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(UrlError::Scheme);
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(UrlError::NoHost);
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(UrlError::Credentials);
    }
    u.set_fragment(None);
    if let Some(q) = u.query() {
        let kept: Vec<&str> = q
            .split('&')
            .filter(|p| !p.is_empty())
            .filter(|p| !is_tracking(p.split('=').next().unwrap_or("")))
            .collect();
        if kept.is_empty() {
            u.set_query(None);
        } else {
            let joined = kept.join("&");
            u.set_query(Some(&joined));
        }
    }
    Ok(u)
}

/// The politeness key of a URL: scheme, host and port (what one "site" is to the crawler).
pub fn host_key(u: &Url) -> String {
    match u.port_or_known_default() {
        Some(p) => format!("{}://{}:{p}", u.scheme(), u.host_str().unwrap_or("")),
        None => format!("{}://{}", u.scheme(), u.host_str().unwrap_or("")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn c(s: &str) -> String {
        canonical(s, None)
            .map(|u| u.to_string())
            .unwrap_or_else(|e| format!("error: {e}"))
    }

    #[test]
    fn spellings_of_one_page_meet() {
        let want = "http://example.org/a/b?x=1&y=2";
        for s in [
            "http://example.org/a/b?x=1&y=2",
            "HTTP://Example.ORG:80/a/b?x=1&y=2",
            "http://example.org/a/./c/../b?x=1&y=2#top",
            "http://example.org/a/b?utm_source=wa&x=1&fbclid=abc&y=2",
            "http://example.org/a/b?x=1&&y=2&",
            "  http://example.org/a/b?x=1&y=2  ",
        ] {
            assert_eq!(c(s), want, "{s}");
        }
        assert_eq!(c("https://example.org:443"), "https://example.org/");
        assert_eq!(c("https://example.org:8443/"), "https://example.org:8443/");
        assert_eq!(
            c("http://example.org/a?utm_medium=x"),
            "http://example.org/a"
        );
        assert_eq!(c("http://example.org/a?"), "http://example.org/a");
        assert_eq!(c("http://bücher.example/"), "http://xn--bcher-kva.example/");
        // Order and case of the other parameters are the site's business.
        assert_eq!(c("http://e.org/?b=1&a=2"), "http://e.org/?b=1&a=2");
        assert_eq!(c("http://e.org/?Q=A"), "http://e.org/?Q=A");
    }

    #[test]
    fn links_resolve_against_their_page() {
        let base = canonical("http://site.test/forum/thread?id=7", None).unwrap();
        let r = |l: &str| canonical(l, Some(&base)).map(|u| u.to_string());
        assert_eq!(r("../profile/ayu").unwrap(), "http://site.test/profile/ayu");
        assert_eq!(r("?id=8#p2").unwrap(), "http://site.test/forum/thread?id=8");
        assert_eq!(r("//other.test/x").unwrap(), "http://other.test/x");
        assert_eq!(r("mailto:a@b.c"), Err(UrlError::Scheme));
        assert_eq!(r("javascript:void(0)"), Err(UrlError::Scheme));
    }

    #[test]
    fn what_is_not_crawled() {
        assert_eq!(canonical("ftp://e.org/", None), Err(UrlError::Scheme));
        assert_eq!(
            canonical("http://u:p@e.org/", None),
            Err(UrlError::Credentials)
        );
        assert!(matches!(
            canonical("not a url", None),
            Err(UrlError::Invalid(_))
        ));
        assert!(matches!(
            canonical("file:///etc/passwd", None),
            Err(UrlError::Scheme)
        ));
    }

    #[test]
    fn host_keys() {
        let u = canonical("http://Site.test/a", None).unwrap();
        assert_eq!(host_key(&u), "http://site.test:80");
        let v = canonical("http://127.0.0.1:8080/x", None).unwrap();
        assert_eq!(host_key(&v), "http://127.0.0.1:8080");
    }

    proptest! {
        #[test]
        fn canonical_is_idempotent(
            host in "[a-zA-Z]{1,8}\\.(org|test|id)",
            path in "(/[a-zA-Z0-9._~%-]{0,6}){0,4}",
            query in proptest::collection::vec("(utm_[a-z]{1,4}|[a-z]{1,3}|fbclid)=[a-z0-9]{0,3}", 0..4),
            frag in "(#[a-z]{0,4})?",
            port in proptest::option::of(prop_oneof![Just(80u16), Just(443u16), 1024u16..65535]),
        ) {
            let p = port.map(|p| format!(":{p}")).unwrap_or_default();
            let q = if query.is_empty() { String::new() } else { format!("?{}", query.join("&")) };
            let raw = format!("http://{host}{p}{path}{q}{frag}");
            if let Ok(once) = canonical(&raw, None) {
                let twice = canonical(once.as_str(), None).unwrap();
                prop_assert_eq!(once.as_str(), twice.as_str());
                prop_assert!(once.fragment().is_none());
                prop_assert!(!once.as_str().contains("utm_") && !once.as_str().contains("fbclid"));
            }
        }
    }
}
