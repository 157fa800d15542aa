//! Talking to the person running kindly: what happened on stderr, what
//! they asked for on stdout.

/// Tells the person running kindly, on stderr.
pub fn say(lines: impl IntoIterator<Item = String>) {
    let text: String = lines.into_iter().map(|line| format!("kindly: {line}\n")).collect();
    quietly(std::io::stderr().lock(), &text);
}

/// Output for the reader of stdout, e.g. a ledger's history.
pub fn show(text: &str) {
    quietly(std::io::stdout().lock(), text);
}

/// A value as indented JSON on stdout.
pub fn show_json(value: &impl serde::Serialize) {
    show(&format!("{}\n", serde_json::to_string_pretty(value).unwrap_or_default()));
}

/// A reader that stops early (`kindly history A-1 | head`) is not kindly's
/// failure: the rest is dropped, and the command's exit code stays its own
/// instead of a panic's 101 after the work is done.
fn quietly(mut to: impl std::io::Write, text: &str) {
    let _ = to.write_all(text.as_bytes()).and_then(|()| to.flush());
}
