//! An HCI tap under TrouBLE that carries the ATT queued-write procedure (Prepare Write +
//! Execute Write) for the central.
//!
//! TrouBLE 0.7's GATT client has no long write: it offers no way to send a Prepare or
//! Execute Write Request, and its host cannot decode a Prepare or Execute Write *Response* (an
//! incoming one is answered with an ATT error and never reaches the client). A provisioning
//! request is one ATT value of up to 512 bytes, most of them longer than MTU − 3, so the
//! central needs that procedure. The tap provides it one layer down, on the HCI ACL stream,
//! while TrouBLE keeps everything else (scanning, connecting, MTU exchange, discovery, reads,
//! short writes):
//!
//! ```text
//!  TrouBLE host ──write_acl_data──►┐                        ┌──► controller
//!  queued write ──send_att_pdu────►┴─ in order, PDUs whole, ┘
//!                                     within the controller's buffers
//!  TrouBLE host ◄──read── NOCP counts minus ours ◄┬─ controller
//!                ◄─────── everything else ────────┤  (ACL longer than TrouBLE's buffer
//!  queued write ◄── Prepare/Execute Write Rsp, ───┘   is split into fragments)
//!                   or the Error Rsp to them, while one is awaited
//! ```
//!
//! What keeps the two senders from corrupting each other:
//! * **Whole PDUs.** A fragmented L2CAP PDU holds the link until its last fragment is written,
//!   so the two senders' fragments never interleave on one connection.
//! * **One write at a time, in admission order**: every packet is admitted and written under
//!   one lock.
//! * **Controller buffers.** The tap counts packets handed to the controller and not yet
//!   reported by Number Of Completed Packets (NOCP), for both senders, and holds a packet
//!   back while the controller's LE ACL buffers are full. NOCP events are rewritten so that
//!   TrouBLE is credited only for its own packets (completions are in order per connection).
//!
//! Incoming ACL packets longer than the buffer TrouBLE reads into (259 bytes) are split into
//! fragments TrouBLE reassembles, as a controller with smaller buffers would have sent them;
//! bumble's virtual controller delivers whole PDUs of up to MTU + 4 bytes.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::future::{Future, poll_fn};
use core::task::{Context, Poll};

use bt_hci::ControllerToHostPacket;
use bt_hci::cmd::le::{
    LeAddDeviceToFilterAcceptList, LeAddDeviceToFilterAcceptListParams, LeClearFilterAcceptList,
    LeCreateConn, LeCreateConnParams,
};
use bt_hci::cmd::{self, AsyncCmd, Cmd, SyncCmd};
use bt_hci::controller::{Controller, ControllerCmdAsync, ControllerCmdSync};
use bt_hci::data::{AclBroadcastFlag, AclPacket, AclPacketBoundary, IsoPacket, SyncPacket};
use bt_hci::event::{EventKind, EventPacket};
use bt_hci::param::ConnHandle;
use bt_hci::param::{AddrKind, BdAddr};
use bt_hci::{FromHciBytes, WriteHci};
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embassy_sync::mutex::Mutex;
use embassy_sync::waitqueue::WakerRegistration;

/// L2CAP channel of the Attribute Protocol on LE-U.
const ATT_CID: u16 = 0x0004;
/// ATT opcodes the tap deals in.
pub(crate) const ATT_ERROR_RSP: u8 = 0x01;
pub(crate) const ATT_PREPARE_WRITE_REQ: u8 = 0x16;
pub(crate) const ATT_PREPARE_WRITE_RSP: u8 = 0x17;
pub(crate) const ATT_EXECUTE_WRITE_REQ: u8 = 0x18;
pub(crate) const ATT_EXECUTE_WRITE_RSP: u8 = 0x19;
/// HCI event codes the tap reads.
const EVENT_DISCONNECTION_COMPLETE: u8 = 0x05;
const EVENT_NUMBER_OF_COMPLETED_PACKETS: u8 = 0x13;
/// Longest incoming HCI packet the tap reads whole: an ACL header plus an L2CAP PDU at ATT MTU
/// 517 fits, with room to spare.
const SCRATCH_LEN: usize = 1024 + 8;
/// HCI ACL data header: handle + flags (2), length (2).
const ACL_HEADER_LEN: usize = 4;
/// Fragment length used when the controller reports none (the LE minimum).
const DEFAULT_ACL_LEN: usize = 27;

