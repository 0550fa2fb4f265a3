//! Sitemaps (sitemaps.org: `urlset` and `sitemapindex`) and feeds (RSS 2.0 and Atom), read as a
//! stream with `quick-xml`: the URLs they list, and for feeds each entry's link, title and text
//! (a feed's entry is a post the detection engine can read without fetching its page).
//!
//! Element names are matched by local name, so namespaced documents read the same. Links are
//! put in canonical form against the document's URL; what is not a crawlable URL is dropped.
//! At most [`MAX_ENTRIES`] URLs or entries are kept (the sitemaps protocol allows 50,000 per
//! file). A document that is not well-formed yields what was read before the error.

use quick_xml::Reader;
use quick_xml::events::Event;
use ronda_core::crawl::url::canonical;
use url::Url;

pub const MAX_ENTRIES: usize = 50_000;

/// What kind of document it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XmlKind {
    Sitemap,
    SitemapIndex,
    Rss,
    Atom,
    Unknown,
}

/// A feed entry. Its text is as the feed wrote it, which may be HTML (RSS descriptions often
/// are): the crawler reads it as HTML.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    pub link: Option<Url>,
    pub title: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub kind: XmlKind,
    /// Pages (a sitemap), sitemaps (an index), or the entries' links (a feed).
    pub urls: Vec<Url>,
    pub entries: Vec<Entry>,
}

fn local(name: &str) -> String {
    name.rsplit(':').next().unwrap_or(name).to_ascii_lowercase()
}

/// The text of a general reference: the five predefined entities and character references;
/// others (a DTD's) are dropped.
fn reference(r: &quick_xml::events::BytesRef<'_>) -> String {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return c.to_string();
    }
    match &**r {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        _ => "",
    }
    .to_string()
}

/// Reads an XML sitemap or feed fetched from `url`.
pub fn read(body: &[u8], url: &Url) -> Document {
    let src = String::from_utf8_lossy(body);
    let mut reader = Reader::from_str(&src);
    let mut doc = Document {
        kind: XmlKind::Unknown,
        urls: Vec::new(),
        entries: Vec::new(),
    };
    let mut stack: Vec<String> = Vec::new();
    let mut entry: Option<Entry> = None;
    // Text of the current element so far: text, CDATA and references arrive as pieces.
    let mut pending = String::new();
    while let Ok(ev) = reader.read_event() {
        if matches!(
            ev,
            Event::Start(_) | Event::Empty(_) | Event::End(_) | Event::Eof
        ) {
            let t = std::mem::take(&mut pending);
            if !t.trim().is_empty() {
                text(&mut doc, &mut entry, &stack, t.trim(), url);
            }
        }
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = local(e.name().as_ref());
                if doc.kind == XmlKind::Unknown {
                    doc.kind = match name.as_str() {
                        "urlset" => XmlKind::Sitemap,
                        "sitemapindex" => XmlKind::SitemapIndex,
                        "rss" | "rdf" => XmlKind::Rss,
                        "feed" => XmlKind::Atom,
                        _ => XmlKind::Unknown,
                    };
                }
                match name.as_str() {
                    "item" | "entry" => entry = Some(Entry::default()),
                    "link" if doc.kind == XmlKind::Atom => {
                        // <link href="…" rel="alternate"/>: the entry's page.
                        let mut href = None;
                        let mut rel = None;
                        for a in e.attributes().flatten() {
                            let v = a
                                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .map(|v| v.into_owned())
                                .unwrap_or_default();
                            match local(a.key.as_ref()).as_str() {
                                "href" => href = Some(v),
                                "rel" => rel = Some(v),
                                _ => {}
                            }
                        }
                        if let (Some(en), Some(h)) = (entry.as_mut(), href)
                            && rel.as_deref().is_none_or(|r| r == "alternate")
                            && en.link.is_none()
                        {
                            en.link = canonical(&h, Some(url)).ok();
                        }
                    }
                    _ => {}
                }
                if matches!(ev, Event::Start(_)) {
                    stack.push(name);
                } else if name == "item" || name == "entry" {
                    entry = None; // an empty item lists nothing
                }
            }
            Event::End(_) => {
                let name = stack.pop().unwrap_or_default();
                if matches!(name.as_str(), "item" | "entry")
                    && let Some(en) = entry.take()
                {
                    if let Some(l) = &en.link
                        && doc.urls.len() < MAX_ENTRIES
                        && !doc.urls.contains(l)
                    {
                        doc.urls.push(l.clone());
                    }
                    if doc.entries.len() < MAX_ENTRIES {
                        doc.entries.push(en);
                    }
                }
            }
            Event::Text(t) => pending.push_str(&t),
            Event::CData(t) => pending.push_str(&t),
            Event::GeneralRef(r) => pending.push_str(&reference(&r)),
            Event::Eof => break,
            _ => {}
        }
    }
    doc
}

