//! The central's pieces that need no radio: the HCI tap against a scripted controller, the
//! queued-write procedure against a scripted ATT server, advertising-data parsing, the packet
//! pools. The whole central runs against provkit's peripheral over bumble's linked virtual
//! controllers in `cargo xtask ble-client`.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::future::{pending, poll_fn};
use core::task::Poll;

use bt_hci::ControllerToHostPacket;
use bt_hci::cmd::Cmd;
use bt_hci::cmd::le::{
    LeAddDeviceToFilterAcceptList, LeClearFilterAcceptList, LeCreateConn, LeCreateConnParams,
};
use bt_hci::controller::{Controller, ControllerCmdAsync, ControllerCmdSync};
use bt_hci::data::{AclBroadcastFlag, AclPacket, AclPacketBoundary, IsoPacket, SyncPacket};
use bt_hci::event::{EventKind, EventPacket};
use bt_hci::param::{AddrKind, BdAddr, ConnHandle, Duration as HciDuration};
use embassy_futures::block_on;
use embassy_futures::select::{Either, Either3, select, select3};
use embassy_futures::yield_now;
use embassy_sync::waitqueue::WakerRegistration;
use embedded_io::ErrorKind;

use super::tap::{ExchangeError, Tap, TapState};
use super::*;

const HANDLE: u16 = 0x0040;

/// One packet the scripted controller hands the host.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Incoming {
    Acl {
        handle: u16,
        first: bool,
        data: Vec<u8>,
    },
    Event {
        code: u8,
        data: Vec<u8>,
    },
}

/// ATT server behaviour for whole PDUs that reach the scripted controller.
type Server = Box<dyn FnMut(&[u8]) -> Option<Vec<u8>>>;

/// A controller that records what it is given and answers from a script.
struct ScriptedController {
    /// ACL fragments written, in order: (handle, first fragment?, bytes).
    sent: RefCell<Vec<(u16, bool, Vec<u8>)>>,
    inbox: RefCell<VecDeque<Incoming>>,
    waker: RefCell<WakerRegistration>,
    /// Reassembles the L2CAP PDU being written.
    assembling: RefCell<Vec<u8>>,
    /// Answers a whole ATT PDU (without L2CAP header) with one, if any.
    server: RefCell<Option<Server>>,
    /// Fragment length of the answers it sends.
    answer_fragment: Cell<usize>,
    /// Queue a Number Of Completed Packets event for every packet written.
    auto_complete: Cell<bool>,
    /// The commands that reached it: LE Create Connection parameters, filter list changes.
    create_conn: RefCell<Vec<LeCreateConnParams>>,
    accept_list_ops: Cell<usize>,
}

impl ScriptedController {
    fn new() -> Self {
        Self {
            sent: RefCell::new(Vec::new()),
            inbox: RefCell::new(VecDeque::new()),
            waker: RefCell::new(WakerRegistration::new()),
            assembling: RefCell::new(Vec::new()),
            server: RefCell::new(None),
            answer_fragment: Cell::new(27),
            auto_complete: Cell::new(true),
            create_conn: RefCell::new(Vec::new()),
            accept_list_ops: Cell::new(0),
        }
    }

    fn serve(&self, server: impl FnMut(&[u8]) -> Option<Vec<u8>> + 'static) {
        *self.server.borrow_mut() = Some(Box::new(server));
    }

    fn push(&self, packet: Incoming) {
        self.inbox.borrow_mut().push_back(packet);
        self.waker.borrow_mut().wake();
    }

    /// An ATT PDU from the server, as L2CAP fragments of `answer_fragment` bytes.
    fn push_att(&self, att: &[u8]) {
        let mut pdu = Vec::new();
        pdu.extend_from_slice(&(att.len() as u16).to_le_bytes());
        pdu.extend_from_slice(&4u16.to_le_bytes());
        pdu.extend_from_slice(att);
        for (i, part) in pdu.chunks(self.answer_fragment.get()).enumerate() {
            self.push(Incoming::Acl {
                handle: HANDLE,
                first: i == 0,
                data: part.to_vec(),
            });
        }
    }

    fn push_completed(&self, handle: u16, count: u16) {
        let mut data = vec![1u8];
        data.extend_from_slice(&handle.to_le_bytes());
        data.extend_from_slice(&count.to_le_bytes());
        self.push(Incoming::Event { code: 0x13, data });
    }
}

impl embedded_io::ErrorType for ScriptedController {
    type Error = ErrorKind;
}

