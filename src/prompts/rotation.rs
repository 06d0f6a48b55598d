//! Which option a study prompt is about.
//!
//! A server sees every option of its pool (the whole roadmap, or the focused section) before
//! any repeats: the candidates are the options posted the fewest times. Among them, what members
//! are learning now comes first, then what few have done, then card order; never the option of
//! the previous post. The choice depends only on the server's history, so it is repeatable.

use crate::roadmap::{ItemIdx, Roadmap};

/// Members learning and having done an item in a server.
pub use crate::progress::Popularity as Counts;

/// The next option, given what was posted before (oldest first). `None` for an empty pool.
pub fn choose(
    roadmap: &Roadmap,
    pool: &[ItemIdx],
    posted: &[String],
    counts: &Counts,
) -> Option<ItemIdx> {
    let times = |i: ItemIdx| posted.iter().filter(|p| **p == roadmap.item(i).id).count();
    let cycle = pool.iter().map(|&i| times(i)).min()?;
    let last = posted.last().and_then(|id| roadmap.item_by_id(id));
    let mut candidates: Vec<(std::cmp::Reverse<u64>, u64, ItemIdx)> = pool
        .iter()
        .filter(|&&i| times(i) == cycle)
        .map(|&i| {
            let (learning, done) = counts.get(&i).copied().unwrap_or((0, 0));
            (std::cmp::Reverse(learning), done, i)
        })
        .collect();
    candidates.sort();
    candidates
        .iter()
        .map(|c| c.2)
        .find(|&i| Some(i) != last)
        .or_else(|| {
            // Every candidate is the last one (a cycle just ended on it): take the best of the
            // next cycle instead, unless the pool has a single option.
            let others: Vec<ItemIdx> = pool.iter().copied().filter(|&i| Some(i) != last).collect();
            choose(roadmap, &others, posted, counts).or(last)
        })
}

/// Which of an item's study prompts to use: they take turns as the item comes back.
pub fn prompt_index(roadmap: &Roadmap, item: ItemIdx, posted: &[String]) -> usize {
    let n = roadmap.item(item).prompts.len().max(1);
    posted
        .iter()
        .filter(|p| **p == roadmap.item(item).id)
        .count()
        % n
}

/// The pool of a server: the focused section's items, or the whole roadmap.
pub fn pool(roadmap: &Roadmap, section: Option<&str>) -> Vec<ItemIdx> {
    match section.and_then(|s| roadmap.section_by_id(s)) {
        Some(s) => roadmap.section(s).items.clone(),
        None => roadmap.items().map(|(i, _)| i).collect(),
    }
}

/// The next `count` choices, assuming each is posted.
pub fn preview(
    roadmap: &Roadmap,
    pool: &[ItemIdx],
    posted: &[String],
    counts: &Counts,
    count: usize,
) -> Vec<(ItemIdx, usize)> {
    let mut history = posted.to_vec();
    let mut out = Vec::new();
    for _ in 0..count {
        let Some(item) = choose(roadmap, pool, &history, counts) else {
            break;
        };
        out.push((item, prompt_index(roadmap, item, &history)));
        history.push(roadmap.item(item).id.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::roadmap::shipped_for_tests as roadmap;

    #[test]
    fn every_option_comes_once_before_any_repeats() {
        let r = roadmap();
        let pool = pool(&r, None);
        let picks = preview(&r, &pool, &[], &Counts::new(), pool.len() * 2);
        let first: std::collections::BTreeSet<ItemIdx> =
            picks[..pool.len()].iter().map(|p| p.0).collect();
        assert_eq!(
            first.len(),
            pool.len(),
            "the first cycle covers every option exactly once"
        );
        let second: std::collections::BTreeSet<ItemIdx> =
            picks[pool.len()..].iter().map(|p| p.0).collect();
        assert_eq!(second.len(), pool.len(), "and so does the second");
        for w in picks.windows(2) {
            assert_ne!(w[0].0, w[1].0, "never the same option twice in a row");
        }
        // The second time an item comes, it uses its next study prompt (when it has several).
        let kafka = r.item_by_id("kafka").unwrap();
        let turns: Vec<usize> = picks.iter().filter(|p| p.0 == kafka).map(|p| p.1).collect();
        assert_eq!(turns, vec![0, 1]);
    }

    #[test]
    fn what_members_learn_comes_first_then_what_few_have_done() {
        let r = roadmap();
        let id = |s: &str| r.item_by_id(s).unwrap();
        let pool = pool(&r, Some("message-brokers"));
        let counts: Counts = [
            (id("sqs"), (5, 0)),
            (id("kafka"), (2, 40)),
            (id("rabbitmq"), (2, 3)),
        ]
        .into();
        let picks: Vec<ItemIdx> = preview(&r, &pool, &[], &counts, 5)
            .into_iter()
            .map(|p| p.0)
            .collect();
        assert_eq!(
            picks,
            vec![
                id("sqs"),
                id("rabbitmq"),
                id("kafka"),
                id("kinesis"),
                id("sns")
            ]
        );
    }

    #[test]
    fn a_new_cycle_never_starts_with_the_option_that_ended_the_last() {
        let r = roadmap();
        let pool = pool(&r, Some("search-engines")); // elasticsearch, solr
        // Both were posted once and Solr was last. Solr has more learners, so it would lead the
        // new cycle; because it ended the previous one, Elasticsearch goes first.
        let counts: Counts = [(r.item_by_id("solr").unwrap(), (9, 0))].into();
        let posted = vec!["elasticsearch".to_string(), "solr".to_string()];
        assert_eq!(
            choose(&r, &pool, &posted, &counts),
            r.item_by_id("elasticsearch")
        );
        // A single-option pool repeats: nothing else to post.
        let git = pool_of(&r, "version-control");
        assert_eq!(
            choose(&r, &git, &["git".to_string()], &Counts::new()),
            r.item_by_id("git")
        );
    }

    fn pool_of(r: &Roadmap, section: &str) -> Vec<ItemIdx> {
        pool(r, Some(section))
    }

    #[test]
    fn the_choice_depends_only_on_history() {
        let r = roadmap();
        let pool = pool(&r, None);
        let posted: Vec<String> = ["kafka", "redis", "git"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let a = preview(&r, &pool, &posted, &Counts::new(), 10);
        let b = preview(&r, &pool, &posted, &Counts::new(), 10);
        assert_eq!(a, b);
    }
}
