-- A referral is addressed to a police unit (the unit police users belong to); one without a
-- unit (made before units, or by a caller that named none) is open to every police user.
-- The police's questions about a referral, each answered once by the team.
ALTER TABLE referrals ADD COLUMN unit TEXT;
CREATE INDEX referrals_unit ON referrals (unit, id);

CREATE TABLE referral_questions (
    id           INTEGER PRIMARY KEY,
    referral_id  BIGINT  NOT NULL REFERENCES referrals(id),
    asked_by     TEXT    NOT NULL,           -- audit actor of the police user
    question     TEXT    NOT NULL,
    asked_at     BIGINT  NOT NULL,
    answer       TEXT,
    answered_by  TEXT,                       -- audit actor of the team member
    answered_at  BIGINT
);
CREATE INDEX referral_questions_referral ON referral_questions (referral_id, id);
CREATE INDEX referral_questions_open ON referral_questions (id) WHERE answered_at IS NULL;
