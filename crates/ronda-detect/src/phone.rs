//! Indonesian mobile numbers to E.164, from every disguise in the field.
//!
//! Reads the folded text (stage 1 of [`crate::normalize`]), where full-width, mathematical and
//! keycap digits are already ASCII. Handles separators (`0812-3456-7890`, `(0812) 3456 7890`),
//! `+62`/`62`/`0` prefixes, `wa.me/62…` and `api.whatsapp.com/send?phone=62…` links, the letters
//! `o`, `l` and `i` written for digits inside digit runs, digits spaced one by one, and numbers
//! written in words (`nol delapan satu dua …`). Prices, dates, NIK identity numbers and parcel
//! tracking numbers do not validate as mobile numbers or are excluded by their context.

/// Whether `d` (ASCII digits) is a valid Indonesian mobile number; returns it in E.164.
pub fn to_e164(d: &str) -> Option<String> {
    let rest = if let Some(r) = d.strip_prefix("62") {
        r.strip_prefix('0').unwrap_or(r)
    } else {
        d.strip_prefix('0')?
    };
    if !rest.starts_with('8') || !(9..=12).contains(&rest.len()) {
        return None;
    }
    if !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // The second digit of an Indonesian mobile prefix is 1-9 (0811…, 0899…); 080 is not mobile.
    if rest.as_bytes().get(1) == Some(&b'0') {
        return None;
    }
    let mut s = String::with_capacity(rest.len() + 3);
    s.push_str("+62");
    s.push_str(rest);
    Some(s)
}

/// Whether 16 digits have the structure of a NIK (province, regency, district, birth date, serial).
pub fn looks_like_nik(d: &[u8]) -> bool {
    if d.len() != 16 || !d.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let num = |a: usize| u32::from(d[a] - b'0') * 10 + u32::from(d[a + 1] - b'0');
    let prov = num(0);
    let day = num(6);
    let month = num(8);
    (11..=94).contains(&prov)
        && ((1..=31).contains(&day) || (41..=71).contains(&day))
        && (1..=12).contains(&month)
}

/// A phone number found in the folded text: E.164 value and byte span in that text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneHit {
    pub e164: String,
    pub start: usize,
    pub end: usize,
}

/// Words after which a digit run is a parcel or identity number, never a phone.
const NOT_PHONE_CONTEXT: &[&str] = &[
    "resi", "awb", "jne", "jnt", "sicepat", "anteraja", "ninja", "tiki", "wahana", "spx", "lion",
    "jet", "tracking", "nik", "ktp", "kk", "npwp", "paket", "kiriman",
];

/// Words that may be glued to a number (`wa081234567890`).
const GLUE_PREFIX: &[&str] = &[
    "wa", "hp", "telp", "tlp", "tel", "no", "nomor", "nmr", "call", "sms", "whatsapp", "kontak",
    "dana", "ovo", "gopay", "cp", "line",
];

#[inline]
fn digit_of(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b),
        b'o' => Some(b'0'),
        b'l' | b'i' => Some(b'1'),
        _ => None,
    }
}

#[inline]
fn is_sep(b: u8) -> bool {
    matches!(b, b' ' | b'-' | b'.' | b'(' | b')' | b'/' | b'_')
}

struct Group {
    digits: Vec<u8>,
    start: usize,
    end: usize,
}

