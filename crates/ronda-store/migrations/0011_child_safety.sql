-- Child safety (see ronda-core triage.rs): the first sign that made a case a child-safety case
-- (bank_match, confirmation, police_report, claim, minor_signal). While it is set the case is
-- urgent and its category child_exploitation; nothing lowers it.
ALTER TABLE cases ADD COLUMN child_safety TEXT;
-- What detection read in each report's own text (verdict, category, spans), for analysts.
ALTER TABLE reports ADD COLUMN detect_json TEXT;
-- One name for the bank category: child_exploitation (child_abuse_known stays an alias on input).
UPDATE hash_banks SET category = 'child_exploitation' WHERE category = 'child_abuse_known';
-- Open cases that already carry a sign are brought under the rule: a match against a child
-- exploitation bank, or the category child_exploitation (claimed, reported or confirmed).
UPDATE cases SET child_safety = 'bank_match', priority = 3, category = 'child_exploitation'
 WHERE is_open = 1 AND id IN (SELECT m.case_id FROM media_matches m JOIN hash_banks b ON b.id = m.bank_id
                              WHERE b.category = 'child_exploitation');
UPDATE cases SET child_safety = 'claim', priority = 3
 WHERE is_open = 1 AND child_safety IS NULL AND category = 'child_exploitation';
-- Disputes: how the ministry resolved a platform's dispute of a notice (upheld: the order
-- stands and its ladder resumes; withdrawn: the notice is withdrawn and the case closed), why, when.
ALTER TABLE notices ADD COLUMN dispute_resolution TEXT;
ALTER TABLE notices ADD COLUMN dispute_reason TEXT;
ALTER TABLE notices ADD COLUMN dispute_resolved_at BIGINT;
