//! The HTTP side with no sockets in it: parsing a request head, finding the
//! file a path names, and the answer a good static host gives for some bytes
//! (strong ETag, 304, ranges, 416).

use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

/// A request head larger than this is answered 431 and the connection closed.
pub(crate) const MAX_HEAD: usize = 16 * 1024;
/// At most this many request headers; more is answered 431.
const MAX_HEADERS: usize = 64;

/// A parsed request head, owned.
#[derive(Clone, Debug)]
pub(crate) struct Head {
    pub(crate) method: String,
    /// The request target as sent: path and any query string.
    pub(crate) target: String,
    /// HTTP/1.0 (closes after the response unless asked to keep alive).
    pub(crate) http10: bool,
    /// Every header in the order sent; values decoded lossily.
    pub(crate) headers: Vec<(String, String)>,
}

/// What a buffer holds so far.
pub(crate) enum Parsed {
    /// A whole head, and the bytes it took.
    Complete(Head, usize),
    /// Not a whole head yet.
    Partial,
    /// Not HTTP: answer with this status and close.
    Invalid(u16),
}

impl Head {
    /// Parses the start of `buf` with httparse.
    pub(crate) fn parse(buf: &[u8]) -> Parsed {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(buf) {
            Ok(httparse::Status::Complete(used)) => Parsed::Complete(
                Head {
                    method: req.method.unwrap_or_default().to_owned(),
                    target: req.path.unwrap_or_default().to_owned(),
                    http10: req.version == Some(0),
                    headers: req
                        .headers
                        .iter()
                        .map(|h| {
                            (
                                h.name.to_owned(),
                                String::from_utf8_lossy(h.value).into_owned(),
                            )
                        })
                        .collect(),
                },
                used,
            ),
            Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => Parsed::Invalid(431),
            Ok(httparse::Status::Partial) => Parsed::Partial,
            Err(httparse::Error::TooManyHeaders) => Parsed::Invalid(431),
            Err(_) => Parsed::Invalid(400),
        }
    }

    /// The first value of a header, by case-insensitive name.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// The target's path, without the query string.
    pub(crate) fn path(&self) -> &str {
        path_of(&self.target)
    }

    /// Whether the client asked for the connection to close after this
    /// response (or spoke HTTP/1.0 without asking to keep it).
    pub(crate) fn wants_close(&self) -> bool {
        let has = |token: &str| {
            self.headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
                .flat_map(|(_, v)| v.split(','))
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        };
        has("close") || (self.http10 && !has("keep-alive"))
    }
}

/// The first value of a header in `headers`, by case-insensitive name.
pub(crate) fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A request target's path: everything before the `?`.
pub(crate) fn path_of(target: &str) -> &str {
    target.split_once('?').map_or(target, |(p, _)| p)
}

/// What a request path names under the served root.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// A regular file inside the root.
    File(PathBuf),
    /// Nothing to serve: no such file, a directory, or a link out of the root.
    Missing,
    /// Not a plain path (`..`, `.`, a NUL, a bad escape, not starting with
    /// `/`): refused with 400.
    Refused,
}

/// Resolves a request target against `root`, which MUST be canonical.
pub(crate) fn resolve(root: &Path, target: &str) -> Resolved {
    let path = path_of(target);
    if !path.starts_with('/') {
        return Resolved::Refused;
    }
    let Some(rel) = percent_decode(path.trim_start_matches('/')) else {
        return Resolved::Refused;
    };
    let rel = Path::new(&rel);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Resolved::Refused;
    }
    // A symlink may still lead out of the root; serve only what lands in it.
    match root.join(rel).canonicalize() {
        Ok(p) if p.starts_with(root) && p.is_file() => Resolved::File(p),
        _ => Resolved::Missing,
    }
}

/// `%XX` escapes decoded; `None` for a bad escape, a NUL or non-UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = (bytes.next()? as char).to_digit(16)?;
            let lo = (bytes.next()? as char).to_digit(16)?;
            out.push((hi * 16 + lo) as u8);
        } else {
            out.push(b);
        }
    }
    if out.contains(&0) {
        return None;
    }
    String::from_utf8(out).ok()
}

