//! A minimal W3C WebDriver client for chromedriver on loopback.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const CHROME_ARGS: [&str; 9] = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,1000",
];

/// A chromedriver process with one browser session; both end when dropped.
pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
}

#[derive(Clone, Debug)]
pub struct Element(String);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(60))).map_err(|e| e.to_string())?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
    // chromedriver keeps connections open, so read exactly what Content-Length announces.
    let mut raw = Vec::new();
    let mut buffer = [0u8; 8192];
    let header_end = loop {
        let n = stream.read(&mut buffer).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed before the headers ended".into());
        }
        raw.extend_from_slice(&buffer[..n]);
        if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let headers = String::from_utf8_lossy(&raw[..header_end]).to_ascii_lowercase();
    let length =
        headers.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse::<usize>().ok());
    let chunked = headers.contains("transfer-encoding: chunked") || headers.contains("transfer-encoding:chunked");
    loop {
        let body_len = raw.len() - header_end;
        let complete = match length {
            Some(len) => body_len >= len,
            None if chunked => raw.ends_with(b"0\r\n\r\n"),
            None => false,
        };
        if complete {
            break;
        }
        let n = stream.read(&mut buffer).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buffer[..n]);
    }
    let payload = String::from_utf8_lossy(&raw[header_end..]).into_owned();
    let json_text = if chunked { dechunk(&payload) } else { payload };
    serde_json::from_str(&json_text).map_err(|e| format!("bad JSON from chromedriver: {e}: {json_text}"))
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else { break };
        if size == 0 || tail.len() < size {
            break;
        }
        out.push_str(&tail[..size]);
        rest = tail[size..].trim_start_matches("\r\n");
    }
    out
}

impl Browser {
    pub fn start() -> Browser {
        Browser::start_with(&[])
    }

    /// A browser with more command-line switches, such as `--force-dark-mode`.
    pub fn start_with(extra: &[&str]) -> Browser {
        Browser::start_session(extra, json!({}))
    }

    /// A browser that saves downloads into `folder` without asking.
    pub fn start_downloading_to(folder: &std::path::Path) -> Browser {
        let prefs = json!({
            "download.default_directory": folder.to_string_lossy(),
            "download.prompt_for_download": false,
            "download.directory_upgrade": true,
            "safebrowsing.enabled": false
        });
        Browser::start_session(&[], prefs)
    }

    fn start_session(extra: &[&str], prefs: Value) -> Browser {
        let args: Vec<&str> = CHROME_ARGS.iter().chain(extra).copied().collect();
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts (cargo xtask test installs it)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while http(port, "GET", "/status", None).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not come up");
            sleep(Duration::from_millis(100));
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args, "prefs": prefs}
        }}});
        let answer = http(port, "POST", "/session", Some(&capabilities)).expect("new session");
        let session =
            answer["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {answer}")).to_string();
        Browser { driver, port, session }
    }

    fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.session);
        let answer = http(self.port, method, &path, body.as_ref()).unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        if let Some(error) = answer["value"].get("error") {
            panic!("{method} {path}: {error}: {}", answer["value"]["message"]);
        }
        answer["value"].clone()
    }

    pub fn goto(&self, url: &str) {
        self.command("POST", "/url", Some(json!({"url": url})));
    }

    /// Sets the window's size, as an iframe of that size would be.
    pub fn resize(&self, width: u32, height: u32) {
        self.command("POST", "/window/rect", Some(json!({"width": width, "height": height})));
    }

    pub fn url(&self) -> String {
        self.command("GET", "/url", None).as_str().unwrap_or_default().to_string()
    }

    /// Runs a script in the page and returns its result.
    pub fn script(&self, body: &str) -> Value {
        self.command("POST", "/execute/sync", Some(json!({"script": body, "args": []})))
    }

    /// Runs an asynchronous script: it finishes by calling its last argument with the result.
    pub fn script_async(&self, body: &str) -> Value {
        self.command("POST", "/execute/async", Some(json!({"script": body, "args": []})))
    }

    /// Waits up to ten seconds for a CSS selector to match.
    pub fn find(&self, css: &str) -> Element {
        self.wait_for(css, Duration::from_secs(10)).unwrap_or_else(|| panic!("no element matches `{css}`"))
    }

    pub fn wait_for(&self, css: &str, limit: Duration) -> Option<Element> {
        let deadline = Instant::now() + limit;
        loop {
            let path = format!("/session/{}/element", self.session);
            if let Ok(answer) = http(self.port, "POST", &path, Some(&json!({"using": "css selector", "value": css}))) {
                let id = answer["value"]
                    .as_object()
                    .and_then(|o| o.iter().find(|(k, _)| k.starts_with("element-6066")).map(|(_, v)| v));
                if let Some(id) = id.and_then(Value::as_str) {
                    return Some(Element(id.to_string()));
                }
            }
            if Instant::now() > deadline {
                return None;
            }
            sleep(Duration::from_millis(100));
        }
    }

    pub fn exists(&self, css: &str) -> bool {
        self.wait_for(css, Duration::ZERO).is_some()
    }

    /// Clicks an element, as a person would: first brought to the middle of the window, clear
    /// of the lab's timeline, which stays in view at the window's edge.
    pub fn click(&self, element: &Element) {
        let handle = json!({"element-6066-11e4-a52e-4f735466cecf": element.0});
        self.command(
            "POST",
            "/execute/sync",
            Some(json!({"script": "arguments[0].scrollIntoView({block: 'center', inline: 'nearest'})", "args": [handle]})),
        );
        self.command("POST", &format!("/element/{}/click", element.0), Some(json!({})));
    }

    /// Types into an element; for a file input, `text` is the path of the file to pick.
    pub fn send_keys(&self, element: &Element, text: &str) {
        self.command("POST", &format!("/element/{}/value", element.0), Some(json!({"text": text})));
    }

    pub fn text(&self, element: &Element) -> String {
        self.command("GET", &format!("/element/{}/text", element.0), None).as_str().unwrap_or_default().to_string()
    }

    pub fn property(&self, element: &Element, name: &str) -> Value {
        self.command("GET", &format!("/element/{}/property/{name}", element.0), None)
    }

    pub fn attribute(&self, element: &Element, name: &str) -> Option<String> {
        self.command("GET", &format!("/element/{}/attribute/{name}", element.0), None).as_str().map(String::from)
    }

    /// Waits until `check` holds, polling; panics with `what` after ten seconds.
    pub fn until(&self, what: &str, mut check: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !check() {
            assert!(Instant::now() < deadline, "timed out waiting until {what}");
            sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = http(self.port, "DELETE", &format!("/session/{}", self.session), None);
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
