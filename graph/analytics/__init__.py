"""Analytics: pure functions over a projection of the graph (a networkx MultiDiGraph).

Each takes the projection a store returns (``store.projection(as_of=...)``),
so the same code gives the same answers on the embedded store and on Neo4j.
"""
