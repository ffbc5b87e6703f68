//! In-memory TCP sockets of the emulated NWP (protocomm mode): the device side implements
//! [`NwpSockets`]; a test or the simulator plays the phone through the `client_*` calls.

use std::collections::VecDeque;

use provkit_nwp::Cc32xxError;
use provkit_nwp::driver::NwpSockets;

/// Emulator choice: `sl_*` socket errors (BSD-style codes of the SDK).
const EBADF: i16 = -9;
const EADDRINUSE: i16 = -98;
const ECONNREFUSED: i16 = -111;

#[derive(Debug, Default)]
struct Stream {
    sd: i16,
    to_device: VecDeque<u8>,
    to_client: Vec<u8>,
    client_closed: bool,
    device_closed: bool,
}

/// The socket table.
#[derive(Debug, Default)]
pub struct LoopSockets {
    listeners: Vec<(i16, u16, VecDeque<i16>)>,
    streams: Vec<Stream>,
    next_sd: i16,
}

/// The phone's end of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientHandle(i16);

impl LoopSockets {
    fn alloc(&mut self) -> i16 {
        self.next_sd = self.next_sd.wrapping_add(1).max(1);
        self.next_sd
    }

    /// Everything closes when the NWP stops.
    pub(crate) fn reset(&mut self) {
        self.listeners.clear();
        self.streams.clear();
    }

    /// A phone connects to `port`.
    pub fn client_connect(&mut self, port: u16) -> Result<ClientHandle, Cc32xxError> {
        let sd = self.alloc();
        let listener = self
            .listeners
            .iter_mut()
            .find(|(_, p, _)| *p == port)
            .ok_or(Cc32xxError::Driver(ECONNREFUSED))?;
        listener.2.push_back(sd);
        self.streams.push(Stream {
            sd,
            ..Stream::default()
        });
        Ok(ClientHandle(sd))
    }

    fn stream(&mut self, sd: i16) -> Result<&mut Stream, Cc32xxError> {
        self.streams
            .iter_mut()
            .find(|s| s.sd == sd)
            .ok_or(Cc32xxError::Driver(EBADF))
    }

    /// The phone sends bytes.
    pub fn client_send(&mut self, c: ClientHandle, data: &[u8]) -> Result<(), Cc32xxError> {
        let s = self.stream(c.0)?;
        s.to_device.extend(data);
        Ok(())
    }

    /// Everything the device sent to the phone so far.
    pub fn client_take(&mut self, c: ClientHandle) -> Result<Vec<u8>, Cc32xxError> {
        Ok(std::mem::take(&mut self.stream(c.0)?.to_client))
    }

    /// Did the device close this connection?
    pub fn client_sees_close(&mut self, c: ClientHandle) -> Result<bool, Cc32xxError> {
        Ok(self.stream(c.0)?.device_closed)
    }

    /// The phone closes.
    pub fn client_close(&mut self, c: ClientHandle) -> Result<(), Cc32xxError> {
        self.stream(c.0)?.client_closed = true;
        Ok(())
    }
}

impl NwpSockets for LoopSockets {
    fn tcp_listen(&mut self, port: u16) -> Result<i16, Cc32xxError> {
        if self.listeners.iter().any(|(_, p, _)| *p == port) {
            return Err(Cc32xxError::Driver(EADDRINUSE));
        }
        let sd = self.alloc();
        self.listeners.push((sd, port, VecDeque::new()));
        Ok(sd)
    }

    fn accept(&mut self, listener: i16) -> Result<i16, Cc32xxError> {
        let (_, _, backlog) = self
            .listeners
            .iter_mut()
            .find(|(sd, _, _)| *sd == listener)
            .ok_or(Cc32xxError::Driver(EBADF))?;
        backlog.pop_front().ok_or(Cc32xxError::WouldBlock)
    }

    fn recv(&mut self, sd: i16, buf: &mut [u8]) -> Result<usize, Cc32xxError> {
        let s = self.stream(sd)?;
        if s.to_device.is_empty() {
            return if s.client_closed {
                Ok(0)
            } else {
                Err(Cc32xxError::WouldBlock)
            };
        }
        let mut n = 0;
        for slot in buf.iter_mut() {
            match s.to_device.pop_front() {
                Some(b) => {
                    *slot = b;
                    n += 1;
                }
                None => break,
            }
        }
        Ok(n)
    }

    fn send(&mut self, sd: i16, data: &[u8]) -> Result<usize, Cc32xxError> {
        let s = self.stream(sd)?;
        if s.device_closed {
            return Err(Cc32xxError::Driver(EBADF));
        }
        s.to_client.extend_from_slice(data);
        Ok(data.len())
    }

    fn close(&mut self, sd: i16) -> Result<(), Cc32xxError> {
        if let Some(i) = self.listeners.iter().position(|(l, _, _)| *l == sd) {
            self.listeners.remove(i);
            return Ok(());
        }
        self.stream(sd)?.device_closed = true;
        Ok(())
    }
}
