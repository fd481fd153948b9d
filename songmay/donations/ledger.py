"""Which donations pay for a spending: plain functions over plain data, no ORM.

Money is spent first in, first out: the oldest unspent donation pays first. A donor may
earmark its money for a purpose; earmarked money is never taken first-in-first-out, only
when a spending names that donation.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from songmay.lib.money import format_vnd


@dataclass(frozen=True)
class Source:
    """A money donation and what is left of it, in the order it was received."""

    donation_id: int
    remaining: int
    earmarked: bool = False


class InsufficientFundsError(ValueError):
    def __init__(self, needed: int, available: int) -> None:
        super().__init__(
            f"Số dư có thể dùng là {format_vnd(available)}, không đủ chi {format_vnd(needed)}."
            " Hãy ghi nhận thêm khoản tiếp nhận, chọn khoản tiền được chỉ định cho việc này,"
            " hoặc giảm số tiền chi."
        )
        self.needed = needed
        self.available = available


def available(sources: Sequence[Source], named: Collection[int] = ()) -> int:
    """What a spending naming `named` donations may draw on."""
    return sum(
        source.remaining
        for source in sources
        if source.remaining > 0 and (not source.earmarked or source.donation_id in named)
    )


def attribute(
    amount: int, sources: Sequence[Source], named: Collection[int] = ()
) -> list[tuple[int, int]]:
    """[(donation_id, part)] paying `amount`: named donations first, then the oldest others.

    `sources` must be in the order the money was received. The parts are positive and sum to
    `amount`; no donation gives more than it has left.
    """
    if amount <= 0:
        raise ValueError("amount must be positive")
    can_use = available(sources, named)
    if can_use < amount:
        raise InsufficientFundsError(amount, can_use)
    named_first = [s for s in sources if s.donation_id in named] + [
        s for s in sources if s.donation_id not in named and not s.earmarked
    ]
    parts: list[tuple[int, int]] = []
    left = amount
    for source in named_first:
        if left == 0:
            break
        part = min(left, source.remaining)
        if part > 0:
            parts.append((source.donation_id, part))
            left -= part
    return parts