impl Controller for ScriptedController {
    async fn write_acl_data(&self, packet: &AclPacket<'_>) -> Result<(), Self::Error> {
        let first = !matches!(packet.boundary_flag(), AclPacketBoundary::Continuing);
        let handle = packet.handle().raw();
        self.sent
            .borrow_mut()
            .push((handle, first, packet.data().to_vec()));
        if self.auto_complete.get() {
            self.push_completed(handle, 1);
        }
        let whole = {
            let mut assembling = self.assembling.borrow_mut();
            if first {
                assembling.clear();
            }
            assembling.extend_from_slice(packet.data());
            let len = usize::from(u16::from_le_bytes([assembling[0], assembling[1]])) + 4;
            (assembling.len() >= len).then(|| assembling[4..len].to_vec())
        };
        if let Some(att) = whole {
            let answer = self.server.borrow_mut().as_mut().and_then(|s| s(&att));
            if let Some(answer) = answer {
                self.push_att(&answer);
            }
        }
        Ok(())
    }

    async fn write_sync_data(&self, _: &SyncPacket<'_>) -> Result<(), Self::Error> {
        Ok(())
    }

    async fn write_iso_data(&self, _: &IsoPacket<'_>) -> Result<(), Self::Error> {
        Ok(())
    }

    async fn read<'a>(&self, buf: &'a mut [u8]) -> Result<ControllerToHostPacket<'a>, Self::Error> {
        let next = poll_fn(|cx| match self.inbox.borrow_mut().pop_front() {
            Some(packet) => Poll::Ready(packet),
            None => {
                self.waker.borrow_mut().register(cx.waker());
                Poll::Pending
            }
        })
        .await;
        Ok(match next {
            Incoming::Acl {
                handle,
                first,
                data,
            } => {
                buf[..data.len()].copy_from_slice(&data);
                let boundary = if first {
                    AclPacketBoundary::FirstFlushable
                } else {
                    AclPacketBoundary::Continuing
                };
                ControllerToHostPacket::Acl(AclPacket::new(
                    ConnHandle::new(handle),
                    boundary,
                    AclBroadcastFlag::PointToPoint,
                    &buf[..data.len()],
                ))
            }
            Incoming::Event { code, data } => {
                buf[..data.len()].copy_from_slice(&data);
                ControllerToHostPacket::Event(EventPacket {
                    kind: match code {
                        0x05 => EventKind::DisconnectionComplete,
                        0x13 => EventKind::NumberOfCompletedPackets,
                        other => panic!("no event 0x{other:02x} in the script"),
                    },
                    data: &buf[..data.len()],
                })
            }
        })
    }
}

impl ControllerCmdSync<LeClearFilterAcceptList> for ScriptedController {
    async fn exec(&self, _: &LeClearFilterAcceptList) -> Result<(), bt_hci::cmd::Error<ErrorKind>> {
        self.accept_list_ops.set(self.accept_list_ops.get() + 1);
        Ok(())
    }
}

impl ControllerCmdSync<LeAddDeviceToFilterAcceptList> for ScriptedController {
    async fn exec(
        &self,
        _: &LeAddDeviceToFilterAcceptList,
    ) -> Result<(), bt_hci::cmd::Error<ErrorKind>> {
        self.accept_list_ops.set(self.accept_list_ops.get() + 1);
        Ok(())
    }
}

impl ControllerCmdAsync<LeCreateConn> for ScriptedController {
    async fn exec(&self, command: &LeCreateConn) -> Result<(), bt_hci::cmd::Error<ErrorKind>> {
        self.create_conn.borrow_mut().push(*command.params());
        Ok(())
    }
}

/// What TrouBLE would have received from the tap.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Acl { first: bool, data: Vec<u8> },
    Event { code: u8, data: Vec<u8> },
}

