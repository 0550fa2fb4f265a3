//! The shape of a submitted report (shared by the HTTP API and `ronda import reports`) and its
//! validation into a [`ValidReport`] that storage can accept without further checks.

use serde::{Deserialize, Serialize};

use crate::model::{Category, Priority, Source};
use crate::target::{Target, TargetError, normalize_handle, normalize_url};

pub const MAX_TEXT_CHARS: usize = 20_000;
pub const MAX_DESCRIPTION_CHARS: usize = 5_000;
pub const MAX_SHORT_CHARS: usize = 256;
pub const MAX_MEDIA: usize = 32;
pub const MAX_PLATFORM_CHARS: usize = 64;
pub const MAX_BIO_CHARS: usize = 2_000;

/// A report as submitted. Unknown fields are refused so that a typo is an error, not a silent
/// loss of what the reporter meant to send.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    #[serde(default)]
    pub platform: Option<String>,
    #[serde(default)]
    pub target: Option<TargetInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<Vec<MediaInput>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter: Option<ReporterInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// What the reported account shows (only with an `account` target); used to link accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileInput>,
}

/// The public profile of a reported account.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bio: Option<String>,
    /// PDQ hash of the profile photo, 64 hexadecimal digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_pdq: Option<String>,
}

/// A validated profile: trimmed, within limits, the avatar hash lower-case hex.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub avatar_pdq: Option<String>,
}

/// `{"account": "rina22"}` or `{"url": "https://…"}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdq: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReporterInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

/// A media reference with at least one of its hashes, both lower-case hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Media {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pdq: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// What the detection engine concluded about a report's text, as intake stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// `violation`, `review` or `clear`.
    pub verdict: &'static str,
    /// The top non-clear category when the verdict is not `clear`.
    pub category: Option<Category>,
    /// The score of that category (0..1).
    pub score: f64,
    /// The priority the detection policy asks for.
    pub priority: Priority,
    /// Per-category scores, rule ids and explanation, as JSON for the case.
    pub details_json: String,
    /// What is stored on the report itself: verdict, category, score, priority beside the
    /// details (JSON). Built where detection runs, outside the write transaction.
    pub report_json: String,
    /// Identifiers found: (kind, canonical value), e.g. ("phone", "+6281234567890").
    pub identifiers: Vec<(&'static str, String)>,
    /// A stated age under 18, or a mention of a minor.
    pub minor: bool,
    /// A sexual or solicitation signal (see `ronda_core::triage::TextSignals`).
    pub sexual: bool,
}

impl Detection {
    /// What triage reads of it.
    pub fn signals(&self) -> crate::triage::TextSignals {
        crate::triage::TextSignals {
            priority: self.priority,
            category: self.category,
            minor: self.minor,
            sexual: self.sexual,
        }
    }
}

/// A report that passed validation: every field is within limits and normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidReport {
    pub source: Source,
    pub platform: String,
    pub target: Target,
    /// The target as the reporter wrote it (shown to analysts).
    pub target_raw: String,
    pub text: Option<String>,
    pub category: Option<Category>,
    pub description: Option<String>,
    pub media: Vec<Media>,
    pub reporter_name: Option<String>,
    pub reporter_contact: Option<String>,
    pub external_id: Option<String>,
    /// What the account shows, when the target is an account and the reporter sent it.
    pub profile: Option<Profile>,
    /// Filled at intake by the detection engine (never by the submitter).
    pub detection: Option<Detection>,
    /// Filled at intake from the linking engine (never by the submitter).
    pub link: Option<LinkInput>,
    /// What a crawler fetched, attached by the patrol (never by a submitter).
    pub capture: Option<Capture>,
}

/// The evidence of a finding: the HTTP exchange the patrol read, as a WARC file
/// ([`crate::warc`]), kept with the report's content snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// The WARC file.
    pub warc: Vec<u8>,
    /// SHA-256 of `warc`, lower-case hex.
    pub sha256: String,
    /// The URL that answered.
    pub url: String,
    /// When the answer was read.
    pub fetched_at: crate::clock::Millis,
    /// The watch list whose crawl found it (none for a re-check's).
    pub watchlist_id: Option<i64>,
}

