//! `ocf:mariadb:vip`; everything is in the library.

fn main() -> std::process::ExitCode {
    ocf::run(vip::VipAgent)
}
