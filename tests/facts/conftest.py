from tests.followups.conftest import ministerial

__all__ = ["ministerial"]
