//! The life of a case as a pure state machine, and the arithmetic of legal deadlines and the
//! escalation ladder (PM Kominfo 5/2020 deadlines; the SAMAN ladder). No clock is read here:
//! every function takes the time it needs.
//!
//! ```text
//! new ──start_review──> in_review ──confirm──> confirmed ──send_notice──> notice_sent
//!  │                       │                                             │ acknowledge
//!  └──confirm / reject─────┴──reject──> rejected ──close──> closed         v
//! new | in_review ──request_approval──> awaiting_approval ──approve──> confirmed
//! awaiting_approval ──disapprove──> in_review     awaiting_approval ──reject──> rejected
//!                                                                   acknowledged
//! notice_sent | acknowledged | escalated | still_online ──claim_removal──> removal_claimed
//! removal_claimed ──verify_removed──> removed ──close──> closed
//! removal_claimed ──find_still_online──> still_online ──escalate──> escalated
//! notice_sent | acknowledged | still_online ──escalate──> escalated
//! notice_sent | acknowledged | still_online | escalated ──dispute──> disputed
//! disputed ──uphold──> notice_sent (the order stands; the ladder resumes)   disputed ──withdraw──> closed
//! escalated ──verify_removed──> removed     rejected | removed | closed ──reopen──> in_review
//! ```
//!
//! Every action but two is taken through the API ([`Action::endpoint`]); `send_notice` happens
//! inside the confirmation that issues the notice, and `escalate` is the escalation worker's
//! (or `ronda escalations run`). A refused action names only the allowed actions a person can
//! take, each with its endpoint; `confirmed` is never seen outside the confirming transaction.

use std::fmt;

use crate::clock::Millis;
use crate::model::{CaseStatus, Category};

/// Something that moves a case from one status to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    StartReview,
    Confirm,
    RequestApproval,
    Approve,
    Disapprove,
    Reject,
    SendNotice,
    Acknowledge,
    ClaimRemoval,
    VerifyRemoved,
    FindStillOnline,
    Escalate,
    Dispute,
    Uphold,
    Withdraw,
    Close,
    Reopen,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::StartReview,
        Action::Confirm,
        Action::RequestApproval,
        Action::Approve,
        Action::Disapprove,
        Action::Reject,
        Action::SendNotice,
        Action::Acknowledge,
        Action::ClaimRemoval,
        Action::VerifyRemoved,
        Action::FindStillOnline,
        Action::Escalate,
        Action::Dispute,
        Action::Uphold,
        Action::Withdraw,
        Action::Close,
        Action::Reopen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::StartReview => "start_review",
            Action::Confirm => "confirm",
            Action::RequestApproval => "request_approval",
            Action::Approve => "approve",
            Action::Disapprove => "disapprove",
            Action::Reject => "reject",
            Action::SendNotice => "send_notice",
            Action::Acknowledge => "acknowledge",
            Action::ClaimRemoval => "claim_removal",
            Action::VerifyRemoved => "verify_removed",
            Action::FindStillOnline => "find_still_online",
            Action::Escalate => "escalate",
            Action::Dispute => "dispute",
            Action::Uphold => "uphold",
            Action::Withdraw => "withdraw",
            Action::Close => "close",
            Action::Reopen => "reopen",
        }
    }

    /// The API call that takes this action (`{id}` is the case id, `{notice}` its open
    /// notice's id); `None` for the two actions no person takes (see the module docs).
    pub fn endpoint(self) -> Option<&'static str> {
        Some(match self {
            Action::StartReview => "POST /api/v1/cases/{id}/claim",
            Action::Confirm | Action::RequestApproval | Action::Reject => {
                "POST /api/v1/cases/{id}/decision"
            }
            Action::Approve | Action::Disapprove => "POST /api/v1/cases/{id}/approval",
            Action::Acknowledge | Action::ClaimRemoval | Action::Dispute => {
                "POST /api/v1/platform/notices/{notice}/response"
            }
            Action::VerifyRemoved | Action::FindStillOnline => "POST /api/v1/cases/{id}/recheck",
            Action::Uphold | Action::Withdraw => "POST /api/v1/cases/{id}/dispute",
            Action::Close => "POST /api/v1/cases/{id}/close",
            Action::Reopen => "POST /api/v1/cases/{id}/reopen",
            Action::SendNotice | Action::Escalate => return None,
        })
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An action that the case's status does not allow; names the ones a person can take there,
/// with their endpoints (for a 409).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} a case that is {from}; allowed: {}", allowed_list(.allowed))]
pub struct IllegalTransition {
    pub from: CaseStatus,
    pub action: Action,
    pub allowed: Vec<Action>,
}

