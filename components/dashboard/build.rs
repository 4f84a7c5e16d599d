//! Embeds the dashboard's files (`app/`, and the vendored third-party files
//! in `vendor/` when present) at build time: each with its content type, an
//! `etag` (a hash of its bytes) and, where it saves bytes, a gzip copy. No
//! file is fetched: what is in the repository is what is served.

use std::io::Write;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let mut files = Vec::new();
    for dir in ["app", "vendor"] {
        collect(&root.join(dir), &root, &mut files);
        println!("cargo:rerun-if-changed={dir}");
    }
    files.sort();
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let mut table = String::from("pub static ASSETS: &[Asset] = &[\n");
    for (i, rel) in files.iter().enumerate() {
        let bytes = std::fs::read(root.join(rel)).unwrap();
        let etag = format!("\"{}\"", &hex(&sha2_256(&bytes))[..20]);
        let gz = gzip(&bytes);
        let raw_name = format!("asset{i}");
        std::fs::write(out.join(&raw_name), &bytes).unwrap();
        let gz_expr = if gz.len() + 64 < bytes.len() {
            std::fs::write(out.join(format!("{raw_name}.gz")), &gz).unwrap();
            format!("Some(include_bytes!(concat!(env!(\"OUT_DIR\"), \"/{raw_name}.gz\")))")
        } else {
            "None".to_string()
        };
        let url = rel.to_string_lossy().replace('\\', "/");
        table.push_str(&format!(
            "    Asset {{ path: {url:?}, content_type: {:?}, etag: {etag:?}, body: include_bytes!(concat!(env!(\"OUT_DIR\"), \"/{raw_name}\")), gzip: {gz_expr} }},\n",
            content_type(&url)
        ));
    }
    table.push_str("];\n");
    std::fs::write(out.join("assets.rs"), table).unwrap();
}

fn collect(dir: &Path, root: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, root, out);
        } else if !path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
            out.push(path.strip_prefix(root).unwrap().to_path_buf());
        }
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "woff2" => "font/woff2",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn sha2_256(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
