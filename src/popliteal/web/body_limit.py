"""The request body limit every route carries (the watch-file imports raise it to the upload cap).

A JSON body or form is small: a whole screening is a few kilobytes. The limit sits on each
area's router, so its routes carry it themselves and the app adds those route objects as they
are: an included router would be built again, route by route, on each new app's first requests
(about a third of a second per app; the test suite makes one per test). The limit is counted as
the body streams in, so a chunked upload that declares no length is stopped too; the 413 passes
through the app's middlewares (security headers, the plain-words message) like any answer.
"""

from __future__ import annotations

MAX_BODY_BYTES = 1024 * 1024
