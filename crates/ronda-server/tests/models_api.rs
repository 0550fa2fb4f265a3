//! Detection models over the API, on both backends: a model registered in the store goes into
//! the shadow (it reads reports beside the model in use and changes no case), then into use on
//! this instance at once and on a second instance on the same database within its poll; each
//! case records the model that scored it; rollbacks go back, then refuse; audited.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

mod common;

use common::*;
use reqwest::StatusCode;
use ronda_detect::train::{TrainConfig, train};
use ronda_detect::{Category, RuleSet};
use serde_json::json;

/// A small model that knows "teh manis anget" as an offer (and tea as tea).
fn tea_model() -> Vec<u8> {
    let mut ex = Vec::new();
    for i in 0..60 {
        ex.push((
            format!("mau teh manis anget {i}? japri"),
            Category::Prostitution,
        ));
        ex.push((
            format!("minum teh hangat di warung nomor {i}"),
            Category::Clear,
        ));
        ex.push((format!("jual kaos polos ukuran {i}"), Category::Clear));
    }
    let cfg = TrainConfig {
        bits: 14,
        ..TrainConfig::default()
    };
    train(&ex, &RuleSet::default_rules().unwrap(), &cfg)
        .unwrap()
        .0
        .to_bytes()
}

async fn detection(app: &TestApp, case: i64) -> serde_json::Value {
    let (s, v) = app.get(Some(&app.admin), &format!("/cases/{case}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["detection"].clone()
}

api_tests! {
    async fn a_model_goes_into_the_shadow_then_into_use_everywhere_and_back(app) {
        let store = app.state.store.clone();
        let id = store
            .register_model("cli:test".into(), tea_model(), json!({"from_store": true}).to_string(), json!({}).to_string())
            .await
            .unwrap();
        let beside = app.spawn_beside(|c| c.detection_poll_ms = 50).await;
        let (s, v) = app.get(Some(&app.admin), "/models").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!((v[0]["id"].as_i64(), v[0]["active"].as_bool()), (Some(id), Some(false)), "{v}");

        // In the shadow: read, not used.
        let (s, v) = app.post(Some(&app.admin), &format!("/models/{id}/shadow"), &json!({})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let c1 = app.patrol_report("tea_1", "mau teh manis anget? japri").await;
        let d = detection(&app, c1).await;
        assert_eq!(d["verdict"], "clear", "the shadow changes nothing: {d}");
        let (_, m) = app.get(Some(&app.admin), &format!("/models/{id}")).await;
        assert_eq!((m["in_shadow"].as_bool(), m["shadow"]["reports"].as_u64()), (Some(true), Some(1)), "{m}");
        assert_eq!(m["shadow"]["differ"][0]["shadow"]["outcome"], "prostitution", "{m}");
        let req = app.client.delete(format!("{}/models/shadow", app.base)).bearer_auth(&app.admin);
        assert_eq!(req.send().await.unwrap().status(), StatusCode::OK);

        // In use: here at once, on the other instance within its poll.
        let (s, v) = app.post(Some(&app.admin), &format!("/models/{id}/activate"), &json!({})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!((v["from"].clone(), v["to"].as_i64()), (serde_json::Value::Null, Some(id)));
        let (s, _) = app.post(Some(&app.admin), &format!("/models/{id}/activate"), &json!({})).await;
        assert_eq!(s, StatusCode::CONFLICT, "already in use");
        let c2 = app.patrol_report("tea_2", "mau teh manis anget? japri").await;
        let d = detection(&app, c2).await;
        assert_eq!((d["verdict"].as_str(), d["category"].as_str()), (Some("violation"), Some("prostitution")), "{d}");
        assert_eq!(d["model"], format!("registry:{id}"), "the case says which model scored it: {d}");
        assert!(d["features"].as_array().is_some_and(|f| !f.is_empty()), "and what weighed most: {d}");
        let mut seen = false;
        for _ in 0..100 {
            let c = beside.patrol_report(&format!("tea_b{}", rand_suffix()), "mau teh manis anget? japri").await;
            if detection(&beside, c).await["category"] == "prostitution" {
                seen = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(seen, "the second instance follows the activation");

        let (s, v) = app.post(Some(&app.admin), "/models/rollback", &json!({})).await;
        assert_eq!((s, v["to"].clone()), (StatusCode::OK, serde_json::Value::Null), "{v}");
        let c3 = app.patrol_report("tea_3", "mau teh manis anget? japri").await;
        assert_eq!(detection(&app, c3).await["verdict"], "clear", "the configured model is back");
        let (s, v) = app.post(Some(&app.admin), "/models/rollback", &json!({})).await;
        assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")), "{v}");
        let (s, _) = app.post(Some(&app.admin), "/models/999999/activate", &json!({})).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let actions = app.audit_actions(&format!("detection_model:{id}")).await;
        assert_eq!(
            actions,
            ["detection_model.registered", "detection_model.shadowed", "detection_model.unshadowed", "detection_model.activated"],
        );
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}
