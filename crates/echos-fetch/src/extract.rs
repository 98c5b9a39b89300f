//! The preview fields of an HTML page: Open Graph first, then Twitter cards, then `<title>` and
//! `<meta name="description">`. Only the head is read (the html5ever tokenizer stops at `</head>`
//! or `<body>`); entities are decoded by the tokenizer, whitespace collapsed, lengths capped.

use std::cell::{Cell, RefCell};

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use html5ever::TokenizerResult;
use html5ever::interface::Attribute;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};
use url::Url;

use crate::Preview;

const MAX_TITLE: usize = 200;
const MAX_DESCRIPTION: usize = 500;
const MAX_SITE_NAME: usize = 200;
const MAX_IMAGE_URL: usize = 2048;

/// The `<meta>` keys (`property` or `name`) that feed a preview.
const KEYS: [&str; 8] = [
    "og:title",
    "og:description",
    "og:image",
    "og:site_name",
    "twitter:title",
    "twitter:description",
    "twitter:image",
    "description",
];

/// The preview of the page at `url` whose (possibly cut) body is `body`.
pub(crate) fn preview(url: Url, body: &[u8], declared: Option<&'static Encoding>) -> Preview {
    let head = read_head(body, declared);
    Preview {
        title: head
            .first(&["og:title", "twitter:title"])
            .chain(head.title.as_deref())
            .find_map(|text| clean(text, MAX_TITLE)),
        description: head
            .first(&["og:description", "twitter:description", "description"])
            .find_map(|text| clean(text, MAX_DESCRIPTION)),
        image: head.first(&["og:image", "twitter:image"]).find_map(|raw| absolute_http_url(raw, &url)),
        site_name: head.first(&["og:site_name"]).find_map(|text| clean(text, MAX_SITE_NAME)),
        url: url.into(),
    }
}

/// Decodes and tokenizes the body. The encoding comes from, in order: a byte order mark, the
/// Content-Type header, a `<meta charset>` (which means a second pass, as in browsers), and
/// failing all that UTF-8 if the bytes are valid UTF-8, windows-1252 otherwise.
fn read_head(body: &[u8], declared: Option<&'static Encoding>) -> Head {
    let guess = declared.unwrap_or_else(|| if is_utf8(body) { UTF_8 } else { WINDOWS_1252 });
    let head = tokenize(&decode(body, guess));
    let in_page = head.charset.as_deref().and_then(|label| Encoding::for_label(label.trim().as_bytes()));
    match in_page.map(Encoding::output_encoding) {
        Some(encoding) if declared.is_none() && encoding != guess && Encoding::for_bom(body).is_none() => {
            tokenize(&decode(body, encoding))
        }
        _ => head,
    }
}

/// Valid UTF-8, allowing a sequence cut by the byte cap at the very end.
fn is_utf8(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).map_or_else(|e| e.error_len().is_none(), |_| true)
}

fn decode(body: &[u8], encoding: &'static Encoding) -> String {
    encoding.decode(body).0.into_owned()
}

fn tokenize(html: &str) -> Head {
    let queue = BufferQueue::default();
    queue.push_back(StrTendril::from_slice(html));
    let tokenizer = Tokenizer::new(HeadSink::default(), TokenizerOpts::default());
    // `Script` is the tokenizer's only way to pause; the sink asks for it at the end of the head,
    // and we never resume.
    if let TokenizerResult::Done = tokenizer.feed(&queue) {
        tokenizer.end();
    }
    tokenizer.sink.head.into_inner()
}

/// What the head says, in document order.
#[derive(Default)]
struct Head {
    /// The first `<title>`'s text.
    title: Option<String>,
    /// `(key, content)` of the `<meta>` tags listed in [`KEYS`], key lowercased.
    metas: Vec<(String, String)>,
    /// From `<meta charset>` or `<meta http-equiv="Content-Type">`.
    charset: Option<String>,
}

