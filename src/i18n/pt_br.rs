//! Textos em português do Brasil (a língua principal da comunidade).

use super::{CommandTexts, Texts};

pub static TEXTS: Texts = Texts {
    internal_error: "Algo deu errado do meu lado e já avisei quem cuida do bot. Tente de novo em instantes.",
    needs_guild: "Esse comando só funciona dentro de um servidor: o progresso e o ranking são de cada comunidade. Use-o em um canal do servidor.",
    needs_manage_guild: "Só quem tem a permissão **Gerenciar servidor** pode usar esse comando.",
    stale_button: "Esse botão é de uma versão antiga da mensagem. Use o comando de novo para ver a versão atual.",
    page_indicator: "Página {page} de {pages}",
    button_previous: "Anterior",
    button_next: "Próxima",
    list_separator: ", ",
    requirement_pick: "escolha {count}",
    requirement_all: "todos",
    requirement_optional: "opcional",
    overview_footer: "Use /roadmap <tópico> para ver uma seção ou um item em detalhe.",
    overview_milestone: "**Meta:** {milestone}: cumprir o requisito de cada seção.",
    section_footer: "Use /roadmap <item> para ver descrição, exercícios e links.",
    section_choice_suffix: "seção",
    group_choice_suffix: "grupo em {section}",
    item_field_why: "Por que importa",
    item_field_prompts: "Para estudar",
    item_field_links: "Documentação oficial",
    item_field_section: "No roadmap",
    item_field_related: "Relacionados",
    item_footer: "id: {id}",
    continued: "(continuação)",
    not_found_title: "Não encontrei \"{query}\"",
    not_found_body: "Nada no roadmap corresponde a **{query}**.",
    not_found_suggestions: "Você quis dizer: {suggestions}?",
    not_found_no_suggestions: "Nenhum nome parecido. Comece por uma seção: {sections}. Ou digite uma ferramenta (por exemplo, kafka), ou use /roadmap sem nada para ver tudo.",
    also_see: "Procurando outra coisa? Também existe: {alternatives}.",
};

pub static COMMANDS: CommandTexts = CommandTexts {
    entries: &[
        (
            "roadmap",
            "roadmap",
            "Mostra o roadmap, uma seção ou um item",
        ),
        (
            "roadmap.topic",
            "tópico",
            "Seção ou item (por exemplo: bancos de dados, kafka)",
        ),
    ],
};
