//! provkit reference firmware for ESP32-C3-DevKitM-1 and ESP32-C6-DevKitC-1: wiring only.
//!
//! Board peripherals → `provkit-hal` implementations (`provkit-esp32`: station, flash store,
//! RSA unit) → the shared engine (`provkit-engine`: the same `Device`, manager and protocomm
//! the simulator runs) and the shared transports (`provkit-ble` on esp-radio's controller,
//! `provkit-http` on embassy-net, the console on USB-Serial-JTAG). Every provisioning
//! decision — sessions, throttling, retries, `attempts_remaining`, reset/reprov, auto-stop,
//! events, custom endpoints, what is stored and when — is made in those crates.
//!
//! ```text
//!  boot ─► store.load ─► station::join_stored ── joined ─────────────────► stay_connected
//!                              │ none                                         ▲
//!                              ▼                                              │
//!   Engine::run ‖ BLE (provkit_ble::run) or SoftAP (AP + DHCP + HTTP) ‖ console
//!                              └── StopTransports (auto-stop after success) ──┘
//! ```
//!
//! Feature `portal` (SoftAP only): the captive portal (provkit-portal) on the same HTTP server
//! and the same engine — its paths go to the portal, the rest to protocomm — plus a DNS
//! responder on UDP port 53 answering every name with the AP's address.

#![no_std]
#![no_main]

extern crate alloc;

mod board;
mod rng;

/// Username, salt and verifier computed by `build.rs` (the password is not in the image).
mod sec2 {
    include!(concat!(env!("OUT_DIR"), "/sec2_credentials.rs"));
}

use alloc::string::String;
use alloc::vec::Vec;

use embassy_executor::Spawner;
use embassy_futures::join::join;
use embassy_futures::select::{Either3, select3};
use embassy_net::{Runner, StackResources};
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embassy_sync::signal::Signal;
use esp_hal::clock::CpuClock;
use esp_hal::timer::timg::TimerGroup;
use esp_println::println;
use esp_radio::wifi::{Interface, WifiController};
use provkit_ble::default_device_name;
use provkit_engine::embassy::EmbassyClock;
use provkit_engine::station::{JOIN_TIMEOUT, join_stored, stay_connected};
use provkit_engine::{Engine, EngineHooks};
#[cfg(not(feature = "esp8684-devkitm-1"))]
use provkit_esp32::rsa::EspRsaModExp;
use provkit_esp32::station::EspStation;
use provkit_esp32::store::FlashStore;
use provkit_hal::asynch::CredentialStore;
use provkit_hal::{Clock, ErrorKind, Profile};
use provkit_manager::{Action, Device, EspConfig, EspEvent, EspManager, ServiceInfo, StaState};
use provkit_protocomm::ble::Uuid128;
use provkit_protocomm::{
    DeviceSecurityConfig, HandlerError, ProtocommEvent, Sec2Patch, VersionInfo,
};
use provkit_security::PreparedSec2;
use provkit_security::sec2::DeviceCredentials;
use static_cell::StaticCell;

use crate::rng::EspRng;

esp_bootloader_esp_idf::esp_app_desc!();

type Flash = embassy_embedded_hal::adapter::BlockingAsync<esp_storage::FlashStorage<'static>>;
type Store = FlashStore<Flash>;
/// One executor, so the engine's lock needs no critical section.
type FirmwareEngine = Engine<NoopRawMutex, EspRng, EmbassyClock>;

/// The application endpoint of ESP-IDF's example (`custom-data`): it answers `SUCCESS`.
const CUSTOM_ENDPOINT: &str = "custom-data";

/// The SoftAP's own address (a /24; DHCP hands out the rest and names this one as router and
/// DNS server).
#[cfg(feature = "softap")]
const AP_IP: [u8; 4] = [192, 168, 4, 1];

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

