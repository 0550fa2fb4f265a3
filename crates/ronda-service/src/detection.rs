//! The detection engine inside the service: loaded from the configured rule and model files (or
//! the built-in ones) and the model registry in the store, swapped whole on reload (admin
//! endpoint, SIGHUP, an activation) so that a bad file never replaces a working engine, and
//! turned into what intake stores.

use std::sync::{Arc, RwLock};

use ronda_core::model::{Category, Priority, Source};
use ronda_core::report::{Detection, ValidReport};
use ronda_detect::{Analysis, Engine, Model, PolicyConfig, Reading, RuleSet};
use ronda_link::{FeatureExtractor, LinkConfig};
use serde::Serialize;
use serde_json::{Value, json};

use ronda_store::Store;

use crate::config::Config;

/// The engine in use; cheap to read from many request threads at once. Also computes what
/// account linking needs from a report (`ronda-link` features), on the same thread.
#[derive(Debug)]
pub struct Detector {
    engine: RwLock<Arc<Loaded>>,
    /// A model scoring every report beside the one in use, without affecting it (`ronda models
    /// shadow`): its reading goes into the report's detection JSON as `shadow`.
    shadow: RwLock<Option<Arc<Loaded>>>,
    features: FeatureExtractor,
}

/// Features behind a non-clear verdict kept with each detection (`features`: name and
/// contribution to the top category's logit, strongest first).
const EXPLAIN_FEATURES: usize = 5;

/// An engine and the name of the model it runs, which every detection records (`model` in the
/// case's and the report's detection JSON): `registry:<id>`, `file`, or `builtin`.
#[derive(Debug)]
struct Loaded {
    engine: Engine,
    model: String,
}

/// Builds an engine from the configuration's files (or the built-in rules and model), with a
/// registered model (its id and file) instead of the configured one when given; the engine and
/// the model's name.
pub fn load_engine_with(
    config: &Config,
    registered: Option<(i64, &[u8])>,
) -> Result<(Engine, String), String> {
    let rules = match &config.detect_rules_file {
        Some(path) => {
            let src = std::fs::read_to_string(path)
                .map_err(|e| format!("reading rules {}: {e}", path.display()))?;
            RuleSet::from_toml(&src).map_err(|e| format!("rules {}: {e}", path.display()))?
        }
        None => RuleSet::default_rules().map_err(|e| format!("built-in rules: {e}"))?,
    };
    let (model, name) = match (registered, &config.detect_model_file) {
        (Some((id, bytes)), _) => (
            Model::from_bytes(bytes).map_err(|e| format!("registered model {id}: {e}"))?,
            format!("registry:{id}"),
        ),
        (None, Some(path)) => {
            let bytes = std::fs::read(path)
                .map_err(|e| format!("reading model {}: {e}", path.display()))?;
            (
                Model::from_bytes(&bytes).map_err(|e| format!("model {}: {e}", path.display()))?,
                "file".to_string(),
            )
        }
        (None, None) => (
            Model::from_bytes(ronda_detect::engine::DEFAULT_MODEL)
                .map_err(|e| format!("built-in model: {e}"))?,
            "builtin".to_string(),
        ),
    };
    Ok((Engine::new(rules, model, PolicyConfig::default()), name))
}

/// The engine in use on this database: the configured rules with the registered model in use
/// (`ronda models activate`), else the configured or built-in model; and the model's name.
/// Blocking (it reads the store).
pub fn engine_in_use(config: &Config, store: &Store) -> Result<(Engine, String), String> {
    let registered = store.active_model().map_err(|e| e.to_string())?;
    load_engine_with(
        config,
        registered.as_ref().map(|(id, b)| (*id, b.as_slice())),
    )
}

impl Detector {
    /// A detector running `engine`, whose model is called `model` (see [`Loaded`]).
    pub fn new(engine: Engine, model: String, link: &LinkConfig) -> Self {
        Self {
            engine: RwLock::new(Arc::new(Loaded { engine, model })),
            shadow: RwLock::new(None),
            features: FeatureExtractor::new(link),
        }
    }