/// Who handed a packet to the controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sender {
    /// TrouBLE.
    Host,
    /// The queued-write procedure.
    Tap,
}

/// Why a queued-write exchange got no response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExchangeError {
    /// The connection went down.
    Disconnected,
    /// The controller transport failed while sending.
    Controller,
    /// The response was not a well-formed ATT PDU.
    Malformed,
}

/// A queued-write request waiting for its response.
#[derive(Debug, Clone, Copy)]
struct Pending {
    handle: u16,
    request: u8,
}

/// A response PDU arriving in fragments.
#[derive(Debug)]
struct Capture {
    handle: u16,
    /// L2CAP header + payload length.
    total: usize,
    data: Vec<u8>,
}

/// The rest of an incoming ACL packet too long for TrouBLE's buffer.
#[derive(Debug)]
struct Split {
    handle: u16,
    data: Vec<u8>,
    offset: usize,
}

/// A fragmented outgoing L2CAP PDU whose fragments are still being written.
#[derive(Debug, Clone, Copy)]
struct OpenPdu {
    handle: u16,
    sender: Sender,
    /// Bytes of the PDU not yet written.
    remaining: usize,
}

#[derive(Default)]
struct Inner {
    /// Total LE ACL buffers of the controller and their size, once known.
    buffers: Option<(usize, usize)>,
    /// Packets handed to the controller and not yet reported complete, oldest first.
    in_flight: VecDeque<(u16, Sender)>,
    open_pdu: Option<OpenPdu>,
    pending: Option<Pending>,
    capture: Option<Capture>,
    outcome: Option<Result<Vec<u8>, ExchangeError>>,
    split: Option<Split>,
    /// The controller's filter accept list as TrouBLE last set it.
    accept_list: Vec<(AddrKind, BdAddr)>,
    /// Bumped whenever a held-back packet may now go (completions, a PDU finished, a link gone).
    generation: u64,
    host_waker: WakerRegistration,
    tap_waker: WakerRegistration,
    outcome_waker: WakerRegistration,
}

impl Inner {
    fn changed(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        self.host_waker.wake();
        self.tap_waker.wake();
    }

    /// Admits `data` (one ACL fragment) from `sender` now, or says to wait.
    fn admit(&mut self, handle: u16, sender: Sender, first: bool, data: &[u8]) -> bool {
        if let Some(open) = self.open_pdu
            && open.handle == handle
            && open.sender != sender
        {
            return false;
        }
        if let Some((total, _)) = self.buffers
            && self.in_flight.len() >= total
        {
            return false;
        }
        self.in_flight.push_back((handle, sender));
        if first {
            // A first fragment carries the L2CAP header: payload length, then the channel.
            let pdu_len = data
                .get(..2)
                .map_or(0, |l| usize::from(u16::from_le_bytes([l[0], l[1]])) + 4);
            let remaining = pdu_len.saturating_sub(data.len());
            self.open_pdu = (remaining > 0).then_some(OpenPdu {
                handle,
                sender,
                remaining,
            });
        } else if let Some(open) = self.open_pdu.as_mut()
            && open.handle == handle
            && open.sender == sender
        {
            open.remaining = open.remaining.saturating_sub(data.len());
            if open.remaining == 0 {
                self.open_pdu = None;
                self.changed();
            }
        }
        true
    }

    /// Rewrites a Number Of Completed Packets event (`data` = its parameters) so it counts only
    /// TrouBLE's packets, and frees the tap's.
    fn completed(&mut self, data: &mut [u8]) {
        let entries = usize::from(data.first().copied().unwrap_or(0));
        for i in 0..entries {
            let at = 1 + 4 * i;
            let Some(entry) = data.get_mut(at..at + 4) else {
                break;
            };
            let handle = u16::from_le_bytes([entry[0], entry[1]]) & 0x0fff;
            let count = usize::from(u16::from_le_bytes([entry[2], entry[3]]));
            let mut host = 0usize;
            for _ in 0..count {
                match self.in_flight.iter().position(|(h, _)| *h == handle) {
                    Some(index) => {
                        if let Some((_, Sender::Host)) = self.in_flight.remove(index) {
                            host += 1;
                        }
                    }
                    // A completion for nothing we saw go out: let TrouBLE have it.
                    None => host += 1,
                }
            }
            entry[2..4].copy_from_slice(&(host as u16).to_le_bytes());
        }
        self.changed();
    }

