"""Pieces of the Streamlit app that are more than widgets: the picture component and its JavaScript."""
