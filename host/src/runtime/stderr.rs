//! What a guest writes to stderr: every write accepted, the last bytes kept
//! (a panic's message comes last, after whatever the guest printed).
//!
//! Not wasmtime-wasi's `MemoryOutputPipe`: once full it closes the stream,
//! and Rust's `eprintln!` and `dbg!` panic on a failed write, so a connector
//! that printed more than the buffer (a `dbg!` of a large webhook) crashed.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// How much one write may hand over; any amount is taken.
const WRITE_BUDGET: usize = 64 * 1024;

#[derive(Clone)]
pub struct StderrBuffer {
    capacity: usize,
    kept: Arc<Mutex<Vec<u8>>>,
}

impl StderrBuffer {
    pub fn new(capacity: usize) -> Self {
        StderrBuffer {
            capacity,
            kept: Arc::default(),
        }
    }

    /// The bytes kept: the last `capacity` written.
    pub fn contents(&self) -> Vec<u8> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn keep(&self, bytes: &[u8]) {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        let tail = &bytes[bytes.len().saturating_sub(self.capacity)..];
        kept.extend_from_slice(tail);
        let over = kept.len().saturating_sub(self.capacity);
        kept.drain(..over);
    }
}

impl OutputStream for StderrBuffer {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.keep(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_BUDGET)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for StderrBuffer {
    async fn ready(&mut self) {}
}

impl AsyncWrite for StderrBuffer {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.keep(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl IsTerminal for StderrBuffer {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for StderrBuffer {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_bytes_and_takes_every_write() {
        let mut stderr = StderrBuffer::new(8);
        for _ in 0..3 {
            assert_eq!(stderr.check_write().unwrap(), WRITE_BUDGET);
            stderr.write(Bytes::from_static(b"hello ")).unwrap();
        }
        stderr.write(Bytes::from_static(b"panicked")).unwrap();
        assert_eq!(stderr.contents(), b"panicked");
        stderr.write(Bytes::from_static(b"!")).unwrap();
        assert_eq!(stderr.contents(), b"anicked!");
    }
}