    fn disconnected(&mut self, handle: u16) {
        self.in_flight.retain(|(h, _)| *h != handle);
        if self.open_pdu.is_some_and(|p| p.handle == handle) {
            self.open_pdu = None;
        }
        if self.capture.as_ref().is_some_and(|c| c.handle == handle) {
            self.capture = None;
        }
        if self.split.as_ref().is_some_and(|s| s.handle == handle) {
            self.split = None;
        }
        if self.pending.is_some_and(|p| p.handle == handle) {
            self.pending = None;
            self.finish(Err(ExchangeError::Disconnected));
        }
        self.changed();
    }

    fn finish(&mut self, outcome: Result<Vec<u8>, ExchangeError>) {
        self.outcome = Some(outcome);
        self.outcome_waker.wake();
    }

    /// Takes an incoming ACL fragment if it belongs to the awaited queued-write response.
    fn capture(&mut self, handle: u16, first: bool, data: &[u8]) -> bool {
        if !first {
            let Some(capture) = self.capture.as_mut().filter(|c| c.handle == handle) else {
                return false;
            };
            capture.data.extend_from_slice(data);
            if capture.data.len() >= capture.total {
                let done = self.capture.take().map(|c| c.data);
                self.complete(done);
            }
            return true;
        }
        if self.capture.as_ref().is_some_and(|c| c.handle == handle) {
            // A new PDU began before the captured one was whole.
            self.capture = None;
            self.pending = None;
            self.finish(Err(ExchangeError::Malformed));
            return false;
        }
        let Some(pending) = self.pending.filter(|p| p.handle == handle) else {
            return false;
        };
        if data.len() < 5 || u16::from_le_bytes([data[2], data[3]]) != ATT_CID {
            return false;
        }
        let ours = match data[4] {
            ATT_PREPARE_WRITE_RSP => pending.request == ATT_PREPARE_WRITE_REQ,
            ATT_EXECUTE_WRITE_RSP => pending.request == ATT_EXECUTE_WRITE_REQ,
            // An Error Response names the request it answers in its first parameter byte.
            ATT_ERROR_RSP => data.get(5) == Some(&pending.request),
            _ => false,
        };
        if !ours {
            return false;
        }
        let total = usize::from(u16::from_le_bytes([data[0], data[1]])) + 4;
        if data.len() >= total {
            self.complete(Some(data[..total].to_vec()));
        } else {
            self.capture = Some(Capture {
                handle,
                total,
                data: data.to_vec(),
            });
        }
        true
    }

    /// A whole captured L2CAP PDU: its ATT part is the outcome.
    fn complete(&mut self, pdu: Option<Vec<u8>>) {
        self.pending = None;
        let outcome = match pdu {
            Some(mut pdu) if pdu.len() > 4 => {
                pdu.drain(..4);
                Ok(pdu)
            }
            _ => Err(ExchangeError::Malformed),
        };
        self.finish(outcome);
    }
}

/// State shared by the tap (inside TrouBLE) and the queued-write procedure (beside it).
pub(crate) struct TapState {
    inner: RefCell<Inner>,
    /// Serialises admission + write of every packet, so packets reach the controller in the
    /// order they were admitted.
    write_lock: Mutex<NoopRawMutex, ()>,
    /// Where whole incoming packets are read before they are passed on, taken out while a read
    /// is in progress.
    scratch: Cell<Option<Box<[u8]>>>,
}

impl TapState {
    pub(crate) fn new() -> Self {
        Self {
            inner: RefCell::new(Inner::default()),
            write_lock: Mutex::new(()),
            scratch: Cell::new(None),
        }
    }

