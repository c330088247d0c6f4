"""The explorer (Streamlit). Thin: page set-up and navigation; the pages are in graph/ui/pages/.

Pages: Explore, Influence paths, Sanction exposure, Screen, Matches, Cypher console,
Briefing and Sources. Every page names the store it is on and the graph's build time,
and works the same on the embedded file and on Neo4j; every computation comes
from graph/.
"""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="Tech-geopolitics graph", layout="wide")

from graph.ui.common import open_context  # noqa: E402

open_context()  # opens the store, or stops every page with what to run

PAGES = "graph/ui/pages"
st.navigation(
    [
        st.Page(f"{PAGES}/explore.py", title="Explore", url_path="explore", default=True),
        st.Page(f"{PAGES}/paths.py", title="Influence paths", url_path="paths"),
        st.Page(f"{PAGES}/exposure.py", title="Sanction exposure", url_path="exposure"),
        st.Page(f"{PAGES}/screen.py", title="Screen", url_path="screen"),
        st.Page(f"{PAGES}/matches.py", title="Matches", url_path="matches"),
        st.Page(f"{PAGES}/console.py", title="Cypher console", url_path="console"),
        st.Page(f"{PAGES}/briefing.py", title="Briefing", url_path="briefing"),
        st.Page(f"{PAGES}/sources.py", title="Sources", url_path="sources"),
    ]
).run()
