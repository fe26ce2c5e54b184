//! Clutter removal for article text that has already lost its markup: share
//! prompts, promos, disclaimers, bios, comment threads, "related" lists.
//!
//! Works on paragraphs (blank-line or line separated). Two passes:
//! `strip_boilerplate` keeps anything that could be article text, and
//! `prose_only` further keeps only sentence-like paragraphs for summarizing.

use crate::feeds::dates::{is_weekday, month_number};
use regex::Regex;
use std::sync::LazyLock;

// Word boundaries are ASCII (`(?-u:\b)`) throughout: a Unicode boundary keeps
// the regex engine off its fast DFA on any non-ASCII text, which made these
// checks cost more than extraction itself on long pages.

/// A short paragraph like this ends the article: what follows is comments,
/// related links or site furniture.
static END_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(recent comments|comments?|\d+ comments?|leave a (reply|comment)|post a comment|add a comment|join the (discussion|conversation)|more from( this)?|more stories|related( articles| posts| stories| coverage| reading)?|you (may|might) also like|read (next|more)|also read|recommended( for you)?|trending( now)?|popular( now| stories)?|load more|notify of|view all comments|most read|latest news|share this( article| story)?:?|tags?:)(?-u:\b)",
    )
    .expect("static regex")
});

/// Promotional and site-furniture phrases. A short paragraph containing one
/// is dropped; a long one is kept, since articles mention these words too.
static PROMO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(subscribe|newsletter|sign up|signup|join \d[\d,]*\+? |fellow readers|delivered to your inbox|in your inbox|advertis|sponsored|partner with us|disclaimer|we may earn|earn a commission|affiliate link|follow us|share (this|via)|share on (x|twitter|facebook|linkedin|whatsapp|reddit|email)(?-u:\b)|share your (views|thoughts|comments|opinion)|google news|cookie|all rights reserved|copyright ©|comment section|click here|tap here|download (our|the) app|become part of (a|an|our|the) |join (our|the) [a-z ]{0,30}(community|network|circle|club)|support our journalism|become a member|log ?in to|sign in to|terms of (use|service)|privacy policy|shop now|save \d+%|promo code|use code)",
    )
    .expect("static regex")
});

static BIO_ROLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?-u:\b)(writer|journalist|editor|author|reporter|contributor|columnist|correspondent)(?-u:\b)",
    )
    .expect("static regex")
});

static BIO_TRAIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(passionate|loves|fond(ness)?|enthusiast|based in|has been (writing|covering)|covers|when (he|she|they)('s| is| are) not|follow (him|her|them)|his work|her work)(?-u:\b)")
        .expect("static regex")
});

fn paragraphs(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n').map(str::trim).filter(|p| !p.is_empty())
}

fn words(p: &str) -> usize {
    p.split_whitespace().count()
}

/// Short lines that are page furniture rather than article text: bylines,
/// datelines, photo credits and captions, calls to action.
static FURNITURE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(^by [\p{Lu}\w.'-]+( [\p{Lu}\w.'-]+){0,3}( [-|,]|$)|^(published|updated|posted|last updated)(?-u:\b)|^\|? ?(published|updated):|\(image: |\(ap photo|\(photo:|^photo: |getty images|^©|copyright ©|©\s?(19|20)\d\d|(?-i:^Home\p{Lu})|all rights reserved|continue reading below|click(ing)? here|^see more:|^don't miss|^read more(?-u:\b)|^related:|^advertisement$|^sponsored$)",
    )
    .expect("static regex")
});

/// Lines that end the article when they come late in it: what follows is
/// a list of other stories.
static LATE_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(you may also like|more from|related stories|recommended for you|most popular|trending now)(?-u:\b)")
        .expect("static regex")
});

/// A line that is only a date and time ("October 06, 2018", "Nov 18, 2019
/// @17:19 PM · Updated: Nov 18, 2019 @17:26 PM"): the page's furniture,
/// which article text never is on its own.
fn is_dateline(l: &str) -> bool {
    const WORDS: &[&str] = &[
        "am",
        "pm",
        "at",
        "updated",
        "published",
        "posted",
        "gmt",
        "utc",
        "et",
        "bst",
    ];
    let mut month = false;
    let mut year = false;
    for w in l
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let lower = w.to_lowercase();
        if month_number(w).is_some() {
            month = true;
        } else if w.len() == 4 && w.chars().all(|c| c.is_ascii_digit()) {
            year = true;
        } else if !(w.chars().all(|c| c.is_ascii_digit())
            || is_weekday(w)
            || WORDS.contains(&lower.as_str())
            || is_ordinal(&lower))
        {
            return false;
        }
    }
    month && year
}

/// "1st", "22nd", "3rd", "6th".
fn is_ordinal(w: &str) -> bool {
    ["st", "nd", "rd", "th"].iter().any(|suffix| {
        w.strip_suffix(suffix)
            .is_some_and(|d| (1..=2).contains(&d.len()) && d.chars().all(|c| c.is_ascii_digit()))
    })
}

