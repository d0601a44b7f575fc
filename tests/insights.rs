//! `report --emit insights` computes what `report` computes. A parser of the Logs Insights
//! grammar (the commands and operators AWS documents: `parse` with a glob, `filter`,
//! `stats … by`, `sort`, `limit`, comparisons, `and`/`or`/`not`, `in [...]`, `like /re/`,
//! `isIpInSubnet`, `greatest`, arithmetic), written for this test, reads every emitted query
//! and rejects anything outside the grammar or naming a field `parse` did not declare; an
//! interpreter with Insights' semantics (parsed fields are text, compared as numbers when
//! both sides are numbers) then runs it over the same records and must give exactly
//! vpctop's top list, for hundreds of random views.

// Test code: an unwrap that fails is a test that fails, with its line.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use common::views::{GROUPS, Rng, V5, flow_file, view_flags};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    Regex(String),
    Op(&'static str),
}

fn lex(text: &str) -> Result<Vec<Tok>, String> {
    let b: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' {
            let mut s = String::new();
            i += 1;
            loop {
                match b.get(i) {
                    None => return Err("unclosed string".into()),
                    Some('\\') => {
                        s.push(*b.get(i + 1).ok_or("dangling escape")?);
                        i += 2;
                    }
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some(ch) => {
                        s.push(*ch);
                        i += 1;
                    }
                }
            }
            out.push(Tok::Str(s));
        } else if c == '/' && matches!(out.last(), Some(Tok::Ident(w)) if w == "like") {
            let mut s = String::new();
            i += 1;
            loop {
                match b.get(i) {
                    None => return Err("unclosed regex".into()),
                    Some('\\') => {
                        s.push('\\');
                        s.push(*b.get(i + 1).ok_or("dangling escape")?);
                        i += 2;
                    }
                    Some('/') => {
                        i += 1;
                        break;
                    }
                    Some(ch) => {
                        s.push(*ch);
                        i += 1;
                    }
                }
            }
            out.push(Tok::Regex(s));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == '.') {
                i += 1;
            }
            let n: String = b[start..i].iter().collect();
            out.push(Tok::Num(n.parse().map_err(|_| format!("bad number {n}"))?));
        } else if c.is_ascii_alphabetic() || c == '_' || c == '@' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == '_' || b[i] == '@') {
                i += 1;
            }
            out.push(Tok::Ident(b[start..i].iter().collect()));
        } else {
            let two: String = b[i..(i + 2).min(b.len())].iter().collect();
            let op = ["!=", "<=", ">="]
                .into_iter()
                .find(|o| *o == two)
                .or_else(|| {
                    ["=", "<", ">", "(", ")", "[", "]", ",", "-", "+", "*", "|"]
                        .into_iter()
                        .find(|o| o.starts_with(c))
                })
                .ok_or_else(|| format!("unexpected `{c}`"))?;
            i += op.len();
            out.push(Tok::Op(op));
        }
    }
    Ok(out)
}

