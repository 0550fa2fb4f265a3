//! The detection engine inside the service: loaded from the configured rule and model files (or
//! the built-in ones), swapped whole on reload (admin endpoint, SIGHUP) so that a bad file never
//! replaces a working engine, and turned into what intake stores.

use std::sync::{Arc, RwLock};

use ronda_core::model::{Category, Priority, Source};
use ronda_core::report::{Detection, ValidReport};
use ronda_detect::{Analysis, Engine, Model, PolicyConfig, Reading, RuleSet};
use ronda_link::{FeatureExtractor, LinkConfig};
use serde_json::json;

use crate::config::Config;

/// The engine in use; cheap to read from many request threads at once. Also computes what
/// account linking needs from a report (`ronda-link` features), on the same thread.
#[derive(Debug)]
pub struct Detector {
    engine: RwLock<Arc<Engine>>,
    features: FeatureExtractor,
}

/// Builds an engine from the configuration's files, or the built-in rules and model.
pub fn load_engine(config: &Config) -> Result<Engine, String> {
    let rules = match &config.detect_rules_file {
        Some(path) => {
            let src = std::fs::read_to_string(path)
                .map_err(|e| format!("reading rules {}: {e}", path.display()))?;
            RuleSet::from_toml(&src).map_err(|e| format!("rules {}: {e}", path.display()))?
        }
        None => RuleSet::default_rules().map_err(|e| format!("built-in rules: {e}"))?,
    };
    let model = match &config.detect_model_file {
        Some(path) => {
            let bytes = std::fs::read(path)
                .map_err(|e| format!("reading model {}: {e}", path.display()))?;
            Model::from_bytes(&bytes).map_err(|e| format!("model {}: {e}", path.display()))?
        }
        None => Model::from_bytes(ronda_detect::engine::DEFAULT_MODEL)
            .map_err(|e| format!("built-in model: {e}"))?,
    };
    Ok(Engine::new(rules, model, PolicyConfig::default()))
}

impl Detector {
    pub fn new(engine: Engine, link: &LinkConfig) -> Self {
        Self {
            engine: RwLock::new(Arc::new(engine)),
            features: FeatureExtractor::new(link),
        }
    }

    /// Loads new rules and model; on error the engine in use stays and the error is returned.
    pub fn reload(&self, config: &Config) -> Result<(), String> {
        let fresh = Arc::new(load_engine(config)?);
        *self
            .engine
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        Ok(())
    }

