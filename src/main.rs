//! The `vpctop` binary: parse the arguments, run the command they name, exit with its code.
//! Every command lives in the library (`vpctop::commands`), where it can be tested.

use clap::Parser;

fn main() {
    let cli = vpctop::cli::Cli::parse();
    std::process::exit(vpctop::commands::run(cli));
}