#[derive(Debug, Clone)]
enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Cmp(Box<Expr>, &'static str, Box<Expr>),
    Like(Box<Expr>, String),
    In(Box<Expr>, Vec<Expr>),
    Sub(Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
    Field(String),
    Str(String),
    Num(f64),
}

struct Parser<'a> {
    toks: &'a [Tok],
    pos: usize,
    fields: &'a [String],
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(x)) if x == w)
    }
    fn op(&self, o: &str) -> bool {
        matches!(self.peek(), Some(Tok::Op(x)) if *x == o)
    }
    fn expect_op(&mut self, o: &str) -> Result<(), String> {
        if self.op(o) {
            self.pos += 1;
            Ok(())
        } else {
            Err(format!("expected `{o}` at {:?}", self.peek()))
        }
    }
    fn or(&mut self) -> Result<Expr, String> {
        let mut e = self.and()?;
        while self.word("or") {
            self.pos += 1;
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }
    fn and(&mut self) -> Result<Expr, String> {
        let mut e = self.not()?;
        while self.word("and") {
            self.pos += 1;
            e = Expr::And(Box::new(e), Box::new(self.not()?));
        }
        Ok(e)
    }
    fn not(&mut self) -> Result<Expr, String> {
        if self.word("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.cmp()
    }
    fn cmp(&mut self) -> Result<Expr, String> {
        let left = self.sum()?;
        if let Some(Tok::Op(o @ ("=" | "!=" | "<" | "<=" | ">" | ">="))) = self.peek() {
            let o = *o;
            self.pos += 1;
            return Ok(Expr::Cmp(Box::new(left), o, Box::new(self.sum()?)));
        }
        if self.word("like") {
            self.pos += 1;
            return match self.toks.get(self.pos) {
                Some(Tok::Regex(r)) => {
                    self.pos += 1;
                    Ok(Expr::Like(Box::new(left), r.clone()))
                }
                t => Err(format!("expected /regex/ after like, found {t:?}")),
            };
        }
        if self.word("in") {
            self.pos += 1;
            self.expect_op("[")?;
            let mut items = vec![self.atom()?];
            while self.op(",") {
                self.pos += 1;
                items.push(self.atom()?);
            }
            self.expect_op("]")?;
            return Ok(Expr::In(Box::new(left), items));
        }
        Ok(left)
    }
    fn sum(&mut self) -> Result<Expr, String> {
        let mut e = self.atom()?;
        while self.op("-") {
            self.pos += 1;
            e = Expr::Sub(Box::new(e), Box::new(self.atom()?));
        }
        Ok(e)
    }
    fn atom(&mut self) -> Result<Expr, String> {
        let t = self.toks.get(self.pos).cloned().ok_or("unexpected end")?;
        self.pos += 1;
        match t {
            Tok::Op("(") => {
                let e = self.or()?;
                self.expect_op(")")?;
                Ok(e)
            }
            Tok::Num(n) => Ok(Expr::Num(n)),
            Tok::Str(s) => Ok(Expr::Str(s)),
            Tok::Ident(name) if self.op("(") => {
                if !["isIpInSubnet", "greatest"].contains(&name.as_str()) {
                    return Err(format!("unknown function {name}"));
                }
                self.pos += 1;
                let mut args = vec![self.sum()?];
                while self.op(",") {
                    self.pos += 1;
                    args.push(self.sum()?);
                }
                self.expect_op(")")?;
                Ok(Expr::Call(name, args))
            }
            Tok::Ident(name) => {
                if !self.fields.contains(&name) {
                    return Err(format!("`{name}` is not a parsed field"));
                }
                Ok(Expr::Field(name))
            }
            t => Err(format!("unexpected {t:?}")),
        }
    }
}

/// A parsed query: the field names `parse` declares, the filter, the aggregate, the groups,
/// the sort keys, the limit.
struct Query {
    fields: Vec<String>,
    filter: Expr,
    agg: (String, Option<String>),
    by: Vec<String>,
    sort: Vec<(String, bool)>,
    limit: usize,
}

fn parse_query(text: &str) -> Result<Query, String> {
    let body: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    let toks = lex(&body)?;
    let commands: Vec<&[Tok]> = toks.split(|t| *t == Tok::Op("|")).collect();
    let [parse, filter, stats, sort, limit] = commands.as_slice() else {
        return Err(format!(
            "expected parse | filter | stats | sort | limit, got {commands:?}"
        ));
    };
    let fields = match parse {
        [
            Tok::Ident(p),
            Tok::Ident(m),
            Tok::Str(glob),
            Tok::Ident(a),
            rest @ ..,
        ] if p == "parse" && m == "@message" && a == "as" => {
            let names: Vec<String> = rest
                .chunks(2)
                .map(|c| match c {
                    [Tok::Ident(n)] | [Tok::Ident(n), Tok::Op(",")] => Ok(n.clone()),
                    other => Err(format!("bad field list at {other:?}")),
                })
                .collect::<Result<_, _>>()?;
            if glob.split(' ').any(|g| g != "*") || glob.split(' ').count() != names.len() {
                return Err(format!(
                    "glob {glob:?} does not match {} names",
                    names.len()
                ));
            }
            let mut seen = names.clone();
            seen.sort();
            seen.dedup();
            if seen.len() != names.len() {
                return Err("a field is declared twice".into());
            }
            names
        }
        other => return Err(format!("bad parse command {other:?}")),
    };
    let filter = match filter.split_first() {
        Some((Tok::Ident(w), rest)) if w == "filter" => {
            let mut p = Parser {
                toks: rest,
                pos: 0,
                fields: &fields,
            };
            let e = p.or()?;
            if p.pos != rest.len() {
                return Err(format!("trailing tokens in filter: {:?}", &rest[p.pos..]));
            }
            e
        }
        _ => return Err("expected filter".into()),
    };
    let (agg, by) = match stats {
        [
            Tok::Ident(s),
            Tok::Ident(f),
            Tok::Op("("),
            arg,
            Tok::Op(")"),
            Tok::Ident(a),
            Tok::Ident(v),
            Tok::Ident(b),
            rest @ ..,
        ] if s == "stats" && a == "as" && v == "value" && b == "by" => {
            let arg = match (f.as_str(), arg) {
                ("count", Tok::Op("*")) => None,
                ("sum", Tok::Ident(x)) if fields.contains(x) => Some(x.clone()),
                other => return Err(format!("bad aggregate {other:?}")),
            };
            let by: Vec<String> = rest
                .chunks(2)
                .map(|c| match c {
                    [Tok::Ident(n)] | [Tok::Ident(n), Tok::Op(",")] if fields.contains(n) => {
                        Ok(n.clone())
                    }
                    other => Err(format!("bad group {other:?}")),
                })
                .collect::<Result<_, _>>()?;
            ((f.clone(), arg), by)
        }
        other => return Err(format!("bad stats {other:?}")),
    };
    let sort = match sort.split_first() {
        Some((Tok::Ident(w), rest)) if w == "sort" => rest
            .split(|t| *t == Tok::Op(","))
            .map(|k| match k {
                [Tok::Ident(n), Tok::Ident(d)]
                    if (n == "value" || by.contains(n)) && (d == "asc" || d == "desc") =>
                {
                    Ok((n.clone(), d == "desc"))
                }
                other => Err(format!("bad sort key {other:?}")),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err("expected sort".into()),
    };
    let limit = match limit {
        [Tok::Ident(l), Tok::Num(n)] if l == "limit" => *n as usize,
        other => return Err(format!("bad limit {other:?}")),
    };
    Ok(Query {
        fields,
        filter,
        agg,
        by,
        sort,
        limit,
    })
}

/// A value in Insights: parsed fields are text; numbers where both sides read as numbers.
#[derive(Debug, Clone)]
enum Val {
    Text(String),
    Num(f64),
    Bool(bool),
}

fn num(v: &Val) -> Option<f64> {
    match v {
        Val::Num(n) => Some(*n),
        Val::Text(t) => t.parse().ok(),
        Val::Bool(_) => None,
    }
}

fn truth(v: &Val) -> bool {
    matches!(v, Val::Bool(true))
}

fn in_subnet(ip: &str, cidr: &str) -> bool {
    let (net, len) = cidr.split_once('/').unwrap();
    let (Ok(ip), Ok(net), Ok(len)) = (
        ip.parse::<IpAddr>(),
        net.parse::<IpAddr>(),
        len.parse::<u32>(),
    ) else {
        return false;
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let m = u32::MAX.checked_shl(32 - len).unwrap_or(0);
            a.to_bits() & m == n.to_bits() & m
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let m = u128::MAX.checked_shl(128 - len).unwrap_or(0);
            a.to_bits() & m == n.to_bits() & m
        }
        _ => false,
    }
}

/// The emitted regexes are `^part(.*part)*$` with escaped parts.
fn regex_matches(re: &str, text: &str) -> bool {
    let inner = re.strip_prefix('^').unwrap().strip_suffix('$').unwrap();
    let mut parts = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = inner.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                cur.push(chars[i + 1]);
                i += 2;
            }
            '.' if chars.get(i + 1) == Some(&'*') => {
                parts.push(std::mem::take(&mut cur));
                i += 2;
            }
            c => {
                assert!(!"+*?()|[]{}^$.".contains(c), "unescaped {c} in {re}");
                cur.push(c);
                i += 1;
            }
        }
    }
    parts.push(cur);
    if parts.len() == 1 {
        return text == parts[0];
    }
    let (first, last) = (&parts[0], &parts[parts.len() - 1]);
    if !text.starts_with(first.as_str())
        || text.len() < first.len() + last.len()
        || !text.ends_with(last.as_str())
    {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p.as_str()) {
            Some(at) => rest = &rest[at + p.len()..],
            None => return false,
        }
    }
    true
}

