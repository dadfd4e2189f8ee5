"""Malformed and hostile input values, shared by the provider-level and the host-level tests.

Every value here must be refused by Check, with a failure on the property it was given to. The
lists hold only values the engine can send (no bytes, no lone surrogates); the unit tests add
those on their own.
"""

from __future__ import annotations

A = "0123456789abcdef0123456789abcdef"
G = "fedcba9876543210fedcba9876543210"
M = "00112233445566778899aabbccddeeff"
M2 = "ffeeddccbbaa99887766554433221100"
EMAIL = "ada@example.com"

FULLWIDTH = str.maketrans(
    "0123456789abcdef",
    "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19"
    "\uff41\uff42\uff43\uff44\uff45\uff46",
)

WRONG_TYPES: list[object] = [
    True,
    False,
    0,
    7,
    int(A[:12], 16),
    12345.0,
    1.5,
    float("nan"),
    float("inf"),
    -1e300,
    [],
    [A],
    {},
    {"id": A},
]

# Values for account_id, user_group_id, member_id (and for the items of member_ids).
IDENTIFIERS: list[object] = [
    *WRONG_TYPES,
    "",
    " ",
    A[:31],
    A + "0",
    "g" * 32,
    "x" * 10_000,
    "0x" + A[2:],
    # path characters and traversal
    "/",
    ".",
    "..",
    "../x",
    "../" + A[3:],
    A[:16] + "/" + A[17:],
    A[:-1] + "/",
    A[:-2] + "..",
    A[:-1] + "?",
    "?" + A[1:],
    A[:-1] + "#",
    A[:-1] + "\\",
    "\\" * 32,
    A[:-1] + "%",
    # percent-encodings
    "%2F" + A[3:],
    A[:-3] + "%2F",
    A[:-3] + "%2e",
    A[:-3] + "%00",
    "%30" * 32,
    # unicode look-alikes
    A.translate(FULLWIDTH),
    "\uff10" * 32,
    A[:-1] + "\u0430",  # Cyrillic a
    A[:-1] + "\u0435",  # Cyrillic e
    A[:-1] + "\u0441",  # Cyrillic es, like c
    A[:-1] + "\u03bf",  # Greek omicron, like o
    A[:-1] + "\u0660",  # Arabic-Indic zero
    A[:-1] + "\U0001d7ce",  # mathematical bold zero
    A[:-1] + "\u0131",  # dotless i
    # whitespace and control characters
    " " + A,
    A + " ",
    A + "\n",
    "\t" + A,
    A[:-1] + "\r",
    A[:16] + " " + A[17:],
    A[:-1] + "\x00",
    A + "\x00",
    "\x00" * 32,
    A[:-1] + "\x7f",
    A[:16] + "\u200b" + A[17:],  # zero-width space
    A[:-1] + "\u202e",  # right-to-left override
    A[:-1] + "\u00a0",  # no-break space
]

EMAILS: list[object] = [
    *WRONG_TYPES,
    [EMAIL],
    {"email": EMAIL},
    "",
    " ",
    "ada",
    "@example.com",
    "ada@",
    "ada@@example.com",
    "ada@localhost",
    "a" * 79 + "@example.com",  # 91 characters
    "x" * 10_000,
    # path characters, percent-encodings and quoting where an address cannot have them
    "../x",
    "/",
    EMAIL + "/x",
    "ada@exa/mple.com",
    EMAIL + "?x",
    EMAIL + "#x",
    "ada@exa%2Fmple.com",
    "ada@example%2Ecom",
    "ada@exa\\mple.com",
    "ada\\x@example.com",
    "..ada@example.com",
    ".ada@example.com",
    "ada.@example.com",
    "a..da@example.com",
    "ada@.example.com",
    "ada@example..com",
    "ada@-example.com",
    "ada@example-.com",
    "ada@exa_mple.com",
    "ada@[127.0.0.1]",
    '"ada"@example.com',
    "ada(x)@example.com",
    "ada,b@example.com",
    "ada@ex:ample.com",
    "ada<x>@example.com",
    # unicode look-alikes
    "\u0430da@example.com",  # Cyrillic a
    "ada@\u0435xample.com",  # Cyrillic e
    "ada@ex\u0430mple.com",
    "ada@exam\u03c1le.com",  # Greek rho
    "\uff41da@example.com",  # fullwidth a
    "ada\uff20example.com",  # fullwidth @
    "ada@example\uff0ecom",  # fullwidth full stop
    "ada\u0660@example.com",  # Arabic-Indic zero among Latin letters
    "a\ufb01@example.com",  # the fi ligature
    "ada@e\u0301xample.com",  # a combining accent, not the composed letter
    # whitespace and control characters
    " " + EMAIL,
    EMAIL + " ",
    EMAIL + "\n",
    "\t" + EMAIL,
    "ada @example.com",
    "ada@exa mple.com",
    "a\rda@example.com",
    "ada\x00@example.com",
    EMAIL + "\x00",
    "ada\u200b@example.com",
    "ada\u202e@example.com",
    "ada\u00a0@example.com",
]


def member_import_ids(a: str = A, g: str = G, m: str = M) -> list[object]:
    """Values for UserGroupMember's ``import_id`` (``import_=`` in the program)."""
    key = f"{a}/{g}/{m}"
    return [
        *WRONG_TYPES,
        [key],
        {"id": key},
        "",
        " ",
        "x" * 10_000,
        f"{a}/{g}",
        f"{a}/{g}/{m}/",
        f"/{a}/{g}/{m}",
        f"{a}//{g}/{m}",
        f"{a}/{g}/{m}/{m}",
        f"{a}/../{m}",
        f"{a}/{g}/..",
        f"{a}%2F{g}%2F{m}",
        f"{a}%2f{g}/{m}",
        f"{a}\uff0f{g}\uff0f{m}",  # fullwidth solidus
        f"{a}\\{g}\\{m}",
        f"{a}/{g}/{m}?x",
        f"{a}/{g}/{m}#x",
        f" {key}",
        f"{key}\n",
        f"{key}\x00",
        f"{a}/{g}/{m[:-1]}\u0430",
        f"{a}/{g}/{m.translate(FULLWIDTH)}",
        f"{a}/{g}/{M2 if m != M2 else M}",  # names another member than the inputs
    ]


def group_import_ids(a: str = A, g: str = G) -> list[object]:
    """Values for UserGroupMembers' ``import_id``."""
    key = f"{a}/{g}"
    return [
        *WRONG_TYPES,
        [key],
        {"id": key},
        "",
        " ",
        "x" * 10_000,
        a,
        f"{a}/{g}/",
        f"/{a}/{g}",
        f"{a}//{g}",
        f"{a}/{g}/{M}",
        f"{a}/..",
        f"../{g}",
        f"{a}%2F{g}",
        f"{a}\uff0f{g}",
        f"{a}\\{g}",
        f"{key}?x",
        f"{key}#x",
        f" {key}",
        f"{key}\n",
        f"{key}\x00",
        f"{a}/{g[:-1]}\u0435",
        f"{a}/{g.translate(FULLWIDTH)}",
        f"{a}/{M2}",  # names another group than the inputs
    ]


# Values for the member_ids and emails lists themselves (not their items).
LISTS: list[object] = [
    True,
    0,
    1.5,
    "",
    M,
    EMAIL,
    {},
    {"id": M},
]


def show(value: object) -> str:
    """A short, printable test id for a value."""
    text = ascii(value)
    return text if len(text) <= 40 else text[:37] + "..."
