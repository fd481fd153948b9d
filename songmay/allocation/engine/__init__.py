"""The allocation engine: which device goes to which pupil. Plain Python over plain data.

No ORM here: `allocate()` takes pupils, devices and the policy's rules as dataclasses and
returns the assignment, each with its reasons, and every pupil left unserved with why.

The objectives, in strict order (lexicographic; a later one never trades away an earlier one):
1. the most pupils served in each priority tier, tier by tier (tier 0 first);
2. fairness between communes within a tier (each commune's share of what the tier receives
   follows its share of that tier's need), when `Rules.fair_shares`;
3. suitability: the sum of preference ranks of the device kinds given (0 = first choice);
4. least movement: the sum of distances (0 same school, 1 same commune, 2 same province).
Constraints: once per pupil and per device; a kind not in the pupil's level's preference
list is never given; distance at most `Rules.max_distance`; an earmarked device only to a
pupil inside its earmark. Deterministic: the same input gives the same output.

Definitions, exactly as `objective()` computes them:

- Tier of a pupil: the lexicographic key (second-or-later child of a household, if
  `one_per_household_first`, i.e. a non-empty `household_key` and `sibling > 0`; rank of
  `household` in `household_order`; not `online_area`, if `online_first`; not `special`, if
  `special_first`). Tiers are numbered 0, 1, ... in key order over the keys that occur. A
  household category missing from `household_order` has no tier (-1): never served.
- need_t: pupils of tier t; need_{t,c}: those of commune c; served_t, served_{t,c} likewise.
- Distance: 0 if device.school == pupil.school; 1 if device.commune is not None and equals
  pupil.commune; 2 if device.province == pupil.province; else 3. A device is eligible for a
  pupil when the distance is at most `max_distance`, its kind is in the preference list of the
  pupil's level, and its earmark (if any) holds: `earmark_school` equals pupil.school and
  pupil.area_path starts with `earmark_path`.
- The objective vector, compared as tuples, smaller is better:
  (-served_0, -served_1, ..., fairness shortfall, sum of preference ranks, sum of distances),
  where the fairness shortfall is, when `fair_shares`,
  sum over tiers t and communes c of max(0, floor(need_{t,c} * served_t / need_t) - served_{t,c}),
  i.e. how many pupils each commune lacks of the whole part of its share; 0 otherwise.
- Ties between optimal assignments: the solver's choice on a network built in sorted order
  of the data's values (never of the input order), then the lowest pupil ids of a class and
  the lowest device ids of a class first.

How it is solved, exactly and without a greedy step:
1. Pupils are grouped into classes (school, commune, province, area path, level, tier) and
   devices into classes (place, kind, earmark); members of a class are interchangeable.
2. A flow network: source -> device class -> hubs per (kind, earmark) at province, commune
   and school -> (school, level) -> (tier, commune) -> tier -> sink. Hubs keep the arcs linear
   in the number of classes; each earmark has its own hubs that reach only the schools inside
   it, so an earmarked device cannot leak.
3. The pupils that can be served together form a (transversal) matroid, so the greedy order
   of tiers is optimal for every prefix at once: a maximum flow of minimum cost, with cost t on
   tier t's arc to the sink, serves exactly the lexicographically largest counts F_t.
4. A second maximum flow of minimum cost with tier t capped at F_t, and unit costs
   W_fair * [beyond the commune's whole share] + W_rank * rank + distance, where
   W_rank = max_distance * F + 1 and W_fair = F * (max_rank * W_rank + max_distance) + 1
   (F = sum of F_t) make each objective dominate all later ones together.
5. The flow is cut into (device class, pupil class, count) pieces hub by hub, in sorted
   order, and each piece takes the lowest ids still free in its two classes.
6. When devices stay within their province, the network falls apart into provinces (parts
   that no device, commune or reach joins). Steps 3 and 4 run part by part: each part's
   lexicographically largest counts add up to the whole's (a direct sum of matroids), every
   later objective is a sum over parts, and the fair shares use the whole tier's counts.
   Smaller networks with smaller weights solve much faster than one national network.
7. Where every device of a part may go to every pupil of it (no earmark, and one province or
   no limit), steps 3 and 4 only see kinds, levels, tiers and communes: they run on a network
   of those alone. Its optimal node potentials, carried over to the whole network, fix every
   arc that all optima leave empty or fill (complementary slackness), and the whole network
   then only minimises the sum of distances, with unit costs 0 to 3.
8. In step 4 a device class whose arcs go to its school's hub and that hub's ancestors enters
   the school's hub alone and climbs, one arc up from each hub at cost 1 (`climb.py`); every
   arc carries no more than can reach its tail or leave its head (`Network.solve`). Neither
   changes which flows are allowed or what they cost; both make the network the solver sees
   smaller.
9. On a large network, steps 4 and 5 of the parts run side by side, a process per core
   (`workers.py`): the same work on the same data, so the same result.
"""

from songmay.allocation.engine.definitions import (
    DISTANCE_LABELS,
    ELSEWHERE,
    HOUSEHOLD_LABELS,
    KIND_LABELS,
    LEVEL_LABELS,
    REACH_LABELS,
    SAME_COMMUNE,
    SAME_PROVINCE,
    SAME_SCHOOL,
    Assigned,
    Device,
    Left,
    Pupil,
    Result,
    Rules,
    Tier,
    TierKey,
    check,
    distance,
    eligible,
    objective,
    preference,
    tier_key,
    tier_label,
    tier_numbers,
    within_earmark,
)
from songmay.allocation.engine.solver import allocate, allocate_table
from songmay.allocation.engine.tables import (
    NO_ID,
    Array,
    DeviceTable,
    PupilTable,
    ResultTable,
    coded,
)

__all__ = [
    "DISTANCE_LABELS",
    "ELSEWHERE",
    "HOUSEHOLD_LABELS",
    "KIND_LABELS",
    "LEVEL_LABELS",
    "NO_ID",
    "REACH_LABELS",
    "SAME_COMMUNE",
    "SAME_PROVINCE",
    "SAME_SCHOOL",
    "Array",
    "Assigned",
    "Device",
    "DeviceTable",
    "Left",
    "Pupil",
    "PupilTable",
    "Result",
    "ResultTable",
    "Rules",
    "Tier",
    "TierKey",
    "allocate",
    "allocate_table",
    "check",
    "coded",
    "distance",
    "eligible",
    "objective",
    "preference",
    "tier_key",
    "tier_label",
    "tier_numbers",
    "within_earmark",
]
