//! A TCP fault proxy between a client and a real server on loopback (Redis, Postgres, SQS,
//! a fake site): it passes bytes both ways until told to misbehave. No Toxiproxy server can be
//! installed here, so this plays its part for the fault tests.
//!
//! - [`Mode::Pass`]: bytes flow as they come.
//! - [`Mode::Stall`]: connections stay open and bytes stop, in both directions, until the
//!   mode changes: a server that hangs.
//! - [`Mode::Slow`]: every chunk waits this long first.
//! - [`Mode::Down`]: open connections are reset and new ones are reset at once: a server
//!   that went away.
//!
//! [`FaultProxy::cut`] resets every open connection once and keeps passing new ones: a
//! network blip in the middle of a transaction.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Pass,
    Stall,
    Slow(Duration),
    Down,
}

/// A proxy on `127.0.0.1`, a free port; it stops when dropped.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    mode: watch::Sender<Mode>,
    /// Bumped by [`FaultProxy::cut`]: connections opened before it end.
    generation: watch::Sender<u64>,
    accept: JoinHandle<()>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl FaultProxy {
    /// Forwards to `target` (e.g. `127.0.0.1:6379`).
    pub async fn start(target: SocketAddr) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (mode, _) = watch::channel(Mode::Pass);
        let (generation, _) = watch::channel(0u64);
        let connections: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let accept = tokio::spawn({
            let (mode, generation, connections) =
                (mode.subscribe(), generation.subscribe(), connections.clone());
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    if *mode.borrow() == Mode::Down {
                        reset(client);
                        continue;
                    }
                    let task =
                        tokio::spawn(relay(client, target, mode.clone(), generation.clone()));
                    let mut open = connections.lock().unwrap_or_else(|p| p.into_inner());
                    open.retain(|task| !task.is_finished());
                    open.push(task);
                }
            }
        });
        Ok(Self { addr, mode, generation, accept, connections })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn set_mode(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }

    /// Resets every open connection; new ones pass.
    pub fn cut(&self) {
        self.generation.send_modify(|generation| *generation += 1);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
        for task in self.connections.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
            task.abort();
        }
    }
}

/// Closes with a TCP reset rather than a clean FIN.
fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}

async fn relay(
    client: TcpStream,
    target: SocketAddr,
    mode: watch::Receiver<Mode>,
    mut generation: watch::Receiver<u64>,
) {
    // Only cuts after this connection opened end it.
    generation.borrow_and_update();
    let Ok(server) = TcpStream::connect(target).await else {
        reset(client);
        return;
    };
    // Linger 0: when the relay ends, both peers see a reset, as after a crash or a cut cable.
    for stream in [&client, &server] {
        let _ = (stream.set_nodelay(true), stream.set_zero_linger());
    }
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let mut down = mode.clone();
    tokio::select! {
        () = pump(client_read, server_write, mode.clone()) => {}
        () = pump(server_read, client_write, mode) => {}
        _ = generation.changed() => {}
        _ = down.wait_for(|mode| *mode == Mode::Down) => {}
    }
}

/// Copies `from` to `to` chunk by chunk, as the mode allows.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut mode: watch::Receiver<Mode>,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        loop {
            let current = *mode.borrow_and_update();
            match current {
                Mode::Pass => break,
                Mode::Slow(delay) => {
                    tokio::time::sleep(delay).await;
                    break;
                }
                Mode::Stall => {
                    if mode.changed().await.is_err() {
                        return;
                    }
                }
                Mode::Down => return,
            }
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}
