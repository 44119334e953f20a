//! `fence_lab`: the lab's fence agent (see the library documentation).

use std::io::{Read, Write};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut stdin = String::new();
    if args.is_empty() {
        // bounded: the fencer sends a handful of short lines
        let _ = std::io::stdin().take(64 * 1024).read_to_string(&mut stdin);
    }
    // the node whose fencer runs us (its UTS namespace), for the switch's journal
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let out = fence_lab::agent::main_with(&args, &stdin, host.trim());
    let _ = std::io::stdout().write_all(out.stdout.as_bytes());
    let _ = std::io::stderr().write_all(out.stderr.as_bytes());
    std::process::exit(out.rc);
}