impl Capture {
    /// The capture of `warc` (its SHA-256 computed here).
    pub fn new(warc: Vec<u8>, url: String, fetched_at: crate::clock::Millis) -> Capture {
        let sha256 = crate::evidence::sha256_hex(&warc);
        Capture {
            warc,
            sha256,
            url,
            fetched_at,
            watchlist_id: None,
        }
    }
}

/// What the linking engine (`ronda-link`) read from a report about an account, as intake
/// stores and indexes it. Plain data: computed on the request thread, merged into the
/// account's features inside the write transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkInput {
    /// Strong identifiers: (signal, canonical value), e.g. ("phone", "+6281234567890").
    pub identifiers: Vec<(&'static str, String)>,
    /// Text shingle hashes of the report's text and the profile's bio, sorted, de-duplicated.
    pub shingles: Vec<u64>,
    /// MinHash signature of `shingles`.
    pub signature: Vec<u32>,
    /// The display name's key (letters only), empty without a display name.
    pub name_key: String,
}

/// A validation failure pointing at one field; becomes a 4xx with this code and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub code: &'static str,
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(code: &'static str, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code,
            field: field.into(),
            message: message.into(),
        }
    }

    fn required(field: &str) -> Self {
        Self::new("required", field, format!("`{field}` is required"))
    }

    fn too_long(field: &str, max: usize) -> Self {
        Self::new(
            "too_long",
            field,
            format!("`{field}` is longer than {max} characters"),
        )
    }
}

fn check_len(value: &Option<String>, field: &str, max: usize) -> Result<(), FieldError> {
    match value {
        Some(v) if v.chars().count() > max => Err(FieldError::too_long(field, max)),
        Some(v) => check_chars(v, field),
        None => Ok(()),
    }
}

