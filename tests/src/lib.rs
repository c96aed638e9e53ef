//! The end-to-end harness: a static file server for `dist/` on loopback, and a small
//! WebDriver client for chromedriver (plain HTTP/1.1 and JSON; nothing else is needed).

mod bridge;
mod server;
mod webdriver;

pub use bridge::Bridge;
pub use server::Site;
pub use webdriver::{Browser, Element};

use std::path::PathBuf;

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().map(PathBuf::from).unwrap_or_default()
}

/// The built site. Builds it with `trunk build --release` if it is not there yet.
pub fn dist() -> PathBuf {
    let dist = root().join("dist");
    if !dist.join("index.html").exists() {
        let status = std::process::Command::new("trunk")
            .args(["build", "--release"])
            .current_dir(root())
            .status()
            .expect("trunk runs (cargo xtask test installs it)");
        assert!(status.success(), "trunk build --release failed");
    }
    dist
}
