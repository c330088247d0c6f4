"""One module per source. Each declares its ``SOURCE`` and a ``load(ctx)`` function.

Loaders never touch a store: they emit canonical records through a
:class:`loaders.base.Context`, which stamps provenance on them. The build
(``graph.build``) runs them in the order of :data:`LOADERS`, which is also the
order of precedence when two loaders describe the same entity.
"""

from loaders import (
    bods,
    bri_gfdc,
    countries,
    cset_eto,
    csl,
    curated,
    federal_register,
    gleif,
    ofac_consolidated,
    ofac_sdn,
    opensanctions_ftm,
    patentsview,
    un_sc,
    us_lists,
    uspto_grants,
)

# Curated facts first: when records merge, earlier loaders' values win.
# OFAC's lists before the others: their ofac-<ent_num> ids are what the CSL's OFAC rows merge into.
LOADERS = (
    curated,
    countries,
    bri_gfdc,
    cset_eto,
    ofac_sdn,
    ofac_consolidated,
    us_lists,
    csl,
    federal_register,
    un_sc,
    opensanctions_ftm,
    gleif,
    bods,
    patentsview,
    uspto_grants,
)
