//! Identifiers that survive an account's re-creation: phones, Telegram handles, bank accounts,
//! e-wallets, e-mail addresses and URLs; plus stated ages.
//!
//! Everything reads the folded text (stage 1 of [`crate::normalize`]) except number words and
//! ages, which read the normalised text. Values are canonical: phones in E.164, Telegram as
//! lower-case `@name`, bank accounts as `bank:digits`, e-wallets as `wallet:+62…`. URLs are
//! lower-cased (the folded text is). NIK identity numbers are never returned; links that are
//! themselves a phone (`wa.me`) or a Telegram handle (`t.me`) are reported as that kind only.

use std::sync::LazyLock;

use regex::Regex;

use crate::phone::{self, PhoneHit, word_spans};

/// Kinds of identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IdKind {
    Phone,
    Telegram,
    BankAccount,
    Ewallet,
    Email,
    Url,
}

impl IdKind {
    /// Wire name (`bank_account`).
    pub fn as_str(self) -> &'static str {
        match self {
            IdKind::Phone => "phone",
            IdKind::Telegram => "telegram",
            IdKind::BankAccount => "bank_account",
            IdKind::Ewallet => "ewallet",
            IdKind::Email => "email",
            IdKind::Url => "url",
        }
    }
}

/// One identifier: kind, canonical value, byte span in the folded text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier {
    pub kind: IdKind,
    pub value: String,
    pub start: usize,
    pub end: usize,
}

/// Bank names and the length of their account numbers (0 = 8 to 16 digits).
const BANKS: &[(&str, usize)] = &[
    ("bca", 10),
    ("bni", 10),
    ("mandiri", 13),
    ("bri", 15),
    ("btn", 16),
    ("bsi", 10),
    ("cimb", 0),
    ("permata", 10),
    ("danamon", 0),
    ("jago", 12),
    ("seabank", 12),
    ("ocbc", 0),
    ("maybank", 0),
    ("panin", 10),
    ("mega", 0),
    ("bjb", 0),
    ("btpn", 0),
    ("jenius", 0),
    ("muamalat", 10),
];

/// E-wallets keyed by a phone number; `shopee pay` and `link aja` are handled as two words.
const WALLETS: &[(&str, &str)] = &[
    ("dana", "dana"),
    ("ovo", "ovo"),
    ("gopay", "gopay"),
    ("shopeepay", "shopeepay"),
    ("spay", "shopeepay"),
    ("linkaja", "linkaja"),
];

/// Words allowed between a bank or wallet name and its number.
const FILLER: &[&str] = &[
    "rek", "rekening", "norek", "no", "nomor", "nmr", "acc", "account", "a", "c", "ac", "ke",
    "via", "tf", "transfer", "di", "an", "ke", "nya", "pay", "aja",
];

/// Digits of consecutive numeric words starting at word `k`, joined across short separators.
fn digits_from(
    text: &str,
    ws: &[(usize, usize)],
    k: usize,
) -> (Vec<(usize, usize, usize)>, String) {
    // (word index, start, end) for each numeric word, and all digits.
    let b = text.as_bytes();
    let mut parts = Vec::new();
    let mut digits = String::new();
    let mut m = k;
    while m < ws.len() {
        let (s, e) = ws[m];
        let w = &text[s..e];
        if !w.bytes().all(|c| c.is_ascii_digit()) {
            break;
        }
        if let Some(&(_, _, pe)) = parts.last() {
            let gap = &b[pe..s];
            if gap.len() > 3 || !gap.iter().all(|&c| matches!(c, b' ' | b'-' | b'.')) {
                break;
            }
        }
        parts.push((m, s, e));
        digits.push_str(w);
        m += 1;
    }
    (parts, digits)
}

