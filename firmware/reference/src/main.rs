//! provkit reference firmware for ESP32-C3-DevKitM-1 and ESP32-C6-DevKitC-1.
//!
//! Boot: join the stored network; when there is none (or it rejects the stored credentials),
//! provision over BLE (default) or SoftAP (feature `softap`) with security 2, print the QR
//! payload on the console, commit the credentials once the station has an address, stop the
//! provisioning transport and run connected. prov-ctrl reset/reprov work during provisioning.
//!
//! ```text
//!   main ─ store.load ─ join? ──yes──► connected loop (reconnect on loss)
//!                         │no
//!                         ▼
//!   provision: [BLE: TrouBLE runner ‖ GATT serve] or [SoftAP: AP net ‖ DHCP ‖ HTTP]
//!              ‖ Wi-Fi loop (commands from the handlers → EspStation → status back)
//!              ── success + grace period ──► drop transport ──► connected loop
//! ```
//!
//! Board specifics live in `board.rs`; everything else is shared.

#![no_std]
#![no_main]

extern crate alloc;

mod app;
mod board;
mod rng;

/// Username, salt and verifier computed by `build.rs` (the password is not in the image).
mod sec2 {
    include!(concat!(env!("OUT_DIR"), "/sec2_credentials.rs"));
}

use core::cell::RefCell;

use embassy_executor::Spawner;
use embassy_futures::select::{Either, select};
use embassy_net::{Runner, Stack, StackResources};
use embassy_time::{Duration, Timer};
use esp_hal::clock::CpuClock;
use esp_hal::timer::timg::TimerGroup;
use esp_println::println;
use esp_radio::wifi::{Interface, WifiController};
use provkit_esp32::gatt_layout::default_device_name;
#[cfg(not(feature = "esp8684-devkitm-1"))]
use provkit_esp32::rsa::EspRsaModExp;
use provkit_esp32::station::{EspStation, MAX_SCAN_RESULTS};
use provkit_esp32::store::FlashStore;
use provkit_hal::asynch::{CredentialStore, WifiStation};
use provkit_hal::{Credentials, LinkEvent, Profile, ScanEntry};
use provkit_wifi::{ConnectedInfo, StationStatus};
use static_cell::StaticCell;

use crate::app::{Provisioner, WifiCommand};
use crate::rng::EspRng;

esp_bootloader_esp_idf::esp_app_desc!();

type Flash = embassy_embedded_hal::adapter::BlockingAsync<esp_storage::FlashStorage<'static>>;
type Store = FlashStore<Flash>;

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    println!("panic: {info}");
    halt()
}

/// Boot-time failures of the hardware itself: nothing to recover, so report and halt.
fn fatal(what: &str) -> ! {
    println!("fatal: {what}");
    halt()
}

/// Stops here (not a reset loop), so the console keeps the message for whoever debugs it.
fn halt() -> ! {
    loop {
        core::hint::spin_loop();
    }
}

#[embassy_executor::task]
async fn net_task(mut runner: Runner<'static, Interface>) -> ! {
    runner.run().await
}

/// How long a connection attempt may take before it counts as failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the transport stays up after success, so the phone can read the Connected status.
const SUCCESS_GRACE: Duration = Duration::from_secs(5);

