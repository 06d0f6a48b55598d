fn main() -> std::process::ExitCode {
    trilha::cli::main()
}
