//! A curator's or an operator's request refused, said in the request's language.

use super::{EN, Text};

/// A curator's or an operator's request refused. Handlers answer with [`Refusal::response`], which carries
/// the refusal to [`crate::web`]'s `signed_in_language` layer: that one knows the request's language and
/// makes the answer a page in it (the plain English body is only for a router without the layer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    SignInNeeded,
    StaleForm,
    BadMonth,
    BadDate,
    UnknownSection,
    NotHttp,
    NoPost,
    PostWithoutLink,
    NoScrap,
    ScrapUrlTaken,
}

impl Refusal {
    pub const ALL: [Refusal; 10] = [
        Self::SignInNeeded,
        Self::StaleForm,
        Self::BadMonth,
        Self::BadDate,
        Self::UnknownSection,
        Self::NotHttp,
        Self::NoPost,
        Self::PostWithoutLink,
        Self::NoScrap,
        Self::ScrapUrlTaken,
    ];

    pub fn status(self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            Self::SignInNeeded | Self::StaleForm => StatusCode::FORBIDDEN,
            Self::BadMonth | Self::NoPost | Self::NoScrap => StatusCode::NOT_FOUND,
            Self::UnknownSection | Self::NotHttp | Self::PostWithoutLink => StatusCode::BAD_REQUEST,
            Self::BadDate => StatusCode::UNPROCESSABLE_ENTITY,
            Self::ScrapUrlTaken => StatusCode::CONFLICT,
        }
    }

    /// The page's title and sentence.
    pub fn text(self, t: &'static Text) -> (&'static str, &'static str) {
        match self {
            Self::SignInNeeded => (t.sign_in_needed, t.sign_in_needed_message),
            Self::StaleForm => (t.stale_form, t.stale_form_message),
            Self::BadMonth => (t.not_found, t.bad_month_message),
            Self::BadDate => (t.cannot_do, t.bad_date_message),
            Self::UnknownSection => (t.cannot_do, t.unknown_section_message),
            Self::NotHttp => (t.cannot_do, t.not_http_message),
            Self::NoPost => (t.not_found, t.no_post_message),
            Self::PostWithoutLink => (t.cannot_do, t.post_without_link_message),
            Self::NoScrap => (t.not_found, t.no_scrap_message),
            Self::ScrapUrlTaken => (t.cannot_do, t.scrap_url_taken_message),
        }
    }

    pub fn response(self) -> axum::response::Response {
        use axum::response::IntoResponse;
        let mut r = (self.status(), self.text(&EN).1).into_response();
        r.extensions_mut().insert(self);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::super::KO;
    use super::*;

    #[test]
    fn every_refusal_is_said_in_both_languages() {
        let hangul = |s: &str| s.chars().any(|c| ('가'..='힣').contains(&c));
        for r in Refusal::ALL {
            let ((ko_title, ko), (en_title, en)) = (r.text(&KO), r.text(&EN));
            assert!(hangul(ko_title) && hangul(ko), "{r:?}");
            assert!(!hangul(en_title) && !hangul(en), "{r:?}");
            let response = r.response();
            assert_eq!((response.status(), response.extensions().get::<Refusal>()), (r.status(), Some(&r)));
        }
    }
}
