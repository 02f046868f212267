//! `opm-cranelift-driver`: JSON lines on stdin → JSON lines on stdout (see PROTOCOL.md).
use std::io::{self, BufRead, Write};

fn main() {
    // Panics are caught per request and reported as `internal_panic`; keep stderr to one line.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("opm-cranelift-driver: caught panic: {info}");
    }));
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match input.read_until(b'\n', &mut buf) {
            Ok(0) => break, // EOF: exit cleanly
            Ok(_) => {}
            Err(e) => {
                eprintln!("opm-cranelift-driver: stdin error: {e}");
                break;
            }
        }
        let response = match std::str::from_utf8(&buf) {
            Ok(line) => {
                if line.trim().is_empty() {
                    continue;
                }
                opm_cranelift_driver::handle_line(line.trim_end_matches(['\n', '\r']))
            }
            Err(e) => opm_cranelift_driver::invalid_utf8_line(&e),
        };
        if writeln!(out, "{response}").and_then(|_| out.flush()).is_err() {
            break; // stdout closed
        }
    }
}
