//! # provkit-cc3220sf: the CC3220SF LaunchXL provisioning firmware
//!
//! Place in the stack: the top, an application on the CC3220SF's Cortex-M4 above
//! `provkit-cc32xx` (native mode: the NWP's own AP + SmartConfig provisioning, driven with
//! provkit-manager's TI commands) and TI's SimpleLink host driver (linked from the SDK named
//! by `SIMPLELINK_CC32XX_SDK`; see `build.rs`).
//!
//! ```text
//!  main loop ──sl_Task──► SimpleLink driver ──events──► provkit-cc32xx ffi queue
//!      └──► NativeProvisioning::poll ──► restart provisioning when it ends without a profile
//! ```
//!
//! The image is deliberately minimal: no RTOS (TI's `nortos` driver port, pumped by calling
//! `sl_Task` from the loop), a heap for the manager's `alloc` types, and a panic handler that
//! parks the core. Board set-up comes from the SysConfig-generated board library.

#![no_std]
#![no_main]

extern crate alloc;

use core::ffi::c_void;
use core::mem::MaybeUninit;
use core::panic::PanicInfo;

use cortex_m_rt::entry;
use embedded_alloc::LlffHeap as Heap;
use provkit_cc32xx::ffi::SimpleLink;
use provkit_cc32xx::{NativeEvent, NativeProvisioning};
use provkit_manager::{Role, TiCommand, TiEvent, TiMode, TiStartParams, TiStatus};

/// Heap for the manager's profiles and events (the CC3220SF has 256 KiB of SRAM).
const HEAP_SIZE: usize = 32 * 1024;

/// Seconds without user activity before the NWP ends provisioning (TI's examples use 600).
const INACTIVITY_TIMEOUT_S: u16 = 600;

#[global_allocator]
static HEAP: Heap = Heap::empty();

/// The CC3220SF boot loader's debug header at the start of flash (section `.dbghdr`, placed
/// by `memory.x`): it marks a debug image, so JTAG stays usable and a reflash does not
/// trigger the image integrity check (CC3220 TRM, "Debugging Flash User Application").
#[unsafe(link_section = ".dbghdr")]
#[used]
static DEBUG_HEADER: [u32; 3] = [0x5AA5_A55A, 0x000F_F800, 0xEFA3_247D];

unsafe extern "C" {
    /// SysConfig-generated board initialisation (power, pins, DMA).
    fn Board_init();
    /// TI Drivers: the SPI driver that carries the host ↔ NWP interface.
    fn SPI_init();
    /// The SimpleLink driver's context: with the `nortos` port, one call processes the
    /// pending asynchronous events (and so runs the event handlers of provkit-cc32xx).
    fn sl_Task(entry: *mut c_void) -> *mut c_void;
}

/// AP + SmartConfig, back to station role once a profile is confirmed.
fn provisioning_command() -> TiCommand {
    TiCommand::Start(TiStartParams {
        mode: TiMode::ApSc,
        role_after_success: Role::Sta,
        inactivity_timeout_s: INACTIVITY_TIMEOUT_S,
        smart_config_key: None,
        external_confirmation: false,
    })
}

fn init_heap() {
    static mut HEAP_MEMORY: [MaybeUninit<u8>; HEAP_SIZE] = [MaybeUninit::uninit(); HEAP_SIZE];
    // SAFETY: called once, before the first allocation; the region is used by nothing else.
    unsafe { HEAP.init(core::ptr::addr_of_mut!(HEAP_MEMORY) as usize, HEAP_SIZE) }
}

#[entry]
fn main() -> ! {
    init_heap();
    // SAFETY: the board library and TI Drivers are initialised once, before the driver runs.
    unsafe {
        Board_init();
        SPI_init();
    }
    // SAFETY: the driver is pumped by this loop only (sl_Task below); nothing else calls the
    // sl_* API.
    let mut provisioning = NativeProvisioning::new(unsafe { SimpleLink::new() });
    // The NWP asks for a reset after an external configuration; the adapter does sl_Stop +
    // sl_Start as TI's examples do.
    provisioning.set_restart_on_reset_request(true);
    if provisioning.boot().is_err() {
        halt();
    }
    // Start (or, if the NWP auto-started provisioning, take it over: the adapter stops it and
    // issues this start when STOPPED arrives).
    let mut start_wanted = provisioning.start(provisioning_command()).is_err();
    loop {
        // SAFETY: this loop is the driver's only context (nortos).
        unsafe {
            sl_Task(core::ptr::null_mut());
        }
        match provisioning.poll() {
            Ok(Some(NativeEvent::Provisioning(TiEvent::ProvisioningStatus {
                status: TiStatus::Stopped,
                ssid,
                ..
            }))) => {
                // Ended without a connected profile (inactivity, abort): offer it again.
                start_wanted = ssid.is_none();
            }
            Ok(_) => {}
            // A failed driver call is retried through a fresh start on the next pass.
            Err(_) => start_wanted = true,
        }
        if start_wanted {
            start_wanted = provisioning.start(provisioning_command()).is_err();
        }
    }
}

/// Park the core with interrupts off (nothing to report to without a console).
fn halt() -> ! {
    cortex_m::interrupt::disable();
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(_info: &PanicInfo) -> ! {
    halt()
}
