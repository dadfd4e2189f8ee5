"""Run the ``cf-user-groups`` command as ``python -m cloudflare_user_groups``."""

from __future__ import annotations

from cloudflare_user_groups.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