    /// A detector from the configuration alone (the registered models are read by
    /// [`Detector::refresh`]).
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let (engine, model) = load_engine_with(config, None)?;
        Ok(Self::new(engine, model, &config.link_config()))
    }

    /// Re-reads the configured rules and model, with the registered model in use (if one was
    /// activated) and the model in the shadow (if any). Both are built before either is
    /// swapped in: on any error the engines in use stay and the error is returned. Blocking.
    pub fn refresh(&self, config: &Config, store: &Store) -> Result<(), String> {
        let (engine, model) = engine_in_use(config, store)?;
        let shadow = match store.shadow_model().map_err(|e| e.to_string())? {
            Some((s, bytes)) => {
                let (engine, model) = load_engine_with(config, Some((s.model_id, &bytes)))?;
                Some(Arc::new(Loaded { engine, model }))
            }
            None => None,
        };
        *self
            .engine
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Arc::new(Loaded { engine, model });
        *self
            .shadow
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = shadow;
        Ok(())
    }

    fn shadow(&self) -> Option<Arc<Loaded>> {
        self.shadow
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The name of the model in use.
    pub fn model(&self) -> String {
        self.current().model.clone()
    }

    fn current(&self) -> Arc<Loaded> {
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
        analyze(&self.current(), text, reading, "text")
    }

    /// Fills what intake stores besides the report itself: the detection of its text and, for
    /// an account target, the linking features of its text and profile. Public and police
    /// reports are read as complaints: the reporter's words about someone else's content.
    /// In a complaint the reporter's own description is read too (it is often all there is):
    /// the report's detection is the stronger of the two readings, with the minor and sexual
    /// signals of both, and each span names the field it points into.
    pub fn read(&self, report: &mut ValidReport) {
        let mut detection = read_with(&self.current(), report);
        if let (Some(d), Some(shadow)) = (detection.as_mut(), self.shadow())
            && let Some(s) = read_with(&shadow, report)
        {
            d.report_json = with_shadow(&d.report_json, &shadow.model, &s);
        }
        report.detection = detection;
        report.link = ronda_link::input::link_input(&self.features, report);
    }
}

/// One reading of a text by one engine, with the features behind a non-clear verdict.
fn analyze(l: &Loaded, text: &str, reading: Reading, field: &str) -> Detection {
    let a = l.engine.analyze_explained(text, reading, EXPLAIN_FEATURES);
    to_detection_of(&a, field, &l.model)
}

/// A report's detection by one engine (see [`Detector::read`]).
fn read_with(l: &Loaded, report: &ValidReport) -> Option<Detection> {
    let reading = reading_for(report.source);
    let text = report
        .text
        .as_deref()
        .map(|t| analyze(l, t, reading, "text"));
    let description = match reading {
        Reading::Complaint => report
            .description
            .as_deref()
            .map(|d| analyze(l, d, reading, "description")),
        Reading::Post => None,
    };
    match (text, description) {
        (Some(t), Some(d)) => Some(merge(t, d)),
        (t, d) => t.or(d),
    }
}

/// The report's detection JSON with the shadow model's reading beside it.
fn with_shadow(report_json: &str, model: &str, s: &Detection) -> String {
    let mut v: Value = serde_json::from_str(report_json).unwrap_or_else(|_| json!({}));
    v["shadow"] = json!({"model": model, "verdict": s.verdict,
        "category": s.category.map(|c| c.as_str()), "score": s.score});
    v.to_string()
}

impl Detector {}

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

/// Two readings of one report (its text and its description) as one detection: the stronger
/// (by priority, then score) with the signals, identifiers and spans of both. Rare (a public or
/// police report with both), so it re-reads the JSON it merges.
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
    let mut details: Value = serde_json::from_str(&base.details_json).unwrap_or_else(|_| json!({}));
    details["minor"] = json!(base.minor);
    details["sexual"] = json!(base.sexual);
    base.details_json = details.to_string();
    let mut record: Value = serde_json::from_str(&base.report_json).unwrap_or_else(|_| json!({}));
    let other_record: Value =
        serde_json::from_str(&other.report_json).unwrap_or_else(|_| json!({}));
    if let (Some(spans), Some(more)) = (
        record["spans"].as_array_mut(),
        other_record["spans"].as_array(),
    ) {
        spans.extend(more.iter().cloned());
    }
    record["minor"] = json!(base.minor);
    record["sexual"] = json!(base.sexual);
    base.report_json = record.to_string();
    base
}

