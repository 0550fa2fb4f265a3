//! What a report is about, normalised so that reports about the same thing meet in one case.
//!
//! An account is a platform plus a handle compared case-insensitively (`@Rina22` on MiChat is
//! `rina22` on MiChat) and by what it looks like: [`handle_key`] folds look-alikes (Cyrillic
//! `і`, full-width or mathematical letters, invisible characters, combining marks) into one key,
//! so an account that only *displays* as `rina22` meets `rina22`'s case. The handle itself is
//! kept as given (trimmed, lower-cased) for display; each report keeps its raw target. A URL is compared after normalisation: scheme and host lower-cased,
//! default port, fragment, trailing slash and tracking parameters dropped, query sorted.

use url::Url;

/// Longest handle accepted, in characters.
pub const MAX_HANDLE_CHARS: usize = 128;
/// Longest URL accepted, in bytes.
pub const MAX_URL_BYTES: usize = 2048;

/// A normalised target: the identity of a case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// An account on a platform; `handle` is normalised (lower case, no leading `@`).
    Account { handle: String },
    /// A normalised absolute http(s) URL.
    Url { url: String },
}

/// Why a target was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("handle is empty")]
    EmptyHandle,
    #[error("handle is longer than {MAX_HANDLE_CHARS} characters")]
    HandleTooLong,
    #[error("handle contains whitespace or control characters")]
    HandleBadChars,
    #[error("URL is longer than {MAX_URL_BYTES} bytes")]
    UrlTooLong,
    #[error("invalid URL: {0}")]
    UrlInvalid(String),
    #[error("URL scheme must be http or https")]
    UrlScheme,
    #[error("URL has no host")]
    UrlNoHost,
}

impl Target {
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Account { .. } => "account",
            Target::Url { .. } => "url",
        }
    }

    /// The normalised value: the handle or the URL.
    pub fn value(&self) -> &str {
        match self {
            Target::Account { handle } => handle,
            Target::Url { url } => url,
        }
    }

    /// The key under which at most one open case exists. Accounts are scoped by platform; URLs
    /// are global (the host already says where the content lives).
    pub fn case_key(&self, platform: &str) -> String {
        match self {
            Target::Account { handle } => format!("account:{platform}:{}", handle_key(handle)),
            Target::Url { url } => format!("url:{url}"),
        }
    }
}

/// Normalises an account handle: trims, drops one leading `@`, lower-cases.
pub fn normalize_handle(raw: &str) -> Result<String, TargetError> {
    let trimmed = raw.trim();
    let h = trimmed.strip_prefix('@').unwrap_or(trimmed);
    if h.is_empty() {
        return Err(TargetError::EmptyHandle);
    }
    if h.chars().count() > MAX_HANDLE_CHARS {
        return Err(TargetError::HandleTooLong);
    }
    if h.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(TargetError::HandleBadChars);
    }
    Ok(h.to_lowercase())
}

/// The comparison key of a handle: two handles that display alike have one key.
///
/// 1. NFKC: full-width `ｒｉｎａ`, mathematical bold `𝐫𝐢𝐧𝐚` and ligatures become plain letters;
///    NFD and NFC spellings become one.
/// 2. Lower case (after NFKC, so the compatibility forms fold too), and a leading `@` (also a
///    full-width one) dropped.
/// 3. Combining marks removed (NFD, then every mark): `r̈ina` is `rina`. Platform handles are
///    ASCII in practice; a mark on one is a disguise far more often than a name.
/// 4. The Unicode TS #39 confusables skeleton (`unicode-security`): default-ignorable
///    characters (zero-width space and joiner, soft hyphen, BOM, bidi controls such as
///    U+202E) removed and every character mapped to its prototype (Cyrillic `і` → `i`,
///    Greek `ο` → `o`; also `0` → `O`, `1` → `l`, and `m` and `rn` share one, as the standard
///    says: what a reader cannot tell apart is one account to the team).
///
/// The key is only compared, never shown or parsed. The unit and property tests build each
/// disguise of a handle and check it has the handle's key, and that different handles do not.
pub fn handle_key(handle: &str) -> String {
    // Printable ASCII (nearly every handle): NFKC, the marks step and NFD change nothing, so
    // the key is the lower-cased characters' skeletons side by side, from a table built once
    // by the general path below (a property test checks both paths agree).
    if handle.bytes().all(|b| b.is_ascii_graphic()) {
        let table = ascii_skeletons();
        let mut key = String::with_capacity(handle.len());
        for b in handle.trim_start_matches('@').bytes() {
            key.push_str(&table[usize::from(b)]);
        }
        return key;
    }
    general_handle_key(handle)
}

/// The skeleton of each lower-cased printable ASCII character, by its byte.
fn ascii_skeletons() -> &'static [String] {
    static TABLE: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (0_u8..128)
            .map(|b| {
                let c = char::from(b.to_ascii_lowercase());
                unicode_security::skeleton(&c.to_string()).collect()
            })
            .collect()
    })
}

fn general_handle_key(handle: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    let compat: String = handle.nfkc().collect::<String>().to_lowercase();
    let compat = compat.trim_start_matches('@');
    let bare: String = compat.nfd().filter(|c| !is_combining_mark(*c)).collect();
    unicode_security::skeleton(&bare).collect()
}

/// Query parameters that only track a click and never change what a URL shows.
fn is_tracking_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("utm_")
        || matches!(
            n.as_str(),
            "fbclid" | "gclid" | "igshid" | "si" | "mibextid" | "ref_src" | "_ga"
        )
}

