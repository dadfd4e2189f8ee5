"""Value objects for the Cloudflare IAM user-group API and the input checks run before any request.

Identifiers are exactly 32 hexadecimal characters and emails at most 90 characters; both are
lower-cased on the way in, so that two spellings of one member never look like two members. An
email must also be one spelling only: no compatibility characters (fullwidth letters) and no mix
of look-alike scripts (a Cyrillic letter among Latin ones), so that an address that reads like a
colleague's cannot pick someone else. The ``from_api``
constructors read API objects and raise ``ValueError`` when a required field is missing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

import attrs

from cloudflare_user_groups.errors import InvalidInputError

ID_LENGTH = 32
MAX_EMAIL_LENGTH = 90

_IDENTIFIER = re.compile(r"[0-9a-fA-F]{32}")
_IDENTIFIER_RULE = f"must be exactly {ID_LENGTH} hexadecimal characters (0-9, a-f)"
# Categories never plausible in an address or a name: controls, format characters (zero-width
# spaces, direction marks), surrogates, private use, unassigned and every kind of separator.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})

# What RFC 5322 allows unquoted in the name before the @, besides letters, digits and dots.
_LOCAL_SPECIALS = frozenset("!#$%&'*+-/=?^_`{|}~")
_MAX_LABEL_LENGTH = 63
# Scripts that are written together: Japanese mixes Han, Hiragana and Katakana, Korean Han and
# Hangul, and any of them appears beside Latin (the mixes browsers allow in domain names).
_EAST_ASIAN = frozenset(
    {"CJK", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA", "IDEOGRAPHIC", "HANGUL", "BOPOMOFO"}
)

MEMBER_KEY_FORM = "<account_id>/<user_group_id>/<member_id>"
GROUP_KEY_FORM = "<account_id>/<user_group_id>"


def is_identifier(value: object) -> bool:
    """Tell whether ``value`` is a string of exactly 32 hexadecimal characters (either case)."""
    return isinstance(value, str) and _IDENTIFIER.fullmatch(value) is not None


def _require_text(value: object, prop: str) -> str:
    if value is None:
        raise InvalidInputError(prop, "is required", value=value)
    if not isinstance(value, str):
        raise InvalidInputError(prop, f"must be a string, not {type(value).__name__}", value=value)
    if not value:
        raise InvalidInputError(prop, "must not be empty", value=value)
    return value


def _has_forbidden_character(value: str) -> bool:
    return any(ch.isspace() or unicodedata.category(ch) in _FORBIDDEN_CATEGORIES for ch in value)


def validate_identifier(value: object, prop: str) -> str:
    """Return the identifier lower-cased; raise InvalidInputError naming ``prop`` and the rule."""
    text = _require_text(value, prop)
    if not is_identifier(text):
        raise InvalidInputError(prop, _IDENTIFIER_RULE, value=value)
    return text.lower()


def _script(ch: str) -> str | None:
    """The script of a letter or digit (the first word of its Unicode name); None for ASCII
    digits, which every script uses."""
    if "0" <= ch <= "9":
        return None
    return unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0]


def _mixes_scripts(text: str) -> bool:
    scripts = {script for ch in text if ch.isalnum() and (script := _script(ch)) is not None}
    return len(scripts) > 1 and not scripts <= _EAST_ASIAN | {"LATIN"}


def validate_email(value: object, prop: str = "email") -> str:
    """Return a plausible email address lower-cased, or raise InvalidInputError naming ``prop``.

    The name before the @ is an unquoted RFC 5322 dot-atom (letters of any script, digits, dots
    and ``! # $ % & ' * + - / = ? ^ _ ` { | } ~``); the domain is dot-separated labels of letters,
    digits and inner hyphens. The address may not mix look-alike scripts or use compatibility
    characters.
    """
    text = _require_text(value, prop)
    if len(text) > MAX_EMAIL_LENGTH:
        raise InvalidInputError(prop, f"must be at most {MAX_EMAIL_LENGTH} characters", value=value)
    if text != text.strip():
        raise InvalidInputError(prop, "must not start or end with whitespace", value=value)
    if _has_forbidden_character(text):
        raise InvalidInputError(
            prop, "must not contain whitespace or control characters", value=value
        )
    if text.count("@") != 1:
        raise InvalidInputError(prop, "must contain exactly one @", value=value)
    local, domain = text.split("@")
    if not local:
        raise InvalidInputError(prop, "must have a name before the @", value=value)
    labels = domain.split(".")
    if len(labels) < 2 or "" in labels:
        raise InvalidInputError(
            prop, "must have a domain with a dot after the @, such as example.com", value=value
        )
    if unicodedata.normalize("NFKC", text) != text:
        raise InvalidInputError(
            prop,
            "must not contain compatibility characters such as fullwidth letters or ligatures "
            "(type them as plain letters)",
            value=value,
        )
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise InvalidInputError(
            prop,
            "must not start or end its name with a dot, or have two dots in a row",
            value=value,
        )
    if not all(ch.isalnum() or ch == "." or ch in _LOCAL_SPECIALS for ch in local):
        raise InvalidInputError(
            prop,
            "may only have letters, digits, dots and ! # $ % & ' * + - / = ? ^ _ ` { | } ~ "
            "before the @ (no quotes, brackets, commas, colons, semicolons or backslashes)",
            value=value,
        )
    for label in labels:
        if (
            len(label) > _MAX_LABEL_LENGTH
            or label.startswith("-")
            or label.endswith("-")
            or not all(ch.isalnum() or ch == "-" for ch in label)
        ):
            raise InvalidInputError(
                prop,
                "must have a domain of letters, digits and inner hyphens between its dots, "
                "such as example.com",
                value=value,
            )
    # The whole address at once: a name spelt entirely in Cyrillic look-alikes (a Cyrillic "a")
    # beside a Latin domain is as misleading as one look-alike among Latin letters.
    if _mixes_scripts(text):
        raise InvalidInputError(
            prop,
            "must not mix letters of different scripts, such as Cyrillic or Greek look-alikes "
            "beside Latin letters (Latin with Chinese, Japanese or Korean is fine)",
            value=value,
        )
    return text.lower()


def validate_name(value: object, prop: str = "name") -> str:
    """Return a non-empty name without control characters or surrounding whitespace, unchanged."""
    text = _require_text(value, prop)
    if text != text.strip():
        raise InvalidInputError(prop, "must not start or end with whitespace", value=value)
    if any(unicodedata.category(ch) in {"Cc", "Cs", "Zl", "Zp"} for ch in text):
        raise InvalidInputError(prop, "must not contain control characters", value=value)
    return text


# Readers for API objects: the API is the source of truth, but a missing id must not turn into
# a silently wrong state, so required fields raise and optional ones must have the right type.


def _mapping(data: object, what: str) -> Mapping[str, object]:
    if not isinstance(data, Mapping):
        raise ValueError(f"expected a {what} object, got {type(data).__name__}")
    return data


def _required_id(data: Mapping[str, object], what: str) -> str:
    value = data.get("id")
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} object has no id (got {value!r})")
    return value.lower()


def _optional_str(data: Mapping[str, object], key: str, what: str) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"{what} field {key!r} is not a string (got {type(value).__name__})")


@attrs.frozen
class User:
    """The Cloudflare user behind an account member."""

    id: str | None
    email: str | None
    first_name: str | None = None
    last_name: str | None = None

    @classmethod
    def from_api(cls, data: object) -> User | None:
        """Read a ``user`` object; ``None`` stays ``None``."""
        if data is None:
            return None
        obj = _mapping(data, "user")
        user_id = _optional_str(obj, "id", "user")
        return cls(
            id=user_id.lower() if user_id else user_id,
            email=_optional_str(obj, "email", "user"),
            first_name=_optional_str(obj, "first_name", "user"),
            last_name=_optional_str(obj, "last_name", "user"),
        )


@attrs.frozen
class GroupMember:
    """A member of a user group as the list, add and replace operations return it."""

    id: str
    email: str | None = None
    status: str | None = None

    @classmethod
    def from_api(cls, data: object) -> GroupMember:
        """Read a group member object."""
        obj = _mapping(data, "group member")
        return cls(
            id=_required_id(obj, "group member"),
            email=_optional_str(obj, "email", "group member"),
            status=_optional_str(obj, "status", "group member"),
        )


@attrs.frozen
class GroupMemberDetail:
    """One member of a user group with the time it was added and its user."""

    id: str
    email: str | None = None
    status: str | None = None
    created_at: str | None = None
    user: User | None = None

    @classmethod
    def from_api(cls, data: object) -> GroupMemberDetail:
        """Read the detailed member object of GET ``/members/{member_id}``."""
        obj = _mapping(data, "group member")
        return cls(
            id=_required_id(obj, "group member"),
            email=_optional_str(obj, "email", "group member"),
            status=_optional_str(obj, "status", "group member"),
            created_at=_optional_str(obj, "created_at", "group member"),
            user=User.from_api(obj.get("user")),
        )


@attrs.frozen
class UserGroup:
    """A user group of an account."""

    id: str
    name: str
    created_on: str | None = None
    modified_on: str | None = None

    @classmethod
    def from_api(cls, data: object) -> UserGroup:
        """Read a user group object."""
        obj = _mapping(data, "user group")
        name = _optional_str(obj, "name", "user group")
        if name is None:
            raise ValueError("user group object has no name")
        return cls(
            id=_required_id(obj, "user group"),
            name=name,
            created_on=_optional_str(obj, "created_on", "user group"),
            modified_on=_optional_str(obj, "modified_on", "user group"),
        )


@attrs.frozen
class AccountMember:
    """A member of an account (its id is what user groups hold), with its user."""

    id: str
    email: str | None = None
    status: str | None = None
    user: User | None = None

    @classmethod
    def from_api(cls, data: object) -> AccountMember:
        """Read an account member object; the email falls back to the user's email."""
        obj = _mapping(data, "account member")
        user = User.from_api(obj.get("user"))
        email = _optional_str(obj, "email", "account member")
        if email is None and user is not None:
            email = user.email
        return cls(
            id=_required_id(obj, "account member"),
            email=email,
            status=_optional_str(obj, "status", "account member"),
            user=user,
        )


def _lower(value: str) -> str:
    # Typed for str, but anything else passes through to the validator, which names the field.
    return value.lower() if isinstance(value, str) else value


def _check_identifier(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    validate_identifier(value, attribute.name)


def _split_key(value: object, prop: str, form: str) -> list[str]:
    if not isinstance(value, str):
        rule = "is required" if value is None else f"must be a string, not {type(value).__name__}"
        raise InvalidInputError(prop, f"{rule}, of the form {form}", value=value)
    text = value
    names = form.split("/")
    parts = text.split("/")
    if len(parts) != len(names):
        raise InvalidInputError(
            prop,
            f"must have the form {form}, each part {ID_LENGTH} hexadecimal characters",
            value=value,
        )
    for name, part in zip(names, parts, strict=True):
        if not is_identifier(part):
            raise InvalidInputError(
                prop, f"must have the form {form}, and its {name} {_IDENTIFIER_RULE}", value=value
            )
    return parts


@attrs.frozen
class GroupKey:
    """The composite id of a user group: ``<account_id>/<user_group_id>``."""

    account_id: str = attrs.field(converter=_lower, validator=_check_identifier)
    user_group_id: str = attrs.field(converter=_lower, validator=_check_identifier)

    @property
    def id(self) -> str:
        """The composite id, ``<account_id>/<user_group_id>``."""
        return f"{self.account_id}/{self.user_group_id}"

    @classmethod
    def parse(cls, value: object, *, prop: str = "id") -> GroupKey:
        """Read ``<account_id>/<user_group_id>``; errors show that form."""
        account_id, user_group_id = _split_key(value, prop, GROUP_KEY_FORM)
        return cls(account_id, user_group_id)

    def __str__(self) -> str:
        return self.id


@attrs.frozen
class MemberKey:
    """The composite id of one membership: ``<account_id>/<user_group_id>/<member_id>``."""

    account_id: str = attrs.field(converter=_lower, validator=_check_identifier)
    user_group_id: str = attrs.field(converter=_lower, validator=_check_identifier)
    member_id: str = attrs.field(converter=_lower, validator=_check_identifier)

    @property
    def id(self) -> str:
        """The composite id, ``<account_id>/<user_group_id>/<member_id>``."""
        return f"{self.account_id}/{self.user_group_id}/{self.member_id}"

    @property
    def group(self) -> GroupKey:
        """The key of the group this membership belongs to."""
        return GroupKey(self.account_id, self.user_group_id)

    @classmethod
    def parse(cls, value: object, *, prop: str = "id") -> MemberKey:
        """Read ``<account_id>/<user_group_id>/<member_id>``; errors show that form."""
        account_id, user_group_id, member_id = _split_key(value, prop, MEMBER_KEY_FORM)
        return cls(account_id, user_group_id, member_id)

    def __str__(self) -> str:
        return self.id
