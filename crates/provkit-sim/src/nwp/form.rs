//! `application/x-www-form-urlencoded` parsing for TI's device HTTP API (ti-simplelink.md
//! §10: `__SL_P_<id>=<value>` joined with `&`, no stray spaces). Strict on purpose: anything
//! malformed is an error value, never a panic and never a half-applied form.

use std::fmt;

/// Largest form accepted (the NWP's HTTP server buffers are small; 4 KiB is generous).
pub const MAX_FORM_LEN: usize = 4096;
/// Most `name=value` pairs in one form.
pub const MAX_PAIRS: usize = 16;

/// Why a form was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormError {
    /// Longer than [`MAX_FORM_LEN`].
    TooLong,
    /// More than [`MAX_PAIRS`] pairs.
    TooManyPairs,
    /// A pair without `=`, or with an empty name (`&&`, `=x`).
    MissingName,
    /// `%` not followed by two hex digits.
    BadPercentEscape,
    /// A raw space or control byte (must be escaped).
    StrayByte(u8),
    /// A name occurs twice.
    DuplicateName,
    /// A name is not UTF-8 after decoding.
    NameNotUtf8,
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormError::TooLong => write!(f, "form longer than {MAX_FORM_LEN} bytes"),
            FormError::TooManyPairs => write!(f, "more than {MAX_PAIRS} form fields"),
            FormError::MissingName => f.write_str("form field without a name"),
            FormError::BadPercentEscape => f.write_str("bad %-escape in form"),
            FormError::StrayByte(b) => write!(f, "unescaped byte 0x{b:02x} in form"),
            FormError::DuplicateName => f.write_str("form field given twice"),
            FormError::NameNotUtf8 => f.write_str("form field name is not UTF-8"),
        }
    }
}

impl std::error::Error for FormError {}

/// A parsed form: names in order, values as raw bytes (SSIDs need not be UTF-8).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    pairs: Vec<(String, Vec<u8>)>,
}

impl Form {
    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// True if `name` is present (with any value, even empty).
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// All pairs in order.
    pub fn pairs(&self) -> &[(String, Vec<u8>)] {
        &self.pairs
    }
}

fn decode(raw: &[u8]) -> Result<Vec<u8>, FormError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        match b {
            b'%' => {
                let hi = raw
                    .get(i + 1)
                    .copied()
                    .and_then(provkit_protocomm::hex::digit);
                let lo = raw
                    .get(i + 2)
                    .copied()
                    .and_then(provkit_protocomm::hex::digit);
                match (hi, lo) {
                    (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                    _ => return Err(FormError::BadPercentEscape),
                }
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b if b <= b' ' || b == 0x7f => return Err(FormError::StrayByte(b)),
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Parse a form body. An empty body is an empty form (`confirm_req` sends none).
pub fn parse_form(body: &[u8]) -> Result<Form, FormError> {
    if body.len() > MAX_FORM_LEN {
        return Err(FormError::TooLong);
    }
    let mut form = Form::default();
    if body.is_empty() {
        return Ok(form);
    }
    for pair in body.split(|b| *b == b'&') {
        if form.pairs.len() == MAX_PAIRS {
            return Err(FormError::TooManyPairs);
        }
        let eq = pair
            .iter()
            .position(|b| *b == b'=')
            .ok_or(FormError::MissingName)?;
        let (name, value) = pair.split_at(eq);
        if name.is_empty() {
            return Err(FormError::MissingName);
        }
        let name = String::from_utf8(decode(name)?).map_err(|_| FormError::NameNotUtf8)?;
        let value = decode(value.get(1..).unwrap_or_default())?;
        if form.has(&name) {
            return Err(FormError::DuplicateName);
        }
        form.pairs.push((name, value));
    }
    Ok(form)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_ti_profile_form_with_escapes() {
        let form =
            parse_form(b"__SL_P_P.A=caf%E9+net&__SL_P_P.B=3&__SL_P_P.C=p%26ss%3D1&__SL_P_P.D=2")
                .unwrap();
        assert_eq!(form.get("__SL_P_P.A"), Some(&b"caf\xe9 net"[..]));
        assert_eq!(form.get("__SL_P_P.C"), Some(&b"p&ss=1"[..]));
        assert_eq!(form.get("__SL_P_P.D"), Some(&b"2"[..]));
        assert_eq!(form.pairs().len(), 4);
        assert!(!form.has("__SL_P_P.E"));
    }

    #[test]
    fn empty_values_and_empty_body_are_valid() {
        let form = parse_form(b"__SL_P_P.E=&__SL_P_P.Q=").unwrap();
        assert_eq!(form.get("__SL_P_P.E"), Some(&b""[..]));
        assert!(parse_form(b"").unwrap().pairs().is_empty());
    }

    #[test]
    fn rejects_malformed_forms() {
        let cases: [(&[u8], FormError); 8] = [
            (b"a=1&&b=2", FormError::MissingName),
            (b"novalue", FormError::MissingName),
            (b"=x", FormError::MissingName),
            (b"a=%4", FormError::BadPercentEscape),
            (b"a=%zz", FormError::BadPercentEscape),
            (b"a=b c", FormError::StrayByte(b' ')),
            (b"a=1&a=2", FormError::DuplicateName),
            (b"%ff=1", FormError::NameNotUtf8),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_form(input), Err(expected), "{input:?}");
        }
        assert_eq!(parse_form(&[b'a'; 5000]), Err(FormError::TooLong));
        let many = vec!["a=1"; 17]
            .iter()
            .enumerate()
            .map(|(i, _)| format!("k{i}=1"))
            .collect::<Vec<_>>()
            .join("&");
        assert_eq!(parse_form(many.as_bytes()), Err(FormError::TooManyPairs));
    }
}
