//! Just enough HTTP/1.1 to time a server: one GET written as bytes, one response read back
//! (`Content-Length` or chunked bodies). Lighter than a general client, so that on a small
//! machine the load generator takes as little CPU from the server as possible.

use std::io;

/// Responses whose head exceeds this are refused rather than buffered forever.
const MAX_HEAD: usize = 64 * 1024;

/// A complete response found at the start of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parsed {
    pub status: u16,
    /// Bytes of body (decoded length for chunked bodies).
    pub body_len: usize,
    /// Bytes of the buffer the response took, head included.
    pub consumed: usize,
    /// The server said `Connection: close`.
    pub close: bool,
}

/// `GET {path}` on a keep-alive connection to `host` (`127.0.0.1:PORT`).
pub fn get_request(host: &str, path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\r\n").into_bytes()
}

/// `POST {path}` with a JSON `body` on a keep-alive connection to `host`.
pub fn post_json_request(host: &str, path: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// The response at the start of `buf`, `None` while it is incomplete.
pub fn parse_response(buf: &[u8]) -> io::Result<Option<Parsed>> {
    let Some(head_end) = find(buf, b"\r\n\r\n") else {
        if buf.len() > MAX_HEAD {
            return Err(invalid("response head longer than 64 KiB"));
        }
        return Ok(None);
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| invalid("non-UTF-8 head"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5))
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| invalid(format!("bad status line {status_line:?}")))?;
    let (mut length, mut chunked, mut close) = (None, false, false);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse::<usize>().map_err(|_| invalid("bad Content-Length"))?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            close = value.eq_ignore_ascii_case("close");
        }
    }
    let body_start = head_end + 4;
    if chunked {
        return Ok(parse_chunked(&buf[body_start..])?.map(|(body_len, used)| Parsed {
            status,
            body_len,
            consumed: body_start + used,
            close,
        }));
    }
    let body_len = match length {
        Some(length) => length,
        None if status == 204 || status == 304 || (100..200).contains(&status) => 0,
        None => return Err(invalid("response with neither Content-Length nor chunked body")),
    };
    if buf.len() < body_start + body_len {
        return Ok(None);
    }
    Ok(Some(Parsed { status, body_len, consumed: body_start + body_len, close }))
}

/// A chunked body at the start of `buf`: `(decoded length, bytes used)` once complete.
fn parse_chunked(buf: &[u8]) -> io::Result<Option<(usize, usize)>> {
    let (mut at, mut total) = (0, 0);
    loop {
        let Some(line_len) = find(&buf[at..], b"\r\n") else { return Ok(None) };
        let line = std::str::from_utf8(&buf[at..at + line_len])
            .map_err(|_| invalid("bad chunk size line"))?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| invalid("bad chunk size"))?;
        at += line_len + 2;
        if size == 0 {
            // Trailers (usually none), then an empty line.
            loop {
                let Some(end) = find(&buf[at..], b"\r\n") else { return Ok(None) };
                at += end + 2;
                if end == 0 {
                    return Ok(Some((total, at)));
                }
            }
        }
        if buf.len() < at + size + 2 {
            return Ok(None);
        }
        total += size;
        at += size + 2;
    }
}

/// Reads one response from `stream` into `buf` (which may hold bytes left from before) and
/// removes it from `buf`.
pub async fn read_response<S>(stream: &mut S, buf: &mut Vec<u8>) -> io::Result<Parsed>
where
    S: tokio::io::AsyncRead + Unpin,
{
    use tokio::io::AsyncReadExt;
    loop {
        if let Some(parsed) = parse_response(buf)? {
            buf.drain(..parsed.consumed);
            return Ok(parsed);
        }
        buf.reserve(16 * 1024);
        if stream.read_buf(buf).await? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed early"));
        }
    }
}

/// The blocking twin of [`read_response`], for the cold-start timer.
pub fn read_response_blocking<S: io::Read>(
    stream: &mut S,
    buf: &mut Vec<u8>,
) -> io::Result<Parsed> {
    let mut chunk = [0_u8; 16 * 1024];
    loop {
        if let Some(parsed) = parse_response(buf)? {
            buf.drain(..parsed.consumed);
            return Ok(parsed);
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed early"));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_bodies_wait_until_complete() {
        let full = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhelloHTTP/1.1";
        assert_eq!(parse_response(&full[..40]).expect("parse"), None);
        let parsed = parse_response(full).expect("parse").expect("complete");
        assert_eq!((parsed.status, parsed.body_len, parsed.close), (200, 5, false));
        assert_eq!(&full[parsed.consumed..], b"HTTP/1.1");
    }

    #[test]
    fn chunked_bodies_are_decoded() {
        let full = b"HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\
                     Connection: close\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        let parsed = parse_response(full).expect("parse").expect("complete");
        assert_eq!((parsed.status, parsed.body_len, parsed.close), (503, 5, true));
        assert_eq!(parsed.consumed, full.len());
        assert_eq!(parse_response(&full[..full.len() - 2]).expect("parse"), None);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse_response(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
    }
}
