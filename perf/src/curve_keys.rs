//! The fixed CURVE test keys of `--curve` runs: the two key pairs printed
//! in the zmq_curve(7) manual page, so that every library's sides (and
//! every run) do the same work with the same keys. The binding side is
//! the CURVE server, the connecting side the client; no ZAP handler is
//! installed on either (any client key is accepted).
//!
//! They are public test keys: never use them for anything else.

/// The server's public key, Z85.
pub const SERVER_PUBLIC: &str = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
/// The server's secret key, Z85.
pub const SERVER_SECRET: &str = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";
/// The client's public key, Z85.
pub const CLIENT_PUBLIC: &str = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
/// The client's secret key, Z85.
pub const CLIENT_SECRET: &str = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";

#[cfg(test)]
mod tests {
    use super::*;
    use oxmq::curve::{curve_public, CurvePublicKey, CurveSecretKey};

    #[test]
    fn each_public_key_belongs_to_its_secret_key() {
        for (public, secret) in [
            (SERVER_PUBLIC, SERVER_SECRET),
            (CLIENT_PUBLIC, CLIENT_SECRET),
        ] {
            let secret = CurveSecretKey::parse(secret).unwrap();
            assert_eq!(
                curve_public(&secret),
                CurvePublicKey::parse(public).unwrap()
            );
        }
    }
}