fn eval(e: &Expr, rec: &HashMap<&str, &str>) -> Val {
    match e {
        Expr::Or(a, b) => Val::Bool(truth(&eval(a, rec)) || truth(&eval(b, rec))),
        Expr::And(a, b) => Val::Bool(truth(&eval(a, rec)) && truth(&eval(b, rec))),
        Expr::Not(a) => Val::Bool(!truth(&eval(a, rec))),
        Expr::Cmp(a, op, b) => {
            let (x, y) = (eval(a, rec), eval(b, rec));
            let ord = match (num(&x), num(&y)) {
                (Some(p), Some(q)) => p.partial_cmp(&q),
                _ => match (&x, &y) {
                    (Val::Text(p), Val::Text(q)) => Some(p.cmp(q)),
                    _ => None,
                },
            };
            let Some(ord) = ord else {
                return Val::Bool(false);
            };
            use std::cmp::Ordering::*;
            Val::Bool(match *op {
                "=" => ord == Equal,
                "!=" => ord != Equal,
                "<" => ord == Less,
                "<=" => ord != Greater,
                ">" => ord == Greater,
                _ => ord != Less,
            })
        }
        Expr::Like(a, re) => match eval(a, rec) {
            Val::Text(t) => Val::Bool(regex_matches(re, &t)),
            _ => Val::Bool(false),
        },
        Expr::In(a, items) => {
            let x = eval(a, rec);
            Val::Bool(items.iter().any(|i| {
                let y = eval(i, rec);
                match (num(&x), num(&y)) {
                    (Some(p), Some(q)) => p == q,
                    _ => matches!((&x, &y), (Val::Text(p), Val::Text(q)) if p == q),
                }
            }))
        }
        Expr::Sub(a, b) => match (num(&eval(a, rec)), num(&eval(b, rec))) {
            (Some(p), Some(q)) => Val::Num(p - q),
            _ => Val::Text(String::new()),
        },
        Expr::Call(f, args) if f == "greatest" => {
            let vals: Option<Vec<f64>> = args.iter().map(|a| num(&eval(a, rec))).collect();
            match vals {
                Some(v) => Val::Num(v.into_iter().fold(f64::MIN, f64::max)),
                None => Val::Text(String::new()),
            }
        }
        Expr::Call(_, args) => match (eval(&args[0], rec), eval(&args[1], rec)) {
            (Val::Text(ip), Val::Text(cidr)) => Val::Bool(in_subnet(&ip, &cidr)),
            _ => Val::Bool(false),
        },
        Expr::Field(name) => Val::Text(rec.get(name.as_str()).unwrap_or(&"").to_string()),
        Expr::Str(s) => Val::Text(s.clone()),
        Expr::Num(n) => Val::Num(*n),
    }
}

