//! Connections that count the bytes they read, so that a call that fails can tell whether any
//! byte of its answer had arrived, and so whether sending the request again is safe.
//!
//! [`Counting`] wraps the TCP connector: each connection it opens counts what it reads below
//! TLS, and carries its [`BytesRead`] as the connection's extra information, which a lane's
//! pool reads when it opens the connection. Under TLS the count also sees TLS records (a
//! session ticket, an alert): those count as answered, which only ever keeps a request from
//! being sent again.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// The bytes one connection has read so far, shared by the connection and the calls on it.
#[derive(Clone, Debug, Default)]
pub struct BytesRead(Arc<AtomicU64>);

impl BytesRead {
    /// The count so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// The counter of a connection [`Counting`] opened.
    pub fn of(connected: &Connected) -> Option<BytesRead> {
        let mut extras = hyper::http::Extensions::new();
        connected.get_extras(&mut extras);
        extras.get::<BytesRead>().cloned()
    }
}

/// A connector whose connections count the bytes they read.
#[derive(Clone, Debug)]
pub struct Counting<C>(pub C);

impl<C> tower_service::Service<Uri> for Counting<C>
where
    C: tower_service::Service<Uri, Response = TokioIo<TcpStream>>,
    C::Future: Send + 'static,
{
    type Response = TokioIo<CountedStream>;
    type Error = C::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, C::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), C::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = self.0.call(uri);
        Box::pin(async move {
            let tcp = connecting.await?.into_inner();
            Ok(TokioIo::new(CountedStream {
                tcp,
                read: BytesRead::default(),
            }))
        })
    }
}

/// A TCP stream that counts the bytes read from it.
#[derive(Debug)]
pub struct CountedStream {
    tcp: TcpStream,
    read: BytesRead,
}

impl Connection for CountedStream {
    fn connected(&self) -> Connected {
        self.tcp.connected().extra(self.read.clone())
    }
}

impl AsyncRead for CountedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.tcp).poll_read(cx, buf);
        let read = (buf.filled().len() - before) as u64;
        this.read.0.fetch_add(read, Ordering::Relaxed);
        polled
    }
}

impl AsyncWrite for CountedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}
