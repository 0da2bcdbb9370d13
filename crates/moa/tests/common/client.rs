//! An HTTP client for the web tests: keeps cookies like a browser, never follows redirects.

use std::net::SocketAddr;

use reqwest::redirect::Policy;

pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub cookies: Vec<String>,
}

pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|l| l.to_str().ok())
    }
}

impl Client {
    pub fn new(addr: std::net::SocketAddr) -> Self {
        Self::new_from(addr, "127.0.0.1")
    }

    /// A client whose connections come from `local` (any 127.x address on Linux): another reader.
    pub fn new_from(addr: std::net::SocketAddr, local: &str) -> Self {
        moa::ingest::fetch::install_tls_provider();
        let http = reqwest::Client::builder()
            .redirect(Policy::none())
            .local_address(local.parse::<std::net::IpAddr>().ok())
            .build()
            .unwrap();
        Self { base: format!("http://{addr}"), http, cookies: Vec::new() }
    }

    pub async fn send(&mut self, r: reqwest::RequestBuilder, extra: &[(&str, &str)]) -> Answer {
        let mut r = r;
        if !self.cookies.is_empty() {
            r = r.header("cookie", self.cookies.join("; "));
        }
        for (k, v) in extra {
            r = r.header(*k, *v);
        }
        let resp = r.send().await.unwrap();
        let headers = resp.headers().clone();
        for set in headers.get_all("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_string();
            let name = pair.split('=').next().unwrap().to_string();
            self.cookies.retain(|c| !c.starts_with(&format!("{name}=")));
            if !pair.ends_with('=') {
                self.cookies.push(pair);
            }
        }
        Answer { status: resp.status().as_u16(), headers, body: resp.text().await.unwrap() }
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let r = self.http.get(format!("{}{path}", self.base));
        self.send(r, &[]).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        self.post_with(path, form, &[]).await
    }

    pub async fn post_with(&mut self, path: &str, form: &[(&str, &str)], extra: &[(&str, &str)]) -> Answer {
        let r = form_post(&self.http, format!("{}{path}", self.base), form);
        self.send(r, extra).await
    }

    /// The value of a hidden `csrf` field of a page.
    pub fn csrf_of(page: &str) -> String {
        page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string()
    }
}

pub fn form_post(http: &reqwest::Client, url: String, fields: &[(&str, &str)]) -> reqwest::RequestBuilder {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    http.post(url).header("content-type", "application/x-www-form-urlencoded").body(body)
}

impl Client {
    /// Signs `name` in through the form, and returns the client with the session's CSRF token.
    pub async fn sign_in(addr: SocketAddr, name: &str, password: &str) -> (Self, String) {
        let mut c = Self::new(addr);
        let login = c.get("/login").await;
        let csrf = Self::csrf_of(&login.body);
        let r = c.post("/login", &[("csrf", &csrf), ("name", name), ("password", password)]).await;
        assert_eq!(r.status, 303, "{name} signs in");
        let month = moa::newsletter::curation::current_month(moa::now_unix()).to_string();
        let page = c.get(&format!("/curate/{month}")).await;
        let csrf = Self::csrf_of(&page.body);
        (c, csrf)
    }
}
