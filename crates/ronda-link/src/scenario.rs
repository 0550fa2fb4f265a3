//! A seeded synthetic scenario: offenders who re-create accounts, and benign look-alikes.
//!
//! Pure and deterministic (same [`ScenarioConfig`] → same accounts). Everything is invented:
//! word lists are written here (adult-solicitation slang of the domain notes, shop phrases),
//! phone and account numbers are random, avatars are random 256-bit PDQ hashes. Ages never
//! appear.
//!
//! Actors with several accounts, one kind each:
//! - **phone chain**: account *i* shows phone *i* and phone *i − 1* (numbers rotate), new
//!   wording and avatar each time;
//! - **bank only**: every account has its own phone, wording and avatar; only the bank account
//!   for the down payment stays;
//! - **template + avatar**: no identifier in common; the same ad lightly edited and a slightly
//!   edited avatar;
//! - **template + name**: the same ad lightly edited and a similar display name, new avatar;
//! - **handle**: a Telegram handle, an e-mail or an e-wallet stays.
//!
//! Singletons: one-account offenders, and benign shops that share generic phrases
//! (`Open order, bisa COD, DM ya`), common names and stock avatars with strangers, some listing
//! a public hotline number that many unrelated accounts show (a hub).
//!
//! Statuses: in a multi-account actor the older accounts are mostly taken down and the newest
//! active; the truth of "re-creation" is: active and the true actor holds a taken-down account.

use ronda_media::PdqHash;

use crate::hash::mix64;
use crate::linker::Status;

/// Knobs of the generator.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioConfig {
    /// Approximate number of accounts.
    pub accounts: usize,
    pub seed: u64,
    /// Share of accounts that belong to multi-account actors.
    pub offender_share: f64,
    /// Accounts per multi-account actor: uniform in this range.
    pub actor_size: (usize, usize),
    /// Relative weights of the actor kinds: phone chain, bank only, template + avatar,
    /// template + name, handle.
    pub kind_weights: [u32; 5],
    /// Share of the remaining accounts that are benign shops (the rest: one-account offenders).
    pub benign_share: f64,
    /// Number of distinct public hotline numbers shared by benign accounts.
    pub hotlines: usize,
    /// Probability per word of an edit when an ad is reused.
    pub edit_rate: f64,
}

impl Default for ScenarioConfig {
    fn default() -> ScenarioConfig {
        ScenarioConfig {
            accounts: 3000,
            seed: 1,
            offender_share: 0.5,
            actor_size: (2, 6),
            kind_weights: [3, 2, 3, 2, 2],
            benign_share: 0.7,
            hotlines: 2,
            edit_rate: 0.08,
        }
    }
}

impl ScenarioConfig {
    /// A harder mix than the default: more template-only actors, bigger actors, heavier
    /// edits, more hotlines.
    pub fn content_heavy(accounts: usize, seed: u64) -> ScenarioConfig {
        ScenarioConfig {
            accounts,
            seed,
            offender_share: 0.6,
            actor_size: (2, 9),
            kind_weights: [1, 1, 4, 3, 1],
            benign_share: 0.8,
            hotlines: 4,
            edit_rate: 0.12,
        }
    }
}

/// One generated account with its true actor.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioAccount {
    pub account: String,
    pub platform: String,
    pub handle: String,
    pub display_name: String,
    pub bio: String,
    pub posts: Vec<String>,
    pub avatar: Option<PdqHash>,
    pub status: Status,
    /// The true actor (`t1`, `t2`, …).
    pub actor: String,
}

/// A small deterministic generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(mix64(seed ^ 0x5343_454e_4152_494f))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix64(self.0)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 11) % n.max(1) as u64) as usize
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    /// One word of a list.
    pub fn word(&mut self, xs: &[&'static str]) -> &'static str {
        xs[self.below(xs.len())]
    }
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
    fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i + 1);
            xs.swap(i, j);
        }
    }
}

