"""Entity resolution: which records of which sources are one party, and how sure we are.

The public API, for the build, ``python -m graph match`` and screening:

* :func:`name_form` / :class:`NameForm` (``normalize``): a name transliterated
  (Chinese to pinyin), folded (case, punctuation, legal forms), and keyed so
  that word order and spacing do not matter; :func:`transliterate`.
* :class:`Record`, :func:`record_from_props`, :func:`score` → :class:`Score`
  (``match``): how alike two parties are, 0 to 1, with the reason;
  :func:`compare_names` for two bare names.
* :func:`candidate_pairs`, :func:`record_keys` (``blocking``): pairs worth
  scoring, near-linear in the number of records.
* :class:`NameIndex` (``index``): ``NameIndex(records).search(query, limit,
  threshold) -> [(Record, Score)]``, the best matches of one query among
  many records (screening), looking only at records that share a key.
* :func:`resolve` → ``(nodes, edges, ResolutionReport)`` (``resolver``) and
  :class:`Thresholds`; :func:`source_records` reads ``resolved_from``.
* :func:`load_judgements`, :func:`add_judgement` (``judgements``): the
  same/different decisions in ``data/resolutions.yaml``.
"""

from graph.resolve.blocking import candidate_pairs, record_keys
from graph.resolve.index import NameIndex
from graph.resolve.judgements import Judgement, add_judgement, load_judgements, parse_judgements
from graph.resolve.match import Record, Score, compare_names, record_from_props, score
from graph.resolve.normalize import NameForm, name_form, transliterate
from graph.resolve.resolver import ResolutionReport, ReviewItem, Thresholds, pair_id, resolve, source_records

__all__ = [
    "Judgement",
    "NameForm",
    "NameIndex",
    "Record",
    "ResolutionReport",
    "ReviewItem",
    "Score",
    "Thresholds",
    "add_judgement",
    "candidate_pairs",
    "compare_names",
    "load_judgements",
    "name_form",
    "pair_id",
    "parse_judgements",
    "record_from_props",
    "record_keys",
    "resolve",
    "score",
    "source_records",
    "transliterate",
]