fn allowed_list(a: &[Action]) -> String {
    if a.is_empty() {
        return "nothing".into();
    }
    a.iter()
        .map(|x| match x.endpoint() {
            Some(e) => format!("{} ({e})", x.as_str()),
            None => x.as_str().to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The status an action leads to from `from`, if the action is allowed there.
fn target(from: CaseStatus, action: Action) -> Option<CaseStatus> {
    use Action as A;
    use CaseStatus as S;
    Some(match (from, action) {
        (S::New, A::StartReview) => S::InReview,
        (S::New | S::InReview, A::Confirm) => S::Confirmed,
        (S::New | S::InReview | S::AwaitingApproval, A::Reject) => S::Rejected,
        (S::New | S::InReview, A::RequestApproval) => S::AwaitingApproval,
        (S::AwaitingApproval, A::Approve) => S::Confirmed,
        (S::AwaitingApproval, A::Disapprove) => S::InReview,
        (S::Confirmed, A::SendNotice) => S::NoticeSent,
        (S::NoticeSent, A::Acknowledge) => S::Acknowledged,
        (S::NoticeSent | S::Acknowledged | S::Escalated | S::StillOnline, A::ClaimRemoval) => {
            S::RemovalClaimed
        }
        (S::RemovalClaimed | S::Escalated | S::StillOnline, A::VerifyRemoved) => S::Removed,
        (S::RemovalClaimed, A::FindStillOnline) => S::StillOnline,
        (S::NoticeSent | S::Acknowledged | S::StillOnline, A::Escalate) => S::Escalated,
        (S::NoticeSent | S::Acknowledged | S::StillOnline | S::Escalated, A::Dispute) => {
            S::Disputed
        }
        (S::Disputed, A::Uphold) => S::NoticeSent,
        (S::Disputed, A::Withdraw) => S::Closed,
        (S::Rejected | S::Removed, A::Close) => S::Closed,
        (S::Rejected | S::Removed | S::Closed, A::Reopen) => S::InReview,
        _ => return None,
    })
}

/// Every action allowed from `from`, in a stable order.
pub fn allowed_actions(from: CaseStatus) -> Vec<Action> {
    Action::ALL
        .iter()
        .copied()
        .filter(|a| target(from, *a).is_some())
        .collect()
}

/// The actions allowed from `from` that a person takes through the API.
pub fn api_actions(from: CaseStatus) -> Vec<Action> {
    allowed_actions(from)
        .into_iter()
        .filter(|a| a.endpoint().is_some())
        .collect()
}

/// Applies `action` to a case in status `from`.
pub fn transition(from: CaseStatus, action: Action) -> Result<CaseStatus, IllegalTransition> {
    target(from, action).ok_or_else(|| IllegalTransition {
        from,
        action,
        allowed: api_actions(from),
    })
}

/// Approval routing: the action a reviewer's decision takes. A rejection rejects; a
/// confirmation confirms, except that an analyst's confirmation of a category the deployment
/// lists in `approval_categories` (the high-impact ones) waits for a supervisor
/// (`RequestApproval`). A supervisor's or admin's own confirmation (`by_lead`) needs no second
/// pair of eyes. `category` is the category the case will have (the decision's, else the
/// case's).
pub fn decision_action(
    confirm: bool,
    category: Option<Category>,
    by_lead: bool,
    approval_categories: &[Category],
) -> Action {
    match confirm {
        false => Action::Reject,
        true if !by_lead && category.is_some_and(|c| approval_categories.contains(&c)) => {
            Action::RequestApproval
        }
        true => Action::Confirm,
    }
}

const HOUR_MS: Millis = 3_600_000;

/// The rungs of the SAMAN ladder after a missed deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EscalationStep {
    None,
    Warning1,
    Warning2,
    Warning3,
    BlockingRecommended,
}

impl EscalationStep {
    pub fn as_str(self) -> &'static str {
        match self {
            EscalationStep::None => "none",
            EscalationStep::Warning1 => "warning_1",
            EscalationStep::Warning2 => "warning_2",
            EscalationStep::Warning3 => "warning_3",
            EscalationStep::BlockingRecommended => "blocking_recommended",
        }
    }

    pub fn next(self) -> Option<EscalationStep> {
        match self {
            EscalationStep::None => Some(EscalationStep::Warning1),
            EscalationStep::Warning1 => Some(EscalationStep::Warning2),
            EscalationStep::Warning2 => Some(EscalationStep::Warning3),
            EscalationStep::Warning3 => Some(EscalationStep::BlockingRecommended),
            EscalationStep::BlockingRecommended => None,
        }
    }
}

/// Deadlines and escalation periods; configurable, with the regulation's values as defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlinePolicy {
    /// Hours a platform has to remove ordinary prohibited content (24 under PM Kominfo 5/2020).
    pub normal_hours: i64,
    /// Hours for urgent content (4: child sexual abuse material, terrorism, public order).
    pub urgent_hours: i64,
    /// Categories whose notices get the urgent deadline.
    pub urgent_categories: Vec<Category>,
    /// Waiting time before each rung: warning 1 (after the deadline), warning 2, warning 3 and
    /// the access-blocking recommendation (each after the previous rung), in hours.
    pub step_hours: [i64; 4],
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        Self {
            normal_hours: 24,
            urgent_hours: 4,
            urgent_categories: vec![Category::ChildExploitation],
            step_hours: [0, 24, 24, 24],
        }
    }
}

