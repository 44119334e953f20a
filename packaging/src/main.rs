//! `gen-docs`: regenerates `metadata/<agent>.xml` and `packaging/man/ocf_mariadb_<agent>.7`
//! from the agents' declarations. Run `cargo run -q -p resource-agents-mariadb --bin gen-docs`
//! after changing a parameter, an action or a description.
//!
//! A developer's tool at the edge, not an agent: its errors need no OCF code, only the file
//! and the cause, which is what anyhow's context chain prints.

use anyhow::Context;

fn main() -> anyhow::Result<()> {
    let root = resource_agents_mariadb::workspace_root();
    for file in resource_agents_mariadb::all() {
        let path = root.join(&file.path);
        let unchanged = std::fs::read_to_string(&path).is_ok_and(|old| old == file.content);
        if unchanged {
            continue;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::write(&path, &file.content)
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("gen-docs: wrote {}", file.path);
    }
    Ok(())
}
