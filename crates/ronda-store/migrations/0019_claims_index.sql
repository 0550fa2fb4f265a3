-- Who holds what: live claims are looked up by holder (the console's "who is online").
CREATE INDEX cases_claimed ON cases (claimed_by, claim_expires_at) WHERE claimed_by IS NOT NULL;
