//! `trilha ask`, as an operator or content author uses it.

use crate::support::{Sandbox, json, stderr, stdout};

#[test]
fn a_section_shows_its_relational_and_nosql_groups() {
    let out = Sandbox::new().ask(&["/roadmap databases"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("━━ Bancos de dados ━━"), "{text}");
    assert!(
        text.contains("Bancos relacionais (SQL) (escolha 1)"),
        "{text}"
    );
    assert!(
        text.contains("Bancos não relacionais (NoSQL) (escolha 1)"),
        "{text}"
    );
    assert!(
        text.contains("PostgreSQL") && text.contains("MongoDB"),
        "{text}"
    );
}

#[test]
fn english_members_get_english() {
    let out = Sandbox::new().ask(&["/roadmap kafka", "--locale", "en-US"]);
    let text = stdout(&out);
    assert!(text.contains("━━ Apache Kafka ━━"), "{text}");
    assert!(
        text.contains("Why it matters") && text.contains("Study prompts"),
        "{text}"
    );
    assert!(!text.contains("Por que importa"), "{text}");
    let pt = stdout(&Sandbox::new().ask(&["/roadmap kafka"]));
    assert!(
        pt.contains("Por que importa") && pt.contains("Para estudar"),
        "{pt}"
    );
}

#[test]
fn the_cards_typo_finds_kinesis() {
    let text = stdout(&Sandbox::new().ask(&["/roadmap Kineses"]));
    assert!(text.contains("━━ Amazon Kinesis ━━"), "{text}");
}

#[test]
fn an_unknown_topic_is_a_friendly_answer_with_suggestions_not_an_error() {
    let sandbox = Sandbox::new();
    let out = sandbox.ask(&["/roadmap xyzzy"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "a member's typo is not an operator error"
    );
    let text = stdout(&out);
    assert!(text.contains("Não encontrei \"xyzzy\""), "{text}");
    assert!(
        text.contains("**Bancos de dados**"),
        "sections are suggested: {text}"
    );
    let out = sandbox.ask(&["/roadmap kafak", "--locale", "en-US"]);
    let text = stdout(&out);
    assert!(text.contains("Did you mean: **Apache Kafka**?"), "{text}");
    assert!(
        text.contains("--press 'v1|rm|kafka|0'"),
        "a button opens the suggestion: {text}"
    );
}

#[test]
fn autocomplete_prints_choices_and_discords_body() {
    let sandbox = Sandbox::new();
    let text = stdout(&sandbox.ask(&["--autocomplete", "/roadmap kaf"]));
    assert!(
        text.lines().next().unwrap().starts_with("Apache Kafka"),
        "{text}"
    );
    assert!(text.contains("->  kafka"), "{text}");
    let body = json(&sandbox.ask(&["--autocomplete", "/roadmap kaf", "--json"]));
    assert_eq!(body["type"], 8);
    assert_eq!(body["data"]["choices"][0]["value"], "kafka");
}

#[test]
fn json_is_the_interaction_response_body() {
    let body = json(&Sandbox::new().ask(&["/roadmap git", "--json"]));
    assert_eq!(body["type"], 4);
    assert_eq!(body["data"]["flags"], 64, "ephemeral");
    assert_eq!(body["data"]["embeds"][0]["title"], "Git");
    assert_eq!(
        body["data"]["allowed_mentions"]["parse"],
        serde_json::json!([]),
        "pings nobody"
    );
}

#[test]
fn portuguese_command_and_option_names_work() {
    let text = stdout(&Sandbox::new().ask(&["/roadmap tópico:redis"]));
    assert!(text.contains("━━ Redis ━━"), "{text}");
}

#[test]
fn buttons_can_be_pressed_offline() {
    let sandbox = Sandbox::new();
    let body = json(&sandbox.ask(&["--press", "v1|rm|nginx|0", "--json"]));
    assert_eq!(body["type"], 7, "a button updates its message");
    assert_eq!(body["data"]["embeds"][0]["title"], "NGINX");
    let body = json(&sandbox.ask(&["--press", "v0|something|old", "--json"]));
    assert!(
        body["data"]["embeds"][0]["description"]
            .as_str()
            .unwrap()
            .contains("versão antiga")
    );
}

#[test]
fn operator_mistakes_exit_2_with_a_message() {
    let sandbox = Sandbox::new();
    let out = sandbox.ask(&["/nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("there is no command /nope"),
        "{}",
        stderr(&out)
    );
    let out = sandbox.ask(&["/roadmap", "--locale", "klingon"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--locale"), "{}", stderr(&out));
}

#[test]
fn the_database_file_is_created_with_its_folder() {
    let sandbox = Sandbox::new();
    assert!(!sandbox.database().exists());
    assert!(sandbox.ask(&["/roadmap"]).status.success());
    assert!(sandbox.database().exists());
}

#[test]
fn every_command_answers_in_portuguese_and_in_english() {
    let sandbox = Sandbox::new();
    // (command, a phrase of the pt-BR reply, a phrase of the en reply)
    let cases = [
        (
            "/done kafka",
            "✅ Apache Kafka: concluído",
            "✅ Apache Kafka: done",
        ),
        (
            "/learning redis",
            "📖 Redis: estudando",
            "📖 Redis: learning",
        ),
        ("/skip ruby", "⏭️ Ruby: pulado", "⏭️ Ruby: skipped"),
        ("/undo ruby", "↩️ Ruby: desmarcado", "↩️ Ruby: unmarked"),
        ("/progress", "📊 Progresso", "📊 Progress"),
        ("/next", "🧭 Próximo passo", "🧭 Next step"),
        (
            "/leaderboard",
            "🏆 Ranking · esta semana",
            "🏆 Ranking · esta semana",
        ),
        (
            "/leaderboard all",
            "🏆 Ranking · geral",
            "🏆 Ranking · geral",
        ),
        (
            "/config timezone America/Manaus",
            "agora é **America/Manaus**",
            "is now **America/Manaus**",
        ),
        (
            "/config language auto",
            "seguem o idioma do servidor",
            "follow the server's Discord language",
        ),
        ("/roadmap kafka", "Por que importa", "Why it matters"),
    ];
    for (command, pt, en) in cases {
        // One member per language, so each goes through the whole sequence (an English /undo
        // must undo something, not answer that there is nothing to undo).
        for (locale, user, phrase) in [("pt-BR", "42", pt), ("en-US", "43", en)] {
            let out = sandbox.ask(&[
                command, "--guild", "1", "--user", user, "--admin", "--locale", locale,
            ]);
            assert!(out.status.success(), "{command} ({locale}): {out:?}");
            let text = stdout(&out);
            assert!(
                text.contains(phrase),
                "{command} ({locale}) lacks {phrase:?}:\n{text}"
            );
        }
    }
    // The public leaderboard follows the server's language, not the member's: once an admin
    // chooses English, both members get English.
    sandbox.ask(&[
        "/config language en",
        "--guild",
        "1",
        "--user",
        "42",
        "--admin",
    ]);
    let text = stdout(&sandbox.ask(&[
        "/leaderboard",
        "--guild",
        "1",
        "--user",
        "42",
        "--locale",
        "pt-BR",
    ]));
    assert!(
        text.contains("🏆 Leaderboard · this week") && text.contains("[new message, public]"),
        "{text}"
    );
}

#[test]
fn progress_commands_in_a_dm_explain_that_they_need_a_server() {
    let sandbox = Sandbox::new();
    for (command, locale, phrase) in [
        ("/done kafka", "pt-BR", "só funciona dentro de um servidor"),
        ("/progress", "en-US", "only works inside a server"),
        ("/leaderboard", "pt-BR", "só funciona dentro de um servidor"),
    ] {
        let out = sandbox.ask(&[command, "--locale", locale]);
        assert_eq!(out.status.code(), Some(0));
        assert!(stdout(&out).contains(phrase), "{command}: {}", stdout(&out));
    }
}

#[test]
fn admin_prompt_commands_work_offline_in_both_languages_and_preview_lists_the_next_posts() {
    let sandbox = Sandbox::new();
    let admin = ["--guild", "9", "--user", "42", "--admin"];
    let run = |command: &str, locale: &str| {
        let mut args = vec![command, "--locale", locale];
        args.extend_from_slice(&admin);
        stdout(&sandbox.ask(&args))
    };
    let text = run(
        "/prompts setup channel:<#555> time:9h30 days:seg,qua,sex",
        "pt-BR",
    );
    assert!(
        text.contains(
            "✅ Estudos configurados em <#555>: seg, qua, sex, às 09:30 (America/Sao_Paulo)."
        ),
        "{text}"
    );
    assert!(
        text.contains("Não consegui verificar as permissões"),
        "offline, the check is reported as not done: {text}"
    );
    let text = run("/estudo status", "en-US");
    assert!(
        text.contains("In <#555>, Mon, Wed, Fri, at 09:30 (America/Sao_Paulo).")
            && text.contains("Coming up"),
        "{text}"
    );
    assert!(run("/prompts pause", "pt-BR").contains("Estudos pausados"));
    assert!(run("/prompts now", "en-US").contains("Study prompts are paused"));
    assert!(run("/prompts resume", "en-US").contains("Study prompts resumed. Next post:"));
    assert!(run("/prompts now", "pt-BR").contains("Pedido registrado"));
    // A member without Manage Server is refused, in their language.
    let out = sandbox.ask(&[
        "/prompts status",
        "--guild",
        "9",
        "--user",
        "43",
        "--locale",
        "en-US",
    ]);
    assert!(
        stdout(&out).contains("Only members with the **Manage Server** permission"),
        "{}",
        stdout(&out)
    );

    let out = sandbox
        .trilha()
        .args(["prompts", "preview", "--guild", "9", "--count", "4"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "a header and 4 posts:\n{text}");
    assert!(
        lines[0].starts_with("server 9: channel 555, Mon, Wed, Fri at 09:30 (America/Sao_Paulo)"),
        "operator output is English, never mixed: {text}"
    );
    for line in &lines[1..] {
        assert!(
            line.contains(" 09:30 -03 "),
            "local time in the server's zone: {line}"
        );
        assert!(
            ["Mon", "Wed", "Fri"].iter().any(|d| line.starts_with(d)),
            "only the chosen days: {line}"
        );
    }
    assert!(
        lines[1].contains("Frontend fundamentals") && lines[2].contains("Java"),
        "{text}"
    );
    assert!(
        !["seg", "qua", "todos os dias", "Fundamentos"]
            .iter()
            .any(|pt| text.contains(pt)),
        "no Portuguese in the default (English) preview: {text}"
    );
    // The quoted content can follow the server's language on request; the frame stays English.
    let out = sandbox
        .trilha()
        .args([
            "prompts", "preview", "--guild", "9", "--count", "1", "--locale", "pt-BR",
        ])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(
        text.contains("Mon, Wed, Fri at 09:30") && text.contains("Fundamentos de frontend"),
        "{text}"
    );
    let missing = sandbox
        .trilha()
        .args(["prompts", "preview", "--guild", "10"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("has no study prompts set up"));
}

/// An environment value that is not valid UTF-8 stops trilha with the variable's name (it used
/// to count as unset, silently starting on the default database).
#[test]
fn a_value_that_is_not_utf8_stops_trilha_with_the_variables_name() {
    use std::os::unix::ffi::OsStrExt;
    let sandbox = Sandbox::new();
    let out = sandbox
        .trilha()
        .env(
            "DATABASE_URL",
            std::ffi::OsStr::from_bytes(b"sqlite://\xff.db"),
        )
        .args(["ask", "/roadmap"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        stderr(&out).contains("DATABASE_URL: is not valid UTF-8"),
        "{}",
        stderr(&out)
    );
    assert!(
        !sandbox.dir.path().join("data").exists(),
        "no default database was created"
    );
}

/// Every count a member reads agrees with its number, in both languages.
#[test]
fn counts_read_naturally_in_the_singular_and_the_plural() {
    let sandbox = Sandbox::new();
    let run = |user: &str, command: &str, locale: &str| {
        let out = sandbox.ask(&[command, "--guild", "3", "--user", user, "--locale", locale]);
        assert!(out.status.success(), "{out:?}");
        stdout(&out)
    };
    run("1", "/done kafka", "pt-BR");
    run("1", "/skip ruby", "pt-BR");
    let one = run("1", "/progress", "pt-BR");
    assert!(
        one.contains("✅ 1 concluído · 📖 0 estudando · ⏭️ 1 pulado"),
        "{one}"
    );
    run("1", "/done redis", "pt-BR");
    run("1", "/skip php", "pt-BR");
    let two = run("1", "/progress", "pt-BR");
    assert!(
        two.contains("✅ 2 concluídos · 📖 0 estudando · ⏭️ 2 pulados"),
        "{two}"
    );
    let en = run("1", "/progress", "en-US");
    assert!(
        en.contains("✅ 2 done · 📖 0 learning · ⏭️ 2 skipped"),
        "{en}"
    );
    // "N people in this server" on /next, and the board's "N ranked".
    run("2", "/learning html", "pt-BR");
    let next = run("3", "/next", "pt-BR");
    assert!(
        next.contains("👥 1 pessoa no servidor") && !next.contains("1 pessoas"),
        "{next}"
    );
    let board = run("1", "/leaderboard", "pt-BR");
    assert!(board.contains("1 pessoa no ranking"), "{board}");
    run("2", "/done git", "pt-BR");
    let board = run("1", "/leaderboard", "pt-BR");
    assert!(board.contains("2 pessoas no ranking"), "{board}");
    // Public posts follow the server's language: English once an admin chooses it.
    let out = sandbox.ask(&["/config language en", "--guild", "3", "--admin"]);
    assert!(out.status.success(), "{out:?}");
    let board = run("1", "/leaderboard", "pt-BR");
    assert!(board.contains("2 members ranked"), "{board}");
}

#[test]
fn ask_writes_the_pictures_where_it_is_told_and_only_their_owner_can_share_or_open_them() {
    let sandbox = Sandbox::new();
    let done = sandbox.ask(&["/done kafka", "--guild", "5", "--user", "1"]);
    assert!(done.status.success(), "{done:?}");
    let out = sandbox.dir.path().join("pictures");
    let out_arg = out.to_str().unwrap();
    let progress = sandbox.ask(&[
        "/progress",
        "--guild",
        "5",
        "--user",
        "1",
        "--name",
        "Ana Souza",
        "--out",
        out_arg,
    ]);
    assert!(progress.status.success(), "{}", stderr(&progress));
    let text = stdout(&progress);
    assert!(
        text.contains("📎 trilha-summary.png") && text.contains("Ana Souza"),
        "{text}"
    );
    assert!(
        !text.contains("[image:"),
        "the summary leads, not as the embed's image: {text}"
    );
    let png = std::fs::read(out.join("trilha-summary.png")).expect("the summary was written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(
        stderr(&progress).contains("wrote "),
        "{}",
        stderr(&progress)
    );

    // Someone else pressing the owner's Share or Full map button is told it is not theirs;
    // nothing is posted or drawn.
    for (button, refusal) in [
        ("v1|sh|1", "Só quem abriu este cartão pode compartilhá-lo"),
        (
            "v1|fm|1|1",
            "Só quem abriu este cartão pode abrir o mapa completo",
        ),
    ] {
        let other = sandbox.ask(&["--press", button, "--guild", "5", "--user", "2"]);
        let text = stdout(&other);
        assert!(text.contains("only you can see this"), "{text}");
        assert!(text.contains(refusal), "{text}");
        assert!(!text.contains("📎"), "{text}");
    }
    // The owner's presses: the summary posted publicly, the full card written privately.
    let owner = sandbox.ask(&["--press", "v1|sh|1", "--guild", "5", "--user", "1"]);
    let text = stdout(&owner);
    assert!(text.contains("[new message, public]"), "{text}");
    assert!(text.contains("📎 trilha-summary.png"), "{text}");
    let full = sandbox.ask(&[
        "--press",
        "v1|fm|1|1",
        "--guild",
        "5",
        "--user",
        "1",
        "--out",
        out_arg,
    ]);
    let text = stdout(&full);
    assert!(text.contains("only you can see this"), "{text}");
    assert!(text.contains("📎 trilha-roadmap.png"), "{text}");
    let png = std::fs::read(out.join("trilha-roadmap.png")).expect("the full card was written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn render_sample_writes_every_picture_in_both_languages() {
    let sandbox = Sandbox::new();
    let out = sandbox.dir.path().join("samples");
    let run = sandbox
        .trilha()
        .args(["render-sample", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "card-complete.en-US.png",
            "card-complete.pt-BR.png",
            "card-empty.en-US.png",
            "card-empty.pt-BR.png",
            "card-half.en-US.png",
            "card-half.pt-BR.png",
            "heatmap.en-US.png",
            "heatmap.pt-BR.png",
            "leaderboard.en-US.png",
            "leaderboard.pt-BR.png",
            "summary-complete.en-US.png",
            "summary-complete.pt-BR.png",
            "summary-empty.en-US.png",
            "summary-empty.pt-BR.png",
            "summary-half.en-US.png",
            "summary-half.pt-BR.png",
        ]
    );
    for file in files {
        let data = std::fs::read(out.join(&file)).unwrap();
        let reader = png::Decoder::new(std::io::Cursor::new(data))
            .read_info()
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(reader.info().width, 1200, "{file}");
    }
}

#[test]
fn the_quiz_works_offline_question_then_press() {
    let sandbox = Sandbox::new();
    let out = sandbox.ask(&["/quiz kafka", "--guild", "5"]);
    let text = stdout(&out);
    assert!(text.contains("━━ 🧠 Quiz: Apache Kafka ━━"), "{text}");
    for letter in ["**A)**", "**B)**", "**C)**", "**D)**"] {
        assert!(text.contains(letter), "{text}");
    }
    let id = text
        .split("--press '")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a button")
        .to_string();
    let pressed = sandbox.ask(&["--press", &id, "--guild", "5"]);
    let verdict = stdout(&pressed);
    assert!(verdict.contains("[updates the message"), "{verdict}");
    assert!(
        verdict.contains("▸ Resposta certa") && verdict.contains("▸ Por quê"),
        "{verdict}"
    );
}
