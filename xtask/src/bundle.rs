//! The bundle report after `trunk build --release`: what a browser downloads (wasm, JS and
//! CSS, each gzip -9), the largest contributors to the wasm (twiggy, on the build before
//! wasm-bindgen, which still has function names), and a ceiling the build may not pass.

use std::path::Path;
use std::process::Command;

use crate::root;
use crate::tools::path_with_tools;

/// The ceiling: today's bundle plus a little, so it cannot grow unnoticed. DESIGN.md's
/// budget is 350 KB for all eight labs, and the lab-interface issue aims at 260 KB; neither
/// is reached (see the note). The consistency lab (its protocol, the four judges
/// and the timeline) added 62 KB, most of it one more copy of the generic simulator, and
/// judging a history file in the page 23 KB more: the ceiling went from 380 KB to 480 KB
/// with them, on purpose, until the simulator is compiled once for all labs. The
/// replication lab (three families, its panel) added 72 KB gzip; twiggy counts 33 KB
/// (uncompressed) of it as one more copy of the generic simulator, driver and lab plumbing,
/// the rest is its protocols, checks and pictures: 560 KB, on purpose again. The
/// partitioning lab added 81 KB gzip (620 KB in all): without its catalogue entry the wasm
/// is 70 KB smaller, of which twiggy counts 55 KB uncompressed as its own code (protocol,
/// checks, view), about 35 KB as one more copy of the generic simulator, driver and lab
/// plumbing, and 9 KB as `libm` (the Zipf sampler): 630 KB, on purpose a third time. The
/// transactions lab (four patterns: 2PC, 3PC, sagas, the outbox; its panel) added 58 KB gzip
/// (677.9 KB in all) and the failure handling lab (detectors with phi accrual and the
/// trade-off curve, leases and fencing, split brain, retries; its panel) 56 KB more (733.7 KB
/// in all, every lab built): 740 KB, on purpose a fourth time. Compiling `Sim<P>` once for
/// all labs is the lab-interface issue's open work; it would win back roughly 80-90 KB gzip
/// (about 30 KB uncompressed per lab, ten lab types), which alone no longer reaches 350 KB.
/// The look-and-feel issue (node glyphs and legend, the timeline with markers, grouped knobs,
/// dark mode) and the exercises (the goal judge, limits, the `?x=` codec, 21 shipped exercises
/// with their texts, the panel and the home page's list) together added 32 KB gzip (765.5 KB
/// in all; not measured apart): 775 KB, on purpose a fifth time. The rest of the course issue
/// (guided tours with their texts, one per lab; trace, SVG and PNG exports; the instructor's
/// authoring panel, about 20 KB uncompressed by itself; ten more exercises; the event goal)
/// added 33 KB gzip (800.7 KB in all): 810 KB, on purpose a sixth time. Then one compiled
/// sort (`core::sort`, instead of a copy of the standard library's per element type and
/// comparator: 170 KB of wasm before compression down to 37 KB) took 27 KB gzip off, and the
/// ceiling came down with it to 790 KB (779.8 KB in all with long work moved off the click).
/// Drawing messages in flight straight into the DOM (`web/src/lab/flight_layer.rs`: its own
/// component and DOM calls, 6 KB uncompressed) took the bundle from 788.3 to 791.4 KB and the
/// page's work per frame on the busy network probe from about 13 to 11 ms: 795 KB, on purpose.
/// Then drawing the history timeline's bars in chunks that stay as they are
/// (`labs/consistency/ops.rs`; the replication lab's work per frame at 5 s/s from about 20 to
/// 17 ms) and its labels at the window's edge took it to 794.8 KB, and cutting a history
/// file's long values by characters rather than bytes (they panicked on non-ASCII text) to
/// 795.1 KB: 796 KB, on purpose.
pub const LIMIT_BYTES: u64 = 796 * 1024;

fn gzip_size(path: &Path) -> Result<u64, String> {
    let out = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .output()
        .map_err(|e| format!("bundle report: cannot run gzip: {e}"))?;
    Ok(out.stdout.len() as u64)
}

/// Prints the report; an error when the bundle is over the ceiling.
pub fn report() -> Result<(), String> {
    let dist = root().join("dist");
    let entries = std::fs::read_dir(&dist).map_err(|e| format!("bundle report: cannot read dist/: {e}"))?;
    let mut sizes = [0u64; 3];
    for entry in entries.flatten() {
        let path = entry.path();
        let slot = match path.extension().and_then(|e| e.to_str()) {
            Some("wasm") => 0,
            Some("js") => 1,
            Some("css") => 2,
            _ => continue,
        };
        sizes[slot] += gzip_size(&path)?;
    }
    let total: u64 = sizes.iter().sum();
    let kb = |bytes: u64| bytes as f64 / 1024.0;
    println!(
        "BUNDLE wasm {:.1} KB + js {:.1} KB + css {:.1} KB = {:.1} KB gzip -9 (ceiling {:.0} KB)",
        kb(sizes[0]),
        kb(sizes[1]),
        kb(sizes[2]),
        kb(total),
        kb(LIMIT_BYTES)
    );
    let named = root().join("target/wasm32-unknown-unknown/wasm-release/playground-web.wasm");
    match Command::new("twiggy").args(["top", "-n", "15"]).arg(&named).env("PATH", path_with_tools()).output() {
        Ok(out) if out.status.success() => {
            println!("largest contributors (before wasm-bindgen and wasm-opt, uncompressed):");
            print!("{}", String::from_utf8_lossy(&out.stdout));
        }
        _ => println!("(twiggy could not read {}; no contributor list)", named.display()),
    }
    if total > LIMIT_BYTES {
        return Err(format!("the bundle is {:.1} KB gzip, over its {:.0} KB ceiling", kb(total), kb(LIMIT_BYTES)));
    }
    Ok(())
}
