//! SMS templates: text with `{placeholder}`s filled per member.
//!
//! `{{` and `}}` write a literal brace. Placeholders are a closed list so a
//! typo (`{nmae}`) is refused when the template is saved, not discovered as
//! a broken message after it went to a hundred thousand members.

use std::fmt;

/// Every placeholder a template may use.
pub const PLACEHOLDERS: &[&str] = &[
    "name", "points", "tier", "code", "expiry", "link", "store", "otp",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateError {
    /// The template is empty or only whitespace.
    Empty,
    /// `{x}` where `x` is not in [`PLACEHOLDERS`].
    UnknownPlaceholder(String),
    /// A `{` without its `}` or a `}` without its `{`, at this 1-based
    /// character position.
    UnbalancedBrace { at: usize },
    /// [`render`] was given no value for this placeholder.
    MissingValue(String),
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateError::Empty => {
                write!(f, "template: is empty; expected the text of the message")
            }
            TemplateError::UnknownPlaceholder(name) => {
                write!(
                    f,
                    "template: unknown placeholder {{{name}}}; expected one of "
                )?;
                for (i, p) in PLACEHOLDERS.iter().enumerate() {
                    write!(f, "{}{{{p}}}", if i == 0 { "" } else { ", " })?;
                }
                Ok(())
            }
            TemplateError::UnbalancedBrace { at } => write!(
                f,
                "template: unbalanced brace at character {at}; placeholders are written {{name}}, \
                 and a literal brace as {{{{ or }}}}"
            ),
            TemplateError::MissingValue(name) => {
                write!(f, "template: missing value for {{{name}}}")
            }
        }
    }
}

impl std::error::Error for TemplateError {}

enum Piece<'a> {
    Text(&'a str),
    /// A placeholder and its fallback (`{name|مشتری عزیز}`), written when
    /// the value is missing or blank.
    Placeholder(&'a str, Option<&'a str>),
}

/// Splits `template` into text and known placeholders, calling `emit` for
/// each piece in order; the one parser behind [`validate`] and [`render`].
fn walk<'a>(
    template: &'a str,
    mut emit: impl FnMut(Piece<'a>) -> Result<(), TemplateError>,
) -> Result<(), TemplateError> {
    if template.trim().is_empty() {
        return Err(TemplateError::Empty);
    }
    let mut chars = template.char_indices().enumerate().peekable();
    let mut text_start = 0;
    while let Some((position, (i, c))) = chars.next() {
        if c != '{' && c != '}' {
            continue;
        }
        emit(Piece::Text(&template[text_start..i]))?;
        let unbalanced = TemplateError::UnbalancedBrace { at: position + 1 };
        // A doubled brace is one literal brace; emit the first, skip the second.
        if chars.peek().is_some_and(|&(_, (_, next))| next == c) {
            chars.next();
            emit(Piece::Text(&template[i..i + 1]))?;
            text_start = i + 2;
            continue;
        }
        if c == '}' {
            return Err(unbalanced);
        }
        let name_start = i + 1;
        let name_end = loop {
            match chars.next() {
                Some((_, (j, '}'))) => break j,
                Some((_, (_, '{'))) | None => return Err(unbalanced),
                Some(_) => {}
            }
        };
        let (name, fallback) = match template[name_start..name_end].split_once('|') {
            Some((name, fallback)) => (name, Some(fallback)),
            None => (&template[name_start..name_end], None),
        };
        if !PLACEHOLDERS.contains(&name) {
            return Err(TemplateError::UnknownPlaceholder(name.to_owned()));
        }
        emit(Piece::Placeholder(name, fallback))?;
        text_start = name_end + 1;
    }
    emit(Piece::Text(&template[text_start..]))
}

/// Checks that `template` is not empty, its braces balance and it uses only
/// [`PLACEHOLDERS`].
pub fn validate(template: &str) -> Result<(), TemplateError> {
    walk(template, |_| Ok(()))
}

/// Fills the placeholders of `template` with `values(name)`.
///
/// A placeholder may name a fallback for a missing or blank value
/// (`{name|مشتری عزیز}`). Without one, a value that is `None` is an error
/// rather than an empty string: "سلام  عزیز" with the name silently missing is worse than a
/// message held back. A caller that wants a blank passes `Some("")`.
pub fn render(
    template: &str,
    values: &dyn Fn(&str) -> Option<String>,
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len());
    walk(template, |piece| {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Placeholder(name, fallback) => out.push_str(
                &values(name)
                    .filter(|v| !v.is_empty() || fallback.is_none())
                    .or_else(|| fallback.map(str::to_owned))
                    .ok_or_else(|| TemplateError::MissingValue(name.to_owned()))?,
            ),
        }
        Ok(())
    })?;
    Ok(out)
}

