//! What a member of the public learns about their report: its stage, and when it got there —
//! received → being verified → action requested from the platform → removed, not a violation,
//! or closed. Nothing else (no names, no other reports, no platform answers).
//!
//! [`track`] walks a case's status changes (from its audit events) into the stages a reporter
//! saw: a stage is dated by the first change that reached it, never earlier than the report
//! itself (a report that joined a case already being verified shows both stages at its own
//! date); a case that went back (a removal that did not hold reopens it) drops the stages it
//! left, so the path shown is always the one that leads to the current status.

use crate::model::CaseStatus;

/// A stage of a public report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PublicStage {
    Received,
    InReview,
    ActionRequested,
    Removed,
    NoAction,
    Closed,
}

impl PublicStage {
    pub const ALL: [PublicStage; 6] = [
        PublicStage::Received,
        PublicStage::InReview,
        PublicStage::ActionRequested,
        PublicStage::Removed,
        PublicStage::NoAction,
        PublicStage::Closed,
    ];

    /// The stage named by [`PublicStage::as_str`]'s word.
    pub fn parse(s: &str) -> Option<PublicStage> {
        PublicStage::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The stage a case's status shows as.
    pub fn of(s: CaseStatus) -> PublicStage {
        match s {
            CaseStatus::New => PublicStage::Received,
            CaseStatus::InReview | CaseStatus::AwaitingApproval => PublicStage::InReview,
            CaseStatus::Confirmed
            | CaseStatus::NoticeSent
            | CaseStatus::Acknowledged
            | CaseStatus::RemovalClaimed
            | CaseStatus::StillOnline
            | CaseStatus::Escalated
            | CaseStatus::Disputed => PublicStage::ActionRequested,
            CaseStatus::Removed => PublicStage::Removed,
            CaseStatus::Rejected => PublicStage::NoAction,
            CaseStatus::Closed => PublicStage::Closed,
        }
    }

    /// The API's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            PublicStage::Received => "received",
            PublicStage::InReview => "in_review",
            PublicStage::ActionRequested => "action_in_progress",
            PublicStage::Removed => "removed",
            PublicStage::NoAction => "no_action",
            PublicStage::Closed => "closed",
        }
    }

    /// Its place on the path: 0 received, 1 being verified, 2 action requested, 3 an end.
    pub fn step(self) -> u8 {
        match self {
            PublicStage::Received => 0,
            PublicStage::InReview => 1,
            PublicStage::ActionRequested => 2,
            PublicStage::Removed | PublicStage::NoAction | PublicStage::Closed => 3,
        }
    }

    /// The stages a report always passes before this one: a removal was requested and
    /// verified first; "not a violation" was verified; a case may be closed at any point.
    pub fn comes_after(self) -> &'static [PublicStage] {
        use PublicStage::*;
        match self {
            Received => &[],
            InReview | Closed => &[Received],
            ActionRequested | NoAction => &[Received, InReview],
            Removed => &[Received, InReview, ActionRequested],
        }
    }

    /// Whether the report's story has ended here.
    pub fn is_final(self) -> bool {
        self.step() == 3
    }
}

/// A stage reached, and when (epoch ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackStep {
    pub stage: PublicStage,
    pub at_ms: i64,
}

