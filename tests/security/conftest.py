"""The security suite reuses the scoping matrix's world: the same users, scopes and objects."""

from tests.test_scoping_matrix import tokens, world

__all__ = ["tokens", "world"]