/// Bank accounts and e-wallets; returns the spans taken so phones skip bank numbers.
fn banks_and_wallets(text: &str, out: &mut Vec<Identifier>, taken: &mut Vec<(usize, usize)>) {
    let ws = word_spans(text);
    let b = text.as_bytes();
    let mut k = 0;
    while k < ws.len() {
        let w = &text[ws[k].0..ws[k].1];
        let next = ws.get(k + 1).map(|&(s, e)| &text[s..e]);
        let (bank, wallet, mut m) = match (w, next) {
            ("shopee", Some("pay")) => (None, Some("shopeepay"), k + 2),
            ("link", Some("aja")) => (None, Some("linkaja"), k + 2),
            ("go", Some("pay")) => (None, Some("gopay"), k + 2),
            _ => (
                BANKS.iter().find(|(n, _)| *n == w).copied(),
                WALLETS.iter().find(|(n, _)| *n == w).map(|(_, c)| *c),
                k + 1,
            ),
        };
        if bank.is_none() && wallet.is_none() {
            k += 1;
            continue;
        }
        // Skip filler words (`rek`, `no`, `a/n` …) and punctuation.
        let mut fills = 0;
        while m < ws.len() && fills < 4 && FILLER.contains(&&text[ws[m].0..ws[m].1]) {
            m += 1;
            fills += 1;
        }
        if m >= ws.len() {
            break;
        }
        // The gap before the number must be short punctuation, not a sentence.
        let prev_end = ws[m - 1].1;
        let gap = &b[prev_end..ws[m].0];
        if gap.len() > 4 || gap.iter().any(|c| c.is_ascii_alphanumeric()) {
            k += 1;
            continue;
        }
        let (parts, digits) = digits_from(text, &ws, m);
        if parts.is_empty() {
            k += 1;
            continue;
        }
        let start = parts[0].1;
        if let Some((name, len)) = bank {
            // The longest prefix of the numeric words that has the bank's length.
            let mut acc = String::new();
            let mut hit = None;
            for &(_, s, e) in &parts {
                acc.push_str(&text[s..e]);
                let ok = if len == 0 {
                    (8..=16).contains(&acc.len())
                } else {
                    acc.len() == len
                };
                if ok && !phone::looks_like_nik(acc.as_bytes()) {
                    hit = Some((acc.clone(), e));
                }
            }
            if let Some((acc, end)) = hit {
                out.push(Identifier {
                    kind: IdKind::BankAccount,
                    value: format!("{name}:{acc}"),
                    start,
                    end,
                });
                taken.push((start, end));
            }
        } else if let Some(name) = wallet
            && let Some(e164) = phone::to_e164(&digits)
        {
            let end = parts.last().map_or(start, |p| p.2);
            out.push(Identifier {
                kind: IdKind::Ewallet,
                value: format!("{name}:{e164}"),
                start,
                end,
            });
        }
        k = parts.last().map_or(k + 1, |p| p.0 + 1);
    }
}

fn is_handle_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// `t.me/name`, `telegram.me/name`, `@name`, `tele: name`.
fn telegram(text: &str, out: &mut Vec<Identifier>) {
    let b = text.as_bytes();
    let push = |out: &mut Vec<Identifier>, s: usize, e: usize| {
        let name = &text[s..e];
        let n = name.len();
        if (4..=32).contains(&n) && name.as_bytes()[0].is_ascii_alphabetic() {
            out.push(Identifier {
                kind: IdKind::Telegram,
                value: format!("@{name}"),
                start: s,
                end: e,
            });
        }
    };
    for pat in ["t.me/", "telegram.me/", "telegram.dog/"] {
        let mut from = 0;
        while let Some(p) = text[from..].find(pat) {
            let s = from + p + pat.len();
            let boundary = from + p == 0 || !b[from + p - 1].is_ascii_alphanumeric();
            let mut e = s;
            while e < b.len() && is_handle_byte(b[e]) {
                e += 1;
            }
            let name = &text[s..e];
            if boundary && name != "joinchat" && name != "s" && name != "c" {
                push(out, s, e);
            }
            from = e.max(s);
        }
    }
    // `@name` not inside an e-mail address or a link.
    for (p, _) in text.match_indices('@') {
        if p > 0 && (is_handle_byte(b[p - 1]) || matches!(b[p - 1], b'.' | b'/' | b'-')) {
            continue;
        }
        let s = p + 1;
        let mut e = s;
        while e < b.len() && is_handle_byte(b[e]) {
            e += 1;
        }
        if e < b.len() && b[e] == b'.' && b.get(e + 1).is_some_and(u8::is_ascii_alphabetic) {
            continue; // a domain, not a handle
        }
        push(out, s, e);
    }
    // `tele: name`, `telegram : name`, `tg: name`.
    for kw in ["telegram", "tele", "tg"] {
        let mut from = 0;
        while let Some(p) = text[from..].find(kw) {
            let at = from + p;
            let mut s = at + kw.len();
            from = s;
            if at > 0 && b[at - 1].is_ascii_alphanumeric() {
                continue;
            }
            let mut sep = 0;
            let mut colon = false;
            while s < b.len() && matches!(b[s], b' ' | b':' | b'=' | b'-') && sep < 3 {
                colon |= b[s] == b':' || b[s] == b'=';
                s += 1;
                sep += 1;
            }
            if !colon || b.get(s) == Some(&b'@') {
                continue;
            }
            let mut e = s;
            while e < b.len() && is_handle_byte(b[e]) {
                e += 1;
            }
            push(out, s, e);
        }
    }
}