/// A control character no text field takes: NUL and the other C0 controls except tab, line
/// feed and carriage return (a form's line ends), DEL and the C1 controls. PostgreSQL refuses
/// NUL outright; the rest are never text a person wrote and hide content from reviewers.
pub fn is_forbidden_control(c: char) -> bool {
    matches!(c, '\0'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

/// Refuses a text with a forbidden control character ([`is_forbidden_control`]), naming the
/// field and the character's position.
pub fn check_chars(value: &str, field: &str) -> Result<(), FieldError> {
    match value.chars().position(is_forbidden_control) {
        None => Ok(()),
        Some(at) => {
            let c = value.chars().nth(at).unwrap_or('\0');
            Err(FieldError::new(
                "invalid_value",
                field,
                format!(
                    "control character U+{:04X} at character {at} is not allowed",
                    u32::from(c)
                ),
            ))
        }
    }
}

/// Trims, and turns an empty string into `None`.
fn non_empty(value: Option<String>) -> Option<String> {
    value.and_then(|v| {
        let t = v.trim();
        if t.is_empty() {
            None
        } else if t.len() == v.len() {
            Some(v)
        } else {
            Some(t.to_string())
        }
    })
}

/// Normalises a platform name: lower-case ASCII letters, digits, `_`, `-` and `.`.
pub fn normalize_platform(raw: &str) -> Result<String, FieldError> {
    let p = raw.trim().to_ascii_lowercase();
    if p.is_empty() {
        return Err(FieldError::required("platform"));
    }
    if p.len() > MAX_PLATFORM_CHARS {
        return Err(FieldError::too_long("platform", MAX_PLATFORM_CHARS));
    }
    if !p
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.".contains(&b))
    {
        return Err(FieldError::new(
            "invalid",
            "platform",
            "platform names use a-z, 0-9, `_`, `-` and `.`",
        ));
    }
    Ok(p)
}

fn hex_hash(
    value: Option<String>,
    field: String,
    hex_len: usize,
) -> Result<Option<String>, FieldError> {
    match value {
        None => Ok(None),
        Some(v) => {
            let v = v.trim().to_ascii_lowercase();
            if v.len() != hex_len || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
                Err(FieldError::new(
                    "invalid",
                    field,
                    format!("expected {hex_len} hexadecimal digits"),
                ))
            } else {
                Ok(Some(v))
            }
        }
    }
}

fn target_error(field: &str, e: TargetError) -> FieldError {
    let code = match e {
        TargetError::HandleTooLong | TargetError::UrlTooLong => "too_long",
        TargetError::EmptyHandle => "required",
        _ => "invalid",
    };
    FieldError::new(code, field, e.to_string())
}

impl ReportInput {
    /// Validates and normalises. `source_override` is the source the endpoint imposes (the
    /// public endpoint); a body that says otherwise is refused.
    pub fn validate(self, source_override: Option<Source>) -> Result<ValidReport, FieldError> {
        let source = match (source_override, self.source) {
            (Some(forced), Some(given)) if forced != given => {
                return Err(FieldError::new(
                    "invalid",
                    "source",
                    format!("this endpoint only accepts source `{forced}`"),
                ));
            }
            (Some(forced), _) => forced,
            (None, Some(given)) => given,
            (None, None) => return Err(FieldError::required("source")),
        };
        let platform = normalize_platform(self.platform.as_deref().unwrap_or(""))?;
        let target_in = self.target.ok_or_else(|| FieldError::required("target"))?;
        if let Some(a) = &target_in.account {
            check_chars(a, "target.account")?;
        }
        if let Some(u) = &target_in.url {
            check_chars(u, "target.url")?;
        }
        let (target, target_raw) = match (target_in.account, target_in.url) {
            (Some(a), None) => (
                Target::Account {
                    handle: normalize_handle(&a).map_err(|e| target_error("target.account", e))?,
                },
                a,
            ),
            (None, Some(u)) => (
                Target::Url {
                    url: normalize_url(&u).map_err(|e| target_error("target.url", e))?,
                },
                u,
            ),
            _ => {
                return Err(FieldError::new(
                    "invalid",
                    "target",
                    "target must have exactly one of `account` or `url`",
                ));
            }
        };
        let text = non_empty(self.text);
        check_len(&text, "text", MAX_TEXT_CHARS)?;
        let description = non_empty(self.description);
        check_len(&description, "description", MAX_DESCRIPTION_CHARS)?;
        let external_id = non_empty(self.external_id);
        check_len(&external_id, "external_id", MAX_SHORT_CHARS)?;
        let (reporter_name, reporter_contact) = match self.reporter {
            Some(r) => (non_empty(r.name), non_empty(r.contact)),
            None => (None, None),
        };
        check_len(&reporter_name, "reporter.name", MAX_SHORT_CHARS)?;
        check_len(&reporter_contact, "reporter.contact", MAX_SHORT_CHARS)?;
        let media_in = self.media.unwrap_or_default();
        if media_in.len() > MAX_MEDIA {
            return Err(FieldError::new(
                "too_many",
                "media",
                format!("at most {MAX_MEDIA} media items per report"),
            ));
        }
        let mut media = Vec::with_capacity(media_in.len());
        for (i, m) in media_in.into_iter().enumerate() {
            let pdq = hex_hash(m.pdq, format!("media[{i}].pdq"), 64)?;
            let sha256 = hex_hash(m.sha256, format!("media[{i}].sha256"), 64)?;
            if pdq.is_none() && sha256.is_none() {
                return Err(FieldError::new(
                    "required",
                    format!("media[{i}]"),
                    "a media item needs `pdq` or `sha256`",
                ));
            }
            media.push(Media { pdq, sha256 });
        }
        let profile = match self.profile {
            None => None,
            Some(_) if !matches!(target, Target::Account { .. }) => {
                return Err(FieldError::new(
                    "invalid",
                    "profile",
                    "`profile` describes an account: it needs an `account` target",
                ));
            }
            Some(p) => {
                let display_name = non_empty(p.display_name);
                check_len(&display_name, "profile.display_name", MAX_SHORT_CHARS)?;
                let bio = non_empty(p.bio);
                check_len(&bio, "profile.bio", MAX_BIO_CHARS)?;
                let avatar_pdq = hex_hash(p.avatar_pdq, "profile.avatar_pdq".into(), 64)?;
                Some(Profile {
                    display_name,
                    bio,
                    avatar_pdq,
                })
            }
        };
        Ok(ValidReport {
            source,
            platform,
            target,
            target_raw,
            text,
            category: self.category,
            description,
            media,
            reporter_name,
            reporter_contact,
            external_id,
            profile,
            detection: None,
            link: None,
            capture: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_naming_the_field() {
        for (json, field) in [
            (
                r#"{"source":"patrol","platform":"michat","target":{"account":"a"},"text":"x\u0000y"}"#,
                "text",
            ),
            (
                r#"{"source":"patrol","platform":"michat","target":{"account":"a"},"description":"\u001b[31m"}"#,
                "description",
            ),
            (
                r#"{"source":"patrol","platform":"michat","target":{"account":"a"},"external_id":"e\u0000"}"#,
                "external_id",
            ),
            (
                r#"{"source":"patrol","platform":"michat","target":{"account":"a"},"profile":{"bio":"b\u0085c"}}"#,
                "profile.bio",
            ),
            (
                r#"{"source":"patrol","platform":"michat","target":{"url":"https://x.org/\u0000"}}"#,
                "target.url",
            ),
            (
                r#"{"source":"patrol","platform":"michat","target":{"account":"a"},"reporter":{"name":"n\u007f"}}"#,
                "reporter.name",
            ),
        ] {
            let e = parse(json).validate(None).unwrap_err();
            assert_eq!(
                (e.code, e.field.as_str()),
                ("invalid_value", field),
                "{json}"
            );
        }
        // Tab, line feed and carriage return are text.
        let ok = parse(
            r#"{"source":"patrol","platform":"michat","target":{"account":"a"},"text":"a\tb\r\nc"}"#,
        );
        assert!(ok.validate(None).is_ok());
    }

    fn parse(json: &str) -> ReportInput {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_full_report_validates_and_normalises() {
        let r = parse(
            r#"{"source":"patrol","platform":"MiChat","target":{"account":"@Rina22"},
                "text":"  open bo  ","category":"prostitution",
                "media":[{"pdq":"AB00000000000000000000000000000000000000000000000000000000000000"}],
                "reporter":{"name":" ","contact":"x@y.z"},"external_id":"crawl-1"}"#,
        )
        .validate(None)
        .unwrap();
        assert_eq!(r.platform, "michat");
        assert_eq!(
            r.target,
            Target::Account {
                handle: "rina22".into()
            }
        );
        assert_eq!(r.text.as_deref(), Some("open bo"));
        assert_eq!(r.reporter_name, None);
        assert_eq!(r.reporter_contact.as_deref(), Some("x@y.z"));
        assert!(r.media[0].pdq.as_deref().unwrap().starts_with("ab"));
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (
                r#"{"platform":"michat","target":{"account":"a"}}"#,
                "source",
                "required",
            ),
            (
                r#"{"source":"police","target":{"account":"a"}}"#,
                "platform",
                "required",
            ),
            (
                r#"{"source":"police","platform":"m i","target":{"account":"a"}}"#,
                "platform",
                "invalid",
            ),
            (
                r#"{"source":"police","platform":"m","target":{}}"#,
                "target",
                "invalid",
            ),
            (
                r#"{"source":"police","platform":"m","target":{"account":"a","url":"https://x.org"}}"#,
                "target",
                "invalid",
            ),
            (
                r#"{"source":"police","platform":"m","target":{"url":"javascript:alert(1)"}}"#,
                "target.url",
                "invalid",
            ),
            (
                r#"{"source":"police","platform":"m","target":{"account":"a"},"media":[{}]}"#,
                "media[0]",
                "required",
            ),
            (
                r#"{"source":"police","platform":"m","target":{"account":"a"},"media":[{"sha256":"zz"}]}"#,
                "media[0].sha256",
                "invalid",
            ),
        ];
        for (json, field, code) in cases {
            let e = parse(json).validate(None).unwrap_err();
            assert_eq!((e.field.as_str(), e.code), (field, code), "{json}");
        }
    }

    #[test]
    fn over_long_text_is_refused() {
        let mut r = parse(r#"{"source":"public","platform":"m","target":{"account":"a"}}"#);
        r.text = Some("x".repeat(MAX_TEXT_CHARS + 1));
        let e = r.validate(None).unwrap_err();
        assert_eq!((e.field.as_str(), e.code), ("text", "too_long"));
    }

    #[test]
    fn public_endpoint_imposes_its_source() {
        let r = parse(r#"{"platform":"m","target":{"account":"a"}}"#);
        assert_eq!(
            r.validate(Some(Source::Public)).unwrap().source,
            Source::Public
        );
        let r = parse(r#"{"source":"police","platform":"m","target":{"account":"a"}}"#);
        assert_eq!(
            r.validate(Some(Source::Public)).unwrap_err().field,
            "source"
        );
    }

    #[test]
    fn unknown_fields_are_refused_at_parse() {
        assert!(serde_json::from_str::<ReportInput>(r#"{"sourse":"patrol"}"#).is_err());
    }
}
