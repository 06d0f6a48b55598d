//! Roadmap benchmarks: autocomplete per keystroke, and load + validate.
//!
//! Run: `cargo bench --bench roadmap`

#[path = "timing.rs"]
mod timing;

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use trilha::i18n::Locale;

/// What members type, keystroke by keystroke: names, aliases, Portuguese, typos, misses.
const TYPED: &[&str] = &[
    "kafka",
    "postgres",
    "banco de dados",
    "message brokers",
    "linguagem de programação",
    "node.js",
    "c#",
    ".net",
    "mongo",
    "elasticsearch",
    "gerenciamento de memória",
    "microsserviços",
    "design patterns",
    "autenticação por token",
    "redis",
    "docker",
    "nginx",
    "spring boot",
    "laravel",
    "kineses",
    "synphony",
    "postgrs",
    "elasticsearh",
    "xyzzy",
    "testes de integração",
    "cache no servidor",
    "servidores web",
    "frameworks python",
    "rabbitmq",
    "serverless",
];

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("roadmap");
    let roadmap = trilha::roadmap::load_dir(&dir).expect("the shipped roadmap loads");

    let keystrokes: Vec<String> = TYPED
        .iter()
        .flat_map(|word| {
            let chars: Vec<char> = word.chars().collect();
            (1..=chars.len()).map(move |n| chars[..n].iter().collect::<String>())
        })
        .collect();
    // Warm up caches and the allocator.
    for k in &keystrokes {
        black_box(trilha::commands::roadmap_choices(&roadmap, k, Locale::PtBr));
    }
    let rounds = 200;
    let stats = timing::time_each(keystrokes.len() * rounds, |i| {
        let k = &keystrokes[i % keystrokes.len()];
        let locale = if i % 2 == 0 { Locale::PtBr } else { Locale::En };
        black_box(trilha::commands::roadmap_choices(
            &roadmap,
            black_box(k),
            locale,
        ));
    });
    println!(
        "{} keystrokes over {} typed queries, {} rounds",
        keystrokes.len(),
        TYPED.len(),
        rounds
    );
    timing::report(
        "autocomplete per keystroke (25 choices)",
        &stats,
        Some(Duration::from_micros(50)),
    );

    let stats = timing::time_each(keystrokes.len() * rounds, |i| {
        black_box(roadmap.resolve(black_box(&keystrokes[i % keystrokes.len()])));
    });
    timing::report("resolve (exact, keyword, did-you-mean)", &stats, None);

    let stats = timing::time_each(200, |_| {
        black_box(trilha::roadmap::load_dir(black_box(&dir)).expect("loads"));
    });
    timing::report(
        "load + validate roadmap/ (read, parse, index)",
        &stats,
        Some(Duration::from_millis(20)),
    );
}
