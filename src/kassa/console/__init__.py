"""The operator console: server-rendered pages (Jinja2) with htmx, served by the same app.

A thin face like the others: it reads through kassa.app.console and acts through the app's
commands, with the signed-in operator as the actor. Every form carries the session's CSRF token
(htmx sends it as X-CSRF-Token); the session cookie is HttpOnly and SameSite=Lax. `common` holds
what every page shares, `pages/` one module per page group, `router` includes them all.
"""
