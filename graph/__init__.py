"""A knowledge graph of the tech-geopolitics landscape.

The core package: the schema (``graph.schema``), records and validation
(``graph.model``), the two stores (``graph.store``), the import and build
pipelines, and the analytics.
"""

__version__ = "0.1.0"