#[esp_rtos::main]
async fn main(spawner: Spawner) -> ! {
    // Warnings and errors only: the adapters report every error they drop at `warn`.
    esp_println::logger::init_logger(log::LevelFilter::Warn);
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
    let mut station = EspStation::new(controller, None).with_ip_stack(sta_stack);
    let mut timer = EmbassyClock;

    let profiles: Vec<Profile> = match store.load().await {
        Ok(list) => list.into_iter().collect(),
        Err(e) => {
            println!("warning: stored credentials unreadable ({e:?}); treating as none");
            Vec::new()
        }
    };
    let connected = match join_stored(&mut station, &mut timer, &profiles, JOIN_TIMEOUT).await {
        Some(joined) => {
            println!("joined a stored network, ip {}", dotted(joined.ip));
            true
        }
        None => {
            println!("not provisioned (or no stored network in range): provisioning");
            let peripherals = Peripherals {
                #[cfg(not(feature = "esp8684-devkitm-1"))]
                accelerator: p.RSA,
                #[cfg(feature = "esp8684-devkitm-1")]
                accelerator: (),
                #[cfg(not(feature = "esp8684-devkitm-1"))]
                usb: p.USB_DEVICE,
                #[cfg(feature = "esp8684-devkitm-1")]
                uart: (p.UART0, p.GPIO20, p.GPIO19),
                #[cfg(not(feature = "softap"))]
                bt: p.BT,
            };
            provision(
                spawner,
                peripherals,
                &mut station,
                &mut store,
                &name,
                mac,
                seed,
                profiles,
            )
            .await
        }
    };
    stay_connected(
        &mut station,
        &mut store,
        &mut timer,
        connected,
        |change| match change {
            Some(ip) => println!("station up, ip {}", dotted(ip)),
            None => println!("station link lost; rejoining the stored networks"),
        },
    )
    .await
}

/// The bignum accelerator: the RSA peripheral, or none on the C2.
#[cfg(not(feature = "esp8684-devkitm-1"))]
type Accelerator = esp_hal::peripherals::RSA<'static>;
#[cfg(feature = "esp8684-devkitm-1")]
type Accelerator = ();

/// The peripherals only provisioning uses.
struct Peripherals {
    /// The RSA accelerator for sec2's exponentiations (the C2 has none).
    accelerator: Accelerator,
    /// USB-Serial-JTAG, the console.
    #[cfg(not(feature = "esp8684-devkitm-1"))]
    usb: esp_hal::peripherals::USB_DEVICE<'static>,
    /// ESP32-C2: no USB-Serial-JTAG; the console is UART0 (TX GPIO20, RX GPIO19) behind the
    /// board's USB-UART bridge.
    #[cfg(feature = "esp8684-devkitm-1")]
    uart: (
        esp_hal::peripherals::UART0<'static>,
        esp_hal::peripherals::GPIO20<'static>,
        esp_hal::peripherals::GPIO19<'static>,
    ),
    #[cfg(not(feature = "softap"))]
    bt: esp_hal::peripherals::BT<'static>,
}

