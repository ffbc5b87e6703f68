//! Per-board wiring: everything that differs between the two reference boards. Both are
//! 4 MiB-flash modules whose USB connector goes to the chip's USB-Serial-JTAG (the console).

#[cfg(feature = "esp32c3-devkitm-1")]
pub const BOARD: &str = "esp32c3-devkitm-1";
#[cfg(feature = "esp32c6-devkitc-1")]
pub const BOARD: &str = "esp32c6-devkitc-1";

/// Flash region of the credential store: the `nvs` partition of espflash's default partition
/// table (0x9000, 24 KiB = 6 pages), which this firmware does not otherwise use.
pub const CREDENTIAL_REGION: core::ops::Range<u32> = 0x9000..0xF000;

/// Heap for esp-radio, the BLE host, prost and the sec2 bignums. C3 has 400 KiB SRAM, C6
/// 512 KiB; both leave the radio blobs' static RAM room at this size.
pub const HEAP_BYTES: usize = 96 * 1024;
