"""Who may do what: bearer tokens with scopes and room globs, limits, and secure defaults.

scopes.py     Scope (read, write, admin) and Caller (a token's name, scopes, room globs)
tokens.py     the tokens file: hashed tokens, created and revoked by `roomtemp token` (cli/token.py)
store.py      the server's view of that file: re-read on change, constant-time checks
ratelimit.py  per-token token buckets (429 + Retry-After), off unless configured
gatekeeper.py identify, rate-limit, check scope and room; raises 401/403/429 domain errors
access.py     the FastAPI side: requires(scope), PUBLIC, the guard against undecided routes
limits.py     head size (431), body size (413) and upload time (408), enforced while reading
server.py     the uvicorn protocol: httptools with a deadline (slowloris) and a cap on request heads
headers.py    CSP, nosniff, referrer policy on every answer
exposure.py   no tokens: loopback only, unless --insecure-no-auth; the loud warning
openapi.py    the scope of each operation in the OpenAPI schema
install.py    install_security(app, settings, clock): wires all of the above into an app
"""
