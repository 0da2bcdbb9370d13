//! The home page's company picker, rendered once per list the store hands out and per language.
//!
//! The store hands out the same list (one `Arc`) for as long as it is unchanged (see `moa_store`'s
//! picker key), so the list's address says whether the HTML rendered from it still holds. The cache keeps
//! the list it rendered alive, so its address cannot be taken by another list while it is compared with.

use std::sync::{Arc, Mutex, PoisonError};

use askama::Template;
use moa_store::Company;

use crate::i18n::{Lang, Ui};
use crate::web::card::{CompanyOption, company_options};

/// The `<option>`s of the companies that have posts or are crawled, by name.
#[derive(Template)]
#[template(path = "picker.html")]
struct PickerOptions {
    companies: Vec<CompanyOption>,
}

/// A language, the list rendered in it, and the HTML.
type Rendered = (Lang, Arc<[Company]>, Arc<str>);

/// The last picker rendered in each language, with the list it was rendered from.
#[derive(Default)]
pub(crate) struct PickerHtml(Mutex<Vec<Rendered>>);

impl PickerHtml {
    /// The picker's options for `companies` in `ui`'s language.
    pub(crate) fn options(&self, companies: &Arc<[Company]>, ui: &Ui) -> Arc<str> {
        let held =
            self.0.lock().unwrap_or_else(PoisonError::into_inner).iter().find_map(|(lang, list, html)| {
                (*lang == ui.lang && Arc::ptr_eq(list, companies)).then(|| html.clone())
            });
        if let Some(html) = held {
            return html;
        }
        let html: Arc<str> = render(companies, ui).into();
        let mut rendered = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        rendered.retain(|(lang, _, _)| *lang != ui.lang);
        rendered.push((ui.lang, companies.clone(), html.clone()));
        html
    }
}

fn render(companies: &[Company], ui: &Ui) -> String {
    let options = company_options(companies, |s| s.enabled || s.post_count > 0, None, ui);
    // Rendering into a String fails only when a value's Display does, and these are strings and numbers.
    PickerOptions { companies: options }.render().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn company(id: &str, name_ko: &str, name_en: &str, post_count: i64) -> Company {
        Company {
            id: id.into(),
            name_ko: name_ko.into(),
            name_en: name_en.into(),
            homepage: String::new(),
            enabled: true,
            post_count,
            last_post_at: None,
        }
    }

    #[test]
    fn a_list_is_rendered_once_per_language_and_a_new_list_again() {
        let picker = PickerHtml::default();
        let (ko, en) = (Ui::new(Lang::Ko, false), Ui::new(Lang::En, true));
        let list: Arc<[Company]> = vec![company("b", "비", "Bee", 2), company("a", "에이 & 코", "", 1)].into();
        let first = picker.options(&list, &ko);
        assert_eq!(first.matches("<option").collect::<Vec<_>>().len(), 2, "each company once: {first}");
        let position = |text: &str| first.find(text).unwrap_or_else(|| panic!("{text} in {first}"));
        assert!(position("비 (2)") < position("에이 &#38; 코 (1)"), "escaped, by name: {first}");
        assert!(Arc::ptr_eq(&first, &picker.options(&list, &ko)), "the same list: the same HTML");
        let english = picker.options(&list, &en);
        assert!(english.contains("Bee (2)") && english.contains("에이 &#38; 코 (1)"), "{english}");
        assert!(Arc::ptr_eq(&first, &picker.options(&list, &ko)), "each language keeps its own");

        let changed: Arc<[Company]> = vec![company("b", "비", "Bee", 3), company("a", "에이 & 코", "", 1)].into();
        let again = picker.options(&changed, &ko);
        assert!(again.contains("비 (3)") && !again.contains("비 (2)"), "a new list is rendered anew: {again}");
    }
}