const PLATFORMS: &[&str] = &[
    "michat",
    "whatsapp",
    "facebook",
    "x",
    "telegram",
    "instagram",
];
const NICKS: &[&str] = &[
    "rina", "sisca", "dewi", "mely", "tasya", "vina", "cindy", "nadia", "intan", "putri", "sari",
    "jessi", "angel", "bella", "citra", "dinda", "eka", "fanny", "gita", "hana", "ira", "julia",
    "kiki", "lala", "maya", "nina", "olla", "pipit", "queen", "rara", "siska", "tari", "ulfa",
    "vera", "winda", "yuni", "zahra", "amel", "bunga", "caca", "desi", "elsa", "febby", "gaby",
    "helen", "indah", "jenny", "karin", "lidya", "mira",
];
const NICK_SUFFIX: &[&str] = &[
    "manja",
    "imut",
    "cantik",
    "sexy",
    "real",
    "bispak",
    "vip",
    "hot",
    "sweet",
    "baru",
    "only",
    "ready",
    "exclusive",
    "premium",
    "cute",
    "binal",
    "nakal",
    "mulus",
    "tante",
    "mami",
];
const CITIES: &[&str] = &[
    "jogja",
    "jakarta",
    "surabaya",
    "bandung",
    "semarang",
    "medan",
    "makassar",
    "bali",
    "malang",
    "solo",
    "bekasi",
    "depok",
    "tangerang",
    "bogor",
    "batam",
    "pekanbaru",
    "palembang",
    "balikpapan",
    "samarinda",
    "pontianak",
    "manado",
    "kupang",
    "mataram",
    "cirebon",
    "tegal",
    "purwokerto",
    "kediri",
    "jember",
    "madiun",
    "serang",
];
const SLANG: &[&str] = &[
    "open",
    "bo",
    "avail",
    "ready",
    "st",
    "lt",
    "include",
    "exclude",
    "room",
    "inc",
    "exc",
    "dp",
    "cod",
    "vcs",
    "bispak",
    "bisyar",
    "real",
    "pict",
    "no",
    "tipu",
    "trusted",
    "slot",
    "testi",
    "pap",
    "rate",
    "tarif",
    "full",
    "service",
    "fs",
    "hj",
    "bj",
    "nego",
    "tipis",
    "langsung",
    "chat",
    "wa",
    "aja",
    "ya",
    "kak",
    "malam",
    "ini",
    "siang",
    "sore",
    "hotel",
    "apartemen",
    "kost",
    "area",
    "sekitar",
    "bisa",
    "ke",
    "tempat",
    "jam",
    "sampai",
    "pagi",
    "minat",
    "serius",
    "only",
    "fast",
    "respon",
    "booking",
    "sekarang",
    "terbatas",
    "hari",
    "besok",
    "pijat",
    "plus",
    "esek",
    "wisata",
    "om",
    "kakak",
    "sayang",
    "dijamin",
    "puas",
    "ramah",
    "bersih",
    "wangi",
    "ori",
    "foto",
    "asli",
    "bukan",
    "penipu",
    "langganan",
    "baru",
    "lama",
    "promo",
    "diskon",
    "weekend",
    "weekday",
    "free",
    "kondom",
    "sabun",
    "mandi",
    "bareng",
    "manja",
    "paket",
    "hemat",
    "jangan",
    "ghosting",
    "langsung",
    "gas",
    "dm",
    "inbox",
    "japri",
    "sms",
    "call",
    "video",
    "durasi",
    "menit",
    "crot",
    "keluar",
    "tanpa",
    "batas",
    "cepat",
    "lambat",
];
const SHOP_PHRASES: &[&str] = &[
    "Open order, bisa COD, DM ya",
    "Ready stock kak, langsung kirim hari ini",
    "Open PO minggu ini, DP 50% dulu",
    "Bisa COD area kota, ongkir murah",
    "Harga bersahabat, kualitas terjamin",
    "Terima pesanan untuk acara dan hampers",
    "Pengiriman ke seluruh Indonesia",
    "Fast respon jam kerja, slow respon malam",
    "Cek katalog di highlight ya kak",
    "Order sebelum jam 3 sore dikirim hari ini",
    "Reseller dan dropship welcome",
    "Garansi uang kembali kalau barang rusak",
    "Follow untuk info promo terbaru",
    "Testimoni pelanggan di highlight",
    "Sedia juga untuk pesanan partai besar",
];
const PRODUCTS: &[&str] = &[
    "brownies",
    "nastar",
    "kastengel",
    "kue kering",
    "bolu pandan",
    "keripik pedas",
    "sambal",
    "rendang",
    "frozen food",
    "dimsum",
    "baju anak",
    "gamis",
    "hijab",
    "mukena",
    "sepatu",
    "tas wanita",
    "dompet",
    "skincare",
    "parfum",
    "lipstik",
    "masker",
    "kaos polos",
    "kemeja",
    "celana jeans",
    "jaket",
    "sandal",
    "tanaman hias",
    "pot bunga",
    "madu murni",
    "kopi bubuk",
    "teh herbal",
    "beras organik",
    "telur ayam",
    "sayur segar",
    "buah potong",
    "jus",
    "es kopi",
    "seblak",
    "basreng",
    "cireng",
    "pulsa",
    "token listrik",
    "voucher game",
    "casing hp",
    "charger",
    "earphone",
    "lampu hias",
    "bantal",
    "sprei",
    "handuk",
    "mainan anak",
    "buku",
    "alat tulis",
    "jam tangan",
    "kacamata",
    "aksesoris",
    "boneka",
    "kerajinan",
    "batik",
    "sabun",
];
const SHOP_NAMES: &[&str] = &[
    "Toko Berkah",
    "Olshop Murah",
    "Dapur Bunda",
    "Rumah Kue",
    "Grosir Jaya",
    "Kios Barokah",
    "Toko Sejahtera",
    "Olshop Amanah",
    "Warung Mama",
    "Butik Cantik",
    "Toko Makmur",
    "Rezeki Shop",
    "Sumber Rejeki",
    "Toko Lancar",
    "Hijab Store",
    "Kedai Kopi",
    "Snack Corner",
    "Toko Mandiri",
    "Cahaya Shop",
    "Toko Abadi",
];
const WALLETS: &[&str] = &["dana", "ovo", "gopay", "shopeepay", "linkaja"];
const BANKS: &[(&str, usize)] = &[("BCA", 10), ("BNI", 10), ("Mandiri", 13), ("BRI", 15)];
const EMOJI: &[&str] = &["💋", "🔥", "✨", "💕", "😘", ""];
const STOCK_AVATARS: usize = 8;

