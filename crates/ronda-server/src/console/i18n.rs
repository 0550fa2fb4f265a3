//! The console's languages: Indonesian (the default) and English, every text in a Fluent
//! catalogue (`locales/id.ftl`, `locales/en.ftl`, compiled into the binary).
//!
//! The language of a request is the `ronda_lang` cookie's (set by the switch on every page),
//! else the first of Indonesian and English in `Accept-Language` by weight, else Indonesian.
//! A message missing from a catalogue shows its key (tests keep the catalogues complete and
//! equal, and every key the console's code names present in both).

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// The cookie that keeps a chosen language.
pub const LANG_COOKIE: &str = "ronda_lang";

const ID_FTL: &str = include_str!("../../locales/id.ftl");
const EN_FTL: &str = include_str!("../../locales/en.ftl");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Id,
    En,
}

struct Catalogues {
    id: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

fn bundle(tag: &str, source: &str) -> Result<FluentBundle<FluentResource>, String> {
    let resource = FluentResource::try_new(source.to_string())
        .map_err(|(_, errors)| format!("{tag}.ftl does not parse: {errors:?}"))?;
    let lang: unic_langid::LanguageIdentifier = tag.parse().map_err(|e| format!("{tag}: {e}"))?;
    let mut b = FluentBundle::new_concurrent(vec![lang]);
    // The text goes into HTML, escaped by the templates: no bidi isolation marks.
    b.set_use_isolating(false);
    b.add_resource(resource)
        .map_err(|errors| format!("{tag}.ftl repeats messages: {errors:?}"))?;
    Ok(b)
}

static CATALOGUES: LazyLock<Result<Catalogues, String>> = LazyLock::new(|| {
    Ok(Catalogues {
        id: bundle("id", ID_FTL)?,
        en: bundle("en", EN_FTL)?,
    })
});

/// Whether the catalogues load (checked at start: a broken catalogue fails `ronda serve`).
pub fn check_catalogues() -> Result<(), String> {
    CATALOGUES.as_ref().map(|_| ()).map_err(Clone::clone)
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Id, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    /// The language's own name, for the switch.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Id => "Bahasa Indonesia",
            Lang::En => "English",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "id" => Some(Lang::Id),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language of a request: the cookie's, else `Accept-Language`'s, else Indonesian.
    pub fn negotiate(cookie: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(l) = cookie.and_then(Lang::parse) {
            return l;
        }
        accept_language.map_or(Lang::Id, from_accept_language)
    }

    /// Whether the catalogue has the message `key` (for labels with a fallback).
    pub fn has(self, key: &str) -> bool {
        self.bundle().is_some_and(|b| b.has_message(key))
    }

    /// This language's catalogue (none when the catalogues did not load).
    fn bundle(self) -> Option<&'static FluentBundle<FluentResource>> {
        let c = CATALOGUES.as_ref().ok()?;
        Some(match self {
            Lang::Id => &c.id,
            Lang::En => &c.en,
        })
    }

    /// The message `key`.
    pub fn t(self, key: &str) -> String {
        self.format(key, None)
    }

    /// The message `key` with its variables.
    pub fn tf(self, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let mut a = FluentArgs::new();
        for (k, v) in args {
            a.set(*k, v.clone());
        }
        self.format(key, Some(&a))
    }

    fn format(self, key: &str, args: Option<&FluentArgs<'_>>) -> String {
        let Some(b) = self.bundle() else {
            return key.to_string();
        };
        let Some(pattern) = b.get_message(key).and_then(|m| m.value()) else {
            tracing::warn!(key, lang = self.code(), "a console message is missing");
            return key.to_string();
        };
        let mut errors = Vec::new();
        let text = b.format_pattern(pattern, args, &mut errors).into_owned();
        if !errors.is_empty() {
            tracing::warn!(key, ?errors, "a console message did not format");
        }
        text
    }
}

/// The first of our languages in an `Accept-Language` header, by weight (ties: the order
/// given); Indonesian when it names neither.
fn from_accept_language(header: &str) -> Lang {
    let mut best: Option<(f32, Lang)> = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let primary = tag.split('-').next().unwrap_or("");
        let Some(lang) = Lang::parse(primary) else {
            continue;
        };
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map_or(Lang::Id, |(_, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(source: &str) -> std::collections::BTreeSet<String> {
        source
            .lines()
            .filter(|l| !l.starts_with([' ', '#', '\t']) && l.contains(" ="))
            .filter_map(|l| l.split(" =").next())
            .map(|k| k.trim().to_string())
            .collect()
    }

    #[test]
    fn the_catalogues_load_and_hold_the_same_messages() {
        check_catalogues().unwrap();
        let (id, en) = (keys(ID_FTL), keys(EN_FTL));
        assert!(id.len() > 50, "{}", id.len());
        let only_id: Vec<_> = id.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&id).collect();
        assert!(
            only_id.is_empty() && only_en.is_empty(),
            "id only: {only_id:?}; en only: {only_en:?}"
        );
    }

    #[test]
    fn every_key_the_console_names_is_in_the_catalogues() {
        let id = keys(ID_FTL);
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/console");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for pat in [".t(\"", ".tf(\""] {
                for (at, _) in text.match_indices(pat) {
                    let rest = &text[at + pat.len()..];
                    let key = &rest[..rest.find('"').unwrap()];
                    if !id.contains(key) {
                        missing.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "{missing:?}");
    }

    #[test]
    fn the_labels_of_the_sign_in_form() {
        assert_eq!(Lang::Id.t("login-username"), "Nama pengguna");
        assert_eq!(Lang::Id.t("login-password"), "Kata sandi");
        assert_eq!(Lang::Id.t("login-submit"), "Masuk");
        assert_eq!(Lang::En.t("login-username"), "Username");
        assert_eq!(Lang::En.t("login-password"), "Password");
        assert_eq!(Lang::En.t("login-submit"), "Sign in");
        assert_eq!(
            Lang::En.tf("queue-count", &[("n", 3.into())]),
            "3 cases waiting"
        );
        assert_eq!(
            Lang::En.tf("queue-count", &[("n", 1.into())]),
            "1 case waiting"
        );
    }

    #[test]
    fn the_language_comes_from_the_cookie_then_the_browser() {
        assert_eq!(Lang::negotiate(None, None), Lang::Id);
        assert_eq!(Lang::negotiate(None, Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(
            Lang::negotiate(None, Some("fr, en;q=0.5, id;q=0.8")),
            Lang::Id
        );
        assert_eq!(Lang::negotiate(None, Some("de, fr")), Lang::Id);
        assert_eq!(Lang::negotiate(None, Some("en;q=0")), Lang::Id);
        assert_eq!(Lang::negotiate(Some("id"), Some("en")), Lang::Id);
        assert_eq!(Lang::negotiate(Some("xx"), Some("en")), Lang::En);
    }
}