#[esp_rtos::main]
async fn main(spawner: Spawner) -> ! {
    let p = esp_hal::init(esp_hal::Config::default().with_cpu_clock(CpuClock::max()));
    esp_alloc::heap_allocator!(size: board::HEAP_BYTES);
    let timg0 = TimerGroup::new(p.TIMG0);
    esp_rtos::start(timg0.timer0, p.FROM_CPU_INTR0);
    println!("provkit reference firmware on {}", board::BOARD);

    let flash = Flash::new(esp_storage::FlashStorage::new(p.FLASH));
    let mut store = match FlashStore::new(flash, board::CREDENTIAL_REGION) {
        Ok(store) => store,
        Err(_) => fatal("credential region misconfigured"),
    };

    let controller = match WifiController::new(p.WIFI, Default::default()) {
        Ok(c) => c,
        Err(_) => fatal("Wi-Fi init"),
    };
    let sta_interface = Interface::station();
    let mac = sta_interface.mac_address();
    let name = default_device_name(mac);
    let rng = EspRng::new();
    let seed = u64::from(esp_hal::rng::Rng::new().random()) << 32
        | u64::from(esp_hal::rng::Rng::new().random());
    static STA_RESOURCES: StaticCell<StackResources<4>> = StaticCell::new();
    let (sta_stack, sta_runner) = embassy_net::new(
        sta_interface,
        embassy_net::Config::dhcpv4(Default::default()),
        STA_RESOURCES.init(StackResources::new()),
        seed,
    );
    match net_task(sta_runner) {
        Ok(task) => spawner.spawn(task),
        Err(_) => fatal("spawning the station network task"),
    }

    #[cfg(feature = "softap")]
    let access_point = match provkit_esp32::softap::access_point_config(name.as_str(), None) {
        Ok(ap) => Some(ap),
        Err(_) => fatal("SoftAP configuration"),
    };
    let mut station = EspStation::new(controller, None);

    // Join the stored network, highest priority first.
    let mut profiles = store.load().await.unwrap_or_default();
    profiles.sort_unstable_by_key(|p| core::cmp::Reverse(p.priority));
    let mut joined = false;
    for profile in &profiles {
        println!("joining stored network {:?}", profile.credentials.ssid);
        if let Ok(ConnectedInfo { ip, .. }) =
            join(&mut station, sta_stack, &profile.credentials).await
        {
            println!("connected, ip {}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3]);
            joined = true;
            break;
        }
    }

    if !joined {
        println!("not provisioned: starting provisioning");
        print_qr_payload(name.as_str());
        // The sec2 exponentiations run on the RSA peripheral (software if it is ever busy).
        #[cfg(not(feature = "esp8684-devkitm-1"))]
        let mod_exp: Option<&'static (dyn provkit_security::ModExp + Sync)> = {
            static MOD_EXP: StaticCell<EspRsaModExp> = StaticCell::new();
            match EspRsaModExp::new(esp_hal::rsa::Rsa::new(p.RSA)) {
                Ok(engine) => Some(MOD_EXP.init(engine)),
                Err(_) => fatal("RSA peripheral parameters"),
            }
        };
        // ESP32-C2: no RSA peripheral; software with the per-device table.
        #[cfg(feature = "esp8684-devkitm-1")]
        let mod_exp: Option<&'static (dyn provkit_security::ModExp + Sync)> = None;
        let provisioner = match Provisioner::new(sec2::SEC2_SALT, sec2::SEC2_VERIFIER, mod_exp, rng)
        {
            Ok(p) => RefCell::new(p),
            Err(_) => fatal("build-time sec2 verifier rejected"),
        };
        // The console transport (protocomm's line protocol on USB-Serial-JTAG) runs next to
        // BLE or SoftAP; it never ends on its own, so only the Wi-Fi loop ends provisioning.
        #[cfg(not(feature = "esp8684-devkitm-1"))]
        let mut usb = esp_hal::usb::usb_serial_jtag::UsbSerialJtag::new(p.USB_DEVICE).into_async();
        // ESP32-C2: no USB-Serial-JTAG; the console is UART0 behind the board's USB-UART bridge.
        #[cfg(feature = "esp8684-devkitm-1")]
        let mut usb = match esp_hal::uart::Uart::new(p.UART0, esp_hal::uart::Config::default()) {
            Ok(uart) => uart.with_tx(p.GPIO20).with_rx(p.GPIO19).into_async(),
            Err(_) => fatal("UART0 configuration"),
        };
        let max_line = provisioner.borrow().console.max_line();
        let console = async {
            if provkit_esp32::console::serve(&mut usb, &provisioner, max_line)
                .await
                .is_err()
            {
                println!("console transport stopped");
            }
            core::future::pending::<()>().await
        };
        #[cfg(not(feature = "softap"))]
        {
            let transport = ble::serve(p.BT, mac, name.as_str(), &provisioner);
            let wifi = wifi_loop(&mut station, sta_stack, &mut store, &provisioner);
            // The Wi-Fi loop ends on success; dropping the BLE future stops advertising and
            // frees the controller, like wifi_prov_mgr deinitialising BLE after provisioning.
            let _ = select(select(transport, console), wifi).await;
        }
        #[cfg(feature = "softap")]
        {
            if station.set_access_point(access_point).is_err() {
                fatal("starting the SoftAP");
            }
            let transport = softap::serve(spawner, seed, &provisioner);
            let wifi = wifi_loop(&mut station, sta_stack, &mut store, &provisioner);
            let _ = select(select(transport, console), wifi).await;
            let _ = station.set_access_point(None);
        }
        println!("provisioning done");
    }

    connected_loop(&mut station, sta_stack, &mut store).await
}

