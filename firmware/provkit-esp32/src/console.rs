//! Console transport: protocomm's console line protocol over any `embedded-io-async` byte
//! stream — on the ESP32-C3/C6 the USB-Serial-JTAG port (esp-hal's async `UsbSerialJtag`),
//! or a UART.
//!
//! ```text
//!  bytes ─► LineBuffer (bounded, CR/LF) ─► ConsoleHandler::on_line ─► "\r\n<hex>\r\n" + ">> "
//! ```
//!
//! The line codec, the session rule and the length limit are `provkit_protocomm::console`'s;
//! this module only moves bytes. Generic over the stream so the loop is tested on the host.

use alloc::string::String;

use embedded_io_async::{Read, Write};
use provkit_protocomm::console::LineBuffer;

/// The prompt the reference console prints before each command.
pub const PROMPT: &[u8] = b">> ";

/// What the console loop calls per complete line (without its terminator): `Some(text)` is
/// written back as is (protocomm's `format_response`), `None` writes nothing (the reference
/// prints nothing on an error). Async: a blocking ScanStart is answered when the scan is done.
#[allow(async_fn_in_trait)] // single-executor firmware: no Send bound wanted
pub trait ConsoleHandler {
    /// Handles one command line.
    async fn on_line(&mut self, line: &[u8]) -> Option<String>;
}

/// Serves the console until the stream ends (`Ok`) or fails (`Err`). Over-long lines are
/// dropped by the [`LineBuffer`] without ever holding more than `max_line` bytes.
pub async fn serve<S, H>(stream: &mut S, handler: &mut H, max_line: usize) -> Result<(), S::Error>
where
    S: Read + Write,
    H: ConsoleHandler,
{
    let mut lines = LineBuffer::new(max_line);
    let mut chunk = [0u8; 64];
    stream.write_all(PROMPT).await?;
    stream.flush().await?;
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        for &byte in chunk.get(..n).unwrap_or(&[]) {
            let Some(line) = lines.push(byte) else {
                continue;
            };
            if let Ok(line) = line {
                let answer = handler.on_line(&line).await;
                if let Some(text) = answer {
                    stream.write_all(text.as_bytes()).await?;
                }
            }
            stream.write_all(PROMPT).await?;
            stream.flush().await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use core::convert::Infallible;
    use std::format;

    /// A scripted serial port: reads come in the given chunks, then end of stream.
    struct ScriptedPort {
        input: Vec<Vec<u8>>,
        output: Vec<u8>,
    }

    impl embedded_io_async::ErrorType for ScriptedPort {
        type Error = Infallible;
    }

    impl Read for ScriptedPort {
        async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
            if self.input.is_empty() {
                return Ok(0);
            }
            let chunk = self.input.remove(0);
            let n = chunk.len().min(buf.len());
            buf[..n].copy_from_slice(&chunk[..n]);
            if n < chunk.len() {
                self.input.insert(0, chunk[n..].to_vec());
            }
            Ok(n)
        }
    }

    impl Write for ScriptedPort {
        async fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
            self.output.extend_from_slice(buf);
            Ok(buf.len())
        }

        async fn flush(&mut self) -> Result<(), Infallible> {
            Ok(())
        }
    }

    /// Answers lines starting with "ok" with their length, refuses everything else.
    #[derive(Default)]
    struct Recorder {
        lines: Vec<Vec<u8>>,
    }

    impl ConsoleHandler for Recorder {
        async fn on_line(&mut self, line: &[u8]) -> Option<String> {
            self.lines.push(line.to_vec());
            line.starts_with(b"ok")
                .then(|| format!("\r\n{}\r\n", line.len()))
        }
    }

    fn run(chunks: &[&[u8]], max_line: usize) -> (Vec<Vec<u8>>, String) {
        let mut port = ScriptedPort {
            input: chunks.iter().map(|c| c.to_vec()).collect(),
            output: Vec::new(),
        };
        let mut handler = Recorder::default();
        let result = embassy_futures::block_on(serve(&mut port, &mut handler, max_line));
        assert_eq!(result, Ok(()));
        (
            handler.lines,
            String::from_utf8(port.output).expect("utf-8"),
        )
    }

    #[test]
    fn lines_split_across_reads_are_reassembled_and_answered() {
        let (lines, output) = run(&[b"ok prov-", b"session 1 0a0b\r", b"\nbad line\n"], 64);
        assert_eq!(
            lines,
            [b"ok prov-session 1 0a0b".to_vec(), b"bad line".to_vec()]
        );
        // Prompt, answer + prompt for the first line, only a prompt for the refused one.
        assert_eq!(output, ">> \r\n22\r\n>> >> ");
    }

    #[test]
    fn over_long_lines_are_dropped_without_reaching_the_handler() {
        let long = [b'x'; 100];
        let (lines, output) = run(&[&long, b"\rok\r"], 16);
        assert_eq!(lines, [b"ok".to_vec()], "only the short line is handled");
        assert_eq!(output, ">> >> \r\n2\r\n>> ");
    }

    #[test]
    fn a_long_read_is_processed_in_chunks() {
        let mut script = Vec::new();
        for i in 0..20 {
            script.extend_from_slice(format!("ok {i}\n").as_bytes());
        }
        let (lines, output) = run(&[&script], 64);
        assert_eq!(lines.len(), 20);
        assert_eq!(output.matches(">> ").count(), 21);
    }
}
