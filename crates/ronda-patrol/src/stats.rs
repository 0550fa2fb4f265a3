//! What a patrol run did: the counts each part adds up and the metrics record.

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunStats {
    pub fetched: u64,
    pub not_modified: u64,
    pub reported: u64,
    pub robots_refused: u64,
    pub errors: u64,
    pub enqueued: u64,
    /// Jobs dropped because their URL was already fetched in their round (JetStream mode).
    pub skipped: u64,
    /// Claimed removals the patrol's re-check verified, and found still online.
    pub removals_verified: u64,
    pub still_online: u64,
    /// Images hashed, images that could not be (refused, too large, not an image), and images
    /// a hash bank matched.
    pub images_hashed: u64,
    pub images_failed: u64,
    pub images_matched: u64,
}

impl std::ops::AddAssign for RunStats {
    fn add_assign(&mut self, o: RunStats) {
        self.fetched += o.fetched;
        self.not_modified += o.not_modified;
        self.reported += o.reported;
        self.robots_refused += o.robots_refused;
        self.errors += o.errors;
        self.enqueued += o.enqueued;
        self.skipped += o.skipped;
        self.removals_verified += o.removals_verified;
        self.still_online += o.still_online;
        self.images_hashed += o.images_hashed;
        self.images_failed += o.images_failed;
        self.images_matched += o.images_matched;
    }
}