/// The payload for Espressif's provisioning apps (`{"ver":"v1","name":...}`). The sec2
/// password is deliberately absent: it is not in the image, so the app asks for it.
fn print_qr_payload(name: &str) {
    let transport = if cfg!(feature = "softap") {
        "softap"
    } else {
        "ble"
    };
    println!(
        "QR payload: {{\"ver\":\"v1\",\"name\":\"{}\",\"username\":\"{}\",\"transport\":\"{}\"}}",
        name,
        sec2::SEC2_USERNAME,
        transport
    );
}

/// Connects and waits for an address. `Err` carries the status GetStatus should report.
async fn join(
    station: &mut EspStation<'_>,
    stack: Stack<'_>,
    credentials: &Credentials,
) -> Result<ConnectedInfo, StationStatus> {
    let radio_error = StationStatus::Failed(provkit_hal::DisconnectReason::Other(0));
    if station.connect(credentials).await.is_err() {
        return Err(radio_error);
    }
    // `connect` queues exactly one outcome; earlier events (ScanDone, an old GotIp) are stale.
    let (bssid, channel, auth) = loop {
        match station.next_event().await {
            LinkEvent::Connected {
                bssid,
                channel,
                auth,
            } => break (bssid, channel, auth),
            LinkEvent::Disconnected { reason } => return Err(StationStatus::Failed(reason)),
            LinkEvent::ScanDone | LinkEvent::GotIp { .. } => continue,
        }
    };
    match select(stack.wait_config_up(), Timer::after(CONNECT_TIMEOUT)).await {
        Either::First(()) => {}
        Either::Second(()) => {
            let _ = station.disconnect().await;
            return Err(StationStatus::Failed(provkit_hal::DisconnectReason::NoIp));
        }
    }
    let ip = stack
        .config_v4()
        .map(|c| c.address.address().octets())
        .unwrap_or_default();
    station.report_ip(ip);
    Ok(ConnectedInfo {
        ip,
        ssid: credentials.ssid.clone(),
        bssid,
        channel,
        auth,
    })
}