impl Head {
    /// The contents of the metas under `keys`, by key priority, then document order.
    fn first<'a>(&'a self, keys: &'a [&str]) -> impl Iterator<Item = &'a str> + 'a {
        keys.iter()
            .flat_map(|key| self.metas.iter().filter(move |(k, _)| k == key).map(|(_, content)| content.as_str()))
    }
}

#[derive(Default)]
struct HeadSink {
    head: RefCell<Head>,
    in_title: Cell<bool>,
}

impl TokenSink for HeadSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line_number: u64) -> TokenSinkResult<()> {
        match token {
            Token::TagToken(tag) => self.tag(&tag),
            Token::CharacterTokens(text) if self.in_title.get() => {
                self.head.borrow_mut().title.get_or_insert_default().push_str(&text);
                TokenSinkResult::Continue
            }
            _ => TokenSinkResult::Continue,
        }
    }
}

impl HeadSink {
    /// Also switches the tokenizer into raw text where a browser would, so that a `<meta>` or
    /// `</head>` written inside a script, a style or the title is not taken for one.
    fn tag(&self, tag: &Tag) -> TokenSinkResult<()> {
        match (tag.kind, &*tag.name) {
            (TagKind::StartTag, "body") | (TagKind::EndTag, "head") => TokenSinkResult::Script(()),
            (TagKind::StartTag, "title") => {
                let first = self.head.borrow().title.is_none();
                if first {
                    self.head.borrow_mut().title = Some(String::new());
                }
                self.in_title.set(first);
                TokenSinkResult::RawData(RawKind::Rcdata)
            }
            (TagKind::EndTag, "title") => {
                self.in_title.set(false);
                TokenSinkResult::Continue
            }
            (TagKind::StartTag, "meta") => {
                self.meta(&tag.attrs);
                TokenSinkResult::Continue
            }
            (TagKind::StartTag, "script") => TokenSinkResult::RawData(RawKind::ScriptData),
            (TagKind::StartTag, "style" | "noscript" | "xmp" | "iframe" | "noembed" | "noframes") => {
                TokenSinkResult::RawData(RawKind::Rawtext)
            }
            (TagKind::StartTag, "textarea") => TokenSinkResult::RawData(RawKind::Rcdata),
            (TagKind::StartTag, "plaintext") => TokenSinkResult::Plaintext,
            _ => TokenSinkResult::Continue,
        }
    }

    fn meta(&self, attrs: &[Attribute]) {
        let attr = |name: &str| attrs.iter().find(|a| &*a.name.local == name).map(|a| &*a.value);
        let mut head = self.head.borrow_mut();
        if head.charset.is_none() {
            head.charset = attr("charset").map(str::to_owned).or_else(|| {
                let is_content_type = attr("http-equiv").is_some_and(|v| v.trim().eq_ignore_ascii_case("content-type"));
                attr("content").filter(|_| is_content_type).and_then(charset_param)
            });
        }
        let (Some(key), Some(content)) = (attr("property").or_else(|| attr("name")), attr("content")) else {
            return;
        };
        let key = key.trim().to_ascii_lowercase();
        if KEYS.contains(&key.as_str()) {
            head.metas.push((key, content.to_owned()));
        }
    }
}

/// `utf-8` in `text/html; charset="utf-8"`.
fn charset_param(content_type: &str) -> Option<String> {
    let lower = content_type.to_ascii_lowercase();
    let start = lower.find("charset=")? + "charset=".len();
    let value = content_type[start..].trim_start().trim_start_matches(['"', '\'']);
    let end = value.find(['"', '\'', ';', ' ']).unwrap_or(value.len());
    Some(value[..end].to_owned()).filter(|v| !v.is_empty())
}

/// `raw` resolved against the page, kept only if it is plain `http(s)`, credential-free and of a
/// sane length.
fn absolute_http_url(raw: &str, page: &Url) -> Option<String> {
    let url = page.join(raw.trim()).ok()?;
    let plain = matches!(url.scheme(), "http" | "https") && url.username().is_empty() && url.password().is_none();
    (plain && url.as_str().len() <= MAX_IMAGE_URL).then(|| url.into())
}

