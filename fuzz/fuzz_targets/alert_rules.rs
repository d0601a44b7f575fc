//! The alerts file (TOML): reading it never panics; an error's offset lies inside the text
//! (the file is the user's own, so its message is not held to escaping); a rule read has a filter that prints and reads back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpctop::alerts::{Config, parse_rules};
use vpctop::filter::Filter;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut config = Config::default();
    match parse_rules(text, &mut config, None) {
        Ok(()) => {
            for rule in &config.rules {
                let printed = rule.counter.filter.to_string();
                let again = Filter::parse(&printed).expect("a rule's filter reads back");
                assert_eq!(&again, &*rule.counter.filter);
            }
            let _ = config.rule_counters();
        }
        Err((at, message)) => {
            assert!(at <= text.len(), "offset {at} past {}", text.len());
            let _ = message;
        }
    }
});
