//! A real `playground-bridge` for the browser tests, run in-process on its own thread.

use playground_bridge::args::{Config, SourceChoice};
use playground_core::hardware_time::SourceKind;
use std::net::SocketAddr;
use std::thread::JoinHandle;

/// A bridge serving the kernel clock; it stops (closing every connection) when dropped.
pub struct Bridge {
    pub address: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Bridge {
    /// Starts on `port` (0 for any free port).
    pub fn start(port: u16) -> Bridge {
        let (address_tx, address_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(async move {
                let config = Config { port, source: SourceChoice::Only(SourceKind::System), ..Config::default() };
                let running = playground_bridge::start(config).await.expect("the bridge starts");
                address_tx.send(running.address).expect("the test waits for the address");
                let _ = stopped.await;
            });
        });
        let address = address_rx.recv().expect("the bridge reports its address");
        Bridge { address, stop: Some(stop), thread: Some(thread) }
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
