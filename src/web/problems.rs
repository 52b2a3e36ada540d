//! A refused change as the page that asked for it shows it: the one place
//! a [`domain::Error`] becomes a status and what the page says.
//!
//! Problems with input go beside their fields (422); a stale edit shows
//! who changed what since the form was loaded, beside the person's own
//! input (409); a rule's refusal says why (409). A missing row, a
//! forbidden act or an internal failure is not the form's to show: it
//! becomes the error page. Every form page carries a [`Problems`] and
//! renders it with the `problems` macro of `layout/fields.html`.

use crate::domain::activity::audit::Entry;
use crate::domain::kernel::FieldErrors;
use crate::error::AppError;
use axum::http::StatusCode;

#[derive(Debug, Default)]
pub struct Problems {
    pub fields: FieldErrors,
    /// What others saved since the form was loaded.
    pub conflict: Vec<Entry>,
    /// Why a rule or the state machine refused.
    pub refusal: Option<String>,
}

impl Problems {
    /// Problems found before the domain was asked (the form's own parse).
    pub fn fields(fields: FieldErrors) -> Problems {
        Problems {
            fields,
            ..Problems::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.conflict.is_empty() && self.refusal.is_none()
    }

    /// The problem of a field, for the template beside it.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields.get(field)
    }

    /// After a stale edit, the form is to save over the version stored now
    /// (the newest its conflict shows), so that saving again, knowing what
    /// changed, applies.
    pub fn rebase(&self, version: &mut i32) {
        let newest = self
            .conflict
            .iter()
            .filter_map(|e| e.changes.0.get("version")?.get("after")?.as_i64())
            .max();
        if let Some(v) = newest.and_then(|v| i32::try_from(v).ok()) {
            *version = v;
        }
    }

    /// 422 for input to mend, 409 for a change that met another, or a rule.
    pub fn status(&self) -> StatusCode {
        if self.fields.is_empty() {
            StatusCode::CONFLICT
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    }
}

impl TryFrom<crate::domain::Error> for Problems {
    type Error = AppError;

    fn try_from(e: crate::domain::Error) -> Result<Problems, AppError> {
        use crate::domain::Error as E;
        Ok(match e {
            E::Invalid(fields) => Problems::fields(fields),
            E::Stale(conflict) => Problems {
                conflict,
                ..Problems::default()
            },
            E::Refused(why) => Problems {
                refusal: Some(why),
                ..Problems::default()
            },
            E::NotFound | E::Forbidden | E::Internal(_) => return Err(e.into()),
        })
    }
}