/// Normalises an absolute http(s) URL for deduplication.
pub fn normalize_url(raw: &str) -> Result<String, TargetError> {
    let raw = raw.trim();
    if raw.len() > MAX_URL_BYTES {
        return Err(TargetError::UrlTooLong);
    }
    let mut url = Url::parse(raw).map_err(|e| TargetError::UrlInvalid(e.to_string()))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(TargetError::UrlScheme);
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(TargetError::UrlNoHost);
    }
    url.set_fragment(None);
    // The url crate already lower-cases the host and drops a default port.
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !is_tracking_param(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    if pairs.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    let path = url.path().to_string();
    if path.len() > 1 && path.ends_with('/') {
        url.set_path(path.trim_end_matches('/'));
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_compare_case_insensitively() {
        assert_eq!(normalize_handle(" @Rina22 ").unwrap(), "rina22");
        assert_eq!(normalize_handle("RINA22").unwrap(), "rina22");
        assert_eq!(normalize_handle("@"), Err(TargetError::EmptyHandle));
        assert_eq!(normalize_handle("a b"), Err(TargetError::HandleBadChars));
        assert_eq!(
            normalize_handle(&"x".repeat(129)),
            Err(TargetError::HandleTooLong)
        );
    }

    #[test]
    fn look_alike_handles_share_one_key() {
        let key = handle_key("rina22");
        let disguises = [
            "r\u{456}na22",                                           // Cyrillic і
            "\u{ff52}\u{ff49}\u{ff4e}\u{ff41}\u{ff12}\u{ff12}",       // full-width
            "ri\u{200b}na22",                                         // zero-width space
            "ri\u{200d}na22",                                         // zero-width joiner
            "ri\u{ad}na22",                                           // soft hyphen
            "\u{202e}rina22",                                         // right-to-left override
            "\u{feff}rina22",                                         // byte order mark
            "ri\u{301}na22",                                          // combining acute (NFD of í)
            "\u{1d42b}\u{1d422}\u{1d427}\u{1d41a}\u{1d7d0}\u{1d7d0}", // mathematical bold
            "r\u{ed}na22",                                            // NFC í
            "RINA22",
            "@rina22",
            "\u{ff20}rina22", // full-width @
        ];
        for d in disguises {
            assert_eq!(handle_key(d), key, "{d:?}");
        }
        // Different handles stay different.
        for other in ["rina23", "rina2", "rinaa22", "nina22"] {
            assert_ne!(handle_key(other), key, "{other}");
        }
        let t = Target::Account {
            handle: normalize_handle("r\u{456}na22").unwrap(),
        };
        assert_eq!(t.value(), "r\u{456}na22", "the handle is kept for display");
        assert_eq!(t.case_key("michat"), format!("account:michat:{key}"));
    }

    proptest::proptest! {
        #[test]
        fn invisible_characters_never_change_the_key(h in "[a-z0-9_]{1,12}", at in 0usize..12, z in 0usize..6) {
            let invisible = ['\u{200b}', '\u{200c}', '\u{200d}', '\u{ad}', '\u{feff}', '\u{202e}'][z];
            let mut chars: Vec<char> = h.chars().collect();
            chars.insert(at.min(chars.len()), invisible);
            let disguised: String = chars.into_iter().collect();
            proptest::prop_assert_eq!(handle_key(&disguised), handle_key(&h));
        }

        #[test]
        fn the_ascii_table_agrees_with_the_general_path(h in "[!-~]{1,16}") {
            proptest::prop_assert_eq!(handle_key(&h), general_handle_key(&h));
        }

        #[test]
        fn full_width_forms_never_change_the_key(h in "[a-z0-9]{1,12}") {
            let wide: String = h.chars().map(|c| char::from_u32(c as u32 - 0x21 + 0xff01).unwrap_or(c)).collect();
            proptest::prop_assert_eq!(handle_key(&wide), handle_key(&h));
        }
    }

    #[test]
    fn urls_normalise_for_dedup() {
        let cases = [
            (
                "HTTPS://Example.COM:443/a/b/?utm_source=x&z=1&a=2#frag",
                "https://example.com/a/b?a=2&z=1",
            ),
            ("http://example.com", "http://example.com/"),
            (
                "https://t.me/SomeChannel/?fbclid=abc",
                "https://t.me/SomeChannel",
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize_url(raw).unwrap(), want, "{raw}");
        }
    }

    #[test]
    fn bad_urls_are_refused() {
        assert_eq!(normalize_url("ftp://x.org/f"), Err(TargetError::UrlScheme));
        assert!(matches!(
            normalize_url("not a url"),
            Err(TargetError::UrlInvalid(_))
        ));
        assert_eq!(
            normalize_url(&format!("https://x.org/{}", "a".repeat(3000))),
            Err(TargetError::UrlTooLong)
        );
    }

    #[test]
    fn case_keys_scope_accounts_by_platform() {
        let t = Target::Account {
            handle: "rina22".into(),
        };
        assert_eq!(
            t.case_key("michat"),
            format!("account:michat:{}", handle_key("rina22"))
        );
        let u = Target::Url {
            url: "https://x.org/p".into(),
        };
        assert_eq!(u.case_key("michat"), "url:https://x.org/p");
    }

    proptest::proptest! {
        #[test]
        fn url_normalisation_is_idempotent(path in "[a-zA-Z0-9/_-]{0,30}", q in "[a-z]{1,5}=[a-z0-9]{0,5}") {
            let raw = format!("https://Example.org/{path}?{q}");
            if let Ok(once) = normalize_url(&raw) {
                proptest::prop_assert_eq!(normalize_url(&once).unwrap(), once);
            }
        }
    }
}
