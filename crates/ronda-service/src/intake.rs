//! The one intake service: every way a report comes in — `POST /api/v1/reports` and its batch,
//! the public form, `ronda import`, the coming patrol crawler — goes through [`Intake`]:
//! what the submitter may report ([`Submitter`]), validation (`ReportInput::validate`),
//! enrichment (the detection engine's reading and the account's linking features, on the
//! caller's thread), then the store's write path (`Store::submit_report` / `submit_batch`:
//! replay, bank matches, case, triage, linking, audit — one transaction).
//!
//! The rules of scope, in one place:
//! - a token of a role with a forced source (police, platform) reports with that source, and
//!   another source is refused;
//! - a platform token reports only about its own platform;
//! - the public API and form report as `public` and take no `external_id` (idempotency is
//!   per submitter; the public has none, so one reporter's id would replay another's report);
//!   the form's replay key is its server-signed token nonce instead;
//! - an operator (the CLI) reports as the input says.

use ronda_core::model::{Role, Source};
use ronda_core::report::{Capture, FieldError, ReportInput, ValidReport};
use ronda_store::intake::{Accepted, IntakeContext};
use ronda_store::{Store, StoreError};

use crate::detection::Detector;

/// Who submits a report.
#[derive(Debug, Clone)]
pub enum Submitter {
    /// An API token's holder.
    Token {
        /// The audit actor (`token:<id>:<name>`).
        actor: String,
        token_id: i64,
        role: Role,
        /// The platform a platform token belongs to.
        platform: Option<String>,
    },
    /// Anyone, through the public API (`POST /public/reports`).
    Public,
    /// Anyone, through the report form page (`/lapor`): the form's token nonce, signed by
    /// this server and fresh for each form handed out, is the report's idempotency key, so a
    /// form sent twice (a reload, a double click) files one report and shows its code again.
    PublicForm { form_nonce: String },
    /// An operator at the CLI (`ronda import`); the actor names the command.
    Operator { actor: String },
}

impl Submitter {
    fn context(&self, idempotency_key: Option<String>) -> IntakeContext {
        match self {
            Submitter::Token {
                actor, token_id, ..
            } => IntakeContext {
                actor: actor.clone(),
                token_id: Some(*token_id),
                idempotency_key,
            },
            Submitter::Public => IntakeContext {
                actor: "public".into(),
                token_id: None,
                idempotency_key: None,
            },
            Submitter::PublicForm { form_nonce } => IntakeContext {
                actor: "public:form".into(),
                token_id: None,
                idempotency_key: Some(form_nonce.clone()),
            },
            Submitter::Operator { actor } => IntakeContext {
                actor: actor.clone(),
                token_id: None,
                idempotency_key,
            },
        }
    }
}

/// Why a report was refused before the store saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The input is not a valid report (the field and code say why).
    Invalid(FieldError),
    /// Valid, but not this submitter's to report (a platform about another platform, a police
    /// token with another source).
    OutOfScope {
        field: &'static str,
        message: String,
    },
}

impl From<FieldError> for Refusal {
    fn from(e: FieldError) -> Self {
        Refusal::Invalid(e)
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Invalid(e) => write!(f, "{e}"),
            Refusal::OutOfScope { field, message } => write!(f, "{field}: {message}"),
        }
    }
}

/// The intake service over a store and a detector.
#[derive(Clone, Copy)]
pub struct Intake<'a> {
    pub store: &'a Store,
    pub detector: &'a Detector,
}