/// Executes the handlers' commands on the radio until a provisioned network is joined and
/// committed, then lets the phone read the result for [`SUCCESS_GRACE`].
async fn wifi_loop(
    station: &mut EspStation<'_>,
    stack: Stack<'_>,
    store: &mut Store,
    provisioner: &RefCell<Provisioner>,
) {
    loop {
        let command = loop {
            // Never hold the borrow across an await: the transport borrows between awaits.
            let next = provisioner.borrow_mut().wifi.commands.pop_front();
            match next {
                Some(c) => break c,
                None => Timer::after_millis(50).await,
            }
        };
        match command {
            WifiCommand::Scan(config) => {
                let mut results: [ScanEntry; MAX_SCAN_RESULTS] = Default::default();
                let found = match station.start_scan(&config).await {
                    Ok(()) => station.scan_results(&mut results).await.ok().flatten(),
                    Err(_) => None,
                };
                let mut found: alloc::vec::Vec<ScanEntry> =
                    results.into_iter().take(found.unwrap_or(0)).collect();
                found.sort_unstable_by_key(|e| core::cmp::Reverse(e.rssi));
                let mut p = provisioner.borrow_mut();
                p.wifi.scan_results = found;
                p.wifi.scanning = false;
            }
            WifiCommand::Connect(credentials) => {
                let outcome = join(station, stack, &credentials).await;
                match outcome {
                    Ok(info) => {
                        provisioner.borrow_mut().wifi.status = StationStatus::Connected(info);
                        let profile = Profile {
                            credentials,
                            priority: 0,
                        };
                        // Commit only after the network took the credentials (TI semantics;
                        // ESP's manager would persist earlier, but a wrong passphrase must not
                        // replace working credentials).
                        if store.commit(&[profile]).await.is_err() {
                            println!("warning: storing the credentials failed");
                        }
                        Timer::after(SUCCESS_GRACE).await;
                        return;
                    }
                    Err(status) => {
                        let mut p = provisioner.borrow_mut();
                        p.wifi.status = status;
                        p.wifi.failed = true;
                    }
                }
            }
        }
    }
}

/// Stays connected: on link loss, rejoin the stored networks with a growing back-off.
async fn connected_loop(station: &mut EspStation<'_>, stack: Stack<'_>, store: &mut Store) -> ! {
    let mut backoff = Duration::from_secs(1);
    loop {
        if station.is_link_up() {
            if let LinkEvent::Disconnected { reason } = station.next_event().await {
                println!("link lost: {reason:?}");
            }
            continue;
        }
        let profiles = store.load().await.unwrap_or_default();
        let mut up = false;
        for profile in &profiles {
            if join(station, stack, &profile.credentials).await.is_ok() {
                up = true;
                break;
            }
        }
        if up {
            backoff = Duration::from_secs(1);
        } else {
            Timer::after(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(60));
        }
    }
}

#[cfg(not(feature = "softap"))]
mod ble {
    //! BLE bring-up: esp-radio's controller, the TrouBLE host, advertising and the GATT loop.

    use core::cell::RefCell;

    use alloc::vec::Vec;
    use bt_hci::controller::ExternalController;
    use embassy_futures::join::join;
    use esp_radio::ble::controller::BleConnector;
    use provkit_esp32::ble::{GattHandler, ProvisioningGatt, ValueBuffers};
    use provkit_esp32::gatt_layout::{
        EXAMPLE_SERVICE_UUID_LE, MAX_VALUE_LEN, STANDARD_ENDPOINTS, advertising,
    };
    use static_cell::StaticCell;
    use trouble_host::prelude::*;

    use crate::app::Provisioner;

