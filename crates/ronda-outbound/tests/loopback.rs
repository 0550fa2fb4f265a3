//! The client against real local servers, on loopback only: refused without the allow-list
//! (and no connection reaches the server), delivered with it, no redirect followed, time capped.
//! No test sends anything to an address outside 127.0.0.1.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ronda_outbound::{Outbound, OutboundError, Policy, Refused};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server on 127.0.0.1 answering every request with `answer` (after `delay`); counts
/// connections.
async fn server(answer: &'static str, delay: Duration) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = sock.read(&mut buf).await;
                tokio::time::sleep(delay).await;
                let _ = sock.write_all(answer.as_bytes()).await;
            });
        }
    });
    (port, seen)
}

const NO_CONTENT: &str =
    "HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

fn allowing(entries: &[String]) -> Outbound {
    Outbound::new(Policy {
        allow: entries.iter().map(|e| e.parse().unwrap()).collect(),
        timeout: Duration::from_millis(800),
        ..Policy::default()
    })
    .unwrap()
}

#[tokio::test]
async fn loopback_is_refused_unless_allow_listed() {
    let (port, seen) = server(NO_CONTENT, Duration::ZERO).await;
    let url = format!("http://127.0.0.1:{port}/hook");
    let refused = allowing(&[]).post(&url, &[], b"{}".to_vec()).await;
    assert!(
        matches!(
            &refused,
            Err(OutboundError::Refused(Refused::Address { .. }))
        ),
        "{refused:?}"
    );
    let named = allowing(&[])
        .post(&format!("http://localhost:{port}/"), &[], Vec::new())
        .await;
    assert!(matches!(named, Err(OutboundError::Refused(_))), "{named:?}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(seen.load(Ordering::SeqCst), 0, "nothing reached the server");

    // Allow-listed: that address and port only.
    let out = allowing(&[format!("127.0.0.1:{port}")]);
    assert_eq!(
        out.post(&url, &[("x-test", "1")], b"{}".to_vec())
            .await
            .unwrap(),
        204
    );
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    let other = out
        .post(
            &format!("http://127.0.0.1:{}/", port.wrapping_add(1)),
            &[],
            Vec::new(),
        )
        .await;
    assert!(matches!(other, Err(OutboundError::Refused(_))), "{other:?}");
}

#[tokio::test]
async fn redirects_are_answers_never_followed() {
    let (target, target_seen) = server(NO_CONTENT, Duration::ZERO).await;
    let answer: &'static str = Box::leak(
        format!("HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.1:{target}/\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .into_boxed_str(),
    );
    let (port, _) = server(answer, Duration::ZERO).await;
    let out = allowing(&[format!("127.0.0.1:{port}"), format!("127.0.0.1:{target}")]);
    let status = out
        .post(
            &format!("http://127.0.0.1:{port}/"),
            &[],
            b"secret body".to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(status, 307);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        target_seen.load(Ordering::SeqCst),
        0,
        "the body was not re-sent elsewhere"
    );
}

#[tokio::test]
async fn a_receiver_that_never_answers_times_out() {
    let (port, _) = server(NO_CONTENT, Duration::from_secs(30)).await;
    let out = allowing(&[format!("127.0.0.1:{port}")]);
    let started = std::time::Instant::now();
    let e = out
        .post(&format!("http://127.0.0.1:{port}/"), &[], Vec::new())
        .await;
    assert!(
        matches!(&e, Err(OutboundError::Transport(m)) if m == "timed out"),
        "{e:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}
