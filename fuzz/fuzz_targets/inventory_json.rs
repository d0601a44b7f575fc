//! Inventory JSON (what `aws ec2 describe-*` prints, files separated here by NUL bytes):
//! loading never panics, an error names where it is in words safe to print, and everything
//! asked of a loaded inventory (names, places, scopes, the verdict on a packet through its
//! security groups and network ACLs) answers without panicking.
#![no_main]

use std::net::IpAddr;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vpctop::inventory::Inventory;
use vpctop::inventory::rules::Packet;
use vpctop_fuzz::assert_printable;

fuzz_target!(|data: &[u8]| {
    let names = [
        "a.json", "b.json", "c.json", "d.json", "e.json", "f.json", "g.json", "h.json",
    ];
    let files: Vec<(&Path, &[u8])> = data
        .split(|b| *b == 0)
        .take(names.len())
        .enumerate()
        .map(|(i, text)| (Path::new(names[i]), text))
        .collect();
    let inventory = match Inventory::from_json(files) {
        Ok(inv) => inv,
        Err(e) => {
            assert_printable(&e.to_string());
            return;
        }
    };
    let addresses: Vec<IpAddr> = [
        "10.0.1.10",
        "10.0.2.20",
        "10.0.3.30",
        "10.1.0.5",
        "203.0.113.9",
        "0.0.0.0",
        "255.255.255.255",
        "2001:db8::1",
        "::",
    ]
    .iter()
    .filter_map(|a| a.parse().ok())
    .collect();
    for &src in &addresses {
        let _ = inventory.name_of(src);
        let _ = inventory.never_logged(src);
        let _ = inventory.place(src);
        for &dst in &addresses {
            let _ = inventory.scope(Some(src), Some(dst));
            for (protocol, dstport) in [(6, 22), (6, 443), (17, 53), (1, 0), (50, 0)] {
                let verdict = inventory.judge(Packet {
                    src,
                    dst,
                    srcport: 40000,
                    dstport,
                    protocol,
                });
                let _ = verdict.text();
            }
        }
    }
});