    fn current(&self) -> Arc<Engine> {
        self.engine
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Reads a text as a post (patrol and platform reports: the content itself).
    pub fn detect(&self, text: &str) -> Detection {
        self.detect_as(text, Reading::Post)
    }

    /// Reads a text as a post or as a complaint.
    pub fn detect_as(&self, text: &str, reading: Reading) -> Detection {
        to_detection(&self.current().analyze_as(text, reading))
    }

    /// Fills what intake stores besides the report itself: the detection of its text and, for
    /// an account target, the linking features of its text and profile. Public and police
    /// reports are read as complaints: the reporter's words about someone else's content.
    /// In a complaint the reporter's own description is read too (it is often all there is):
    /// the report's detection is the stronger of the two readings, with the minor and sexual
    /// signals of both, and each span names the field it points into.
    pub fn read(&self, report: &mut ValidReport) {
        let reading = reading_for(report.source);
        let engine = self.current();
        let text = report
            .text
            .as_deref()
            .map(|t| to_detection_of(&engine.analyze_as(t, reading), "text"));
        let description = match reading {
            Reading::Complaint => report
                .description
                .as_deref()
                .map(|d| to_detection_of(&engine.analyze_as(d, reading), "description")),
            Reading::Post => None,
        };
        report.detection = match (text, description) {
            (Some(t), Some(d)) => Some(merge(t, d)),
            (t, d) => t.or(d),
        };
        report.link = ronda_store::linking::link_input(&self.features, report);
    }
}

/// How a report's text is read: a public or police report is a complaint.
pub fn reading_for(source: Source) -> Reading {
    match source {
        Source::Public | Source::Police => Reading::Complaint,
        Source::Patrol | Source::Platform => Reading::Post,
    }
}

fn category(c: ronda_detect::Category) -> Option<Category> {
    match c {
        ronda_detect::Category::Prostitution => Some(Category::Prostitution),
        ronda_detect::Category::Pornography => Some(Category::Pornography),
        ronda_detect::Category::Gambling => Some(Category::Gambling),
        ronda_detect::Category::Clear => None,
    }
}

fn priority(p: ronda_detect::Priority) -> Priority {
    match p {
        ronda_detect::Priority::Urgent => Priority::Urgent,
        ronda_detect::Priority::High => Priority::High,
        ronda_detect::Priority::Normal => Priority::Normal,
        ronda_detect::Priority::Low => Priority::Low,
    }
}

/// What intake keeps of an analysis of a report's `text`.
pub fn to_detection(a: &Analysis) -> Detection {
    to_detection_of(a, "text")
}

/// Two readings of one report (its text and its description) as one detection: the stronger
/// (by priority, then score) with the signals, identifiers and spans of both.
fn merge(a: Detection, b: Detection) -> Detection {
    let (mut base, other) = if (b.priority, b.score) > (a.priority, a.score) {
        (b, a)
    } else {
        (a, b)
    };
    base.minor |= other.minor;
    base.sexual |= other.sexual;
    for id in other.identifiers {
        if !base.identifiers.contains(&id) {
            base.identifiers.push(id);
        }
    }
    let mut details: serde_json::Value =
        serde_json::from_str(&base.details_json).unwrap_or_else(|_| json!({}));
    let other_details: serde_json::Value =
        serde_json::from_str(&other.details_json).unwrap_or_else(|_| json!({}));
    if let (Some(spans), Some(more)) = (
        details["spans"].as_array_mut(),
        other_details["spans"].as_array(),
    ) {
        spans.extend(more.iter().cloned());
    }
    details["minor"] = json!(base.minor);
    details["sexual"] = json!(base.sexual);
    base.details_json = details.to_string();
    base
}

/// What intake keeps of an analysis of one field of a report. The details carry the spans an
/// analyst sees highlighted: byte ranges (`[start, end)`) of that field, per rule, identifier
/// and minor mention.
pub fn to_detection_of(a: &Analysis, field: &str) -> Detection {
    let span = |r: &std::ops::Range<usize>| json!({"field": field, "start": r.start, "end": r.end});
    let details = json!({
        "reading": match a.reading {
            Reading::Post => "post",
            Reading::Complaint => "complaint",
        },
        "scores": {
            "prostitution": a.scores[0],
            "pornography": a.scores[1],
            "gambling": a.scores[2],
        },
        "rules": a.rules.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        "spans": a.rules.iter().map(|r| json!({"rule": r.id, "category": r.category, "at": span(&r.span)}))
            .chain(a.identifiers.iter().filter(|i| i.span.end > i.span.start)
                .map(|i| json!({"identifier": i.kind.as_str(), "value": i.value, "at": span(&i.span)})))
            .chain(a.minor_mentions.iter().map(|m| json!({"minor": true, "at": span(m)})))
            .collect::<Vec<_>>(),
        "ages": a.ages,
        "minor": a.minor,
        "sexual": a.sexual,
    });
    Detection {
        verdict: a.verdict.as_str(),
        category: a.category.and_then(category),
        score: f64::from(a.score),
        priority: priority(a.priority),
        details_json: details.to_string(),
        identifiers: a
            .identifiers
            .iter()
            .map(|i| (i.kind.as_str(), i.value.clone()))
            .collect(),
        minor: a.minor,
        sexual: a.sexual,
    }
}