/// For text extracted from a page: drops furniture lines (short ones only,
/// so a sentence that mentions a photo stays) and cuts at a late
/// "you may also like" list.
pub fn strip_page_furniture(text: &str) -> String {
    let lines: Vec<&str> = paragraphs(text).collect();
    let total: usize = lines.iter().map(|l| words(l)).sum();
    let mut seen = 0;
    let mut kept = Vec::new();
    for l in lines {
        let n = words(l);
        if n <= 8 && LATE_END.is_match(l) && seen * 2 > total {
            break;
        }
        seen += n;
        if n <= 25 && (FURNITURE_LINE.is_match(l) || is_dateline(l)) {
            continue;
        }
        kept.push(l);
    }
    kept.join("\n\n")
}

/// Drops clutter paragraphs and cuts the text at the first end-of-article marker.
pub fn strip_boilerplate(text: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let mut body_words = 0;
    for p in paragraphs(text) {
        let n = words(p);
        if n <= 6 && END_MARKER.is_match(p) && body_words >= 40 {
            break;
        }
        if n < 60 && PROMO.is_match(p) {
            continue;
        }
        if n < 80 && BIO_ROLE.is_match(p) && BIO_TRAIT.is_match(p) {
            continue;
        }
        kept.push(p);
        if ends_like_sentence(p) {
            body_words += n;
        }
    }
    kept.join("\n\n")
}

/// Keeps only paragraphs that read as prose: headings, captions, bylines,
/// navigation and names have no sentence end or are very short.
pub fn prose_only(text: &str) -> String {
    paragraphs(text)
        .filter(|p| {
            let n = words(p);
            ends_like_sentence(p) && (n >= 6 || p.ends_with(['"', '”'])) || n >= 25
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn ends_like_sentence(p: &str) -> bool {
    p.trim_end()
        .ends_with(['.', '!', '?', '"', '”', '’', '\'', ')', ':', '…'])
}

/// The headline of text that arrives without markup: the first paragraph,
/// once clutter is gone, that is headline-shaped (4 to 20 words, not a
/// sentence, not a byline or a name).
pub fn headline(text: &str) -> Option<String> {
    strip_boilerplate(text)
        .split("\n\n")
        .map(str::trim)
        .find(|p| {
            let n = words(p);
            (4..=20).contains(&n) && !ends_like_sentence(p) && !p.contains(':')
                || (4..=20).contains(&n) && p.ends_with('?')
        })
        .map(str::to_string)
}

/// Furniture set inside a paragraph, where a sentence would start: a
/// page's pointer to the video or gallery below.
static INLINE_FURNITURE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?im)(^|[.!?"”’'] )scroll down (for|to see|to watch) (the )?(videos?|pictures|photos|more)(?-u:\b)[.:]?[ \t]*"#)
        .expect("static regex")
});

/// A photo's "(pictured)" or "(not pictured, left)" aside inside a sentence.
static PICTURED_ASIDE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i) ?\((not )?pictured[^()]{0,40}\)").expect("static regex"));

/// A submitter's credit opening an aggregator's paragraph ("Barence writes
/// \"…", "An anonymous reader quotes a report from Ars Technica:"): who sent
/// the link, not the news.
static SUBMITTER_CREDIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)^(?:[Aa]n anonymous reader|[\p{Lu}][\w.'-]*(?: [\p{Lu}][\w.'-]*)?|[\w.-]+) (?:writes|shares|quotes|notes|submits)(?: (?:a|an|the|this) (?:report|story|article|post)(?: from [^:\n]{1,60})?)?(?:(?::| with) ?(["“])| ?(["“])| ?: )"#)
        .expect("static regex")
});

/// The paragraph without its submitter's credit; a quote the credit opened
/// loses its closing mark too, so the quotes stay balanced.
fn without_credit(p: &str) -> std::borrow::Cow<'_, str> {
    let Some(m) = SUBMITTER_CREDIT.captures(p) else {
        return p.into();
    };
    let whole = m.get(0).expect("match");
    let rest = &p[whole.end()..];
    if m.get(1).or(m.get(2)).is_none() {
        return rest.to_string().into();
    }
    match rest.trim_end().rfind(['"', '”']) {
        Some(close) => format!("{}{}", &rest[..close], &rest[close + 1..]).into(),
        None => rest.to_string().into(),
    }
}

