//! The manual page (`vpctop man`): every command with its options, then the filter language,
//! the dashboard's keys and the exit codes, so a user with only the installed binary has all
//! of it. One page: it names no `vpctop-report(1)` pages that nothing installs.
//!
//! Never: reads the README; every section is built from the code it documents (the clap
//! definitions, the key map) or written here beside it.

use std::io::{self, Write};

use clap_mangen::Man;

/// The filter language, as the manual and `--help` state it.
pub const FILTER_LANGUAGE: &str = "\
One grammar for --filter and the dashboard's / bar, e.g.
  action=REJECT dstport=22 src=10.0.0.0/8        (juxtaposition means and)
  host=2001:db8::/32 and not proto=icmpv6
  dstport in (ssh, rdp) or (bytes>=10M duration<1m)
  action='REJECT' and start>2023-11-14T22:15:00Z  (values quoted as SQL quotes them)
  end>=-2h                                        (the last two hours)
Fields: src dst host (either side) srcport dstport port (either side) proto action status \
interface account vpc subnet instance bytes packets start end duration (end - start) flags \
direction, and any flow-log field by name (pkt-srcaddr, pkt_srcaddr, ${tcp-flags}).
Values: addresses and CIDR blocks; ports, ranges (1024-65535) and service names (ssh, https, \
postgres); protocol names or numbers; ACCEPT/REJECT; OK/NODATA/SKIPDATA; sizes (1500 10k 5M \
64Ki); durations (30s 5m 1h30m); times (1700000000, 2023-11-14T22:15:00Z, 2023-11-14, -2h, \
now); TCP flags (a number, or syn fin rst synack: the bit is set); text with * wildcards.
Operators: = != < <= > >= (== is =), in (a, b), and, or, not, parentheses; and binds tighter \
than or. A bare value matches the field it fits (an address: host; a port or service: port; \
ACCEPT/REJECT: action; eni-/i-/vpc-/subnet-: that resource). A test on a field a record \
lacks is false. Errors name the column and what was expected.";

/// What each exit code means.
pub const EXIT_STATUS: &[(&str, &str)] = &[
    (
        "0",
        "Everything was read (some malformed lines included; stderr warns when more than half were).",
    ),
    (
        "1",
        "An input could not be read, or not to its end; the others were still processed.",
    ),
    ("2", "A usage error: a bad flag, filter, format or time."),
    (
        "3",
        "Every input was read, but not one line was a flow-log record while some were malformed \
         (prose, a wrong --format); stderr names the first such line and its reason.",
    ),
    (
        "4",
        "vpctop alerts --fail-on SEVERITY: everything was read and an alert at or above \
         SEVERITY opened.",
    ),
    (
        "130",
        "A second Ctrl-C while the last report was being made.",
    ),
    (
        "128+N",
        "The dashboard was ended by signal N (143 for SIGTERM, 129 for a hang-up).",
    ),
];

/// What `vpctop --help` adds after the options: the filter language, the exit codes and
/// where the whole manual is.
pub fn long_help() -> String {
    let mut out = String::from("Filter language:\n");
    for line in FILTER_LANGUAGE.lines() {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("\nExit status:\n");
    for (code, meaning) in EXIT_STATUS {
        out.push_str(&format!("  {code:<6} {meaning}\n"));
    }
    out.push_str(
        "\nKeys: press ? in the dashboard. The whole manual (every command, the keys): \
         vpctop man | man -l -",
    );
    out
}

/// Writes the manual page for `cmd` (the whole `vpctop` command) as roff.
pub fn render(cmd: clap::Command, w: &mut dyn Write) -> io::Result<()> {
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let man = Man::new(cmd.clone());
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    man.render_options_section(w)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("vpctop {}", sub.get_name());
        writeln!(w, ".SH \"{}\"", roff_escape(&name.to_uppercase()))?;
        let mut part = Vec::new();
        let man = Man::new(sub.clone().bin_name(name));
        man.render_synopsis_section(&mut part)?;
        man.render_description_section(&mut part)?;
        man.render_options_section(&mut part)?;
        // Each command's parts are subsections of its own section.
        let part = String::from_utf8_lossy(&part)
            .replace(".SH SYNOPSIS", ".SS Synopsis")
            .replace(".SH DESCRIPTION", ".SS Description")
            .replace(".SH OPTIONS", ".SS Options")
            .replace(".SH ", ".SS ");
        w.write_all(part.as_bytes())?;
    }
    writeln!(w, ".SH \"FILTER LANGUAGE\"")?;
    for line in FILTER_LANGUAGE.lines() {
        if line.starts_with("  ") {
            writeln!(w, ".nf\n{}\n.fi", roff_escape(line))?;
        } else {
            writeln!(w, ".PP\n{}", roff_escape(line))?;
        }
    }
    writeln!(w, ".SH KEYS")?;
    writeln!(
        w,
        ".PP\nIn the dashboard (press ? for the same list). A mouse click selects, the wheel \
         scrolls."
    )?;
    for b in crate::ui::keymap::BINDINGS {
        writeln!(
            w,
            ".TP\n\\fB{}\\fR\n{}",
            roff_escape(b.label),
            roff_escape(b.help)
        )?;
    }
    writeln!(w, ".SH \"EXIT STATUS\"")?;
    for (code, meaning) in EXIT_STATUS {
        writeln!(
            w,
            ".TP\n\\fB{}\\fR\n{}",
            roff_escape(code),
            roff_escape(meaning)
        )?;
    }
    writeln!(w, ".SH ENVIRONMENT")?;
    writeln!(
        w,
        ".TP\n\\fBNO_COLOR\\fR\nWhen set and not empty, the dashboard draws without colour \
         (bold, reverse and underline only), as --color never does."
    )?;
    let version = Man::new(cmd);
    version.render_version_section(w)
}

/// Text made safe for roff: backslashes and hyphens escaped, and a line that would start
/// with a control character (`.` or `'`) guarded.
fn roff_escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roff_escaping_guards_control_lines_and_escapes() {
        assert_eq!(roff_escape("a-b"), "a\\-b");
        assert_eq!(roff_escape(".x"), "\\&.x");
        assert_eq!(roff_escape("'x"), "\\&'x");
        assert_eq!(roff_escape("a\\b"), "a\\eb");
    }
}
