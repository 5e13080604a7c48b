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
        let addr = reachable(self.local_addr());
        // Only an emulator bound to an address of the machine that is not
        // loopback (asked for with `EmulatorBuilder::bind`) takes the
        // second branch.
        StreamHost::loopback(addr).unwrap_or_else(|_| StreamHost::emulator(addr))
    }
}

/// The address a client on this machine reaches a listener bound to
/// `addr` at: the loopback address of its family for an unspecified one.
fn reachable(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unspecified_address_is_reached_through_loopback() {
        let r = |a: &str| reachable(a.parse().unwrap()).to_string();
        assert_eq!(r("0.0.0.0:8080"), "127.0.0.1:8080");
        assert_eq!(r("[::]:8080"), "[::1]:8080");
        assert_eq!(r("127.0.0.2:1"), "127.0.0.2:1");
        assert_eq!(r("192.0.2.7:9"), "192.0.2.7:9");
        // Such an address is still this machine's: the emulator plays on it
        // over http, though `StreamHost::loopback` would refuse it.
        let lan = StreamHost::emulator(reachable("192.0.2.7:9".parse().unwrap()));
        assert_eq!(lan.origin(), "http://192.0.2.7:9");
    }
}