/// Runs provisioning until the engine stops the transports; true if the station ended
/// connected (credentials confirmed and stored).
#[allow(clippy::too_many_arguments)]
async fn provision(
    spawner: Spawner,
    peripherals: Peripherals,
    station: &mut EspStation<'static>,
    store: &mut Store,
    name: &str,
    mac: [u8; 6],
    seed: u64,
    profiles: Vec<Profile>,
) -> bool {
    print_qr_payload(name);
    let security = DeviceSecurityConfig::Sec2Prepared(PreparedSec2::from_credentials(
        sec2_credentials(peripherals.accelerator),
        Sec2Patch::Patch1,
    ));
    let mut manager = match EspManager::new(EspConfig::default(), profiles) {
        Ok(m) => m,
        Err(e) => fatal_manager("manager init", e),
    };
    if let Err(e) = manager.endpoint_create(CUSTOM_ENDPOINT) {
        fatal_manager("creating the custom endpoint", e);
    }
    let mut device = Device::new(manager, VersionInfo::default());
    let service = ServiceInfo {
        name: name.as_bytes().to_vec(),
        key: softap_key()
            .map(|k| k.as_bytes().to_vec())
            .unwrap_or_default(),
    };
    if let Err(e) = device.start(security, service, EmbassyClock.now()) {
        fatal_manager("starting provisioning", e);
    }
    let custom: alloc::boxed::Box<provkit_manager::CustomFn> = alloc::boxed::Box::new(custom_data);
    if let Err(e) = device.register_endpoint(CUSTOM_ENDPOINT, custom) {
        fatal_manager("registering the custom endpoint", e);
    }

    let engine: FirmwareEngine = Engine::new(
        device,
        EspRng::new(),
        EmbassyClock,
        Uuid128::EXAMPLE_SERVICE,
    );
    #[cfg(feature = "portal")]
    engine.enable_portal(captive_portal(name));
    let stop = Signal::<NoopRawMutex, ()>::new();
    let mut hooks = Hooks { stop: &stop };
    let mut timer = EmbassyClock;

    // The console transport (protocomm's line protocol on USB-Serial-JTAG, or UART0 on the
    // C2) runs beside BLE or SoftAP; it never ends on its own.
    #[cfg(not(feature = "esp8684-devkitm-1"))]
    let mut port = esp_hal::usb::usb_serial_jtag::UsbSerialJtag::new(peripherals.usb).into_async();
    #[cfg(feature = "esp8684-devkitm-1")]
    let mut port = {
        let (uart, tx, rx) = peripherals.uart;
        match esp_hal::uart::Uart::new(uart, esp_hal::uart::Config::default()) {
            Ok(uart) => uart.with_tx(tx).with_rx(rx).into_async(),
            Err(_) => fatal("UART0 configuration"),
        }
    };
    let console = async {
        let mut handler = ConsoleOnEngine(&engine);
        let max_line = engine.console_max_line();
        if let Err(e) = provkit_esp32::console::serve(&mut port, &mut handler, max_line).await {
            println!("console transport stopped: {e:?}");
        }
        core::future::pending::<()>().await
    };
    #[cfg(not(feature = "softap"))]
    let transport = transports::ble(peripherals.bt, mac, name, &engine);
    #[cfg(not(feature = "softap"))]
    let _ = (spawner, seed);
    #[cfg(feature = "softap")]
    let transport = {
        let _ = mac;
        // AP+STA while provisioning: the station scans and joins with the AP up.
        let access_point = match provkit_esp32::softap::access_point_config(name, softap_key()) {
            Ok(ap) => ap,
            Err(_) => fatal("SoftAP configuration"),
        };
        if station.set_access_point(Some(access_point)).is_err() {
            fatal("starting the SoftAP");
        }
        transports::softap(spawner, seed, &engine)
    };

    let run = engine.run(station, store, &mut timer, &mut hooks);
    // Ends when the engine takes the transports down (auto-stop after success, or stop);
    // dropping the transport futures stops advertising / the AP, as wifi_prov_mgr does.
    match select3(run, join(transport, console), stop.wait()).await {
        Either3::First(never) => never,
        Either3::Second(_) => println!("provisioning transports ended"),
        Either3::Third(()) => println!("provisioning done"),
    }
    #[cfg(feature = "softap")]
    if station.set_access_point(None).is_err() {
        println!("warning: the SoftAP could not be stopped");
    }
    engine.with_device(|d| matches!(d.manager.wifi_state(), StaState::Connected(_)))
}

/// The build-time salt and verifier as device credentials. With the RSA peripheral doing the
/// exponentiations: compact (the 24 KiB table of v would never be read). Without one (the
/// C2): the per-device table, the fastest software path.
fn sec2_credentials(accelerator: Accelerator) -> DeviceCredentials {
    #[cfg(not(feature = "esp8684-devkitm-1"))]
    let credentials = {
        // Software takes over per operation if the unit is ever busy.
        static MOD_EXP: StaticCell<EspRsaModExp> = StaticCell::new();
        let rsa = esp_hal::rsa::Rsa::new(accelerator);
        let engine = match EspRsaModExp::new(rsa) {
            Ok(engine) => MOD_EXP.init(engine),
            Err(_) => fatal("RSA peripheral parameters"),
        };
        DeviceCredentials::new_compact(sec2::SEC2_SALT, sec2::SEC2_VERIFIER)
            .map(|c| c.with_mod_exp(engine))
    };
    #[cfg(feature = "esp8684-devkitm-1")]
    let credentials = {
        let () = accelerator;
        DeviceCredentials::new(sec2::SEC2_SALT, sec2::SEC2_VERIFIER)
    };
    match credentials {
        Ok(credentials) => credentials,
        Err(_) => fatal("build-time sec2 verifier rejected"),
    }
}

