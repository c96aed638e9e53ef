//! The few browser facilities the app needs, each failing softly.

pub fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

/// The page's query string, like `?lab=network`.
pub fn query() -> String {
    window().and_then(|w| w.location().search().ok()).unwrap_or_default()
}

/// The page's address without its query, so links work from any subpath.
pub fn base_url() -> String {
    let Some(location) = window().map(|w| w.location()) else { return String::new() };
    let origin = location.origin().unwrap_or_default();
    let path = location.pathname().unwrap_or_default();
    format!("{origin}{path}")
}

/// Copies text to the clipboard; the returned promise is left to settle on its own.
pub fn copy(text: &str) -> bool {
    match window() {
        Some(w) => {
            let _ = w.navigator().clipboard().write_text(text);
            true
        }
        None => false,
    }
}

pub fn prefers_reduced_motion() -> bool {
    window().and_then(|w| w.match_media("(prefers-reduced-motion: reduce)").ok().flatten()).is_some_and(|m| m.matches())
}

/// Milliseconds since the page started, for the frame probe.
pub fn now_ms() -> f64 {
    window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// Saves `url` as a file called `name`, as a click on a download link would.
pub fn download_url(name: &str, url: &str) -> bool {
    use wasm_bindgen::JsCast;
    let Some(document) = window().and_then(|w| w.document()) else { return false };
    let Some(link) = document.create_element("a").ok().and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    else {
        return false;
    };
    link.set_href(url);
    link.set_download(name);
    link.click();
    true
}

/// Saves `text` as a file called `name`.
pub fn download(name: &str, mime: &str, text: &str) -> bool {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else { return false };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return false };
    let saved = download_url(name, &url);
    // The download has taken its copy once the click is handled; free the blob afterwards.
    let later = url.clone();
    gloo_timers::callback::Timeout::new(10_000, move || {
        let _ = web_sys::Url::revoke_object_url(&later);
    })
    .forget();
    saved
}

/// Puts `query` in the address bar without reloading, so a link copied from it opens here.
pub fn replace_query(query: &str) {
    if let Some(history) = window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(query));
    }
}
