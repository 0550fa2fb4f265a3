//! From a validated report to what linking needs of it: pure feature extraction, run on the
//! request thread (or by `ronda import`) before the write transaction that links the account.

use ronda_core::report::{LinkInput, ValidReport};
use ronda_core::target::Target;

use crate::FeatureExtractor;

/// What linking needs from a report about an account, computed before the write transaction
/// (on the request thread): identifiers, shingles and signature of its text and bio, the
/// display name's key. `None` for a URL target or a report with neither text nor profile.
pub fn link_input(extractor: &FeatureExtractor, report: &ValidReport) -> Option<LinkInput> {
    if !matches!(report.target, Target::Account { .. })
        || (report.text.is_none() && report.profile.is_none())
    {
        return None;
    }
    let profile = report.profile.as_ref();
    let name = profile
        .and_then(|p| p.display_name.as_deref())
        .unwrap_or("");
    let bio = profile.and_then(|p| p.bio.as_deref()).unwrap_or("");
    let posts: &[&str] = match &report.text {
        Some(t) => &[t.as_str()],
        None => &[],
    };
    let f = extractor.features(name, bio, posts, None);
    Some(LinkInput {
        identifiers: f
            .identifiers
            .iter()
            .map(|i| (i.signal.as_str(), i.value.clone()))
            .collect(),
        shingles: f.shingles,
        signature: f.signature,
        name_key: f.name_key,
    })
}
