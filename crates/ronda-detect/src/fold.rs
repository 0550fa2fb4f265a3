//! Character folding: one input character to zero or more output characters.
//!
//! Folds what offenders use to dodge filters onto plain lower-case ASCII: compatibility forms
//! (NFKD: mathematical, full-width, circled and squared letters and digits, ligatures), accents
//! (combining marks are dropped), look-alike letters from Cyrillic and Greek, small capitals,
//! regional-indicator and negative-circled letters. Invisible characters (zero-width spaces and
//! joiners, soft hyphen, BOM, variation selectors, bidi controls, Hangul fillers, tag characters)
//! are removed and every kind of white space becomes one ASCII space. Everything else (emoji, other
//! scripts) passes through lower-cased.
//!
//! Folding is a fixpoint per character: folding the output again yields the same output, which is
//! what makes [`crate::normalize`] idempotent.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// A compatibility decomposition longer than this is not applied (e.g. U+FDFA expands to 18
/// letters); the character is kept whole so the output stays bounded by the input.
const MAX_EXPANSION: usize = 4;

/// Calls `out` with each folded character of `c`.
#[inline]
pub fn fold_char(c: char, out: &mut impl FnMut(char)) {
    if c.is_ascii() {
        out(fold_ascii(c));
        return;
    }
    fold_rec(c, out, 0);
}

#[inline]
fn fold_ascii(c: char) -> char {
    if c.is_ascii_control() {
        ' '
    } else {
        c.to_ascii_lowercase()
    }
}

fn fold_rec(c: char, out: &mut impl FnMut(char), depth: u8) {
    if c.is_ascii() {
        out(fold_ascii(c));
        return;
    }
    if is_invisible(c) {
        return;
    }
    if c.is_whitespace() || c.is_control() || c == '\u{2800}' {
        out(' ');
        return;
    }
    if let Some(a) = table(c) {
        out(a);
        return;
    }
    // Lower-case first, then decompose each piece, dropping combining marks.
    let mut buf = ['\0'; MAX_EXPANSION * 2];
    let mut n = 0usize;
    let mut overflow = false;
    for l in c.to_lowercase() {
        decompose_compatible(l, |d| {
            if is_combining_mark(d) {
                return;
            }
            if n < buf.len() {
                buf[n] = d;
                n += 1;
            } else {
                overflow = true;
            }
        });
    }
    if overflow || n > MAX_EXPANSION {
        // Keep the character itself (lower-cased when that is one character) so the size stays bounded.
        let mut lower = c.to_lowercase();
        match (lower.next(), lower.next()) {
            (Some(l), None) => out(l),
            _ => out(c),
        }
        return;
    }
    for &d in &buf[..n] {
        if d == c || depth >= 3 {
            out(d);
        } else {
            fold_rec(d, out, depth + 1);
        }
    }
}

/// Characters that render as nothing and are used to split words invisibly.
#[inline]
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF9}'..='\u{FFFB}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E007F}' | '\u{E0100}'..='\u{E01EF}')
}

fn letter(base: u32, c: char, first: char) -> Option<char> {
    char::from_u32(base + (c as u32 - first as u32))
}

