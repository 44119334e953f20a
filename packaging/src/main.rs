//! `gen-docs`: regenerates `metadata/<agent>.xml` and `packaging/man/ocf_mariadb_<agent>.7`
//! from the agents' declarations. Run `cargo run -q -p resource-agents-mariadb --bin gen-docs`
//! after changing a parameter, an action or a description.

use std::process::ExitCode;

fn main() -> ExitCode {
    let root = resource_agents_mariadb::workspace_root();
    for file in resource_agents_mariadb::all() {
        let path = root.join(&file.path);
        let unchanged = std::fs::read_to_string(&path).is_ok_and(|old| old == file.content);
        if unchanged {
            continue;
        }
        if let Some(dir) = path.parent() {
            if let Err(e) = std::fs::create_dir_all(dir) {
                eprintln!("gen-docs: cannot create {}: {e}", dir.display());
                return ExitCode::FAILURE;
            }
        }
        if let Err(e) = std::fs::write(&path, &file.content) {
            eprintln!("gen-docs: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        eprintln!("gen-docs: wrote {}", file.path);
    }
    ExitCode::SUCCESS
}
