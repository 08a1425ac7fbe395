"""Instance families and burstable types, read from the instance type name.

The family of an instance type, per cloud:

* AWS: the part before the dot: ``m5`` for ``m5.large``, ``t4g`` for ``t4g.2xlarge``.
* Azure: the size name without its vCPU count: ``Standard_Ds_v5`` for
  ``Standard_D4s_v5``, ``Standard_NCads_A100_v4`` for ``Standard_NC24ads_A100_v4``,
  ``Standard_Bs`` for ``Standard_B2s``.
* GCP: the machine series, the part before the first dash: ``n2`` for
  ``n2-standard-8``, ``e2`` for ``e2-medium``.

A family pattern (``includeFamilies``/``excludeFamilies``) is a glob, matched without
regard to case against the instance type *and* its family: ``t2*`` and ``*.metal``
match type names, ``m5`` matches the m5 family (``m5.large``…, not ``m5a.large``).
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Final

_AZURE_SIZE: Final = re.compile(r"^((?:Standard|Basic)_[A-Za-z]+?)\d+(?:-\d+)?(.*)$")

#: The burstable (shared-core, CPU-credit) types, per cloud: one rule table of globs
#: matched against the instance type (case-sensitive, as the clouds spell them).
BURSTABLE: Final[tuple[tuple[str, str], ...]] = (
    ("aws", "t[0-9]*.*"),  # t2, t3, t3a, t4g…: every AWS t family
    ("azure", "Standard_B*"),  # the B-series (Bs, Bls, Bms, Bsv2, Basv2, Bpsv2…)
    ("gcp", "e2-micro"),  # e2 shared-core
    ("gcp", "e2-small"),
    ("gcp", "e2-medium"),
    ("gcp", "f1-micro"),  # first-generation shared-core
    ("gcp", "g1-small"),
)


def family_of(instance_type: str) -> str:
    """The family of an instance type (see the module docstring); the name if none applies."""
    if "." in instance_type:
        return instance_type.split(".", 1)[0]
    match = _AZURE_SIZE.match(instance_type)
    if match is not None:
        return match.group(1) + match.group(2)
    if "-" in instance_type and not instance_type.startswith(("Standard_", "Basic_")):
        return instance_type.split("-", 1)[0]
    return instance_type


def family_matches(patterns: tuple[str, ...], instance_type: str) -> bool:
    """One of ``patterns`` (lower-cased globs) matches the type or its family."""
    name = instance_type.lower()
    family = family_of(instance_type).lower()
    return any(fnmatchcase(name, p) or fnmatchcase(family, p) for p in patterns)


def is_burstable(instance_type: str) -> bool:
    """The type is in the :data:`BURSTABLE` table."""
    return any(fnmatchcase(instance_type, pattern) for _, pattern in BURSTABLE)


def burstable_matches(_patterns: tuple[str, ...], instance_type: str) -> bool:
    """:func:`is_burstable` in the shape the snapshot's pattern resolution takes."""
    return is_burstable(instance_type)