fn text(doc: &mut Document, entry: &mut Option<Entry>, stack: &[String], t: &str, base: &Url) {
    let Some(cur) = stack.last() else { return };
    let parent = stack.len().checked_sub(2).and_then(|i| stack.get(i));
    match (doc.kind, cur.as_str()) {
        (XmlKind::Sitemap | XmlKind::SitemapIndex, "loc")
            if parent.is_some_and(|p| p == "url" || p == "sitemap") =>
        {
            if let Ok(u) = canonical(t, Some(base))
                && doc.urls.len() < MAX_ENTRIES
            {
                doc.urls.push(u);
            }
        }
        (_, name) => {
            let Some(en) = entry.as_mut() else { return };
            match name {
                "link" if en.link.is_none() => en.link = canonical(t, Some(base)).ok(),
                "title" => append(&mut en.title, t),
                "description" | "summary" | "content" | "encoded" => append(&mut en.text, t),
                _ => {}
            }
        }
    }
}

fn append(s: &mut String, t: &str) {
    for w in t.split_whitespace() {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(w);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;

    fn base() -> Url {
        Url::parse("http://site.test/sitemap.xml").unwrap()
    }

    #[test]
    fn sitemaps_and_indexes() {
        let s =
            br#"<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
            <url><loc>http://site.test/a</loc><lastmod>2026-12-01</lastmod></url>
            <url><loc> /b#x </loc></url><url><loc>ftp://no</loc></url>
            <url><loc>http://site.test/c?x=1&amp;y=2</loc></url></urlset>"#;
        let d = read(s, &base());
        assert_eq!(d.kind, XmlKind::Sitemap);
        let urls: Vec<&str> = d.urls.iter().map(Url::as_str).collect();
        assert_eq!(
            urls,
            [
                "http://site.test/a",
                "http://site.test/b",
                "http://site.test/c?x=1&y=2"
            ]
        );
        let i = br#"<sitemapindex><sitemap><loc>http://site.test/s1.xml</loc></sitemap></sitemapindex>"#;
        let d = read(i, &base());
        assert_eq!((d.kind, d.urls.len()), (XmlKind::SitemapIndex, 1));
    }

    #[test]
    fn rss_and_atom_entries() {
        let rss =
            br#"<rss version="2.0"><channel><title>Forum</title><link>http://site.test/</link>
            <item><title>Info</title><link>http://site.test/p/1</link>
            <description><![CDATA[ready <b>temenin</b> 1 jam 350k]]></description></item>
            <item><title>Resep</title><link>/p/2</link><description>teh manis</description></item>
            </channel></rss>"#;
        let d = read(rss, &base());
        assert_eq!(d.kind, XmlKind::Rss);
        assert_eq!(d.entries.len(), 2);
        assert_eq!(d.entries[0].title, "Info");
        assert_eq!(d.entries[0].text, "ready <b>temenin</b> 1 jam 350k");
        let urls: Vec<&str> = d.urls.iter().map(Url::as_str).collect();
        assert_eq!(urls, ["http://site.test/p/1", "http://site.test/p/2"]);
        let atom = br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>
            <entry><title>Satu</title><link rel="self" href="/self"/><link href="/e/1?a=1&amp;b=2"/>
            <summary>cuan terus</summary></entry></feed>"#;
        let d = read(atom, &base());
        assert_eq!(d.kind, XmlKind::Atom);
        assert_eq!(
            d.entries[0].link.as_ref().map(Url::as_str),
            Some("http://site.test/e/1?a=1&b=2")
        );
        assert_eq!(d.entries[0].text, "cuan terus");
    }

    #[test]
    fn broken_documents_yield_what_was_read() {
        let d = read(
            b"<urlset><url><loc>http://site.test/a</loc></url><url><loc>",
            &base(),
        );
        assert_eq!(d.urls.len(), 1);
        let d = read(b"\xff\xfe garbage <<<", &base());
        assert!(d.urls.is_empty());
    }
}
