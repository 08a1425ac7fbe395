"""spotarb: multi-cloud spot price arbitrage.

Collects AWS, Azure and GCP spot prices into one normalized schema, keeps
their history, and answers where a workload should run.
"""

from spotarb._version import __version__
from spotarb.errors import SpotArbError
from spotarb.models import SpotPrice

__all__ = ["SpotArbError", "SpotPrice", "__version__"]