/// The captive portal: the page asks for the sec2 password and checks it against the
/// build-time salt and verifier (under protocomm's throttle), as a handshake would.
#[cfg(feature = "portal")]
fn captive_portal(name: &str) -> provkit_portal::Portal {
    let [a, b, c, d] = AP_IP;
    let page_url = alloc::format!("http://{a}.{b}.{c}.{d}/");
    println!("captive portal on {page_url} (DNS: every name -> {a}.{b}.{c}.{d})");
    provkit_portal::Portal::new(provkit_portal::PortalConfig {
        device_name: name.into(),
        page_url,
        secret: provkit_portal::PortalSecret::Sec2 {
            username: sec2::SEC2_USERNAME.as_bytes().to_vec(),
            salt: sec2::SEC2_SALT.to_vec(),
            verifier: sec2::SEC2_VERIFIER.to_vec(),
            convention: sec2::SEC2_CONVENTION,
        },
    })
}

fn fatal_manager(what: &str, error: provkit_manager::ManagerError) -> ! {
    println!("fatal: {what}: {error:?}");
    halt()
}

/// The `custom-data` handler of ESP-IDF's example: log the data, answer `SUCCESS`.
fn custom_data(data: &[u8]) -> Result<Vec<u8>, HandlerError> {
    println!(
        "custom data: {:?}",
        core::str::from_utf8(data).unwrap_or("<binary>")
    );
    Ok(b"SUCCESS".to_vec())
}

/// What the application hears: everything is logged; StopTransports ends provisioning.
struct Hooks<'a> {
    stop: &'a Signal<NoopRawMutex, ()>,
}

impl EngineHooks for Hooks<'_> {
    fn event(&mut self, event: &EspEvent) {
        println!("event: {event:?}");
    }

    fn protocomm_event(&mut self, event: &ProtocommEvent) {
        println!("security: {event:?}");
    }

    fn transport_action(&mut self, action: &Action) {
        if *action == Action::StopTransports {
            self.stop.signal(());
        }
    }

    fn action_failed(&mut self, action: &Action, kind: ErrorKind) {
        println!("warning: {} failed: {kind}", action_name(action));
    }
}

/// Names an action without printing credentials.
fn action_name(action: &Action) -> &'static str {
    match action {
        Action::StartTransports(_) => "starting the transports",
        Action::StopTransports => "stopping the transports",
        Action::Connect(_) => "connecting",
        Action::Disconnect => "disconnecting",
        Action::StartScan(_) => "scanning",
        Action::Persist(_) => "storing the credentials",
        Action::ClearStore => "erasing the credentials",
        Action::SwitchRole(_) => "switching role",
    }
}

/// The console transport on the engine.
struct ConsoleOnEngine<'a>(&'a FirmwareEngine);

impl provkit_esp32::console::ConsoleHandler for ConsoleOnEngine<'_> {
    async fn on_line(&mut self, line: &[u8]) -> Option<String> {
        self.0.console_line(line).await
    }
}

/// The SoftAP's WPA2 key: `PROVKIT_SOFTAP_KEY` at build time; `None` (an open AP) only when
/// the build asked for one with `PROVKIT_SOFTAP_OPEN`.
fn softap_key() -> Option<&'static str> {
    sec2::SOFTAP_KEY
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
    if cfg!(feature = "softap") {
        match softap_key() {
            Some(key) => println!("SoftAP \"{name}\", WPA2, key {key}"),
            None => println!("SoftAP \"{name}\" is OPEN (built with PROVKIT_SOFTAP_OPEN)"),
        }
    }
}

