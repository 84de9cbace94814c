//! Groups JSON (`formats.md` §7.1).

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};
use crate::output::write_atomically;
use crate::solve::Group;

/// The groups JSON text as Python's `json.dumps({"groups": groups})` writes it: default
/// separators (`", "`, `": "`), no trailing newline. Groups are written in the order given; pass
/// canonicalised groups (as [`crate::solve::solve`] returns them) to match the reference files.
pub fn groups_json(groups: &[Group]) -> String {
    let members: usize = groups.iter().map(|g| g.len()).sum();
    let mut s = String::with_capacity(16 + members * 16);
    s.push_str("{\"groups\": [");
    for (i, g) in groups.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push('[');
        for (j, (d, r)) in g.iter().enumerate() {
            if j > 0 {
                s.push_str(", ");
            }
            s.push('[');
            super::push_u32(&mut s, *d);
            s.push_str(", ");
            super::push_u32(&mut s, *r);
            s.push(']');
        }
        s.push(']');
    }
    s.push_str("]}");
    s
}

/// Writes the groups JSON to `path` (`-` = standard output) atomically.
pub fn write_groups(path: &Path, groups: &[Group]) -> Result<()> {
    let text = groups_json(groups);
    write_atomically(path, |out| {
        out.write_all(text.as_bytes())
            .map_err(|e| Error::write(path, e))
    })
}
