#!/usr/bin/env python3
"""Makes assets/screenshot.svg from a real run: vpctop in a tmux pane, captured with its
colours (capture-pane -e), rendered as SVG text (16 ANSI colours, monospace).

    cargo build --release && python3 assets/make-screenshot.py

Needs tmux. The run: `vpctop --no-follow assets/samples/`, sorted by flows, at 120x32.
"""
import html, os, re, subprocess, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "vpctop")
W, H = 120, 32
PALETTE = ["#1e1e1e", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
           "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff"]
FG, BG = "#d4d4d4", "#1e1e1e"


def tmux(*args):
    return subprocess.run(["tmux", "-L", "vpctop-shot", *args], capture_output=True, text=True).stdout


def capture():
    tmux("kill-server")
    tmux("new-session", "-d", "-s", "s", "-x", str(W), "-y", str(H),
         f"cd {ROOT} && {BIN} --no-follow assets/samples/; sleep 60")
    deadline = time.time() + 20
    while "done" not in tmux("capture-pane", "-p", "-t", "s"):
        if time.time() > deadline:
            raise SystemExit("vpctop did not show the samples")
        time.sleep(0.1)
    tmux("send-keys", "-t", "s", "s")
    tmux("send-keys", "-t", "s", "s")
    time.sleep(1)
    text = tmux("capture-pane", "-p", "-e", "-t", "s")
    tmux("kill-server")
    return text


def cells(text):
    """[(row, [(char, fg, bg, bold)])] from SGR-coloured lines."""
    rows = []
    for line in text.split("\n")[:H]:
        fg, bg, bold, rev = FG, BG, False, False
        row = []
        for part in re.split(r"(\x1b\[[0-9;]*m)", line):
            m = re.fullmatch(r"\x1b\[([0-9;]*)m", part)
            if not m:
                for ch in part:
                    f, b = (bg, fg) if rev else (fg, bg)
                    row.append((ch, f, b, bold))
                continue
            codes = [int(c) if c else 0 for c in m.group(1).split(";")]
            i = 0
            while i < len(codes):
                c = codes[i]
                if c == 0:
                    fg, bg, bold, rev = FG, BG, False, False
                elif c == 1:
                    bold = True
                elif c == 22:
                    bold = False
                elif c == 7:
                    rev = True
                elif c == 27:
                    rev = False
                elif 30 <= c <= 37:
                    fg = PALETTE[c - 30]
                elif 90 <= c <= 97:
                    fg = PALETTE[c - 90 + 8]
                elif c == 39:
                    fg = FG
                elif 40 <= c <= 47:
                    bg = PALETTE[c - 40]
                elif 100 <= c <= 107:
                    bg = PALETTE[c - 100 + 8]
                elif c == 49:
                    bg = BG
                elif c in (38, 48) and i + 2 < len(codes) and codes[i + 1] == 5:
                    colour = PALETTE[codes[i + 2] % 16]
                    if c == 38:
                        fg = colour
                    else:
                        bg = colour
                    i += 2
                i += 1
        rows.append(row)
    return rows


def svg(rows):
    cw, ch = 8.4, 17
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{int(W * cw + 20)}" height="{H * ch + 20}" '
           f'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14">',
           f'<rect width="100%" height="100%" fill="{BG}"/>']
    for y, row in enumerate(rows):
        for x, (c, f, b, bold) in enumerate(row):
            if b != BG:
                out.append(f'<rect x="{10 + x * cw:.1f}" y="{10 + y * ch}" width="{cw + 0.3:.1f}" height="{ch}" fill="{b}"/>')
        x = 0
        while x < len(row):
            c, f, b, bold = row[x]
            run = ""
            start = x
            while x < len(row) and row[x][1] == f and row[x][3] == bold:
                run += row[x][0]
                x += 1
            if run.strip():
                weight = ' font-weight="bold"' if bold else ""
                out.append(f'<text x="{10 + start * cw:.1f}" y="{10 + y * ch + 13}" fill="{f}"{weight} '
                           f'xml:space="preserve" textLength="{len(run) * cw:.1f}">{html.escape(run)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    path = os.path.join(ROOT, "assets", "screenshot.svg")
    open(path, "w").write(svg(cells(capture())))
    print(path)
