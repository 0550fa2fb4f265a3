//! The mail worker (only when `[mail]` names a relay): every `mail.interval_ms` it follows the
//! audit log into the mail outbox, then sends what is due one message at a time, each under a
//! claim longer than a send can take (see `ronda_store::mail`). Messages are plain text in
//! Indonesian, then English, composed from the language catalogues; a reporter's message says
//! the stage and its date and nothing else about the case, as the status page does.

use std::sync::Arc;
use std::time::Duration;

use ronda_outbound::mail::lettre::Message;
use ronda_outbound::mail::lettre::message::header::ContentType;
use ronda_service::config::{LegalBasis, MailSettings};
use ronda_store::mail::{MailContent, MailDue, MailKind, MailOutcome};
use tokio::sync::watch;

use crate::console::i18n::Lang;
use crate::console::lapor::stage_key;
use crate::console::platform::category_key;
use crate::state::AppState;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Step {
    pub queued: usize,
    pub sent: usize,
    pub failed: usize,
}

/// What a tracking code in a link escapes: everything but letters, digits and dashes (a code
/// has nothing else; anything else is escaped all the same).
const CODE_ESCAPE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-');

/// Events read per transaction; a pass reads at most ten of these.
const FOLLOW_BATCH: i64 = 500;

/// One pass: queue what new events call for, then send everything due (until a stop).
pub async fn try_step(
    state: &AppState,
    settings: &MailSettings,
    stopping: &watch::Receiver<bool>,
) -> Result<Step, ronda_store::StoreError> {
    let mut step = Step::default();
    for _ in 0..10 {
        let f = state
            .store
            .follow_mail_events(settings.stale_ms, FOLLOW_BATCH)
            .await?;
        step.queued += f.queued;
        if f.events < usize::try_from(FOLLOW_BATCH).unwrap_or(usize::MAX) {
            break;
        }
    }
    let timeout_ms = i64::try_from(settings.relay.timeout.as_millis()).unwrap_or(i64::MAX);
    let lease_ms = timeout_ms.saturating_mul(2).saturating_add(30_000);
    while !*stopping.borrow() {
        let Some(due) = state.store.claim_mail(lease_ms).await? else {
            break;
        };
        let outcome = match compose(&state.config.legal_bases, settings, &due) {
            Ok(message) => match state.outbound.send_mail(&settings.relay, message).await {
                Ok(()) => MailOutcome::Sent,
                // The relay's reply may name the recipient: kept and logged without it.
                Err(e) => MailOutcome::Failed {
                    permanent: e.is_permanent(),
                    error: ronda_core::contact::redact_addresses(&e.to_string()),
                },
            },
            Err(e) => MailOutcome::Failed {
                error: e,
                permanent: true,
            },
        };
        match &outcome {
            MailOutcome::Sent => {
                step.sent += 1;
                state.metrics.mail_sent();
            }
            MailOutcome::Failed { error, .. } => {
                step.failed += 1;
                state.metrics.mail_failed();
                tracing::warn!(mail_id = due.id, kind = due.kind.as_str(), error = %error, "a message was not sent");
            }
        }
        state
            .store
            .record_mail(due.id, due.claim_token, outcome, settings.retry)
            .await?;
    }
    Ok(step)
}

pub async fn run(state: Arc<AppState>, mut stopping: watch::Receiver<bool>) {
    let Some(settings) = state.mail.clone() else {
        return;
    };
    tracing::info!(relay = %settings.relay.host, port = settings.relay.port, "mail is on");
    let mut tick = super::interval(settings.interval.max(Duration::from_millis(10)));
    while super::next_tick(&mut tick, &mut stopping).await {
        if let Err(e) = try_step(&state, &settings, &stopping).await {
            tracing::error!(error = %e, "the mail worker's pass failed");
        }
    }
}

