//! The console transport on stdin/stdout (spec §5.3): only the I/O. The line codec and the
//! session rules are provkit-protocomm's `console` module, reached through [`ConsoleDevice`].
//!
//! ```text
//! in : <endpoint-name> <session-id-decimal> <request-hex>   (one line)
//! out: \r\n<response-hex>\r\n   then the prompt \n>>        (nothing on error)
//! ```

use std::io::{BufRead, Write};

use provkit_protocomm::console::{DEFAULT_MAX_LINE_LEN, LineBuffer};

/// The reference prompt.
pub const PROMPT: &str = "\n>> ";

/// The device side of the console transport.
pub trait ConsoleDevice {
    /// Longest accepted line in bytes: the device's console framing limit (its
    /// `ConsoleFraming::max_line`). [`serve`] never buffers more than this per line.
    fn max_line(&self) -> usize {
        DEFAULT_MAX_LINE_LEN
    }

    /// One input line (without its line ending); `Some(text)` is printed verbatim, `None`
    /// prints nothing (the reference's silence on a handler error).
    fn handle_console_line(&mut self, line: &[u8]) -> Option<String>;

    /// The console's input ended: whoever used it is gone (its protocomm session ends). The
    /// default does nothing.
    fn console_gone(&mut self) {}
}

/// Serves lines from `input` until it ends, writing replies and prompts to `output`.
///
/// Lines end with CR, LF or CRLF (the reference sends CR); empty lines are skipped. Lines
/// are assembled by protocomm's [`LineBuffer`] with the device's [`ConsoleDevice::max_line`],
/// so an endless line costs at most that much memory: it is dropped and answered with
/// silence (just the prompt), like any other rejected command. A last line without a
/// terminator is served when the input ends.
pub fn serve(
    mut input: impl BufRead,
    mut output: impl Write,
    device: &mut dyn ConsoleDevice,
) -> std::io::Result<()> {
    output.write_all(PROMPT.as_bytes())?;
    output.flush()?;
    let mut lines = LineBuffer::new(device.max_line());
    loop {
        let chunk = input.fill_buf()?;
        let at_end = chunk.is_empty();
        // At the end of input a terminator flushes an unterminated last line.
        let bytes: &[u8] = if at_end { b"\n" } else { chunk };
        let mut finished = Vec::new();
        for &byte in bytes {
            if let Some(line) = lines.push(byte) {
                finished.push(line);
            }
        }
        let consumed = if at_end { 0 } else { bytes.len() };
        input.consume(consumed);
        for line in finished {
            if let Some(reply) = line.ok().and_then(|l| device.handle_console_line(&l)) {
                output.write_all(reply.as_bytes())?;
            }
            output.write_all(PROMPT.as_bytes())?;
            output.flush()?;
        }
        if at_end {
            device.console_gone();
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Upper(Vec<Vec<u8>>);
    impl ConsoleDevice for Upper {
        fn handle_console_line(&mut self, line: &[u8]) -> Option<String> {
            self.0.push(line.to_vec());
            (line != b"fail").then(|| String::from_utf8_lossy(line).to_uppercase())
        }
    }

    /// Counts the bytes of every line it is handed.
    struct Lengths(Vec<usize>, usize);
    impl ConsoleDevice for Lengths {
        fn max_line(&self) -> usize {
            self.1
        }
        fn handle_console_line(&mut self, line: &[u8]) -> Option<String> {
            self.0.push(line.len());
            Some(String::from("ok"))
        }
    }

    /// A reader that yields an endless line of `x` and tracks how much it handed out.
    struct Endless {
        chunk: [u8; 64],
        served: usize,
        limit: usize,
    }
    impl std::io::Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf
                .len()
                .min(self.chunk.len())
                .min(self.limit - self.served);
            buf[..n].copy_from_slice(&self.chunk[..n]);
            self.served += n;
            Ok(n)
        }
    }

    #[test]
    fn an_over_long_line_is_dropped_without_buffering_it_and_the_next_line_is_served() {
        let max = 100;
        // 1 MiB of one line, then a normal line.
        let long = Endless {
            chunk: [b'x'; 64],
            served: 0,
            limit: 1 << 20,
        };
        let input = std::io::BufReader::new(std::io::Read::chain(long, b"\nshort\n".as_slice()));
        let mut out = Vec::new();
        let mut dev = Lengths(Vec::new(), max);
        serve(input, &mut out, &mut dev).expect("serve");
        assert_eq!(dev.0, vec![5], "only the short line reaches the device");
        let text = String::from_utf8(out).expect("utf8");
        assert_eq!(text, format!("{PROMPT}{PROMPT}ok{PROMPT}"));
        // Exactly at the limit is still accepted.
        let exact = vec![b'y'; max];
        let mut dev = Lengths(Vec::new(), max);
        serve(exact.as_slice(), Vec::new(), &mut dev).expect("serve");
        assert_eq!(dev.0, vec![max]);
    }

    #[test]
    fn serve_prints_replies_and_a_prompt_per_line_and_strips_line_endings() {
        let input = b"echo 7 6162\r\nfail\nlast".as_slice();
        let mut out = Vec::new();
        let mut dev = Upper(Vec::new());
        serve(input, &mut out, &mut dev).expect("serve");
        let text = String::from_utf8(out).expect("utf8");
        assert_eq!(
            text,
            format!("{PROMPT}ECHO 7 6162{PROMPT}{PROMPT}LAST{PROMPT}")
        );
        assert_eq!(
            dev.0,
            vec![b"echo 7 6162".to_vec(), b"fail".to_vec(), b"last".to_vec()]
        );
    }
}
