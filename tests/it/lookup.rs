//! What members type, and what trilha finds.

use trilha::i18n::Locale;
use trilha::reply::{count, limits};
use trilha::roadmap::{Node, search::Tier};

use crate::support::roadmap;

/// How a query should be answered.
enum Expect {
    /// Resolves directly to this id.
    Found(&'static str),
    /// Resolves to this id and offers these alternatives.
    FoundWithAlternatives(&'static str, &'static [&'static str]),
    /// Nothing resolves; "did you mean" leads with this id.
    Suggests(&'static str),
    /// Nothing resolves and nothing is close.
    Nothing,
}
use Expect::*;

const TABLE: &[(&str, Expect)] = &[
    // Sections, in both languages, with and without accents.
    ("databases", Found("databases")),
    ("Bancos de dados", Found("databases")),
    ("banco de dados", Found("databases")),
    ("linguagens", Found("languages")),
    ("Linguagem de programação", Found("languages")),
    ("linguagem de programacao", Found("languages")),
    ("programming language", Found("languages")),
    ("frameworks", Found("frameworks")),
    ("message brokers", Found("message-brokers")),
    ("mensageria", Found("message-brokers")),
    ("MENSAGERIA", Found("message-brokers")),
    ("filas", Found("message-brokers")),
    ("motores de busca", Found("search-engines")),
    ("search engines", Found("search-engines")),
    ("controle de versão", Found("version-control")),
    ("controle de versao", Found("version-control")),
    ("version control", Found("version-control")),
    ("estruturas de dados", Found("os-fundamentals")),
    ("sistema operacional", Found("os-fundamentals")),
    ("conceitos fundamentais", Found("fundamental-concepts")),
    ("containerização", Found("containers")),
    ("containerizacao", Found("containers")),
    ("servidores web", Found("web-servers")),
    ("web servers", Found("web-servers")),
    ("frontend", Found("frontend-basics")),
    // Groups.
    ("relacional", Found("relational-databases")),
    ("NoSQL", Found("nosql-databases")),
    ("não relacional", Found("nosql-databases")),
    ("design patterns", Found("design-patterns")),
    ("padrões de projeto", Found("design-patterns")),
    ("cache", Found("caching")),
    ("testes", Found("testing")),
    ("autenticação", Found("api-authentication")),
    ("arquitetura", Found("architecture")),
    // Items by name, any case.
    ("kafka", Found("kafka")),
    ("KAFKA", Found("kafka")),
    ("Apache Kafka", Found("kafka")),
    ("PostgreSQL", Found("postgresql")),
    ("mysql", Found("mysql")),
    ("MariaDB", Found("mariadb")),
    ("redis", Found("redis")),
    ("Docker", Found("docker")),
    ("git", Found("git")),
    ("GIT", Found("git")),
    ("rabbitmq", Found("rabbitmq")),
    ("elasticsearch", Found("elasticsearch")),
    ("django", Found("django")),
    ("laravel", Found("laravel")),
    ("spring", Found("spring")),
    ("singleton", Found("singleton")),
    ("rest", Found("rest")),
    ("oauth", Found("oauth")),
    // Usual short forms.
    ("postgres", Found("postgresql")),
    ("pg", Found("postgresql")),
    ("node", Found("nodejs")),
    ("Node.JS", Found("nodejs")),
    ("nodejs", Found("nodejs")),
    ("c#", Found("csharp")),
    ("C#", Found("csharp")),
    ("csharp", Found("csharp")),
    (".net", Found("dotnet")),
    (".NET Framework", Found("dotnet")),
    ("dotnet", Found("dotnet")),
    ("asp.net core", Found("dotnet")),
    ("mongo", Found("mongodb")),
    ("golang", Found("go")),
    ("mssql", Found("sql-server")),
    ("sql server", Found("sql-server")),
    ("spring boot", Found("spring")),
    ("rails", Found("rails")),
    ("express.js", Found("express")),
    ("docker compose", Found("docker")),
    // The card's own spellings.
    ("Kineses", Found("kinesis")),
    ("synphony", Found("symfony")),
    ("cake", Found("cakephp")),
    ("Serveless", Found("serverless")),
    ("Micro Servico", Found("microservices")),
    ("Basic Autentication", Found("basic-auth")),
    ("MS SQLServer", Found("sql-server")),
    ("Façade", Found("facade")),
    ("Facade", Found("facade")),
    ("I / O", Found("io")),
    ("gerenciamento de memoria", Found("memory-management")),
    ("thread", Found("threads")),
    ("NGinx", Found("nginx")),
    // Portuguese names of concepts.
    ("microsserviços", Found("microservices")),
    ("testes unitários", Found("unit-tests")),
    ("teste unitario", Found("unit-tests")),
    ("testes de integração", Found("integration-tests")),
    ("autenticação por token", Found("token-auth")),
    ("cache no servidor", Found("server-side-caching")),
    ("gerenciamento de memória", Found("memory-management")),
    ("conceitos básicos de rede", Found("networking-basics")),
    ("linha de comando", Found("terminal")),
    // English names of the same concepts.
    ("unit tests", Found("unit-tests")),
    ("memory management", Found("memory-management")),
    ("networking basics", Found("networking-basics")),
    ("monolithic architecture", Found("monolith")),
    ("client-side caching", Found("client-side-caching")),
    // A word only one item carries resolves to it.
    ("jwt", Found("token-auth")),
    // Ambiguity: the card's meaning wins, the alternative is offered.
    ("proxy", FoundWithAlternatives("proxy", &["nginx"])),
    ("reverse proxy", Found("nginx")),
    // Typos: "did you mean".
    ("kafak", Suggests("kafka")),
    ("postgrs", Suggests("postgresql")),
    ("postgre", Suggests("postgresql")),
    ("rabit", Suggests("rabbitmq")),
    ("elasticsearh", Suggests("elasticsearch")),
    ("djngo", Suggests("django")),
    ("dokcer", Suggests("docker")),
    ("kubernets", Nothing),
    ("mongdb", Suggests("mongodb")),
    ("lavarel", Suggests("laravel")),
    ("singelton", Suggests("singleton")),
    ("obsever", Suggests("observer")),
    ("microservicos", Found("microservices")),
    ("microservico", Found("microservices")),
    ("microservics", Suggests("microservices")),
    // Several items share a word: no guess, suggestions instead.
    ("streaming", Suggests("kafka")),
    ("xyzzy", Nothing),
];

fn describe(node: Option<Node>) -> String {
    node.map(|n| roadmap().node_id(n).to_string())
        .unwrap_or_else(|| "nothing".into())
}

#[test]
fn the_lookup_table() {
    let roadmap = roadmap();
    assert!(TABLE.len() >= 80, "the table has {} queries", TABLE.len());
    let mut failures = Vec::new();
    for (query, expect) in TABLE {
        let r = roadmap.resolve(query);
        let alternatives: Vec<&str> = r.alternatives.iter().map(|&n| roadmap.node_id(n)).collect();
        let ok = match expect {
            Found(id) => r.found.is_some_and(|n| roadmap.node_id(n) == *id),
            FoundWithAlternatives(id, alts) => {
                r.found.is_some_and(|n| roadmap.node_id(n) == *id) && alternatives == *alts
            }
            Suggests(id) => {
                r.found.is_none()
                    && r.suggestions
                        .first()
                        .is_some_and(|&n| roadmap.node_id(n) == *id)
            }
            Nothing => r.found.is_none() && r.suggestions.is_empty(),
        };
        if !ok {
            failures.push(format!(
                "{query:?}: found {}, alternatives {alternatives:?}, suggestions {:?}",
                describe(r.found),
                r.suggestions
                    .iter()
                    .map(|&n| roadmap.node_id(n))
                    .collect::<Vec<_>>()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} queries failed:\n{}",
        failures.len(),
        TABLE.len(),
        failures.join("\n")
    );
}

/// Every name and alias a member could start typing.
fn typed_terms() -> Vec<(String, Node)> {
    let roadmap = roadmap();
    let mut terms = Vec::new();
    for (s, section) in roadmap.sections() {
        for t in [&section.name.pt_br, &section.name.en]
            .into_iter()
            .chain(&section.aliases)
        {
            terms.push((t.clone(), Node::Section(s)));
        }
    }
    for (g, group) in roadmap.groups() {
        for t in [&group.name.pt_br, &group.name.en]
            .into_iter()
            .chain(&group.aliases)
        {
            terms.push((t.clone(), Node::Group(g)));
        }
    }
    for (i, item) in roadmap.items() {
        for t in [&item.name.pt_br, &item.name.en]
            .into_iter()
            .chain(&item.aliases)
        {
            terms.push((t.clone(), Node::Item(i)));
        }
    }
    terms
}

#[test]
fn autocomplete_stays_within_discords_limits_for_every_prefix_of_every_name() {
    let roadmap = roadmap();
    let mut prefixes = 0;
    for (term, _) in typed_terms() {
        let chars: Vec<char> = term.chars().collect();
        for end in 0..=chars.len() {
            let prefix: String = chars[..end].iter().collect();
            for locale in Locale::ALL {
                let choices = trilha::commands::roadmap_choices(&roadmap, &prefix, locale);
                assert!(
                    choices.len() <= limits::CHOICES,
                    "{prefix:?}: {} choices",
                    choices.len()
                );
                for c in &choices {
                    let n = count(&c.name);
                    assert!(
                        (1..=limits::CHOICE_NAME).contains(&n),
                        "{prefix:?}: choice name {:?} is {n} chars",
                        c.name
                    );
                    assert!(count(&c.value) <= limits::CHOICE_VALUE);
                }
            }
            prefixes += 1;
        }
    }
    assert!(prefixes > 1000, "only {prefixes} prefixes checked");
}

#[test]
fn typing_a_whole_name_offers_it_first() {
    let roadmap = roadmap();
    for (term, node) in typed_terms() {
        let top = roadmap.suggest(&term, 25, |_| true);
        let first = top
            .first()
            .unwrap_or_else(|| panic!("{term:?}: no suggestions"));
        assert_eq!(first.tier, Tier::Exact, "{term:?}: best match is not exact");
        assert_eq!(
            first.node,
            node,
            "{term:?}: offers {} first",
            describe(Some(first.node))
        );
    }
}

#[test]
fn an_empty_query_offers_the_sections_first() {
    let roadmap = roadmap();
    let choices = roadmap.suggest("", 25, |_| true);
    assert_eq!(choices.len(), 25);
    let sections = roadmap.section_count();
    assert!(
        choices[..sections]
            .iter()
            .all(|s| matches!(s.node, Node::Section(_)))
    );
}

#[test]
fn suggestions_respect_the_filter() {
    let roadmap = roadmap();
    let items_only = roadmap.suggest("data", 25, |n| matches!(n, Node::Item(_)));
    assert!(!items_only.is_empty());
    assert!(items_only.iter().all(|s| matches!(s.node, Node::Item(_))));
}