    /// Records the controller's LE ACL buffers (LE Read Buffer Size): how many packets it holds
    /// and how long each may be.
    pub(crate) fn set_buffers(&self, packets: usize, length: usize) {
        let length = if length == 0 { DEFAULT_ACL_LEN } else { length };
        self.inner.borrow_mut().buffers = Some((packets.max(1), length));
    }

    fn fragment_len(&self) -> usize {
        self.inner
            .borrow()
            .buffers
            .map_or(DEFAULT_ACL_LEN, |(_, len)| len)
    }
}

/// The controller TrouBLE runs on: `C`, seen through the tap.
pub(crate) struct Tap<'a, C> {
    controller: &'a C,
    state: &'a TapState,
}

impl<'a, C: Controller> Tap<'a, C> {
    pub(crate) fn new(controller: &'a C, state: &'a TapState) -> Self {
        Self { controller, state }
    }

    /// Writes one ACL fragment for `sender` once the link and the controller's buffers allow.
    async fn write_fragment(&self, sender: Sender, packet: &AclPacket<'_>) -> Result<(), C::Error> {
        let handle = packet.handle().raw();
        let first = !matches!(packet.boundary_flag(), AclPacketBoundary::Continuing);
        loop {
            let guard = self.state.write_lock.lock().await;
            let (admitted, generation) = {
                let mut inner = self.state.inner.borrow_mut();
                let admitted = inner.admit(handle, sender, first, packet.data());
                (admitted, inner.generation)
            };
            if admitted {
                let result = self.controller.write_acl_data(packet).await;
                drop(guard);
                return result;
            }
            drop(guard);
            poll_fn(|cx| self.wait_change(sender, generation, cx)).await;
        }
    }

    fn wait_change(&self, sender: Sender, generation: u64, cx: &mut Context<'_>) -> Poll<()> {
        let mut inner = self.state.inner.borrow_mut();
        if inner.generation != generation {
            return Poll::Ready(());
        }
        match sender {
            Sender::Host => inner.host_waker.register(cx.waker()),
            Sender::Tap => inner.tap_waker.register(cx.waker()),
        }
        Poll::Pending
    }

    /// Sends one ATT request PDU of the queued-write procedure on `handle` and waits for the
    /// response PDU the server sends back (a matching response or an Error Response), without a
    /// time limit: the caller bounds it.
    pub(crate) async fn exchange(
        &self,
        handle: ConnHandle,
        att_pdu: &[u8],
    ) -> Result<Vec<u8>, ExchangeError> {
        let request = *att_pdu.first().ok_or(ExchangeError::Malformed)?;
        let raw = handle.raw();
        {
            let mut inner = self.state.inner.borrow_mut();
            inner.outcome = None;
            inner.capture = None;
            inner.pending = Some(Pending {
                handle: raw,
                request,
            });
        }
        // Whatever happens from here (this future dropped included), the exchange is over when
        // this guard goes.
        let _pending = PendingGuard(self.state);
        let mut pdu = Vec::with_capacity(4 + att_pdu.len());
        pdu.extend_from_slice(&(att_pdu.len() as u16).to_le_bytes());
        pdu.extend_from_slice(&ATT_CID.to_le_bytes());
        pdu.extend_from_slice(att_pdu);
        let fragment = self.state.fragment_len();
        for (i, part) in pdu.chunks(fragment).enumerate() {
            let boundary = if i == 0 {
                AclPacketBoundary::FirstNonFlushable
            } else {
                AclPacketBoundary::Continuing
            };
            let packet = AclPacket::new(handle, boundary, AclBroadcastFlag::PointToPoint, part);
            if self.write_fragment(Sender::Tap, &packet).await.is_err() {
                return Err(ExchangeError::Controller);
            }
        }
        poll_fn(|cx| {
            let mut inner = self.state.inner.borrow_mut();
            match inner.outcome.take() {
                Some(outcome) => Poll::Ready(outcome),
                None => {
                    inner.outcome_waker.register(cx.waker());
                    Poll::Pending
                }
            }
        })
        .await
    }

