//! What a reporter left as a contact is free text — "0812 3456 7890", "warga@example.org",
//! "WA 0812… / email: warga@example.org". [`email_in`] finds the e-mail address in it, when
//! there is one, so that the team may write back (only when mail is configured; the contact
//! stays sealed at rest and is read only to send).

/// The first word of `contact` shaped like an e-mail address: one `@`, a local part of
/// printable ASCII without quotes or brackets, and a domain of dot-separated labels (letters,
/// digits, hyphens; at least two labels). Punctuation around the word is ignored.
pub fn email_in(contact: &str) -> Option<&str> {
    contact
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '/' | '(' | ')' | '<' | '>'))
        .map(|w| w.trim_matches(|c: char| matches!(c, '.' | ':' | '"' | '\'' | '[' | ']')))
        .find(|w| is_address(w))
}

/// `text` with every e-mail-shaped word replaced by `<address>`: what a mail relay says back
/// ("550 5.1.1 <warga@example.org>: user unknown") is kept and shown without the address.
pub fn redact_addresses(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if email_in(word).is_some() {
            out.push_str("<address>");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_whitespace() || matches!(c, '<' | '>' | '(' | ')' | ',' | ';' | '"' | '\'') {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out.replace("<<address>>", "<address>")
}

fn is_address(w: &str) -> bool {
    let Some((local, domain)) = w.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&*+-/=?^_`{|}~.".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().any(|c| c.is_ascii_alphabetic()));
    local_ok && domain_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_taken_out_of_relay_replies() {
        assert_eq!(
            redact_addresses("550 5.1.1 <warga@example.org>: Recipient address rejected"),
            "550 5.1.1 <address>: Recipient address rejected"
        );
        assert_eq!(
            redact_addresses("mailbox warga.satu@example.co.id full, try later"),
            "mailbox <address> full, try later"
        );
        assert_eq!(redact_addresses("could not connect"), "could not connect");
    }

    #[test]
    fn the_address_is_found_in_what_reporters_write() {
        let cases = [
            ("warga@example.org", Some("warga@example.org")),
            (
                "  Warga.Satu+lapor@mail.example.co.id ",
                Some("Warga.Satu+lapor@mail.example.co.id"),
            ),
            (
                "WA 0812 3456 7890 / email: warga@example.org.",
                Some("warga@example.org"),
            ),
            ("Budi <budi@example.org>", Some("budi@example.org")),
            ("(warga@example.org)", Some("warga@example.org")),
            ("0812 3456 7890", None),
            ("@warga_ig", None),
            ("warga@localhost", None),
            ("warga@192.168.1.1", None),
            ("a@@example.org", None),
            ("warga@-example.org", None),
            ("warga.@example.org", None),
            ("wa..rga@example.org", None),
            ("warga@example..org", None),
            ("", None),
        ];
        for (contact, want) in cases {
            assert_eq!(email_in(contact), want, "{contact:?}");
        }
    }
}
