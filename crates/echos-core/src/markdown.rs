//! Members' Markdown (contributions, the region's pages, newsletters) made HTML once, when it is
//! written: nothing executable survives (no script, event handler, style or `javascript:` URL),
//! links get `rel="noopener nofollow ugc"`, and images come only from the platform's own media —
//! an image from elsewhere becomes a link to it, so a page never makes its readers' browsers call
//! a third party.

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd, html};

/// The only images a text may show: files of the region's media (`/media/…`).
fn is_own_image(src: &str) -> bool {
    src.starts_with("/media/") && !src.contains("..")
}

pub fn render(md: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    // An image from elsewhere: the same destination and alt text, as a link.
    let mut outside = 0usize;
    let events = Parser::new_ext(md, options).map(|e| match e {
        Event::Start(Tag::Image { dest_url, title, id, .. }) if !is_own_image(&dest_url) => {
            outside += 1;
            Event::Start(Tag::Link { link_type: LinkType::Inline, dest_url, title, id })
        }
        Event::End(TagEnd::Image) if outside > 0 => {
            outside -= 1;
            Event::End(TagEnd::Link)
        }
        other => other,
    });
    let mut unsafe_html = String::with_capacity(md.len() * 2);
    html::push_html(&mut unsafe_html, events);
    ammonia::Builder::default()
        .link_rel(Some("noopener nofollow ugc"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        // Raw `<img>` in the Markdown: the same rule, the source dropped.
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            ("img", "src") if !is_own_image(value) => None,
            _ => Some(value.into()),
        })
        .clean(&unsafe_html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_platforms_images_show_and_others_become_links() {
        let html = render("![une carte](/media/tenants/x/images/a.png)");
        assert!(html.contains("<img src=\"/media/tenants/x/images/a.png\" alt=\"une carte\">"), "{html}");
        let html = render("![un pixel espion](https://tracker.example/p.gif)");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains(
                "<a href=\"https://tracker.example/p.gif\" rel=\"noopener nofollow ugc\">un pixel espion</a>"
            ),
            "{html}"
        );
        let html = render("<img src=\"https://tracker.example/p.gif\" onerror=\"alert(1)\">");
        assert!(!html.contains("tracker.example") && !html.contains("onerror"), "{html}");
        let html = render("![](/media/../../etc/passwd)");
        assert!(!html.contains("<img"), "{html}");
    }
}
