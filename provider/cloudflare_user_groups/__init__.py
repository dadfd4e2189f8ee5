"""Cloudflare IAM user-group membership as Pulumi resources."""

from __future__ import annotations

from cloudflare_user_groups._version import __version__

__all__ = ["__version__"]
