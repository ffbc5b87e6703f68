//! The console transport on stdin/stdout (spec §5.3): only the I/O. The line codec and the
//! session rules are provkit-protocomm's `console` module, reached through [`ConsoleDevice`].
//!
//! ```text
//! in : <endpoint-name> <session-id-decimal> <request-hex>   (one line)
//! out: \r\n<response-hex>\r\n   then the prompt \n>>        (nothing on error)
//! ```

use std::io::{BufRead, Write};

/// The reference prompt.
pub const PROMPT: &str = "\n>> ";

/// The device side of the console transport.
pub trait ConsoleDevice {
    /// One input line (without its line ending); `Some(text)` is printed verbatim, `None`
    /// prints nothing (the reference's silence on a handler error).
    fn handle_console_line(&mut self, line: &[u8]) -> Option<String>;
}

/// Serves lines from `input` until it ends, writing replies and prompts to `output`.
pub fn serve(
    input: impl BufRead,
    mut output: impl Write,
    device: &mut dyn ConsoleDevice,
) -> std::io::Result<()> {
    output.write_all(PROMPT.as_bytes())?;
    output.flush()?;
    for line in input.split(b'\n') {
        let mut line = line?;
        // The reference terminates lines with CR; accept CR, LF and CRLF alike.
        while line.last().is_some_and(|b| *b == b'\r') {
            line.pop();
        }
        if let Some(reply) = device.handle_console_line(&line) {
            output.write_all(reply.as_bytes())?;
        }
        output.write_all(PROMPT.as_bytes())?;
        output.flush()?;
    }
    Ok(())
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