fn email(text: &str, out: &mut Vec<Identifier>) {
    let b = text.as_bytes();
    let local = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-');
    for (p, _) in text.match_indices('@') {
        let mut s = p;
        while s > 0 && local(b[s - 1]) {
            s -= 1;
        }
        let mut e = p + 1;
        while e < b.len() && (b[e].is_ascii_alphanumeric() || matches!(b[e], b'.' | b'-')) {
            e += 1;
        }
        while e > p + 1 && matches!(b[e - 1], b'.' | b'-') {
            e -= 1;
        }
        let dom = &text[p + 1..e];
        let tld_ok = dom.rsplit_once('.').is_some_and(|(h, t)| {
            !h.is_empty() && t.len() >= 2 && t.bytes().all(|c| c.is_ascii_alphabetic())
        });
        if s < p && tld_ok {
            out.push(Identifier {
                kind: IdKind::Email,
                value: text[s..e].to_string(),
                start: s,
                end: e,
            });
        }
    }
}

/// Cheap test before the URL regex: `://`, or a dot between an alphanumeric and a letter.
fn looks_like_link(b: &[u8]) -> bool {
    b.windows(3).any(|w| {
        (w[1] == b'.' && w[0].is_ascii_alphanumeric() && w[2].is_ascii_alphabetic()) || w == b"://"
    })
}

// ASCII word boundaries (`(?-u:\b)`): the folded text is ASCII where a URL can be, and a
// Unicode boundary would send the regex engine off its DFA on every post with an emoji.
static URL_RE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:https?://|www\.)[^\s<>\x22'()\[\]{}]+",
        r"|(?-u:\b)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+",
        r"(?:com|net|org|id|me|ly|io|xyz|site|link|info|biz|top|vip|club|online|live|app|gg|cc|tv",
        r"|asia|co|shop|store|fun|pro|bet|win|click|ws|to|in|my|sg)(?-u:\b)(?:/[^\s<>\x22'()\[\]{}]*)?"
    ))
    .ok()
});

fn urls(text: &str, out: &mut Vec<Identifier>) {
    if !text.contains('.') {
        return;
    }
    let Some(re) = URL_RE.as_ref() else { return };
    let b = text.as_bytes();
    for m in re.find_iter(text) {
        let (s, mut e) = (m.start(), m.end());
        if s > 0 && matches!(b[s - 1], b'@' | b'.' | b'_') {
            continue; // part of an e-mail address or a longer token
        }
        while e > s && matches!(b[e - 1], b'.' | b',' | b'!' | b'?' | b';' | b':') {
            e -= 1;
        }
        let v = &text[s..e];
        let host = v
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_start_matches("www.");
        // Links that are a phone or a handle are reported as that.
        if host.starts_with("wa.me")
            || host.starts_with("api.whatsapp.com")
            || host.starts_with("t.me/")
            || host.starts_with("telegram.me/")
        {
            continue;
        }
        // A bare `x.y` without a path after a number is more likely a price or a decimal.
        if host.bytes().next().is_some_and(|c| c.is_ascii_digit()) && !v.contains("://") {
            continue;
        }
        out.push(Identifier {
            kind: IdKind::Url,
            value: v.to_string(),
            start: s,
            end: e,
        });
    }
}

