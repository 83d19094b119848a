//! The frame of every page: head, skip link, navigation (only what the viewer may open), the
//! flash message, and the bare frame of the sign-in and error pages.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::extract::Viewer;
use super::fmt::{Problem, rich};
use super::inbox::reviewable;
use wicket_core::Power;
use wicket_engine::app::App;
use wicket_engine::web_sessions::Flash;

/// The navigation entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nav {
    Mine,
    Inbox,
    Grants,
    Audit,
    Anomalies,
    Overview,
    Reviews,
    None,
}

/// What the frame around a signed-in page shows.
pub struct Chrome {
    pub user: String,
    pub csrf: String,
    pub active: Nav,
    pub inbox: usize,
    pub audit: bool,
    pub revoke: bool,
    /// Approvers and auditors see the overview.
    pub overview: bool,
    /// The configuration has access reviews.
    pub reviews: bool,
    pub flash: Option<Flash>,
    /// The id of the form field a rejected form's error is beside, for the banner's link.
    pub problem_field: Option<String>,
}

impl Chrome {
    pub async fn load(app: &App, viewer: &Viewer, active: Nav) -> Chrome {
        // The count is a convenience; a failing store shows 0 and the page itself reports.
        let inbox = reviewable(app, &viewer.user).await.map_or(0, |r| r.len());
        Chrome {
            user: viewer.user.clone(),
            csrf: viewer.csrf.clone(),
            active,
            inbox,
            audit: app.has_power(&viewer.user, Power::AuditRead),
            revoke: app.has_power(&viewer.user, Power::GrantsRevoke),
            overview: crate::report::may_see_overview(app, &viewer.user).is_ok(),
            reviews: !app.config.reviews.is_empty(),
            flash: viewer.take_flash(app),
            problem_field: None,
        }
    }

    /// A rejected form shows its error at the top too, in the failure colour, linking to the
    /// field it concerns (the page script moves the focus there), so a failure is never
    /// mistaken for the success banner.
    pub fn problem(&mut self, problem: Option<&Problem>) {
        let Some(p) = problem else {
            return;
        };
        self.flash = Some(Flash {
            ok: false,
            text: format!("Not done: {}", p.message),
        });
        self.problem_field = p.field.map(|f| format!("{}-{f}", p.form));
    }
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Wicket" }
            link rel="stylesheet" href=(super::assets::CSS_PATH);
            script src=(super::assets::JS_PATH) defer {}
        }
    }
}

fn nav_link(chrome: &Chrome, nav: Nav, href: &str, label: &str) -> Markup {
    html! {
        li { a href=(href) aria-current=[(chrome.active == nav).then_some("page")] { (label)
            @if nav == Nav::Inbox {
                " " span.count data-inbox-count aria-label=(format!("{} to review", chrome.inbox)) { (chrome.inbox) }
            }
        } }
    }
}

/// The hidden CSRF field every form of a signed-in page carries.
pub fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf); }
}

/// A signed-in page.
pub fn page(chrome: &Chrome, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/" { "Wicket" }
                    nav aria-label="Main" {
                        ul {
                            (nav_link(chrome, Nav::Mine, "/", "My access"))
                            (nav_link(chrome, Nav::Inbox, "/inbox", "Inbox"))
                            @if chrome.overview { (nav_link(chrome, Nav::Overview, "/overview", "Overview")) }
                            @if chrome.revoke { (nav_link(chrome, Nav::Grants, "/grants", "Grants")) }
                            @if chrome.reviews { (nav_link(chrome, Nav::Reviews, "/reviews", "Reviews")) }
                            @if chrome.audit {
                                (nav_link(chrome, Nav::Audit, "/audit", "Audit"))
                                (nav_link(chrome, Nav::Anomalies, "/anomalies", "Anomalies"))
                            }
                        }
                    }
                    form.signout method="post" action="/logout" {
                        (csrf_field(&chrome.csrf))
                        span.who { (chrome.user) }
                        button.link type="submit" { "Sign out" }
                    }
                }
                main #main {
                    @if let Some(f) = &chrome.flash {
                        p.flash.ok[f.ok].bad[!f.ok] #flash role=(if f.ok { "status" } else { "alert" }) {
                            (rich(&f.text))
                            @if let Some(id) = &chrome.problem_field { " " a href=(format!("#{id}")) data-focus=(id) { "Go to the field" } }
                        }
                    }
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// A page outside a session: sign-in and errors.
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                header.top { a.brand href="/" { "Wicket" } }
                main #main.narrow { h1 { (title) } (body) }
            }
        }
    }
}

pub fn respond(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

/// An error page: the status, a title and the readable message.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    respond(
        status,
        bare(
            title,
            html! {
                p.error-code { "Error " (status.as_u16()) }
                p.problem role="alert" { (rich(message)) }
                p { a href="/" { "Back to my access" } }
            },
        ),
    )
}

/// An error page inside the frame, for a signed-in viewer (a 403 keeps the navigation).
pub fn framed_error(chrome: &Chrome, status: StatusCode, message: &str) -> Response {
    let title = super::error::title(status);
    respond(
        status,
        page(
            chrome,
            title,
            html! {
                p.error-code { "Error " (status.as_u16()) }
                p.problem role="alert" { (rich(message)) }
                @if status == StatusCode::FORBIDDEN {
                    p.hint { "Wicket powers are ordinary roles: request one that carries this power on "
                        a href="/" { "My access" } ", or ask the people who run wicket." }
                }
            },
        ),
    )
}
