//! Random tokens and their keyed digests: a leaf every layer may use (the
//! domain makes approval links and account tokens, auth makes CSRF tokens).

use base64::Engine as _;
use sha2::Digest as _;

/// A URL-safe random string with `bytes` bytes of entropy.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::fill(&mut buf[..]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// The keyed digest under which an emailed token is stored: a database
/// reader without the secret can neither use nor forge a token.
pub fn token_digest(secret: &[u8], token: &str) -> Vec<u8> {
    sha2::Sha256::new()
        .chain_update(secret)
        .chain_update(token.as_bytes())
        .finalize()
        .to_vec()
}
