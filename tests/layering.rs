//! The sans-IO layers (SPEC §2) stay free of I/O: no tokio, no sockets, no
//! clocks in `src/zmtp/` and `src/pattern/`.

use std::path::Path;

fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
    out
}

#[test]
fn sans_io_layers_import_no_io() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut checked = 0;
    for layer in ["zmtp", "pattern"] {
        for (path, text) in sources(&root.join(layer)) {
            checked += 1;
            for banned in [
                "tokio",
                "std::net",
                "Instant::now",
                "SystemTime",
                "std::thread",
            ] {
                assert!(
                    !text.contains(banned),
                    "{path} mentions {banned}: the {layer} layer must stay sans-IO"
                );
            }
        }
    }
    assert!(
        checked >= 8,
        "expected the zmtp and pattern sources, found {checked} files"
    );
}
