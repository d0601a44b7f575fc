//! The filter language: parsing never panics and an error points inside the text; a filter
//! prints as text that parses back into the same filter; filters the program builds from
//! values read in a log (an interface id, an address, a port) print as text that parses back
//! into them; the queries written for Athena and Logs Insights from any filter hold no
//! control character.
#![no_main]

use std::net::IpAddr;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use vpctop::core::{Dimension, Metric};
use vpctop::filter::{Filter, Side};
use vpctop::query::View;
use vpctop::query::athena::{Partitions, Table};
use vpctop::schema::Schema;
use vpctop_fuzz::assert_printable;

#[derive(Arbitrary, Debug)]
struct Case<'a> {
    text: &'a str,
    id: &'a str,
    addr: [u8; 16],
    v6: bool,
    port: u16,
    proto: u8,
}

fn reparses(f: &Filter) {
    let text = f.to_string();
    let again = Filter::parse(&text).unwrap_or_else(|e| panic!("{text:?} does not parse: {e}"));
    assert_eq!(&again, f, "{text:?}");
}

/// The Athena and Logs Insights queries for a view filtered by `f` hold no control character.
fn queries_are_printable(f: &Filter) {
    let schema = Schema::parse_format(
        "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} \
         ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} \
         ${log-status} ${vpc-id} ${subnet-id} ${instance-id} ${tcp-flags} \
         ${flow-direction} ${pkt-srcaddr} ${pkt-dstaddr}",
    )
    .expect("a valid format");
    let view = View {
        filter: Some(f),
        group: Dimension::Src,
        metric: Metric::Bytes,
        top: 10,
        window: (Some(1_700_000_000), None),
    };
    let table = Table {
        name: "vpc_flow_logs".into(),
        partitions: Partitions::Day,
    };
    if let Ok(sql) = vpctop::query::athena::query(&view, &table, &schema) {
        assert_printable(&sql.replace('\n', " "));
    }
    if let Ok(q) = vpctop::query::insights::query(&view, &schema) {
        assert_printable(&q.replace('\n', " "));
    }
}

fuzz_target!(|case: Case<'_>| {
    match Filter::parse(case.text) {
        Ok(f) => {
            reparses(&f);
            let _ = f.fields();
            let _ = f.required_column_tests();
            let _ = f.single_host();
            let condition = f.condition();
            let _ = condition.unsupported();
            queries_are_printable(&f);
            // A conjunction with a built key prints and reads back too.
            reparses(&f.and(&Filter::port(Side::Dst, case.port)));
        }
        Err(e) => {
            assert!(
                e.column >= 1 && e.column <= case.text.chars().count() + 1,
                "column {} outside {:?}",
                e.column,
                case.text
            );
            assert_printable(&e.to_string());
        }
    }
    let addr: IpAddr = if case.v6 {
        case.addr.into()
    } else {
        <[u8; 4]>::try_from(&case.addr[..4])
            .expect("four bytes")
            .into()
    };
    for side in [Side::Src, Side::Dst, Side::Either] {
        reparses(&Filter::addr(side, addr));
        reparses(&Filter::port(side, case.port));
        reparses(&Filter::port_from(side, case.port));
    }
    reparses(&Filter::protocol(case.proto));
    // An interface id comes from a log line: anything without a control character and not
    // holding both kinds of quote has a text form (the others print escaped).
    let interface = Filter::interface(case.id);
    assert_printable(&interface.to_string());
    // Its queries hold no control character either: Athena spells one as an escape, Logs
    // Insights refuses the view.
    queries_are_printable(&interface);
    if !case.id.chars().any(char::is_control) && !(case.id.contains('\'') && case.id.contains('"'))
    {
        reparses(&interface);
        reparses(&interface.and(&Filter::addr(Side::Src, addr)));
    }
});
