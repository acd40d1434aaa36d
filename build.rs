//! Compiles the C side of the libjpeg-turbo decoder (src/process/decode/turbo.c)
//! against the headers mozjpeg-sys builds its library with, when the
//! `jpeg-turbo` feature is on. Only a C compiler is needed, as for mozjpeg-sys.

fn main() {
    println!("cargo:rerun-if-changed=src/process/decode/turbo.c");
    println!("cargo:rerun-if-changed=src/process/encode/mozjpeg.c");
    if std::env::var_os("CARGO_FEATURE_JPEG_TURBO").is_none() {
        return;
    }
    // mozjpeg-sys (links = "jpeg") says where its jpeglib.h and generated jconfig.h are.
    let include = std::env::var_os("DEP_JPEG_INCLUDE").expect("mozjpeg-sys gives its include path");
    let mut build = cc::Build::new();
    for dir in std::env::split_paths(&include) {
        build.include(dir);
    }
    build
        .file("src/process/decode/turbo.c")
        .file("src/process/encode/mozjpeg.c")
        .warnings(true)
        .compile("imgbatch_turbo");
}
