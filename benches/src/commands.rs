//! The `request`, `heap` and `sessions` subcommands, and the counting global allocator that
//! `heap` reads.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use provkit_bench::flows::{InMemConnect, RequestBench, RequestKind, http_sessions, sec2_config};
use provkit_bench::{Sec2Replay, default_vectors_dir};
use provkit_security::sec2::Sec2Patch;

/// The system allocator, counting live bytes and their high-water mark. Two relaxed atomic
/// operations per call: a few instructions next to a handshake's tens of millions.
struct CountingAlloc;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let now = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds the `GlobalAlloc`
// contract; the counters only observe sizes.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same layout, same contract as the caller's.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as above.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator (i.e. `System`) with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr`/`layout` came from this allocator; the caller guarantees `new_size`.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: CountingAlloc = CountingAlloc;

/// Runs `f`; returns its result, the peak of live heap above the level at the start, and the
/// bytes still live afterwards above that level (what `f` kept).
fn heap_of<T>(f: impl FnOnce() -> T) -> (T, usize, isize) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    let kept = LIVE.load(Ordering::Relaxed) as isize - base as isize;
    (out, peak, kept)
}

fn value(it: &mut impl Iterator<Item = String>, flag: &str) -> Result<String, String> {
    it.next().ok_or(format!("{flag} needs a value"))
}

fn number<T: std::str::FromStr>(text: &str, flag: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e| format!("{flag}: {e}"))
}

/// `request --kind get-status|set-config --count N`.
pub fn request(mut it: impl Iterator<Item = String>) -> Result<(), String> {
    let mut kind = RequestKind::GetStatus;
    let mut count: u64 = 1;
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--kind" => {
                let name = value(&mut it, &flag)?;
                kind = RequestKind::parse(&name).ok_or(format!(
                    "--kind: expected get-status or set-config, got {name}"
                ))?;
            }
            "--count" => count = number(&value(&mut it, &flag)?, &flag)?,
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    let bench = RequestBench::new(kind)?;
    let start = Instant::now();
    for _ in 0..count {
        bench.handle_once()?;
    }
    let elapsed = start.elapsed();
    let (request, response) = bench.sizes();
    let what = match kind {
        RequestKind::GetStatus => "sec2 GetStatus",
        RequestKind::SetConfig => "sec2 SetConfig",
    };
    if count > 0 {
        println!(
            "{what} through Device::handle ({request} B in, {response} B out): {count} runs, mean {:.2} µs",
            elapsed.as_secs_f64() * 1e6 / count as f64
        );
    } else {
        println!("{what} through Device::handle: 0 runs (session set-up only)");
    }
    Ok(())
}

/// `heap [--vectors DIR]`: peak heap of one device-side sec2 handshake through
/// `DeviceSession` (what protocomm runs per client session), prepared and unprepared config.
pub fn heap(mut it: impl Iterator<Item = String>) -> Result<(), String> {
    let mut vectors = default_vectors_dir();
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--vectors" => vectors = value(&mut it, &flag)?.into(),
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    let replay = Sec2Replay::load(&vectors)?;
    let (prepared, table_bytes, _) = heap_of(|| replay.prepared_config());
    let unprepared = replay.unprepared_config();
    println!("sec2 prepare(): {table_bytes} B kept per device (v table, shared by every session)");
    let mut worst = 0;
    for (label, config) in [("prepared", &prepared), ("unprepared", &unprepared)] {
        // One run first so lazily initialised process state does not count.
        let _ = replay.facade_handshake(config);
        // The responses are compared and dropped inside, so `kept` is what the handshake leaks.
        let (same, peak, kept) = heap_of(|| {
            let (r0, r1) = replay.facade_handshake(config);
            r0 == replay.response0 && r1 == replay.response1
        });
        if !same {
            return Err("device response differs from the recording".into());
        }
        worst = worst.max(peak);
        println!(
            "sec2 device handshake heap ({label} config): peak {peak} B ({:.1} KiB), {kept} B still live after",
            peak as f64 / 1024.0
        );
    }
    // A regression past the target fails the run (`cargo xtask test` runs this).
    if worst >= 16 * 1024 {
        return Err(format!(
            "heap target < 16 KiB per handshake MISSED: worst {worst} B"
        ));
    }
    println!("heap target < 16 KiB per handshake: met (worst {worst} B)");
    Ok(())
}

