//! What a stream asks for and gets back, without knowing how it travels: [`Request`], one GET relative to a
//! provider's base URL, and [`Page`], one successful answer with its `Link` header (RFC 8288) read for paging.
use std::sync::OnceLock;

use serde_json::Value;

/// One GET request relative to a provider's base URL.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub path: String,
    pub query: Vec<(String, String)>,
    /// What a stream carries from one page to the next (for example the chain tip); never sent.
    pub memo: Option<String>,
}

impl Request {
    pub fn new(path: impl Into<String>) -> Self {
        Request {
            path: path.into(),
            query: Vec::new(),
            memo: None,
        }
    }

    pub fn param(mut self, key: &str, value: impl ToString) -> Self {
        self.query.push((key.to_string(), value.to_string()));
        self
    }

    pub fn memo(mut self, memo: impl ToString) -> Self {
        self.memo = Some(memo.to_string());
        self
    }

    pub fn get_param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// One successful response: the request that produced it, its status (200, or 204 with a `null` body), its
/// `Link` header (RFC 8288) if any, and the body — as received, and as a JSON tree built on first use (a
/// stream may read the bytes straight into its own types instead).
#[derive(Debug, Clone)]
pub struct Page {
    pub request: Request,
    #[allow(dead_code)]
    pub status: u16,
    pub link: Option<String>,
    body: Vec<u8>,
    tree: OnceLock<Value>,
}

impl Page {
    /// `body` is JSON (the HTTP client checked its structure), or empty.
    pub fn new(request: Request, status: u16, link: Option<String>, body: Vec<u8>) -> Page {
        Page {
            request,
            status,
            link,
            body,
            tree: OnceLock::new(),
        }
    }

    /// The body as received.
    pub fn bytes(&self) -> &[u8] {
        &self.body
    }

    /// The body as a JSON tree (`null` for 204 and an empty body), parsed once.
    pub fn json(&self) -> &Value {
        self.tree.get_or_init(|| {
            // The client checked the body's structure; a bad token inside it reads as `null`, which every
            // stream refuses with its own message.
            serde_json::from_slice(&self.body).unwrap_or(Value::Null)
        })
    }

    /// The `page` query parameter of the `Link` URL with this `rel` (`next`, `prev`, `last`).
    pub fn link_page(&self, rel: &str) -> Option<u32> {
        let url = link(self.link.as_deref()?, rel)?;
        let url = reqwest::Url::parse(&url).ok()?;
        let page = url.query_pairs().find(|(k, _)| k == "page")?.1.parse().ok();
        page
    }
}

/// The URL with relation `rel` (`next`, `prev`, `last`) of a `Link` header (RFC 8288), as GitHub and
/// CoinGecko send for pagination.
fn link(header: &str, rel: &str) -> Option<String> {
    let want = format!("rel={rel}");
    let is_next = |param: &str| param.replace(['"', ' '], "").eq_ignore_ascii_case(&want);
    header
        .split(',')
        .find(|part| part.split(';').skip(1).any(is_next))
        .and_then(|part| part.split(';').next())
        .map(|url| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_next() {
        let h = r#"<https://x/t?page=1>; rel="prev", <https://x/t?page=3>; rel="next", <https://x/t?page=9>; rel="last""#;
        assert_eq!(link(h, "next").as_deref(), Some("https://x/t?page=3"));
        assert_eq!(link(h, "last").as_deref(), Some("https://x/t?page=9"));
        assert_eq!(link(r#"<https://x/t?page=1>; rel="prev""#, "next"), None);
    }
}
