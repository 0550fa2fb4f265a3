//! What a fetched HTML page says, read with a real HTML5 parser (`scraper`, on html5ever): the
//! visible text the detection engine reads, the links the frontier may follow, the images to
//! hash, the feeds it announces, and whether its robots meta tag forbids following links.
//!
//! * Text: every text node outside `script`, `style`, `noscript`, `template`, `svg` and the
//!   `head`, block elements separated by a line break, white space collapsed, at most
//!   [`Limits::max_text`] bytes (cut on a character boundary). The title comes separately.
//! * Links: `a[href]` and `area[href]`, resolved against `<base href>` when the page has one
//!   (else the page's URL), put in canonical form ([`ronda_core::crawl::url::canonical`]),
//!   duplicates dropped, in document order, at most [`Limits::max_links`]; `mailto:`,
//!   `javascript:` and the like are not links to crawl.
//! * Images: `img[src]`, then `og:image` and `twitter:image`, the same way, at most
//!   [`Limits::max_images`].
//! * Feeds: `link[rel~=alternate]` with an RSS or Atom type.
//! * Bytes that are not UTF-8 are read lossily (the sites the patrol reads are UTF-8 in practice;
//!   a page in another encoding still yields its links and its ASCII).

use ronda_core::crawl::url::canonical;
use scraper::{ElementRef, Html, Node, Selector};
use url::Url;

/// How much of a page is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_text: usize,
    pub max_links: usize,
    pub max_images: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_text: 64 * 1024,
            max_links: 2000,
            max_images: 50,
        }
    }
}

/// A page as the patrol reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    pub title: Option<String>,
    pub text: String,
    pub links: Vec<Url>,
    pub images: Vec<Url>,
    pub feeds: Vec<Url>,
    /// `<meta name="robots" content="nofollow">` (or `none`).
    pub nofollow: bool,
}

const SKIPPED: &[&str] = &["script", "style", "noscript", "template", "svg", "head"];
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "tr",
    "td",
    "th",
    "table",
    "section",
    "article",
    "header",
    "footer",
    "nav",
    "aside",
    "main",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "form",
    "hr",
    "dd",
    "dt",
    "figcaption",
];

/// The selectors this module reads with, parsed once.
struct Selectors {
    base: Selector,
    title: Selector,
    body: Selector,
    links: Selector,
    images: Selector,
    meta_images: Selector,
    feeds: Selector,
    meta: Selector,
}

fn selectors() -> &'static Selectors {
    static S: std::sync::OnceLock<Selectors> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        // Constants of this module: a failure is a bug, caught by its tests.
        #[allow(
            clippy::expect_used,
            reason = "constant selectors, covered by the tests"
        )]
        let p = |s: &str| Selector::parse(s).expect("a valid selector");
        Selectors {
            base: p("base[href]"),
            title: p("title"),
            body: p("body"),
            links: p("a[href], area[href]"),
            images: p("img[src]"),
            meta_images: p("meta[property='og:image'], meta[name='twitter:image']"),
            feeds: p("link[rel~='alternate'][href]"),
            meta: p("meta[name]"),
        }
    })
}

/// Collects the visible text under `el` into `out`.
fn text_of(el: ElementRef<'_>, out: &mut String, max: usize) {
    for child in el.children() {
        if out.len() >= max {
            return;
        }
        match child.value() {
            Node::Text(t) => {
                for word in t.split_whitespace() {
                    if !out.is_empty() && !out.ends_with('\n') {
                        out.push(' ');
                    }
                    out.push_str(word);
                }
            }
            Node::Element(e) => {
                let name = e.name();
                if SKIPPED.contains(&name) {
                    continue;
                }
                let block = BLOCKS.contains(&name);
                if block && !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
                if let Some(c) = ElementRef::wrap(child) {
                    text_of(c, out, max);
                }
                if block && !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
            }
            _ => {}
        }
    }
}

/// Cuts `s` to at most `max` bytes on a character boundary.
fn cut(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
}

fn push_unique(v: &mut Vec<Url>, u: Url, max: usize) {
    if v.len() < max && !v.contains(&u) {
        v.push(u);
    }
}