/// All identifiers in a post. `folded` and `normalized` are the two stages of the normaliser.
pub fn extract(folded: &str, normalized: &str) -> Vec<Identifier> {
    let mut out = Vec::new();
    let mut taken = Vec::new();
    let mut hits: Vec<PhoneHit> = Vec::new();
    // Every account and phone number has at least eight digits (a phone's letters for digits
    // aside): most posts have fewer and skip both scans.
    let digits = folded.bytes().filter(u8::is_ascii_digit).count();
    if digits >= 6 {
        banks_and_wallets(folded, &mut out, &mut taken);
        phone::find_phones(folded, &taken, &mut hits);
    }
    // Numbers in words read the normalised text, whose offsets differ: their span is empty.
    // A written-out number starts with zero (`nol`, `kosong`) or with 62 (`enam dua`).
    if ["nol", "kosong", "ksong", "zero", "nul", "enam dua"]
        .iter()
        .any(|w| normalized.contains(w))
    {
        let mut words = Vec::new();
        phone::find_word_phones(normalized, &mut words);
        for mut h in words {
            if !hits.iter().any(|x| x.e164 == h.e164) {
                h.start = 0;
                h.end = 0;
                hits.push(h);
            }
        }
    }
    for h in hits {
        out.push(Identifier {
            kind: IdKind::Phone,
            value: h.e164,
            start: h.start,
            end: h.end,
        });
    }
    if folded.contains('@')
        || folded.contains("t.me")
        || folded.contains("tele")
        || folded.contains("tg")
    {
        telegram(folded, &mut out);
    }
    if folded.contains('@') {
        email(folded, &mut out);
    }
    if looks_like_link(folded.as_bytes()) {
        urls(folded, &mut out);
    }
    // Stable order (kind, then position) and no duplicate values.
    out.sort_by_key(|i| (i.kind, i.start));
    let mut seen = std::collections::HashSet::new();
    out.retain(|i| seen.insert((i.kind, i.value.clone())));
    out
}

/// Words before a number of years that make it a duration, not an age.
const DURATION_BEFORE: &[&str] = &[
    "selama",
    "sejak",
    "sudah",
    "udah",
    "dalam",
    "dlm",
    "sekitar",
    "tiap",
    "setiap",
    "per",
    "hampir",
    "lebih",
    "kurang",
    "masa",
    "garansi",
    "kontrak",
    "penjara",
    "hukuman",
    "divonis",
    "vonis",
    "tahanan",
    "telah",
    "baru",
    "maksimal",
    "minimal",
    "cicilan",
    "tenor",
    "periode",
    "pengalaman",
    "berpengalaman",
    "menikah",
    "nikah",
    "berdiri",
    "usaha",
    "kerja",
    "bekerja",
    "lama",
    "kuliah",
    "sekolah",
    "tinggal",
    "langganan",
    "member",
    "anggota",
];

/// Words after a number of years that make it a duration or a date, not an age.
const DURATION_AFTER: &[&str] = &[
    "lalu",
    "yang",
    "lagi",
    "terakhir",
    "kerja",
    "pengalaman",
    "berdiri",
    "kemudian",
    "silam",
    "belakangan",
    "penjara",
    "berturut",
    "mendatang",
    "ke",
    "sebelumnya",
    "berjalan",
    "bekerja",
];

/// Stated ages: `umur 24`, `usia: 19 th`, `24 tahun`, `24yo`, `age 30`. Read from normalised text.
pub fn ages(normalized: &str) -> Vec<u8> {
    if !normalized.bytes().any(|c| c.is_ascii_digit())
        || !["umur", "usia", "umr", "age", "tahun", "th", "yo", "y"]
            .iter()
            .any(|k| normalized.contains(k))
    {
        return Vec::new();
    }
    let ws = word_spans(normalized);
    let mut out: Vec<u8> = Vec::new();
    let num = |w: &str| -> Option<u8> {
        if (1..=2).contains(&w.len()) && w.bytes().all(|c| c.is_ascii_digit()) {
            w.parse::<u8>().ok().filter(|&n| n > 0)
        } else {
            None
        }
    };
    for k in 0..ws.len() {
        let w = &normalized[ws[k].0..ws[k].1];
        let word = |i: usize| ws.get(i).map(|&(s, e)| &normalized[s..e]);
        // Keyword first: `umur 24`, `usia: 19`.
        if matches!(
            w,
            "umur" | "usia" | "umurku" | "usiaku" | "umr" | "age" | "usianya" | "umurnya"
        ) && let Some(n) = word(k + 1).and_then(num).or_else(|| {
            word(k + 1)
                .filter(|f| {
                    matches!(
                        *f,
                        "saya"
                            | "aku"
                            | "gue"
                            | "gw"
                            | "ku"
                            | "skrg"
                            | "sekarang"
                            | "baru"
                            | "masih"
                            | "cuma"
                            | "hanya"
                            | "sekitar"
                    )
                })
                .and_then(|_| word(k + 2))
                .and_then(num)
        }) {
            out.push(n);
            continue;
        }
        // Number first: `24 tahun`, `19 th`, `24yo`, `24thn`.
        let (n, unit_at) = if let Some(n) = num(w) {
            (Some(n), Some(k + 1))
        } else {
            let d = w.bytes().take_while(u8::is_ascii_digit).count();
            if (1..=2).contains(&d) && matches!(&w[d..], "yo" | "th" | "thn" | "tahun" | "y") {
                (num(&w[..d]), None)
            } else {
                (None, None)
            }
        };
        let Some(n) = n else { continue };
        let after = match unit_at {
            Some(u) => {
                if !matches!(word(u), Some("tahun" | "thn" | "th" | "yo" | "y")) {
                    continue;
                }
                // `years old` written out
                u + 1
            }
            None => k + 1,
        };
        let before = k.checked_sub(1).and_then(word);
        if before.is_some_and(|b| DURATION_BEFORE.contains(&b) || b == "umur" || b == "usia") {
            continue;
        }
        // Only a word right after (`3 tahun lalu`), not one after a comma.
        let tight = ws.get(after).is_some_and(|&(s, _)| {
            let prev_end = ws[after - 1].1;
            normalized[prev_end..s].bytes().all(|c| c == b' ')
        });
        if tight && word(after).is_some_and(|a| DURATION_AFTER.contains(&a)) {
            continue;
        }
        out.push(n);
    }
    let mut seen = Vec::new();
    out.retain(|n| {
        if seen.contains(n) {
            false
        } else {
            seen.push(*n);
            true
        }
    });
    out
}

