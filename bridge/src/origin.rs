//! Which web pages may read the bridge.
//!
//! Any page a person visits can open a WebSocket to `ws://127.0.0.1:<port>/`; the browser
//! then sends that page's `Origin` and leaves the decision to the server (RFC 6455 §10.2).
//! The bridge allows pages served from this machine (`localhost`, `127.0.0.1`, `[::1]`, any
//! port, http or https), the hosted playground when its origin was given at build time
//! (`PLAYGROUND_HOSTED_ORIGIN`), and whatever `--allow-origin` adds; it refuses every other
//! origin, including `null` (sandboxed frames, `file://`). A request with no `Origin` at all
//! does not come from a web page (browsers always send one), so it is allowed: a local
//! program could read the clock itself anyway.

/// The hosted site's origin, fixed when the bridge is built, if any.
pub const HOSTED_ORIGIN: Option<&str> = option_env!("PLAYGROUND_HOSTED_ORIGIN");

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OriginPolicy {
    extra: Vec<String>,
}

impl OriginPolicy {
    /// Loopback origins, the hosted origin, and `extra` (exact origins such as
    /// `https://course.example.edu`).
    pub fn new(extra: Vec<String>) -> OriginPolicy {
        let mut extra: Vec<String> = extra.into_iter().map(|origin| origin.trim_end_matches('/').to_string()).collect();
        extra.extend(HOSTED_ORIGIN.map(str::to_string));
        OriginPolicy { extra }
    }

    /// Why `origin` is refused, if it is.
    pub fn check(&self, origin: Option<&str>) -> Result<(), String> {
        let Some(origin) = origin else { return Ok(()) };
        if is_loopback(origin) || self.extra.iter().any(|allowed| allowed.eq_ignore_ascii_case(origin)) {
            return Ok(());
        }
        Err(format!("origin {origin} is not allowed; start the bridge with --allow-origin {origin} to allow it"))
    }
}

/// Validates an origin given on the command line: `scheme://host[:port]`, nothing after.
pub fn parse_origin(text: &str) -> Result<String, String> {
    let trimmed = text.trim_end_matches('/');
    let (scheme, rest) =
        trimmed.split_once("://").ok_or_else(|| format!("{text:?} is not an origin like https://example.org"))?;
    if !matches!(scheme, "http" | "https") || rest.is_empty() || rest.contains('/') || rest.contains('*') {
        return Err(format!(
            "{text:?} is not an origin like https://example.org (http or https, a host, an optional port)"
        ));
    }
    Ok(trimmed.to_string())
}

fn is_loopback(origin: &str) -> bool {
    let Some(rest) = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) else {
        return false;
    };
    let host = if let Some(bracketed) = rest.strip_prefix('[') {
        match bracketed.split_once(']') {
            Some((host, port)) if port.is_empty() || is_port(port) => host,
            _ => return false,
        }
    } else {
        match rest.split_once(':') {
            Some((host, port)) if is_port(port) => host,
            Some(_) => return false,
            None => rest,
        }
    };
    host.eq_ignore_ascii_case("localhost") || host == "127.0.0.1" || host == "::1"
}

fn is_port(text: &str) -> bool {
    text.strip_prefix(':').unwrap_or(text).parse::<u16>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_pages_are_allowed_and_others_refused() {
        let policy = OriginPolicy::new(vec!["https://course.example.edu/".into()]);
        for allowed in [
            "http://localhost:8080",
            "http://127.0.0.1:4173",
            "https://localhost",
            "http://[::1]:8080",
            "https://course.example.edu",
        ] {
            assert_eq!(policy.check(Some(allowed)), Ok(()), "{allowed}");
        }
        for refused in [
            "https://evil.example",
            "http://localhost.evil.example",
            "http://127.0.0.1.nip.io:8080",
            "http://localhost:80x",
            "null",
            "https://course.example.edu.evil",
        ] {
            let why = policy.check(Some(refused)).unwrap_err();
            assert!(why.contains("--allow-origin"), "{why}");
        }
        assert_eq!(policy.check(None), Ok(()), "no Origin: not a web page");
    }

    #[test]
    fn origins_on_the_command_line_are_validated() {
        assert_eq!(parse_origin("https://example.org/").unwrap(), "https://example.org");
        assert_eq!(parse_origin("http://example.org:8080").unwrap(), "http://example.org:8080");
        for bad in ["example.org", "ftp://example.org", "https://example.org/path", "https://*.example.org", "https://"]
        {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }
}