/// Reads the HTML `body` fetched from `url`.
pub fn read(body: &[u8], url: &Url, limits: Limits) -> Page {
    let src = String::from_utf8_lossy(body);
    let doc = Html::parse_document(&src);
    let sel = selectors();
    let base = doc
        .select(&sel.base)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| url.join(h).ok())
        .unwrap_or_else(|| url.clone());
    let mut page = Page {
        title: doc
            .select(&sel.title)
            .next()
            .map(|t| t.text().collect::<Vec<_>>().join(" "))
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|t| !t.is_empty()),
        ..Page::default()
    };
    let mut text = String::new();
    if let Some(body_el) = doc.select(&sel.body).next() {
        text_of(body_el, &mut text, limits.max_text);
    }
    let mut text = text.trim().to_string();
    cut(&mut text, limits.max_text);
    page.text = text;
    for a in doc.select(&sel.links) {
        if let Some(u) = a
            .value()
            .attr("href")
            .and_then(|h| canonical(h, Some(&base)).ok())
        {
            push_unique(&mut page.links, u, limits.max_links);
        }
    }
    for img in doc.select(&sel.images) {
        if let Some(u) = img
            .value()
            .attr("src")
            .and_then(|h| canonical(h, Some(&base)).ok())
        {
            push_unique(&mut page.images, u, limits.max_images);
        }
    }
    for m in doc.select(&sel.meta_images) {
        if let Some(u) = m
            .value()
            .attr("content")
            .and_then(|h| canonical(h, Some(&base)).ok())
        {
            push_unique(&mut page.images, u, limits.max_images);
        }
    }
    for l in doc.select(&sel.feeds) {
        let ty = l.value().attr("type").unwrap_or("").to_ascii_lowercase();
        if (ty.contains("rss") || ty.contains("atom"))
            && let Some(u) = l
                .value()
                .attr("href")
                .and_then(|h| canonical(h, Some(&base)).ok())
        {
            push_unique(&mut page.feeds, u, limits.max_links);
        }
    }
    page.nofollow = doc.select(&sel.meta).any(|m| {
        m.value()
            .attr("name")
            .is_some_and(|n| n.eq_ignore_ascii_case("robots"))
            && m.value().attr("content").is_some_and(|c| {
                c.split(',')
                    .map(|t| t.trim().to_ascii_lowercase())
                    .any(|t| t == "nofollow" || t == "none")
            })
    });
    page
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    const PAGE: &str = r#"<!doctype html>
<html><head><title>  Forum   Jual Beli </title>
<meta property="og:image" content="/img/og.jpg">
<link rel="alternate" type="application/rss+xml" href="/feed.xml">
<style>p { color: red }</style><script>var hidden = "open bo";</script></head>
<body>
<nav><a href="/">Beranda</a> <a href="mailto:admin@forum.test">surat</a></nav>
<article><h1>Postingan</h1><p>ready <b>temenin</b> malam ini,
   1 jam 350k</p><p>WA 0812 3456 7890</p>
<img src="foto/1.jpg"><img src="foto/1.jpg#x"></article>
<noscript>aktifkan javascript</noscript>
<a href="thread?id=2&utm_source=x#reply">berikutnya</a>
<a href="javascript:void(0)">x</a><a href="HTTP://Forum.test:80/thread?id=2">lagi</a>
<template><p>tidak tampil</p></template>
</body></html>"#;

    #[test]
    fn reads_text_links_images_and_feeds() {
        let p = read(
            PAGE.as_bytes(),
            &url("http://forum.test/t/1"),
            Limits::default(),
        );
        assert_eq!(p.title.as_deref(), Some("Forum Jual Beli"));
        assert_eq!(
            p.text,
            "Beranda surat\nPostingan\nready temenin malam ini, 1 jam 350k\nWA 0812 3456 7890\nberikutnya x lagi"
        );
        assert!(
            !p.text.contains("hidden")
                && !p.text.contains("javascript")
                && !p.text.contains("tidak tampil")
        );
        let links: Vec<&str> = p.links.iter().map(Url::as_str).collect();
        assert_eq!(
            links,
            [
                "http://forum.test/",
                "http://forum.test/t/thread?id=2",
                "http://forum.test/thread?id=2"
            ]
        );
        let images: Vec<&str> = p.images.iter().map(Url::as_str).collect();
        assert_eq!(
            images,
            [
                "http://forum.test/t/foto/1.jpg",
                "http://forum.test/img/og.jpg"
            ]
        );
        assert_eq!(p.feeds, [url("http://forum.test/feed.xml")]);
        assert!(!p.nofollow);
    }

    #[test]
    fn base_href_nofollow_and_limits() {
        let html = r#"<html><head><base href="http://cdn.forum.test/x/"><meta name="ROBOTS" content="noindex, NoFollow"></head>
            <body><a href="a">1</a><a href="b">2</a><a href="c">3</a><p>ééééé</p></body></html>"#;
        let p = read(
            html.as_bytes(),
            &url("http://forum.test/"),
            Limits {
                max_text: 8,
                max_links: 2,
                max_images: 1,
            },
        );
        let links: Vec<&str> = p.links.iter().map(Url::as_str).collect();
        assert_eq!(
            links,
            ["http://cdn.forum.test/x/a", "http://cdn.forum.test/x/b"]
        );
        assert!(p.nofollow);
        assert!(p.text.len() <= 8);
    }

    #[test]
    fn broken_and_binary_input_does_not_panic() {
        for body in [
            &b"<html><body><p>unclosed <a href='/x'>link"[..],
            b"\xff\xfe\x00\x01<<<>>>",
            b"",
        ] {
            let p = read(body, &url("http://forum.test/"), Limits::default());
            assert!(p.text.len() <= Limits::default().max_text);
        }
        let p = read(
            b"<p>unclosed <a href='/x'>link",
            &url("http://forum.test/"),
            Limits::default(),
        );
        assert_eq!(p.links, [url("http://forum.test/x")]);
        assert_eq!(p.text, "unclosed link");
    }
}