/// Words that mention a minor without a number: `di bawah umur`, `belum cukup umur`, a school
/// pupil (`anak SMP`, `siswi SMA`, `kelas 2 SMP`, `masih SD`), `anak kecil`.
static MINOR_RE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?-u:\b)(?:",
        r"(?:di ?)?bawah umur|belum cukup umur|blm cukup umur|belum dewasa|under ?age|",
        r"anak kecil|anak anak|",
        r"(?:anak|siswi|siswa|pelajar|masih|murid|cewek|cewe|cwe|cwek|gadis|abg|adik|dedek) ",
        r"(?:sd|smp|sma|smk|mts|sltp|slta)|",
        r"kelas [0-9]{1,2} (?:sd|smp|sma|smk|mts)|(?:sd|smp|sma|smk) kelas [0-9]{1,2}",
        r")(?-u:\b)"
    ))
    .ok()
});

/// Words before a mention of minors that make it an age gate or a denial, not a mention:
/// `dilarang untuk anak di bawah umur`, `bukan anak SMA`, `no bawah umur`.
const AGE_GATE_BEFORE: &[&str] = &[
    "dilarang", "larangan", "tidak", "tdk", "bukan", "jangan", "tanpa", "kecuali", "gak", "ga",
    "nggak", "ngga", "enggak", "no", "anti", "bkn", "khusus", "selain",
];

