//! The `shadowdiff` binary (the command line lives in the library part of this package, so that
//! tests can check its help and settings against README).

fn main() -> std::process::ExitCode {
    shadowdiff::main()
}
