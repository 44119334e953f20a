//! `lab-switch`: the lab's host-side power switch (see the library documentation).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(fence_lab::switch::main_with(&args));
}