/// Finds phone numbers in folded text. `skip` holds spans already taken (bank accounts).
pub fn find_phones(text: &str, skip: &[(usize, usize)], out: &mut Vec<PhoneHit>) {
    let b = text.as_bytes();
    let mut i = 0;
    let mut groups: Vec<Group> = Vec::new();
    while i < b.len() {
        let c = b[i];
        let starts = c.is_ascii_digit()
            || (c == b'+' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
            || (digit_of(c).is_some() && b.get(i + 1).is_some_and(u8::is_ascii_digit));
        if !starts || (i > 0 && !start_allowed(b, i)) {
            i += 1;
            continue;
        }
        let run_start = i;
        let mut j = if c == b'+' { i + 1 } else { i };
        groups.clear();
        loop {
            // One group of digit-ish bytes.
            let gs = j;
            let mut digits = Vec::new();
            let mut real = 0;
            while j < b.len() {
                match digit_of(b[j]) {
                    Some(d) => {
                        if b[j].is_ascii_digit() {
                            real += 1;
                        }
                        digits.push(d);
                        j += 1;
                    }
                    None => break,
                }
            }
            let glued = j < b.len() && b[j].is_ascii_alphabetic();
            if real == 0 || glued {
                // A word (`ok`) or a quantity (`300k`) ends the run before this group.
                break;
            }
            groups.push(Group {
                digits,
                start: gs,
                end: j,
            });
            // Separators, at most three.
            let mut k = j;
            while k < b.len() && k - j < 3 && is_sep(b[k]) {
                k += 1;
            }
            if k == j || k >= b.len() || digit_of(b[k]).is_none() {
                break;
            }
            j = k;
        }
        let run_end = groups.last().map_or(run_start + 1, |g| g.end);
        if !groups.is_empty()
            && !overlaps(skip, run_start, run_end)
            && !context_excludes(b, run_start)
        {
            partition(&groups, out);
        }
        i = run_end.max(i + 1);
    }
}

fn overlaps(skip: &[(usize, usize)], s: usize, e: usize) -> bool {
    skip.iter().any(|&(a, z)| s < z && a < e)
}

/// A run may start after a non-alphanumeric byte, or glued to a known prefix word.
fn start_allowed(b: &[u8], i: usize) -> bool {
    let p = b[i - 1];
    if !p.is_ascii_alphanumeric() {
        return true;
    }
    if !p.is_ascii_alphabetic() {
        return false;
    }
    let mut s = i;
    while s > 0 && b[s - 1].is_ascii_alphabetic() {
        s -= 1;
    }
    let word = &b[s..i];
    GLUE_PREFIX.iter().any(|w| w.as_bytes() == word)
}

/// Whether one of the three words before `start` says this is a parcel or identity number.
fn context_excludes(b: &[u8], start: usize) -> bool {
    let before = &b[..start];
    let mut words = before
        .split(|c| !c.is_ascii_alphanumeric() && *c != b'&')
        .filter(|w| !w.is_empty())
        .rev();
    for _ in 0..3 {
        let Some(w) = words.next() else { break };
        if NOT_PHONE_CONTEXT.iter().any(|k| k.as_bytes() == w) || w == b"j&t" {
            return true;
        }
    }
    false
}

/// Splits a run of digit groups into valid numbers, longest first from the left.
fn partition(groups: &[Group], out: &mut Vec<PhoneHit>) {
    let total: usize = groups.iter().map(|g| g.digits.len()).sum();
    if total == 16 {
        let all: Vec<u8> = groups
            .iter()
            .flat_map(|g| g.digits.iter().copied())
            .collect();
        if looks_like_nik(&all) {
            return;
        }
    }
    let mut s = 0;
    let mut buf = String::new();
    while s < groups.len() {
        let mut found = None;
        for e in (s + 1..=groups.len()).rev() {
            let len: usize = groups[s..e].iter().map(|g| g.digits.len()).sum();
            if !(10..=15).contains(&len) {
                continue;
            }
            buf.clear();
            for g in &groups[s..e] {
                buf.extend(g.digits.iter().map(|&d| d as char));
            }
            if let Some(v) = to_e164(&buf) {
                found = Some((e, v));
                break;
            }
        }
        match found {
            Some((e, v)) => {
                out.push(PhoneHit {
                    e164: v,
                    start: groups[s].start,
                    end: groups[e - 1].end,
                });
                s = e;
            }
            None => s += 1,
        }
    }
}

fn number_word(w: &str) -> Option<u8> {
    Some(match w {
        "nol" | "kosong" | "ksong" | "kosng" | "zero" | "nul" => b'0',
        "satu" | "one" | "stu" => b'1',
        "dua" | "two" | "dwa" => b'2',
        "tiga" | "three" | "tga" => b'3',
        "empat" | "empt" | "pat" | "four" => b'4',
        "lima" | "five" | "lma" => b'5',
        "enam" | "six" | "enm" => b'6',
        "tujuh" | "tjuh" | "tujuhh" | "tjh" | "seven" => b'7',
        "delapan" | "lapan" | "dlpn" | "dlapan" | "eight" => b'8',
        "sembilan" | "smbilan" | "smbln" | "sembilan9" | "nine" => b'9',
        _ => return None,
    })
}

/// Numbers written in words (`nol delapan satu dua …`), read from the normalised text.
pub fn find_word_phones(normalized: &str, out: &mut Vec<PhoneHit>) {
    let words: Vec<(usize, usize)> = word_spans(normalized);
    let mut k = 0;
    while k < words.len() {
        let mut groups: Vec<Group> = Vec::new();
        let mut worded = 0;
        let mut m = k;
        while m < words.len() {
            let (s, e) = words[m];
            let w = &normalized[s..e];
            let digits: Vec<u8> = if let Some(d) = number_word(w) {
                worded += 1;
                vec![d]
            } else if w.bytes().all(|c| c.is_ascii_digit()) && w.len() <= 4 {
                w.bytes().collect()
            } else {
                break;
            };
            groups.push(Group {
                digits,
                start: s,
                end: e,
            });
            m += 1;
        }
        if worded >= 3 {
            partition(&groups, out);
        }
        k = m.max(k + 1);
    }
}

/// Byte ranges of the ASCII-alphanumeric runs of `text`.
pub(crate) fn word_spans(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut v = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_alphanumeric() {
            let s = i;
            while i < b.len() && b[i].is_ascii_alphanumeric() {
                i += 1;
            }
            v.push((s, i));
        } else {
            i += 1;
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{fold, normalize};

    fn phones(s: &str) -> Vec<String> {
        let f = fold(s);
        let mut out = Vec::new();
        find_phones(f.as_str(), &[], &mut out);
        let n = normalize(s);
        find_word_phones(n.as_str(), &mut out);
        let mut v: Vec<String> = out.into_iter().map(|h| h.e164).collect();
        v.dedup();
        v
    }

    #[test]
    fn every_written_form() {
        let want = "+6281234567890";
        let cases = [
            "081234567890",
            "0812-3456-7890",
            "0812 3456 7890",
            "0812.3456.7890",
            "(0812) 3456-7890",
            "+62 812-3456-7890",
            "+6281234567890",
            "6281234567890",
            "62 0812 3456 7890",
            "wa.me/6281234567890",
            "https://api.whatsapp.com/send?phone=6281234567890&text=halo",
            "wa:081234567890",
            "WA081234567890",
            "O8l2-3456-789O",
            "０８１２３４５６７８９０",
            "𝟎𝟖𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗𝟎",
            "0\u{FE0F}\u{20E3}8\u{FE0F}\u{20E3}1\u{FE0F}\u{20E3}2\u{FE0F}\u{20E3}3\u{FE0F}\u{20E3}4\u{FE0F}\u{20E3}5\u{FE0F}\u{20E3}6\u{FE0F}\u{20E3}7\u{FE0F}\u{20E3}8\u{FE0F}\u{20E3}9\u{FE0F}\u{20E3}0\u{FE0F}\u{20E3}",
            "0 8 1 2 3 4 5 6 7 8 9 0",
            "nol delapan satu dua tiga empat lima enam tujuh delapan sembilan nol",
            "kosong lapan satu dua 3456 7890",
            "hub 0812\u{200B}3456\u{200B}7890 ya",
        ];
        for c in cases {
            assert_eq!(phones(c), vec![want.to_string()], "input {c:?}");
        }
    }

    #[test]
    fn not_phones() {
        let cases = [
            "harga Rp 1.500.000 nego",
            "300k 350k 1,2jt",
            "tanggal 12-08-2024 jam 19.00",
            "NIK 3201234508900001",
            "3201234508900001",
            "6271034508900001",
            "resi JNE 081234567890123",
            "no resi 0812345678901",
            "JP0812345678",
            "kode 080012345678",
            "stok 100 pcs, 2024",
        ];
        for c in cases {
            assert!(phones(c).is_empty(), "input {c:?} gave {:?}", phones(c));
        }
    }

    #[test]
    fn two_numbers_in_one_run() {
        assert_eq!(
            phones("0812-3456-7890 / 0857 1234 5678"),
            vec!["+6281234567890".to_string(), "+6285712345678".to_string()]
        );
    }

    #[test]
    fn spans_point_at_the_number() {
        let f = fold("hub 0812-3456-7890 ya");
        let mut out = Vec::new();
        find_phones(f.as_str(), &[], &mut out);
        assert_eq!(&f.as_str()[out[0].start..out[0].end], "0812-3456-7890");
    }
}