/// A response to send: status, headers, body.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    /// Headers other than `Content-Length`.
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: Vec<u8>,
    /// Whether to send `Content-Length` (the body's length): all but 304s.
    pub(crate) with_length: bool,
}

impl Response {
    /// A short text answer with this status, e.g. `503 Service Unavailable`.
    pub(crate) fn error(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: format!("{status} {}\n", reason(status)).into_bytes(),
            with_length: true,
        }
    }

    /// The status line and headers, ending with the empty line.
    pub(crate) fn head(&self) -> Vec<u8> {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        if self.with_length {
            head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        head.into_bytes()
    }
}

/// The reason phrase for a status (any text will do; these are the usual).
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        304 => "Not Modified",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        416 => "Range Not Satisfiable",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// The strong ETag of some content: the quoted hex of the first 16 bytes of
/// its SHA-256.
pub fn etag(content: &[u8]) -> String {
    format!("\"{}\"", hex::encode(&Sha256::digest(content)[..16]))
}

/// What a `Range` header asks of a representation of some length.
#[derive(Debug, PartialEq, Eq)]
enum RangeAsk {
    /// No usable range (absent, malformed, several ranges): send it all.
    Whole,
    /// The bytes `start..=end`, clamped to the length.
    Part { start: u64, end: u64 },
    /// Starts past the end (or an empty suffix): 416.
    Unsatisfiable,
}

