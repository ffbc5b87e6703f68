//! The one hex codec of the stack: the console transport's bodies (spec §5.3), UUID text,
//! percent-encoded forms. Lower-case out, either case in.

use alloc::string::String;
use alloc::vec::Vec;

/// Why a hex string did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HexError {
    /// An odd number of digits.
    OddLength,
    /// A character that is not a hex digit.
    BadDigit,
}

/// The value of one hex digit (`0-9`, `a-f`, `A-F`).
pub const fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes a whole string of hex digit pairs.
pub fn decode(text: &str) -> Result<Vec<u8>, HexError> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return Err(HexError::OddLength);
    }
    digits
        .chunks_exact(2)
        .map(|pair| match pair {
            [hi, lo] => match (digit(*hi), digit(*lo)) {
                (Some(hi), Some(lo)) => Ok((hi << 4) | lo),
                _ => Err(HexError::BadDigit),
            },
            _ => Err(HexError::OddLength),
        })
        .collect()
}

/// Appends `bytes` as lower-case hex.
pub fn encode_into(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            if let Some(&d) = DIGITS.get(usize::from(nibble)) {
                out.push(char::from(d));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let mut text = String::new();
        encode_into(&mut text, &[0x00, 0x7f, 0xA5, 0xff]);
        assert_eq!(text, "007fa5ff");
        assert_eq!(decode(&text), Ok(alloc::vec![0x00, 0x7f, 0xa5, 0xff]));
        assert_eq!(decode("A5"), Ok(alloc::vec![0xa5]));
        assert_eq!(decode("abc"), Err(HexError::OddLength));
        assert_eq!(decode("zz"), Err(HexError::BadDigit));
        assert_eq!(decode(""), Ok(alloc::vec![]));
    }
}