/// Mentions of a minor, as byte ranges of the normalised text (see [`MINOR_RE`]); age gates and
/// denials within three words before a mention are not mentions.
pub fn minor_mentions(normalized: &str) -> Vec<(usize, usize)> {
    let Some(re) = MINOR_RE.as_ref() else {
        return Vec::new();
    };
    if ![
        "umur", "anak", "sd", "smp", "sma", "smk", "mts", "slt", "dewasa", "age",
    ]
    .iter()
    .any(|k| normalized.contains(k))
    {
        return Vec::new();
    }
    let ws = word_spans(normalized);
    re.find_iter(normalized)
        .filter(|m| {
            let first = ws.partition_point(|&(_, e)| e <= m.start());
            let from = first.saturating_sub(3);
            !ws[from..first]
                .iter()
                .any(|&(s, e)| AGE_GATE_BEFORE.contains(&&normalized[s..e]))
        })
        .map(|m| (m.start(), m.end()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{fold, normalize_folded};

    #[test]
    fn minors_mentioned_in_neutral_sentences() {
        let cases: [(&str, bool); 14] = [
            ("anak SMP itu juara olimpiade matematika", true),
            ("adik saya masih SD", true),
            ("kelas 2 SMP di Bandung", true),
            ("siswi SMA Negeri 1 ikut lomba pidato", true),
            ("perlindungan anak di bawah umur", true),
            ("dia belum cukup umur untuk menyetir", true),
            ("anak kecil bermain di taman", true),
            ("Dilarang untuk anak di bawah umur", false),
            ("bukan anak SMA lagi, sudah kuliah", false),
            ("sudah lulus SMA, kerja di pabrik", false),
            ("guru SMP mengajar bahasa", false),
            ("ukuran dewasa tersedia", false),
            ("sma negeri 3 libur", false),
            ("konten dewasa, no bawah umur", false),
        ];
        for (s, want) in cases {
            let n = normalize_folded(&fold(s));
            assert_eq!(!minor_mentions(n.as_str()).is_empty(), want, "{s:?}");
        }
    }

    fn ids(s: &str) -> Vec<(&'static str, String)> {
        let f = fold(s);
        let n = normalize_folded(&f);
        extract(f.as_str(), n.as_str())
            .into_iter()
            .map(|i| (i.kind.as_str(), i.value))
            .collect()
    }

    fn has(s: &str, kind: &str, value: &str) {
        let got = ids(s);
        assert!(
            got.iter().any(|(k, v)| *k == kind && v == value),
            "{s:?}: want {kind}={value}, got {got:?}"
        );
    }

    #[test]
    fn bank_accounts() {
        has("tf ke bca:1234567890 ya", "bank_account", "bca:1234567890");
        has("BCA 123 456 7890", "bank_account", "bca:1234567890");
        has(
            "rek bca 1234567890 a.n. Sari",
            "bank_account",
            "bca:1234567890",
        );
        has(
            "Mandiri 1234567890123",
            "bank_account",
            "mandiri:1234567890123",
        );
        has("bri 123456789012345", "bank_account", "bri:123456789012345");
        has("no rek BNI: 0987654321", "bank_account", "bni:0987654321");
        // A BCA account that looks like a phone is an account, not a phone.
        let got = ids("bca 0812345678");
        assert_eq!(got, vec![("bank_account", "bca:0812345678".to_string())]);
        // Wrong length for BCA.
        assert!(ids("bca 12345").is_empty());
    }

    #[test]
    fn ewallets_with_phone() {
        has("dana 0812-3456-7890", "ewallet", "dana:+6281234567890");
        has("dana 0812-3456-7890", "phone", "+6281234567890");
        has("OVO: 081234567890", "ewallet", "ovo:+6281234567890");
        has("gopay 0812 3456 7890", "ewallet", "gopay:+6281234567890");
        has(
            "shopee pay 081234567890",
            "ewallet",
            "shopeepay:+6281234567890",
        );
        has("LinkAja 081234567890", "ewallet", "linkaja:+6281234567890");
    }

    #[test]
    fn telegram_handles() {
        has("cek t.me/Sari_Manis99", "telegram", "@sari_manis99");
        has("dm @SariManis", "telegram", "@sarimanis");
        has("tele: sarimanis", "telegram", "@sarimanis");
        has("https://t.me/sarimanis", "telegram", "@sarimanis");
        // An e-mail address is not a handle.
        let got = ids("mail sari.manis@gmail.com");
        assert_eq!(got, vec![("email", "sari.manis@gmail.com".to_string())]);
    }

    #[test]
    fn urls() {
        has(
            "cek https://example.com/Promo?id=1.",
            "url",
            "https://example.com/promo?id=1",
        );
        has("link bit.ly/abc123", "url", "bit.ly/abc123");
        has("www.situs-contoh.net", "url", "www.situs-contoh.net");
        let got = ids("wa.me/6281234567890");
        assert_eq!(got, vec![("phone", "+6281234567890".to_string())]);
        assert!(ids("harga 1.5jt, b.o").is_empty());
    }

    #[test]
    fn nik_is_never_returned() {
        assert!(ids("NIK 3201234508900001 bca 3201234508900001").is_empty());
    }

    #[test]
    fn ages_in_neutral_sentences() {
        let cases: [(&str, &[u8]); 13] = [
            ("pengalaman 15 tahun di bidang kuliner", &[]),
            ("sudah menikah 12 tahun", &[]),
            ("adik saya masih 16 tahun", &[16]),
            ("umurnya baru 15", &[15]),
            ("umur saya 24 tahun, kerja di Bandung", &[24]),
            ("kakak saya 31 tahun, tinggal di Medan", &[31]),
            ("usia 19 th, mahasiswa teknik", &[19]),
            ("saya 30yo dari Medan", &[30]),
            ("Umur: 45", &[45]),
            ("toko ini sudah 3 tahun berdiri", &[]),
            ("3 tahun lalu saya pindah", &[]),
            ("tahun 2024 ramai", &[]),
            ("garansi 2 tahun", &[]),
        ];
        for (s, want) in cases {
            let f = fold(s);
            let n = normalize_folded(&f);
            assert_eq!(ages(n.as_str()), want, "{s:?}");
        }
    }
}
