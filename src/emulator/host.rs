//! The emulator as a [`StreamHost`]: playback URLs minted for it play on it
//! as they are.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::Emulator;
use crate::url::StreamHost;

impl Emulator {
    /// Where it plays, as a [`StreamHost`]: `http://127.0.0.1:PORT`, the
    /// [`playback_base_url`](Self::playback_base_url). A
    /// [`PlaybackTemplate`](crate::PlaybackTemplate) built with it mints
    /// URLs that play on the emulator unchanged, so a backend's own URLs can
    /// be played in its tests (`CF_STREAM_HOST` set to
    /// [`playback_base_url`](Self::playback_base_url) gives the same host
    /// through [`StreamHost::from_env`]).
    ///
    /// An emulator bound to every address (`0.0.0.0`, `[::]`) is reached
    /// through the loopback address of that family.
    ///
    /// ```
    /// use cf_stream_token::emulator::Emulator;
    /// use cf_stream_token::StreamHost;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let stream = Emulator::start().await?;
    /// let host = stream.stream_host();
    /// assert_eq!(host.origin(), stream.playback_base_url());
    /// assert_eq!(StreamHost::parse(&stream.playback_base_url())?, host);
    /// # Ok(())
    /// # }
    /// ```
    pub fn stream_host(&self) -> StreamHost {
        let addr = self.local_addr();
        let ip = match addr.ip() {
            IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        let addr = SocketAddr::new(ip, addr.port());
        StreamHost::loopback(addr).unwrap_or_else(|_| StreamHost::emulator(addr))
    }
}
