//! Behaviour of the linker on small hand-made cases.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]

use ronda_link::{FeatureExtractor, Features, LinkConfig, Linker, Signal, Status};
use ronda_media::PdqHash;

fn fx() -> FeatureExtractor {
    FeatureExtractor::new(&LinkConfig::default())
}

fn acc(name: &str, bio: &str, posts: &[&str], avatar: Option<PdqHash>) -> Features {
    fx().features(name, bio, posts, avatar)
}

fn hash(seed: u64) -> PdqHash {
    let mut s = seed;
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        s ^ (s >> 29)
    };
    PdqHash([next(), next(), next(), next()])
}

fn flip(h: PdqHash, bits: &[usize]) -> PdqHash {
    let mut o = h;
    for &b in bits {
        o.0[b / 64] ^= 1 << (b % 64);
    }
    o
}

const AD: &str = "avail malam ini st lt include room hotel area seturan fast respon no tipu real pict \
                  langganan dijamin puas";

fn signals(l: &Linker, a: u32) -> Vec<&'static str> {
    let mut v: Vec<&str> = l
        .evidence(a)
        .flat_map(|(_, ev)| ev.iter().map(|e| e.signal.as_str()))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

#[test]
fn bank_account_alone_links_and_flags_the_recreation() {
    let mut l = Linker::new(LinkConfig::default());
    let a = l.add(
        Status::TakenDown,
        acc(
            "Sisca",
            "WA 081211112222, DP ke BCA 1234567890",
            &["open bo jogja"],
            None,
        ),
    );
    let b = l.add(
        Status::Active,
        acc(
            "Mely Baru",
            "WA 085733334444 transfer bca 1234567890",
            &["tarif 300k"],
            None,
        ),
    );
    assert_eq!(a.actor, b.actor);
    assert_eq!(b.links.len(), 1);
    let ev = &b.links[0].1;
    assert_eq!(ev[0].signal, Signal::Bank);
    assert_eq!(ev[0].value, "bca:1234567890");
    assert_eq!(l.recreation_of(b.account), vec![a.account]);
    assert!(
        l.recreation_of(a.account).is_empty(),
        "a taken-down account is not a re-creation"
    );
}

#[test]
fn template_and_avatar_together_link_but_either_alone_does_not() {
    let base = hash(1);
    let mut l = Linker::new(LinkConfig::default());
    let a = l.add(Status::TakenDown, acc("Rina", "", &[AD], Some(base)));
    // Same ad, slightly edited avatar, other name, no identifier: two weak signals.
    let b = l.add(
        Status::Active,
        acc(
            "Dewi Cantik",
            "",
            &[AD],
            Some(flip(base, &[3, 70, 140, 200])),
        ),
    );
    assert_eq!(a.actor, b.actor);
    assert_eq!(signals(&l, b.account), vec!["avatar", "text"]);
    assert_eq!(l.recreation_of(b.account), vec![a.account]);
    // The same ad with an unrelated avatar: one weak signal only.
    let c = l.add(Status::Active, acc("Putri Imut", "", &[AD], Some(hash(2))));
    assert_ne!(c.actor, a.actor);
    assert!(c.links.is_empty());
    // The same avatar with unrelated text: one weak signal only.
    let d = l.add(
        Status::Active,
        acc(
            "Gita",
            "",
            &["jual kue kering lebaran enak renyah"],
            Some(base),
        ),
    );
    assert_ne!(d.actor, a.actor);
    assert!(l.recreation_of(c.account).is_empty());
    assert!(l.recreation_of(d.account).is_empty());
}

#[test]
fn template_and_similar_name_link() {
    let mut l = Linker::new(LinkConfig::default());
    let a = l.add(Status::TakenDown, acc("Rina Manja 💋", "", &[AD], None));
    let b = l.add(Status::Active, acc("rina_manja22", "", &[AD], None));
    assert_eq!(a.actor, b.actor);
    assert_eq!(signals(&l, b.account), vec!["name", "text"]);
}

