//! Per-board wiring: everything that differs between the two reference boards. Both are
//! 4 MiB-flash modules whose USB connector goes to the chip's USB-Serial-JTAG (the console).

#[cfg(feature = "esp32c3-devkitm-1")]
pub const BOARD: &str = "esp32c3-devkitm-1";
#[cfg(feature = "esp32c6-devkitc-1")]
pub const BOARD: &str = "esp32c6-devkitc-1";
/// ESP32-C2 (ESP8684-DevKitM-1): 272 KiB SRAM, no RSA accelerator, no USB-Serial-JTAG (its
/// USB connector goes to a USB-UART bridge on UART0, GPIO20 TX / GPIO19 RX).
#[cfg(feature = "esp8684-devkitm-1")]
pub const BOARD: &str = "esp8684-devkitm-1";

/// Flash region of the credential store: the `nvs` partition of espflash's default partition
/// table (0x9000, 24 KiB = 6 pages), which this firmware does not otherwise use.
pub const CREDENTIAL_REGION: core::ops::Range<u32> = 0x9000..0xF000;

/// Heap for esp-radio, the BLE host, prost and the sec2 bignums. C3 has 400 KiB SRAM, C6
/// 512 KiB; both leave the radio blobs' static RAM room at this size.
#[cfg(not(feature = "esp8684-devkitm-1"))]
pub const HEAP_BYTES: usize = 96 * 1024;
/// The C2's 272 KiB leave room for 72 KiB: at 80 KiB the linker no longer leaves the main
/// stack its 8 KiB once the engine, provkit-ble and the logger are in (at 96 KiB the .bss
/// overflowed DRAM). It holds the per-device v table (27.7 KiB with salt, v and k·v) that the
/// software sec2 path uses; whether 72 KiB suffices next to BLE at run time is unmeasured.
#[cfg(feature = "esp8684-devkitm-1")]
pub const HEAP_BYTES: usize = 72 * 1024;