fn random_hash(rng: &mut Rng) -> PdqHash {
    PdqHash([
        rng.next_u64(),
        rng.next_u64(),
        rng.next_u64(),
        rng.next_u64(),
    ])
}

/// Flips `bits` distinct random bits.
fn perturb(rng: &mut Rng, h: PdqHash, bits: usize) -> PdqHash {
    let mut out = h;
    let mut flipped = Vec::with_capacity(bits);
    while flipped.len() < bits {
        let b = rng.below(256);
        if !flipped.contains(&b) {
            flipped.push(b);
            out.0[b / 64] ^= 1u64 << (b % 64);
        }
    }
    out
}

fn phone(rng: &mut Rng) -> String {
    format!("081{}{}", rng.range(1, 9), rng.digits(8))
}

/// A phone number written one of several ways, as posters do.
fn show_phone(rng: &mut Rng, p: &str) -> String {
    let rest = &p[1..];
    match rng.below(5) {
        0 => format!("WA {p}"),
        1 => format!("wa.me/62{rest}"),
        2 => format!("WA +62 {} {} {}", &rest[..3], &rest[3..7], &rest[7..]),
        3 => format!("hub {}-{}-{}", &p[..4], &p[4..8], &p[8..]),
        _ => format!("WA 62{rest}"),
    }
}

/// A new ad: ~14 slang words in an order of its own, a nickname, a city and a price.
fn ad_template(rng: &mut Rng, nick: &str) -> Vec<String> {
    let n = rng.range(12, 18);
    let mut words: Vec<String> = (0..n).map(|_| rng.pick(SLANG).to_string()).collect();
    let city = rng.pick(CITIES);
    words.insert(
        rng.below(words.len()),
        format!("#{}{}", rng.pick(&["open", "avail", "bo"]), city),
    );
    words.insert(rng.below(words.len()), nick.to_string());
    words.insert(
        rng.below(words.len()),
        format!("{}k", 150 + 50 * rng.below(12)),
    );
    words
}

/// The ad reused: each word replaced or dropped with probability `rate`.
fn edit(rng: &mut Rng, words: &[String], rate: f64) -> String {
    let mut out: Vec<String> = Vec::with_capacity(words.len() + 2);
    for w in words {
        if rng.chance(rate) {
            if rng.chance(0.5) {
                out.push(rng.pick(SLANG).to_string());
            }
        } else {
            out.push(w.clone());
        }
    }
    out.join(" ")
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    PhoneChain,
    BankOnly,
    TemplateAvatar,
    TemplateName,
    Handle,
}

struct Builder {
    rng: Rng,
    out: Vec<ScenarioAccount>,
    next_actor: usize,
    serial: usize,
    stock: Vec<PdqHash>,
    hotlines: Vec<String>,
}

impl Builder {
    fn account(&mut self, handle_base: &str) -> (String, String, String) {
        self.serial += 1;
        let platform = self.rng.pick(PLATFORMS).to_string();
        let handle = format!("{handle_base}{}", self.serial);
        (format!("{platform}:{handle}"), platform, handle)
    }