/// Reads through the tap like TrouBLE's receive loop, with its 259-byte buffer.
async fn host_reader(tap: &Tap<'_, ScriptedController>, seen: &RefCell<Vec<Seen>>) {
    let mut buffer = [0u8; 259];
    loop {
        match tap.read(&mut buffer).await {
            Ok(ControllerToHostPacket::Acl(acl)) => seen.borrow_mut().push(Seen::Acl {
                first: !matches!(acl.boundary_flag(), AclPacketBoundary::Continuing),
                data: acl.data().to_vec(),
            }),
            Ok(ControllerToHostPacket::Event(event)) => seen.borrow_mut().push(Seen::Event {
                code: event.kind.0,
                data: event.data.to_vec(),
            }),
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// A server that echoes Prepare Writes and acknowledges Execute Writes.
fn echo_server(att: &[u8]) -> Option<Vec<u8>> {
    match att[0] {
        0x16 => {
            let mut echo = att.to_vec();
            echo[0] = 0x17;
            Some(echo)
        }
        0x18 => Some(vec![0x19]),
        _ => None,
    }
}

fn prepare(offset: u16, part: &[u8]) -> Vec<u8> {
    let mut request = vec![0x16];
    request.extend_from_slice(&0x002au16.to_le_bytes());
    request.extend_from_slice(&offset.to_le_bytes());
    request.extend_from_slice(part);
    request
}

#[test]
fn an_exchange_goes_out_in_fragments_and_its_fragmented_answer_never_reaches_trouble() {
    let controller = ScriptedController::new();
    controller.serve(echo_server);
    controller.answer_fragment.set(10);
    controller.auto_complete.set(false);
    let state = TapState::new();
    state.set_buffers(8, 27);
    let tap = Tap::new(&controller, &state);
    let seen = RefCell::new(Vec::new());
    let request = prepare(0, &[0xA5; 40]);
    let answer = block_on(async {
        match select(
            host_reader(&tap, &seen),
            tap.exchange(ConnHandle::new(HANDLE), &request),
        )
        .await
        {
            Either::First(()) => unreachable!(),
            Either::Second(answer) => answer,
        }
    });
    let mut echo = request.clone();
    echo[0] = 0x17;
    assert_eq!(answer, Ok(echo));
    // 4 + 45 bytes of L2CAP: fragments of 27 and 22, the first marked as a start.
    let sent = controller.sent.borrow();
    assert_eq!(sent.len(), 2);
    assert_eq!((sent[0].1, sent[0].2.len()), (true, 27));
    assert_eq!((sent[1].1, sent[1].2.len()), (false, 22));
    assert_eq!(&sent[0].2[..4], &[45, 0, 4, 0]);
    assert!(seen.borrow().is_empty(), "{:?}", seen.borrow());
}

#[test]
fn an_error_response_to_the_request_is_its_answer_and_other_att_traffic_passes() {
    let controller = ScriptedController::new();
    controller.auto_complete.set(false);
    // The server first sends an unrelated Read Response, then an Error Response naming the
    // Prepare Write Request (Prepare Queue Full).
    controller.serve(|att| {
        assert_eq!(att[0], 0x16);
        None
    });
    let state = TapState::new();
    let tap = Tap::new(&controller, &state);
    let seen = RefCell::new(Vec::new());
    let answer = block_on(async {
        let script = async {
            while controller.sent.borrow().is_empty() {
                yield_now().await;
            }
            controller.push_att(&[0x0B, 1, 2, 3]);
            controller.push_att(&[0x01, 0x16, 0x2a, 0x00, 0x09]);
            pending::<()>().await;
        };
        match select3(
            host_reader(&tap, &seen),
            tap.exchange(ConnHandle::new(HANDLE), &prepare(0, b"abc")),
            script,
        )
        .await
        {
            Either3::Second(answer) => answer,
            _ => unreachable!(),
        }
    });
    assert_eq!(answer, Ok(vec![0x01, 0x16, 0x2a, 0x00, 0x09]));
    assert_eq!(
        *seen.borrow(),
        vec![Seen::Acl {
            first: true,
            data: vec![4, 0, 4, 0, 0x0B, 1, 2, 3]
        }]
    );
}

#[test]
fn completions_of_the_taps_packets_are_not_credited_to_trouble() {
    let controller = ScriptedController::new();
    controller.serve(echo_server);
    controller.auto_complete.set(false);
    let state = TapState::new();
    state.set_buffers(8, 27);
    let tap = Tap::new(&controller, &state);
    let seen = RefCell::new(Vec::new());
    block_on(async {
        // TrouBLE sends two single-fragment PDUs, the tap one exchange; then the controller
        // reports all three sent.
        for byte in [1u8, 2] {
            let data = [1u8, 0, 4, 0, byte];
            let packet = AclPacket::new(
                ConnHandle::new(HANDLE),
                AclPacketBoundary::FirstNonFlushable,
                AclBroadcastFlag::PointToPoint,
                &data,
            );
            tap.write_acl_data(&packet).await.expect("write");
        }
        let exchange = async {
            let answer = tap
                .exchange(ConnHandle::new(HANDLE), &prepare(0, b"x"))
                .await;
            assert!(answer.is_ok());
            controller.push_completed(HANDLE, 3);
            pending::<()>().await;
        };
        let stop = async {
            while !seen
                .borrow()
                .iter()
                .any(|s| matches!(s, Seen::Event { .. }))
            {
                yield_now().await;
            }
        };
        select3(host_reader(&tap, &seen), exchange, stop).await;
    });
    let events: Vec<Seen> = seen
        .borrow()
        .iter()
        .filter(|s| matches!(s, Seen::Event { .. }))
        .cloned()
        .collect();
    // One handle, two completed packets: TrouBLE's own.
    let mut expected = vec![1u8];
    expected.extend_from_slice(&HANDLE.to_le_bytes());
    expected.extend_from_slice(&2u16.to_le_bytes());
    assert_eq!(
        events,
        vec![Seen::Event {
            code: 0x13,
            data: expected
        }]
    );
}

#[test]
fn full_controller_buffers_hold_the_taps_packet_until_a_completion() {
    let controller = ScriptedController::new();
    controller.serve(echo_server);
    controller.auto_complete.set(false);
    let state = TapState::new();
    state.set_buffers(2, 27);
    let tap = Tap::new(&controller, &state);
    let seen = RefCell::new(Vec::new());
    let answer = block_on(async {
        for byte in [1u8, 2] {
            let data = [1u8, 0, 4, 0, byte];
            let packet = AclPacket::new(
                ConnHandle::new(HANDLE),
                AclPacketBoundary::FirstNonFlushable,
                AclBroadcastFlag::PointToPoint,
                &data,
            );
            tap.write_acl_data(&packet).await.expect("write");
        }
        let script = async {
            for _ in 0..20 {
                yield_now().await;
            }
            // Both buffers still taken: nothing more may have gone out.
            assert_eq!(controller.sent.borrow().len(), 2);
            controller.push_completed(HANDLE, 1);
            pending::<()>().await;
        };
        match select3(
            host_reader(&tap, &seen),
            tap.exchange(ConnHandle::new(HANDLE), &prepare(0, b"y")),
            script,
        )
        .await
        {
            Either3::Second(answer) => answer,
            _ => unreachable!(),
        }
    });
    assert!(answer.is_ok());
    assert_eq!(controller.sent.borrow().len(), 3);
}

#[test]
fn a_fragmented_pdu_of_trouble_is_never_interleaved_with_the_taps() {
    let controller = ScriptedController::new();
    controller.serve(echo_server);
    let state = TapState::new();
    state.set_buffers(8, 27);
    let tap = Tap::new(&controller, &state);
    let seen = RefCell::new(Vec::new());
    // TrouBLE's PDU: 30 bytes of payload, in a first fragment of 27 and a continuation of 7.
    let mut pdu = vec![30u8, 0, 4, 0];
    pdu.extend_from_slice(&[0x52; 30]);
    let answer = block_on(async {
        let first = AclPacket::new(
            ConnHandle::new(HANDLE),
            AclPacketBoundary::FirstNonFlushable,
            AclBroadcastFlag::PointToPoint,
            &pdu[..27],
        );
        tap.write_acl_data(&first).await.expect("write");
        let rest = async {
            for _ in 0..20 {
                yield_now().await;
            }
            let continuation = AclPacket::new(
                ConnHandle::new(HANDLE),
                AclPacketBoundary::Continuing,
                AclBroadcastFlag::PointToPoint,
                &pdu[27..],
            );
            tap.write_acl_data(&continuation).await.expect("write");
            pending::<()>().await;
        };
        match select3(
            host_reader(&tap, &seen),
            tap.exchange(ConnHandle::new(HANDLE), &prepare(0, b"z")),
            rest,
        )
        .await
        {
            Either3::Second(answer) => answer,
            _ => unreachable!(),
        }
    });
    assert!(answer.is_ok());
    let sent = controller.sent.borrow();
    let order: Vec<(bool, usize)> = sent.iter().map(|(_, f, d)| (*f, d.len())).collect();
    assert_eq!(order, vec![(true, 27), (false, 7), (true, 10)]);
}

#[test]
fn a_disconnection_ends_the_awaited_exchange() {
    let controller = ScriptedController::new();
    controller.serve(|_| None);
    let state = TapState::new();
    let tap = Tap::new(&controller, &state);
    let seen = RefCell::new(Vec::new());
    let answer = block_on(async {
        let script = async {
            while controller.sent.borrow().is_empty() {
                yield_now().await;
            }
            // Disconnection Complete: status 0, the handle, reason 0x13.
            let mut data = vec![0u8];
            data.extend_from_slice(&HANDLE.to_le_bytes());
            data.push(0x13);
            controller.push(Incoming::Event { code: 0x05, data });
            pending::<()>().await;
        };
        match select3(
            host_reader(&tap, &seen),
            tap.exchange(ConnHandle::new(HANDLE), &prepare(0, b"q")),
            script,
        )
        .await
        {
            Either3::Second(answer) => answer,
            _ => unreachable!(),
        }
    });
    assert_eq!(answer, Err(ExchangeError::Disconnected));
}

#[test]
fn incoming_packets_longer_than_troubles_buffer_are_split_for_it() {
    let controller = ScriptedController::new();
    controller.answer_fragment.set(1000);
    let state = TapState::new();
    let tap = Tap::new(&controller, &state);
    let seen = RefCell::new(Vec::new());
    // A 300-byte Read Response in one ACL packet, as bumble delivers it.
    let mut att = vec![0x0B];
    att.extend((0..299).map(|i| i as u8));
    controller.push_att(&att);
    block_on(async {
        let stop = async {
            while seen.borrow().len() < 2 {
                yield_now().await;
            }
        };
        select(host_reader(&tap, &seen), stop).await;
    });
    let seen = seen.borrow();
    let Seen::Acl {
        first: true,
        data: a,
    } = &seen[0]
    else {
        panic!("{seen:?}")
    };
    let Seen::Acl {
        first: false,
        data: b,
    } = &seen[1]
    else {
        panic!("{seen:?}")
    };
    assert_eq!(a.len(), 255);
    assert_eq!(b.len(), 304 - 255);
    let whole: Vec<u8> = a.iter().chain(b.iter()).copied().collect();
    assert_eq!(&whole[4..], &att[..]);
}

#[test]
fn a_connection_through_the_accept_list_is_asked_for_directly() {
    let controller = ScriptedController::new();
    let state = TapState::new();
    let tap = Tap::new(&controller, &state);
    let peer = BdAddr::new([1, 2, 3, 4, 5, 0xC6]);
    let through_list = LeCreateConn::new(
        HciDuration::from_millis(60),
        HciDuration::from_millis(60),
        true,
        AddrKind::PUBLIC,
        BdAddr::default(),
        AddrKind::RANDOM,
        HciDuration::from_millis(80),
        HciDuration::from_millis(80),
        0,
        HciDuration::from_secs(8),
        HciDuration::from_secs(0),
        HciDuration::from_secs(0),
    );
    block_on(async {
        ControllerCmdSync::exec(&tap, &LeClearFilterAcceptList::new())
            .await
            .expect("clear");
        ControllerCmdSync::exec(
            &tap,
            &LeAddDeviceToFilterAcceptList::new(AddrKind::RANDOM, peer),
        )
        .await
        .expect("add");
        ControllerCmdAsync::exec(&tap, &through_list)
            .await
            .expect("create");
    });
    assert_eq!(controller.accept_list_ops.get(), 2);
    let sent = controller.create_conn.borrow();
    assert_eq!(sent.len(), 1);
    // Copied out: the parameters are a packed struct.
    let (filter, kind, addr, own, timeout) = (
        sent[0].use_filter_accept_list,
        sent[0].peer_addr_kind,
        sent[0].peer_addr,
        sent[0].own_addr_kind,
        sent[0].supervision_timeout,
    );
    assert!(!filter);
    assert_eq!(
        (kind, addr, own),
        (AddrKind::RANDOM, peer, AddrKind::RANDOM)
    );
    assert_eq!(timeout, HciDuration::from_secs(8));
}

/// A scripted ATT server for the queued-write procedure: records requests, answers from
/// `answer`.
fn run_queued_write(
    value: &[u8],
    mtu: u16,
    mut answer: impl FnMut(&[u8], usize) -> Result<Vec<u8>, LinkError>,
) -> (Result<(), LinkError>, Vec<Vec<u8>>) {
    let requests = RefCell::new(Vec::new());
    let result = block_on(queued_write(
        0x002a,
        value,
        mtu,
        async |request: &[u8]| {
            let index = requests.borrow().len();
            requests.borrow_mut().push(request.to_vec());
            answer(request, index)
        },
    ));
    (result, requests.into_inner())
}

fn echo(request: &[u8]) -> Result<Vec<u8>, LinkError> {
    echo_server(request).ok_or(LinkError::Malformed)
}

#[test]
fn a_long_value_goes_in_mtu_minus_5_parts_at_increasing_offsets_then_executes() {
    let value: Vec<u8> = (0..100).map(|i| i as u8).collect();
    let (result, requests) = run_queued_write(&value, 23, |r, _| echo(r));
    assert_eq!(result, Ok(()));
    // 100 bytes in parts of 18: six parts, then Execute Write (commit).
    assert_eq!(requests.len(), 7);
    let mut rebuilt = Vec::new();
    for (i, request) in requests[..6].iter().enumerate() {
        assert_eq!(request[0], 0x16);
        assert_eq!(&request[1..3], &0x002au16.to_le_bytes());
        assert_eq!(
            u16::from_le_bytes([request[3], request[4]]) as usize,
            i * 18
        );
        assert!(request.len() <= 23);
        rebuilt.extend_from_slice(&request[5..]);
    }
    assert_eq!(rebuilt, value);
    assert_eq!(requests[6], vec![0x18, 0x01]);
}

#[test]
fn a_wrong_echo_cancels_the_queue() {
    let value = [7u8; 60];
    let (result, requests) = run_queued_write(&value, 23, |request, index| {
        let mut answer = echo(request)?;
        if index == 1 {
            // Part two comes back with a byte changed.
            let last = answer.len() - 1;
            answer[last] ^= 0xff;
        }
        Ok(answer)
    });
    assert_eq!(result, Err(LinkError::EchoMismatch));
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[2], vec![0x18, 0x00]);
}

#[test]
fn a_rejected_part_cancels_the_queue_and_reports_the_att_error() {
    let value = [1u8; 200];
    let (result, requests) = run_queued_write(&value, 23, |request, index| {
        if index == 2 {
            // Prepare Queue Full for part three.
            return Ok(vec![0x01, 0x16, 0x2a, 0x00, 0x09]);
        }
        echo(request)
    });
    assert_eq!(result, Err(LinkError::Att(0x09)));
    assert_eq!(requests.len(), 4);
    assert_eq!(requests[3], vec![0x18, 0x00]);
}

#[test]
fn an_error_at_execute_is_the_devices_no() {
    // protocomm's handler refuses the whole value when it is executed.
    let (result, requests) = run_queued_write(&[3u8; 30], 23, |request, _| {
        if request[0] == 0x18 {
            return Ok(vec![0x01, 0x18, 0x00, 0x00, 0x0e]);
        }
        echo(request)
    });
    assert_eq!(result, Err(LinkError::Att(0x0e)));
    assert_eq!(requests.last(), Some(&vec![0x18, 0x01]));
}

#[test]
fn a_dropped_link_during_a_part_is_reported_without_more_requests_succeeding() {
    let (result, _) = run_queued_write(&[3u8; 30], 23, |request, _| {
        if request[0] == 0x16 {
            Err(LinkError::Disconnected)
        } else {
            echo(request)
        }
    });
    assert_eq!(result, Err(LinkError::Disconnected));
}

#[test]
fn advertising_data_is_read_for_name_and_service() {
    let service = Uuid128::EXAMPLE_SERVICE;
    let adv = crate::advertisement(service, "PROV_1A2", None).expect("advertisement");
    assert_eq!(advertised_name(&adv.adv_data), Some(&b"PROV_1A2"[..]));
    assert!(advertises_service(&adv.adv_data, service));
    assert!(!advertises_service(
        &adv.adv_data,
        Uuid128::SCHEME_DEFAULT_SERVICE
    ));
    // A shortened name counts when there is no complete one.
    assert_eq!(
        advertised_name(&[4, 0x08, b'P', b'R', b'O']),
        Some(&b"PRO"[..])
    );
    // A structure running past the end stops the parse instead of reading out of bounds.
    assert_eq!(advertised_name(&[2, 0x01, 0x06, 9, 0x09, b'x']), None);
    assert_eq!(advertised_name(&[0, 0x09, b'x']), None);
    assert!(!advertises_service(&[], service));
}

#[test]
fn pools_lend_a_bounded_number_of_packets_of_their_mtu() {
    let packets: Vec<HeapPacket> = (0..POOL_PACKETS)
        .map(|_| Mtu23Pool::allocate().expect("packet"))
        .collect();
    assert!(Mtu23Pool::allocate().is_none());
    assert_eq!(packets[0].as_ref().len(), 27);
    drop(packets);
    let packet = Mtu517Pool::allocate().expect("packet");
    assert_eq!(packet.as_ref().len(), 521);
    assert!(Mtu23Pool::allocate().is_some());
}