/// Runs the query over the parsed events.
fn run(q: &Query, events: &[HashMap<&str, &str>]) -> Vec<(String, u64)> {
    let mut groups: BTreeMap<Vec<String>, u64> = BTreeMap::new();
    for rec in events {
        if !truth(&eval(&q.filter, rec)) {
            continue;
        }
        let key: Vec<String> = q.by.iter().map(|b| rec[b.as_str()].to_string()).collect();
        let add = match &q.agg.1 {
            None => 1,
            Some(f) => rec[f.as_str()].parse::<u64>().unwrap_or(0),
        };
        *groups.entry(key).or_default() += add;
    }
    let mut rows: Vec<(Vec<String>, u64)> = groups.into_iter().collect();
    rows.sort_by(|a, b| {
        for (name, desc) in &q.sort {
            let ord = if name == "value" {
                a.1.cmp(&b.1)
            } else {
                let i = q.by.iter().position(|x| x == name).unwrap();
                a.0[i].cmp(&b.0[i])
            };
            let ord = if *desc { ord.reverse() } else { ord };
            if ord != std::cmp::Ordering::Equal {
                return ord;
            }
        }
        std::cmp::Ordering::Equal
    });
    rows.truncate(q.limit);
    rows.into_iter().map(|(k, v)| (k.join(" -> "), v)).collect()
}

