//! Fresh secrets and ids from the operating system's random source.

use std::io;

/// `bytes` random bytes as lowercase hex (twice as many characters).
pub fn random_hex(bytes: usize) -> io::Result<String> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(io::Error::other)?;
    Ok(hex::encode(buffer))
}

pub fn random_u32() -> io::Result<u32> {
    getrandom::u32().map_err(io::Error::other)
}
