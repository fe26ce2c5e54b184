//! Why the edition holds what it holds, in words an editor reads in a
//! terminal: each story's section and score parts, then the runners-up and
//! what was kept out as not news.

use crate::domain::Section;
use crate::pick::Pick;
use crate::pipeline::Built;
use std::fmt::Write;

/// Items not news listed by name; the rest are counted.
const NOT_NEWS_SHOWN: usize = 12;

pub fn explain(built: &Built) -> String {
    let mut out = String::new();
    let mut n = 0;
    for section in Section::EDITION {
        let _ = writeln!(out, "\n{}", section.title().to_uppercase());
        for p in built.picks.iter().filter(|p| p.section == section) {
            n += 1;
            let _ = writeln!(out, "{n:>3}. {}", p.candidate.title);
            story_lines(&mut out, p, "     ");
        }
        let runners: Vec<_> = built
            .runners_up
            .iter()
            .filter(|r| r.pick.section == section)
            .collect();
        if !runners.is_empty() {
            let _ = writeln!(out, "     runners-up:");
            for r in runners {
                let _ = writeln!(
                    out,
                    "     - {} ({}, score {:.2}): {}",
                    r.pick.candidate.title, r.pick.candidate.source_name, r.pick.score, r.why
                );
            }
        }
    }
    if !built.not_news.is_empty() {
        let mut kinds: Vec<(&str, usize)> = Vec::new();
        for k in &built.not_news {
            match kinds.iter_mut().find(|(kind, _)| *kind == k.why.kind) {
                Some((_, n)) => *n += 1,
                None => kinds.push((k.why.kind, 1)),
            }
        }
        let counts: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let _ = writeln!(
            out,
            "\nNOT NEWS, kept out: {} item{} ({})",
            built.not_news.len(),
            if built.not_news.len() == 1 { "" } else { "s" },
            counts.join(", ")
        );
        for k in built.not_news.iter().take(NOT_NEWS_SHOWN) {
            let _ = writeln!(out, "  - {} ({}): {}", k.title, k.source, k.why);
        }
        if built.not_news.len() > NOT_NEWS_SHOWN {
            let _ = writeln!(
                out,
                "  … and {} more",
                built.not_news.len() - NOT_NEWS_SHOWN
            );
        }
    }
    for url in &built.unmatched_pins {
        let _ = writeln!(
            out,
            "\npinned but not in any feed yet (it goes in once one carries it): {url}"
        );
    }
    out
}

fn story_lines(out: &mut String, p: &Pick, indent: &str) {
    let s = &p.parts;
    let sources = if p.also.is_empty() {
        p.candidate.source_name.clone()
    } else {
        let also: Vec<&str> = p.also.iter().map(|a| a.name.as_str()).collect();
        format!("{}, also {}", p.candidate.source_name, also.join(", "))
    };
    let _ = writeln!(out, "{indent}{sources}");
    if p.pinned {
        let _ = writeln!(out, "{indent}PINNED by an editor: in whatever its score");
    }
    let _ = writeln!(
        out,
        "{indent}score {:.2} = standing {:.2} [{}, weight {:.2}] × (0.3 + recency {:.2} [{:.0} h old]) × coverage {:.1} [{} source{}] × substance {:.2} [{} news signal{}, {} words] × penalty {:.1}",
        p.score,
        s.standing,
        s.kind.as_str(),
        s.weight,
        s.recency,
        s.age_hours,
        s.coverage,
        s.sources,
        if s.sources == 1 { "" } else { "s" },
        s.substance,
        s.signals,
        if s.signals == 1 { "" } else { "s" },
        s.words,
        s.penalty
    );
    let _ = writeln!(out, "{indent}section: {}", p.section_reason);
    if let Some(f) = &p.follows {
        let _ = writeln!(out, "{indent}{f}");
    }
    if let Some(why) = &p.led_instead {
        let _ = writeln!(out, "{indent}{why}");
    }
}