#[test]
fn a_hub_number_links_nobody_and_is_reported() {
    let cfg = LinkConfig {
        hub_max: 5,
        ..LinkConfig::default()
    };
    let fx = FeatureExtractor::new(&cfg);
    let shops = [
        ("Dapur Bunda", "brownies coklat lumer"),
        ("Grosir Jaya", "beras premium karungan"),
        ("Kios Barokah", "pulsa token listrik"),
        ("Butik Cantik", "gamis syari terbaru"),
        ("Rumah Kue", "nastar keju wisman"),
        ("Hijab Store", "pashmina ceruti babydoll"),
        ("Kedai Kopi", "kopi susu gula aren"),
        ("Snack Corner", "basreng pedas daun jeruk"),
        ("Toko Lancar", "sepatu sekolah hitam"),
        ("Cahaya Shop", "lampu hias tumblr"),
        ("Toko Abadi", "panci presto anti lengket"),
        ("Warung Mama", "sambal cumi asin"),
    ];
    let feats: Vec<Features> = shops
        .iter()
        .map(|(name, goods)| {
            fx.features::<&str>(
                name,
                &format!("Pengaduan resmi 081100001111. {goods}"),
                &[],
                None,
            )
        })
        .collect();
    let mut l = Linker::new(cfg);
    for f in &feats {
        l.prime(f);
    }
    let actors: Vec<u64> = feats
        .into_iter()
        .map(|f| l.add(Status::Active, f).actor)
        .collect();
    let mut distinct = actors.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), 12, "nobody linked through the hotline");
    let hubs = l.hubs();
    assert_eq!(hubs.len(), 1);
    assert_eq!(hubs[0].signal, Signal::Phone);
    assert_eq!(hubs[0].value, "+6281100001111");
    assert_eq!(hubs[0].accounts, 12);
}

#[test]
fn a_hub_found_incrementally_stops_linking_once_it_crosses_the_limit() {
    let cfg = LinkConfig {
        hub_max: 3,
        ..LinkConfig::default()
    };
    let mut l = Linker::new(cfg.clone());
    let fx = FeatureExtractor::new(&cfg);
    let mut actors = Vec::new();
    for i in 0..6 {
        let f = fx.features::<&str>("", &format!("CS 081100001111 toko {i}"), &[], None);
        actors.push(l.add(Status::Active, f).actor);
    }
    // The first three linked before the number was known to be a hub; later ones did not.
    assert_eq!(actors[0], actors[2]);
    assert_ne!(actors[3], actors[0]);
    assert_ne!(actors[4], actors[3]);
    assert_eq!(l.hubs()[0].accounts, 6);
}

#[test]
fn generic_shop_phrases_common_names_and_stock_avatars_do_not_link() {
    let stock = hash(9);
    let cfg = LinkConfig::default();
    let fx = FeatureExtractor::new(&cfg);
    let products = [
        "brownies", "nastar", "gamis", "hijab", "sepatu", "parfum", "kopi", "madu", "sambal",
        "keripik", "dimsum", "boneka",
    ];
    let feats: Vec<Features> = (0..60)
        .map(|i| {
            fx.features(
                "Toko Berkah",
                "Open order, bisa COD, DM ya. Ready stock kak, langsung kirim hari ini",
                &[format!(
                    "{} ready. Open order, bisa COD, DM ya",
                    products[i % products.len()]
                )],
                Some(flip(stock, &[i % 256])),
            )
        })
        .collect();
    let mut l = Linker::new(cfg);
    for f in &feats {
        l.prime(f);
    }
    for f in feats {
        let added = l.add(Status::Active, f);
        assert!(
            added.links.is_empty(),
            "shop {} linked: {:?}",
            added.account,
            added.links
        );
    }
    assert_eq!(l.link_count(), 0);
}

#[test]
fn merges_keep_the_older_actor_id_and_are_logged() {
    let mut l = Linker::new(LinkConfig::default());
    let a = l.add(Status::Active, acc("", "WA 081211112222", &[], None));
    let b = l.add(Status::Active, acc("", "tele @rina_jogja", &[], None));
    assert_ne!(a.actor, b.actor);
    let c = l.add(
        Status::Active,
        acc("", "WA 081211112222 atau tele @rina_jogja", &[], None),
    );
    assert_eq!(c.actor, a.actor.min(b.actor));
    assert_eq!(c.merges.len(), 1);
    assert_eq!(c.merges[0].survivor, a.actor);
    assert_eq!(c.merges[0].absorbed, b.actor);
    assert_eq!(l.actor(b.account), Some(a.actor));
    assert_eq!(l.merges(), c.merges.as_slice());
    // Status changes after the fact move the re-creation flag.
    l.set_status(a.account, Status::TakenDown);
    assert_eq!(l.recreation_of(c.account), vec![a.account]);
    l.set_status(a.account, Status::Active);
    assert!(l.recreation_of(c.account).is_empty());
}
