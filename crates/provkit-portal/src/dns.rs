//! The captive portal's DNS responder: one query in, one answer out, no I/O (RFC 1035 §4).
//!
//! Every name resolves to the device: an `A` (or `ANY`) question of class `IN` is answered
//! with one record carrying the device's IPv4 address, so whatever host a phone's
//! connectivity check asks for, its HTTP request reaches the portal. Every other type
//! (`AAAA` included) gets an empty `NOERROR` answer ("no records of that type"), which makes
//! dual-stack clients fall back to IPv4 at once instead of waiting.
//!
//! ```text
//!  query ─► header (12 bytes) ─► QR set? ──────────────► no answer (never answer answers)
//!                │ opcode ≠ QUERY ─────────────────────► NOTIMP, header only
//!                │ QDCOUNT ≠ 1, bad name, short ───────► FORMERR, header only
//!                ▼
//!        question (labels ≤ 63, name ≤ 255, no pointers) + QTYPE + QCLASS
//!                ├ A/ANY, IN/ANY ─► NOERROR, AA, question + 1 answer (ptr to the question)
//!                └ anything else ─► NOERROR, AA, question, no answer
//! ```
//!
//! Anything after the question (an EDNS `OPT` record, garbage) is ignored and not echoed.
//! Malformed input never panics; the responder answers into a caller-owned buffer.

/// The DNS port.
pub const PORT: u16 = 53;
/// Largest answer this responder writes: the classic UDP limit.
pub const MAX_ANSWER_LEN: usize = 512;
/// Time to live of the answers, in seconds: short, so a phone asks again once it left the
/// portal's network.
pub const TTL_SECS: u32 = 60;

const HEADER_LEN: usize = 12;
const TYPE_A: u16 = 1;
const TYPE_ANY: u16 = 255;
const CLASS_IN: u16 = 1;
const CLASS_ANY: u16 = 255;
const RCODE_FORMERR: u8 = 1;
const RCODE_NOTIMP: u8 = 4;
const MAX_NAME_LEN: usize = 255;
const MAX_LABEL_LEN: usize = 63;

/// What the responder made of a query (for logs and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Outcome {
    /// Answered with the device's address.
    Address,
    /// A well-formed question of another type or class: answered with no records.
    NoRecords,
    /// Malformed: answered `FORMERR`, header only.
    FormatError,
    /// Not a standard query: answered `NOTIMP`, header only.
    NotImplemented,
}

/// Answers `query` into `out` with `address` as every name's IPv4 address. Returns the
/// answer's length and what it says, or `None` when nothing should be sent: the packet is
/// shorter than a header, is itself a response, or `out` is too small.
pub fn respond(query: &[u8], address: [u8; 4], out: &mut [u8]) -> Option<(usize, Outcome)> {
    let header = query.get(..HEADER_LEN)?;
    let flags_hi = header[2];
    if flags_hi & 0x80 != 0 {
        return None;
    }
    let opcode = (flags_hi >> 3) & 0x0f;
    if opcode != 0 {
        return header_only(header, RCODE_NOTIMP, out).map(|n| (n, Outcome::NotImplemented));
    }
    let qdcount = u16::from_be_bytes([header[4], header[5]]);
    let question = match (qdcount, question_len(&query[HEADER_LEN..])) {
        (1, Some(len)) => &query[HEADER_LEN..HEADER_LEN + len],
        _ => return header_only(header, RCODE_FORMERR, out).map(|n| (n, Outcome::FormatError)),
    };
    let tail = &question[question.len() - 4..];
    let qtype = u16::from_be_bytes([tail[0], tail[1]]);
    let qclass = u16::from_be_bytes([tail[2], tail[3]]);
    let answer = matches!(qtype, TYPE_A | TYPE_ANY) && matches!(qclass, CLASS_IN | CLASS_ANY);
    let record_len = if answer { 16 } else { 0 };
    let total = HEADER_LEN + question.len() + record_len;
    let out = out.get_mut(..total)?;
    write_header(header, 0, u16::from(answer), out);
    out[HEADER_LEN..HEADER_LEN + question.len()].copy_from_slice(question);
    if answer {
        let record = &mut out[HEADER_LEN + question.len()..];
        // NAME: a pointer to the question's name at offset 12.
        record[..2].copy_from_slice(&[0xc0, 0x0c]);
        record[2..4].copy_from_slice(&TYPE_A.to_be_bytes());
        record[4..6].copy_from_slice(&CLASS_IN.to_be_bytes());
        record[6..10].copy_from_slice(&TTL_SECS.to_be_bytes());
        record[10..12].copy_from_slice(&4u16.to_be_bytes());
        record[12..16].copy_from_slice(&address);
    }
    let outcome = if answer {
        Outcome::Address
    } else {
        Outcome::NoRecords
    };
    Some((total, outcome))
}