/// The stages a report received at `received_at_ms` went through, given its case's status
/// changes in order (`(at_ms, status)`) and its status now.
pub fn track(
    received_at_ms: i64,
    changes: &[(i64, CaseStatus)],
    current: CaseStatus,
) -> Vec<TrackStep> {
    let mut steps = vec![TrackStep {
        stage: PublicStage::Received,
        at_ms: received_at_ms,
    }];
    let reach = |stage: PublicStage, at_ms: i64, steps: &mut Vec<TrackStep>| {
        let at_ms = at_ms.max(received_at_ms);
        steps.retain(|s| s.stage.step() < stage.step() || s.stage == stage);
        match steps.last() {
            Some(last) if last.stage == stage => {}
            _ => steps.push(TrackStep { stage, at_ms }),
        }
    };
    for &(at, status) in changes {
        reach(PublicStage::of(status), at, &mut steps);
    }
    let now = PublicStage::of(current);
    if steps.last().map(|s| s.stage) != Some(now) {
        let at = steps.last().map_or(received_at_ms, |s| s.at_ms);
        reach(now, at, &mut steps);
    }
    // A stage on the way to a reached one was passed through (a case confirmed on its first
    // look never showed "being verified" for long): it is shown at the next stage's date.
    let mut full: Vec<TrackStep> = Vec::with_capacity(4);
    for s in steps {
        for &before in s.stage.comes_after() {
            if !full.iter().any(|f| f.stage == before) {
                full.push(TrackStep {
                    stage: before,
                    at_ms: s.at_ms,
                });
            }
        }
        full.push(s);
    }
    full
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseStatus::*;
    use PublicStage as P;

    fn stages(t: &[TrackStep]) -> Vec<(PublicStage, i64)> {
        t.iter().map(|s| (s.stage, s.at_ms)).collect()
    }

    #[test]
    fn the_path_from_report_to_removal_is_dated_by_first_arrival() {
        let t = track(
            100,
            &[
                (100, New),
                (200, InReview),
                (250, InReview),
                (300, NoticeSent),
                (400, Acknowledged),
                (500, RemovalClaimed),
                (600, Removed),
            ],
            Removed,
        );
        assert_eq!(
            stages(&t),
            vec![
                (P::Received, 100),
                (P::InReview, 200),
                (P::ActionRequested, 300),
                (P::Removed, 600)
            ]
        );
    }

    #[test]
    fn a_report_joining_a_case_in_progress_is_dated_from_itself() {
        let t = track(
            1_000,
            &[(10, New), (20, InReview), (30, NoticeSent)],
            NoticeSent,
        );
        assert_eq!(
            stages(&t),
            vec![
                (P::Received, 1_000),
                (P::InReview, 1_000),
                (P::ActionRequested, 1_000)
            ]
        );
    }

    #[test]
    fn a_reopened_case_drops_the_end_it_left() {
        let t = track(
            0,
            &[
                (1, InReview),
                (2, NoticeSent),
                (3, Removed),
                (4, StillOnline),
            ],
            StillOnline,
        );
        assert_eq!(
            stages(&t),
            vec![(P::Received, 0), (P::InReview, 1), (P::ActionRequested, 2)]
        );
        // Back to review from an end: the later stages go; review keeps its first date.
        let t = track(0, &[(1, InReview), (2, Rejected), (3, InReview)], InReview);
        assert_eq!(stages(&t), vec![(P::Received, 0), (P::InReview, 1)]);
    }

    #[test]
    fn a_rejection_ends_without_action_and_skipped_stages_are_filled() {
        let t = track(0, &[(5, Rejected)], Rejected);
        assert_eq!(
            stages(&t),
            vec![(P::Received, 0), (P::InReview, 5), (P::NoAction, 5)]
        );
        // Missing events: the current status still shows, dated at the last known step; a
        // removal shows the stages it needed.
        let t = track(7, &[], Removed);
        assert_eq!(
            stages(&t),
            vec![
                (P::Received, 7),
                (P::InReview, 7),
                (P::ActionRequested, 7),
                (P::Removed, 7)
            ]
        );
        let t = track(7, &[], Closed);
        assert_eq!(stages(&t), vec![(P::Received, 7), (P::Closed, 7)]);
    }

    #[test]
    fn the_api_words_stay() {
        for s in CaseStatus::ALL {
            let p = PublicStage::of(*s);
            assert!(
                [
                    "received",
                    "in_review",
                    "action_in_progress",
                    "removed",
                    "no_action",
                    "closed"
                ]
                .contains(&p.as_str())
            );
        }
        assert_eq!(PublicStage::of(Disputed).as_str(), "action_in_progress");
    }
}