/// Reads `bytes=a-b`, `bytes=a-` and `bytes=-n`. Several ranges are answered
/// whole, which RFC 9110 allows; so is anything malformed.
fn range_ask(value: &str, len: u64) -> RangeAsk {
    let value = value.trim();
    let Some(spec) = value
        .get(..6)
        .filter(|unit| unit.eq_ignore_ascii_case("bytes="))
        .map(|_| &value[6..])
    else {
        return RangeAsk::Whole;
    };
    let Some((first, last)) = spec.split_once('-') else {
        return RangeAsk::Whole;
    };
    if spec.contains(',') {
        return RangeAsk::Whole;
    }
    let number = |s: &str| {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    if first.trim().is_empty() {
        return match number(last) {
            None => RangeAsk::Whole,
            Some(0) => RangeAsk::Unsatisfiable,
            Some(_) if len == 0 => RangeAsk::Unsatisfiable,
            Some(n) => RangeAsk::Part {
                start: len.saturating_sub(n),
                end: len - 1,
            },
        };
    }
    let Some(start) = number(first) else {
        return RangeAsk::Whole;
    };
    let end = if last.trim().is_empty() {
        u64::MAX
    } else {
        match number(last) {
            Some(end) if end >= start => end,
            _ => return RangeAsk::Whole,
        }
    };
    if start >= len {
        return RangeAsk::Unsatisfiable;
    }
    RangeAsk::Part {
        start,
        end: end.min(len - 1),
    }
}

/// Whether an `If-None-Match` value matches `tag` (weak comparison, as
/// RFC 9110 asks for this header).
fn none_match(value: &str, tag: &str) -> bool {
    value.split(',').map(str::trim).any(|t| {
        let t = t.strip_prefix("W/").unwrap_or(t);
        t == "*" || t == tag
    })
}

/// The answer of a good static host for `content` as the whole file: a
/// strong ETag, 304 for a matching `If-None-Match`, 206 for a satisfiable
/// single `Range` on GET (only when an `If-Range` matches the ETag
/// exactly, if there is one), 416 for an unsatisfiable one, 200 otherwise.
/// The body is the one a GET gets; the caller leaves it out for HEAD.
pub(crate) fn static_answer(head: &Head, mut content: Vec<u8>) -> Response {
    let tag = etag(&content);
    if head
        .header("if-none-match")
        .is_some_and(|v| none_match(v, &tag))
    {
        return Response {
            status: 304,
            headers: vec![("ETag", tag)],
            body: Vec::new(),
            with_length: false,
        };
    }
    let len = content.len() as u64;
    let range = match head.header("range") {
        Some(value)
            if head.method == "GET" && head.header("if-range").is_none_or(|v| v.trim() == tag) =>
        {
            range_ask(value, len)
        }
        _ => RangeAsk::Whole,
    };
    match range {
        RangeAsk::Whole => Response {
            status: 200,
            headers: vec![("ETag", tag), ("Accept-Ranges", "bytes".into())],
            body: content,
            with_length: true,
        },
        RangeAsk::Part { start, end } => {
            content.truncate(end as usize + 1);
            content.drain(..start as usize);
            Response {
                status: 206,
                headers: vec![
                    ("ETag", tag),
                    ("Content-Range", format!("bytes {start}-{end}/{len}")),
                ],
                body: content,
                with_length: true,
            }
        }
        RangeAsk::Unsatisfiable => Response {
            status: 416,
            headers: vec![("Content-Range", format!("bytes */{len}"))],
            body: Vec::new(),
            with_length: true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rfc_9110() {
        use RangeAsk::*;
        let cases = [
            ("bytes=0-9", 100, Part { start: 0, end: 9 }),
            ("bytes=90-", 100, Part { start: 90, end: 99 }),
            ("bytes=90-1000", 100, Part { start: 90, end: 99 }),
            ("bytes=-10", 100, Part { start: 90, end: 99 }),
            ("bytes=-1000", 100, Part { start: 0, end: 99 }),
            ("BYTES = 1-2", 100, Whole),
            ("Bytes=1-2", 100, Part { start: 1, end: 2 }),
            ("bytes=100-", 100, Unsatisfiable),
            ("bytes=100-200", 100, Unsatisfiable),
            ("bytes=-0", 100, Unsatisfiable),
            ("bytes=0-", 0, Unsatisfiable),
            ("bytes=-5", 0, Unsatisfiable),
            ("bytes=5-1", 100, Whole),
            ("bytes=0-1,5-6", 100, Whole),
            ("bytes=+1-2", 100, Whole),
            ("bytes=a-b", 100, Whole),
            ("items=0-1", 100, Whole),
            ("bytes=", 100, Whole),
        ];
        for (value, len, want) in cases {
            assert_eq!(range_ask(value, len), want, "{value} of {len}");
        }
    }

    #[test]
    fn if_none_match_takes_lists_stars_and_weak_tags() {
        let tag = "\"abc\"";
        assert!(none_match("\"abc\"", tag));
        assert!(none_match("\"x\", \"abc\"", tag));
        assert!(none_match("W/\"abc\"", tag));
        assert!(none_match("*", tag));
        assert!(!none_match("\"abd\"", tag));
        assert!(!none_match("abc", tag));
    }

    #[test]
    fn only_plain_paths_inside_the_root_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/a b.json"), b"{}").unwrap();
        let file = Resolved::File(root.join("sub/a b.json"));
        assert_eq!(resolve(&root, "/sub/a%20b.json"), file);
        assert_eq!(resolve(&root, "//sub//a%20b.json?x=1"), file);
        assert_eq!(resolve(&root, "/sub"), Resolved::Missing);
        assert_eq!(resolve(&root, "/"), Resolved::Missing);
        assert_eq!(resolve(&root, "/nope"), Resolved::Missing);
        for refused in [
            "/../etc/passwd",
            "/sub/../sub/a%20b.json",
            "/%2e%2e/x",
            "/./sub",
            "/a%00b",
            "/a%zz",
            "sub/a%20b.json",
            "*",
        ] {
            assert_eq!(resolve(&root, refused), Resolved::Refused, "{refused}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_out_of_the_root_is_not_served() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), b"x").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), root.join("link")).unwrap();
        assert_eq!(resolve(&root, "/link"), Resolved::Missing);
    }
}