/// Length of the question at the start of `bytes` (name, QTYPE, QCLASS), or `None` when it
/// is malformed or truncated. Compression pointers are refused: a query's first name has
/// nothing to point back to.
fn question_len(bytes: &[u8]) -> Option<usize> {
    let mut at = 0usize;
    loop {
        let len = usize::from(*bytes.get(at)?);
        if len == 0 {
            at += 1;
            break;
        }
        if len > MAX_LABEL_LEN {
            return None;
        }
        at += 1 + len;
        // The name's wire length includes the final zero byte.
        if at + 1 > MAX_NAME_LEN {
            return None;
        }
    }
    let end = at.checked_add(4)?;
    (end <= bytes.len()).then_some(end)
}

fn write_header(query: &[u8], rcode: u8, answers: u16, out: &mut [u8]) {
    out[..2].copy_from_slice(&query[..2]);
    // QR = 1, the query's opcode, AA = 1, TC = 0, the query's RD; RA = 0, Z = 0.
    out[2] = 0x80 | (query[2] & 0x78) | 0x04 | (query[2] & 0x01);
    out[3] = rcode & 0x0f;
    let qdcount: u16 = if rcode == 0 { 1 } else { 0 };
    out[4..6].copy_from_slice(&qdcount.to_be_bytes());
    out[6..8].copy_from_slice(&answers.to_be_bytes());
    out[8..12].fill(0);
}