    /// Borrows the provisioner for each request only (the Wi-Fi loop shares it).
    struct Shared<'a>(&'a RefCell<Provisioner>);

    impl GattHandler for Shared<'_> {
        fn on_write(&mut self, conn: u16, endpoint: &str, request: &[u8]) -> Option<Vec<u8>> {
            self.0.borrow_mut().on_write(conn, endpoint, request)
        }
        fn on_disconnect(&mut self, conn: u16) {
            self.0.borrow_mut().on_disconnect(conn);
        }
    }

    pub async fn serve(
        bt: esp_hal::peripherals::BT<'static>,
        mac: [u8; 6],
        name: &str,
        provisioner: &RefCell<Provisioner>,
    ) {
        let Ok(connector) = BleConnector::new(bt, Default::default()) else {
            crate::fatal("BLE controller init");
        };
        let controller: ExternalController<_, 20> = ExternalController::new(connector);
        let mut resources: HostResources<_, DefaultPacketPool, 1, 2> = HostResources::new();
        // A static random address derived from the MAC (top two bits set, as required).
        let mut address = mac;
        address[5] |= 0xC0;
        let stack = trouble_host::new(controller, &mut resources)
            .set_random_address(Address::random(address))
            .build();
        let mut peripheral = stack.peripheral();
        let mut runner = stack.runner();

        static BUFFERS: StaticCell<ValueBuffers> = StaticCell::new();
        let buffers = BUFFERS.init([[0; MAX_VALUE_LEN]; provkit_esp32::ble::MAX_ENDPOINTS]);
        let gatt = ProvisioningGatt::new(&EXAMPLE_SERVICE_UUID_LE, &STANDARD_ENDPOINTS, buffers);
        let Ok(adv) = advertising(&EXAMPLE_SERVICE_UUID_LE, name) else {
            crate::fatal("device name too long for advertising");
        };
        let mut handler = Shared(provisioner);

        let gatt_loop = async {
            loop {
                let params = AdvertisementParameters::default();
                let data = Advertisement::ConnectableScannableUndirected {
                    adv_data: &adv.adv_data,
                    scan_data: &adv.scan_data,
                };
                let Ok(advertiser) = peripheral.advertise(&params, data).await else {
                    embassy_time::Timer::after_secs(1).await;
                    continue;
                };
                let Ok(connection) = advertiser.accept().await else {
                    continue;
                };
                let Ok(connection) = connection.with_attribute_server(gatt.server()) else {
                    continue;
                };
                gatt.serve(&connection, &mut handler).await;
            }
        };
        let _ = join(runner.run(), gatt_loop).await;
    }
}

#[cfg(feature = "softap")]
mod softap {
    //! SoftAP bring-up: the AP interface's IP stack, DHCP server and HTTP server.

    use core::cell::RefCell;

    use embassy_executor::Spawner;
    use embassy_futures::join::join;
    use embassy_net::{Ipv4Address, Ipv4Cidr, StackResources, StaticConfigV4};
    use esp_radio::wifi::Interface;
    use provkit_esp32::http::{HttpAnswer, HttpHandler, HttpRequestParts};
    use static_cell::StaticCell;

    use crate::app::Provisioner;

    const AP_IP: [u8; 4] = [192, 168, 4, 1];

    struct Shared<'a>(&'a RefCell<Provisioner>);

    impl HttpHandler for Shared<'_> {
        fn on_request(&mut self, request: HttpRequestParts<'_>) -> HttpAnswer {
            self.0.borrow_mut().on_request(request)
        }
        fn on_connection_closed(&mut self, connection: u32) {
            self.0.borrow_mut().on_connection_closed(connection);
        }
    }

    pub async fn serve(spawner: Spawner, seed: u64, provisioner: &RefCell<Provisioner>) {
        let [a, b, c, d] = AP_IP;
        let config = embassy_net::Config::ipv4_static(StaticConfigV4 {
            address: Ipv4Cidr::new(Ipv4Address::new(a, b, c, d), 24),
            gateway: None,
            dns_servers: Default::default(),
        });
        static AP_RESOURCES: StaticCell<StackResources<4>> = StaticCell::new();
        let (stack, runner) = embassy_net::new(
            Interface::access_point(),
            config,
            AP_RESOURCES.init(StackResources::new()),
            seed ^ 0x5A5A,
        );
        match crate::net_task(runner) {
            Ok(task) => spawner.spawn(task),
            Err(_) => crate::fatal("spawning the AP network task"),
        }
        let handler = RefCell::new(Shared(provisioner));
        let _ = join(
            provkit_esp32::softap::run_dhcp(stack, AP_IP),
            provkit_esp32::http::serve(stack, 80, &handler),
        )
        .await;
    }
}
