//! `maxscale-sim`: see the library documentation and README.md.

fn main() {
    std::process::exit(maxscale_sim::run(std::env::args_os().collect()));
}