#[derive(Serialize)]
struct Scores {
    prostitution: f32,
    pornography: f32,
    gambling: f32,
}

/// What the case keeps of its strongest reading (`cases.detect_json`).
#[derive(Serialize)]
struct CaseDetails<'a> {
    /// Which model scored it (`registry:<id>`, `file`, `builtin`).
    model: &'a str,
    /// The strongest features behind a non-clear verdict: name and contribution.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    features: &'a [(String, f32)],
    reading: &'static str,
    scores: Scores,
    rules: Vec<&'a str>,
    ages: &'a [u8],
    minor: bool,
    sexual: bool,
}

/// Where a span lies: a byte range of one field of the report.
#[derive(Serialize)]
struct At<'a> {
    field: &'a str,
    start: usize,
    end: usize,
}

/// One highlighted span: a rule's hit, an identifier, or a mention of a minor.
#[derive(Serialize)]
struct Span<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identifier: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    minor: bool,
    at: At<'a>,
}

/// What each report keeps of its own reading (`reports.detect_json`).
#[derive(Serialize)]
struct ReportRecord<'a> {
    verdict: &'static str,
    category: Option<Category>,
    score: f64,
    priority: Priority,
    #[serde(flatten)]
    details: &'a CaseDetails<'a>,
    spans: Vec<Span<'a>>,
}

/// What intake keeps of an analysis of one field of a report: the case's compact details, and
/// the report's own record with the spans an analyst sees highlighted (byte ranges `[start,
/// end)` of that field, per rule, identifier and minor mention). Serialised here, on the
/// request thread, never inside the write transaction.
pub fn to_detection_of(a: &Analysis, field: &str, model: &str) -> Detection {
    let at = |r: &std::ops::Range<usize>| At {
        field,
        start: r.start,
        end: r.end,
    };
    let details = CaseDetails {
        model,
        features: &a.features,
        reading: match a.reading {
            Reading::Post => "post",
            Reading::Complaint => "complaint",
        },
        scores: Scores {
            prostitution: a.scores[0],
            pornography: a.scores[1],
            gambling: a.scores[2],
        },
        rules: a.rules.iter().map(|r| r.id.as_str()).collect(),
        ages: &a.ages,
        minor: a.minor,
        sexual: a.sexual,
    };
    let spans = a
        .rules
        .iter()
        .map(|r| Span {
            rule: Some(&r.id),
            category: Some(&r.category),
            identifier: None,
            value: None,
            minor: false,
            at: at(&r.span),
        })
        .chain(
            a.identifiers
                .iter()
                .filter(|i| i.span.end > i.span.start)
                .map(|i| Span {
                    rule: None,
                    category: None,
                    identifier: Some(i.kind.as_str()),
                    value: Some(&i.value),
                    minor: false,
                    at: at(&i.span),
                }),
        )
        .chain(a.minor_mentions.iter().map(|m| Span {
            rule: None,
            category: None,
            identifier: None,
            value: None,
            minor: true,
            at: at(m),
        }))
        .collect();
    let verdict = a.verdict.as_str();
    let category = a.category.and_then(category);
    let score = f64::from(a.score);
    let priority = priority(a.priority);
    let record = ReportRecord {
        verdict,
        category,
        score,
        priority,
        details: &details,
        spans,
    };
    Detection {
        verdict,
        category,
        score,
        priority,
        details_json: serde_json::to_string(&details).unwrap_or_else(|_| "{}".into()),
        report_json: serde_json::to_string(&record).unwrap_or_else(|_| "{}".into()),
        identifiers: a
            .identifiers
            .iter()
            .map(|i| (i.kind.as_str(), i.value.clone()))
            .collect(),
        minor: a.minor,
        sexual: a.sexual,
    }
}
