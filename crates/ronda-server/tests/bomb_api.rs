//! Decompression bombs against `POST /media/hash`: a 8000×8000 PNG of zeros is a few tens of
//! kilobytes and 64 megapixels once decoded. Eight sent at once must neither grow the process
//! past 1 GiB nor be refused for a wrong reason: each waits for its share of the decode budget,
//! then is hashed or answered 503 with `Retry-After`.
//!
//! Its own test binary: nextest runs each test in its own process, so the process's peak
//! resident size (`VmHWM`) is this test's.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

mod common;

use std::io::Write;

use common::*;
use reqwest::StatusCode;

/// A grey-scale PNG of `side` × `side` zero pixels, deflated.
fn zeros_png(side: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let row = vec![0u8; side as usize + 1];
    for _ in 0..side {
        z.write_all(&row).unwrap();
    }
    let idat = z.finish().unwrap();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &idat);
    chunk(&mut png, b"IEND", &[]);
    png
}

/// The process's peak resident set size, in bytes (Linux).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

async fn upload_to(
    client: reqwest::Client,
    base: String,
    token: String,
    png: Vec<u8>,
) -> (StatusCode, Option<String>) {
    let resp = client
        .post(format!("{base}/media/hash"))
        .bearer_auth(&token)
        .header("content-type", "image/png")
        .body(png)
        .send()
        .await
        .unwrap();
    let retry = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (resp.status(), retry)
}

async fn upload(app: &TestApp, png: Vec<u8>) -> (StatusCode, Option<String>) {
    upload_to(app.client.clone(), app.base.clone(), app.admin.clone(), png).await
}

/// `n` uploads of `png`, all in flight at once; the answers in order.
async fn futures_join(app: &TestApp, png: &[u8], n: usize) -> Vec<(StatusCode, Option<String>)> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            tokio::spawn(upload_to(
                app.client.clone(),
                app.base.clone(),
                app.admin.clone(),
                png.to_vec(),
            ))
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_bombs_at_once_stay_under_a_gibibyte() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.decode_wait_ms = 60_000).await;
    let png = zeros_png(8000);
    assert!(png.len() < 200_000, "{} bytes", png.len());
    let before = peak_rss().unwrap_or(0);
    let answers = futures_join(&app, &png, 8).await;
    let peak = peak_rss().unwrap_or(0);
    eprintln!(
        "8 × 8000×8000 PNG ({} bytes each): peak RSS {} MiB (before {} MiB); answers {answers:?}",
        png.len(),
        peak >> 20,
        before >> 20
    );
    assert!(
        answers.iter().all(|(s, _)| *s == StatusCode::OK),
        "{answers:?}"
    );
    assert!(peak < 1 << 30, "peak RSS {} MiB", peak >> 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_saturated_decoder_answers_503_with_retry_after() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.decode_wait_ms = 1).await;
    let png = zeros_png(8000);
    let answers = futures_join(&app, &png, 8).await;
    assert!(
        answers.iter().any(|(s, _)| *s == StatusCode::OK),
        "{answers:?}"
    );
    let refused: Vec<_> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(!refused.is_empty(), "{answers:?}");
    assert!(
        refused.iter().all(|(_, r)| r.as_deref() == Some("1")),
        "{answers:?}"
    );
    // An image larger than the whole budget is refused outright.
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.decode_budget_megapixels = 10).await;
    let (s, _) = upload(&app, zeros_png(4000)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_token_has_a_hashing_rate() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.media_hash_per_minute = 4).await;
    let png = zeros_png(64);
    assert_eq!(upload(&app, png.clone()).await.0, StatusCode::OK);
    let (s, retry) = upload(&app, png.clone()).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry.is_some());
    // Another token has its own bucket.
    let other = app.token(ronda_core::model::Role::Analyst, None).await;
    let (s, _) = upload_to(app.client.clone(), app.base.clone(), other, png).await;
    assert_eq!(s, StatusCode::OK);
}

/// A black `side` × `side` JPEG (a few hundred kilobytes).
fn black_jpeg(side: u32) -> Vec<u8> {
    let image = image::GrayImage::new(side, side);
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// JPEGs are scaled while decoding: eight 64-megapixel JPEGs at once decode at 1/8 (1000 ×
/// 1000) each, never at full size — the budget counts 1 megapixel per upload, not 64.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn large_jpegs_decode_scaled_without_the_full_image() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.decode_budget_megapixels = 8).await;
    let jpeg = black_jpeg(8000);
    let before = peak_rss().unwrap_or(0);
    let answers = futures_join(&app, &jpeg, 8).await;
    let peak = peak_rss().unwrap_or(0);
    eprintln!(
        "8 × 8000×8000 JPEG ({} bytes each): peak RSS {} MiB (before {} MiB); answers {answers:?}",
        jpeg.len(),
        peak >> 20,
        before >> 20
    );
    assert!(
        answers.iter().all(|(s, _)| *s == StatusCode::OK),
        "{answers:?}"
    );
    assert!(peak < before + (256 << 20), "peak RSS {} MiB", peak >> 20);
    // The same budget refuses a PNG of that size, which cannot be scaled while decoding.
    let (s, _) = upload(&app, zeros_png(8000)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // With scaling off, the JPEG is a 64-megapixel decode again: over this budget.
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.decode_budget_megapixels = 8;
        c.jpeg_min_side = 0;
    })
    .await;
    let (s, _) = upload(&app, jpeg).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}
