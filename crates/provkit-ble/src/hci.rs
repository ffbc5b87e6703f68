//! H4 controllers on a host (feature `host`): a virtual controller on a TCP socket, or a USB
//! HCI dongle on a serial port, as bt-hci [`ExternalController`]s the peripheral runs on.
//!
//! ```text
//!  "hci-tcp:127.0.0.1:9001"      ─► TcpStream ─┐
//!  "hci-uart:/dev/ttyACM0@1000000" ─► serial   ─┴► H4 SerialTransport ─► ExternalController
//! ```
//!
//! H4 is the UART framing of HCI (one packet-type byte, then the packet); bumble's
//! `controllers` app speaks it on TCP, and Zephyr's `hci_uart` firmware on a serial port.

use std::fmt;
use std::str::FromStr;

use bt_hci::controller::ExternalController;
use bt_hci::transport::SerialTransport;
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embedded_io_adapters::tokio_1::FromTokio;
use tokio::io::{ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio_serial::SerialStream;

/// Command slots of the external controller (outstanding HCI commands).
const COMMAND_SLOTS: usize = 10;
/// Default UART speed of Zephyr's `hci_uart` and most HCI dongles.
pub const DEFAULT_BAUD: u32 = 1_000_000;

/// A controller on a TCP socket.
pub type TcpController = ExternalController<
    SerialTransport<NoopRawMutex, FromTokio<OwnedReadHalf>, FromTokio<OwnedWriteHalf>>,
    COMMAND_SLOTS,
>;

/// A controller on a serial port.
pub type UartController = ExternalController<
    SerialTransport<
        NoopRawMutex,
        FromTokio<ReadHalf<SerialStream>>,
        FromTokio<WriteHalf<SerialStream>>,
    >,
    COMMAND_SLOTS,
>;

/// Where the HCI controller is: `hci-tcp:HOST:PORT` or `hci-uart:PATH[@BAUD]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HciSpec {
    /// H4 over TCP.
    Tcp {
        /// Host name or address.
        host: String,
        /// TCP port.
        port: u16,
    },
    /// H4 over a serial port.
    Uart {
        /// Device path, e.g. `/dev/ttyACM0`.
        path: String,
        /// Line speed.
        baud: u32,
    },
}

/// A controller specification that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HciSpecError(String);

impl fmt::Display for HciSpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}; expected hci-tcp:HOST:PORT or hci-uart:PATH[@BAUD]",
            self.0
        )
    }
}

impl std::error::Error for HciSpecError {}

impl FromStr for HciSpec {
    type Err = HciSpecError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Some(rest) = text.strip_prefix("hci-tcp:") {
            let (host, port) = rest
                .rsplit_once(':')
                .ok_or_else(|| HciSpecError(format!("`{text}` has no port")))?;
            let host = host.trim_start_matches('[').trim_end_matches(']');
            if host.is_empty() {
                return Err(HciSpecError(format!("`{text}` has no host")));
            }
            let port = port
                .parse::<u16>()
                .ok()
                .filter(|&p| p != 0)
                .ok_or_else(|| HciSpecError(format!("`{port}` is not a TCP port")))?;
            return Ok(Self::Tcp {
                host: host.to_string(),
                port,
            });
        }
        if let Some(rest) = text.strip_prefix("hci-uart:") {
            let (path, baud) = match rest.rsplit_once('@') {
                Some((path, baud)) => {
                    let baud = baud
                        .parse::<u32>()
                        .ok()
                        .filter(|&b| b > 0)
                        .ok_or_else(|| HciSpecError(format!("`{baud}` is not a baud rate")))?;
                    (path, baud)
                }
                None => (rest, DEFAULT_BAUD),
            };
            if path.is_empty() {
                return Err(HciSpecError(format!("`{text}` has no device path")));
            }
            return Ok(Self::Uart {
                path: path.to_string(),
                baud,
            });
        }
        Err(HciSpecError(format!("unknown controller `{text}`")))
    }
}

impl fmt::Display for HciSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tcp { host, port } if host.contains(':') => write!(f, "hci-tcp:[{host}]:{port}"),
            Self::Tcp { host, port } => write!(f, "hci-tcp:{host}:{port}"),
            Self::Uart { path, baud } => write!(f, "hci-uart:{path}@{baud}"),
        }
    }
}

/// Connects to an H4 controller listening on TCP (inside a tokio runtime).
pub async fn connect_tcp(host: &str, port: u16) -> std::io::Result<TcpController> {
    let stream = TcpStream::connect((host, port)).await?;
    // HCI commands are small and latency-bound.
    stream.set_nodelay(true)?;
    let (reader, writer) = stream.into_split();
    Ok(ExternalController::new(SerialTransport::new(
        FromTokio::new(reader),
        FromTokio::new(writer),
    )))
}

/// Opens an H4 controller on a serial port, 8N1, no flow control (inside a tokio runtime).
pub fn open_uart(path: &str, baud: u32) -> std::io::Result<UartController> {
    let port = SerialStream::open(&tokio_serial::new(path, baud))
        .map_err(|e| std::io::Error::other(format!("opening {path}: {e}")))?;
    let (reader, writer) = tokio::io::split(port);
    Ok(ExternalController::new(SerialTransport::new(
        FromTokio::new(reader),
        FromTokio::new(writer),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_print_back() {
        for (text, spec) in [
            (
                "hci-tcp:127.0.0.1:9001",
                HciSpec::Tcp {
                    host: "127.0.0.1".into(),
                    port: 9001,
                },
            ),
            (
                "hci-tcp:[::1]:9001",
                HciSpec::Tcp {
                    host: "::1".into(),
                    port: 9001,
                },
            ),
            (
                "hci-uart:/dev/ttyACM0@115200",
                HciSpec::Uart {
                    path: "/dev/ttyACM0".into(),
                    baud: 115_200,
                },
            ),
        ] {
            assert_eq!(text.parse::<HciSpec>(), Ok(spec.clone()));
            assert_eq!(spec.to_string(), text);
        }
        assert_eq!(
            "hci-uart:/dev/ttyUSB0".parse::<HciSpec>(),
            Ok(HciSpec::Uart {
                path: "/dev/ttyUSB0".into(),
                baud: DEFAULT_BAUD
            })
        );
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        for bad in [
            "tcp:1.2.3.4:5",
            "hci-tcp:1.2.3.4",
            "hci-tcp::80",
            "hci-tcp:h:0",
            "hci-tcp:h:70000",
            "hci-uart:",
            "hci-uart:/dev/x@fast",
            "hci-uart:/dev/x@0",
        ] {
            let err = bad.parse::<HciSpec>().unwrap_err().to_string();
            assert!(err.contains("expected hci-tcp:HOST:PORT"), "{bad}: {err}");
        }
    }
}