/// Both passes, with inline furniture gone: what the summarizer reads.
pub fn for_summary(text: &str) -> String {
    let text = INLINE_FURNITURE.replace_all(text, "$1");
    let text = PICTURED_ASIDE.replace_all(&text, "");
    let text = if SUBMITTER_CREDIT.is_match(&text) {
        let lines: Vec<_> = text.split('\n').map(without_credit).collect();
        lines.join("\n").into()
    } else {
        text
    };
    prose_only(&strip_boilerplate(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "Disclaimer: We may earn a commission if you make any purchase by clicking our links.

Follow us on:

Google News

Acme doubles its chip output

Jane Roe
Jane Roe is a writer passionate about chips, startups and all things silicon.

Acme Corp said on Tuesday that it doubled its chip output in the third quarter, after a new plant in Ohio came online.

The company expects the plant to add 3,000 jobs by 2028, chief executive John Smith told reporters.

Join 10,000+ Fellow Readers

Get our roundup delivered to your inbox every week.

What's your take? Share your views through the comment section below.

Recent Comments

bob: great news for Ohio.

Load More";

    #[test]
    fn datelines_breadcrumbs_and_site_copyright_are_page_furniture() {
        for line in [
            "October 06, 2018",
            "Nov 18, 2019 @17:19 PM · Updated: Nov 18, 2019 @17:26 PM",
            "Tuesday, 3 March 2026 at 09:15 GMT",
            "HomeLatest NewsKestrel ships its K9 chip",
            "The contents of this site are ©2019 Example Publishing Corp.",
        ] {
            let text =
                format!("{line}\n\nKestrel shipped 41.7 million chips in the third quarter.");
            assert_eq!(
                strip_page_furniture(&text),
                "Kestrel shipped 41.7 million chips in the third quarter.",
                "{line}"
            );
        }
        for kept in [
            "In May 2018 the company moved to Ohio.",
            "Homeowners face higher rates from March 2026.",
            "Decision 2019",
        ] {
            assert!(strip_page_furniture(kept).contains(kept), "{kept}");
        }
    }

    #[test]
    fn a_submitters_credit_is_not_the_news() {
        let t = for_summary(
            "Barence writes \"Kestrel has cut the price of its K9 laptop by a third, its chief executive said on Monday.\"",
        );
        assert_eq!(
            t,
            "Kestrel has cut the price of its K9 laptop by a third, its chief executive said on Monday."
        );
        let t = for_summary(
            "An anonymous reader quotes a report from The Register: Harbor Bank will close 40 branches in March, the bank said.",
        );
        assert_eq!(
            t,
            "Harbor Bank will close 40 branches in March, the bank said."
        );
        // A sentence whose subject writes is the news itself.
        let text =
            "The minister writes in a letter that the plan will cost $2 billion over five years.";
        assert_eq!(for_summary(text), text);
    }

    #[test]
    fn a_pointer_to_the_video_inside_a_paragraph_goes() {
        let t = for_summary(
            "The minister said the plan would cut costs. Scroll down for video The Prime Minister backed her on Tuesday.",
        );
        assert_eq!(
            t,
            "The minister said the plan would cut costs. The Prime Minister backed her on Tuesday."
        );
        // Only where a sentence would start, and paragraphs stay apart.
        let t = for_summary(
            "Readers can scroll down for more on the ruling, the court said.\n\nScroll down for video\n\nThe judge (pictured) ruled on Monday that the ban stands.",
        );
        assert_eq!(
            t,
            "Readers can scroll down for more on the ruling, the court said.\n\nThe judge ruled on Monday that the ban stands."
        );
    }

    #[test]
    fn keeps_the_story_and_drops_the_furniture() {
        let t = for_summary(PAGE);
        assert!(t.starts_with("Acme Corp said on Tuesday"), "{t}");
        assert!(t.contains("3,000 jobs"));
        for junk in [
            "Disclaimer",
            "Follow us",
            "Google News",
            "passionate",
            "Fellow Readers",
            "inbox",
            "comment section",
            "bob:",
            "Load More",
        ] {
            assert!(!t.contains(junk), "kept {junk:?}: {t}");
        }
    }

    #[test]
    fn long_paragraphs_that_mention_promo_words_stay() {
        let p = format!(
            "{} The company will advertise the new model on television.",
            "Sales of the model rose sharply last month across all regions. ".repeat(8)
        );
        assert_eq!(strip_boilerplate(&p), p.trim());
    }

    #[test]
    fn page_furniture_lines_go() {
        let t = "By Jane Roe - 11/18/19 11:04 PM EST\n\nThe council voted on Tuesday to approve the new budget for the coming year.\n\nUpdated at 1:23 p.m.\n\nCrowds gathered outside the hall (Image: GETTY )\n\nThe budget raises spending on schools by four percent, officials said.\n\nYou may also like...\n\nAnother story entirely";
        let out = strip_page_furniture(t);
        assert_eq!(
            out,
            "The council voted on Tuesday to approve the new budget for the coming year.\n\nThe budget raises spending on schools by four percent, officials said."
        );
        let long = "By the end of the year the company expects to have hired more than two thousand engineers across its offices in Europe, Asia and the Americas, it said.";
        assert_eq!(strip_page_furniture(long), long);
    }

    #[test]
    fn prices_per_share_are_not_share_buttons() {
        let p = "Basketful priced its offering at $24 a share on Friday, above its range.";
        assert_eq!(strip_boilerplate(p), p);
        assert_eq!(strip_boilerplate("Share on Facebook"), "");
        assert_eq!(
            strip_boilerplate("Upgrade your desk today. Shop now and save 20%."),
            ""
        );
    }

    #[test]
    fn an_end_marker_at_the_top_does_not_erase_the_article() {
        let t = strip_boilerplate(
            "Comments\n\nThe article starts here and it is long enough to count as a sentence of body text.",
        );
        assert!(t.contains("article starts here"));
    }
}