/// Whitespace and control characters collapsed to single spaces, trimmed, cut to `max_chars`
/// characters; `None` if nothing is left.
fn clean(raw: &str, max_chars: usize) -> Option<String> {
    let words = raw.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty());
    let mut text = words.collect::<Vec<_>>().join(" ");
    if let Some((cut, _)) = text.char_indices().nth(max_chars) {
        text.truncate(cut);
        text.truncate(text.trim_end().len());
    }
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(html: &str) -> Preview {
        preview(Url::parse("https://example.org/a/b").unwrap(), html.as_bytes(), None)
    }

    #[test]
    fn open_graph_wins_over_twitter_and_the_title() {
        let p = page(
            r#"<html><head><title>Plain</title>
            <meta name="twitter:title" content="Tweet"><meta property="og:title" content="Graph">
            <meta name="description" content="Meta"><meta name="twitter:description" content="Tweet d">
            <meta name="twitter:image" content="/t.png"></head>"#,
        );
        assert_eq!(p.title.as_deref(), Some("Graph"));
        assert_eq!(p.description.as_deref(), Some("Tweet d"));
        assert_eq!(p.image.as_deref(), Some("https://example.org/t.png"));
    }

    #[test]
    fn the_title_element_is_the_last_resort() {
        let p = page("<title>  Le  &lt;titre&gt;\n</title><meta name=description content='  d  '>");
        assert_eq!(p.title.as_deref(), Some("Le <titre>"));
        assert_eq!(p.description.as_deref(), Some("d"));
        assert_eq!(p.site_name, None);
    }

    #[test]
    fn markup_inside_scripts_and_after_the_head_is_ignored() {
        let p = page(
            r#"<head><script>document.write('<meta property="og:title" content="Script">')</script>
            <style>/* <meta property="og:title" content="Style"> */</style></head>
            <body><meta property="og:title" content="Body"><title>Body</title></body>"#,
        );
        assert_eq!(p.title, None);
    }

    #[test]
    fn an_unknown_image_scheme_falls_back_to_the_next_candidate() {
        let p = page(
            r#"<meta property="og:image" content="data:image/png;base64,AA"><meta name="twitter:image" content="//cdn.example.net/x.png">"#,
        );
        assert_eq!(p.image.as_deref(), Some("https://cdn.example.net/x.png"));
    }

    #[test]
    fn texts_are_capped_on_character_boundaries() {
        let long = "é".repeat(300);
        let p = page(&format!("<title>{long}</title><meta name=description content='{}'>", "à ".repeat(400)));
        assert_eq!(p.title.unwrap().chars().count(), MAX_TITLE);
        let description = p.description.unwrap();
        assert!(description.chars().count() <= MAX_DESCRIPTION && !description.ends_with(' '));
    }

    #[test]
    fn a_latin1_page_is_decoded_from_its_meta_charset_or_by_default() {
        let body = b"<meta charset=iso-8859-1><title>Caf\xe9</title>";
        assert_eq!(preview(Url::parse("http://a.example/").unwrap(), body, None).title.as_deref(), Some("Café"));
        let body = b"<meta http-equiv=Content-Type content='text/html; charset=utf-8'><title>Caf\xc3\xa9</title>";
        assert_eq!(preview(Url::parse("http://a.example/").unwrap(), body, None).title.as_deref(), Some("Café"));
        let body = b"<title>Caf\xe9</title>";
        assert_eq!(preview(Url::parse("http://a.example/").unwrap(), body, None).title.as_deref(), Some("Café"));
    }

    #[test]
    fn the_header_charset_wins_over_the_meta() {
        let body = b"<meta charset=utf-8><title>Caf\xe9</title>";
        let p = preview(Url::parse("http://a.example/").unwrap(), body, Some(WINDOWS_1252));
        assert_eq!(p.title.as_deref(), Some("Café"));
    }
}
