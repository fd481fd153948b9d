"""Money is integer VND, shown the Vietnamese way: 1.234.567 đ."""


def format_vnd(amount: int) -> str:
    """976_500_000 -> "976.500.000 đ"."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount):,} đ".replace(",", ".")