/// `sessions [--devices N] [--per-device K] [--seconds S] [--unprepared]`.
pub fn sessions(mut it: impl Iterator<Item = String>) -> Result<(), String> {
    let mut devices: usize = 4;
    let mut per_device: u64 = 200;
    let mut seconds: f64 = 5.0;
    let mut prepared = true;
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--devices" => devices = number(&value(&mut it, &flag)?, &flag)?,
            "--per-device" => per_device = number(&value(&mut it, &flag)?, &flag)?,
            "--seconds" => seconds = number(&value(&mut it, &flag)?, &flag)?,
            "--unprepared" => prepared = false,
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    if !(0.1..=600.0).contains(&seconds) || devices == 0 || devices > 64 {
        return Err("--seconds must be 0.1..=600 and --devices 1..=64".into());
    }
    let config = sec2_config(Sec2Patch::Patch1, prepared)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    // The crypto bound, measured now: client and device in one thread, no I/O.
    let budget = Duration::from_secs_f64((seconds / 2.0).clamp(0.5, 5.0));
    let single = inmem_sessions(&config, 1, budget)?;
    let per_session = single.elapsed / u32::try_from(single.sessions).unwrap_or(u32::MAX);
    let bound = cores as f64 / per_session.as_secs_f64();
    // The same in-memory sessions from N threads at once: the bound under whatever else the
    // machine is running right now (the cores are shared with other work).
    let cpu_before = process_cpu();
    let parallel = inmem_sessions(&config, devices, budget)?;
    let parallel_cpu = cpu_delta(cpu_before);

    let cpu_before = process_cpu();
    let run = http_sessions(
        &config,
        devices,
        per_device,
        Duration::from_secs_f64(seconds),
    )?;
    let http_cpu = cpu_delta(cpu_before);
    let rate = run.per_second();
    let parallel_rate = parallel.sessions as f64 / parallel.elapsed.as_secs_f64();
    let label = if prepared { "prepared" } else { "unprepared" };
    println!(
        "sec2 in-memory session (client + device handshake + GetStatus, {label} config): {:.3} ms, one thread, {} runs",
        per_session.as_secs_f64() * 1e3,
        single.sessions
    );
    println!(
        "crypto bound: {cores} cores / {:.3} ms = {bound:.0} sessions/s",
        per_session.as_secs_f64() * 1e3
    );
    println!(
        "in-memory, {devices} threads at once: {} sessions in {:.2} s = {parallel_rate:.0} sessions/s ({:.0} % of the bound: what the shared cores gave)",
        parallel.sessions,
        parallel.elapsed.as_secs_f64(),
        100.0 * parallel_rate / bound
    );
    println!(
        "HTTP (provkit-sim server, {devices} devices, {devices} client threads): {} sessions in {:.2} s = {rate:.0} sessions/s = {:.0} % of the bound (target >= 90 %), {:.0} % of the in-memory run",
        run.sessions,
        run.elapsed.as_secs_f64(),
        100.0 * rate / bound,
        100.0 * rate / parallel_rate
    );
    if let (Some(mem), Some(http)) = (parallel_cpu, http_cpu) {
        let mem_ms = mem * 1e3 / parallel.sessions.max(1) as f64;
        let http_ms = http * 1e3 / run.sessions.max(1) as f64;
        println!(
            "process CPU per session: in-memory {mem_ms:.2} ms, HTTP {http_ms:.2} ms (in-memory / HTTP = {:.0} %; independent of other load)",
            100.0 * mem_ms / http_ms
        );
    }
    Ok(())
}

/// Sessions done by [`inmem_sessions`].
struct InMemRun {
    sessions: u64,
    elapsed: Duration,
}

/// `threads` threads, each with its own in-memory device and client, run sessions until
/// `budget` has passed (at least 3 each).
fn inmem_sessions(
    config: &provkit_security::DeviceSecurityConfig,
    threads: usize,
    budget: Duration,
) -> Result<InMemRun, String> {
    let start = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let config = config.clone();
            std::thread::spawn(move || -> Result<u64, String> {
                let mut inmem = InMemConnect::new(&config);
                let mut done = 0;
                while done < 3 || (start.elapsed() < budget && done < 100_000) {
                    inmem.session()?;
                    done += 1;
                }
                Ok(done)
            })
        })
        .collect();
    let mut sessions = 0;
    for worker in workers {
        sessions += worker
            .join()
            .map_err(|_| "an in-memory worker panicked".to_string())??;
    }
    Ok(InMemRun {
        sessions,
        elapsed: start.elapsed(),
    })
}

/// User + system CPU seconds of this process so far (Linux `/proc/self/stat`, 100 ticks/s);
/// `None` elsewhere.
fn process_cpu() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at field 3 (state).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn cpu_delta(before: Option<f64>) -> Option<f64> {
    Some(process_cpu()? - before?)
}