    fn nick_name(&mut self) -> (String, String) {
        let nick = self.rng.pick(NICKS).to_string();
        let name = format!(
            "{} {} {}",
            capitalise(&nick),
            capitalise(self.rng.word(NICK_SUFFIX)),
            self.rng.pick(EMOJI)
        );
        (nick, name.trim().to_string())
    }

    fn offender_actor(&mut self, kind: Kind, size: usize, edit_rate: f64) {
        let rng = &mut self.rng;
        let actor = format!("t{}", self.next_actor);
        self.next_actor += 1;
        let nick = rng.pick(NICKS).to_string();
        let base_name = format!(
            "{} {}",
            capitalise(&nick),
            capitalise(rng.word(NICK_SUFFIX))
        );
        let template = ad_template(rng, &nick);
        let base_avatar = random_hash(rng);
        let phones: Vec<String> = (0..=size).map(|_| phone(rng)).collect();
        let (bank, bank_len) = *rng.pick(BANKS);
        let bank_no = rng.digits(bank_len);
        let handle_kind = rng.below(3);
        let tg = format!("@{nick}_{}{}", rng.pick(CITIES), rng.digits(2));
        let email = format!("{nick}{}@gmail.com", rng.digits(3));
        let wallet = format!("{} {}", rng.pick(WALLETS).to_uppercase(), phone(rng));
        // The newest account stays active; older ones are mostly taken down.
        for i in 0..size {
            let rng = &mut self.rng;
            let own_ad = ad_template(rng, &nick);
            let (display_name, ad, avatar) = match kind {
                Kind::TemplateAvatar => (
                    format!(
                        "{} {}",
                        capitalise(rng.word(NICKS)),
                        capitalise(rng.word(NICK_SUFFIX))
                    ),
                    template.clone(),
                    {
                        let bits = rng.range(0, 12);
                        Some(perturb(rng, base_avatar, bits))
                    },
                ),
                Kind::TemplateName => (
                    format!("{base_name}{}", ["", " 2", "a", " baru", "_"][rng.below(5)]),
                    template.clone(),
                    Some(random_hash(rng)),
                ),
                _ => (
                    format!(
                        "{} {}",
                        capitalise(rng.word(NICKS)),
                        capitalise(rng.word(NICK_SUFFIX))
                    ),
                    own_ad,
                    if rng.chance(0.8) {
                        Some(random_hash(rng))
                    } else {
                        None
                    },
                ),
            };
            let mut contact = Vec::new();
            match kind {
                Kind::PhoneChain => {
                    contact.push(show_phone(rng, &phones[i + 1]));
                    if i > 0 {
                        contact.push(show_phone(rng, &phones[i]));
                    }
                }
                Kind::BankOnly => {
                    contact.push(show_phone(rng, &phones[i]));
                    contact.push(format!("DP dulu ke {bank} {bank_no}"));
                }
                Kind::TemplateAvatar | Kind::TemplateName => {
                    contact.push(show_phone(rng, &phones[i]));
                }
                Kind::Handle => {
                    contact.push(show_phone(rng, &phones[i]));
                    contact.push(match handle_kind {
                        0 => format!("tele {tg}"),
                        1 => format!("email {email}"),
                        _ => format!("tf {wallet}"),
                    });
                }
            }
            let n_posts = rng.range(1, 3);
            let posts: Vec<String> = (0..n_posts)
                .map(|_| {
                    let text = edit(rng, &ad, edit_rate);
                    if rng.chance(0.5) {
                        format!("{text} {}", rng.pick(&contact))
                    } else {
                        text
                    }
                })
                .collect();
            let bio = format!("{} {}", contact.join(", "), rng.pick(EMOJI));
            let status = if i + 1 < size && rng.chance(0.8) {
                Status::TakenDown
            } else {
                Status::Active
            };
            let (account, platform, handle) = self.account(&nick);
            self.out.push(ScenarioAccount {
                account,
                platform,
                handle,
                display_name,
                bio,
                posts,
                avatar,
                status,
                actor: actor.clone(),
            });
        }
    }

    fn lone_offender(&mut self, edit_rate: f64) {
        let (nick, display_name) = self.nick_name();
        let rng = &mut self.rng;
        let ad = ad_template(rng, &nick);
        let p = phone(rng);
        let contact = show_phone(rng, &p);
        let posts = (0..rng.range(1, 3))
            .map(|_| edit(rng, &ad, edit_rate))
            .collect();
        let avatar = rng.chance(0.8).then(|| random_hash(rng));
        let status = if rng.chance(0.3) {
            Status::TakenDown
        } else {
            Status::Active
        };
        let actor = format!("t{}", self.next_actor);
        self.next_actor += 1;
        let (account, platform, handle) = self.account(&nick);
        self.out.push(ScenarioAccount {
            account,
            platform,
            handle,
            display_name,
            bio: contact,
            posts,
            avatar,
            status,
            actor,
        });
    }

