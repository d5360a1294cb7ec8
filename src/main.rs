//! The `shadowdiff` binary (the command line lives in the library part of this package, so that
//! tests can check its help and settings against README).

/// mimalloc rather than glibc's malloc: every exchange's values are made on one thread and
/// freed on another, where glibc spends a fifth of the run (benches/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    shadowdiff::main()
}
