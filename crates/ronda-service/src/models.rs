//! Detection models from the team's decisions, as every edge shows them (`ronda models`, the
//! API): how a model in the shadow compared with the one in use.

use serde_json::{Value, json};

/// The differing reports listed.
pub const SHOWN_DIFFERENCES: usize = 50;

/// What a reading came to: the category of a non-clear verdict, else clear.
fn outcome(v: &Value) -> String {
    match (v["verdict"].as_str(), v["category"].as_str()) {
        (Some("clear") | None, _) | (_, None) => "clear".into(),
        (_, Some(c)) => c.into(),
    }
}

/// How often the shadow agreed with the model in use (same outcome), and the reports where it
/// did not (at most [`SHOWN_DIFFERENCES`], newest first).
pub fn agreement(readings: &[ronda_store::models::ShadowReading]) -> Value {
    let mut agree = 0usize;
    let mut differ = Vec::new();
    for r in readings {
        let v: Value = serde_json::from_str(&r.detect_json).unwrap_or_default();
        let (active, shadow) = (outcome(&v), outcome(&v["shadow"]));
        if active == shadow {
            agree += 1;
        } else if differ.len() < SHOWN_DIFFERENCES {
            differ.push(json!({
                "report_id": r.report_id, "case_id": r.case_id,
                "in_use": {"model": v["details"]["model"], "outcome": active, "score": v["score"]},
                "shadow": {"outcome": shadow, "score": v["shadow"]["score"]},
            }));
        }
    }
    let n = readings.len();
    #[allow(clippy::cast_precision_loss, reason = "a ratio for people")]
    let rate = (n > 0).then(|| agree as f64 / n as f64);
    json!({"reports": n, "agree": agree, "agreement": rate, "differ": differ})
}

#[cfg(test)]
mod tests {
    use super::*;
    use ronda_store::models::ShadowReading;

    fn reading(
        id: i64,
        active: (&str, Option<&str>),
        shadow: (&str, Option<&str>),
    ) -> ShadowReading {
        ShadowReading {
            report_id: id,
            case_id: id * 10,
            detect_json: json!({"verdict": active.0, "category": active.1, "score": 0.5,
                "details": {"model": "builtin"},
                "shadow": {"model": "registry:3", "verdict": shadow.0, "category": shadow.1, "score": 0.9}})
            .to_string(),
        }
    }

    #[test]
    fn agreement_compares_outcomes_and_lists_the_differences() {
        let r = [
            reading(1, ("clear", None), ("violation", Some("prostitution"))),
            reading(
                2,
                ("review", Some("gambling")),
                ("violation", Some("gambling")),
            ),
            reading(3, ("clear", None), ("clear", None)),
            reading(
                4,
                ("review", Some("gambling")),
                ("review", Some("prostitution")),
            ),
        ];
        let a = agreement(&r);
        assert_eq!(
            (a["reports"].as_u64(), a["agree"].as_u64()),
            (Some(4), Some(2))
        );
        assert_eq!(a["agreement"].as_f64(), Some(0.5));
        let ids: Vec<i64> = a["differ"]
            .as_array()
            .unwrap_or(&Vec::new())
            .iter()
            .filter_map(|d| d["report_id"].as_i64())
            .collect();
        assert_eq!(ids, [1, 4]);
        assert_eq!(a["differ"][0]["in_use"]["outcome"], "clear");
        assert_eq!(a["differ"][0]["shadow"]["outcome"], "prostitution");
        assert_eq!(agreement(&[])["agreement"], Value::Null);
    }
}
