//! The domain vocabulary: closed sets of values with one stable spelling each, shared by the
//! API, the CLI and the database.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Error for a string that is not one of an enum's spellings; names the allowed ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`; expected one of: {allowed}")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
    pub allowed: &'static str,
}

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The one stable spelling used on the wire and in the database.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        // By hand: the derive does not see the `rename`s this macro writes, and the wire
        // spellings are what the schema must list.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue {
                        kind: $kind,
                        value: s.chars().take(64).collect(),
                        allowed: concat!($($text, " "),+).trim_ascii_end(),
                    }),
                }
            }
        }
    };
}

string_enum!(
    /// Who submitted a report.
    Source, "source" {
        Patrol => "patrol",
        Police => "police",
        Public => "public",
        Platform => "platform",
    }
);

string_enum!(
    /// What kind of prohibited content a report or case is about.
    Category, "category" {
        Prostitution => "prostitution",
        Pornography => "pornography",
        ChildExploitation => "child_exploitation",
        Gambling => "gambling",
        Other => "other",
    }
);

string_enum!(
    /// How soon a case needs a human. Ordered: `Low < Normal < High < Urgent`.
    Priority, "priority" {
        Low => "low",
        Normal => "normal",
        High => "high",
        Urgent => "urgent",
    }
);

string_enum!(
    /// Where a case stands in its life from intake to closure.
    CaseStatus, "status" {
        New => "new",
        InReview => "in_review",
        AwaitingApproval => "awaiting_approval",
        Confirmed => "confirmed",
        Rejected => "rejected",
        NoticeSent => "notice_sent",
        Acknowledged => "acknowledged",
        RemovalClaimed => "removal_claimed",
        Removed => "removed",
        StillOnline => "still_online",
        Escalated => "escalated",
        Disputed => "disputed",
        Closed => "closed",
    }
);

string_enum!(
    /// What an API token may do.
    Role, "role" {
        Admin => "admin",
        Supervisor => "supervisor",
        Analyst => "analyst",
        Police => "police",
        Platform => "platform",
        Intake => "intake",
    }
);

string_enum!(
    /// Where a police referral stands. Forward only: `sent → acknowledged → investigating →
    /// closed`, and the police may skip ahead (acknowledge by starting an investigation, or
    /// close at any point).
    ReferralStatus, "referral status" {
        Sent => "sent",
        Acknowledged => "acknowledged",
        Investigating => "investigating",
        Closed => "closed",
    }
);

impl ReferralStatus {
    /// The statuses a referral in this one may move to.
    pub fn next(self) -> &'static [ReferralStatus] {
        match self {
            ReferralStatus::Sent => &[
                ReferralStatus::Acknowledged,
                ReferralStatus::Investigating,
                ReferralStatus::Closed,
            ],
            ReferralStatus::Acknowledged => {
                &[ReferralStatus::Investigating, ReferralStatus::Closed]
            }
            ReferralStatus::Investigating => &[ReferralStatus::Closed],
            ReferralStatus::Closed => &[],
        }
    }

    /// Whether a referral may move from `self` to `to`.
    pub fn can_move_to(self, to: ReferralStatus) -> bool {
        self.next().contains(&to)
    }
}

impl CaseStatus {
    /// Whether new reports about the same target join this case. A decided or finished case
    /// does not absorb new reports: they open a fresh case.
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            CaseStatus::Rejected | CaseStatus::Removed | CaseStatus::Closed
        )
    }
}

impl Role {
    /// Roles that may read every platform's cases and case details.
    pub fn reads_all_cases(self) -> bool {
        matches!(self, Role::Admin | Role::Supervisor | Role::Analyst)
    }

    /// Roles that may see who reported (names and contacts are confidential): in evidence
    /// bundles and anywhere else they are shown.
    pub fn reads_reporter_identity(self) -> bool {
        matches!(self, Role::Admin | Role::Supervisor)
    }

    /// The only source a token of this role may report as, if it is restricted to one.
    pub fn forced_source(self) -> Option<Source> {
        match self {
            Role::Platform => Some(Source::Platform),
            Role::Police => Some(Source::Police),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip() {
        for s in Source::ALL {
            assert_eq!(s.as_str().parse::<Source>(), Ok(*s));
        }
        for s in CaseStatus::ALL {
            assert_eq!(s.as_str().parse::<CaseStatus>(), Ok(*s));
        }
        assert_eq!(
            serde_json::to_string(&Category::ChildExploitation).unwrap(),
            "\"child_exploitation\""
        );
    }

    #[test]
    fn referrals_only_move_forward() {
        use ReferralStatus::*;
        assert!(Sent.can_move_to(Acknowledged) && Acknowledged.can_move_to(Investigating));
        assert!(Investigating.can_move_to(Closed) && Sent.can_move_to(Closed));
        assert!(!Investigating.can_move_to(Acknowledged) && !Closed.can_move_to(Sent));
        assert!(!Sent.can_move_to(Sent) && Closed.next().is_empty());
        assert_eq!("investigating".parse::<ReferralStatus>(), Ok(Investigating));
    }

    #[test]
    fn unknown_value_names_the_allowed_ones() {
        let e = "crawler".parse::<Source>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown source `crawler`; expected one of: patrol police public platform"
        );
    }

    #[test]
    fn priority_orders() {
        assert!(Priority::Urgent > Priority::High && Priority::High > Priority::Normal);
        assert!(Priority::Normal > Priority::Low);
    }

    #[test]
    fn decided_cases_are_not_open() {
        assert!(CaseStatus::New.is_open());
        assert!(CaseStatus::NoticeSent.is_open());
        assert!(!CaseStatus::Rejected.is_open());
        assert!(!CaseStatus::Closed.is_open());
    }
}
