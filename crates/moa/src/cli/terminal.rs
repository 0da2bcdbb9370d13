//! The terminal's side of the command line: errors on one line, passwords read without echo, words of a search
//! that look like options, and output to a pipe that closes early.

use std::io::IsTerminal;

use anyhow::Context;

/// An error and its causes on one line, each said once: libraries often put their cause's text in their
/// own message too ("database error: (code: 14) unable to open …: (code: 14) unable to open …").
pub(crate) fn error_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// One line of standard input; on a terminal, asked for with echo turned off.
pub(crate) fn read_password() -> anyhow::Result<String> {
    let tty = std::io::stdin().is_terminal();
    if tty {
        eprint!("password: ");
        let _ = std::process::Command::new("stty").arg("-echo").status();
    }
    let mut line = String::new();
    let read = std::io::stdin().read_line(&mut line);
    if tty {
        let _ = std::process::Command::new("stty").arg("echo").status();
        eprintln!();
    }
    read.context("cannot read the password")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

/// `moa search docker -kubernetes`: a word after a single dash is an exclusion, not an unknown flag. Such
/// words are moved after a `--`, where they are read as query terms (`-h` still asks for help).
pub(crate) fn search_exclusions_as_terms(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    // The subcommand: the first word that is neither an option nor the value of a global option.
    const VALUED: [&str; 6] = ["--config", "--database", "--search-index", "--sources", "--public-url", "--log-format"];
    let mut i = 1;
    while i < args.len() && args[i].to_str().is_some_and(|a| a.starts_with('-')) {
        i += if VALUED.contains(&args[i].to_str().unwrap_or("")) { 2 } else { 1 };
    }
    if args.get(i).is_none_or(|a| a != "search") {
        return args;
    }
    let at = i;
    let end = args.iter().position(|a| a == "--").unwrap_or(args.len());
    let is_exclusion = |a: &std::ffi::OsString| {
        a.to_str().is_some_and(|a| a.len() > 1 && a.starts_with('-') && !a.starts_with("--") && a != "-h")
    };
    let excluded: Vec<std::ffi::OsString> = args[at + 1..end].iter().filter(|a| is_exclusion(a)).cloned().collect();
    if excluded.is_empty() {
        return args;
    }
    let mut kept: Vec<std::ffi::OsString> =
        args.drain(..end).enumerate().filter(|(i, a)| *i <= at || !is_exclusion(a)).map(|(_, a)| a).collect();
    if args.is_empty() {
        kept.push("--".into());
    } else {
        kept.push(args.remove(0));
    }
    kept.extend(excluded);
    kept.extend(args);
    kept
}

/// A command whose output goes to a reader that stops early (`moa sources list | head`) ends quietly, as
/// Unix tools do, instead of panicking on the broken pipe. Rust ignores SIGPIPE so that writes fail
/// instead. The long-running commands (serve, crawl, migrate) keep Rust's default: a PostgreSQL server
/// reached over a Unix socket that goes away must be an error they report, not a signal that kills them.
pub(crate) fn quiet_on_closed_pipe() {
    // SAFETY: setting a signal's disposition to its default before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
