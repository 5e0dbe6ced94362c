"""The recount room: a FastAPI app over the evidence store and the workflow database (`tallycheck serve`).

A shell, like the CLI: it parses requests, checks who is asking, calls the workflow and the pure core, and
renders pages. `app.create_app` builds it; `auth` says who may call each route; `security` adds the headers,
the CSRF check and the upload limit every response and request goes through; `templating` renders pages in the
visitor's language.
"""
