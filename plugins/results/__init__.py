"""The results of a consultation: its report, participation, the answers and what changed.

Pages of a closed consultation, added to its own (plugins/consultations ``consultation_pages``)
so that the same render fingerprints decide what a publish re-renders. Their counts are written
the Greek way (1.234) by plugins/greek's ``greek_count`` filter, as the charts write them.
"""

from pelican import signals

from plugins.consultations.generator import consultation_pages

from .pages import read_reports, write_results

__all__ = ["register"]


def register() -> None:
    signals.all_generators_finalized.connect(read_reports)
    consultation_pages.connect(write_results)