#[test]
fn emitted_insights_queries_parse_and_compute_vpctops_top_lists() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x1a51_6475);
    let data = flow_file(&mut rng, 1500);
    let path = dir.path().join("flows.log");
    std::fs::write(&path, &data).unwrap();
    // The events' messages split as `parse` splits them (a header is no event).
    let names: Vec<String> = V5.split_whitespace().map(|f| f.replace('-', "_")).collect();
    let records: Vec<HashMap<&str, &str>> = data
        .lines()
        .skip(1)
        .map(|line| {
            names
                .iter()
                .map(String::as_str)
                .zip(line.split(' '))
                .collect()
        })
        .collect();
    let p = path.to_str().unwrap();
    let mut lists = 0;
    let mut nonempty = 0;
    for i in 0..250 {
        let flags = view_flags(&mut rng);
        let by = flags[flags.iter().position(|f| f == "--by").unwrap() + 1].clone();
        let mut args: Vec<&str> = vec!["report", "--json"];
        args.extend(flags.iter().map(String::as_str));
        args.push(p);
        let report = common::vpctop(&args);
        assert!(report.code <= 1, "{}", report.stderr);
        let doc: Value = serde_json::from_str(&report.stdout).unwrap();
        let mut args: Vec<&str> = vec!["report", "--emit", "insights", "--format", V5];
        args.extend(flags.iter().map(String::as_str));
        args.push(p);
        let emitted = common::vpctop(&args);
        assert_eq!(emitted.code, 0, "view {i} {flags:?}: {}", emitted.stderr);
        let mut queries: Vec<String> = Vec::new();
        for line in emitted.stdout.lines() {
            if line.starts_with("# vpctop:") || queries.is_empty() {
                queries.push(String::new());
            }
            let q = queries.last_mut().unwrap();
            q.push_str(line);
            q.push('\n');
        }
        assert_eq!(queries.len(), 6, "{}", emitted.stdout);
        for (q, group) in queries.iter().zip(GROUPS) {
            let query = parse_query(q).unwrap_or_else(|e| panic!("view {i}: {e}\n{q}"));
            assert_eq!(
                query.fields, names,
                "parse declares the format's fields in order"
            );
            let got = run(&query, &records);
            let want: Vec<(String, u64)> = doc["top"][group]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["key"].as_str().unwrap().to_string(),
                        r[&by].as_u64().unwrap(),
                    )
                })
                .collect();
            assert_eq!(got, want, "view {i} {group} {flags:?}\n{q}");
            lists += 1;
            nonempty += usize::from(!want.is_empty());
        }
    }
    assert!(
        nonempty * 2 > lists,
        "only {nonempty} of {lists} lists are non-empty"
    );
}

#[test]
fn the_grammar_checker_rejects_what_insights_would() {
    let ok = "# c\nparse @message \"* *\" as a, b\n| filter a = \"x\" and not (b > 3)\n| stats count(*) as value by a\n| sort value desc, a asc\n| limit 3\n";
    assert!(parse_query(ok).is_ok());
    for bad in [
        ok.replace("b > 3", "c > 3"),
        ok.replace("\"* *\"", "\"* * *\""),
        ok.replace("count(*)", "avg(a)"),
        ok.replace("a = \"x\"", "a = \"x"),
        ok.replace("not (b > 3)", "not (b > 3"),
        ok.replace("| limit 3", ""),
        ok.replace("a = \"x\"", "bitand(a, 2) = 2"),
    ] {
        assert!(parse_query(&bad).is_err(), "accepted:\n{bad}");
    }
}