/// The message for a claimed row: subject and body in both languages.
pub fn compose(
    legal_bases: &[LegalBasis],
    settings: &MailSettings,
    due: &MailDue,
) -> Result<Message, String> {
    let (to, subject, body) = match &due.content {
        MailContent::Report {
            to,
            tracking_code,
            stage,
            at,
        } => {
            let link = settings.public_url.as_deref().map(|u| {
                format!(
                    "{u}/lapor/status?code={}",
                    percent_encoding::utf8_percent_encode(tracking_code, CODE_ESCAPE)
                )
            });
            let text = |lang: Lang| {
                let code = || tracking_code.clone().into();
                let stage_word = lang.t(stage_key(*stage));
                let subject = match due.kind {
                    MailKind::ReportVerified => {
                        lang.tf("mail-report-subject-verified", &[("code", code())])
                    }
                    _ => lang.tf(
                        "mail-report-subject-completed",
                        &[("code", code()), ("stage", stage_word.clone().into())],
                    ),
                };
                let explain = lang.t(match stage {
                    ronda_core::public_track::PublicStage::Removed => "status-explain-removed",
                    ronda_core::public_track::PublicStage::NoAction => "status-explain-no-action",
                    ronda_core::public_track::PublicStage::Closed => "status-explain-closed",
                    _ => "status-explain-action",
                });
                let follow = match &link {
                    Some(url) => lang.tf("mail-report-follow", &[("url", url.clone().into())]),
                    None => lang.t("mail-report-follow-code"),
                };
                let body = [
                    lang.t("mail-report-hello"),
                    String::new(),
                    lang.tf(
                        "mail-report-stage",
                        &[
                            ("code", code()),
                            ("stage", stage_word.into()),
                            ("date", crate::console::layout::wib(*at).into()),
                        ],
                    ),
                    explain,
                    String::new(),
                    follow,
                    String::new(),
                    lang.t("mail-report-why"),
                ]
                .join("\n");
                (subject, body)
            };
            let (s_id, b_id) = text(Lang::Id);
            let (s_en, b_en) = text(Lang::En);
            (to, format!("{s_id} / {s_en}"), both(&b_id, &b_en))
        }
        MailContent::Notice {
            to,
            notice_id,
            platform,
            category,
            legal_basis,
            urgent,
            target_kind,
            target_value,
            deadline,
            ..
        } => {
            let basis = legal_bases
                .iter()
                .find(|b| &b.code == legal_basis)
                .map_or_else(
                    || legal_basis.clone(),
                    |b| format!("{} ({legal_basis})", b.description),
                );
            let deadline = crate::console::layout::wib(*deadline);
            let link = settings
                .public_url
                .as_deref()
                .map(|u| format!("{u}/platform/notices/{notice_id}"));
            let text = |lang: Lang| {
                let p = || platform.clone().into();
                let mut subject = lang.tf(
                    "mail-notice-subject",
                    &[
                        ("id", (*notice_id).into()),
                        ("platform", p()),
                        ("deadline", deadline.clone().into()),
                    ],
                );
                if *urgent {
                    subject = format!("{}: {subject}", lang.t("mail-notice-urgent"));
                }
                let category_key = category_key(category);
                let answer = match &link {
                    Some(url) => lang.tf("mail-notice-answer", &[("url", url.clone().into())]),
                    None => lang.t("mail-notice-answer-nolink"),
                };
                let body = [
                    lang.tf("mail-notice-intro", &[("platform", p())]),
                    String::new(),
                    format!(
                        "{}: {target_value} ({})",
                        lang.t("mail-notice-target"),
                        lang.t(&format!("target-{target_kind}"))
                    ),
                    format!(
                        "{}: {}",
                        lang.t("mail-notice-category"),
                        lang.t(&category_key)
                    ),
                    format!("{}: {basis}", lang.t("mail-notice-basis")),
                    format!("{}: {deadline}", lang.t("mail-notice-deadline")),
                    String::new(),
                    answer,
                    String::new(),
                    lang.tf("mail-notice-why", &[("platform", p())]),
                ]
                .join("\n");
                (subject, body)
            };
            let (s_id, b_id) = text(Lang::Id);
            let (s_en, b_en) = text(Lang::En);
            (to, format!("{s_id} / {s_en}"), both(&b_id, &b_en))
        }
    };
    let to = to
        .parse()
        .map_err(|e| format!("the recipient is not an address lettre accepts: {e}"))?;
    Message::builder()
        .from(settings.from.clone())
        .to(to)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| format!("the message could not be built: {e}"))
}

