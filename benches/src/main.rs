//! `provkit-bench`: replays recorded client messages against the device side so an outside
//! profiler (callgrind) can count the instructions of exactly the device's work.
fn main() {
    eprintln!("provkit-bench: no benchmarks yet");
    std::process::exit(2);
}
