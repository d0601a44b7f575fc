//! Colours and emphasis: 16-colour ANSI by default, monochrome under `NO_COLOR` or
//! `--color never`. Every distinction that colour makes is also made by a glyph or a
//! modifier, so the monochrome dashboard loses nothing but colour.

use ratatui::style::{Color, Modifier, Style};

/// Whether the dashboard uses colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorMode {
    /// The 16 ANSI colours (the terminal's palette decides the shades).
    Ansi16,
    /// No colour at all: bold, reverse and underline only.
    Monochrome,
}

impl ColorMode {
    /// The mode for a `--color` choice, honouring `NO_COLOR` (any non-empty value) for `auto`.
    pub fn resolve(choice: ColorChoice, no_color_env: Option<&str>) -> ColorMode {
        match choice {
            ColorChoice::Always => ColorMode::Ansi16,
            ColorChoice::Never => ColorMode::Monochrome,
            ColorChoice::Auto if no_color_env.is_some_and(|v| !v.is_empty()) => {
                ColorMode::Monochrome
            }
            ColorChoice::Auto => ColorMode::Ansi16,
        }
    }
}

/// `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The styles panes draw with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    mode: ColorMode,
}

impl Theme {
    /// A theme in `mode`.
    pub const fn new(mode: ColorMode) -> Theme {
        Theme { mode }
    }

    /// Whether colours are drawn.
    pub const fn mode(&self) -> ColorMode {
        self.mode
    }

    fn pick(&self, colour: Style, mono: Style) -> Style {
        match self.mode {
            ColorMode::Ansi16 => colour,
            ColorMode::Monochrome => mono,
        }
    }

    /// Plain text.
    pub fn text(&self) -> Style {
        Style::default()
    }

    /// Secondary text (labels, units).
    pub fn dim(&self) -> Style {
        self.pick(Style::default().fg(Color::DarkGray), Style::default())
    }

    /// Titles and headers.
    pub fn title(&self) -> Style {
        self.pick(
            Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::BOLD),
        )
    }

    /// The border of the focused pane.
    pub fn focus_border(&self) -> Style {
        self.pick(
            Style::default().fg(Color::Yellow),
            Style::default().add_modifier(Modifier::BOLD),
        )
    }

    /// The marker before the focused pane's title: reverse video, so focus shows without
    /// colour too.
    pub fn focus_marker(&self) -> Style {
        self.pick(
            Style::default()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        )
    }

    /// The border of other panes.
    pub fn border(&self) -> Style {
        self.pick(Style::default().fg(Color::DarkGray), Style::default())
    }

    /// The selected row.
    pub fn selected(&self) -> Style {
        self.pick(
            Style::default().bg(Color::Blue).fg(Color::White),
            Style::default().add_modifier(Modifier::REVERSED),
        )
    }

    /// ACCEPT counts and bars.
    pub fn accept(&self) -> Style {
        self.pick(Style::default().fg(Color::Green), Style::default())
    }

    /// REJECT counts and bars.
    pub fn reject(&self) -> Style {
        self.pick(
            Style::default().fg(Color::Red),
            Style::default().add_modifier(Modifier::BOLD),
        )
    }

    /// Something that needs attention (malformed lines, errors).
    pub fn alert(&self) -> Style {
        self.pick(
            Style::default()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        )
    }

    /// The status bar's background line.
    pub fn status(&self) -> Style {
        self.pick(
            Style::default().bg(Color::Blue).fg(Color::White),
            Style::default().add_modifier(Modifier::REVERSED),
        )
    }

    /// Keys in hints and help.
    pub fn key(&self) -> Style {
        self.pick(
            Style::default()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::BOLD),
        )
    }

    /// A heatmap cell at `level` (1 = faint … 4 = hottest), REJECT-dominated or not.
    pub fn heat(&self, level: u8, reject: bool) -> Style {
        let colour = match (reject, level) {
            (true, 1 | 2) => Color::Red,
            (true, _) => Color::LightRed,
            (false, 1) => Color::DarkGray,
            (false, 2) => Color::Cyan,
            (false, 3) => Color::LightCyan,
            (false, _) => Color::White,
        };
        self.pick(Style::default().fg(colour), Style::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_turns_auto_monochrome_but_not_always() {
        assert_eq!(
            ColorMode::resolve(ColorChoice::Auto, Some("1")),
            ColorMode::Monochrome
        );
        assert_eq!(
            ColorMode::resolve(ColorChoice::Auto, Some("")),
            ColorMode::Ansi16
        );
        assert_eq!(
            ColorMode::resolve(ColorChoice::Auto, None),
            ColorMode::Ansi16
        );
        assert_eq!(
            ColorMode::resolve(ColorChoice::Always, Some("1")),
            ColorMode::Ansi16
        );
        assert_eq!(
            ColorMode::resolve(ColorChoice::Never, None),
            ColorMode::Monochrome
        );
    }

    #[test]
    fn monochrome_never_sets_a_colour() {
        let t = Theme::new(ColorMode::Monochrome);
        for s in [
            t.dim(),
            t.title(),
            t.selected(),
            t.accept(),
            t.reject(),
            t.alert(),
            t.status(),
            t.heat(4, true),
        ] {
            assert_eq!((s.fg, s.bg), (None, None));
        }
    }
}
