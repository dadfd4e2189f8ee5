"""Error codes the emulator answers with, and the exception that carries one to the HTTP layer."""

from __future__ import annotations

# Codes observed from Cloudflare (see docs/emulator.md for the sources).
CODE_INVALID_MEMBER = 400
CODE_RATE_LIMITED = 971
CODE_INVALID_HEADERS = 6003
CODE_INVALID_EMAIL_HEADER = 6102
CODE_INVALID_KEY_HEADER = 6103
CODE_INVALID_AUTHORIZATION_HEADER = 6111
CODE_NO_ROUTE = 7000
CODE_BAD_IDENTIFIER = 7003
CODE_AUTHENTICATION = 10000

# Codes the emulator chooses because Cloudflare does not document its own for these cases.
CODE_DUPLICATE_EMAIL = 1001
CODE_INVALID_PARAMETER = 1002
CODE_GROUP_NOT_FOUND = 1003
CODE_GROUP_MEMBER_NOT_FOUND = 1004
CODE_DUPLICATE_GROUP_NAME = 1005
CODE_INVALID_BODY = 1006
CODE_ACCOUNT_MEMBER_NOT_FOUND = 1007
CODE_FAULT = 1010
CODE_FAULT_SUCCESS_FALSE = 1011
CODE_METHOD_NOT_ALLOWED = 7001


class ApiError(Exception):
    """A failure answered as a v4 envelope with ``success: false``."""

    def __init__(self, status: int, errors: list[dict[str, object]]) -> None:
        super().__init__(f"HTTP {status}: {errors}")
        self.status = status
        self.errors = errors

    @classmethod
    def single(
        cls,
        status: int,
        code: int,
        message: str,
        *,
        chain: tuple[int, str] | None = None,
    ) -> ApiError:
        """Build an error with one entry, optionally with a one-link ``error_chain``."""
        error: dict[str, object] = {"code": code, "message": message}
        if chain is not None:
            error["error_chain"] = [{"code": chain[0], "message": chain[1]}]
        return cls(status, [error])

    @property
    def first_code(self) -> int | None:
        """The code of the first error entry."""
        code = self.errors[0].get("code") if self.errors else None
        return code if isinstance(code, int) else None

    @property
    def first_message(self) -> str:
        """The message of the first error entry."""
        return str(self.errors[0].get("message", "")) if self.errors else ""


def group_not_found() -> ApiError:
    """The 404 answered for an unknown user group."""
    return ApiError.single(404, CODE_GROUP_NOT_FOUND, "User group not found")


def invalid_member(member_id: str) -> ApiError:
    """The 400 answered when an id is not a member of the account."""
    return ApiError.single(
        400,
        CODE_INVALID_MEMBER,
        f"Invalid member: {member_id} is not a member of the account",
    )


def group_member_not_found() -> ApiError:
    """The 404 answered when an account member is not in the group."""
    return ApiError.single(404, CODE_GROUP_MEMBER_NOT_FOUND, "Member not found in user group")


def account_member_not_found() -> ApiError:
    """The 404 answered for an unknown account member."""
    return ApiError.single(404, CODE_ACCOUNT_MEMBER_NOT_FOUND, "Member not found")


def invalid_body(detail: str) -> ApiError:
    """The 400 answered for a body that is not JSON or has the wrong shape."""
    return ApiError.single(400, CODE_INVALID_BODY, f"Invalid request body: {detail}")


def invalid_parameter(detail: str) -> ApiError:
    """The 400 answered for a query parameter out of range or of the wrong type."""
    return ApiError.single(400, CODE_INVALID_PARAMETER, f"Invalid query parameter: {detail}")
