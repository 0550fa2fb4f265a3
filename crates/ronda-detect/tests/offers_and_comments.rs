//! Implicit offers and gambling comment spam, read as posts. Six hand-written sets, never
//! trained on: `offers_dev.jsonl` and `gambling_dev.jsonl`, which the offer and brand rules were
//! written against, and `offers.jsonl` and `gambling_comments.jsonl`, written after those rules
//! were frozen; then `offers_dev2.jsonl` (look-alikes priced by the hour, everyday company), which
//! the second round of rules and generator were written against — after which `offers.jsonl`
//! counts as seen — and `offers2.jsonl`, written and committed before that round and scored once
//! after it (see `data/README.md`). Each holds the offers or the
//! spam and as many hard negatives (hotels, kos, massage shops, tutors and drivers priced by the
//! hour, raids in the news; anti-gambling talk, jokes about a jackpot, products with model
//! numbers). The floors are today's figures: a change that loses recall or precision here fails.

use ronda_detect::{Engine, Verdict};
use serde_json::Value;

const OFFERS_DEV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/heldout/offers_dev.jsonl"
));
const OFFERS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/heldout/offers.jsonl"
));
const OFFERS_DEV2: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/heldout/offers_dev2.jsonl"
));
const OFFERS2: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/heldout/offers2.jsonl"
));
const GAMBLING_DEV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/heldout/gambling_dev.jsonl"
));
const GAMBLING: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/heldout/gambling_comments.jsonl"
));

/// (true positives, predicted positives, actual positives) for `label`.
fn counts(engine: &Engine, set: &str, label: &str) -> (usize, usize, usize) {
    let (mut tp, mut pred, mut actual) = (0, 0, 0);
    for l in set.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(l).expect("a JSON line");
        let text = v["text"].as_str().expect("text");
        let a = engine.analyze(text);
        let got = match (a.verdict, a.category) {
            (Verdict::Clear, _) | (_, None) => "clear",
            (_, Some(c)) => c.as_str(),
        };
        let want = v["label"].as_str().expect("label");
        tp += usize::from(got == label && want == label);
        pred += usize::from(got == label);
        actual += usize::from(want == label);
    }
    (tp, pred, actual)
}

#[test]
fn implicit_offers_are_caught_and_hourly_trades_are_not() {
    let engine = Engine::with_defaults().expect("default engine");
    let (tp, pred, actual) = counts(&engine, OFFERS_DEV, "prostitution");
    assert_eq!((tp, pred, actual), (12, 12, 12), "the development set");
    // 11 of 12 offers, no false alarm (the film invitation and the futsal court it once
    // flagged are the kind of look-alike the second development set was written about).
    let (tp, pred, actual) = counts(&engine, OFFERS, "prostitution");
    assert!(tp >= 11 && actual == 12, "recall {tp}/{actual}");
    assert!(pred == tp, "false alarms {}", pred - tp);
    let (tp, pred, actual) = counts(&engine, OFFERS_DEV2, "prostitution");
    assert_eq!(
        (tp, pred, actual),
        (20, 20, 20),
        "the second development set"
    );
    // Held out: 17 of 18 offers ("terima panggilan siang … hotel bintang 3", no company word);
    // 1 of 32 look-alikes flagged (a jogging invitation "1 jam aja").
    let (tp, pred, actual) = counts(&engine, OFFERS2, "prostitution");
    assert!(tp >= 17 && actual == 18, "recall {tp}/{actual}");
    assert!(pred - tp <= 1, "false alarms {}", pred - tp);
}

#[test]
fn gambling_comment_spam_is_caught_and_talk_about_gambling_is_not() {
    let engine = Engine::with_defaults().expect("default engine");
    let (tp, pred, actual) = counts(&engine, GAMBLING_DEV, "gambling");
    assert_eq!((tp, pred, actual), (12, 12, 12), "the development set");
    // Held out: every one of 12 spam comments; 1 of 12 negatives flagged (a warning that
    // names the bandar).
    let (tp, pred, actual) = counts(&engine, GAMBLING, "gambling");
    assert!(tp == 12 && actual == 12, "recall {tp}/{actual}");
    assert!(pred - tp <= 1, "false alarms {}", pred - tp);
}

#[test]
fn the_issue_examples_read_as_the_issue_says() {
    let engine = Engine::with_defaults().expect("default engine");
    for text in [
        "Sungguh luar biasa! 𝑴𝑨𝑾𝑨𝑹𝟓𝟐𝟏 bikin ketagihan",
        "main di P͓̽A͓̽N͓̽T͓̽A͓̽I͓̽9͓̽9͓̽9͓̽, cuan terus",
        "KEREN P A N T A I 9 9 9 … UDAH DI KASIH WD",
        "member baru langsung di kasih WD",
        "Jeipe gede",
    ] {
        let a = engine.analyze(text);
        assert!(
            a.verdict != Verdict::Clear && a.category.map(|c| c.as_str()) == Some("gambling"),
            "{text}: {:?} {:?}",
            a.verdict,
            a.category
        );
    }
    for text in [
        "STOP JUDOL SDM RENDAH",
        "wkwk jackpot banget hari ini dapet diskon 50% di supermarket",
    ] {
        assert_eq!(engine.analyze(text).verdict, Verdict::Clear, "{text}");
    }
    for text in [
        "menerima tamu, 1 jam 350k, konfirmasi ke 0812 3456 7890",
        "pijat ++ panggilan ke hotel, extra bisa nego, wa aja",
    ] {
        let a = engine.analyze(text);
        assert!(
            a.verdict != Verdict::Clear && a.category.map(|c| c.as_str()) == Some("prostitution"),
            "{text}"
        );
    }
}
