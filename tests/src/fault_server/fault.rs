//! What can go wrong, on which path, how many times.

use std::time::Duration;

/// One way for the server to misbehave on a request.
///
/// Faults that change the body ([`Truncate`](Fault::Truncate),
/// [`Oversize`](Fault::Oversize), [`Replace`](Fault::Replace)) change the
/// representation itself: the ETag, `If-None-Match` and ranges are computed
/// on what is served, as a CDN holding that wrong file would. Faults that
/// change delivery ([`DropAfter`](Fault::DropAfter),
/// [`Trickle`](Fault::Trickle)) apply to whatever body the normal answer
/// (200 or 206) carries. A fault on a path whose file does not exist leaves
/// the 404 alone, except [`Status`](Fault::Status), [`Replace`](Fault::Replace),
/// [`Hang`](Fault::Hang) and [`NotFound`](Fault::NotFound), which never look
/// at the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Send the headers (with the full `Content-Length`) and the first `n`
    /// body bytes, then close the connection: a drop in mid-body. A body of
    /// `n` bytes or fewer goes out whole, and the connection still closes.
    DropAfter(u64),
    /// Serve only the first `n` bytes of the file, as if that were the whole
    /// file (`Content-Length: n`, ETag of those bytes).
    Truncate(u64),
    /// Send the headers at once, then the body `bytes_per_chunk` bytes at a
    /// time (at least 1), waiting `delay` before each chunk: a slow
    /// retrieval attack. Stops as soon as the client hangs up or the server
    /// stops.
    Trickle {
        /// Bytes written per chunk; 0 counts as 1.
        bytes_per_chunk: usize,
        /// The pause before each chunk.
        delay: Duration,
    },
    /// Serve the file with `extra` bytes appended (a file larger than its
    /// signed length), with a `Content-Length` matching what is sent. The
    /// extra bytes are ASCII spaces, so JSON metadata still parses and
    /// only a length check catches it.
    Oversize(u64),
    /// Answer 200 with no `Content-Length` (`Connection: close`), send the
    /// file and then spaces without end, until the client hangs up or the
    /// server stops: endless data. Ignores `Range` and `If-None-Match`.
    Endless,
    /// Answer with this status (500, 503, 429, …) and a short text body,
    /// with `Retry-After: secs` when `retry_after` is given.
    Status {
        /// The status code.
        code: u16,
        /// Seconds for a `Retry-After` header, if any.
        retry_after: Option<u64>,
    },
    /// Serve these bytes instead of the file, whether or not it exists (an
    /// old but validly signed, expired or mismatching metadata file). ETag,
    /// 304 and ranges follow these bytes.
    Replace(Vec<u8>),
    /// Read the request, then send nothing, ever: the connection stays open
    /// until the client hangs up or the server stops (connect succeeds,
    /// the client's read times out).
    Hang,
    /// Answer 404 even though the file exists.
    NotFound,
}

/// A [`Fault`], the request path it applies to, and how many times.
///
/// ```
/// use std::time::Duration;
/// use waymark_e2e::{Fault, FaultRule};
///
/// // The next two requests for the timestamp fail with 503; then normal.
/// let busy = FaultRule::on(
///     "/timestamp.json",
///     Fault::Status { code: 503, retry_after: Some(1) },
/// )
/// .times(2);
/// // Every request, for any path, trickles until the rule is cleared.
/// let slow = FaultRule::everywhere(Fault::Trickle {
///     bytes_per_chunk: 16,
///     delay: Duration::from_millis(200),
/// });
/// # let _ = (busy, slow);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultRule {
    /// `None`: every path.
    path: Option<String>,
    fault: Fault,
    /// `None`: until cleared.
    times: Option<usize>,
}

impl FaultRule {
    /// A rule for one exact request path, as it appears in the request line
    /// without its query string (`"/targets/abc.pack"`), in force until
    /// cleared.
    pub fn on(path: impl Into<String>, fault: Fault) -> Self {
        FaultRule {
            path: Some(path.into()),
            fault,
            times: None,
        }
    }

    /// A rule for every path, in force until cleared.
    pub fn everywhere(fault: Fault) -> Self {
        FaultRule {
            path: None,
            fault,
            times: None,
        }
    }

    /// Apply the rule to the next `n` matching requests only; after them
    /// the rule is gone. `times(0)` makes a rule that never applies.
    #[must_use]
    pub fn times(mut self, n: usize) -> Self {
        self.times = Some(n);
        self
    }

    fn matches(&self, path: &str) -> bool {
        self.path.as_deref().is_none_or(|p| p == path)
    }
}

/// The rules in force, in the order they were added.
#[derive(Debug, Default)]
pub(crate) struct Rules(Vec<FaultRule>);

impl Rules {
    pub(crate) fn add(&mut self, rule: FaultRule) {
        if rule.times != Some(0) {
            self.0.push(rule);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }

    /// The fault for a request to `path`: the first rule that matches, used
    /// once (and dropped when that was its last use).
    pub(crate) fn take(&mut self, path: &str) -> Option<Fault> {
        let i = self.0.iter().position(|r| r.matches(path))?;
        let rule = &mut self.0[i];
        match &mut rule.times {
            None => Some(rule.fault.clone()),
            Some(n) => {
                *n -= 1;
                if *n == 0 {
                    Some(self.0.remove(i).fault)
                } else {
                    Some(rule.fault.clone())
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_rules_run_out_in_order_then_the_path_is_normal() {
        let mut rules = Rules::default();
        rules.add(FaultRule::on("/a", Fault::NotFound).times(2));
        rules.add(FaultRule::on("/a", Fault::Hang).times(1));
        assert_eq!(rules.take("/b"), None);
        assert_eq!(rules.take("/a"), Some(Fault::NotFound));
        assert_eq!(rules.take("/a"), Some(Fault::NotFound));
        assert_eq!(rules.take("/a"), Some(Fault::Hang));
        assert_eq!(rules.take("/a"), None);
    }

    #[test]
    fn a_rule_for_every_path_matches_any_path_until_cleared() {
        let mut rules = Rules::default();
        rules.add(FaultRule::everywhere(Fault::Truncate(3)));
        for path in ["/a", "/b/c", "/"] {
            assert_eq!(rules.take(path), Some(Fault::Truncate(3)));
        }
        rules.clear();
        assert_eq!(rules.take("/a"), None);
    }

    #[test]
    fn zero_times_never_applies() {
        let mut rules = Rules::default();
        rules.add(FaultRule::on("/a", Fault::NotFound).times(0));
        assert_eq!(rules.take("/a"), None);
    }
}