    /// Copies the next piece of a split packet into `out`, if one is left.
    fn next_split(&self, out: &mut [u8]) -> Option<Passed> {
        let mut inner = self.state.inner.borrow_mut();
        let split = inner.split.as_mut()?;
        let room = out.len().saturating_sub(ACL_HEADER_LEN).max(1);
        let rest = &split.data[split.offset..];
        let len = rest.len().min(room);
        out[..len].copy_from_slice(&rest[..len]);
        split.offset += len;
        let handle = split.handle;
        if split.offset >= split.data.len() {
            inner.split = None;
        }
        Some(Passed::Acl {
            handle,
            boundary: AclPacketBoundary::Continuing,
            broadcast: AclBroadcastFlag::PointToPoint,
            len,
        })
    }
}

/// Clears the awaited exchange when the exchange ends, however it ends.
struct PendingGuard<'a>(&'a TapState);

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        let mut inner = self.0.inner.borrow_mut();
        inner.pending = None;
        inner.capture = None;
        inner.outcome = None;
        // A PDU of ours cut short must not hold the link for TrouBLE.
        if inner.open_pdu.is_some_and(|p| p.sender == Sender::Tap) {
            inner.open_pdu = None;
            inner.changed();
        }
    }
}

impl<C: Controller> embedded_io::ErrorType for Tap<'_, C> {
    type Error = C::Error;
}

impl<C: Controller> Controller for Tap<'_, C> {
    async fn write_acl_data(&self, packet: &AclPacket<'_>) -> Result<(), Self::Error> {
        self.write_fragment(Sender::Host, packet).await
    }

    async fn write_sync_data(&self, packet: &SyncPacket<'_>) -> Result<(), Self::Error> {
        self.controller.write_sync_data(packet).await
    }

    async fn write_iso_data(&self, packet: &IsoPacket<'_>) -> Result<(), Self::Error> {
        self.controller.write_iso_data(packet).await
    }

    async fn read<'b>(&self, out: &'b mut [u8]) -> Result<ControllerToHostPacket<'b>, Self::Error> {
        if let Some(piece) = self.next_split(out) {
            return Ok(piece.rebuild(out));
        }
        loop {
            // Taken out for the read (a read cancelled half-way just costs a new buffer).
            let mut scratch = self
                .state
                .scratch
                .take()
                .unwrap_or_else(|| vec![0u8; SCRATCH_LEN].into_boxed_slice());
            let passed = match self.controller.read(&mut scratch).await {
                Ok(packet) => self.pass(packet, out),
                Err(e) => {
                    self.state.scratch.set(Some(scratch));
                    return Err(e);
                }
            };
            self.state.scratch.set(Some(scratch));
            if let Some(kind) = passed {
                return Ok(kind.rebuild(out));
            }
        }
    }
}

/// What to hand TrouBLE for one packet read from the controller, copied into its buffer.
enum Passed {
    Acl {
        handle: u16,
        boundary: AclPacketBoundary,
        broadcast: AclBroadcastFlag,
        len: usize,
    },
    Event {
        kind: EventKind,
        len: usize,
    },
}

impl Passed {
    fn rebuild(self, out: &mut [u8]) -> ControllerToHostPacket<'_> {
        match self {
            Passed::Acl {
                handle,
                boundary,
                broadcast,
                len,
            } => ControllerToHostPacket::Acl(AclPacket::new(
                ConnHandle::new(handle),
                boundary,
                broadcast,
                &out[..len],
            )),
            Passed::Event { kind, len } => ControllerToHostPacket::Event(EventPacket {
                kind,
                data: &out[..len],
            }),
        }
    }
}

