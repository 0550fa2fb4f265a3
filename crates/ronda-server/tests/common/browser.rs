//! A browser without a script for the page tests: a cookie jar, no redirects followed, forms
//! posted as a browser posts them; and the users the tests sign in as.

use std::collections::HashMap;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use ronda_core::model::Role;
use ronda_store::users::{NewUser, PasswordChoice};

use super::TestApp;

pub const PASSWORD: &str = "correct horse battery staple";

/// A browser without a script: a cookie jar, no redirects followed.
pub struct Browser {
    pub root: String,
    pub client: reqwest::Client,
    pub cookies: HashMap<String, String>,
    pub accept_language: Option<&'static str>,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// The body as it came (a download).
    pub bytes: Vec<u8>,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .map_or("", |v| v.to_str().unwrap())
    }

    /// The value of the first `name="csrf"` field.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a csrf field")
            + 19;
        self.body[at..at + self.body[at..].find('"').unwrap()].to_string()
    }
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser {
            root: app.base.trim_end_matches("/api/v1").to_string(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
            accept_language: None,
        }
    }

    pub async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let mut req = req;
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req = req.header("cookie", jar.join("; "));
        }
        if let Some(l) = self.accept_language {
            req = req.header("accept-language", l);
        }
        let resp = req.send().await.unwrap();
        for c in resp.headers().get_all(SET_COOKIE) {
            let c = c.to_str().unwrap();
            let (pair, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if c.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        let (status, headers) = (resp.status(), resp.headers().clone());
        let bytes = resp.bytes().await.unwrap().to_vec();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let req = self.client.get(format!("{}{path}", self.root));
        self.send(req).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let req = self.client.post(format!("{}{path}", self.root)).form(form);
        self.send(req).await
    }

    pub async fn post_multipart(&mut self, path: &str, form: reqwest::multipart::Form) -> Page {
        let req = self
            .client
            .post(format!("{}{path}", self.root))
            .multipart(form);
        self.send(req).await
    }

    pub async fn sign_in(&mut self, name: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        let csrf = form.csrf();
        self.post(
            "/login",
            &[("csrf", &csrf), ("username", name), ("password", password)],
        )
        .await
    }

    /// A signed-in page's CSRF token (from the sign-out form every page has).
    pub async fn csrf(&mut self) -> String {
        self.get("/account").await.csrf()
    }
}

pub async fn user(app: &TestApp, name: &str, role: Role, platform: Option<&str>) {
    member(app, name, role, platform, None).await;
}

/// A police user of `unit`.
pub async fn police(app: &TestApp, name: &str, unit: &str) {
    member(app, name, Role::Police, None, Some(unit)).await;
}

async fn member(app: &TestApp, name: &str, role: Role, platform: Option<&str>, unit: Option<&str>) {
    let store = app.state.store.clone();
    let (name, platform) = (name.to_string(), platform.map(str::to_string));
    let unit = unit.map(str::to_string);
    tokio::task::spawn_blocking(move || {
        store
            .create_user_blocking(
                "test",
                NewUser {
                    name,
                    role,
                    platform,
                    unit,
                },
                PasswordChoice::Chosen(PASSWORD.into()),
            )
            .unwrap()
    })
    .await
    .unwrap();
}

/// Each test once per backend: `mod sqlite`, `mod postgres`.
#[macro_export]
macro_rules! page_tests {
    ($(async fn $name:ident($backend:ident) $body:block)+) => {
        mod sqlite {
            use super::*;
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
              async fn $name() { let $backend = Backend::Sqlite; $body })+
        }
        mod postgres {
            use super::*;
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
              async fn $name() { let $backend = Backend::Postgres; $body })+
        }
    };
}
