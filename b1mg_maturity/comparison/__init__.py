"""Comparing health systems and rounds, with the privacy threshold.  Pure: no database, no streamlit.

Who sees what
-------------
* Analysts and administrators read every published round, by name.
* Everyone else (coordinators, experts, viewers) sees the rounds of their own
  health system that they may open, against **anonymous aggregates** of the
  other health systems: median, quartiles, highest and lowest, and the number
  of health systems behind them.  No other health system is ever named, and
  no single other system's value is shown (no points, no rows).
* A statistic describing fewer than ``min_group_size`` health systems
  (setting ``B1MG_MIN_GROUP_SIZE``, default 3) is not shown at all: every
  value of it is withheld with the reason, never a part of it.  For the
  anonymous view the count is of the *other* health systems, so one's own
  value never helps to single out a peer's.
* Only published rounds count in any comparison.
* No statistic of others can be computed by differencing two views: the
  anonymous view describes one fixed group per questionnaire version, chosen
  by the data and never by the user: the latest published round of every
  other health system.  Any second group a member could choose would overlap
  it, and subtracting the two would single a round out: a date range slid one
  day at a time showed which round entered and its score, and a round label's
  group minus the latest rounds' group does the same.  So round labels, date
  ranges and the per-round medians of the trends are for analysts and
  administrators, who see every health system by name anyway; members still
  see all of their own rounds.

Every table the compare page shows, and every CSV/XLSX download of it, comes
from :class:`Comparison`, so a download never reveals more than the page.

Where things are
----------------
``filters``   what the Compare page shows (:class:`Filters`) and its choices;
``compare``   the comparison in named steps (:func:`~.compare.plan`, :func:`~.compare.assemble`);
``tables``    typed tables: stable column ids, an ``is_aggregate`` flag per row;
``peers``     the peers' median per domain (Results page, PDF report);
``overview``  the programme overview;
``rounds``    the facts of published rounds the steps work on;
``reading``   the use cases over the database (they move into :mod:`b1mg_maturity.services`).
The statistics themselves are :mod:`b1mg_maturity.benchmark`'s one pipeline.
"""

from b1mg_maturity.comparison.compare import Comparison, Viewer
from b1mg_maturity.comparison.filters import MAX_OVERLAY, OVERALL, Filters, QuestionnaireChoice, SystemChoice
from b1mg_maturity.comparison.overview import Overview
from b1mg_maturity.comparison.peers import PeerBenchmark
from b1mg_maturity.comparison.rounds import PublishedRound, ScoredRound
from b1mg_maturity.comparison.tables import Column, Table, domain_label

__all__ = [
    "MAX_OVERLAY",
    "OVERALL",
    "Column",
    "Comparison",
    "Filters",
    "Overview",
    "PeerBenchmark",
    "PublishedRound",
    "QuestionnaireChoice",
    "ScoredRound",
    "SystemChoice",
    "Table",
    "Viewer",
    "domain_label",
]