/// The Indonesian text, then the English one.
fn both(id: &str, en: &str) -> String {
    format!("{id}\n\n-- English --\n\n{en}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ronda_core::public_track::PublicStage;
    use ronda_outbound::mail::{Relay, Security};

    fn settings(public_url: Option<&str>) -> MailSettings {
        MailSettings {
            relay: Relay {
                host: "127.0.0.1".into(),
                port: 2525,
                security: Security::None,
                credentials: None,
                hello_name: "ronda.test".into(),
                timeout: Duration::from_secs(5),
            },
            from: "Patroli Konten <patroli@example.go.id>"
                .parse()
                .expect("from"),
            public_url: public_url.map(str::to_string),
            interval: Duration::from_secs(1),
            retry: ronda_store::mail::MailRetry {
                backoff_ms: 1000,
                max_attempts: 3,
            },
            stale_ms: 1,
        }
    }

    fn due(kind: MailKind, content: MailContent) -> MailDue {
        MailDue {
            id: 1,
            kind,
            attempts: 0,
            content,
            claim_token: String::new(),
        }
    }

    /// The message as it goes out, quoted-printable decoded (soft line breaks joined, `=XX`
    /// read back).
    fn text(m: &Message) -> String {
        let raw = String::from_utf8_lossy(&m.formatted()).replace("=\r\n", "");
        let b = raw.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            match (b[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
                (b'=', Some(v)) => {
                    out.push(v);
                    i += 3;
                }
                (c, _) => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).replace("\r\n", "\n")
    }

    /// 2026-12-07 09:00 WIB.
    const AT: i64 = 1_796_608_800_000;

    #[test]
    fn a_reporter_hears_the_stage_in_both_languages_with_a_link() {
        let d = due(
            MailKind::ReportVerified,
            MailContent::Report {
                to: "warga@example.org".into(),
                tracking_code: "7KQ2-M9XD-4FRA".into(),
                stage: PublicStage::ActionRequested,
                at: AT,
            },
        );
        let m = compose(&[], &settings(Some("https://ronda.example.go.id")), &d).expect("message");
        let envelope = m.envelope();
        assert_eq!(
            envelope
                .to()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["warga@example.org"]
        );
        let t = text(&m);
        for want in [
            "Laporan dengan kode pelacakan 7KQ2-M9XD-4FRA kini berada pada tahap",
            "Your report with tracking code 7KQ2-M9XD-4FRA is now at the stage",
            "https://ronda.example.go.id/lapor/status?code=7KQ2-M9XD-4FRA",
            "2026-12-07 09:00 WIB",
            "-- English --",
        ] {
            assert!(t.contains(want), "{want} not in:\n{t}");
        }
        let completed = due(
            MailKind::ReportCompleted,
            MailContent::Report {
                to: "warga@example.org".into(),
                tracking_code: "7KQ2-M9XD-4FRA".into(),
                stage: PublicStage::Removed,
                at: AT,
            },
        );
        let t = text(&compose(&[], &settings(None), &completed).expect("message"));
        assert!(t.contains(&Lang::En.t("status-explain-removed")), "{t}");
        assert!(
            t.contains("/lapor/status) with the tracking code"),
            "no link without public_url: {t}"
        );
        assert!(!t.contains("http"), "{t}");
    }

    #[test]
    fn a_platform_hears_the_notice_with_its_deadline_and_where_to_answer() {
        let d = due(
            MailKind::NoticeSent,
            MailContent::Notice {
                to: "ts@michat.example".into(),
                notice_id: 42,
                platform: "MiChat".into(),
                category: "prostitution".into(),
                legal_basis: "uu_ite_27_1".into(),
                urgent: true,
                target_kind: "account".into(),
                target_value: "tante_a".into(),
                created_at: AT,
                deadline: AT + 4 * 3_600_000,
            },
        );
        let bases = [LegalBasis {
            code: "uu_ite_27_1".into(),
            description: "UU ITE Pasal 27 ayat (1)".into(),
        }];
        let t = text(
            &compose(&bases, &settings(Some("https://ronda.example.go.id")), &d).expect("message"),
        );
        for want in [
            "tante_a",
            "2026-12-07 13:00 WIB",
            "UU ITE Pasal 27 ayat (1) (uu_ite_27_1)",
            "https://ronda.example.go.id/platform/notices/42",
            "Answer this notice in the platform portal",
            "Jawab permintaan ini di portal platform",
        ] {
            assert!(t.contains(want), "{want} not in:\n{t}");
        }
    }
}