    fn shop(&mut self) {
        let rng = &mut self.rng;
        let name = rng.pick(SHOP_NAMES).to_string();
        let phrases: Vec<&str> = (0..rng.range(2, 4))
            .map(|_| *rng.pick(SHOP_PHRASES))
            .collect();
        let products: Vec<&str> = (0..rng.range(2, 4)).map(|_| *rng.pick(PRODUCTS)).collect();
        let contact = if !self.hotlines.is_empty() && rng.chance(0.1) {
            format!(
                "Info resmi: {}",
                self.hotlines[rng.below(self.hotlines.len())]
            )
        } else {
            {
                let p = phone(rng);
                show_phone(rng, &p)
            }
        };
        let bio = format!("{name}. {} {contact}", phrases[0]);
        let posts = (0..rng.range(1, 3))
            .map(|k| {
                format!(
                    "{} {}. {}",
                    products.join(", "),
                    rng.pick(&["ready", "tersedia", "baru datang", "promo"]),
                    phrases[k.min(phrases.len() - 1)]
                )
            })
            .collect();
        let avatar = if rng.chance(0.5) {
            let s = self.stock[rng.below(self.stock.len())];
            let bits = rng.range(0, 4);
            Some(perturb(rng, s, bits))
        } else if rng.chance(0.8) {
            Some(random_hash(rng))
        } else {
            None
        };
        let status = if rng.chance(0.02) {
            Status::TakenDown
        } else {
            Status::Active
        };
        let actor = format!("t{}", self.next_actor);
        self.next_actor += 1;
        let base = name.to_lowercase().replace(' ', "");
        let (account, platform, handle) = self.account(&base);
        self.out.push(ScenarioAccount {
            account,
            platform,
            handle,
            display_name: name,
            bio,
            posts,
            avatar,
            status,
            actor,
        });
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Generates a scenario, accounts in a shuffled order.
pub fn generate(cfg: &ScenarioConfig) -> Vec<ScenarioAccount> {
    let mut rng = Rng::new(cfg.seed);
    let stock = (0..STOCK_AVATARS).map(|_| random_hash(&mut rng)).collect();
    let hotlines = (0..cfg.hotlines)
        .map(|_| format!("0811{}", rng.digits(7)))
        .collect();
    let mut b = Builder {
        rng,
        out: Vec::with_capacity(cfg.accounts),
        next_actor: 1,
        serial: 0,
        stock,
        hotlines,
    };
    let kinds = [
        Kind::PhoneChain,
        Kind::BankOnly,
        Kind::TemplateAvatar,
        Kind::TemplateName,
        Kind::Handle,
    ];
    let total_w: u32 = cfg.kind_weights.iter().sum::<u32>().max(1);
    let offenders = (cfg.accounts as f64 * cfg.offender_share) as usize;
    while b.out.len() < offenders {
        let mut r = b.rng.below(total_w as usize) as u32;
        let mut kind = kinds[0];
        for (k, &w) in kinds.iter().zip(&cfg.kind_weights) {
            if r < w {
                kind = *k;
                break;
            }
            r -= w;
        }
        let (lo, hi) = cfg.actor_size;
        let size = b.rng.range(lo.max(2), hi.max(lo.max(2)));
        b.offender_actor(kind, size, cfg.edit_rate);
    }
    while b.out.len() < cfg.accounts {
        if b.rng.chance(cfg.benign_share) {
            b.shop();
        } else {
            b.lone_offender(cfg.edit_rate);
        }
    }
    let mut out = b.out;
    let mut rng = b.rng;
    rng.shuffle(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_sized() {
        let cfg = ScenarioConfig {
            accounts: 500,
            ..ScenarioConfig::default()
        };
        let a = generate(&cfg);
        assert_eq!(a, generate(&cfg));
        assert!(a.len() >= 500 && a.len() < 520);
        let names: std::collections::HashSet<&str> = a.iter().map(|x| x.account.as_str()).collect();
        assert_eq!(names.len(), a.len(), "account names are unique");
        assert!(a.iter().any(|x| x.status == Status::TakenDown));
        let other = generate(&ScenarioConfig { seed: 2, ..cfg });
        assert_ne!(a, other);
    }
}
