"""A local, in-memory emulator of the Cloudflare API endpoints behind IAM user-group membership.

It serves the v4 API over loopback HTTP so that the provider, its client and your own programs can
be tried and tested offline. It imports only the standard library, never the rest of this package,
so it stays an independent oracle for the client.

Starting it
-----------
From a shell (prints the base URL as its first line, then serves until Ctrl-C or SIGTERM)::

    python -m cloudflare_user_groups.emulator --port 0 --token my-token
    export CLOUDFLARE_BASE_URL=http://127.0.0.1:PORT/client/v4 CLOUDFLARE_API_TOKEN=my-token

Options: ``--host`` (default 127.0.0.1), ``--port`` (default 8977; 0 picks a free port),
``--token T`` (repeatable; accepted API tokens), ``--api-key EMAIL:KEY`` (repeatable),
``--latency S``, ``--rate-limit N --rate-window S [--rate-block S]``, and for seeding
``--account-member ACCOUNT_ID:EMAIL`` and ``--user-group ACCOUNT_ID:NAME`` (each seeded object
is printed on its own line after the URL). Without ``--token``/``--api-key`` any well-formed
credentials are accepted.

Python API
----------
::

    from cloudflare_user_groups.emulator import Emulator, Fault

    with Emulator() as emu:                       # or emu = Emulator().start(); ...; emu.stop()
        member = emu.add_account_member(ACCOUNT, "ada@example.com")   # API-shaped dict
        group = emu.create_user_group(ACCOUNT, "Engineers")
        client = ...(base_url=emu.base_url, api_token="any-token")
        emu.group_member_ids(ACCOUNT, group["id"])  # set of member ids; KeyError if no group
        emu.request_count("POST", r"/members$")     # regex searched in the raw path

``Emulator(host="127.0.0.1", port=0, tokens=None, latency=0.0, *, api_keys=None)``. Seeding and
inspection helpers record no request: ``add_account_member``, ``remove_account_member``,
``create_user_group``, ``delete_user_group``, ``add_group_members``, ``remove_group_member``,
``group_member_ids``. They raise ``KeyError`` for a missing group and ``ValueError`` for refused
input. ``requests`` lists :class:`RecordedRequest` (method, raw percent-encoded path without
``/client/v4``, decoded query, status; status 0 means the connection was dropped; extra fields
``headers`` with secrets redacted, ``body`` and ``at``, the arrival time on ``time.monotonic()``).
Also ``reset_requests()``, ``set_latency(s)``, ``set_rate_limit(limit, window=300.0, block=None)``
(``None`` turns it off) and ``inject(Fault(...))`` / ``clear_faults()``.

Faults
------
``Fault(method=None, path="", times=1, status=503, kind="json", retry_after=None, delay=0.0,
code=None, message=None)`` applies to the next ``times`` API requests whose method matches (None =
any) and whose raw path (without ``/client/v4``) ``re.search``-matches ``path``. Kinds:

- ``json``: ``status`` with a failure envelope (code 971 for a 429, else 1010 unless ``code``);
- ``html``: ``status`` with a ``text/html`` Cloudflare-style error page;
- ``truncated``: 200, ``application/json``, a body cut in the middle;
- ``success_false``: 200 with ``success: false`` (code 1011 unless ``code``) and ``result: null``;
- ``drop_before``: close the connection without answering; nothing is applied;
- ``drop_after``: apply the request, then close the connection without answering;
- ``delay``: wait ``delay`` seconds, then answer normally (to provoke client read timeouts).

``retry_after`` adds a ``Retry-After`` header to the answer. Order of checks per request:
latency, rate limit, faults, credentials, routing.

HTTP control API (not under ``/client/v4``, no credentials, JSON in and out)
------------------------------------------------------------------------------
``GET /__emulator/requests``; ``POST /__emulator/reset-requests``; ``GET|POST|DELETE
/__emulator/faults`` (POST takes the Fault fields as a JSON object); ``POST
/__emulator/seed/account-member`` ``{account_id, email, status?, first_name?, last_name?}``;
``POST /__emulator/seed/user-group`` ``{account_id, name}``; ``POST
/__emulator/seed/group-members`` ``{account_id, user_group_id, member_ids}``; ``POST
/__emulator/rate-limit`` ``{limit, window?, block?}``; ``POST /__emulator/latency`` ``{seconds}``.

Error codes
-----------
As observed from Cloudflare: 400 invalid member (HTTP 400), 971 rate limited (429, with
``Retry-After`` in whole seconds), 6003 invalid request headers (400) with an ``error_chain`` of
6111 (Authorization), 6103 (X-Auth-Key) or 6102 (X-Auth-Email), 7003 + 7000 for a malformed
identifier in the path (400), 7000 no route (404), 10000 authentication error (403).
Chosen by the emulator because Cloudflare documents none: 1001 duplicate account-member email
(400), 1002 invalid query parameter (400), 1003 user group not found (404), 1004 member not in
user group (404), 1005 duplicate group name (400), 1006 invalid request body (400), 1007 account
member not found (404), 1010 and 1011 scripted faults, 7001 method not allowed (405).

With a rate limit set, every API response carries ``Ratelimit: "default";r=N;t=S`` and
``Ratelimit-Policy: "default";q=LIMIT;w=WINDOW``. The budget is one fixed window shared by all
credentials.
"""

from __future__ import annotations

from cloudflare_user_groups.emulator._app import RecordedRequest
from cloudflare_user_groups.emulator._emulator import Emulator
from cloudflare_user_groups.emulator._faults import Fault, FaultKind

__all__ = ["Emulator", "Fault", "FaultKind", "RecordedRequest"]
