"""Shared helpers for the trusted-write tests: hostile loopback proxies and real services.

Import as ``from support.hostile import HostileProxy`` (``tests/`` is on the
import path: it holds the top-level ``conftest.py``).
"""
