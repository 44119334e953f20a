use std::process::ExitCode;

fn main() -> ExitCode {
    ocf::run(galera::GaleraAgent)
}
