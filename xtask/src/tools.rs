//! Installs what the build and the tests need, when it is missing: the Rust targets, trunk,
//! wasm-bindgen-cli at the Cargo.lock version, a wasm-opt that reads current Rust wasm
//! (binaryen 132 from npm; Debian's 108 cannot), and Chromium with chromedriver.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{root, run, Step};

pub const TRUNK_VERSION: &str = "0.21.14";
pub const BINARYEN_VERSION: &str = "132";
/// twiggy, for the bundle report's largest contributors.
pub const TWIGGY_VERSION: &str = "0.8.0";
/// axe-core for the end-to-end accessibility check, injected by the test (never a CDN).
pub const AXE_VERSION: &str = "4.14.1";
pub const TARGETS: [&str; 2] = ["wasm32-unknown-unknown", "thumbv7em-none-eabihf"];
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The output of a command, if it ran and succeeded.
fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).env("PATH", path_with_tools()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

pub fn tools_dir() -> PathBuf {
    root().join(".tools")
}

fn cargo_bin() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from("/root/.cargo"));
    home.join("bin")
}

/// PATH with cargo's bin folder and the local binaryen first.
pub fn path_with_tools() -> String {
    let binaryen = tools_dir().join("binaryen/node_modules/.bin");
    let current = std::env::var("PATH").unwrap_or_default();
    format!("{}:{}:{current}", binaryen.display(), cargo_bin().display())
}

/// The wasm-bindgen version pinned in Cargo.lock.
pub fn wasm_bindgen_version() -> Result<String, String> {
    let lock =
        std::fs::read_to_string(root().join("Cargo.lock")).map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(version) = lines.next().and_then(|l| l.trim().strip_prefix("version = \"")) {
                return Ok(version.trim_end_matches('"').to_string());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen entry".into())
}

fn ensure_targets() -> Result<(), String> {
    let installed = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    let missing: Vec<&str> = TARGETS.iter().copied().filter(|t| !installed.contains(t)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut args = vec!["target", "add"];
    args.extend(missing);
    run(Step::new("install Rust targets", "rustup", &args))
}

fn ensure_cargo_tool(binary: &str, version: &str, package: &str) -> Result<(), String> {
    if output(binary, &["--version"]).is_some_and(|v| v.contains(version)) {
        return Ok(());
    }
    let spec = format!("{package}@{version}");
    let locked = run(Step::new(&format!("install {spec}"), "cargo", &["install", "--locked", &spec]));
    if locked.is_ok() {
        return Ok(());
    }
    // A lock file can name a dependency version the registry mirror does not have yet.
    eprintln!("xtask: `cargo install --locked {spec}` failed; trying again without --locked");
    run(Step::new(&format!("install {spec}"), "cargo", &["install", &spec]))
}

fn ensure_wasm_opt() -> Result<(), String> {
    let binary = tools_dir().join("binaryen/node_modules/.bin/wasm-opt");
    if output(&binary.to_string_lossy(), &["--version"]).is_some_and(|v| v.contains(BINARYEN_VERSION)) {
        return Ok(());
    }
    npm_install("binaryen", &format!("binaryen@{BINARYEN_VERSION}"), "install wasm-opt (binaryen from npm)")
}

/// axe-core from npm into `.tools/axe`; the end-to-end tests inject it into each page.
fn ensure_axe() -> Result<(), String> {
    let prefix = tools_dir().join("axe");
    let package_json = prefix.join("node_modules/axe-core/package.json");
    let installed = std::fs::read_to_string(&package_json).unwrap_or_default();
    if installed.contains(&format!("\"version\": \"{AXE_VERSION}\"")) {
        return Ok(());
    }
    npm_install("axe", &format!("axe-core@{AXE_VERSION}"), "install axe-core (npm)")
}

/// Installs an npm package into `.tools/<dir>` (npm itself from apt if it is missing).
fn npm_install(dir: &str, package: &str, title: &str) -> Result<(), String> {
    if output("npm", &["--version"]).is_none() {
        apt_install(&["nodejs", "npm"])?;
    }
    let prefix = tools_dir().join(dir);
    std::fs::create_dir_all(&prefix).map_err(|e| format!("cannot create {}: {e}", prefix.display()))?;
    run(Step::new(
        title,
        "npm",
        &["install", "--no-audit", "--no-fund", "--prefix", &prefix.to_string_lossy(), package],
    ))
}

fn apt_install(packages: &[&str]) -> Result<(), String> {
    let root_user = output("id", &["-u"]).is_some_and(|id| id.trim() == "0");
    let (program, mut prefix): (&str, Vec<&str>) =
        if root_user { ("apt-get", vec![]) } else { ("sudo", vec!["apt-get"]) };
    let mut update = prefix.clone();
    update.push("update");
    run(Step::new("apt-get update", program, &update).env("DEBIAN_FRONTEND", "noninteractive"))?;
    prefix.extend(["install", "-y"]);
    prefix.extend(packages);
    run(Step::new(&format!("install {}", packages.join(" ")), program, &prefix)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

fn ensure_chromium() -> Result<(), String> {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return Ok(());
    }
    apt_install(&["chromium", "chromium-driver"])
}

/// gpsd and gpsfake, for the bridge's integration test against a real gpsd.
fn ensure_gpsd() -> Result<(), String> {
    if Path::new("/usr/bin/gpsfake").exists() && Path::new("/usr/sbin/gpsd").exists() {
        return Ok(());
    }
    apt_install(&["--no-install-recommends", "gpsd", "gpsd-clients", "python3-gps"])
}

/// Installs whatever is missing for serving.
pub fn ensure_for_serve() -> Result<(), String> {
    ensure_targets()?;
    ensure_cargo_tool("trunk", TRUNK_VERSION, "trunk")?;
    ensure_cargo_tool("wasm-bindgen", &wasm_bindgen_version()?, "wasm-bindgen-cli")?;
    ensure_wasm_opt()
}

/// Installs whatever is missing for the whole test suite.
pub fn ensure_for_test() -> Result<(), String> {
    ensure_for_serve()?;
    ensure_chromium()?;
    ensure_axe()?;
    ensure_cargo_tool("twiggy", TWIGGY_VERSION, "twiggy")?;
    ensure_gpsd()
}