fn dotted(ip: [u8; 4]) -> String {
    alloc::format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3])
}

mod transports {
    //! Transport bring-up: peripherals and network interfaces handed to the shared transport
    //! crates, each served from the engine.

    use super::*;

    /// BLE: esp-radio's controller under provkit-ble's GATT server.
    #[cfg(not(feature = "softap"))]
    pub async fn ble(
        bt: esp_hal::peripherals::BT<'static>,
        mac: [u8; 6],
        name: &str,
        engine: &FirmwareEngine,
    ) {
        use bt_hci::controller::ExternalController;
        use esp_radio::ble::controller::BleConnector;
        use provkit_ble::{Endpoint, PeripheralConfig, ValueStorage};
        use provkit_engine::ble::EngineGatt;

        let Ok(connector) = BleConnector::new(bt, Default::default()) else {
            fatal("BLE controller init");
        };
        let controller: ExternalController<_, 20> = ExternalController::new(connector);
        let endpoints = engine.ble_endpoints();
        let endpoints: Vec<Endpoint<'_>> = endpoints
            .iter()
            .map(|(name, uuid)| Endpoint { name, uuid: *uuid })
            .collect();
        let config = PeripheralConfig {
            device_name: name,
            address: mac,
            service: Uuid128::EXAMPLE_SERVICE,
            manufacturer_data: None,
            endpoints: &endpoints,
            // A silent central is dropped and advertising resumes (provkit-ble's default).
            idle_timeout_ms: Some(provkit_ble::DEFAULT_IDLE_TIMEOUT_MS),
        };
        static STORAGE: StaticCell<ValueStorage> = StaticCell::new();
        let storage = STORAGE.init(ValueStorage::new());
        // It runs until the controller fails.
        let Err(e) = provkit_ble::run(controller, &config, storage, &mut EngineGatt(engine)).await;
        println!("BLE stopped: {e}");
    }

    /// SoftAP (the AP itself is up already): its IP stack, DHCP and provkit-http; with the
    /// portal, the DNS responder too.
    #[cfg(feature = "softap")]
    pub async fn softap(spawner: Spawner, seed: u64, engine: &FirmwareEngine) {
        use embassy_net::{Ipv4Address, Ipv4Cidr, StaticConfigV4};
        use provkit_engine::http::EngineHttp;

        const HTTP_PORT: u16 = 80;
        let [a, b, c, d] = AP_IP;
        let config = embassy_net::Config::ipv4_static(StaticConfigV4 {
            address: Ipv4Cidr::new(Ipv4Address::new(a, b, c, d), 24),
            gateway: None,
            dns_servers: Default::default(),
        });
        // Sockets: the HTTP slots (3, or 4 with the portal), DHCP and the portal's DNS.
        static AP_RESOURCES: StaticCell<StackResources<6>> = StaticCell::new();
        let (stack, runner) = embassy_net::new(
            Interface::access_point(),
            config,
            AP_RESOURCES.init(StackResources::new()),
            seed ^ 0x5A5A,
        );
        match net_task(runner) {
            Ok(task) => spawner.spawn(task),
            Err(_) => fatal("spawning the AP network task"),
        }
        // Connection slots: 3; with the portal 4, since a phone's browser and its OS
        // connectivity check each keep one alive (up to provkit-http's idle timeout) beside
        // an app's protocomm session.
        #[cfg(not(feature = "portal"))]
        let services = [EngineHttp(engine), EngineHttp(engine), EngineHttp(engine)];
        #[cfg(feature = "portal")]
        let services = [
            EngineHttp(engine),
            EngineHttp(engine),
            EngineHttp(engine),
            EngineHttp(engine),
        ];
        let http = join(
            provkit_esp32::softap::run_dhcp(stack, AP_IP),
            provkit_esp32::http::serve(stack, HTTP_PORT, services),
        );
        #[cfg(feature = "portal")]
        join(http, provkit_esp32::softap::run_dns(stack, AP_IP)).await;
        #[cfg(not(feature = "portal"))]
        http.await;
    }
}
