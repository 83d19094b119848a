//! A browser as far as sign-in needs one: real HTTP with a cookie jar per host and port,
//! redirects followed by hand (so each hop can be looked at), and the provider's own HTML
//! forms read and posted.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{StatusCode, Url};

pub struct Browser {
    http: reqwest::Client,
    jar: Mutex<HashMap<String, BTreeMap<String, String>>>,
}

/// One response, read whole.
pub struct Page {
    pub url: Url,
    pub status: StatusCode,
    pub location: Option<String>,
    pub refresh: Option<String>,
    pub body: String,
}

fn origin(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap(),
        url.port_or_known_default().unwrap()
    )
}

impl Browser {
    pub fn new() -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .pool_idle_timeout(wicket_testkit::HTTP_IDLE)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jar: Mutex::default(),
        }
    }

    /// The cookie `name` this browser holds for `url`'s origin.
    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        let url = Url::parse(url).unwrap();
        self.jar
            .lock()
            .unwrap()
            .get(&origin(&url))?
            .get(name)
            .cloned()
    }

    async fn send(&self, url: &str, form: Option<&[(String, String)]>) -> Page {
        let url = Url::parse(url).unwrap();
        let cookies = self
            .jar
            .lock()
            .unwrap()
            .get(&origin(&url))
            .map(|c| {
                c.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        let mut req = match form {
            Some(f) => self.http.post(url.clone()).form(f),
            None => self.http.get(url.clone()),
        };
        if !cookies.is_empty() {
            req = req.header(COOKIE, cookies);
        }
        let resp = req.send().await.unwrap();
        {
            let mut jar = self.jar.lock().unwrap();
            let jar = jar.entry(origin(&url)).or_default();
            for c in resp.headers().get_all(SET_COOKIE) {
                let c = c.to_str().unwrap();
                let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
                let (k, v) = pair.split_once('=').unwrap();
                if v.is_empty()
                    || attrs.contains("Max-Age=0")
                    || attrs.contains("expires=Thu, 01 Jan 1970")
                {
                    jar.remove(k.trim());
                } else {
                    jar.insert(k.trim().to_string(), v.trim().to_string());
                }
            }
        }
        let location = resp
            .headers()
            .get(LOCATION)
            .map(|l| url.join(l.to_str().unwrap()).unwrap().to_string());
        let refresh = resp
            .headers()
            .get("refresh")
            .map(|r| r.to_str().unwrap().to_string());
        Page {
            url,
            status: resp.status(),
            location,
            refresh,
            body: resp.text().await.unwrap(),
        }
    }

    pub async fn get(&self, url: &str) -> Page {
        self.send(url, None).await
    }

    pub async fn post(&self, url: &str, form: &[(String, String)]) -> Page {
        self.send(url, Some(form)).await
    }

    /// Follows redirects from `page` until one answers without one, or until `stop` says a
    /// location is where to stop (it is not fetched).
    pub async fn follow(&self, mut page: Page, stop: impl Fn(&str) -> bool) -> Page {
        for _ in 0..20 {
            let Some(next) = page.location.clone() else {
                return page;
            };
            if stop(&next) {
                return page;
            }
            page = self.get(&next).await;
        }
        panic!("more than 20 redirects");
    }
}

/// The first form of `page`: its absolute action and its fields (hidden and text ones, with
/// their values).
pub fn form(page: &Page) -> (String, Vec<(String, String)>) {
    let body = &page.body;
    let start = body.find("<form").expect("the page has a form");
    let form = &body[start
        ..body[start..]
            .find("</form>")
            .map_or(body.len(), |e| start + e)];
    let action = attr(form, "action")
        .unwrap_or_default()
        .replace("&amp;", "&");
    let mut fields = Vec::new();
    let mut rest = form;
    while let Some(i) = rest.find("<input") {
        let tag_end = rest[i..].find('>').unwrap() + i;
        let tag = &rest[i..tag_end];
        if let Some(name) = attr(tag, "name") {
            fields.push((name, attr(tag, "value").unwrap_or_default()));
        }
        rest = &rest[tag_end..];
    }
    (page.url.join(&action).unwrap().to_string(), fields)
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let i = tag.find(&needle)? + needle.len();
    let end = tag[i..].find('"')? + i;
    Some(tag[i..end].to_string())
}

/// Sets field `name` of `fields` to `value`.
pub fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(k, _)| k == name) {
        Some(f) => f.1 = value.to_string(),
        None => fields.push((name.to_string(), value.to_string())),
    }
}

/// Posts the provider's forms (its login page as `login`, any password; its consent and
/// device-code pages as they are) until a page without a form, or a redirect `stop` matches
/// (returned unfetched, in `location`).
pub async fn through_provider(
    b: &Browser,
    mut page: Page,
    login: &str,
    stop: impl Fn(&str) -> bool + Copy,
) -> Page {
    for _ in 0..8 {
        page = b.follow(page, stop).await;
        if page.location.as_deref().is_some_and(stop) || !page.body.contains("<form") {
            return page;
        }
        let (action, mut fields) = form(&page);
        if fields.iter().any(|(k, _)| k == "login") {
            set(&mut fields, "login", login);
            set(&mut fields, "password", "any");
        }
        page = b.post(&action, &fields).await;
    }
    panic!("the provider's pages never ended");
}