impl DeadlinePolicy {
    /// Whether a notice about `category` (or on a case already marked urgent) is urgent.
    pub fn is_urgent(&self, category: Option<Category>, urgent_priority: bool) -> bool {
        urgent_priority || category.is_some_and(|c| self.urgent_categories.contains(&c))
    }

    /// When a notice sent at `sent_at` must have been complied with.
    pub fn deadline(&self, sent_at: Millis, urgent: bool) -> Millis {
        let hours = if urgent {
            self.urgent_hours
        } else {
            self.normal_hours
        };
        sent_at.saturating_add(hours.saturating_mul(HOUR_MS))
    }

    /// The next rung of the ladder and when it becomes due, given the current rung and when it
    /// was reached (`None` for the first rung, which counts from the deadline).
    pub fn next_step(
        &self,
        deadline: Millis,
        current: EscalationStep,
        current_at: Option<Millis>,
    ) -> Option<(EscalationStep, Millis)> {
        let next = current.next()?;
        let idx = match next {
            EscalationStep::Warning1 => 0,
            EscalationStep::Warning2 => 1,
            EscalationStep::Warning3 => 2,
            EscalationStep::BlockingRecommended | EscalationStep::None => 3,
        };
        let base = if current == EscalationStep::None {
            deadline
        } else {
            current_at.unwrap_or(deadline)
        };
        Some((
            next,
            base.saturating_add(self.step_hours[idx].saturating_mul(HOUR_MS)),
        ))
    }

