//! Presigned S3 URLs: AWS Signature Version 4 in the query string
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>),
//! sans-I/O: a URL and the headers to send with it, nothing sent.
//!
//! Written here, over the HMAC-SHA256 and percent-encoding the core already
//! carries, rather than with `rusty-s3`: that crate brought `jiff` and
//! `url` (with `idna`), and measured about 100 KB of the native library's
//! 3 MB budget, where this is a few KB. It is checked against the example
//! AWS publishes for presigned URLs, and the tests run it against a real S3
//! API server.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Timelike, Utc};
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};

/// What RFC 3986 leaves unreserved, as SigV4 requires: everything else is
/// percent-encoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The same, keeping `/` (object key paths).
const PATH: &AsciiSet = &UNRESERVED.remove(b'/');

/// One S3 request to presign.
pub struct Presign<'a> {
    /// `GET`, `HEAD`, `PUT` or `DELETE`.
    pub method: &'a str,
    /// `https` or `http`.
    pub scheme: &'a str,
    /// The host (and `:port` if not the scheme's default), as sent in
    /// `Host`.
    pub host: &'a str,
    /// The path, starting with `/` (`/bucket/key` path style, `/key`
    /// virtual-host style), not yet encoded.
    pub path: &'a str,
    /// Headers to sign besides `host` (lower-case names), sent as given.
    pub headers: &'a [(String, String)],
    /// The region.
    pub region: &'a str,
    /// The access key id.
    pub access_key: &'a str,
    /// The secret access key.
    pub secret_key: &'a str,
    /// When it is signed.
    pub now: DateTime<Utc>,
    /// How long the URL stays valid, in seconds (1 to 604,800).
    pub expires_secs: u32,
}

impl Presign<'_> {
    /// The presigned URL.
    pub fn url(&self) -> String {
        // By hand, not by chrono's `format`: its strftime parser costs the
        // native library about 7 KB, for these two stamps only.
        let n = self.now;
        let date = format!("{:04}{:02}{:02}", n.year(), n.month(), n.day());
        let stamp = format!("{date}T{:02}{:02}{:02}Z", n.hour(), n.minute(), n.second());
        let scope = format!("{date}/{}/s3/aws4_request", self.region);

        let mut signed: Vec<(String, String)> = vec![("host".to_owned(), self.host.to_owned())];
        signed.extend(
            self.headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_owned())),
        );
        signed.sort();
        let signed_names = signed
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(";");

        // Already in order by name: Algorithm, Credential, Date, Expires,
        // SignedHeaders.
        let query = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256".to_owned()),
            ("X-Amz-Credential", format!("{}/{scope}", self.access_key)),
            ("X-Amz-Date", stamp.clone()),
            ("X-Amz-Expires", self.expires_secs.to_string()),
            ("X-Amz-SignedHeaders", signed_names.clone()),
        ]
        .iter()
        .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, UNRESERVED)))
        .collect::<Vec<_>>()
        .join("&");
        let path = utf8_percent_encode(self.path, PATH).to_string();

        let mut canonical = String::new();
        let _ = write!(canonical, "{}\n{path}\n{query}\n", self.method);
        for (n, v) in &signed {
            let _ = writeln!(canonical, "{n}:{v}");
        }
        let _ = write!(canonical, "\n{signed_names}\nUNSIGNED-PAYLOAD");

        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let mut key = hmac(
            format!("AWS4{}", self.secret_key).as_bytes(),
            date.as_bytes(),
        );
        for part in [self.region, "s3", "aws4_request"] {
            key = hmac(&key, part.as_bytes());
        }
        let signature = hex::encode(hmac(&key, to_sign.as_bytes()));
        format!(
            "{}://{}{path}?{query}&X-Amz-Signature={signature}",
            self.scheme, self.host
        )
    }
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// The example of the S3 documentation ("Authenticating Requests: Using
    /// Query Parameters", GET of `test.txt` in `examplebucket`, signed on
    /// 24 May 2013 for 86,400 s).
    #[test]
    fn the_example_aws_publishes_is_signed_alike() {
        let url = Presign {
            method: "GET",
            scheme: "https",
            host: "examplebucket.s3.amazonaws.com",
            path: "/test.txt",
            headers: &[],
            region: "us-east-1",
            access_key: "AKIAIOSFODNN7EXAMPLE",
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            now: Utc.with_ymd_and_hms(2013, 5, 24, 0, 0, 0).unwrap(),
            expires_secs: 86400,
        }
        .url();
        assert_eq!(
            url,
            "https://examplebucket.s3.amazonaws.com/test.txt\
             ?X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
             &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
    }

    #[test]
    fn signed_headers_and_odd_keys_are_canonical() {
        let base = |headers: &[(String, String)], path: &str| {
            Presign {
                method: "PUT",
                scheme: "http",
                host: "127.0.0.1:9000",
                path,
                headers,
                region: "us-east-1",
                access_key: "k",
                secret_key: "s",
                now: Utc.with_ymd_and_hms(2026, 12, 3, 1, 2, 3).unwrap(),
                expires_secs: 900,
            }
            .url()
        };
        let with = base(&[("If-Match".into(), " \"abc\" ".into())], "/b/a b/ü");
        assert!(
            with.starts_with("http://127.0.0.1:9000/b/a%20b/%C3%BC?"),
            "{with}"
        );
        assert!(
            with.contains("X-Amz-SignedHeaders=host%3Bif-match"),
            "{with}"
        );
        // The header's value is part of the signature.
        assert_ne!(
            with,
            base(&[("if-match".into(), "\"abd\"".into())], "/b/a b/ü")
        );
    }
}
