//! The local site of the crawl benchmark (`bench/patrol/run.sh`): `PAGES` HTML pages on each of
//! `PORTS` loopback ports (each port a host), every page about 4 KiB of ordinary Indonesian
//! classifieds text with ten links that together reach every page from `/`; one page in fifty
//! an offer the detection engine flags. HTTP/1.1 with keep-alive, answers from memory, so the
//! crawler and not the site is what is measured. Prints the ports, one per line, then serves
//! until killed.
//!
//! ```text
//! cargo run --release -p ronda-patrol --example bench_site -- PORTS PAGES
//! ```

#![allow(
    clippy::unwrap_used,
    reason = "a benchmark fixture: a panic stops the run"
)]

use std::io::Write;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const FILLER: &str = "Jual motor bekas kondisi mulus, surat lengkap, pajak hidup, harga nego tipis. \
    Lokasi dekat pasar, bisa lihat langsung sore hari. Tersedia juga helm dan jaket. ";

const NOT_FOUND: &[u8] =
    b"HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: 0\r\n\r\n";

fn page(k: usize, pages: usize) -> Vec<u8> {
    let mut body = String::with_capacity(5000);
    body.push_str("<!doctype html><html><head><title>Iklan ");
    body.push_str(&k.to_string());
    body.push_str("</title></head><body><nav>");
    for i in 1..=10 {
        let to = (k * 10 + i) % pages;
        body.push_str(&format!("<a href=\"/p/{to}\">iklan {to}</a> "));
    }
    body.push_str("</nav><article>");
    if k % 50 == 49 {
        body.push_str(&format!(
            "<p>open BO jogja ST 35{}k include room, WA 0812 3456 {:04}</p>",
            k % 10,
            k % 10_000
        ));
    }
    while body.len() < 4000 {
        body.push_str("<p>");
        body.push_str(FILLER);
        body.push_str("</p>");
    }
    body.push_str("</article></body></html>");
    let mut r = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body.as_bytes());
    r
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let ports = args.first().copied().unwrap_or(8);
    let pages = args.get(1).copied().unwrap_or(2000);
    let site: Arc<Vec<Vec<u8>>> = Arc::new((0..pages).map(|k| page(k, pages)).collect());
    for _ in 0..ports {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap().port());
        let site = site.clone();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let site = site.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::with_capacity(4096);
                    let mut chunk = [0u8; 4096];
                    loop {
                        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                            match sock.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                            continue;
                        };
                        let head = String::from_utf8_lossy(&buf[..end]).to_string();
                        buf.drain(..end + 4);
                        let path = head.split_whitespace().nth(1).unwrap_or("/");
                        let answer = match path {
                            "/" => site.first(),
                            p => p
                                .strip_prefix("/p/")
                                .and_then(|k| k.parse::<usize>().ok())
                                .and_then(|k| site.get(k)),
                        };
                        let bytes: &[u8] = answer.map_or(NOT_FOUND, Vec::as_slice);
                        if sock.write_all(bytes).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
    }
    std::io::stdout().flush().unwrap();
    std::future::pending::<()>().await;
}