    /// The rung due at `now`, if any: one step at a time, so a worker that was down for days
    /// still records every rung, each with its own time.
    pub fn due_step(
        &self,
        deadline: Millis,
        current: EscalationStep,
        current_at: Option<Millis>,
        now: Millis,
    ) -> Option<EscalationStep> {
        self.next_step(deadline, current, current_at)
            .filter(|(_, due)| *due <= now)
            .map(|(step, _)| step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::parse_rfc3339;
    use CaseStatus as S;

    #[test]
    fn an_analysts_high_impact_confirmation_waits_for_a_supervisor() {
        let listed = [Category::ChildExploitation, Category::Gambling];
        let cases = [
            (
                true,
                Some(Category::Gambling),
                false,
                Action::RequestApproval,
            ),
            (true, Some(Category::Gambling), true, Action::Confirm),
            (true, Some(Category::Prostitution), false, Action::Confirm),
            (true, None, false, Action::Confirm),
            (false, Some(Category::Gambling), false, Action::Reject),
            (false, Some(Category::Gambling), true, Action::Reject),
        ];
        for (confirm, category, by_lead, want) in cases {
            assert_eq!(
                decision_action(confirm, category, by_lead, &listed),
                want,
                "{confirm} {category:?} {by_lead}"
            );
        }
        assert_eq!(
            decision_action(true, Some(Category::Gambling), false, &[]),
            Action::Confirm
        );
    }

    #[test]
    fn the_happy_path_reaches_closed() {
        let mut s = S::New;
        for a in [
            Action::StartReview,
            Action::Confirm,
            Action::SendNotice,
            Action::Acknowledge,
            Action::ClaimRemoval,
            Action::VerifyRemoved,
            Action::Close,
        ] {
            s = transition(s, a).unwrap();
        }
        assert_eq!(s, S::Closed);
    }

    #[test]
    fn an_illegal_transition_names_the_allowed_ones() {
        let e = transition(S::New, Action::SendNotice).unwrap_err();
        assert_eq!(
            e.allowed,
            vec![
                Action::StartReview,
                Action::Confirm,
                Action::RequestApproval,
                Action::Reject
            ]
        );
        assert_eq!(
            e.to_string(),
            "cannot send_notice a case that is new; allowed: start_review (POST /api/v1/cases/{id}/claim), \
             confirm (POST /api/v1/cases/{id}/decision), request_approval (POST /api/v1/cases/{id}/decision), \
             reject (POST /api/v1/cases/{id}/decision)"
        );
        assert_eq!(
            transition(S::Rejected, Action::Confirm)
                .unwrap_err()
                .allowed,
            vec![Action::Close, Action::Reopen]
        );
        assert_eq!(
            transition(S::Disputed, Action::Close)
                .unwrap_err()
                .to_string(),
            "cannot close a case that is disputed; allowed: uphold (POST /api/v1/cases/{id}/dispute), \
             withdraw (POST /api/v1/cases/{id}/dispute)"
        );
    }

    #[test]
    fn removal_claims_are_verified_or_sent_back() {
        assert_eq!(
            transition(S::RemovalClaimed, Action::FindStillOnline),
            Ok(S::StillOnline)
        );
        assert_eq!(
            transition(S::StillOnline, Action::Escalate),
            Ok(S::Escalated)
        );
        assert_eq!(
            transition(S::Escalated, Action::VerifyRemoved),
            Ok(S::Removed)
        );
        assert_eq!(transition(S::Removed, Action::Reopen), Ok(S::InReview));
        assert_eq!(transition(S::Disputed, Action::Uphold), Ok(S::NoticeSent));
        assert_eq!(transition(S::Disputed, Action::Withdraw), Ok(S::Closed));
        assert_eq!(
            transition(S::InReview, Action::RequestApproval),
            Ok(S::AwaitingApproval)
        );
        assert_eq!(
            transition(S::AwaitingApproval, Action::Approve),
            Ok(S::Confirmed)
        );
        assert_eq!(
            transition(S::AwaitingApproval, Action::Disapprove),
            Ok(S::InReview)
        );
        assert!(transition(S::AwaitingApproval, Action::SendNotice).is_err());
    }

    #[test]
    fn every_status_but_none_has_a_way_on() {
        for s in CaseStatus::ALL {
            assert!(!allowed_actions(*s).is_empty(), "{s} is a dead end");
            // A person can move every case on, except inside the confirming transaction.
            if *s != S::Confirmed {
                assert!(!api_actions(*s).is_empty(), "{s} is a dead end for people");
            }
        }
    }

    /// Every pair (status, action): the allowed ones lead where the table in ARCHITECTURE.md
    /// says; every refused one names only actions a person can take, each with its endpoint.
    #[test]
    fn every_transition_allowed_and_refused() {
        use Action as A;
        let allowed: &[(S, A, S)] = &[
            (S::New, A::StartReview, S::InReview),
            (S::New, A::Confirm, S::Confirmed),
            (S::New, A::RequestApproval, S::AwaitingApproval),
            (S::New, A::Reject, S::Rejected),
            (S::InReview, A::Confirm, S::Confirmed),
            (S::InReview, A::RequestApproval, S::AwaitingApproval),
            (S::InReview, A::Reject, S::Rejected),
            (S::AwaitingApproval, A::Approve, S::Confirmed),
            (S::AwaitingApproval, A::Disapprove, S::InReview),
            (S::AwaitingApproval, A::Reject, S::Rejected),
            (S::Confirmed, A::SendNotice, S::NoticeSent),
            (S::NoticeSent, A::Acknowledge, S::Acknowledged),
            (S::NoticeSent, A::ClaimRemoval, S::RemovalClaimed),
            (S::NoticeSent, A::Escalate, S::Escalated),
            (S::NoticeSent, A::Dispute, S::Disputed),
            (S::Acknowledged, A::ClaimRemoval, S::RemovalClaimed),
            (S::Acknowledged, A::Escalate, S::Escalated),
            (S::Acknowledged, A::Dispute, S::Disputed),
            (S::RemovalClaimed, A::VerifyRemoved, S::Removed),
            (S::RemovalClaimed, A::FindStillOnline, S::StillOnline),
            (S::StillOnline, A::ClaimRemoval, S::RemovalClaimed),
            (S::StillOnline, A::VerifyRemoved, S::Removed),
            (S::StillOnline, A::Escalate, S::Escalated),
            (S::StillOnline, A::Dispute, S::Disputed),
            (S::Escalated, A::ClaimRemoval, S::RemovalClaimed),
            (S::Escalated, A::VerifyRemoved, S::Removed),
            (S::Escalated, A::Dispute, S::Disputed),
            (S::Disputed, A::Uphold, S::NoticeSent),
            (S::Disputed, A::Withdraw, S::Closed),
            (S::Rejected, A::Close, S::Closed),
            (S::Rejected, A::Reopen, S::InReview),
            (S::Removed, A::Close, S::Closed),
            (S::Removed, A::Reopen, S::InReview),
            (S::Closed, A::Reopen, S::InReview),
        ];
        let mut seen = 0;
        for from in CaseStatus::ALL {
            for action in Action::ALL {
                let want = allowed
                    .iter()
                    .find(|(f, a, _)| f == from && a == action)
                    .map(|(_, _, to)| *to);
                match (transition(*from, *action), want) {
                    (Ok(to), Some(w)) => {
                        assert_eq!(to, w, "{from} --{action}-->");
                        seen += 1;
                    }
                    (Err(e), None) => {
                        assert!(!e.allowed.is_empty() || *from == S::Confirmed, "{e}");
                        for a in &e.allowed {
                            let endpoint = a
                                .endpoint()
                                .unwrap_or_else(|| panic!("{e}: {a} has no endpoint"));
                            assert!(e.to_string().contains(&format!("{a} ({endpoint})")), "{e}");
                        }
                        assert!(!e.to_string().contains("send_notice ("), "{e}");
                        assert!(!e.to_string().contains(", escalate"), "{e}");
                    }
                    (got, want) => panic!("{from} --{action}-->: got {got:?}, want {want:?}"),
                }
            }
        }
        assert_eq!(seen, allowed.len());
    }

    #[test]
    fn deadlines_follow_the_regulation_by_default() {
        let p = DeadlinePolicy::default();
        let sent = parse_rfc3339("2026-11-29T20:30:00Z").unwrap();
        assert!(p.is_urgent(Some(Category::ChildExploitation), false));
        assert!(!p.is_urgent(Some(Category::Gambling), false));
        assert!(p.is_urgent(Some(Category::Gambling), true));
        let urgent = p.deadline(sent, true);
        let normal = p.deadline(sent, false);
        assert_eq!(urgent - sent, 4 * HOUR_MS);
        assert_eq!(normal - sent, 24 * HOUR_MS);
        // Stored in UTC, shown in Jakarta: 20:30Z + 4 h is 07:30 the next day, WIB.
        assert_eq!(crate::wib::to_jakarta(urgent), "2026-11-30 07:30 WIB");
    }

    #[test]
    fn the_ladder_climbs_one_rung_per_period() {
        let p = DeadlinePolicy {
            step_hours: [1, 24, 48, 72],
            ..DeadlinePolicy::default()
        };
        let deadline = 1_000 * HOUR_MS;
        let s = EscalationStep::None;
        assert_eq!(
            p.due_step(deadline, s, None, deadline),
            None,
            "not before the period"
        );
        assert_eq!(
            p.due_step(deadline, s, None, deadline + HOUR_MS),
            Some(EscalationStep::Warning1)
        );
        let w1_at = deadline + 5 * HOUR_MS;
        let w1 = EscalationStep::Warning1;
        assert_eq!(
            p.due_step(deadline, w1, Some(w1_at), w1_at + 23 * HOUR_MS),
            None
        );
        assert_eq!(
            p.due_step(deadline, w1, Some(w1_at), w1_at + 24 * HOUR_MS),
            Some(EscalationStep::Warning2)
        );
        // Long after: still only the next rung.
        assert_eq!(
            p.due_step(deadline, w1, Some(w1_at), w1_at + 1_000 * HOUR_MS),
            Some(EscalationStep::Warning2)
        );
        let top = EscalationStep::BlockingRecommended;
        assert_eq!(p.due_step(deadline, top, Some(0), i64::MAX), None);
    }
}