fn header_only(query: &[u8], rcode: u8, out: &mut [u8]) -> Option<usize> {
    let out = out.get_mut(..HEADER_LEN)?;
    write_header(query, rcode, 0, out);
    Some(HEADER_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    const DEVICE: [u8; 4] = [192, 168, 4, 1];

    /// A query as a stub resolver writes it: id, RD, one question.
    fn query(id: u16, name: &str, qtype: u16, qclass: u16) -> Vec<u8> {
        let mut q = Vec::new();
        q.extend_from_slice(&id.to_be_bytes());
        q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
        for label in name.split('.').filter(|l| !l.is_empty()) {
            q.push(u8::try_from(label.len()).unwrap());
            q.extend_from_slice(label.as_bytes());
        }
        q.push(0);
        q.extend_from_slice(&qtype.to_be_bytes());
        q.extend_from_slice(&qclass.to_be_bytes());
        q
    }

    fn answer(q: &[u8]) -> Option<(Vec<u8>, Outcome)> {
        let mut out = [0u8; MAX_ANSWER_LEN];
        respond(q, DEVICE, &mut out).map(|(n, o)| (out[..n].to_vec(), o))
    }

    #[test]
    fn an_a_query_for_any_name_gets_the_device_address() {
        for name in [
            "connectivitycheck.gstatic.com",
            "captive.apple.com",
            "x",
            "a.b.c.d.e",
        ] {
            let q = query(0xbeef, name, TYPE_A, CLASS_IN);
            let (a, outcome) = answer(&q).unwrap();
            assert_eq!(outcome, Outcome::Address);
            assert_eq!(&a[..2], &[0xbe, 0xef], "id echoed");
            assert_eq!(a[2] & 0x80, 0x80, "QR");
            assert_eq!(a[2] & 0x04, 0x04, "AA");
            assert_eq!(a[2] & 0x01, 0x01, "RD echoed");
            assert_eq!(a[3] & 0x0f, 0, "NOERROR");
            assert_eq!(&a[4..12], &[0, 1, 0, 1, 0, 0, 0, 0]);
            assert_eq!(&a[12..q.len()], &q[12..], "question echoed");
            let rr = &a[q.len()..];
            assert_eq!(rr.len(), 16);
            assert_eq!(&rr[..2], &[0xc0, 0x0c]);
            assert_eq!(u16::from_be_bytes([rr[2], rr[3]]), TYPE_A);
            assert_eq!(u32::from_be_bytes([rr[6], rr[7], rr[8], rr[9]]), TTL_SECS);
            assert_eq!(&rr[12..], &DEVICE);
        }
    }

    #[test]
    fn aaaa_and_other_types_get_no_records() {
        for qtype in [28u16, 15, 16, 33, 65] {
            let q = query(7, "example.com", qtype, CLASS_IN);
            let (a, outcome) = answer(&q).unwrap();
            assert_eq!(outcome, Outcome::NoRecords, "type {qtype}");
            assert_eq!(a.len(), q.len());
            assert_eq!(&a[6..8], &[0, 0], "ANCOUNT 0");
            assert_eq!(a[3] & 0x0f, 0);
        }
        let chaos = query(7, "version.bind", TYPE_A, 3);
        assert_eq!(answer(&chaos).unwrap().1, Outcome::NoRecords);
    }

    #[test]
    fn an_edns_opt_record_after_the_question_is_ignored() {
        let mut q = query(9, "example.com", TYPE_A, CLASS_IN);
        q[11] = 1; // ARCOUNT
        q.extend_from_slice(&[0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0]);
        let (a, outcome) = answer(&q).unwrap();
        assert_eq!(outcome, Outcome::Address);
        assert_eq!(&a[10..12], &[0, 0], "no additional records in the answer");
        assert_eq!(a.len(), q.len() - 11 + 16);
    }

    #[test]
    fn responses_and_short_packets_get_nothing() {
        let mut q = query(1, "example.com", TYPE_A, CLASS_IN);
        q[2] |= 0x80;
        assert_eq!(answer(&q), None);
        for n in 0..HEADER_LEN {
            assert_eq!(answer(&vec_of(n)), None, "{n} bytes");
        }
    }

    fn vec_of(n: usize) -> Vec<u8> {
        (0..n).map(|i| u8::try_from(i).unwrap()).collect()
    }

    #[test]
    fn malformed_questions_get_formerr() {
        let good = query(3, "example.com", TYPE_A, CLASS_IN);
        // Truncated anywhere inside the question.
        for cut in HEADER_LEN..good.len() {
            let (a, outcome) = answer(&good[..cut]).unwrap();
            assert_eq!(outcome, Outcome::FormatError, "cut at {cut}");
            assert_eq!(a.len(), HEADER_LEN);
            assert_eq!(a[3] & 0x0f, RCODE_FORMERR);
            assert_eq!(&a[4..12], &[0; 8]);
        }
        // Two questions, none, a compression pointer, a 64-byte label, a 256-byte name.
        let mut two = good.clone();
        two[5] = 2;
        let mut none = good.clone();
        none[5] = 0;
        let mut pointer = good[..HEADER_LEN].to_vec();
        pointer.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1]);
        let long_label = query(3, &"a".repeat(64), TYPE_A, CLASS_IN);
        let long_name = query(3, &["abcdefghi"; 26].join("."), TYPE_A, CLASS_IN);
        for q in [two, none, pointer, long_label, long_name] {
            assert_eq!(answer(&q).unwrap().1, Outcome::FormatError);
        }
        // The longest legal name still resolves.
        // The longest legal name (255 bytes on the wire) still resolves; one more is refused.
        let a63 = "a".repeat(63);
        let longest = alloc::format!("{a63}.{a63}.{a63}.{}", "b".repeat(61));
        assert_eq!(
            answer(&query(3, &longest, TYPE_A, CLASS_IN)).unwrap().1,
            Outcome::Address
        );
        let too_long = alloc::format!("{longest}b");
        assert_eq!(
            answer(&query(3, &too_long, TYPE_A, CLASS_IN)).unwrap().1,
            Outcome::FormatError
        );
    }

    #[test]
    fn other_opcodes_get_notimp() {
        let mut q = query(5, "example.com", TYPE_A, CLASS_IN);
        q[2] |= 2 << 3; // STATUS
        let (a, outcome) = answer(&q).unwrap();
        assert_eq!(outcome, Outcome::NotImplemented);
        assert_eq!(a[3] & 0x0f, RCODE_NOTIMP);
        assert_eq!((a[2] >> 3) & 0x0f, 2, "opcode echoed");
    }

    #[test]
    fn a_small_buffer_gets_no_answer_instead_of_a_panic() {
        let q = query(5, "example.com", TYPE_A, CLASS_IN);
        let mut out = [0u8; 20];
        assert_eq!(respond(&q, DEVICE, &mut out), None);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic_and_answers_are_well_formed(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)
        ) {
            let mut out = [0u8; MAX_ANSWER_LEN];
            if let Some((n, _)) = respond(&bytes, DEVICE, &mut out) {
                proptest::prop_assert!((HEADER_LEN..=MAX_ANSWER_LEN).contains(&n));
                proptest::prop_assert_eq!(&out[..2], &bytes[..2]);
                proptest::prop_assert_eq!(out[2] & 0x80, 0x80);
            }
        }
    }
}