impl Intake<'_> {
    /// Scope, validation and enrichment of one report: CPU only, on the caller's thread.
    pub fn prepare(&self, input: ReportInput, who: &Submitter) -> Result<ValidReport, Refusal> {
        let mut report = scope(input, who)?;
        self.detector.read(&mut report);
        Ok(report)
    }

    /// One report: refused, or accepted once committed.
    pub async fn submit(
        &self,
        input: ReportInput,
        who: &Submitter,
        idempotency_key: Option<String>,
    ) -> Result<Result<Accepted, Refusal>, StoreError> {
        self.submit_captured(input, who, idempotency_key, None)
            .await
    }

    /// One report with the evidence behind it (the patrol's WARC capture of the page). The
    /// capture is attached after validation: it never comes from what a submitter sent.
    pub async fn submit_captured(
        &self,
        input: ReportInput,
        who: &Submitter,
        idempotency_key: Option<String>,
        capture: Option<Capture>,
    ) -> Result<Result<Accepted, Refusal>, StoreError> {
        let mut report = match self.prepare(input, who) {
            Ok(r) => r,
            Err(refusal) => return Ok(Err(refusal)),
        };
        report.capture = capture;
        match self
            .store
            .submit_report(report, who.context(idempotency_key))
            .await
        {
            Ok(a) => Ok(Ok(a)),
            Err(StoreError::Invalid(f)) => Ok(Err(Refusal::Invalid(f))),
            Err(e) => Err(e),
        }
    }

    /// Many reports in one write transaction; each item answers on its own, in order (an
    /// item refused before — it did not even parse — stays refused).
    pub async fn submit_batch(
        &self,
        items: Vec<Result<ReportInput, Refusal>>,
        who: &Submitter,
    ) -> Result<Vec<Result<Accepted, Refusal>>, StoreError> {
        let (prepared, refusals) = self.prepare_all(items, who);
        let outcomes = self.store.submit_batch(prepared, who.context(None)).await?;
        Ok(merge(outcomes, refusals))
    }

    /// [`Intake::submit_batch`] for blocking callers (the CLI).
    pub fn submit_batch_blocking(
        &self,
        items: Vec<Result<ReportInput, Refusal>>,
        who: &Submitter,
    ) -> Result<Vec<Result<Accepted, Refusal>>, StoreError> {
        let (prepared, refusals) = self.prepare_all(items, who);
        let outcomes = self
            .store
            .submit_batch_blocking(prepared, who.context(None))?;
        Ok(merge(outcomes, refusals))
    }

    #[allow(clippy::type_complexity, reason = "two aligned vectors, one per item")]
    fn prepare_all(
        &self,
        items: Vec<Result<ReportInput, Refusal>>,
        who: &Submitter,
    ) -> (Vec<Result<ValidReport, FieldError>>, Vec<Option<Refusal>>) {
        let mut prepared = Vec::with_capacity(items.len());
        let mut refusals = Vec::with_capacity(items.len());
        for item in items {
            match item.and_then(|input| self.prepare(input, who)) {
                Ok(r) => {
                    prepared.push(Ok(r));
                    refusals.push(None);
                }
                Err(refusal) => {
                    // A placeholder keeps positions aligned; the store passes it through.
                    prepared.push(Err(FieldError::new("refused", "", "")));
                    refusals.push(Some(refusal));
                }
            }
        }
        (prepared, refusals)
    }
}

fn merge(
    outcomes: Vec<Result<Accepted, FieldError>>,
    refusals: Vec<Option<Refusal>>,
) -> Vec<Result<Accepted, Refusal>> {
    outcomes
        .into_iter()
        .zip(refusals)
        .map(|(outcome, refusal)| match (refusal, outcome) {
            (Some(r), _) => Err(r),
            (None, Ok(a)) => Ok(a),
            (None, Err(f)) => Err(Refusal::Invalid(f)),
        })
        .collect()
}

/// What the submitter may report (the module docs list the rules), then validation.
fn scope(mut input: ReportInput, who: &Submitter) -> Result<ValidReport, Refusal> {
    match who {
        Submitter::Public | Submitter::PublicForm { .. } => {
            if input.external_id.is_some() {
                return Err(FieldError::new(
                    "unknown_field",
                    "external_id",
                    "public reports take no `external_id`",
                )
                .into());
            }
            Ok(input.validate(Some(Source::Public))?)
        }
        Submitter::Operator { .. } => Ok(input.validate(None)?),
        Submitter::Token { role, platform, .. } => {
            if let Some(forced) = role.forced_source() {
                match input.source {
                    Some(s) if s != forced => {
                        return Err(Refusal::OutOfScope {
                            field: "source",
                            message: format!("a {role} token reports with source `{forced}`"),
                        });
                    }
                    _ => input.source = Some(forced),
                }
            }
            let report = input.validate(None)?;
            if *role == Role::Platform {
                let own = platform.as_deref().unwrap_or("");
                if report.platform != own {
                    return Err(Refusal::OutOfScope {
                        field: "platform",
                        message: format!("this token reports only about platform `{own}`"),
                    });
                }
            }
            Ok(report)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: serde_json::Value) -> ReportInput {
        serde_json::from_value(json).expect("input")
    }

    fn token(role: Role, platform: Option<&str>) -> Submitter {
        Submitter::Token {
            actor: "token:1:t".into(),
            token_id: 1,
            role,
            platform: platform.map(str::to_string),
        }
    }

    #[test]
    fn each_submitter_reports_within_its_scope() {
        let body = serde_json::json!({"platform": "michat", "target": {"account": "a1"}});
        let police = scope(input(body.clone()), &token(Role::Police, None)).expect("police");
        assert_eq!(police.source, Source::Police, "the source is imposed");
        let refused = scope(
            input(
                serde_json::json!({"source": "patrol", "platform": "michat", "target": {"account": "a1"}}),
            ),
            &token(Role::Police, None),
        );
        assert!(matches!(
            refused,
            Err(Refusal::OutOfScope {
                field: "source",
                ..
            })
        ));
        let other = scope(
            input(body.clone()),
            &token(Role::Platform, Some("whatsapp")),
        );
        assert!(matches!(
            other,
            Err(Refusal::OutOfScope {
                field: "platform",
                ..
            })
        ));
        assert!(scope(input(body.clone()), &token(Role::Platform, Some("michat"))).is_ok());
        let public = scope(input(body.clone()), &Submitter::Public).expect("public");
        assert_eq!(public.source, Source::Public);
        let mut with_id = body;
        with_id["external_id"] = serde_json::json!("x");
        assert!(matches!(
            scope(input(with_id), &Submitter::Public),
            Err(Refusal::Invalid(FieldError { ref field, .. })) if field == "external_id"
        ));
    }
}
