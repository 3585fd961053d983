//! ZeroMQ socket types and their compatibility (SPEC §3.5).

use std::fmt;

/// A ZeroMQ socket type, as announced in the READY `Socket-Type` property
/// (SPEC §3.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SocketType {
    /// Exclusive pair (RFC 31).
    Pair,
    /// Publisher (RFC 29).
    Pub,
    /// Subscriber (RFC 29).
    Sub,
    /// Requester (RFC 28).
    Req,
    /// Replier (RFC 28).
    Rep,
    /// Asynchronous requester/replier (RFC 28).
    Dealer,
    /// Addressed routing socket (RFC 28).
    Router,
    /// Pipeline sink (RFC 30).
    Pull,
    /// Pipeline source (RFC 30).
    Push,
    /// Extended publisher that sees subscriptions (RFC 29).
    XPub,
    /// Extended subscriber that sends raw subscriptions (RFC 29).
    XSub,
    /// Thread-safe client (RFC 41).
    Client,
    /// Thread-safe server (RFC 41).
    Server,
    /// Group publisher (RFC 48).
    Radio,
    /// Group subscriber (RFC 48).
    Dish,
    /// Thread-safe pipeline source (RFC 49).
    Scatter,
    /// Thread-safe pipeline sink (RFC 49).
    Gather,
    /// Thread-safe peer-to-peer socket (RFC 51).
    Peer,
    /// Thread-safe exclusive pair (RFC 52).
    Channel,
}

impl SocketType {
    /// Every socket type, in declaration order (SPEC §3.5).
    pub const ALL: [SocketType; 19] = [
        SocketType::Pair,
        SocketType::Pub,
        SocketType::Sub,
        SocketType::Req,
        SocketType::Rep,
        SocketType::Dealer,
        SocketType::Router,
        SocketType::Pull,
        SocketType::Push,
        SocketType::XPub,
        SocketType::XSub,
        SocketType::Client,
        SocketType::Server,
        SocketType::Radio,
        SocketType::Dish,
        SocketType::Scatter,
        SocketType::Gather,
        SocketType::Peer,
        SocketType::Channel,
    ];

    /// The wire name sent in the READY `Socket-Type` property, e.g. `"XPUB"`
    /// (SPEC §3.5).
    pub fn as_str(self) -> &'static str {
        match self {
            SocketType::Pair => "PAIR",
            SocketType::Pub => "PUB",
            SocketType::Sub => "SUB",
            SocketType::Req => "REQ",
            SocketType::Rep => "REP",
            SocketType::Dealer => "DEALER",
            SocketType::Router => "ROUTER",
            SocketType::Pull => "PULL",
            SocketType::Push => "PUSH",
            SocketType::XPub => "XPUB",
            SocketType::XSub => "XSUB",
            SocketType::Client => "CLIENT",
            SocketType::Server => "SERVER",
            SocketType::Radio => "RADIO",
            SocketType::Dish => "DISH",
            SocketType::Scatter => "SCATTER",
            SocketType::Gather => "GATHER",
            SocketType::Peer => "PEER",
            SocketType::Channel => "CHANNEL",
        }
    }

    /// Parses a wire name exactly as sent in the READY `Socket-Type`
    /// property; the match is case-sensitive (SPEC §3.5).
    pub fn from_wire(name: &[u8]) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().as_bytes() == name)
    }

    /// Whether a socket of this type may talk to a peer of type `peer`,
    /// following the RFC 23/37 table (SPEC §3.5). The relation is symmetric.
    pub fn is_compatible_with(self, peer: SocketType) -> bool {
        use SocketType::*;
        matches!(
            (self, peer),
            (Pair, Pair)
                | (Pub | XPub, Sub | XSub)
                | (Sub | XSub, Pub | XPub)
                | (Req, Rep | Router)
                | (Rep, Req | Dealer)
                | (Dealer, Rep | Dealer | Router)
                | (Router, Req | Dealer | Router)
                | (Push, Pull)
                | (Pull, Push)
                | (Client, Server)
                | (Server, Client)
                | (Radio, Dish)
                | (Dish, Radio)
                | (Scatter, Gather)
                | (Gather, Scatter)
                | (Peer, Peer)
                | (Channel, Channel)
        )
    }
}

impl fmt::Display for SocketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip_and_are_case_sensitive() {
        for t in SocketType::ALL {
            assert_eq!(SocketType::from_wire(t.as_str().as_bytes()), Some(t));
            assert_eq!(t.to_string(), t.as_str());
            let lower = t.as_str().to_ascii_lowercase();
            assert_eq!(SocketType::from_wire(lower.as_bytes()), None);
        }
        assert_eq!(SocketType::from_wire(b""), None);
        assert_eq!(SocketType::from_wire(b"PUB "), None);
        assert_eq!(SocketType::XPub.as_str(), "XPUB");
    }

    #[test]
    fn compatibility_table_is_symmetric_and_matches_rfc() {
        use SocketType::*;
        for a in SocketType::ALL {
            for b in SocketType::ALL {
                assert_eq!(a.is_compatible_with(b), b.is_compatible_with(a), "{a}/{b}");
            }
        }
        let count = SocketType::ALL
            .iter()
            .flat_map(|a| SocketType::ALL.iter().map(move |b| (*a, *b)))
            .filter(|(a, b)| a.is_compatible_with(*b))
            .count();
        // Ordered pairs marked in the RFC table.
        assert_eq!(count, 29);
        assert!(Req.is_compatible_with(Router));
        assert!(Dealer.is_compatible_with(Dealer));
        assert!(XPub.is_compatible_with(XSub));
        assert!(!Pub.is_compatible_with(Pub));
        assert!(!Req.is_compatible_with(Req));
        assert!(!Client.is_compatible_with(Push));
        assert!(!Pair.is_compatible_with(Channel));
    }
}