/// Writes ASCII digits as Persian ones (U+06F0..F9), which Persian readers
/// expect inside Persian text; everything else is kept.
pub fn persian_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(0x06F0 + (c as u32 - '0' as u32)).unwrap_or(c),
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(name: &str) -> Option<String> {
        match name {
            "name" => Some("مریم".to_owned()),
            "points" => Some(persian_digits("1250")),
            "code" => Some("K7PX-92QM".to_owned()),
            "store" => Some(String::new()),
            _ => None,
        }
    }

    fn check(template: &str, expect: Result<&str, TemplateError>) {
        let got = render(template, &values);
        assert_eq!(
            got.as_deref().map_err(Clone::clone),
            expect,
            "render({template:?})"
        );
        // `validate` accepts exactly what renders or fails only for a value.
        let valid = matches!(expect, Ok(_) | Err(TemplateError::MissingValue(_)));
        assert_eq!(validate(template).is_ok(), valid, "validate({template:?})");
    }

    #[test]
    fn renders_and_validates() {
        use TemplateError::*;
        let cases = [
            (
                "{name} عزیز، {points} امتیاز دارید",
                Ok("مریم عزیز، ۱۲۵۰ امتیاز دارید"),
            ),
            ("کد: {code}", Ok("کد: K7PX-92QM")),
            ("no placeholders", Ok("no placeholders")),
            ("{name}{name}", Ok("مریممریم")),
            ("[{store}]", Ok("[]")),
            ("{{name}} is literal", Ok("{name} is literal")),
            ("a {{ b }} c", Ok("a { b } c")),
            ("{{{name}}}", Ok("{مریم}")),
            ("}}{{", Ok("}{")),
            ("", Err(Empty)),
            (" \n ", Err(Empty)),
            ("{nmae}", Err(UnknownPlaceholder("nmae".to_owned()))),
            ("{}", Err(UnknownPlaceholder(String::new()))),
            ("{ name }", Err(UnknownPlaceholder(" name ".to_owned()))),
            ("{Name}", Err(UnknownPlaceholder("Name".to_owned()))),
            ("سلام {name", Err(UnbalancedBrace { at: 6 })),
            ("سلام name}", Err(UnbalancedBrace { at: 10 })),
            ("{na{me}", Err(UnbalancedBrace { at: 1 })),
            ("{", Err(UnbalancedBrace { at: 1 })),
            ("a }", Err(UnbalancedBrace { at: 3 })),
            ("{tier}", Err(MissingValue("tier".to_owned()))),
            ("{name} {otp}", Err(MissingValue("otp".to_owned()))),
        ];
        for (template, expect) in cases {
            check(template, expect);
        }
    }

    #[test]
    fn a_fallback_stands_in_for_a_missing_or_blank_value() {
        let none = |_: &str| None;
        let blank = |_: &str| Some(String::new());
        assert_eq!(render("سلام {name|مشتری عزیز}", &none).unwrap(), "سلام مشتری عزیز");
        assert_eq!(render("سلام {name|مشتری عزیز}", &blank).unwrap(), "سلام مشتری عزیز");
        assert_eq!(render("سلام {name|مشتری عزیز}", &|_: &str| Some("سارا".into())).unwrap(), "سلام سارا");
        assert_eq!(validate("{nmae|x}"), Err(TemplateError::UnknownPlaceholder("nmae".into())));
    }

    #[test]
    fn every_placeholder_is_accepted() {
        for p in PLACEHOLDERS {
            let template = format!("x {{{p}}} y");
            assert_eq!(validate(&template), Ok(()), "validate({template:?})");
        }
    }

    #[test]
    fn errors_name_the_problem_and_what_is_accepted() {
        let cases = [
            (
                TemplateError::UnknownPlaceholder("nmae".to_owned()),
                "template: unknown placeholder {nmae}; expected one of {name}, {points}, {tier}, {code}, {expiry}, {link}, {store}, {otp}",
            ),
            (
                TemplateError::MissingValue("otp".to_owned()),
                "template: missing value for {otp}",
            ),
            (
                TemplateError::UnbalancedBrace { at: 3 },
                "template: unbalanced brace at character 3; placeholders are written {name}, and a literal brace as {{ or }}",
            ),
        ];
        for (error, expect) in cases {
            assert_eq!(error.to_string(), expect, "{error:?}");
        }
    }

    #[test]
    fn persian_digits_converts_only_ascii_digits() {
        let cases = [
            ("1403/12/30", "۱۴۰۳/۱۲/۳۰"),
            ("abc 0-9", "abc ۰-۹"),
            ("۱۲", "۱۲"),
            ("", ""),
        ];
        for (input, expect) in cases {
            assert_eq!(persian_digits(input), expect, "persian_digits({input:?})");
        }
    }
}