/// Look-alikes that NFKD does not fold.
fn table(c: char) -> Option<char> {
    let a = match c {
        // Cyrillic look-alikes (lower and upper case).
        'а' | 'А' => 'a',
        'в' | 'В' | 'ъ' | 'Ъ' | 'ь' | 'Ь' => 'b',
        'с' | 'С' | 'ς' => 'c',
        'ԁ' => 'd',
        'е' | 'Е' | 'ё' | 'Ё' | 'є' | 'Є' | 'э' | 'Э' => 'e',
        'һ' | 'Һ' | 'н' | 'Н' => 'h',
        'і' | 'І' | 'ї' | 'Ї' | 'ӏ' | 'Ӏ' => 'i',
        'ј' | 'Ј' => 'j',
        'к' | 'К' | 'ќ' => 'k',
        'м' | 'М' => 'm',
        'п' | 'П' => 'n',
        'о' | 'О' | 'ө' | 'Ө' => 'o',
        'р' | 'Р' => 'p',
        'ԛ' | 'Ԛ' => 'q',
        'г' | 'Г' => 'r',
        'ѕ' | 'Ѕ' => 's',
        'т' | 'Т' => 't',
        'ц' | 'Ц' | 'џ' | 'Џ' => 'u',
        'ѵ' | 'Ѵ' => 'v',
        'ԝ' | 'Ԝ' | 'ш' | 'Ш' | 'щ' | 'Щ' => 'w',
        'х' | 'Х' | 'ж' | 'Ж' => 'x',
        'у' | 'У' | 'ў' | 'Ў' | 'ү' | 'Ү' => 'y',
        // Greek look-alikes.
        'α' | 'Α' | 'ά' | 'Ά' => 'a',
        'β' | 'Β' => 'b',
        'ε' | 'Ε' | 'έ' | 'Έ' => 'e',
        'η' | 'Η' | 'ή' => 'n',
        'ι' | 'Ι' | 'ί' | 'ϊ' | 'ΐ' => 'i',
        'κ' | 'Κ' => 'k',
        'μ' => 'u',
        'Μ' => 'm',
        'ν' | 'Ν' => 'v',
        'ο' | 'Ο' | 'ό' | 'Ό' | 'σ' | 'θ' => 'o',
        'ρ' | 'Ρ' => 'p',
        'τ' | 'Τ' => 't',
        'υ' | 'Υ' | 'ύ' | 'ϋ' => 'u',
        'χ' | 'Χ' => 'x',
        'γ' | 'Γ' => 'y',
        'ω' | 'ώ' => 'w',
        'Ζ' => 'z',
        'ǀ' => 'l',
        // Latin letters NFKD leaves alone.
        'ı' | 'ɩ' | 'ɪ' => 'i',
        'ȷ' => 'j',
        'ɑ' | 'ᴀ' => 'a',
        'ø' | 'Ø' | 'ᴏ' | 'ɵ' => 'o',
        'đ' | 'Đ' | 'ð' | 'ᴅ' => 'd',
        'ł' | 'Ł' | 'ʟ' => 'l',
        'ɡ' | 'ɢ' => 'g',
        // Small capitals.
        'ʙ' => 'b',
        'ᴄ' => 'c',
        'ᴇ' => 'e',
        'ꜰ' => 'f',
        'ʜ' => 'h',
        'ᴊ' => 'j',
        'ᴋ' => 'k',
        'ᴍ' => 'm',
        'ɴ' => 'n',
        'ᴘ' => 'p',
        'ǫ' => 'q',
        'ʀ' => 'r',
        'ꜱ' => 's',
        'ᴛ' => 't',
        'ᴜ' => 'u',
        'ᴠ' => 'v',
        'ᴡ' => 'w',
        'ʏ' => 'y',
        'ᴢ' => 'z',
        // Dashes and dots used to split letters.
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{2043}' => '-',
        '\u{00B7}' | '\u{2022}' | '\u{2027}' | '\u{2219}' | '\u{30FB}' | '\u{FF65}' => '.',
        // Parenthesised and negative circled letters and digits.
        '\u{249C}'..='\u{24B5}' => return letter('a' as u32, c, '\u{249C}'),
        '\u{2474}'..='\u{247C}' => return letter('1' as u32, c, '\u{2474}'),
        '\u{2776}'..='\u{277E}' => return letter('1' as u32, c, '\u{2776}'),
        '\u{2780}'..='\u{2788}' => return letter('1' as u32, c, '\u{2780}'),
        '\u{278A}'..='\u{2792}' => return letter('1' as u32, c, '\u{278A}'),
        '\u{24FF}' | '\u{24EA}' | '\u{1F10B}' | '\u{1F10C}' => '0',
        '\u{1F150}'..='\u{1F169}' => return letter('a' as u32, c, '\u{1F150}'),
        '\u{1F170}'..='\u{1F189}' => return letter('a' as u32, c, '\u{1F170}'),
        '\u{1F1E6}'..='\u{1F1FF}' => return letter('a' as u32, c, '\u{1F1E6}'),
        _ => return None,
    };
    Some(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(s: &str) -> String {
        let mut o = String::new();
        for c in s.chars() {
            fold_char(c, &mut |x| o.push(x));
        }
        o
    }

    #[test]
    fn folds_styled_alphabets_and_lookalikes() {
        let cases = [
            ("ＯＰＥＮ ＢＯ", "open bo"),
            ("𝐨𝐩𝐞𝐧 𝐛𝐨", "open bo"),
            ("𝓸𝓹𝓮𝓷", "open"),
            ("𝔬𝔭𝔢𝔫", "open"),
            ("𝕠𝕡𝕖𝕟", "open"),
            ("𝗼𝗽𝗲𝗻", "open"),
            ("𝚘𝚙𝚎𝚗", "open"),
            ("ⓞⓟⓔⓝ", "open"),
            ("⒪⒫⒠⒩", "open"),
            ("🅾🅿🅴🅽", "open"),
            ("🄾🄿🄴🄽", "open"),
            ("ᴏᴘᴇɴ ʙᴏ", "open bo"),
            ("ореп", "open"), // Cyrillic о р е, п
            ("οpεn", "open"), // Greek omicron, epsilon
            ("🇴🇵🇪🇳", "open"),
            ("ópén", "open"),
            ("０８１２", "0812"),
            ("𝟎𝟖𝟏𝟐", "0812"),
            ("①②", "12"),
            ("o\u{200B}p\u{200D}e\u{00AD}n\u{FEFF}", "open"),
            ("1\u{FE0F}\u{20E3}", "1"),
            ("a\u{3000}b\tc", "a b c"),
        ];
        for (input, want) in cases {
            assert_eq!(fold(input), want, "input {input:?}");
        }
    }

    #[test]
    fn emoji_and_other_scripts_pass_through() {
        assert_eq!(fold("🔥💋"), "🔥💋");
        assert_eq!(fold("日本"), "日本");
    }
}
