//! Removals re-checked by the patrol itself. When a platform answers a notice with "removed",
//! the patrol fetches the target — the URL, or an account's profile page from the platform's
//! `[[patrol.gone]] profile_url` — through the one outbound client and decides:
//! - **gone**: 404, 410 or 451, or a page carrying one of the platform's gone markers
//!   ("akun tidak ditemukan"); recorded as a verified removal by `patrol:<pid>`, exactly as a
//!   person's re-check (the notice closes; an account's removal takes it down);
//! - **still there**: any other 2xx page; the case goes back up the escalation ladder;
//! - **unreachable**: no answer, 5xx, 401/403 or a type the patrol does not read; tried again
//!   after an hour, a few times, then left to people.
//!
//! A verified removal is looked at once more after `recheck_again_hours`; content that came
//! back goes through detection and, flagged, is reported again — the intake reopens or links
//! the case as for any report. A re-check is a targeted look at one reported item, like a
//! person's, so robots.txt does not apply to it; politeness does not either (one request).

use ronda_core::model::Source;
use ronda_core::report::{Capture, ReportInput, TargetInput};
use ronda_outbound::{ContentKind, FetchRequest};
use ronda_service::config::GoneRule;
use ronda_store::rechecks::{Found, RecheckDue};
use url::Url;

use crate::crawl::{Patrol, PatrolError, read};
use crate::html;

/// What a pass of re-checks did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecheckStats {
    pub gone: u64,
    pub still_there: u64,
    pub unreachable: u64,
    /// Content back online a day after its verified removal, reported again.
    pub reported_again: u64,
}

/// Where the target of `due` is, if the patrol can fetch it.
fn target_url(due: &RecheckDue, rules: &[GoneRule]) -> Option<Url> {
    match due.target_kind.as_str() {
        "url" => Url::parse(&due.target_value).ok(),
        _ => {
            let rule = rules.iter().find(|r| r.platform == due.platform)?;
            let handle: String =
                url::form_urlencoded::byte_serialize(due.target_value.as_bytes()).collect();
            Url::parse(&rule.profile_url.as_ref()?.replace("{account}", &handle)).ok()
        }
    }
}

/// Whether `text` carries one of `markers`, regardless of case.
fn has_marker(text: &str, markers: &[String]) -> bool {
    let text = text.to_lowercase();
    markers
        .iter()
        .any(|m| !m.trim().is_empty() && text.contains(&m.to_lowercase()))
}

impl Patrol<'_> {
    /// Re-checks every notice due now (see the module docs).
    pub async fn recheck_removals(&self) -> Result<RecheckStats, PatrolError> {
        let rules = self.config.gone.as_slice();
        let now = self.store.now_ms();
        let due = read(self.store, move |s| s.rechecks_due(now, 500)).await?;
        let again_ms = self.config.recheck_again_ms;
        let mut stats = RecheckStats::default();
        for d in due {
            let (found, page) = match target_url(&d, rules) {
                None => (Found::NoUrl, None),
                Some(u) => self.look(&u, &d, rules).await,
            };
            match found {
                Found::Gone => stats.gone += 1,
                Found::StillThere => stats.still_there += 1,
                Found::Unreachable | Found::NoUrl => stats.unreachable += 1,
            }
            let later = d.notice_status == "removed";
            if later
                && found == Found::StillThere
                && let Some((u, text, capture)) = page
                && self.report_again(&d, &u, &text, capture).await?
            {
                stats.reported_again += 1;
            }
            self.store
                .record_patrol_recheck(self.config.worker.clone(), d, found, again_ms)
                .await?;
        }
        Ok(stats)
    }

    /// Fetches `u` and decides; with the page's text when it is still there.
    async fn look(
        &self,
        u: &Url,
        d: &RecheckDue,
        rules: &[GoneRule],
    ) -> (Found, Option<(Url, String, Capture)>) {
        let req = FetchRequest {
            user_agent: self.config.user_agent.clone(),
            max_bytes: self.config.max_bytes,
            timeout: self.config.fetch_timeout,
            accept: vec![ContentKind::Html, ContentKind::Text, ContentKind::Feed],
            ..FetchRequest::default()
        };
        let f = match self.outbound.fetch(u.as_str(), &req).await {
            Ok(f) => f,
            Err(_) => return (Found::Unreachable, None),
        };
        match f.status {
            404 | 410 | 451 => return (Found::Gone, None),
            200..=299 => {}
            _ => return (Found::Unreachable, None),
        }
        let text = match f.kind {
            Some(ContentKind::Html) => {
                let page = html::read(&f.body, &f.url, html::Limits::default());
                match page.title {
                    Some(t) => format!("{t}\n{}", page.text),
                    None => page.text,
                }
            }
            _ => String::from_utf8_lossy(&f.body).into_owned(),
        };
        let markers = rules
            .iter()
            .find(|r| r.platform == d.platform)
            .map(|r| r.markers.as_slice())
            .unwrap_or_default();
        if has_marker(&text, markers) {
            (Found::Gone, None)
        } else {
            let capture = self.capture(&f, self.store.now_ms());
            (Found::StillThere, Some((f.url, text, capture)))
        }
    }

    /// Reports content that came back after its verified removal, when detection flags it.
    async fn report_again(
        &self,
        d: &RecheckDue,
        u: &Url,
        text: &str,
        capture: Capture,
    ) -> Result<bool, PatrolError> {
        if text.trim().is_empty() || !self.flags(text) {
            return Ok(false);
        }
        let body: String = text
            .chars()
            .take(ronda_core::report::MAX_TEXT_CHARS)
            .collect();
        let (account, url) = if d.target_kind == "url" {
            (None, Some(u.to_string()))
        } else {
            (Some(d.target_value.clone()), None)
        };
        let input = ReportInput {
            source: Some(Source::Patrol),
            platform: Some(d.platform.clone()),
            target: Some(TargetInput { account, url }),
            text: Some(body),
            ..ReportInput::default()
        };
        let key = format!("patrol-recheck:{}:{}", d.notice_id, d.checks + 1);
        self.submit(input, key, Some(capture)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn due(kind: &str, value: &str) -> RecheckDue {
        RecheckDue {
            notice_id: 1,
            case_id: 1,
            platform: "michat".into(),
            target_kind: kind.into(),
            target_value: value.into(),
            notice_status: "removal_claimed".into(),
            responded_at: Some(1),
            checks: 0,
            last_result: None,
        }
    }

    #[test]
    fn accounts_are_found_through_the_platform_profile_url() {
        let rules = vec![GoneRule {
            platform: "michat".into(),
            profile_url: Some("http://127.0.0.1:9/u/{account}".into()),
            markers: vec!["Akun tidak ditemukan".into()],
        }];
        assert_eq!(
            target_url(&due("account", "sari 99/x"), &rules).map(|u| u.to_string()),
            Some("http://127.0.0.1:9/u/sari+99%2Fx".to_string())
        );
        assert_eq!(target_url(&due("account", "sari"), &[]), None);
        assert_eq!(
            target_url(&due("url", "http://a.test/p"), &[]).map(|u| u.to_string()),
            Some("http://a.test/p".to_string())
        );
        assert!(has_marker("Maaf, AKUN TIDAK DITEMUKAN.", &rules[0].markers));
        assert!(!has_marker("akun aktif", &rules[0].markers));
        assert!(!has_marker("anything", &[" ".to_string()]));
    }
}