impl<C: Controller> Tap<'_, C> {
    /// Decides what becomes of `packet`: copied into `out` for TrouBLE (`Some`), or kept by
    /// the tap (`None`).
    fn pass(&self, packet: ControllerToHostPacket<'_>, out: &mut [u8]) -> Option<Passed> {
        let mut inner = self.state.inner.borrow_mut();
        match packet {
            ControllerToHostPacket::Acl(acl) => {
                let handle = acl.handle().raw();
                let first = !matches!(acl.boundary_flag(), AclPacketBoundary::Continuing);
                let data = acl.data();
                if inner.capture(handle, first, data) {
                    return None;
                }
                let room = out.len().saturating_sub(ACL_HEADER_LEN).max(1);
                let len = data.len().min(room);
                out[..len].copy_from_slice(&data[..len]);
                if len < data.len() {
                    inner.split = Some(Split {
                        handle,
                        data: data.to_vec(),
                        offset: len,
                    });
                }
                Some(Passed::Acl {
                    handle,
                    boundary: acl.boundary_flag(),
                    broadcast: acl.broadcast_flag(),
                    len,
                })
            }
            ControllerToHostPacket::Event(event) => {
                let len = event.data.len().min(out.len());
                out[..len].copy_from_slice(&event.data[..len]);
                match event.kind.0 {
                    EVENT_NUMBER_OF_COMPLETED_PACKETS => inner.completed(&mut out[..len]),
                    // Status 0, then the handle.
                    EVENT_DISCONNECTION_COMPLETE if len >= 3 && out[0] == 0 => {
                        inner.disconnected(u16::from_le_bytes([out[1], out[2]]) & 0x0fff);
                    }
                    _ => {}
                }
                Some(Passed::Event {
                    kind: event.kind,
                    len,
                })
            }
            // TrouBLE ignores synchronous and isochronous data.
            _ => None,
        }
    }
}

/// The parameters of `command` as they go on the wire (at most `N` bytes).
fn params_bytes<Q: Cmd + ?Sized, const N: usize>(command: &Q) -> Option<([u8; N], usize)> {
    let mut buffer = [0u8; N];
    let len = command.params().size();
    if len > N {
        return None;
    }
    command.params().write_hci(&mut buffer[..len]).ok()?;
    Some((buffer, len))
}

impl<C, Q> ControllerCmdSync<Q> for Tap<'_, C>
where
    C: ControllerCmdSync<Q>,
    Q: SyncCmd + ?Sized,
{
    fn exec(&self, command: &Q) -> impl Future<Output = Result<Q::Return, cmd::Error<C::Error>>> {
        // Remember the filter accept list TrouBLE builds for a connection (see the
        // `ControllerCmdAsync` impl below).
        if Q::OPCODE == LeClearFilterAcceptList::OPCODE {
            self.state.inner.borrow_mut().accept_list.clear();
        } else if Q::OPCODE == LeAddDeviceToFilterAcceptList::OPCODE
            && let Some((bytes, len)) = params_bytes::<Q, 8>(command)
            && let Ok((params, _)) =
                LeAddDeviceToFilterAcceptListParams::from_hci_bytes(&bytes[..len])
        {
            self.state
                .inner
                .borrow_mut()
                .accept_list
                .push((params.addr_kind, params.addr));
        }
        self.controller.exec(command)
    }
}

impl<C, Q> ControllerCmdAsync<Q> for Tap<'_, C>
where
    C: ControllerCmdAsync<Q> + ControllerCmdAsync<LeCreateConn>,
    Q: AsyncCmd + ?Sized,
{
    fn exec(&self, command: &Q) -> impl Future<Output = Result<(), cmd::Error<C::Error>>> {
        // TrouBLE always connects through the filter accept list (initiator filter policy 1,
        // peer address zero). bumble's virtual controller ignores that policy and pages the
        // zero address, so the connection never comes. With exactly one address in the list,
        // the same connection is asked for directly (policy 0, that peer), which every
        // controller supports.
        let direct = (Q::OPCODE == LeCreateConn::OPCODE)
            .then(|| params_bytes::<Q, 32>(command))
            .flatten()
            .and_then(|(bytes, len)| {
                LeCreateConnParams::from_hci_bytes(&bytes[..len])
                    .ok()
                    .map(|(params, _)| params)
            })
            .and_then(|mut params| {
                let inner = self.state.inner.borrow();
                match inner.accept_list.as_slice() {
                    [(kind, addr)] if params.use_filter_accept_list => {
                        params.use_filter_accept_list = false;
                        params.peer_addr_kind = *kind;
                        params.peer_addr = *addr;
                        Some(LeCreateConn::from(params))
                    }
                    _ => None,
                }
            });
        async move {
            match direct {
                Some(direct) => {
                    <C as ControllerCmdAsync<LeCreateConn>>::exec(self.controller, &direct).await
                }
                None => <C as ControllerCmdAsync<Q>>::exec(self.controller, command).await,
            }
        }
    }
}
