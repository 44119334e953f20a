//! `ocf:mariadb:maxscale`; everything is in the library.

fn main() -> std::process::ExitCode {
    ocf::run(maxscale::MaxScaleAgent)
}
